#!/usr/bin/env bash
# mailcite against notmuch, mu and mairix on one corpus, on this machine, in
# one run (issue 6).
#
#   perf/compare.sh [OPTIONS] CORPUS [RUNS]
#
# CORPUS is an mbox file or a folder of mboxes (compressed with zstd, gzip,
# xz or bzip2, or not), or a Maildir. mailcite imports it as it is; the peers
# index a Maildir that this script writes first (not timed) with
# perf/compare.py, which splits the mboxes by mailcite's rules (mboxrd
# un-escaping), so that every tool sees the same message bytes.
#
# For each tool, RUNS times (default 3; the tools take turns, so a load
# spike hits them all): import and index into a fresh database in its own
# directory (wall, CPU seconds and peak RSS from /usr/bin/time -v; median
# reported), then the size on disk of the database (mailcite: the whole
# archive) and the messages it indexed. Then every query of
# perf/compare-queries.tsv, in each tool's own syntax, REPEAT times as a
# separate process (median latency), with the number of hits.
#
# The Markdown report (tables, ratios to each peer, targets met or not) goes
# to stdout; progress to stderr.
#
# Options:
#   --out FILE      also write the report to FILE
#   --runs N        import runs per tool (default 3, or the RUNS argument)
#   --repeat N      runs of each query (default 7)
#   --tools LIST    comma-separated subset of mailcite,notmuch,mu,mairix
#   --queries TSV   query table (default perf/compare-queries.tsv)
#   --workdir DIR   work in DIR and keep it (default: a temporary folder,
#                   removed at the end); must not exist or be empty
#   --mboxo         split mboxes with mboxo un-escaping (default mboxrd)
#   --no-install    do not install missing tools; fail instead
#   --no-build      use target/release/mailcite as it is (default: cargo build
#                   --release first, a no-op when it is up to date)
#
# Needs: python3, zstd, /usr/bin/time (package `time`), notmuch,
# maildir-utils (mu) and mairix. Missing Debian packages are installed with
# apt-get (through sudo when not root).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit "${1:-2}"; }
die() { echo "compare.sh: $*" >&2; exit 2; }
say() { echo "compare.sh: $*" >&2; }

out="" runs="" repeat=7 tools="mailcite,notmuch,mu,mairix" queries="$here/compare-queries.tsv"
workdir="" mboxo="" install=1 build=1 corpus=""
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --tools) tools=$2; shift 2 ;;
    --queries) queries=$2; shift 2 ;;
    --workdir) workdir=$2; shift 2 ;;
    --mboxo) mboxo=--mboxo; shift ;;
    --no-install) install=0; shift ;;
    --no-build) build=0; shift ;;
    -h|--help) usage 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) if [ -z "$corpus" ]; then corpus=$1; elif [ -z "$runs" ]; then runs=$1; else die "too many arguments"; fi; shift ;;
  esac
done
[ -n "$corpus" ] || usage
[ -e "$corpus" ] || die "no such corpus: $corpus"
corpus=$(cd "$(dirname "$corpus")" && echo "$PWD/$(basename "$corpus")")
runs=${runs:-3}
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive number"
[[ "$repeat" =~ ^[1-9][0-9]*$ ]] || die "--repeat must be a positive number"
[ -f "$queries" ] || die "no query table $queries"
IFS=, read -r -a tool_list <<< "$tools"
for t in "${tool_list[@]}"; do
  case "$t" in mailcite|notmuch|mu|mairix) ;; *) die "unknown tool $t" ;; esac
done
has_tool() { [[ ",$tools," == *",$1,"* ]]; }

# --- Tools ----------------------------------------------------------------
need_pkgs=()
command -v python3 >/dev/null || need_pkgs+=(python3)
command -v zstd >/dev/null || need_pkgs+=(zstd)
[ -x /usr/bin/time ] || need_pkgs+=(time)
has_tool notmuch && ! command -v notmuch >/dev/null && need_pkgs+=(notmuch)
has_tool mu && ! command -v mu >/dev/null && need_pkgs+=(maildir-utils)
has_tool mairix && ! command -v mairix >/dev/null && need_pkgs+=(mairix)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  [ "$install" = 1 ] || die "missing: ${need_pkgs[*]} (apt-get install -y ${need_pkgs[*]})"
  command -v apt-get >/dev/null || die "missing: ${need_pkgs[*]}; install them with your package manager"
  if [ "$(id -u)" = 0 ]; then sudo=(); elif command -v sudo >/dev/null; then sudo=(sudo); else
    die "missing: ${need_pkgs[*]}; as root: apt-get update && apt-get install -y ${need_pkgs[*]}"
  fi
  say "installing ${need_pkgs[*]}"
  "${sudo[@]}" apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${need_pkgs[@]}" >&2
fi

bin=$repo/target/release/mailcite
if has_tool mailcite && [ "$build" = 1 ]; then
  say "building mailcite (cargo build --release; a no-op when up to date)"
  (cd "$repo" && cargo build --release --quiet --bin mailcite) >&2
fi
[ -x "$bin" ] || ! has_tool mailcite || die "no $bin (build it with cargo build --release)"

# --- Work folder ------------------------------------------------------------
if [ -n "$workdir" ]; then
  mkdir -p "$workdir"
  [ -z "$(ls -A "$workdir")" ] || die "--workdir $workdir is not empty"
  w=$(cd "$workdir" && pwd)
else
  w=$(mktemp -d "${TMPDIR:-/tmp}/mailcite-compare.XXXXXX")
  trap 'rm -rf "$w"' EXIT
fi
say "working in $w"
# Every tool gets its own HOME, XDG folders and config; dates in UTC.
mkdir -p "$w/home/.config" "$w/home/.cache" "$w/home/.local/share"
export HOME=$w/home XDG_CONFIG_HOME=$w/home/.config XDG_CACHE_HOME=$w/home/.cache \
  XDG_DATA_HOME=$w/home/.local/share TZ=UTC NOTMUCH_CONFIG=$w/notmuch-config
unset NOTMUCH_PROFILE MAILCITE_ARCHIVE MU_HOME

maildir=$w/maildir
corpus_messages=""
if has_tool notmuch || has_tool mu || has_tool mairix; then
  if [ -d "$corpus/cur" ] || [ -d "$corpus/new" ]; then
    maildir=$corpus   # already a Maildir: read in place (never written to)
    corpus_messages=$(find "$corpus" -type f \( -path '*/cur/*' -o -path '*/new/*' \) | wc -l)
  else
    say "writing the Maildir for the peers"
    corpus_messages=$(python3 "$here/compare.py" maildir "$corpus" "$maildir" $mboxo)
  fi
  [ "$corpus_messages" -gt 0 ] || die "no messages found in $corpus"
fi
raw=$(python3 "$here/compare.py" raw-bytes "$corpus")
maildir_bytes=0
[ -d "$maildir" ] && maildir_bytes=$(du -sb "$maildir" | cut -f1)

cat > "$NOTMUCH_CONFIG" <<EOF
[database]
path=$w/notmuch-db
mail_root=$maildir
[new]
tags=
ignore=
[maildir]
synchronize_flags=false
[search]
exclude_tags=
EOF
cat > "$w/mairixrc" <<EOF
base=$(dirname "$maildir")
maildir=$(basename "$maildir")...
mfolder=$w/mairix-results
database=$w/mairix.db
EOF

# --- Import runs ----------------------------------------------------------------
# import_cmd TOOL: clears the tool's database and runs its import under
# /usr/bin/time -v, with stdout and stderr in $w/TOOL.log and the timing in
# $w/TOOL.time.
run_import() {
  local tool=$1
  case "$tool" in
    mailcite)
      rm -rf "$w/mailcite"
      /usr/bin/time -v -o "$w/$tool.time" \
        "$bin" --archive "$w/mailcite" --quiet import --json "$corpus" > "$w/mailcite-report.json" 2> "$w/$tool.log" ;;
    notmuch)
      rm -rf "$w/notmuch-db"; mkdir -p "$w/notmuch-db"
      /usr/bin/time -v -o "$w/$tool.time" notmuch new --quiet --no-hooks > "$w/$tool.log" 2>&1 ;;
    mu)
      rm -rf "$w/mu"
      /usr/bin/time -v -o "$w/$tool.time" sh -c \
        'mu init --quiet --muhome="$1" --maildir="$2" && mu index --quiet --muhome="$1"' \
        sh "$w/mu" "$maildir" > "$w/$tool.log" 2>&1 ;;
    mairix)
      rm -f "$w/mairix.db"
      /usr/bin/time -v -o "$w/$tool.time" mairix -f "$w/mairixrc" -v > "$w/$tool.log" 2>&1 ;;
  esac
}

# A tool that fails (mairix 0.24 crashes on some malformed messages) is
# reported as failed and left out of the rest of the run.
declare -A timings failed
load=$(cut -d' ' -f1-3 /proc/loadavg)
for i in $(seq 1 "$runs"); do
  for tool in "${tool_list[@]}"; do
    [ -z "${failed[$tool]:-}" ] || continue
    say "import run $i/$runs: $tool"
    if ! run_import "$tool"; then
      why=$(grep -m1 -E 'Command (terminated by signal|exited with non-zero status)' "$w/$tool.time" || true)
      failed[$tool]="${why:-failed} (run $i)"
      say "$tool FAILED: ${failed[$tool]}; last lines of its output:"
      grep -v '^Scanning' "$w/$tool.log" | tail -5 >&2 || true
      continue
    fi
    t=$(python3 "$here/compare.py" timing "$w/$tool.time")
    timings[$tool]="${timings[$tool]:+${timings[$tool]},}$t"
    say "  $t"
  done
done
ok_tools=()
for tool in "${tool_list[@]}"; do
  if [ -n "${failed[$tool]:-}" ]; then
    python3 -c 'import json, sys; json.dump({"failed": sys.argv[2]}, open(sys.argv[1], "w"))' \
      "$w/import-$tool.json" "${failed[$tool]}"
  else
    ok_tools+=("$tool")
  fi
done
[ ${#ok_tools[@]} -gt 0 ] || die "every tool failed"

# --- Counts and sizes (of the last run) ---------------------------------------
du_b() { du -sb "$@" | awk '{s+=$1} END {print s+0}'; }
version() { "$@" 2>&1 | head -1 | tr -d '\n' || true; }
versions=()
for tool in "${ok_tools[@]}"; do
  notes="" parts=""
  case "$tool" in
    mailcite)
      read -r messages notes < <(python3 - "$w/mailcite-report.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))["totals"]
print(t["messages"], f"{t['imported']:,} imported, {t['duplicates']:,} duplicates (same bytes), {t['failed']:,} failed, of {t['messages']:,} found")
PY
)
      size=$(du_b "$w/mailcite")
      parts=$(awk -v s="$(du_b "$w/mailcite/packs")" -v c="$(du_b "$w/mailcite/catalog.sqlite"*)" -v i="$(du_b "$w/mailcite/index")" \
        'BEGIN {printf "store %.1f MB, catalog %.1f MB, index %.1f MB", s/1e6, c/1e6, i/1e6}')
      versions+=("mailcite $(git -C "$repo" describe --always --dirty 2>/dev/null || echo '?') (binary of $(date -u -r "$bin" '+%Y-%m-%d %H:%M') UTC)") ;;
    notmuch)
      messages=$(notmuch count '*')
      files=$(notmuch count --output=files '*')
      notes="$messages messages (one per Message-ID) in $files files"
      size=$(du_b "$w/notmuch-db")
      versions+=("$(version notmuch --version)") ;;
    mu)
      messages=$(mu info --muhome="$w/mu" 2>/dev/null | awk -F'|' '/messages in store/ {gsub(/ /, "", $3); print $3}')
      [ -n "$messages" ] || messages=$(mu find --muhome="$w/mu" --fields=l '' 2>/dev/null | wc -l)
      size=$(du_b "$w/mu/xapian")
      versions+=("$(version mu --version)") ;;
    mairix)
      messages=$(sed -n 's/^Wrote \([0-9]*\) messages.*/\1/p' "$w/mairix.log" | tail -1)
      size=$(du_b "$w/mairix.db")
      versions+=("mairix $(dpkg-query -W -f='${Version}' mairix 2>/dev/null || echo '?')") ;;
  esac
  python3 - "$w/import-$tool.json" "[${timings[$tool]}]" "${messages:-0}" "$size" "$notes" "$parts" <<'PY'
import json, sys
path, runs, messages, size, notes, parts = sys.argv[1:]
json.dump({"runs": json.loads(runs), "messages": int(messages), "size_bytes": int(size),
           "notes": notes, "parts": parts}, open(path, "w"), indent=1)
PY
done

# Same messages? The Maildir's files should hash to mailcite's ids.
same=""
if [ -f "$w/mailcite/catalog.sqlite" ] && [ -z "${failed[mailcite]:-}" ] && [ -d "$maildir" ]; then
  same=$(python3 - "$w/mailcite/catalog.sqlite" "$maildir" <<'PY'
import hashlib, os, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
ids = {r[0] if isinstance(r[0], str) else r[0].hex() for r in db.execute("select sha256 from messages")}
files = set()
for root, _, names in os.walk(sys.argv[2]):
    for n in names:
        with open(os.path.join(root, n), "rb") as f:
            files.add(hashlib.sha256(f.read()).hexdigest())
print(f"{len(files & ids):,} of the {len(files):,} distinct Maildir messages are byte-identical to mailcite's "
      f"{len(ids):,} stored messages ({len(files - ids):,} only in the Maildir, {len(ids - files):,} only in mailcite).")
PY
)
fi

machine="$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
python3 - "$w/work.json" \
  corpus="$corpus" corpus_name="$(basename "$corpus")" corpus_messages="${corpus_messages:-0}" \
  raw_bytes="$raw" maildir_bytes="$maildir_bytes" runs="$runs" date="$(date -u +%Y-%m-%d)" \
  load="$load" machine="$machine" versions="$(printf '%s, ' "${versions[@]}" | sed 's/, $//')" \
  same_messages="$same" mailcite_bin="$bin" mailcite_archive="$w/mailcite" mu_home="$w/mu" \
  mairix_rc="$w/mairixrc" <<'PY'
import json, os, sys
work = dict(a.split("=", 1) for a in sys.argv[2:])
for k in ("corpus_messages", "raw_bytes", "maildir_bytes", "runs"):
    work[k] = int(work[k] or 0)
work["env"] = {k: os.environ[k] for k in
               ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "TZ", "NOTMUCH_CONFIG")}
json.dump(work, open(sys.argv[1], "w"), indent=1)
PY

# --- Queries -----------------------------------------------------------------------
say "queries ($repeat runs each)"
python3 "$here/compare.py" queries "$queries" "$w" "$repeat" "$(IFS=,; echo "${ok_tools[*]}")"

# --- Report -----------------------------------------------------------------------
python3 "$here/compare.py" report "$w" > "$w/report.md"
if [ -n "$out" ]; then
  cp "$w/report.md" "$out"
  say "report written to $out"
fi
cat "$w/report.md"
