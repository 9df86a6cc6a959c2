#!/usr/bin/env bash
# Import throughput of mailcite from 10,000 to 1,000,000 messages (issue 6:
# "throughput that stays flat"). Not run in CI.
#
#   perf/scale.sh [OPTIONS] [CORPUS]
#
# For each size N, writes an N-message mboxrd (zstd-compressed, like the
# benchmark corpus; not timed) by repeating the messages of CORPUS (default
# ../shared/corpora/bulk/cypherpunks): the first pass as they are, every
# later pass with each Message-ID, In-Reply-To and References id prefixed
# with the pass number (threads stay within a pass) and an X-Scale-Copy
# header, so no two messages have the same bytes. Then imports it into a
# fresh archive under /usr/bin/time -v and reports messages/s, CPU, peak RSS
# and the archive size per message. Throughput counts as flat when the
# largest size keeps at least 80% of the smallest size's messages/s.
#
# Options:
#   --sizes "N ..."  sizes to run (default "10000 100000")
#   --million        also run 1,000,000 (2.4 GB of mail, 0.6 GB compressed, and
#                    an archive of about 2.7 GB: check the free space)
#   --out FILE       also write the Markdown report to FILE
#   --workdir DIR    work in DIR and keep it (default: a temporary folder)
#   --no-build       use target/release/mailcite as it is (default: cargo
#                    build --release first, a no-op when it is up to date)
#
# Needs python3, zstd and /usr/bin/time (Debian packages python3, zstd, time).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)

die() { echo "scale.sh: $*" >&2; exit 2; }
say() { echo "scale.sh: $*" >&2; }

sizes="10000 100000" out="" workdir="" corpus="" build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --sizes) sizes=$2; shift 2 ;;
    --million) million=1; shift ;;
    --out) out=$2; shift 2 ;;
    --workdir) workdir=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) [ -z "$corpus" ] || die "too many arguments"; corpus=$1; shift ;;
  esac
done
[ -n "${million:-}" ] && sizes="$sizes 1000000"
corpus=${corpus:-$repo/../shared/corpora/bulk/cypherpunks}
[ -e "$corpus" ] || die "no such corpus: $corpus"
for n in $sizes; do [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "bad size $n"; done
command -v python3 >/dev/null || die "needs python3"
command -v zstd >/dev/null || die "needs zstd (apt-get install zstd)"
[ -x /usr/bin/time ] || die "needs /usr/bin/time (apt-get install time)"

bin=$repo/target/release/mailcite
if [ "$build" = 1 ]; then
  say "building mailcite (cargo build --release; a no-op when up to date)"
  (cd "$repo" && cargo build --release --quiet --bin mailcite) >&2
fi
[ -x "$bin" ] || die "no $bin (build it with cargo build --release)"

if [ -n "$workdir" ]; then
  mkdir -p "$workdir"
  [ -z "$(ls -A "$workdir")" ] || die "--workdir $workdir is not empty"
  w=$(cd "$workdir" && pwd)
else
  w=$(mktemp -d "${TMPDIR:-/tmp}/mailcite-scale.XXXXXX")
  trap 'rm -rf "$w"' EXIT
fi
say "working in $w"

rows=()
for n in $sizes; do
  say "writing $n messages"
  mbox=$w/scale-$n.mbox.zst
  base=$(python3 "$here/compare.py" scale-mbox "$corpus" "$n" "$mbox")
  say "importing $n messages ($base distinct corpus messages, repeated)"
  rm -rf "$w/archive"
  /usr/bin/time -v -o "$w/time-$n.txt" \
    "$bin" --archive "$w/archive" --quiet import --json "$mbox" > "$w/report-$n.json" 2> "$w/log-$n.txt" \
    || { tail -5 "$w/log-$n.txt" >&2; die "import of $n messages failed"; }
  timing=$(python3 "$here/compare.py" timing "$w/time-$n.txt")
  raw=$(zstd -dc "$mbox" | wc -c)
  size=$(du -sb "$w/archive" | cut -f1)
  rows+=("$(python3 - "$n" "$base" "$timing" "$w/report-$n.json" "$raw" "$size" <<'PY'
import json, sys
n, base, timing, report, raw, size = sys.argv[1:]
t = json.loads(timing)
tot = json.load(open(report))["totals"]
print(json.dumps({"n": int(n), "base": int(base), "messages": tot["messages"],
                  "imported": tot["imported"], "duplicates": tot["duplicates"],
                  "failed": tot["failed"], "raw": int(raw), "size": int(size), **t}))
PY
)")
  say "  ${rows[-1]}"
  rm -f "$mbox"
done

report=$(python3 - "$(basename "$corpus")" "$(cut -d' ' -f1-3 /proc/loadavg)" "${rows[@]}" <<'PY'
import json, sys
import datetime
corpus, load, *rows = sys.argv[1:]
rows = [json.loads(r) for r in rows]
out = [f"## Import throughput from {rows[0]['n']:,} to {rows[-1]['n']:,} messages "
       f"({datetime.date.today()}, `perf/scale.sh`)", "",
       f"Generated from `{corpus}` (repeated with rewritten Message-IDs; see "
       f"the script). Load average at the end: {load}.", "",
       "| messages | imported | duplicates | failed | raw MB | wall s | CPU s | messages/s | MB/s | peak RSS MB | archive MB | archive bytes/message |",
       "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
for r in rows:
    rate = r["messages"] / r["wall"] if r["wall"] else 0
    out.append(f"| {r['messages']:,} | {r['imported']:,} | {r['duplicates']:,} | {r['failed']:,} | "
               f"{r['raw'] / 1e6:.1f} | {r['wall']:.1f} | {r['user'] + r['sys']:.1f} | {rate:,.0f} | "
               f"{r['raw'] / 1e6 / r['wall']:.1f} | {r['rss_mb']:.0f} | {r['size'] / 1e6:.1f} | "
               f"{r['size'] / r['messages']:,.0f} |")
if len(rows) > 1:
    first = rows[0]["messages"] / rows[0]["wall"]
    last = rows[-1]["messages"] / rows[-1]["wall"]
    keep = last / first
    ok = keep >= 0.8
    rss_ok = all(r["rss_mb"] < 500 for r in rows)
    out += ["", "| target | measured | status |", "|---|---|---|",
            f"| throughput flat (largest size keeps at least 80% of the smallest's messages/s) | "
            f"{last:,.0f} / {first:,.0f} messages/s = {100 * keep:.0f}% | {'**met**' if ok else '**not met**'} |",
            f"| peak RSS under 500 MB at every size | {max(r['rss_mb'] for r in rows):.0f} MB | "
            f"{'**met**' if rss_ok else '**not met**'} |"]
print("\n".join(out))
PY
)
[ -n "$out" ] && { printf '%s\n' "$report" > "$out"; say "report written to $out"; }
printf '%s\n' "$report"
