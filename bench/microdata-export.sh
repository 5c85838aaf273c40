#!/usr/bin/env bash
# Benchmark of the survey microdata export (README "Survey storage", docs/formats.md §8.12):
# a SQLite wave of ROWS generated responses (sipas-2017: 23 items, 63 units, weights, four
# channels, respondent ids) exported to CSV and to .xlsx with the export's code path (pages of
# 2,000 from the store, the survey crate's writers, the .xlsx data sheet in constant-memory
# mode), against a baseline measured in the same run (the same pages read, nothing written),
# each RUNS times under /usr/bin/time -v for the peak RSS. Release mode; not part of `cargo test`.
#
#   bench/microdata-export.sh                    # ROWS=100000 RUNS=5
#   ROWS=1000000 RUNS=1 bench/microdata-export.sh
#
# Targets (issue 13): 100,000 responses to CSV in under 2 s and to .xlsx in under 5 s.
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS=${ROWS:-100000}
RUNS=${RUNS:-5}

echo "== building the benchmark (release)"
cargo build --release -p chiso-store --example microdata_bench --quiet
BIN=target/release/examples/microdata_bench
mkdir -p bench/out
DB=bench/out/microdata-${ROWS}.db

measure() { # prints the run's key=value lines and max_rss_kb
  local log out
  log=$(mktemp)
  out=$(/usr/bin/time -v "$BIN" "$@" 2>"$log")
  echo "$out"
  awk -F': ' '/Maximum resident set size/ {print "max_rss_kb=" $2}' "$log"
  rm -f "$log"
}
value() { sed -n "s/^$1=//p" | tail -1; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "== filling a wave with $ROWS responses"
"$BIN" fill --rows "$ROWS" --db "$DB" >/dev/null

declare -A secs rss bytes
for mode in read csv xlsx; do
  secs[$mode]=""; rss[$mode]=""
done
for run in $(seq 1 "$RUNS"); do
  for mode in read csv xlsx; do
    if [ "$mode" = read ]; then
      out=$(measure read --db "$DB")
    else
      out=$(measure "$mode" --db "$DB" --out "bench/out/microdata.$mode")
      bytes[$mode]=$(value bytes <<<"$out")
    fi
    rows=$(value rows <<<"$out")
    [ "$rows" = "$ROWS" ] || { echo "expected $ROWS rows, got $rows" >&2; exit 1; }
    secs[$mode]+="$(value seconds <<<"$out") "
    rss[$mode]+="$(value max_rss_kb <<<"$out") "
    echo "run $run $mode: $(value seconds <<<"$out") s, $(value max_rss_kb <<<"$out") kB"
  done
done

echo
echo "| Measure ($ROWS responses × 23 items, 63 units; median of $RUNS runs) | Seconds | Peak RSS |"
echo "|---|---|---|"
for mode in csv xlsx read; do
  s=$(tr ' ' '\n' <<<"${secs[$mode]}" | grep . | median)
  m=$(tr ' ' '\n' <<<"${rss[$mode]}" | grep . | median)
  extra=""
  [ -n "${bytes[$mode]:-}" ] && extra=" ($(( ${bytes[$mode]} / 1024 / 1024 )) MB file)"
  echo "| $mode$extra | $s | $(( m / 1024 )) MB |"
done
