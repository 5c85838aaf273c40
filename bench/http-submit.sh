#!/usr/bin/env bash
# Benchmark of issue 5, HTTP submissions: N kiosk responses through POST /api/v1/responses
# from C concurrent clients on loopback against a release `chiso serve` on a fresh SQLite
# database; every 201 means the response is committed (durable). Reports acknowledged/s and
# checks that the database holds exactly the acknowledged responses (count and ids).
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
WORK="$PWD/$(mktemp -d bench/out/http-submit.XXXXXX)"
DB="$WORK/chiso.db"
URL="sqlite://$DB"
trap 'if [ -n "${SERVER:-}" ]; then kill "$SERVER" 2>/dev/null || true; fi' EXIT

echo "== preparing $DB (a wave on kiosk-2025, one unit, one device key)"
CHISO_BENCH_DATABASE_URL="$URL" CHISO_BENCH_KEY_FILE="$WORK/key" \
  cargo test --release -p chiso --test survey_crash --quiet -- \
  --ignored --exact prepare_bench_database >/dev/null
KEY=$(cat "$WORK/key")

echo "== starting chiso serve"
RUST_LOG=warn CHISO_DATA_DIR="$WORK/data" target/release/chiso serve --bind 127.0.0.1:0 \
  --database-url "$URL" --no-demo >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 600); do
  BASE=$(grep -o 'http://[0-9.:]*' "$WORK/server.log" | head -1 || true)
  [ -n "$BASE" ] && break
  sleep 0.1
done
[ -n "$BASE" ] || { echo "the server did not start"; cat "$WORK/server.log"; exit 1; }

echo "== $N submissions from $C clients to $BASE"
RESULT=$(node bench/http-submit.mjs "$BASE" "$KEY" "$N" "$C" "$WORK/ids")
echo "$RESULT"
kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=

ACK=$(grep -c . "$WORK/ids" || true)
STORED=$(sqlite3 "$DB" "SELECT COUNT(*) FROM responses")
sqlite3 "$DB" "SELECT id FROM responses ORDER BY id" >"$WORK/stored-ids"
sort -n "$WORK/ids" >"$WORK/ack-sorted"
MISSING=$(comm -23 <(sort "$WORK/ack-sorted") <(sort "$WORK/stored-ids") | wc -l)
echo "acknowledged: $ACK, stored: $STORED, acknowledged but missing: $MISSING"
if [ "$ACK" != "$STORED" ] || [ "$MISSING" != 0 ]; then
  echo "FAIL: the database does not hold exactly the acknowledged responses"
  exit 1
fi
echo "OK: $(echo "$RESULT" | grep -o '"acknowledged_per_second":[0-9]*' | cut -d: -f2) acknowledged submissions/s"
rm -rf "$WORK"
