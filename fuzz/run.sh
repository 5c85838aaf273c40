#!/usr/bin/env bash
# The long, coverage-guided fuzz run: every target (or those named) under libFuzzer through
# cargo-fuzz, one at a time at low priority, for SECONDS each, growing fuzz/corpus/TARGET/.
# Prints a Markdown table: executions, time, corpus size, crashes. A crash or timeout stops
# that target's run; its input is in fuzz/artifacts/TARGET/ (reproduce with
# `cargo fuzz run -s none --features libfuzzer TARGET fuzz/artifacts/TARGET/FILE`).
#
#   fuzz/run.sh SECONDS [--cmin] [TARGET...]
#
# --cmin: minimise each corpus afterwards (`cargo fuzz cmin`), keeping the seed and
# regression inputs (seed-*, regression-*) whatever their coverage. Before committing a
# grown corpus, fuzz/shrink.sh cuts it to the small inputs that add coverage.
#
# Works on the stable toolchain: `-s none` builds without a sanitizer, so that no `-Z` flag
# is needed (Rust's memory safety leaves panics, hangs and memory growth to find, which is
# what the targets check). Needs `cargo install cargo-fuzz` and a C++ compiler (libFuzzer is
# built from source by libfuzzer-sys).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 1 ] || ! [[ $1 =~ ^[0-9]+$ ]]; then
  echo "usage: fuzz/run.sh SECONDS [--cmin] [TARGET...]" >&2
  exit 2
fi
seconds=$1
shift
cmin=false
if [ "${1:-}" = "--cmin" ]; then
  cmin=true
  shift
fi
command -v cargo-fuzz >/dev/null || { echo "cargo-fuzz is not installed: cargo install cargo-fuzz" >&2; exit 2; }

fuzz=(cargo fuzz)
flags=(-s none --features libfuzzer)
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <("${fuzz[@]}" list)
fi
# Workbook targets get the SpreadsheetML dictionary, the others the text formats'.
dictionary() {
  case $1 in
    table_xlsx | sheet_rows | sheet_grid | indices | plan_appendix | survey_xlsx) echo fuzz/dict/xlsx.dict ;;
    *) echo fuzz/dict/text.dict ;;
  esac
}

out=${CARGO_TARGET_DIR:-target}/fuzz-run
mkdir -p "$out"
echo "building the fuzz targets…" >&2
nice -n 10 "${fuzz[@]}" build "${flags[@]}" >&2

report="$out/report.md"
{
  echo "| target | time (s) | executions | exec/s | corpus before | corpus after | new inputs | peak RSS (MB) | crashes |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
} | tee "$report"
failed=0
for target in "${targets[@]}"; do
  corpus=fuzz/corpus/$target
  artifacts=fuzz/artifacts/$target
  mkdir -p "$corpus" "$artifacts"
  before=$(find "$corpus" -type f | wc -l)
  crashes_before=$(find "$artifacts" -type f | wc -l)
  log=$out/$target.log
  start=$(date +%s)
  status=0
  nice -n 10 "${fuzz[@]}" run "${flags[@]}" "$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -dict="$(dictionary "$target")" >"$log" 2>&1 || status=$?
  elapsed=$(( $(date +%s) - start ))
  if $cmin && [ $status -eq 0 ]; then
    keep=$(mktemp -d)
    find "$corpus" -type f \( -name 'seed-*' -o -name 'regression-*' \) -exec cp {} "$keep" \;
    nice -n 10 "${fuzz[@]}" cmin "${flags[@]}" "$target" >>"$log" 2>&1
    cp "$keep"/* "$corpus"/ 2>/dev/null || true
    rm -rf "$keep"
  fi
  after=$(find "$corpus" -type f | wc -l)
  crashes=$(( $(find "$artifacts" -type f | wc -l) - crashes_before ))
  stat() { grep -m1 "stat::$1:" "$log" | awk '{print $2}'; }
  executions=$(stat number_of_executed_units)
  per_second=$(stat average_exec_per_sec)
  new=$(stat new_units_added)
  rss=$(stat peak_rss_mb)
  [ $status -eq 0 ] || failed=1
  echo "| $target | $elapsed | ${executions:-?} | ${per_second:-?} | $before | $after | ${new:-?} | ${rss:-?} | $crashes |" | tee -a "$report"
done
echo "report: $report; logs: $out/TARGET.log" >&2
exit $failed
