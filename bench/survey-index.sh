#!/usr/bin/env bash
# Benchmark (README "Benchmarks"): `chiso survey index` against DuckDB computing the same
# per-unit results (item rates → factor means → index) from the same 1,000,000-row
# responses.csv (63 units × 23 items), in the same run, 5 runs each, medians and their ratio.
# It also checks that both give the same numbers.
#
#   bench/survey-index.sh                 # ROWS=1000000 UNITS=63 RUNS=5 by default
#   ROWS=200000 RUNS=3 bench/survey-index.sh
#
# Needs python3 with venv; installs the Python package duckdb into bench/.venv (gitignored).
# The generated data and outputs go to bench/out (gitignored). Not part of `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS=${ROWS:-1000000}
UNITS=${UNITS:-63}
RUNS=${RUNS:-5}
SEED=${SEED:-2026}

echo "== building chiso (release)"
cargo build --release -p chiso --quiet
BIN=target/release/chiso

mkdir -p bench/out
DATA=bench/out/responses-${ROWS}-${UNITS}-${SEED}.csv
if [ ! -f "$DATA" ]; then
  echo "== generating $DATA"
  "$BIN" survey generate --questionnaire sipas-2017 --rows "$ROWS" --units "$UNITS" \
    --seed "$SEED" --output "$DATA"
fi

echo "== preparing bench/.venv with duckdb"
if [ ! -x bench/.venv/bin/python ]; then
  python3 -m venv bench/.venv
fi
bench/.venv/bin/python -m pip install --quiet --disable-pip-version-check duckdb

bench/.venv/bin/python bench/survey_index.py --chiso "$BIN" --responses "$DATA" --runs "$RUNS"
