#!/usr/bin/env bash
# Runs every fuzz target for SECONDS seconds each (default 20) after one
# build; exits 1 if any target crashed, timed out or ran out of memory.
#
#   RUSTC_BOOTSTRAP=1 FUZZ_MODE=dev fuzz/run.sh 20   # CI
#   RUSTC_BOOTSTRAP=1 fuzz/run.sh 300 mbox_split parse_message
#
# FUZZ_MODE=release (default): optimized, with AddressSanitizer, for long
# runs. FUZZ_MODE=dev: unoptimized with debug assertions (integer overflow
# checks) and no sanitizer: builds in a few minutes, for CI's short runs.
#
# Seeds are copied at run time from ../shared/corpora/hard (or
# $MAILCITE_SHARED/corpora/hard) and from the repository's own fixtures into
# fuzz/corpus/TARGET (git-ignored); nothing is written into the shared folder.
# Crashing inputs land in fuzz/artifacts/TARGET; each one found so far is a
# regression test in the main workspace (tests/it/hostile.rs and unit tests).
set -uo pipefail
cd "$(dirname "$0")"
secs="${1:-20}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(mbox_split parse_message normalize query_parse extract_quotes
           dkim_keyfile dkim_verify received_hops embedded)
fi
export RUSTC_BOOTSTRAP="${RUSTC_BOOTSTRAP:-1}"

shared="${MAILCITE_SHARED:-../../shared}/corpora/hard"
if [ ! -d "$shared" ]; then
  if [ "${CI:-}" = "true" ]; then
    echo "error: $shared is missing; the fuzz seeds come from it" >&2
    exit 1
  fi
  echo "warning: $shared not found, fuzzing from the repository's seeds only" >&2
fi

case "${FUZZ_MODE:-release}" in
  release) mode=(-O) ;;
  dev) mode=(--dev -s none) ;;
  *) echo "error: FUZZ_MODE is release or dev" >&2; exit 2 ;;
esac

echo "== fuzz build, ${FUZZ_MODE:-release} ($(date +%T))"
build_started=$SECONDS
if ! cargo fuzz build "${mode[@]}"; then
  echo "error: fuzz build failed" >&2
  exit 1
fi
echo "fuzz build took $((SECONDS - build_started)) s"

seed_text() { # seed_text TARGET TEXT
  mkdir -p "corpus/$1"
  printf '%s' "$2" >"corpus/$1/seed-$(printf '%s' "$2" | sha1sum | cut -c1-16)"
}

echo "== seeds"
mail_files=()
if [ -d "$shared" ]; then
  while IFS= read -r -d '' f; do mail_files+=("$f"); done < <(
    find "$shared" -type f -size -256k ! -name '*.json' ! -name '*.png' \
      ! -name '*.pdf' ! -name '*.jpg' ! -name '*.gif' ! -name 'SOURCE.txt' -print0)
fi
while IFS= read -r -d '' f; do mail_files+=("$f"); done < <(
  find ../tests/fixtures -type f -size -256k -print0 2>/dev/null)
while IFS= read -r -d '' f; do mail_files+=("$f"); done < <(
  find ../examples/sample-leak -type f ! -name '*.gz' -print0)
mkdir -p corpus/{parse_message,dkim_verify,received_hops,mbox_split,normalize,extract_quotes,dkim_keyfile,embedded}
n=0
for f in "${mail_files[@]}"; do
  n=$((n + 1))
  name="seed-$n-${f##*/}"
  for t in parse_message dkim_verify received_hops embedded; do
    cp "$f" "corpus/$t/$name"
  done
  # mbox_split: the first byte picks the variant (here mboxrd, 1 MiB limit).
  { printf '\001'; cat "$f"; } >"corpus/mbox_split/$name"
  case "$f" in
    *.html | *.htm | *.txt | *.md | *.eml)
      cp "$f" "corpus/normalize/$name"
      cp "$f" "corpus/extract_quotes/$name" ;;
  esac
  case "$f" in
    *.zone | *.pub | *.key | *.txt | *.json)
      cp "$f" "corpus/dkim_keyfile/$name" ;;
  esac
done
for f in ../examples/sample-article.html; do
  for t in normalize extract_quotes; do
    mkdir -p "corpus/$t"
    cp "$f" "corpus/$t/seed-sample-article"
  done
done
while IFS= read -r q; do
  [ -n "$q" ] && seed_text query_parse "$q"
done <seeds/queries.txt
while IFS= read -r -d '' f; do
  mkdir -p corpus/dkim_keyfile
  cp "$f" "corpus/dkim_keyfile/seed-$(basename "$f")"
done < <(find seeds/keys -type f -print0)
for t in "${targets[@]}"; do
  printf '%s: %s seeds\n' "$t" "$(find "corpus/$t" -type f 2>/dev/null | wc -l)"
done

failed=()
summary=()
logdir="$(mktemp -d)"
for t in "${targets[@]}"; do
  echo "== fuzz $t for ${secs}s ($(date +%T))"
  dict=()
  [ -f "dict/$t.dict" ] && dict=("-dict=dict/$t.dict")
  log="$logdir/$t.log"
  # -timeout: one input taking 10 s is a bug (every parser must be linear
  # or close to it); -rss_limit_mb: memory must stay bounded.
  cargo fuzz run "${mode[@]}" "$t" "corpus/$t" -- \
    -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 "${dict[@]}" >"$log" 2>&1
  rc=$?
  runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)"
  cov="$(grep -o 'cov: [0-9]*' "$log" | tail -1)"
  corpus_n="$(find "corpus/$t" -type f | wc -l)"
  summary+=("$(printf '%-15s %4ss  %10s execs  %-10s corpus %s' "$t" "$secs" "${runs:-?}" "${cov:-}" "$corpus_n")")
  if [ $rc -ne 0 ]; then
    failed+=("$t")
    echo "error: $t failed (exit $rc); last lines of its log:" >&2
    tail -40 "$log" >&2
    ls -l "artifacts/$t" 2>/dev/null >&2
  fi
done

echo "== fuzz summary"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -ne 0 ]; then
  echo "error: fuzz targets failed: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
  exit 1
fi
echo "all ${#targets[@]} fuzz targets ran ${secs}s each without a crash"
