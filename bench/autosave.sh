#!/usr/bin/env bash
# Benchmark of the scoresheet's autosave: E unit editors (16 by default), each on its own
# unit's sheet, autosave one leaf after another at once against a release `chiso serve` with
# the demo data on loopback; reports the latency of a save at p50 and p99 (the client is
# bench/autosave.mjs, no packages). Bounded: S saves per editor (100) and LIMIT seconds (120).
#
#   bench/autosave.sh                        # the working tree, SQLite
#   DB=postgres bench/autosave.sh            # a fresh database on $PG (127.0.0.1:5432)
#   REV=462fd0b bench/autosave.sh            # another revision, built from `git archive`
#   BIN=path/to/chiso bench/autosave.sh      # a binary already built
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
if [ -n "${BIN:-}" ]; then
  echo "== using $BIN" >&2
elif [ -n "$REV" ]; then
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
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_database
bench_serve

# One editor per unit with a draft sheet in the open campaign.
# (a unit's sheet is created at its people's first visit when the campaign did not make it).
mapfile -t units < <(query "SELECT u.code FROM campaign_units cu JOIN org_units u ON u.id = cu.unit_id \
  JOIN campaigns c ON c.id = cu.campaign_id LEFT JOIN sheets s ON s.campaign_id = c.id AND s.unit_id = u.id \
  WHERE c.state = 'open' AND (s.id IS NULL OR s.status = 'draft') ORDER BY u.code LIMIT $E")
[ "${#units[@]}" -ge "$E" ] || { echo "only ${#units[@]} units with a draft sheet in the open campaign" >&2; exit 1; }
users=()
for i in $(seq 0 $((E - 1))); do
  name="bench$i"
  printf '%s\n' "$PASSWORD" | CHISO_DATABASE_URL="$URL" "$BIN" user create --username "$name" \
    --full-name "Biên tập $i" --role unit_editor --unit "${units[$i]}" --password-stdin >/dev/null
  users+=("$name")
done
# Bench accounts skip the first-login password change.
query "UPDATE users SET must_change_password = FALSE WHERE username LIKE 'bench%'" >/dev/null

echo "== $E editors, $S autosaves each, $DB, ${BIN:-${REV:-working tree}}" >&2
node bench/autosave.mjs "$base" "$PASSWORD" "$S" "$LIMIT" "${users[@]}"
