#!/usr/bin/env bash
# Load test of the staff's survey results page (`/khao-sat/dot/1/ket-qua`, the demo's SIPAS
# wave with a few thousand responses) for a signed-in viewer: C concurrent connections (200)
# for D seconds (10), against a release `chiso serve` with the demo data on loopback only. The
# baseline of the same run is `/healthz` under the same load. Reports throughput, p50/p90/p99
# latency and errors (wrk --latency).
#
#   bench/survey-results-load.sh                 # SQLite
#   DB=postgres bench/survey-results-load.sh     # a fresh database on $PG (127.0.0.1:5432)
#   BIN=path/to/chiso bench/survey-results-load.sh
#
# Needs wrk and curl (and psql for PostgreSQL). Not part of `cargo test`. Bounded: 2 pages ×
# D seconds. Work files go to bench/out (gitignored).
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

work="$PWD/$(mktemp -d bench/out/survey-results.XXXXXX)"
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_database
bench_serve

# Sign in as the demo viewer; wrk sends the session's cookies.
jar="$work/cookies"
csrf=$(curl -s -c "$jar" "$base/dang-nhap" | grep -o 'name="_csrf" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//')
status=$(curl -s -o /dev/null -w '%{http_code}' -b "$jar" -c "$jar" \
  --data-urlencode "_csrf=$csrf" --data-urlencode "username=xemketqua" \
  --data-urlencode "password=chiso-demo-2026" "$base/dang-nhap")
[ "$status" = 303 ] || { echo "login answered $status" >&2; exit 1; }
cookie=$(sed 's/^#HttpOnly_//' "$jar" | awk '!/^#/ && NF >= 7 { printf "%s%s=%s", sep, $6, $7; sep="; " }')

page=/khao-sat/dot/1/ket-qua
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "$base$page")
[ "$status" = 200 ] || { echo "$page answers $status before the load" >&2; exit 1; }


echo "backend: $DB, $C connections, ${D} s per page, $THREADS wrk threads, $(nproc) cores"
echo
echo "| Page | req/s | p50 ms | p90 ms | p99 ms | errors (non-2xx, socket) |"
echo "|---|---|---|---|---|---|"
for path in /healthz "$page"; do
  wrk_row "$path" -H "Cookie: $cookie" -H "Accept-Encoding: gzip"
done
