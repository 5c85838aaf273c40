#!/usr/bin/env bash
# Benchmark of the scoresheet's autosave: E unit editors (16 by default), each on its own
# unit's sheet, autosave one leaf after another at once against a release `chiso serve` with
# the demo data on loopback; reports the latency of a save at p50 and p99 (the client is
# bench/autosave.mjs, no packages). Bounded: S saves per editor (100) and LIMIT seconds (120).
#
#   bench/autosave.sh                        # the working tree, SQLite
#   DB=postgres bench/autosave.sh            # a fresh database on $PG (127.0.0.1:5432)
#   REV=462fd0b bench/autosave.sh            # another revision, built from `git archive`
#
# Needs node, sqlite3 (and psql for PostgreSQL). Not part of `cargo test`. Work files go to
# bench/out (gitignored).
set -euo pipefail
cd "$(dirname "$0")/.."

E=${E:-16}
S=${S:-100}
LIMIT=${LIMIT:-120}
DB=${DB:-sqlite}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
REV=${REV:-}
PASSWORD='Bench-autosave-2026'

mkdir -p bench/out
if [ -n "$REV" ]; then
  src="bench/out/src-$REV"
  rm -rf "$src" && mkdir -p "$src"
  git archive "$REV" | tar -x -C "$src"
  echo "== building chiso at $REV (release)" >&2
  (cd "$src" && CARGO_TARGET_DIR="$PWD/../../../target" cargo build --release -p chiso --quiet)
  cp target/release/chiso "bench/out/chiso-$REV"
  BIN="bench/out/chiso-$REV"
else
  echo "== building chiso (release)" >&2
  cargo build --release -p chiso --quiet
  BIN=target/release/chiso
fi

work="$PWD/$(mktemp -d bench/out/autosave.XXXXXX)"
SERVER=
cleanup() {
  if [ -n "${SERVER:-}" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  if [ "$DB" = postgres ] && [ -n "${PGNAME:-}" ]; then psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $PGNAME" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

if [ "$DB" = postgres ]; then
  PGNAME="chiso_bench_$$"
  psql -q "$PG/postgres" -c "CREATE DATABASE $PGNAME" >/dev/null
  URL="$PG/$PGNAME"
  query() { psql -qAt "$URL" -c "$1"; }
else
  URL="sqlite://$work/chiso.db"
  query() { sqlite3 "$work/chiso.db" "$1"; }
fi

RUST_LOG=warn CHISO_DATA_DIR="$work/data" "$BIN" serve --bind 127.0.0.1:0 --database-url "$URL" \
  >"$work/server.log" 2>&1 &
SERVER=$!
base=
for _ in $(seq 1 1200); do
  base=$(grep -o 'http://[0-9.:]*' "$work/server.log" | head -1 || true)
  [ -n "$base" ] && break
  sleep 0.1
done
[ -n "$base" ] || { echo "the server did not start" >&2; cat "$work/server.log" >&2; exit 1; }

# One editor per unit with a draft sheet in the open campaign.
mapfile -t units < <(query "SELECT u.code FROM sheets s JOIN org_units u ON u.id = s.unit_id \
  JOIN campaigns c ON c.id = s.campaign_id WHERE c.state = 'open' AND s.status = 'draft' ORDER BY u.code LIMIT $E")
[ "${#units[@]}" -ge "$E" ] || { echo "only ${#units[@]} draft sheets in the open campaign" >&2; exit 1; }
users=()
for i in $(seq 0 $((E - 1))); do
  name="bench$i"
  printf '%s\n' "$PASSWORD" | CHISO_DATABASE_URL="$URL" "$BIN" user create --username "$name" \
    --full-name "Biên tập $i" --role unit_editor --unit "${units[$i]}" --password-stdin >/dev/null
  users+=("$name")
done

echo "== $E editors, $S autosaves each, $DB, $( [ -n "$REV" ] && echo "$REV" || echo "working tree")" >&2
node bench/autosave.mjs "$base" "$PASSWORD" "$S" "$LIMIT" "${users[@]}"
