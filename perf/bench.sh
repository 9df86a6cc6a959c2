#!/usr/bin/env bash
# Import and search benchmark of mailcite on a corpus (default: the
# cypherpunks mboxes in ../shared). Times the import (wall, CPU, peak RSS
# from /usr/bin/time -v; median of RUNS runs), reports the archive and
# index sizes, then the median latency of a fixed set of queries, each run
# as a separate `mailcite search --json` process returning 20 hits with
# snippets. Results are printed as Markdown for perf/RESULTS.md.
#
#   perf/bench.sh [CORPUS_DIR] [RUNS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
corpus=${1:-$repo/../shared/corpora/bulk/cypherpunks}
runs=${2:-3}
bin=$repo/target/release/mailcite
[ -x "$bin" ] || (cd "$repo" && cargo build --release --quiet)
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

raw=$(for f in "$corpus"/*; do case "$f" in *.zst) zstd -dc "$f";; *.gz) gzip -dc "$f";; *.xz) xz -dc "$f";; *) cat "$f";; esac; done | wc -c)

echo "## mailcite import: $(basename "$corpus") ($(nproc) cores, $(date -u +%Y-%m-%d))"
echo
echo "| run | wall s | user s | sys s | peak RSS MB | messages |"
echo "|---|---:|---:|---:|---:|---:|"
walls=()
for i in $(seq 1 "$runs"); do
  rm -rf "$work/a"
  /usr/bin/time -v "$bin" --archive "$work/a" --quiet import --json "$corpus" > "$work/report.json" 2> "$work/time.txt"
  wall=$(awk -F': ' '/Elapsed/ {split($2,t,":"); if (length(t)==3) print t[1]*3600+t[2]*60+t[3]; else print t[1]*60+t[2]}' "$work/time.txt")
  user=$(awk -F': ' '/User time/ {print $2}' "$work/time.txt")
  sys=$(awk -F': ' '/System time/ {print $2}' "$work/time.txt")
  rss=$(awk -F': ' '/Maximum resident/ {printf "%.0f", $2/1024}' "$work/time.txt")
  msgs=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["totals"]["messages"])' "$work/report.json")
  echo "| $i | $wall | $user | $sys | $rss | $msgs |"
  walls+=("$wall")
done
median=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo
echo "Median import wall time: ${median} s"
echo
du_b() { du -sb "$1" | cut -f1; }
packs=$(du_b "$work/a/packs"); cat_b=$(du_b "$work/a/catalog.sqlite"); idx=$(du_b "$work/a/index")
python3 - "$raw" "$packs" "$cat_b" "$idx" <<'PY'
import sys
raw, packs, cat, idx = map(int, sys.argv[1:])
mb = lambda b: b / 1e6
print("| part | MB | % of raw |")
print("|---|---:|---:|")
for name, b in [("raw mail", raw), ("store (packs)", packs), ("catalog", cat), ("index", idx), ("archive + index", packs + cat + idx)]:
    print(f"| {name} | {mb(b):.1f} | {100*b/raw:.0f}% |")
PY
echo
python3 "$here/queries.py" "$bin" "$work/a"
