#!/usr/bin/env bash
# Benchmark of HTTP survey submissions: N kiosk responses through POST /api/v1/responses
# from C concurrent clients on loopback against a release `chiso serve` on a fresh SQLite
# database; every 201 means the response is committed (durable). Run twice in the same run:
# with one transaction per submission (CHISO_SURVEY_GROUP_COMMIT=1, the baseline) and with
# group commit (the default). Reports acknowledged/s of each and their ratio, and checks that
# each database holds exactly the acknowledged responses (count and ids).
#
#   bench/http-submit.sh                  # N=50000 C=64 by default
#   N=10000 C=16 bench/http-submit.sh
#
# Needs node (the client is bench/http-submit.mjs, no packages) and sqlite3. Not part of
# `cargo test`. Work files go to bench/out (gitignored).
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-50000}
C=${C:-64}

echo "== building chiso and the database preparation (release)"
cargo build --release -p chiso --quiet
cargo test --release -p chiso --test survey_crash --no-run --quiet 2>/dev/null

mkdir -p bench/out
SERVER=
trap 'if [ -n "${SERVER:-}" ]; then kill "$SERVER" 2>/dev/null || true; fi' EXIT

# run GROUP: a fresh database and server committing up to GROUP submissions per transaction;
# prints the client's JSON line and checks the database against the acknowledged ids.
run() {
  local group=$1
  local work
  work="$PWD/$(mktemp -d bench/out/http-submit.XXXXXX)"
  local db="$work/chiso.db"
  local url="sqlite://$db"
  CHISO_BENCH_DATABASE_URL="$url" CHISO_BENCH_KEY_FILE="$work/key" \
    cargo test --release -p chiso --test survey_crash --quiet -- \
    --ignored --exact prepare_bench_database >/dev/null
  local key
  key=$(cat "$work/key")
  RUST_LOG=warn CHISO_DATA_DIR="$work/data" CHISO_SURVEY_GROUP_COMMIT="$group" \
    target/release/chiso serve --bind 127.0.0.1:0 --database-url "$url" --no-demo \
    >"$work/server.log" 2>&1 &
  SERVER=$!
  local base=
  for _ in $(seq 1 600); do
    base=$(grep -o 'http://[0-9.:]*' "$work/server.log" | head -1 || true)
    [ -n "$base" ] && break
    sleep 0.1
  done
  [ -n "$base" ] || { echo "the server did not start" >&2; cat "$work/server.log" >&2; exit 1; }
  local result
  result=$(node bench/http-submit.mjs "$base" "$key" "$N" "$C" "$work/ids")
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=
  local ack stored missing
  ack=$(grep -c . "$work/ids" || true)
  stored=$(sqlite3 "$db" "SELECT COUNT(*) FROM responses")
  missing=$(comm -23 <(sort "$work/ids") <(sqlite3 "$db" "SELECT id FROM responses" | sort) | wc -l)
  echo "group $group: $result" >&2
  echo "group $group: acknowledged $ack, stored $stored, acknowledged but missing $missing" >&2
  if [ "$ack" != "$stored" ] || [ "$missing" != 0 ]; then
    echo "FAIL: the database does not hold exactly the acknowledged responses" >&2
    exit 1
  fi
  rm -rf "$work"
  echo "$result" | grep -o '"acknowledged_per_second":[0-9]*' | cut -d: -f2
}

echo "== $N submissions from $C clients, one transaction per submission (baseline)"
ONE=$(run 1)
echo "== $N submissions from $C clients, group commit (the default)"
GROUPED=$(run "${GROUP:-256}")
echo "OK: group commit $GROUPED acknowledged submissions/s; one transaction each $ONE/s; ratio $(awk -v a="$GROUPED" -v b="$ONE" 'BEGIN {printf "%.2f", a / b}')"
