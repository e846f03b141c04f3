#!/usr/bin/env bash
# tests/multi/multi.sh — two `bdhvs serve` processes (A and B) on one PostgreSQL database with
# nginx in front (scripts/lib/multi.sh, docker/nginx.conf) behave as one:
#   a. a user disabled through A is refused at once by B with a token issued before;
#   b. sign-in throttling counts wrong passwords sent to A and to B together;
#   c. an Idempotency-Key used on A replays on B (one write, one audit entry, one key), also when
#      the two are sent at once;
#   d. a rollup computed through A is served from the kept result through B, and a write through
#      B makes A compute it again;
#   e. nginx spreads requests over both, each process sees the client's own address (not nginx's,
#      not one a client claims), and nginx refuses ambiguous framing before any process sees it;
# then both processes and nginx exit 0 on SIGTERM and the processes leave no sanitizer report.
# Requests are sent directly to A's or B's port where it matters which process answers.
#
# Runs on a database of its own, made fresh in the test cluster, with the demo data. Prints
# "PASS name" / "FAIL name" lines; exits non-zero when something failed.
#
# Environment:
#   MULTI_BIN      the bdhvs binary (required)
#   MULTI_PG_PORT  port of a running private cluster whose postgres superuser is trusted (required)
#   MULTI_PORTS    five ports: nginx, A, B, A's ops listener, B's ops listener (required)
#   MULTI_DIR      folder for logs and files (required)
#   MULTI_DB       database to create (default bdhvs_multi; dropped first)
#   BDHVS_JWT_SECRET, BDHVS_MIGRATIONS_DIR, ASAN_OPTIONS...: passed to the processes as they are
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=../../scripts/lib/common.sh
. "$HERE/../../scripts/lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=../../scripts/lib/multi.sh
. "$HERE/../../scripts/lib/multi.sh"
# pass, fail, sql, crash_prepare_db, lock_hold, lock_release, wait_backend_blocked
# shellcheck source-path=SCRIPTDIR source=../crash/lib.sh
. "$HERE/../crash/lib.sh"

BIN=${MULTI_BIN:?}
PG_PORT=${MULTI_PG_PORT:?}
W=${MULTI_DIR:?}
DB=${MULTI_DB:-bdhvs_multi}
read -r NGX_PORT A_PORT B_PORT A_OPS B_OPS <<<"${MULTI_PORTS:?}"
[[ -n "${B_OPS:-}" ]] || {
  echo "MULTI_PORTS needs five ports" >&2
  exit 2
}
A="http://127.0.0.1:$A_PORT"
B="http://127.0.0.1:$B_PORT"
N="http://127.0.0.1:$NGX_PORT"
CLIENT=127.0.0.7 # the client's own loopback address when it goes through nginx
MAXTRY=4         # BDHVS_LOGIN_MAX_PER_USER of both processes
mkdir -p "$W"
crash_init "$W" "$PG_PORT" "$DB" "$A_PORT" "$BIN"
trap 'lock_release; multi_stop >/dev/null 2>&1 || true' EXIT

if ! crash_prepare_db >"$W/prepare.log" 2>&1; then
  tail -n 20 "$W/prepare.log"
  fail "multi: prepare database $DB"
  exit 1
fi
mapfile -t DBENV < <(db_env "$PG_PORT" "$DB")
export "${DBENV[@]}"
export BDHVS_DB_POOL=4 BDHVS_THREADS=4 BDHVS_LOGIN_MAX_PER_USER=$MAXTRY BDHVS_MAX_BODY=1048576
if multi_start "$W" "$BIN" "$NGX_PORT" "$A_PORT:$A_OPS $B_PORT:$B_OPS" 2>"$W/start.log"; then
  pass "multi: two processes (ports $A_PORT, $B_PORT) on one database and nginx (port $NGX_PORT) start"
else
  cat "$W/start.log"
  fail "multi: two processes and nginx start (see $W/start.log)"
  exit 1
fi

# req NAME METHOD URL [curl args...]: NAME.body and NAME.head in $W; prints the status.
req() {
  local name=$1 method=$2 url=$3
  shift 3
  curl -sS -m 120 -o "$W/$name.body" -D "$W/$name.head" -w '%{http_code}' -X "$method" "$url" "$@" \
    2>>"$W/curl.log" || true
}
# login_at BASE USER [PASSWORD]: prints an access token (nothing on failure).
login_at() {
  local body
  body=$(jq -cn --arg u "$2" --arg p "${3:-$BDHVS_DEMO_PASSWORD}" '{username: $u, password: $p}')
  curl -sS -m 60 -X POST "$1/api/v1/auth/login" -H 'Content-Type: application/json' -d "$body" \
    2>>"$W/curl.log" | jq -r '.access_token // empty' 2>/dev/null || true
}
replayed() { grep -qi '^idempotent-replayed: true' "$W/$1.head"; }
# counts: staff, audit entries, idempotency keys
counts() {
  sql -At -c "SELECT (SELECT count(*) FROM staff) || ' ' || (SELECT count(*) FROM audit_log) || ' ' ||
    (SELECT count(*) FROM idempotency_keys)"
}
# requests_seen OPS_PORT METHOD ROUTE STATUS: that process's bdhvs_http_requests_total for it.
requests_seen() {
  curl -fsS -m 10 "http://127.0.0.1:$1/metrics" 2>>"$W/curl.log" |
    awk -v k="bdhvs_http_requests_total{method=\"$2\",route=\"$3\",status=\"$4\"}" \
      '$1 == k { n = $2 } END { print n + 0 }'
}

ADMIN=$(login_at "$B" admin)
[[ -n "$ADMIN" ]] || {
  fail "multi: admin signs in through B"
  exit 1
}
UNIT=$(sql -At -c "SELECT code FROM units WHERE active AND code = 'TTYT-SD'")
ROOT=$(sql -At -c "SELECT id FROM units WHERE parent_id IS NULL ORDER BY id LIMIT 1")

# ---- a. a user disabled through A is refused at once by B ----------------------------------
REP=$(login_at "$A" sondong.reporter)
REP_ID=$(sql -At -c "SELECT id FROM users WHERE username = 'sondong.reporter'")
# Both processes have the account's rights in their caches before it is disabled.
s1=$(req a-me-b GET "$B/api/v1/me" -H "Authorization: Bearer $REP")
s2=$(req a-me-b2 GET "$B/api/v1/me" -H "Authorization: Bearer $REP")
s3=$(req a-me-a GET "$A/api/v1/me" -H "Authorization: Bearer $REP")
s4=$(req a-disable PATCH "$A/api/v1/users/$REP_ID" -H "Authorization: Bearer $ADMIN" \
  -H 'Content-Type: application/json' -d '{"active": false}')
s5=$(req a-me-b-after GET "$B/api/v1/me" -H "Authorization: Bearer $REP")
s6=$(req a-me-a-after GET "$A/api/v1/me" -H "Authorization: Bearer $REP")
# Both caches are on: each process's listener has its LISTEN session (else every request reads
# the database and this check would prove nothing).
listeners=$(sql -At -c "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
  AND query = 'LISTEN bdhvs_users'")
if [[ -n "$REP" && "$listeners" == 2 && "$s1 $s2 $s3 $s4 $s5 $s6" == "200 200 200 200 401 401" ]]; then
  pass "multi a: a user disabled through A (PATCH active=false) is refused at once by B with a token issued before (200 200 -> 401)"
else
  fail "multi a: disable through A, then B: statuses $s1 $s2 $s3, PATCH $s4, then B $s5 A $s6 (want 200 200 200 200 401 401); listeners $listeners (want 2)"
fi

# ---- b. sign-in throttling across processes -------------------------------------------------
got=()
for i in $(seq 1 "$MAXTRY"); do
  if ((i % 2)); then base=$A; else base=$B; fi
  got+=("$(req "b-wrong-$i" POST "$base/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d '{"username": "syt.viewer", "password": "not-the-password"}')")
done
t_a=$(req b-more-a POST "$A/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d '{"username": "syt.viewer", "password": "not-the-password"}')
t_b=$(req b-more-b POST "$B/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d '{"username": "syt.viewer", "password": "not-the-password"}')
t_ok=$(req b-right-b POST "$B/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d "$(jq -cn --arg p "$BDHVS_DEMO_PASSWORD" '{username: "syt.viewer", password: $p}')")
want=$(printf '401 %.0s' $(seq 1 "$MAXTRY"))
if [[ "${got[*]} " == "$want" && "$t_a $t_b $t_ok" == "429 429 429" ]] &&
  grep -qi '^retry-after: [1-9]' "$W/b-more-b.head"; then
  pass "multi b: $MAXTRY wrong passwords split over A and B count together: the next is 429 (Retry-After) on A and on B, even with the right password"
else
  fail "multi b: wrong passwords A/B alternately: ${got[*]}; then A $t_a, B $t_b, right password on B $t_ok (want ${want}then 429 429 429)"
fi

# ---- c. an Idempotency-Key used on A replays on B -------------------------------------------
csv() { # csv PREFIX N: N staff rows of unit $UNIT
  echo "code,full_name,unit_code,job_group,employment,joined_on"
  for i in $(seq 1 "$2"); do echo "$1-$i,Nhân viên $1 $i,$UNIT,nurse,contract,2021-03-0$i"; done
}
csv MP-C 3 >"$W/c.csv"
import() { # import NAME BASE KEY FILE
  req "$1" POST "$2/api/v1/staff/import" -H "Authorization: Bearer $ADMIN" -H 'Content-Type: text/csv' \
    -H "Idempotency-Key: $3" --data-binary "@$4"
}
before=$(counts)
c1=$(import c-a "$A" multi-key-1 "$W/c.csv")
mid=$(counts)
c2=$(import c-b "$B" multi-key-1 "$W/c.csv")
after=$(counts)
read -r s0 a0 k0 <<<"$before"
read -r s1 a1 k1 <<<"$after"
if [[ "$c1 $c2" == "200 200" && "$(jq -r .created "$W/c-a.body" 2>/dev/null)" == 3 ]] && ! replayed c-a && replayed c-b &&
  cmp -s "$W/c-a.body" "$W/c-b.body" && [[ "$mid" == "$after" && $((s1 - s0)) == 3 && $((a1 - a0)) == 1 && $((k1 - k0)) == 1 ]]; then
  pass "multi c: a load with an Idempotency-Key sent to A, then to B: B replays A's answer (3 rows, 1 audit entry, 1 key written once)"
else
  fail "multi c: A $c1, B $c2 (replayed: $(replayed c-b && echo yes || echo no)); counts $before -> $mid -> $after"
fi

# The same key sent to A and to B at once: A's load waits to audit (a SHARE lock on audit_log
# held here), B's waits for A's key; when the lock goes, one writes and the other replays.
csv MP-P 2 >"$W/p.csv"
before=$(counts)
lock_hold "LOCK TABLE audit_log IN SHARE MODE" || fail "multi c: could not lock audit_log"
import p-a "$A" multi-key-2 "$W/p.csv" >"$W/p-a.code" &
pa=$!
blocked_a=0 blocked_b=0
wait_backend_blocked 1 && blocked_a=1
import p-b "$B" multi-key-2 "$W/p.csv" >"$W/p-b.code" &
pb=$!
wait_backend_blocked 2 && blocked_b=1
note "at once: $(blocked_queries)"
lock_release
wait "$pa" || true
wait "$pb" || true
after=$(counts)
read -r s0 a0 k0 <<<"$before"
read -r s1 a1 k1 <<<"$after"
if ((blocked_a && blocked_b)) && [[ "$(cat "$W/p-a.code") $(cat "$W/p-b.code")" == "200 200" ]] &&
  ! replayed p-a && replayed p-b && cmp -s "$W/p-a.body" "$W/p-b.body" &&
  [[ $((s1 - s0)) == 2 && $((a1 - a0)) == 1 && $((k1 - k0)) == 1 ]]; then
  pass "multi c: the same Idempotency-Key sent to A and B at once writes once; B waits for A's key and replays its answer"
else
  fail "multi c: at once: blocked A=$blocked_a B=$blocked_b, A $(cat "$W/p-a.code") B $(cat "$W/p-b.code"); counts $before -> $after"
fi

# ---- d. kept rollups are shared -------------------------------------------------------------
ROLLUP="/api/v1/indicators/rollup?unit_id=$ROOT&period=$(date -u +%Y)&depth=1"
kept() { sql -At -c "SELECT count(*) || ' ' || coalesce(max(made_at)::text, '-') FROM rollup_results WHERE root = $ROOT"; }
k0=$(kept)
d1=$(req d-a GET "$A$ROLLUP" -H "Authorization: Bearer $ADMIN")
k1=$(kept)
d2=$(req d-b GET "$B$ROLLUP" -H "Authorization: Bearer $ADMIN")
k2=$(kept)
if [[ "$d1 $d2" == "200 200" && "$k0" == "0 -" && "$k1" == "1 "* && "$k2" == "$k1" ]] && cmp -s "$W/d-a.body" "$W/d-b.body"; then
  pass "multi d: a rollup computed through A is served to B from the kept result (same answer, the kept row not made again)"
else
  fail "multi d: rollup A $d1, B $d2; kept rows/made_at: before '$k0', after A '$k1', after B '$k2'; same answer: $(cmp -s "$W/d-a.body" "$W/d-b.body" && echo yes || echo no)"
fi
csv MP-D 1 >"$W/d.csv"
w=$(import d-write "$B" multi-key-3 "$W/d.csv")
d3=$(req d-a2 GET "$A$ROLLUP" -H "Authorization: Bearer $ADMIN")
k3=$(kept)
d4=$(req d-b2 GET "$B$ROLLUP" -H "Authorization: Bearer $ADMIN")
k4=$(kept)
staff_before=$(jq '.units[0].staff // .staff // empty' "$W/d-a.body" 2>/dev/null)
if [[ "$w $d3 $d4" == "200 200 200" && "$k3" == "1 "* && "$k3" != "$k2" && "$k4" == "$k3" ]] &&
  ! cmp -s "$W/d-a.body" "$W/d-a2.body" && cmp -s "$W/d-a2.body" "$W/d-b2.body"; then
  pass "multi d: a staff load through B makes A compute the rollup again (new answer), which B then serves from the kept result"
else
  fail "multi d: load through B $w, rollup A $d3, B $d4; kept '$k2' -> '$k3' -> '$k4'; answer changed: $(cmp -s "$W/d-a.body" "$W/d-a2.body" && echo no || echo yes) ($staff_before)"
fi

# ---- e. through nginx ----------------------------------------------------------------------
ma0=$(requests_seen "$A_OPS" GET /api/v1/me 200)
mb0=$(requests_seen "$B_OPS" GET /api/v1/me 200)
ok=0
for i in $(seq 1 20); do
  s=$(req e-me GET "$N/api/v1/me" --interface "$CLIENT" -H "Authorization: Bearer $ADMIN")
  [[ "$s" == 200 ]] && ok=$((ok + 1))
done
ma1=$(requests_seen "$A_OPS" GET /api/v1/me 200)
mb1=$(requests_seen "$B_OPS" GET /api/v1/me 200)
da=$((ma1 - ma0)) db=$((mb1 - mb0))
if ((ok == 20 && da > 0 && db > 0 && da + db == 20)); then
  pass "multi e: 20 requests through nginx are spread over both processes (their /metrics: A +$da, B +$db)"
else
  fail "multi e: 20 requests through nginx: $ok answered 200; /metrics A +$da, B +$db (want both > 0, sum 20)"
fi

# The client's address: a sign-in through nginx from $CLIENT claiming another address.
s=$(req e-login POST "$N/api/v1/auth/login" --interface "$CLIENT" -H 'X-Forwarded-For: 203.0.113.9' \
  -H 'Content-Type: application/json' \
  -d "$(jq -cn --arg p "$BDHVS_DEMO_PASSWORD" '{username: "syt.manager", password: $p}')")
rid=$(sed -n 's/^[Xx]-[Rr]equest-[Ii]d: *\([A-Za-z0-9._-]*\).*/\1/p' "$W/e-login.head")
addr=$(sql -At -c "SELECT after->>'address' FROM audit_log WHERE action = 'login' AND request_id = '$rid'")
logged=$(cat "$W"/server-*.log | jq -r --arg r "$rid" 'select(.msg == "request" and .request_id == $r) | .ip' 2>/dev/null || true)
if [[ "$s" == 200 && -n "$rid" && "$addr" == "$CLIENT" && "$logged" == "$CLIENT" ]]; then
  pass "multi e: through nginx the process sees the client's address $CLIENT (sign-in audit entry and request log), not nginx's nor the one the client claimed"
else
  fail "multi e: sign-in through nginx from $CLIENT: $s, audit address '$addr', request log ip '$logged' (request $rid)"
fi
s=$(req e-direct POST "$A/api/v1/auth/login" -H 'X-Forwarded-For: 203.0.113.9' -H 'Content-Type: application/json' \
  -d "$(jq -cn --arg p "$BDHVS_DEMO_PASSWORD" '{username: "syt.manager", password: $p}')")
rid=$(sed -n 's/^[Xx]-[Rr]equest-[Ii]d: *\([A-Za-z0-9._-]*\).*/\1/p' "$W/e-direct.head")
addr=$(sql -At -c "SELECT after->>'address' FROM audit_log WHERE action = 'login' AND request_id = '$rid'")
if [[ "$s" == 200 && "$addr" == 127.0.0.1 ]]; then
  pass "multi e: a client that reaches A directly cannot claim an address with X-Forwarded-For (audit address 127.0.0.1)"
else
  fail "multi e: direct sign-in with X-Forwarded-For: $s, audit address '$addr' (want 127.0.0.1)"
fi

# Framing the processes refuse (two Content-Length, Content-Length with Transfer-Encoding): nginx
# refuses it first, and no process sees the request.
before=$(($(requests_seen "$A_OPS" POST /api/v1/auth/login 401) + $(requests_seen "$B_OPS" POST /api/v1/auth/login 401)))
# raw NAME REQUEST: sends REQUEST as it is to nginx; NAME.raw holds the answer; prints its status line.
raw() {
  printf '%b' "$2" | timeout 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$NGX_PORT; cat >&3; cat <&3" >"$W/$1.raw" 2>/dev/null || true
  head -n 1 "$W/$1.raw" | tr -d '\r'
}
f1=$(raw e-two-cl 'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}')
f2=$(raw e-cl-te 'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n')
after=$(($(requests_seen "$A_OPS" POST /api/v1/auth/login 401) + $(requests_seen "$B_OPS" POST /api/v1/auth/login 401)))
big=$(head -c 1100000 /dev/zero | tr '\0' 'x' | curl -sS -m 60 -o "$W/e-big.body" -w '%{http_code}' -X POST \
  "$N/api/v1/staff/import" -H "Authorization: Bearer $ADMIN" -H 'Content-Type: text/csv' --data-binary @- 2>>"$W/curl.log" || true)
metrics=$(req e-metrics GET "$N/metrics")
if [[ "$f1" == "HTTP/1.1 400 Bad Request" && "$f2" == "HTTP/1.1 400 Bad Request" && "$before" == "$after" &&
  "$metrics" == 404 &&
  "$(grep -c 'urn:bdhvs:problem:bad-request' "$W/e-two-cl.raw" "$W/e-cl-te.raw" | cut -d: -f2 | tr '\n' ' ')" == "1 1 " &&
  "$big" == 413 ]] && jq -e '.status == 413 and (.request_id | length > 0)' "$W/e-big.body" >/dev/null 2>&1; then
  pass "multi e: nginx refuses two Content-Length and Content-Length with Transfer-Encoding (400) before any process, and a body over BDHVS_MAX_BODY with a problem document (413); /metrics is not served through it"
else
  fail "multi e: framing through nginx: '$f1', '$f2' (process counters $before -> $after); body over the limit $big; /metrics $metrics"
fi

# ---- stop -----------------------------------------------------------------------------------
if multi_stop; then
  pass "multi: nginx and both processes exit 0 on SIGTERM"
else
  fail "multi: stopping: $MULTI_STOP_REPORT"
fi
found=0
for f in "$W"/asan-server-*; do
  [[ -e "$f" ]] || continue
  found=1
  cat "$f"
done
if grep -qE 'ERROR: AddressSanitizer|runtime error:|LeakSanitizer' "$W"/server-*.log; then
  found=1
  grep -nE -A 20 'ERROR: AddressSanitizer|runtime error:|LeakSanitizer' "$W"/server-*.log | head -n 60
fi
if ((found)); then
  fail "multi: sanitizer reports from the processes (above)"
else
  pass "multi: no sanitizer report from either process"
fi
crash_summary
