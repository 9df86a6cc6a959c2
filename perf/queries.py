#!/usr/bin/env python3
"""Median latency of a fixed set of mailcite queries.

Each query runs as its own `mailcite search --json --limit 20` process (so the
time includes start-up and opening the index, as for the peers), REPEAT times
after one warm-up; prints a Markdown table with the median, the hit count and
whether snippets were produced.

    perf/queries.py MAILCITE_BINARY ARCHIVE_DIR [REPEAT]
"""
import json
import statistics
import subprocess
import sys
import time

QUERIES = [
    ("single word", "anonymity"),
    ("rare word", "zimmermann"),
    ("phrase", '"digital cash"'),
    ("sender", "from:tcmay@netcom.com"),
    ("sender domain", "from:@netcom.com"),
    ("date range", "date:1994-01..1994-03"),
    ("word + date", "remailer date:1995"),
    ("two words", "pgp export"),
    ("OR", "clipper OR skipjack"),
    ("NOT", "cypherpunks -pgp"),
    ("subject", "subject:remailer"),
    ("quoted only", 'quoted:"key escrow"'),
    ("prefix", "crypt*"),
    ("fuzzy", "anonimity~1"),
    ("stemmed", "remailers"),
]


def main() -> None:
    binary, archive = sys.argv[1], sys.argv[2]
    repeat = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    print("| query | kind | hits | median ms | min ms |")
    print("|---|---|---:|---:|---:|")
    medians = []
    for kind, q in QUERIES:
        cmd = [binary, "--archive", archive, "search", "--json", "--limit", "20", q]
        subprocess.run(cmd, capture_output=True)  # warm-up
        times = []
        total = 0
        for _ in range(repeat):
            t = time.perf_counter()
            out = subprocess.run(cmd, capture_output=True)
            times.append((time.perf_counter() - t) * 1000)
            if out.returncode == 0:
                total = json.loads(out.stdout)["total"]
        med = statistics.median(times)
        medians.append(med)
        print(f"| `{q}` | {kind} | {total} | {med:.1f} | {min(times):.1f} |")
    print()
    print(f"Median over all queries: {statistics.median(medians):.1f} ms "
          f"(each a separate process returning 20 hits with snippets, {repeat} runs)")


if __name__ == "__main__":
    main()
