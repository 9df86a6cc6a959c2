#!/usr/bin/env python3
"""Helpers of perf/compare.sh and perf/scale.sh (not meant to be run alone).

    compare.py maildir CORPUS MAILDIR         mboxes (any compression) -> Maildir
    compare.py raw-bytes CORPUS               uncompressed size of the corpus
    compare.py timing TIME_V_FILE             wall, user, sys, peak RSS as JSON
    compare.py queries TSV WORK REPEAT TOOLS  latency and hits per tool, JSON
    compare.py report WORK                    Markdown from the JSON files
    compare.py scale-mbox CORPUS N OUT        N messages, rewritten Message-IDs

Splitting follows mailcite's own rules as far as they matter for the
benchmark corpus (a From_ line starts a message at the start of the file or
after a blank line; mboxrd un-escaping `>+From ` -> one `>` less; the From_
line and the blank separator line are not part of the message), so that
every tool indexes the same messages. Python's `mailbox.mbox` would instead
split at every line starting with "From " and keep the `>` quoting.
"""
import bz2
import gzip
import json
import lzma
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

# A From_ line: "From ", a sender (no blanks), then a date with a month
# name, a time and a year, as in `From tcmay@netcom.com Fri Sep 18 10:00:00
# 1992` (mailcite's `is_from_line`, less strictly).
FROM_LINE = re.compile(
    rb"^From \S+ +.*\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b"
    rb".*\b\d{1,2}:\d{2}.*\b\d{2,4}\b")
ESCAPED = re.compile(rb"^>+From ")


def open_decompressed(path):
    """A binary stream of the file, decompressed by its magic bytes."""
    with open(path, "rb") as f:
        magic = f.read(6)
    if magic[:4] == b"\x28\xb5\x2f\xfd":
        proc = subprocess.Popen(["zstd", "-dc", "--", path], stdout=subprocess.PIPE)
        return proc.stdout
    if magic[:2] == b"\x1f\x8b":
        return gzip.open(path, "rb")
    if magic == b"\xfd7zXZ\x00":
        return lzma.open(path, "rb")
    if magic[:3] == b"BZh":
        return bz2.open(path, "rb")
    return open(path, "rb")


def corpus_files(corpus):
    """Files of the corpus in a stable order (a file is its own corpus)."""
    if os.path.isfile(corpus):
        return [corpus]
    out = []
    for root, dirs, files in os.walk(corpus):
        dirs.sort()
        for name in sorted(files):
            if not name.startswith("."):
                out.append(os.path.join(root, name))
    return out


def split_mbox(stream, mboxrd=True):
    """Yields (from_line, raw message bytes) of an mbox stream; the file's
    content before the first From_ line is ignored."""
    lines = []
    from_line = None
    prev_blank = True
    for line in stream:
        if prev_blank and line.startswith(b"From ") and FROM_LINE.match(line):
            if from_line is not None:
                yield from_line, finish(lines)
            from_line = line
            lines = []
            prev_blank = False
            continue
        prev_blank = line in (b"\n", b"\r\n")
        if from_line is None:
            continue
        if mboxrd and line.startswith(b">") and ESCAPED.match(line):
            line = line[1:]
        lines.append(line)
    if from_line is not None:
        yield from_line, finish(lines)


def finish(lines):
    # The blank line before the next From_ line is the separator.
    if lines and lines[-1] in (b"\n", b"\r\n"):
        lines = lines[:-1]
    return b"".join(lines)


def looks_like_mbox(path):
    with open_decompressed(path) as s:
        head = s.read(4096)
    return head.startswith(b"From ")


HEADER = re.compile(rb"^[!-9;-~]+[ \t]*:")


def looks_like_message(path):
    """A file that starts with a header field (files that are not mail, such
    as JSON or images, are left out, as mailcite skips them)."""
    with open_decompressed(path) as s:
        head = s.read(1024).lstrip(b"\xef\xbb\xbf")
    return bool(HEADER.match(head))


def cmd_maildir(corpus, maildir, mboxo=False):
    """Writes every message of the corpus as one file in MAILDIR/cur (a
    file that is not an mbox but starts with a header is copied as one
    message). Prints the count."""
    for d in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(maildir, d), exist_ok=True)
    n = 0
    cur = os.path.join(maildir, "cur")
    for path in corpus_files(corpus):
        if looks_like_mbox(path):
            with open_decompressed(path) as s:
                for _, raw in split_mbox(s, mboxrd=not mboxo):
                    n += 1
                    with open(os.path.join(cur, f"{n:08d}.compare:2,S"), "wb") as out:
                        out.write(raw)
        elif looks_like_message(path):
            n += 1
            with open_decompressed(path) as s, open(os.path.join(cur, f"{n:08d}.compare:2,S"), "wb") as out:
                shutil.copyfileobj(s, out)
    print(n)


def cmd_raw_bytes(corpus):
    total = 0
    for path in corpus_files(corpus):
        with open_decompressed(path) as s:
            while True:
                b = s.read(1 << 20)
                if not b:
                    break
                total += len(b)
    print(total)


def parse_time_v(path):
    """wall, user, sys seconds and peak RSS (MB) from `/usr/bin/time -v`."""
    d = {}
    with open(path, errors="replace") as f:
        for line in f:
            line = line.strip()
            if line.startswith("Elapsed (wall clock) time"):
                parts = line.rsplit(": ", 1)[1].split(":")
                secs = 0.0
                for p in parts:
                    secs = secs * 60 + float(p)
                d["wall"] = secs
            elif line.startswith("User time (seconds)"):
                d["user"] = float(line.rsplit(": ", 1)[1])
            elif line.startswith("System time (seconds)"):
                d["sys"] = float(line.rsplit(": ", 1)[1])
            elif line.startswith("Maximum resident set size (kbytes)"):
                d["rss_mb"] = int(line.rsplit(": ", 1)[1]) / 1024
            elif line.startswith("Exit status"):
                d["exit"] = int(line.rsplit(": ", 1)[1])
    return d


# ---------------------------------------------------------------------------
# Queries
# ---------------------------------------------------------------------------

TOOLS = ["mailcite", "notmuch", "mu", "mairix"]


def read_queries(tsv):
    """Rows of the query table: kind, then one query per tool ('-' = the
    tool has no equivalent), then a note."""
    rows = []
    with open(tsv, encoding="utf-8") as f:
        header = None
        for line in f:
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            cells = line.split("\t")
            if header is None:
                header = cells
                continue
            row = dict(zip(header, cells + [""] * (len(header) - len(cells))))
            rows.append(row)
    return rows


# Exit statuses that mean "ran fine" (no match included) for each tool.
OK_STATUS = {"mailcite": (0, 1), "notmuch": (0,), "mu": (0, 4), "mairix": (0, 1)}


def tool_commands(tool, query, work):
    """(list command, count command, how to read the count) for one tool.
    The list command is what a user runs to see the first 20 results; the
    count command returns the number of matching messages."""
    if tool == "mailcite":
        base = [work["mailcite_bin"], "--archive", work["mailcite_archive"], "search"]
        return (base + ["--json", "--limit", "20", "--", query],
                base + ["--count", "--", query], "mailcite-count")
    if tool == "notmuch":
        return (["notmuch", "search", "--format=json", "--output=summary", "--sort=newest-first",
                 "--limit=20", query],
                ["notmuch", "count", "--output=messages", query], "int")
    if tool == "mu":
        home = "--muhome=" + work["mu_home"]
        return (["mu", "find", home, "--sortfield=date", "--reverse", "--maxnum=20", query],
                ["mu", "find", home, "--fields=l", query], "lines")
    if tool == "mairix":
        # mairix has no limit: the list is every match's path.
        cmd = ["mairix", "-f", work["mairix_rc"], "-r"] + query.split()
        return (cmd, cmd, "lines")
    raise ValueError(tool)


def count_of(kind, out):
    text = out.stdout.decode("utf-8", "replace")
    if kind == "int":
        return int(text.strip() or 0)
    if kind == "lines":
        return sum(1 for line in text.splitlines() if line.strip())
    if kind == "mailcite-count":
        # `mailcite search --count` prints the number (exit 1 when 0).
        m = re.search(r"\d+", text)
        return int(m.group()) if m else 0
    raise ValueError(kind)


def timed(cmd, env):
    t = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, env=env)
    return (time.perf_counter() - t) * 1000, out


def cmd_queries(tsv, workdir, repeat, tools):
    with open(os.path.join(workdir, "work.json")) as f:
        work = json.load(f)
    env = dict(os.environ)
    env.update(work.get("env", {}))
    results = []
    for row in read_queries(tsv):
        entry = {"kind": row["kind"], "note": row.get("note", ""), "tools": {}}
        for tool in tools:
            q = row.get(tool, "-").strip()
            if not q or q == "-":
                continue
            list_cmd, count_cmd, kind = tool_commands(tool, q, work)
            timed(list_cmd, env)  # warm-up
            lat, cnt = [], []
            hits = None
            errors = ""
            for _ in range(repeat):
                ms, out = timed(list_cmd, env)
                lat.append(ms)
                if out.returncode not in OK_STATUS[tool]:
                    errors = out.stderr.decode("utf-8", "replace").strip()[:200]
            for _ in range(repeat):
                ms, out = timed(count_cmd, env)
                cnt.append(ms)
                if out.returncode in OK_STATUS[tool]:
                    hits = count_of(kind, out)
                else:
                    errors = out.stderr.decode("utf-8", "replace").strip()[:200]
            snippets = None
            if tool == "mailcite":
                _, out = timed(list_cmd, env)
                if out.returncode == 0:
                    js = json.loads(out.stdout)
                    shown = js.get("hits", [])
                    snippets = sum(1 for h in shown if h.get("snippet")) if shown else 0
            entry["tools"][tool] = {
                "query": q,
                "list_ms": statistics.median(lat),
                "list_min_ms": min(lat),
                "count_ms": statistics.median(cnt),
                "hits": hits,
                "snippets": snippets,
                "error": errors,
            }
            print(f"  {tool:8} {q!r}: {statistics.median(lat):.1f} ms, {hits} hits"
                  + (f" ERROR {errors}" if errors else ""), file=sys.stderr)
        results.append(entry)
    with open(os.path.join(workdir, "queries.json"), "w") as f:
        json.dump({"repeat": repeat, "queries": results}, f, indent=1)


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------

def fmt(x, nd=1):
    if x is None:
        return "—"
    if isinstance(x, int):
        return f"{x:,}"
    return f"{x:.{nd}f}"


def mb(b):
    """Bytes as MB, with more decimals for small sizes."""
    return f"{b / 1e6:.1f}" if b >= 10e6 else f"{b / 1e6:.2f}"


def ratio(a, b):
    """a / b as 'N.N×', or '—'."""
    if a is None or b is None or b == 0:
        return "—"
    r = a / b
    return f"{r:.2f}×" if r < 10 else f"{r:.0f}×"


def met(ok):
    return "**met**" if ok else "**not met**"


def cmd_report(workdir):
    with open(os.path.join(workdir, "work.json")) as f:
        work = json.load(f)
    imports = {}
    for tool in TOOLS:
        path = os.path.join(workdir, f"import-{tool}.json")
        if os.path.exists(path):
            with open(path) as f:
                imports[tool] = json.load(f)
    queries = None
    qpath = os.path.join(workdir, "queries.json")
    if os.path.exists(qpath):
        with open(qpath) as f:
            queries = json.load(f)
    failed = {t: imports.pop(t)["failed"] for t in list(imports) if "failed" in imports[t]}
    tools = [t for t in TOOLS if t in imports]
    raw = work["raw_bytes"]
    out = []
    p = out.append

    def median_of(tool, key):
        vals = [r[key] for r in imports[tool]["runs"] if r.get(key) is not None]
        return statistics.median(vals) if vals else None

    p(f"## mailcite against notmuch, mu and mairix: `{work['corpus_name']}` "
      f"({work['date']}, `perf/compare.sh`)")
    p("")
    peers = [t for t in tools if t != "mailcite"]
    if peers:
        found = f"{work['corpus_messages']:,} messages in the peers' Maildir"
    elif "mailcite" in imports:
        found = f"{imports['mailcite']['messages']:,} messages found by mailcite"
    else:
        found = "no messages"
    p(f"Corpus: `{work['corpus']}`: {found} "
      f"({mb(raw)} MB uncompressed). Machine: {work['machine']}; "
      f"load average at the start {work['load']}. Versions: {work['versions']}. "
      f"{work['runs']} import run(s) per tool (median), each query "
      f"{queries['repeat'] if queries else '—'} times after a warm-up (median), "
      f"each run a separate process.")
    p("")
    p("mailcite imports the compressed mboxes directly (split, SHA-256, parse, "
      "zstd store, SQLite catalog, threads, DKIM, full-text index). The peers "
      "index a Maildir written beforehand by `perf/compare.py maildir` "
      "(not timed): notmuch `new`, mu `init` + `index`, mairix (rc file). "
      "Each tool has its own configuration and database in a temporary "
      "directory (HOME and XDG directories too).")
    p("")
    p("### Import and indexing")
    p("")
    p("| tool | messages indexed | wall s | CPU s (user+sys) | peak RSS MB | on disk MB | % of raw | mailcite faster by (peer wall / mailcite wall) | size: mailcite / peer |")
    p("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    mc_wall = median_of("mailcite", "wall") if "mailcite" in imports else None
    mc_size = imports["mailcite"]["size_bytes"] if "mailcite" in imports else None
    for tool in tools:
        imp = imports[tool]
        wall = median_of(tool, "wall")
        cpu = statistics.median([r["user"] + r["sys"] for r in imp["runs"]])
        rss = max(r["rss_mb"] for r in imp["runs"])
        size = imp["size_bytes"]
        speed = "—" if tool == "mailcite" else ratio(wall, mc_wall)
        sratio = "—" if tool == "mailcite" else ratio(mc_size, size)
        p(f"| {tool} | {imp['messages']} | {fmt(wall, 2)} | {fmt(cpu, 2)} | {rss:.0f} | "
          f"{mb(size)} | {100 * size / raw:.0f}% | {speed} | {sratio} |")
    for tool, why in failed.items():
        p(f"| {tool} | failed: {why} | | | | | | | |")
    if peers:
        p("")
        p(f"Maildir the peers read (and need to keep, as they index but do not "
          f"store mail): {mb(work['maildir_bytes'])} MB "
          f"({work['corpus_messages']:,} files). mailcite's figure is its whole "
          f"archive: raw messages (compressed), catalog and index; the peers' is "
          f"their database alone.")
    if work.get("same_messages"):
        p("")
        p(work["same_messages"])
    p("")
    for tool in tools:
        notes = imports[tool].get("notes")
        if notes:
            p(f"- {tool}: {notes}")
    p("")
    p("Every run:")
    p("")
    p("| tool | run | wall s | user s | sys s | peak RSS MB |")
    p("|---|---:|---:|---:|---:|---:|")
    for tool in tools:
        for i, r in enumerate(imports[tool]["runs"], 1):
            p(f"| {tool} | {i} | {r['wall']:.2f} | {r['user']:.2f} | {r['sys']:.2f} | {r['rss_mb']:.0f} |")
    p("")

    per_query_ok = None
    mc_median = None
    if queries:
        qtools = [t for t in TOOLS if any(t in e["tools"] for e in queries["queries"])]
        p("### Queries")
        p("")
        p("Median latency in ms of the command that lists the first 20 "
          "results, and hits (matching messages, from the count command). "
          "mailcite: `search --json --limit 20` (20 hits with snippets); "
          "notmuch: `search --output=summary --limit=20` (threads, no "
          "snippets), hits from `notmuch count`; mu: `find --maxnum=20` (no "
          "snippets), hits from an unlimited `find`; mairix: `-r` (every "
          "matching path; mairix has no limit and no snippets). The ratio is "
          "the peer's latency over mailcite's (above 1: mailcite faster).")
        p("")
        head = "| kind | " + " | ".join(f"{t} query" if False else t for t in qtools)
        cols = ["kind"]
        for t in qtools:
            cols += [f"{t} ms", f"{t} hits"]
            if t != "mailcite":
                cols.append(f"vs {t}")
        p("| " + " | ".join(cols) + " |")
        p("|---" + "|---:" * (len(cols) - 1) + "|")
        per_query_ok = True
        mc_lat = []
        for e in queries["queries"]:
            mc = e["tools"].get("mailcite")
            cells = [e["kind"]]
            for t in qtools:
                r = e["tools"].get(t)
                if r is None:
                    cells += ["—", "—"] + ([] if t == "mailcite" else ["—"])
                    continue
                err = " (error)" if r.get("error") else ""
                cells += [fmt(r["list_ms"]) + err, fmt(r["hits"])]
                if t != "mailcite":
                    cells.append(ratio(r["list_ms"], mc["list_ms"]) if mc else "—")
                    if mc and not r.get("error") and r["list_ms"] <= mc["list_ms"]:
                        per_query_ok = False
            if mc:
                mc_lat.append(mc["list_ms"])
            p("| " + " | ".join(cells) + " |")
        p("")
        p("The queries, each in the tool's own syntax (from `perf/compare-queries.tsv`):")
        p("")
        p("| kind | " + " | ".join(qtools) + " | note |")
        p("|---" * (len(qtools) + 2) + "|")
        for e in queries["queries"]:
            cells = [e["kind"]]
            for t in qtools:
                r = e["tools"].get(t)
                cells.append("—" if r is None else "`" + r["query"].replace("|", "\\|") + "`")
            cells.append(e.get("note", ""))
            p("| " + " | ".join(cells) + " |")
        p("")
        p("`--count` latency (ms, median) and the snippets mailcite returned:")
        p("")
        p("| kind | " + " | ".join(f"{t} count ms" for t in qtools) + " | mailcite snippets |")
        p("|---" + "|---:" * (len(qtools) + 1) + "|")
        for e in queries["queries"]:
            cells = [e["kind"]]
            for t in qtools:
                r = e["tools"].get(t)
                cells.append("—" if r is None else fmt(r["count_ms"]))
            mc = e["tools"].get("mailcite")
            cells.append("—" if mc is None or mc["snippets"] is None else str(mc["snippets"]))
            p("| " + " | ".join(cells) + " |")
        p("")
        if mc_lat:
            mc_median = statistics.median(mc_lat)
        errs = [(t, e["kind"], r["error"]) for e in queries["queries"]
                for t, r in e["tools"].items() if r.get("error")]
        if errs:
            p("Errors:")
            p("")
            for t, k, msg in errs:
                p(f"- {t}, {k}: `{msg}`")
            p("")

    p("### Against the targets (issue 6)")
    p("")
    p("| target | measured | status |")
    p("|---|---|---|")
    if "mailcite" in imports:
        if "mairix" in imports:
            mw = median_of("mairix", "wall")
            p(f"| import at least as fast as mairix | mailcite {mc_wall:.2f} s, mairix {mw:.2f} s "
              f"({ratio(mw, mc_wall)}) | {met(mc_wall <= mw)} |")
        elif "mairix" in failed:
            p("| import at least as fast as mairix | mairix failed | not measured |")
        if "mu" in imports:
            uw = median_of("mu", "wall")
            p(f"| import at least 20× faster than mu | mu {uw:.2f} s / mailcite {mc_wall:.2f} s = "
              f"{ratio(uw, mc_wall)} | {met(uw / mc_wall >= 20)} |")
        elif "mu" in failed:
            p("| import at least 20× faster than mu | mu failed | not measured |")
        rss = max(r["rss_mb"] for r in imports["mailcite"]["runs"])
        p(f"| peak RSS under 500 MB | {rss:.0f} MB | {met(rss < 500)} |")
        pct = 100 * mc_size / raw
        p(f"| archive + index at most 60% of raw | {pct:.0f}% ({mb(mc_size)} of "
          f"{mb(raw)} MB: {imports['mailcite'].get('parts', '')}) | {met(pct <= 60)} |")
    if mc_median is not None:
        p(f"| median query latency under 10 ms, 20 hits with snippets | {mc_median:.1f} ms "
          f"(median over the queries) | {met(mc_median < 10)} |")
    if per_query_ok is not None:
        slower = []
        for e in queries["queries"]:
            mc = e["tools"].get("mailcite")
            if not mc:
                continue
            for t, r in e["tools"].items():
                if t != "mailcite" and not r.get("error") and r["list_ms"] <= mc["list_ms"]:
                    slower.append(f"{e['kind']} ({t} {r['list_ms']:.1f} ms)")
        pairs = sum(1 for e in queries["queries"] if "mailcite" in e["tools"]
                    for t, r in e["tools"].items() if t != "mailcite" and not r.get("error"))
        if pairs == 0:
            p("| faster than every peer on each query | no peer measured | not measured |")
        else:
            detail = (f"faster in all {pairs} comparisons" if not slower else
                      f"slower in {len(slower)} of {pairs} comparisons: " + ", ".join(slower))
            p(f"| faster than every peer on each query | {detail} | {met(per_query_ok)} |")
    print("\n".join(out))


# ---------------------------------------------------------------------------
# Scale test corpus
# ---------------------------------------------------------------------------

HDR_ID = re.compile(rb"^(message-id|in-reply-to|references):", re.I)
ANGLE = re.compile(rb"<([^<>\s]+)>")


def rewrite(raw, copy):
    """The message with every id in Message-ID, In-Reply-To and References
    made unique to this copy (threads stay within the copy) and an
    X-Scale-Copy header, so no two copies have the same bytes."""
    if copy == 0:
        return raw
    ends = [e for e in (raw.find(b"\n\n"), raw.find(b"\r\n\r\n")) if e >= 0]
    end = min(ends) if ends else len(raw)
    head, body = raw[:end], raw[end:]
    lines = head.split(b"\n")
    in_id = False
    tag = b"c%d." % copy
    for i, line in enumerate(lines):
        if line[:1] in (b" ", b"\t"):
            if in_id:
                lines[i] = ANGLE.sub(lambda m: b"<" + tag + m.group(1) + b">", line)
            continue
        in_id = bool(HDR_ID.match(line))
        if in_id:
            lines[i] = ANGLE.sub(lambda m: b"<" + tag + m.group(1) + b">", line)
    eol = b"\r\n" if head.endswith(b"\r") or b"\r\n" in head[:200] else b"\n"
    lines.insert(0, b"X-Scale-Copy: %d" % copy + (b"\r" if eol == b"\r\n" else b""))
    return b"\n".join(lines) + body


def escape_mboxrd(raw):
    out = []
    for line in raw.splitlines(keepends=True):
        if ESCAPED.match(line) or line.startswith(b"From "):
            line = b">" + line
        out.append(line)
    return b"".join(out)


def cmd_scale_mbox(corpus, n, out_path):
    """Writes N messages as an mboxrd to OUT (through `zstd -1` when OUT
    ends in .zst), cycling through the corpus's first N messages (at most)
    with rewritten ids from the second pass on."""
    base = []
    for path in corpus_files(corpus):
        if len(base) >= n:
            break
        if looks_like_mbox(path):
            with open_decompressed(path) as s:
                for item in split_mbox(s):
                    base.append(item)
                    if len(base) >= n:
                        break
    if not base:
        sys.exit(f"no mbox messages in {corpus}")
    if out_path.endswith(".zst"):
        proc = subprocess.Popen(["zstd", "-q", "-1", "-T0", "-f", "-o", out_path],
                                stdin=subprocess.PIPE)
        sink = proc.stdin
    else:
        proc = None
        sink = open(out_path, "wb")
    for i in range(n):
        copy, k = divmod(i, len(base))
        from_line, raw = base[k]
        sink.write(from_line)
        msg = escape_mboxrd(rewrite(raw, copy))
        sink.write(msg)
        if not msg.endswith(b"\n"):
            sink.write(b"\n")
        sink.write(b"\n")
    sink.close()
    if proc and proc.wait() != 0:
        sys.exit("zstd failed")
    print(len(base))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "maildir":
        mboxo = "--mboxo" in args
        args = [a for a in args if a != "--mboxo"]
        cmd_maildir(args[0], args[1], mboxo)
    elif cmd == "raw-bytes":
        cmd_raw_bytes(args[0])
    elif cmd == "timing":
        print(json.dumps(parse_time_v(args[0])))
    elif cmd == "queries":
        cmd_queries(args[0], args[1], int(args[2]), args[3].split(","))
    elif cmd == "report":
        cmd_report(args[0])
    elif cmd == "scale-mbox":
        cmd_scale_mbox(args[0], int(args[1]), args[2])
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
