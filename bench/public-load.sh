#!/usr/bin/env bash
# Load test of the public results pages (no login): C concurrent anonymous readers (200) for
# D seconds (10) each on the list of published campaigns, a campaign's ranking and a unit's
# page, against a release `chiso serve` with the demo data (last year's campaign is published)
# on loopback only, asking for gzip as browsers do. The baseline of the same run is `/healthz` under the same load. Reports
# throughput, p50/p90/p99 latency and errors per page (wrk --latency).
#
#   bench/public-load.sh                     # SQLite
#   DB=postgres bench/public-load.sh         # a fresh database on $PG (127.0.0.1:5432)
#   BIN=path/to/chiso bench/public-load.sh   # a binary already built
#
# Needs wrk (Debian package), sqlite3 (and psql for PostgreSQL). Not part of `cargo test`.
# Bounded: 4 pages × D seconds. Work files go to bench/out (gitignored).
set -euo pipefail
cd "$(dirname "$0")/.."

C=${C:-200}
D=${D:-10}
THREADS=${THREADS:-2}
DB=${DB:-sqlite}
PG=${PG:-postgres://postgres@127.0.0.1:5432}

command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
mkdir -p bench/out
if [ -z "${BIN:-}" ]; then
  echo "== building chiso (release)" >&2
  cargo build --release -p chiso --quiet
  BIN=target/release/chiso
fi

work="$PWD/$(mktemp -d bench/out/public.XXXXXX)"
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_database
bench_serve

campaign=$(query "SELECT id FROM campaigns WHERE state = 'published' ORDER BY id LIMIT 1")
[ -n "$campaign" ] || { echo "no published campaign in the demo data" >&2; exit 1; }
unit=$(query "SELECT unit_id FROM campaign_units WHERE campaign_id = $campaign ORDER BY unit_id LIMIT 1")

pages=("/healthz" "/cong-khai" "/cong-khai/$campaign" "/cong-khai/$campaign/don-vi/$unit")
for page in "${pages[@]}"; do
  status=$(curl -s -o /dev/null -w '%{http_code}' "$base$page")
  [ "$status" = 200 ] || { echo "$page answers $status before the load" >&2; exit 1; }
done


echo "backend: $DB, $C connections, ${D} s per page, $THREADS wrk threads, $(nproc) cores"
echo
echo "| Page | req/s | p50 ms | p90 ms | p99 ms | errors (non-2xx, socket) |"
echo "|---|---|---|---|---|---|"
for page in "${pages[@]}"; do
  wrk_row "$page" -H "Accept-Encoding: gzip"
done
