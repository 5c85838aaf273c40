# Shared pieces of the HTTP benchmarks (sourced, not run): a fresh database on the chosen
# backend and a `chiso serve` on loopback with the demo data, stopped and removed on exit.
#
# After `bench_database` the caller has URL and `query SQL`; after `bench_serve`, `base`.
# Uses DB (sqlite|postgres), PG, BIN and the work folder `work`.

bench_cleanup() {
  if [ -n "${SERVER:-}" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  if [ "$DB" = postgres ] && [ -n "${PGNAME:-}" ]; then psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $PGNAME" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}

# A fresh database: URL, and `query` to read it.
bench_database() {
  SERVER=
  trap bench_cleanup EXIT
  if [ "$DB" = postgres ]; then
    PGNAME="chiso_bench_$$"
    psql -q "$PG/postgres" -c "CREATE DATABASE $PGNAME" >/dev/null
    URL="$PG/$PGNAME"
    query() { psql -qAt "$URL" -c "$1"; }
  else
    URL="sqlite://$work/chiso.db"
    query() { sqlite3 "$work/chiso.db" "$1"; }
  fi
}

# `chiso serve` on 127.0.0.1 with the demo data: SERVER (its pid) and base (its address).
bench_serve() {
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
}

# wrk's latency line ("99%  12.34ms") in milliseconds.
ms() {
  awk -v p="$1" '$1 == p {
    v = $2; unit = v; gsub(/[0-9.]/, "", unit); sub(/[a-z]+$/, "", v);
    if (unit == "us") v /= 1000; else if (unit == "s") v *= 1000; else if (unit == "m") v *= 60000;
    printf "%.1f", v }'
}

# One markdown row of a wrk run on PATH with the extra wrk arguments after it: throughput,
# p50/p90/p99 and errors (non-2xx, socket). Uses THREADS, C, D and base.
wrk_row() {
  local path=$1; shift
  local out rps non2xx socket
  out=$(wrk -t"$THREADS" -c"$C" -d"${D}s" --timeout 5s --latency "$@" "$base$path")
  rps=$(echo "$out" | awk '/Requests\/sec/ {printf "%.0f", $2}')
  non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
  socket=$(echo "$out" | awk '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10}')
  printf '| `%s` | %s | %s | %s | %s | %s, %s |\n' "$path" "$rps" \
    "$(echo "$out" | ms 50%)" "$(echo "$out" | ms 90%)" "$(echo "$out" | ms 99%)" \
    "${non2xx:-0}" "${socket:-0}"
}
