#!/usr/bin/env bash
# tests/crash/kill9.sh — kill -9 of the server in the middle of a bulk load and in the middle of a
# report approval; after a restart nothing of the killed request is in the database (rows, audit,
# idempotency keys), the retry with the same Idempotency-Key succeeds once and a second retry
# replays the same answer without writing again. Also: two loads sent at once with one key write
# once and give one answer; and a SIGTERM under keep-alive readers stops the server promptly.
#
# Each kill is deterministic: a psql session holds a table lock that the server's transaction
# needs, the script waits until pg_stat_activity shows the server's backend waiting for it (so
# the request is inside its transaction, with its writes made but not committed), then sends
# SIGKILL to the server, then lets the lock go.
#
# It runs its own server (the ASan build) on a database of its own that it creates in the test
# cluster. Prints "PASS name" / "FAIL name" lines; exits non-zero when something failed.
#
# Environment:
#   CRASH_BIN        the bdhvs binary (required)
#   CRASH_PG_PORT    port of a running private cluster whose postgres superuser is trusted (required)
#   CRASH_API_PORT   port for this test's server (required)
#   CRASH_DIR        folder for logs and files (required)
#   CRASH_DB         database to create (default bdhvs_crash; dropped first)
#   CRASH_ROWS       rows of the big load (default 100000)
#   BDHVS_JWT_SECRET, BDHVS_MIGRATIONS_DIR, ASAN_OPTIONS...: passed to the server as they are
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=../../scripts/lib/common.sh
. "$HERE/../../scripts/lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

BIN=${CRASH_BIN:?}
PG_PORT=${CRASH_PG_PORT:?}
API_PORT=${CRASH_API_PORT:?}
W=${CRASH_DIR:?}
DB=${CRASH_DB:-bdhvs_crash}
ROWS=${CRASH_ROWS:-100000}
API="http://127.0.0.1:$API_PORT"
mkdir -p "$W"
crash_init "$W" "$PG_PORT" "$DB" "$API_PORT" "$BIN"
trap crash_cleanup EXIT

# ---- a fresh database with the demo data, and the server ----
if ! crash_prepare_db >"$W/prepare.log" 2>&1; then
  tail -n 20 "$W/prepare.log"
  fail "kill9: prepare database $DB"
  exit 1
fi
server_start || {
  fail "kill9: server starts on $API"
  exit 1
}
TOKEN=$(login admin) || {
  fail "kill9: admin signs in"
  exit 1
}

# The big load: $ROWS new staff spread over every active unit.
CSV="$W/staff-$ROWS.csv"
sql -At -c "SELECT code FROM units WHERE active ORDER BY code" >"$W/units.txt"
awk -v n="$ROWS" 'BEGIN { srand(17) }
  { u[NR] = $0 }
  END {
    print "code,full_name,unit_code,job_group,employment,joined_on"
    for (i = 1; i <= n; i++)
      printf "K9-%06d,Nhân viên thử %d,%s,%s,%s,20%02d-%02d-%02d\n", i, i, u[(i % NR) + 1],
        (i % 2 ? "nurse" : "doctor"), (i % 3 ? "contract" : "public_employee"), 10 + i % 15, 1 + i % 12, 1 + i % 28
  }' "$W/units.txt" >"$CSV"
KEY="kill9-load-$(date +%s)"

# counts: staff, audit entries, idempotency keys, staff of this load
counts() {
  sql -At -c "SELECT (SELECT count(*) FROM staff) || ' ' || (SELECT count(*) FROM audit_log) || ' ' ||
    (SELECT count(*) FROM idempotency_keys) || ' ' || (SELECT count(*) FROM staff WHERE code LIKE 'K9-%')"
}

# kill_load NAME TABLE: the big load blocked on a SHARE lock of TABLE, killed, checked.
kill_load() {
  local name=$1 table=$2 before after
  before=$(counts)
  lock_hold "LOCK TABLE $table IN SHARE MODE"
  post_csv "$CSV" "$KEY" "$W/load-$name" >/dev/null &
  local curl_pid=$!
  if ! wait_backend_blocked 1; then
    fail "kill9 load ($name): the load never waited for the lock on $table"
    lock_release
    wait "$curl_pid" || true
    return
  fi
  note "load ($name) blocked: $(blocked_queries)"
  server_kill9
  lock_release
  wait "$curl_pid" || true
  wait_old_backends_gone
  after=$(counts)
  if [[ "$before" == "$after" ]]; then
    pass "kill9 load ($name): nothing of the killed load is stored (staff, audit, keys: $after)"
  else
    fail "kill9 load ($name): counts before '$before', after '$after'"
  fi
  server_start || fail "kill9 load ($name): server restarts"
}

# 1. killed while the merge waits to write the staff rows (rows read, staged and checked).
kill_load merge staff
# 2. killed at the last step: rows merged and audited, the key being stored, not committed.
kill_load key-store idempotency_keys

# 3. the retry with the same key succeeds once; a second retry replays it.
before=$(counts)
code=$(post_csv "$CSV" "$KEY" "$W/retry1")
created=$(jq -r .created "$W/retry1.body" 2>/dev/null || echo "")
after=$(counts)
read -r s0 a0 k0 _ <<<"$before"
read -r s1 a1 k1 l1 <<<"$after"
if [[ "$code" == 200 && "$created" == "$ROWS" && "$l1" == "$ROWS" && $((s1 - s0)) == "$ROWS" &&
  $((a1 - a0)) == 1 && $((k1 - k0)) == 1 ]] && ! grep -qi '^idempotent-replayed' "$W/retry1.head"; then
  pass "kill9 load: the retry with the same Idempotency-Key writes the $ROWS rows once (one audit entry, one key)"
else
  fail "kill9 load: retry answered $code created=$created; counts '$before' -> '$after'"
fi
code=$(post_csv "$CSV" "$KEY" "$W/retry2")
again=$(counts)
if [[ "$code" == 200 ]] && cmp -s "$W/retry1.body" "$W/retry2.body" &&
  grep -qi '^idempotent-replayed: true' "$W/retry2.head" && [[ "$again" == "$after" ]]; then
  pass "kill9 load: a second retry replays the same answer and writes nothing"
else
  fail "kill9 load: second retry answered $code; counts '$after' -> '$again'"
fi

# 4. two loads with one key at once: the first waits to audit (SHARE lock on audit_log), the
# second is sent meanwhile and must wait for the first, then replay its answer.
SMALL="$W/small.csv"
{
  echo "code,full_name,unit_code,job_group,employment,joined_on"
  for i in 1 2 3; do echo "K9-PAR-$i,Song song $i,$(head -n 1 "$W/units.txt"),nurse,contract,2020-01-0$i"; done
} >"$SMALL"
PKEY="kill9-parallel-$(date +%s)"
before=$(counts)
lock_hold "LOCK TABLE audit_log IN SHARE MODE"
post_csv "$SMALL" "$PKEY" "$W/par-a" >"$W/par-a.code" &
pa=$!
if wait_backend_blocked 1; then
  post_csv "$SMALL" "$PKEY" "$W/par-b" >"$W/par-b.code" &
  pb=$!
  if wait_backend_blocked 2; then
    note "parallel loads blocked: $(blocked_queries)"
  else
    note "the second load did not block (it answered: $(cat "$W/par-b.code" 2>/dev/null))"
  fi
  lock_release
  wait "$pa" || true
  wait "$pb" || true
  after=$(counts)
  read -r s0 a0 k0 _ <<<"$before"
  read -r s1 a1 k1 _ <<<"$after"
  ca=$(cat "$W/par-a.code") cb=$(cat "$W/par-b.code")
  if [[ "$ca" == 200 && "$cb" == 200 ]] && cmp -s "$W/par-a.body" "$W/par-b.body" &&
    grep -qi '^idempotent-replayed: true' "$W/par-b.head" &&
    ((s1 - s0 == 3 && a1 - a0 == 1 && k1 - k0 == 1)); then
    pass "kill9: two loads sent at once with one Idempotency-Key write once; the second replays the first's answer"
  else
    fail "kill9: parallel loads with one key answered $ca and $cb ($(head -c 300 "$W/par-b.body")); counts '$before' -> '$after'"
  fi
else
  lock_release
  wait "$pa" || true
  fail "kill9: the first parallel load never waited for the audit lock"
fi

# 5. a load whose key cannot be stored (the statement storing it is cancelled, as a timeout or an
# operator would) is rolled back and must say so: 503, never the 200 it had prepared.
CKEY="kill9-cancel-$(date +%s)"
sed 's/K9-PAR-/K9-CAN-/' "$SMALL" >"$W/cancel.csv"
before=$(counts)
lock_hold "LOCK TABLE idempotency_keys IN SHARE MODE"
post_csv "$W/cancel.csv" "$CKEY" "$W/cancel" >"$W/cancel.code" &
cp=$!
if wait_backend_blocked 1; then
  sql -At -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE datname = current_database()
    AND application_name = 'bdhvs' AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO idempotency_keys%'" >/dev/null
  wait "$cp" || true
  lock_release
  after=$(counts)
  cc=$(cat "$W/cancel.code")
  if [[ "$cc" == 503 && "$after" == "$before" ]]; then
    pass "kill9: a load whose Idempotency-Key cannot be stored is rolled back and answers 503"
  else
    fail "kill9: a load whose key could not be stored answered $cc; counts '$before' -> '$after'"
  fi
  code=$(post_csv "$W/cancel.csv" "$CKEY" "$W/cancel-retry")
  again=$(counts)
  read -r s0 a0 k0 _ <<<"$after"
  read -r s1 a1 k1 _ <<<"$again"
  if [[ "$code" == 200 ]] && ((s1 - s0 == 3 && a1 - a0 == 1 && k1 - k0 == 1)); then
    pass "kill9: its retry with the same key then writes once"
  else
    fail "kill9: the retry after the refused key answered $code; counts '$after' -> '$again'"
  fi
else
  lock_release
  wait "$cp" || true
  fail "kill9: the load never waited to store its key"
fi

# 6. a report approval killed after its UPDATE, while its audit entry waits for a lock.
# (a unit with no children: a parent's report waits for its children's approvals, issue 10 §2)
read -r RID UNIT PERIOD < <(sql -At -F ' ' -c "SELECT id, unit_id, period FROM reports WHERE status = 'submitted'
  AND NOT EXISTS (SELECT 1 FROM units k WHERE k.parent_id = reports.unit_id) ORDER BY id LIMIT 1")
approvals() {
  sql -At -c "SELECT r.status || ' ' || (r.approved_at IS NOT NULL) || ' ' ||
    (SELECT count(*) FROM audit_log a WHERE a.entity = 'report' AND a.entity_id = '$RID' AND a.action = 'approved')
    || ' ' || (SELECT count(*) FROM audit_log) || ' ' || (SELECT count(*) FROM idempotency_keys)
    FROM reports r WHERE r.id = $RID"
}
before=$(approvals)
lock_hold "LOCK TABLE audit_log IN SHARE MODE"
AKEY="kill9-approve-$(date +%s)"
approve() { curl -sS -m 120 -o "$1.body" -D "$1.head" -w '%{http_code}' -X POST \
  "$API/api/v1/reports/$UNIT/$PERIOD/approve" -H "Authorization: Bearer $TOKEN" \
  ${2:+-H "Idempotency-Key: $2"} 2>>"$W/curl.log" || true; }
approve "$W/approve0" "$AKEY" >/dev/null &
ap=$!
if wait_backend_blocked 1; then
  note "approval blocked: $(blocked_queries)"
  mid=$(sql -At -c "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
    WHERE a.datname = current_database() AND a.application_name = 'bdhvs' AND l.locktype = 'transactionid'
    AND l.mode = 'ExclusiveLock' AND l.granted")
  server_kill9
  lock_release
  wait "$ap" || true
  wait_old_backends_gone
  after=$(approvals)
  if [[ "$before" == "submitted false 0 "* && "$after" == "$before" && "$mid" -ge 1 ]]; then
    pass "kill9 approval: killed mid-transaction (report updated, audit pending), nothing is stored (report, audit, key: $after)"
  else
    fail "kill9 approval: before '$before', after '$after' (transactions holding an id when killed: $mid)"
  fi
  server_start || fail "kill9 approval: server restarts"
  c1=$(approve "$W/approve1" "$AKEY")
  after=$(approvals)
  read -r _ _ _ total0 keys0 <<<"$before"
  if [[ "$c1" == 200 && "$(jq -r .status "$W/approve1.body")" == approved &&
    "$after" == "approved true 1 $((total0 + 1)) $((keys0 + 1))" ]] &&
    ! grep -qi '^idempotent-replayed' "$W/approve1.head"; then
    pass "kill9 approval: the retry with the same Idempotency-Key approves once (one audit entry, one key)"
  else
    fail "kill9 approval: the retry answered $c1; state '$after'"
  fi
  c2=$(approve "$W/approve2" "$AKEY")
  c3=$(approve "$W/approve3")
  again=$(approvals)
  if [[ "$c2" == 200 && "$c3" == 409 && "$again" == "$after" ]] && cmp -s "$W/approve1.body" "$W/approve2.body" &&
    grep -qi '^idempotent-replayed: true' "$W/approve2.head"; then
    pass "kill9 approval: a second retry with the key replays the same answer, without it is a 409; neither writes"
  else
    fail "kill9 approval: second retry answered $c2, one without the key $c3; state '$after' -> '$again'"
  fi
else
  lock_release
  wait "$ap" || true
  fail "kill9 approval: the approval never waited for the audit lock"
fi

# The last server stops cleanly, promptly, while 8 keep-alive clients keep reading (each curl
# sends its URLs one after another on one connection): once stopping, every answer carries
# Connection: close, so the clients leave instead of holding the stop for its 30 s grace period.
# Every request answered is answered whole (200, or 503 once the workers have stopped); the rest
# find the port closed (000).
uid=$(sql -At -c "SELECT id FROM units WHERE code = 'SYT-BN'")
# 20,000 reads each (curl's config file: a url and an output per read), more than the 30 s grace
# period would see through: without the closing answers the stop waits the grace out.
for _ in $(seq 1 20000); do printf 'url = "%s"\noutput = "/dev/null"\n' "$CR_API/api/v1/units/$uid"; done >"$W/keepalive.curl"
cpids=()
for k in 1 2 3 4 5 6 7 8; do
  curl -s -w '%{http_code}\n' -H "Authorization: Bearer $TOKEN" -K "$W/keepalive.curl" >"$W/keepalive-$k.codes" 2>/dev/null &
  cpids+=($!)
done
sleep 2
t0=$(date +%s%N)
stop_rc=0
server_stop_clean || stop_rc=$?
stop_ms=$((($(date +%s%N) - t0) / 1000000))
for p in "${cpids[@]}"; do wait "$p" || true; done
codes=$(cat "$W"/keepalive-*.codes | sort | uniq -c | awk '{printf "%s:%s ", $2, $1}')
if ((stop_rc == 0 && stop_ms < 10000)) && ! grep -qhv '^\(200\|000\|503\)$' "$W"/keepalive-*.codes &&
  grep -qh '^200$' "$W"/keepalive-*.codes; then
  pass "SIGTERM under 8 keep-alive readers: the server exits 0 in ${stop_ms} ms; answers ${codes% }"
else
  fail "SIGTERM under 8 keep-alive readers: exit status $stop_rc after ${stop_ms} ms; answers ${codes% }"
fi
sanitizer_clean "kill9"
crash_summary
