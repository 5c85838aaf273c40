#!/usr/bin/env bash
# Load test of a realistic mix of requests against one `chiso serve` with the demo data, on
# loopback only, for each backend in turn (a fresh SQLite file, a scratch PostgreSQL database):
# C concurrent connections (200) for D seconds (10), each request drawn at random from the mix
# below (bench/mixed.lua, one connection per wrk thread so that every answer is checked
# against the class that asked for it). The baseline of the same run is `/healthz` alone at
# the same connection count for HD seconds (5; wrk runs C threads then too, so that both
# runs share the machine with the same load generator). Prints, per backend, throughput, p50/p95/p99
# latency and errors (non-2xx/3xx, socket) of the mix and of the baseline as a Markdown table
# for the README, then per class: requests, expected answers, stale autosaves, wrong answers,
# latency and the status codes seen (a redirect shows where it went).
#
# The mix, as shares of requests (MIX="dash sheet save survey kiosk", default "40 20 10 20 10"):
#   40 dash    dashboards and rankings read by the viewer `xemketqua`: home, campaigns, an open
#              campaign's progress, units, national indices and their overview, the published
#              campaign's results and overview (links found by crawling once). Most traffic of
#              a results system is people looking at results.
#   20 sheet   a unit editor's scoresheet page /tu-danh-gia/{sheet} (127 kB, the heaviest page
#              an editor opens, reloaded while filling in).
#   10 save    the sheet's autosave, an htmx POST of one leaf's explanation with the version the
#              previous answer carried (as bench/autosave.mjs and the page do). Editors are
#              `nhaplieu` and EDITORS-1 (15) bench accounts on other units with a draft sheet;
#              the threads of one editor take disjoint leaves, so a stale refusal (409) means a
#              real race; it is counted apart and the stored version adopted.
#   20 survey  public survey submissions through the unit's short link /ks/{slug} (no login,
#              the per-address limit lifted: every connection comes from 127.0.0.1). In the
#              weeks a wave is open, citizens' answers are the one write that scales with the
#              province's population.
#   10 kiosk   kiosk submissions POST /api/v1/responses (JSON, Authorization: Bearer KEY) from
#              KIOSKS (4) device keys made on the open wave's units.
#
#   bench/mixed-load.sh                          # SQLite then PostgreSQL, C=200 D=10
#   C=20 D=3 BACKENDS=sqlite bench/mixed-load.sh
#   BIN=path/to/chiso bench/mixed-load.sh        # default target/release/chiso, else target/debug/chiso
#
# Never builds: a debug binary is said so in the output (its numbers are not representative).
# Needs wrk (with LuaJIT, Debian's), curl, perl, sqlite3 (and psql for PostgreSQL, PG below,
# trust auth). Not part of `cargo test`. Bounded: per backend HD + D seconds of load plus the
# preparation. Work files go to bench/out (gitignored); the tables are also kept in
# bench/out/mixed-load-*.md.
set -euo pipefail
cd "$(dirname "$0")/.."

C=${C:-200}
D=${D:-10}
HD=${HD:-$((D < 5 ? D : 5))}
BACKENDS=${BACKENDS:-sqlite postgres}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
MIX=${MIX:-40 20 10 20 10}
EDITORS=${EDITORS:-16}
VIEWERS=${VIEWERS:-4}
KIOSKS=${KIOSKS:-4}
PASSWORD=chiso-demo-2026
BENCH_PASSWORD=Bench-mixed-2026

command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
for tool in curl perl; do command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 1; }; done
if [ -z "${BIN:-}" ]; then
  if [ -x target/release/chiso ]; then BIN=target/release/chiso; else BIN=target/debug/chiso; fi
fi
[ -x "$BIN" ] || { echo "no chiso binary at $BIN (build one, or set BIN)" >&2; exit 1; }
case "$BIN" in
  */release/*) build="release build" ;;
  */debug/*) build="DEBUG build: the numbers are not representative" ;;
  *) build="build of $BIN (release or debug unknown)" ;;
esac

# wrk's sockets and event loops and the script's answer files: about 3 descriptors a connection.
files=$((3 * C + 64))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$files" ]; then
  ulimit -n "$files" 2>/dev/null || { echo "C=$C needs $files open files (ulimit -n)" >&2; exit 1; }
fi

mkdir -p bench/out
results="$PWD/$(mktemp -d bench/out/mixed.XXXXXX)"
trap 'rm -rf "$results"' EXIT
# The server's limits for one address (all connections come from 127.0.0.1).
export CHISO_SURVEY_SUBMISSIONS_PER_MINUTE=1000000 CHISO_IP_FAILURES_PER_15_MINUTES=1000000

# ---------------------------------------------------------------------------------------------
# Helpers (inside a backend's run: base, work)

# A session: USER PASSWORD JAR; fails unless the login redirects away from the login page.
login() {
  local user=$1 password=$2 jar=$3 csrf answer
  csrf=$(curl -s -c "$jar" "$base/dang-nhap" | csrf_in)
  answer=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -b "$jar" -c "$jar" \
    --data-urlencode "_csrf=$csrf" --data-urlencode "username=$user" \
    --data-urlencode "password=$password" "$base/dang-nhap")
  case "$answer" in
    "303 "*dang-nhap* | "303 "*doi-mat-khau*) echo "login of $user answered $answer" >&2; return 1 ;;
    "303 "*) ;;
    *) echo "login of $user answered $answer" >&2; return 1 ;;
  esac
}

# A cookie jar as a Cookie header.
cookie_of() {
  sed 's/^#HttpOnly_//' "$1" | awk '!/^#/ && NF >= 7 { printf "%s%s=%s", sep, $6, $7; sep="; " }'
}

# Sorted unique paths of the links in standard input matching the extended regex $1.
links() { grep -oE "href=\"$1\"" | sed 's/^href="//; s/"$//' | sort -u; }

# The first match of the Perl regex $1's group in standard input (read whole: no broken pipe).
first() { perl -0777 -ne 'print $1 if /'"$1"'/'; }
csrf_in() { first 'name="_csrf" value="([^"]*)"'; }

# The autosave forms of sheet $1 in the page on standard input: LEAF:VERSION,LEAF:VERSION…
leaf_versions() {
  perl -0777 -ne 'my @f; while (/<form class="autosave self-form"[^>]*action="\/tu-danh-gia\/'"$1"'\/tieu-chi\/(\d+)"[\s\S]*?name="version" value="(\d*)"/g) { push @f, "$1:$2" } print join(",", @f)'
}

# Status of GET $1 with cookie $2.
status_of() { curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $2" "$base$1"; }

# ---------------------------------------------------------------------------------------------
# One backend: a fresh database and server, the sessions, keys and links the mix needs, checked
# once each by curl; then the /healthz baseline and the mix. Writes the rows to $results.
run_backend() {
  DB=$1
  work="$PWD/$(mktemp -d "bench/out/mixed-$DB.XXXXXX")"
  # shellcheck source=bench/lib.sh
  . bench/lib.sh
  bench_database
  echo "== $DB: starting chiso ($build)" >&2
  bench_serve
  local config="$work/mixed.conf"
  : >"$config"

  # Dashboards and rankings, as the viewer.
  local viewer_cookies=() i
  for i in $(seq 1 "$VIEWERS"); do
    login xemketqua "$PASSWORD" "$work/viewer$i.jar"
    viewer_cookies+=("$(cookie_of "$work/viewer$i.jar")")
  done
  local viewer=${viewer_cookies[0]}
  local campaigns pages=("/" "/dot-danh-gia" "/don-vi" "/chi-so-quoc-gia" "/chi-so-quoc-gia/tong-quan")
  campaigns=$(curl -s -H "Cookie: $viewer" "$base/dot-danh-gia" | links '/dot-danh-gia/[0-9]+') ||
    { echo "no campaign linked from /dot-danh-gia" >&2; exit 1; }
  mapfile -t -O "${#pages[@]}" pages < <(
    { for c in $campaigns; do curl -s -H "Cookie: $viewer" "$base$c"; done
      curl -s -H "Cookie: $viewer" "$base/"; } | links '/dot-danh-gia/[0-9]+/(tien-do|ket-qua|tong-quan)')
  grep -q '/ket-qua$' < <(printf '%s\n' "${pages[@]}") || echo "note: no published campaign's results page found" >&2
  local page status
  for page in "${pages[@]}"; do
    status=$(status_of "$page" "$viewer")
    [ "$status" = 200 ] || { echo "$page answers $status to the viewer before the load" >&2; exit 1; }
    printf 'page\t%s\n' "$page" >>"$config"
  done
  for i in "${viewer_cookies[@]}"; do printf 'viewer\t%s\n' "$i" >>"$config"; done

  # Unit editors: nhaplieu and bench accounts on other units with a draft sheet in the open
  # campaign (created as bench/autosave.sh does).
  local units editors=(nhaplieu) code n=0
  mapfile -t units < <(query "SELECT u.code FROM campaign_units cu JOIN org_units u ON u.id = cu.unit_id \
    JOIN campaigns c ON c.id = cu.campaign_id LEFT JOIN sheets s ON s.campaign_id = c.id AND s.unit_id = u.id \
    WHERE c.state = 'open' AND (s.id IS NULL OR s.status = 'draft') AND u.id NOT IN (SELECT r.unit_id \
    FROM role_assignments r JOIN users us ON us.id = r.user_id WHERE us.username = 'nhaplieu' \
    AND r.unit_id IS NOT NULL) ORDER BY u.code LIMIT $((EDITORS - 1))")
  [ "${#units[@]}" -ge $((EDITORS - 1)) ] || { echo "only ${#units[@]} other units with a draft sheet" >&2; exit 1; }
  for code in "${units[@]}"; do
    printf '%s\n' "$BENCH_PASSWORD" | CHISO_DATABASE_URL="$URL" "$BIN" user create --username "mixed$n" \
      --full-name "Biên tập tải thử $n" --role unit_editor --unit "$code" --password-stdin >/dev/null
    editors+=("mixed$n")
    n=$((n + 1))
  done
  query "UPDATE users SET must_change_password = FALSE WHERE username LIKE 'mixed%'" >/dev/null
  local user jar cookie sheet found html token answer lead
  for user in "${editors[@]}"; do
    jar="$work/$user.jar"
    if [ "$user" = nhaplieu ]; then login "$user" "$PASSWORD" "$jar"; else login "$user" "$BENCH_PASSWORD" "$jar"; fi
    cookie=$(cookie_of "$jar")
    # The editor's draft sheet: the first of its sheets whose page has autosave forms.
    found=
    for sheet in $(curl -s -H "Cookie: $cookie" "$base/tu-danh-gia" | links '/tu-danh-gia/[0-9]+' | sed 's|.*/||'); do
      html=$(curl -s -H "Cookie: $cookie" "$base/tu-danh-gia/$sheet")
      if [ -n "$(leaf_versions "$sheet" <<<"$html")" ]; then found=$sheet; break; fi
    done
    [ -n "$found" ] || { echo "$user has no sheet with autosave forms" >&2; exit 1; }
    token=$(csrf_in <<<"$html")
    # One autosave before the load (a write, version 1 → 2…), then the leaves as they are.
    lead=$(leaf_versions "$found" <<<"$html" | cut -d, -f1)
    answer=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" -H 'hx-request: true' \
      -H "x-csrf-token: $token" --data-urlencode "version=${lead#*:}" \
      --data-urlencode "explanation=Kiểm tra trước khi tải" "$base/tu-danh-gia/$found/tieu-chi/${lead%%:*}")
    [ "$answer" = 200 ] || { echo "$user: an autosave answered $answer before the load" >&2; exit 1; }
    html=$(curl -s -H "Cookie: $cookie" "$base/tu-danh-gia/$found")
    printf 'editor\t%s\t%s\t%s\t%s\n' "$cookie" "$token" "$found" "$(leaf_versions "$found" <<<"$html")" >>"$config"
  done

  # Public form and kiosk keys on the open survey wave, found as the secretariat.
  login thuongtruc "$PASSWORD" "$work/secretariat.jar"
  local secretariat wave= w unit_pages slugs=() slug
  secretariat=$(cookie_of "$work/secretariat.jar")
  for w in $(curl -s -H "Cookie: $secretariat" "$base/khao-sat" | links '/khao-sat/dot/[0-9]+'); do
    html=$(curl -s -H "Cookie: $secretariat" "$base$w")
    if grep -q "action=\"$w/dong\"" <<<"$html"; then wave=$w; break; fi
  done
  [ -n "$wave" ] || { echo "no open survey wave in the demo data" >&2; exit 1; }
  mapfile -t unit_pages < <(curl -s -H "Cookie: $secretariat" "$base$wave" | links "$wave/don-vi/[0-9]+")
  local keys=() unit key
  for unit in "${unit_pages[@]}"; do
    html=$(curl -s -H "Cookie: $secretariat" "$base$unit")
    slug=$(first '\/ks\/([a-z0-9]+)' <<<"$html")
    [ -n "$slug" ] && slugs+=("$slug")
    if [ "${#keys[@]}" -lt "$KIOSKS" ]; then
      key=$(curl -s -H "Cookie: $secretariat" --data-urlencode "_csrf=$(csrf_in <<<"$html")" \
        --data-urlencode "name=Máy tải thử" --data-urlencode "this_wave=1" "$base$unit/thiet-bi" |
        first 'id="device-key">([^<]*)')
      [ -n "$key" ] || { echo "no device key made on $unit" >&2; exit 1; }
      keys+=("$key")
    fi
  done
  [ "${#slugs[@]}" -gt 0 ] || { echo "no public form link on $wave" >&2; exit 1; }
  # The form's pre-login CSRF cookie and token, and its required questions.
  html=$(curl -s -c "$work/visitor.jar" "$base/ks/${slugs[0]}")
  local visitor questions items body
  visitor=$(cookie_of "$work/visitor.jar")
  token=$(csrf_in <<<"$html")
  mapfile -t questions < <(grep -oE '<input type="radio" name="[a-z0-9_]+" value="1" required' <<<"$html" |
    sed 's/.*name="//; s/".*//' | awk '!seen[$0]++')
  [ "${#questions[@]}" -gt 0 ] || { echo "no required question on /ks/${slugs[0]}" >&2; exit 1; }
  body="_csrf=$token"
  for q in "${questions[@]}"; do body="$body&$q=4"; done
  answer=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -H "Cookie: $visitor" --data "$body" "$base/ks/${slugs[0]}")
  case "$answer" in "303 "*/ks/cam-on) ;; *) echo "a public submission answered $answer before the load" >&2; exit 1 ;; esac
  # The kiosk answers the questionnaire's items: the form's questions but the overall one.
  mapfile -t items < <(printf '%s\n' "${questions[@]}" | grep -v '^overall$')
  body=$(printf '"%s":4,' "${items[@]}")
  answer=$(curl -s -w ' %{http_code}' -H "Authorization: Bearer ${keys[0]}" -H 'Content-Type: application/json' \
    --data "{\"respondent_id\":\"mx-check\",\"channel\":\"kiosk\",\"answers\":{${body%,}}}" "$base/api/v1/responses")
  case "$answer" in *'"status":"accepted"'*' 201') ;; *) echo "a kiosk submission answered $answer before the load" >&2; exit 1 ;; esac

  for slug in "${slugs[@]}"; do printf 'survey\t%s\n' "$slug" >>"$config"; done
  printf 'surveycsrf\t%s\t%s\n' "$visitor" "$token" >>"$config"
  for q in "${questions[@]}"; do printf 'question\t%s\n' "$q" >>"$config"; done
  for q in "${items[@]}"; do printf 'item\t%s\n' "$q" >>"$config"; done
  for key in "${keys[@]}"; do printf 'kiosk\t%s\n' "$key" >>"$config"; done
  local weights=($MIX) class k=0
  for class in dash sheet save survey kiosk; do printf 'weight\t%s\t%s\n' "$class" "${weights[$k]:-0}" >>"$config"; k=$((k + 1)); done
  printf 'threads\t%s\n' "$C" >>"$config"
  echo "== $DB: ${#pages[@]} pages, $VIEWERS viewer sessions, ${#editors[@]} editors, ${#slugs[@]} public forms, ${#keys[@]} kiosk keys; all answered before the load" >&2

  # The baseline, then the mix: one connection per wrk thread (see bench/mixed.lua).
  local out base_line mix_line label
  echo "== $DB: /healthz alone, $C connections, $HD s" >&2
  out=$(wrk -t"$C" -c"$C" -d"${HD}s" --timeout 5s -s bench/mixed.lua "$base/healthz")
  base_line=$(grep '^MIXED-TOTAL' <<<"$out")
  echo "== $DB: the mix ($MIX), $C connections, $D s" >&2
  mkdir "$work/answers"
  local stored
  stored=$(query "SELECT COUNT(*) FROM responses")
  out=$(MIXED_OUT="$work/answers" MIXED_CONFIG="$config" wrk -t"$C" -c"$C" -d"${D}s" --timeout 5s -s bench/mixed.lua "$base/")
  mix_line=$(grep '^MIXED-TOTAL' <<<"$out")
  [ -n "$mix_line" ] && [ -n "$base_line" ] || { echo "wrk printed no summary:" >&2; echo "$out" >&2; exit 1; }
  # Each answer: class, status (and where a redirect went), ok|stale|wrong, microseconds.
  cat "$work"/answers/*.tsv >"$work/answers.tsv"
  local stale
  stale=$(awk -F'\t' '$1 == "save" && $3 == "stale"' "$work/answers.tsv" | wc -l)
  if [ "$DB" = postgres ]; then label=PostgreSQL; else label=SQLite; fi
  # | Backend | Load | req/s | p50 | p95 | p99 | errors (non-2xx/3xx, socket) | stale 409 |
  awk -F'\t' -v b="$label" -v stale="$stale" '$1 == "MIXED-TOTAL" {
    printf "| %s | mix | %.0f | %.1f | %.1f | %.1f | %d, %d | %d |\n", b, $2 / $3, $4, $5, $6, $7 - stale, $8, stale }' \
    <<<"$mix_line" >>"$results/rows"
  awk -F'\t' -v b="$label" '$1 == "MIXED-TOTAL" {
    printf "| %s | `/healthz` alone | %.0f | %.1f | %.1f | %.1f | %d, %d | – |\n", b, $2 / $3, $4, $5, $6, $7, $8 }' \
    <<<"$base_line" >>"$results/rows"
  # | Backend | Class | share | requests | expected | stale 409 | wrong | p50 | p95 | p99 | statuses |
  local total class wrong=0
  total=$(wc -l <"$work/answers.tsv")
  for class in dash sheet save survey kiosk; do
    awk -F'\t' -v c="$class" '$1 == c' "$work/answers.tsv" | sort -t$'\t' -k4,4n | awk -F'\t' \
      -v b="$label" -v c="$class" -v total="$total" '
      { n++; lat[n] = $4 / 1000; outcome[$3]++; status[$2]++ }
      function at(q,  i) { i = int(q * n + 0.999999); if (i < 1) i = 1; return n ? lat[i] : 0 }
      END {
        words = ""
        for (s in status) words = words (words == "" ? "" : ", ") s ": " status[s]
        printf "| %s | %s | %.0f %% | %d | %d | %d | %d | %.1f | %.1f | %.1f | %s |\n", b, c,
          total ? 100 * n / total : 0, n, outcome["ok"], outcome["stale"], outcome["wrong"],
          at(0.50), at(0.95), at(0.99), words
      }' >>"$results/classes"
  done
  wrong=$(awk -F'\t' '$3 == "wrong"' "$work/answers.tsv" | wc -l)
  [ "$wrong" = 0 ] || echo "== $DB: $wrong answers were not the expected ones (see the statuses)" >&2
  # | Backend | Page | requests | p50 | p95 | p99 | (the dashboards one by one)
  awk -F'\t' '$1 == "dash"' "$work/answers.tsv" | sort -t$'\t' -k5,5 -k4,4n | awk -F'\t' -v b="$label" '
    function row(  i) { printf "| %s | `%s` | %d | %.1f | %.1f | %.1f |\n", b, page, n,
      lat[int(0.50 * n + 0.999999)], lat[int(0.95 * n + 0.999999)], lat[int(0.99 * n + 0.999999)] }
    $5 != page { if (n) row(); page = $5; n = 0 }
    { lat[++n] = $4 / 1000 }
    END { if (n) row() }' >>"$results/pages"
  # Every acknowledged submission (303 to the thanks page, 201 accepted) is in the database.
  local acknowledged
  acknowledged=$(awk -F'\t' '($1 == "survey" || $1 == "kiosk") && $3 == "ok"' "$work/answers.tsv" | wc -l)
  # (plus those in flight when wrk stopped: sent, answered after wrk had closed the connection)
  sleep 1
  stored=$(( $(query "SELECT COUNT(*) FROM responses") - stored ))
  echo "== $DB: submissions acknowledged during the mix $acknowledged, stored $stored (the rest were in flight at the end)" >&2
  if [ "$stored" -lt "$acknowledged" ] || [ "$stored" -gt $((acknowledged + C)) ]; then
    echo "== $DB: WARNING: stored submissions are not the acknowledged ones plus at most $C in flight" >&2
  fi
  # The server's warnings and errors (RUST_LOG=warn), without colours and times.
  sed 's/\x1b\[[0-9;]*m//g' "$work/server.log" | grep -E ' (WARN|ERROR) |panicked' | sed 's/^[0-9T:.Z-]* *//' \
    >"$work/problems" || true
  if [ -s "$work/problems" ]; then
    echo "== $DB: the server logged $(wc -l <"$work/problems") warnings or errors, the most frequent:" >&2
    cut -c1-200 "$work/problems" | sort | uniq -c | sort -rn | awk 'NR <= 5' >&2
  fi
}

for backend in $BACKENDS; do
  ( run_backend "$backend" )
done

{
  echo "Mixed load: $C connections, ${D} s of the mix (${HD} s of /healthz alone), mix \"$MIX\" (dash sheet save survey kiosk),"
  echo "one wrk thread per connection, $(nproc) cores, $build."
  echo
  echo "| Backend | Load | req/s | p50 ms | p95 ms | p99 ms | errors (non-2xx/3xx, socket) | stale autosaves (409) |"
  echo "|---|---|---|---|---|---|---|---|"
  cat "$results/rows"
  echo
  echo "| Backend | Class | share | requests | expected | stale 409 | wrong | p50 ms | p95 ms | p99 ms | statuses |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  cat "$results/classes"
  echo
  echo "| Backend | Dashboard page | requests | p50 ms | p95 ms | p99 ms |"
  echo "|---|---|---|---|---|---|"
  cat "$results/pages"
} | tee "bench/out/mixed-load-$(date +%Y%m%d-%H%M%S).md"
