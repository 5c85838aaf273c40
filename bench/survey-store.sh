#!/usr/bin/env bash
# Benchmarks of survey storage on SQLite (README "Survey storage"): bulk import of a generated responses.csv
# (sipas-2017: 23 items, 63 units, weights, respondent ids), against a baseline measured in
# the same run (the same rows, same parser, same table and statements, plain INSERTs without
# counters or duplicate check), with the peak RSS of each; then the index of a unit and of
# groups of units read from the counters after INDEX_ROWS stored responses, against a scan of
# one unit's raw rows. Release mode; not part of `cargo test`.
#
#   bench/survey-store.sh                          # ROWS=1000000 RUNS=3 INDEX_ROWS=10000000
#   ROWS=10000000 RUNS=1 bench/survey-store.sh     # the 10 M-row file (memory bound)
#   INDEX_ROWS=0 bench/survey-store.sh             # import only
#
# Data and databases go to bench/out (gitignored): about 80 bytes of CSV and 60 of database
# per response.
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS=${ROWS:-1000000}
RUNS=${RUNS:-3}
INDEX_ROWS=${INDEX_ROWS:-10000000}

echo "== building the benchmark (release)"
cargo build --release -p chiso-store --example survey_store_bench --quiet
BIN=target/release/examples/survey_store_bench
mkdir -p bench/out
CSV=bench/out/store-responses-${ROWS}.csv
DB=bench/out/store-bench.db

# Runs the benchmark under /usr/bin/time -v; prints its key=value lines plus max_rss_kb.
measure() {
  local log
  log=$(mktemp)
  local out
  out=$(/usr/bin/time -v "$BIN" "$@" 2>"$log")
  echo "$out"
  echo "$out" >&2
  awk -F': ' '/Maximum resident set size/ {print "max_rss_kb=" $2}' "$log"
  rm -f "$log"
}

value() { # value KEY <<< "$output"
  sed -n "s/^$1=//p" | tail -1
}

median() {
  sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

import_rates=(); baseline_rates=(); import_rss=(); baseline_rss=()
for run in $(seq 1 "$RUNS"); do
  echo "== run $run/$RUNS: import of $ROWS rows"
  out=$(measure import --rows "$ROWS" --csv "$CSV" --db "$DB")
  import_rates+=("$(value rate <<<"$out")"); import_rss+=("$(value max_rss_kb <<<"$out")")
  db_bytes=$(value db_bytes <<<"$out")
  echo "== run $run/$RUNS: baseline (plain INSERT) of $ROWS rows"
  out=$(measure baseline --rows "$ROWS" --csv "$CSV" --db "$DB")
  baseline_rates+=("$(value rate <<<"$out")"); baseline_rss+=("$(value max_rss_kb <<<"$out")")
done
rm -f "$DB" "$DB-wal" "$DB-shm"

import_rate=$(printf '%s\n' "${import_rates[@]}" | median)
baseline_rate=$(printf '%s\n' "${baseline_rates[@]}" | median)
import_peak=$(printf '%s\n' "${import_rss[@]}" | sort -n | tail -1)
baseline_peak=$(printf '%s\n' "${baseline_rss[@]}" | sort -n | tail -1)

echo
echo "| Measure ($ROWS responses × 23 items, 63 units; median of $RUNS) | Result |"
echo "|---|---|"
echo "| bulk import, all or nothing, counters upserted in the same transaction | ${import_rate} responses/s, peak RSS $((import_peak / 1024)) MB |"
echo "| baseline: the same rows, plain INSERT, no counters, no duplicate check | ${baseline_rate} responses/s, peak RSS $((baseline_peak / 1024)) MB |"
echo "| import / baseline | $(awk -v a="$import_rate" -v b="$baseline_rate" 'BEGIN {printf "%.2f", a / b}') |"
echo "| database size after the import | $((db_bytes / 1024 / 1024)) MB |"

if [ "$INDEX_ROWS" -gt 0 ]; then
  echo
  echo "== index from counters after $INDEX_ROWS stored responses (generated into the database)"
  IDB=bench/out/store-index.db
  out=$(measure index --rows "$INDEX_ROWS" --db "$IDB" --runs 15)
  rm -f "$IDB" "$IDB-wal" "$IDB-shm"
  echo
  echo "| Measure (after $INDEX_ROWS responses) | Result |"
  echo "|---|---|"
  echo "| filling: batches of 10,000 each committed with their counters | $(value fill_rate <<<"$out") responses/s |"
  echo "| index of one unit from the counters (median over the 63) | $(value unit_ms <<<"$out") ms (slowest $(value unit_max_ms <<<"$out") ms) |"
  echo "| index of a group of 10 units | $(value group10_ms <<<"$out") ms |"
  echo "| index of all 63 units pooled | $(value group63_ms <<<"$out") ms |"
  echo "| baseline: one unit's counts by scanning its raw rows | $(value scan_unit_ms <<<"$out") ms |"
  echo "| database size | $(( $(value db_bytes <<<"$out") / 1024 / 1024 )) MB |"
fi
