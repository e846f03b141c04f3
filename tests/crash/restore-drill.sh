#!/usr/bin/env bash
# tests/crash/restore-drill.sh — the restore drill of docs/operations.md, for real: a database with
# the demo data and some loads; scripts/backup; more writes after it; scripts/restore into a NEW
# private cluster; a second server on the restored database. Its figures (rows of staff,
# completions, reports, users, migrations and the audit log, compared by content, and the
# province's indicator rollup over the API) must be those of the backup's moment, not of later.
# The restored service must also take writes: the load made after the backup, sent again with
# its Idempotency-Key, is applied (its key was lost with it), not replayed.
#
# Prints "PASS name" / "FAIL name" lines and the measured figures; exits non-zero on a failure.
#
# Environment:
#   CRASH_BIN         the bdhvs binary (required)
#   CRASH_PG_PORT     port of the running test cluster (required); the source database is made there
#   CRASH_API_PORT    port of the server on the source database (required)
#   CRASH_API_PORT2   port of the server on the restored database (required)
#   CRASH_RESTORE_PORT  port of the new cluster the backup is restored into (required)
#   CRASH_DIR         folder for logs, backups and files (required)
#   CRASH_DB          source database (default bdhvs_drill; dropped first)
#   CRASH_CLUSTER     name of the new cluster (default drill, in var/pg/; removed before and after)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
# shellcheck source-path=SCRIPTDIR source=../../scripts/lib/common.sh
. "$ROOT/scripts/lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

BIN=${CRASH_BIN:?}
PG_PORT=${CRASH_PG_PORT:?}
API_PORT=${CRASH_API_PORT:?}
API_PORT2=${CRASH_API_PORT2:?}
R_PORT=${CRASH_RESTORE_PORT:?}
W=${CRASH_DIR:?}
DB=${CRASH_DB:-bdhvs_drill}
CLUSTER=${CRASH_CLUSTER:-drill}
R_DB=bdhvs
mkdir -p "$W"
crash_init "$W" "$PG_PORT" "$DB" "$API_PORT" "$BIN"

drop_cluster() {
  pg_cluster_stop "$CLUSTER" >/dev/null 2>&1 || true
  rm -rf "$(pg_cluster_dir "$CLUSTER")"
}
SPID2=""
cleanup() {
  crash_cleanup
  if [[ -n "$SPID2" ]] && kill -0 "$SPID2" 2>/dev/null; then
    kill -KILL "$SPID2" 2>/dev/null || true
    wait "$SPID2" 2>/dev/null || true
  fi
  drop_cluster
}
trap cleanup EXIT

if ! crash_prepare_db >"$W/prepare.log" 2>&1; then
  tail -n 20 "$W/prepare.log"
  fail "restore drill: prepare database $DB"
  exit 1
fi
server_start || {
  fail "restore drill: server starts on the source database"
  exit 1
}
TOKEN=$(login admin) || {
  fail "restore drill: admin signs in"
  exit 1
}
API="http://127.0.0.1:$API_PORT"
SYT=$(sql -At -c "SELECT id FROM units WHERE code = 'SYT-BN'")
COURSE=$(sql -At -c "SELECT code FROM courses ORDER BY code LIMIT 1")
mapfile -t UNITS < <(sql -At -c "SELECT code FROM units WHERE active AND type = 'commune_station' ORDER BY code")

# load PREFIX N KEY: N new staff (codes PREFIX-i) and a completion for each, through the API.
load() {
  local prefix=$1 n=$2 key=$3 i code
  {
    echo "code,full_name,unit_code,job_group,employment,joined_on"
    for ((i = 1; i <= n; i++)); do
      echo "$prefix-$i,Diễn tập $prefix $i,${UNITS[i % ${#UNITS[@]}]},nurse,contract,2021-03-0$((1 + i % 9))"
    done
  } >"$W/$prefix-staff.csv"
  {
    echo "staff_code,course_code,completed_on"
    for ((i = 1; i <= n; i++)); do echo "$prefix-$i,$COURSE,2026-0$((7 + i % 3))-1$((i % 10))"; done
  } >"$W/$prefix-completions.csv"
  code=$(post_csv "$W/$prefix-staff.csv" "$key" "$W/$prefix-staff")
  [[ "$code" == 200 ]] || return 1
  code=$(curl -sS -m 120 -o "$W/$prefix-completions.body" -w '%{http_code}' -X POST "$API/api/v1/completions/import" \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: text/csv' --data-binary "@$W/$prefix-completions.csv")
  [[ "$code" == 200 ]]
}

# approve_one: approves the first submitted report (as admin).
approve_one() {
  local unit period
  # a unit with no children: a parent's report waits for its children's approvals (issue 10 §2)
  read -r _ unit period < <(sql -At -F ' ' -c "SELECT id, unit_id, period FROM reports WHERE status = 'submitted'
    AND NOT EXISTS (SELECT 1 FROM units k WHERE k.parent_id = reports.unit_id) ORDER BY id LIMIT 1")
  [[ "$(curl -sS -m 60 -o /dev/null -w '%{http_code}' -X POST "$API/api/v1/reports/$unit/$period/approve" \
    -H "Authorization: Bearer $TOKEN")" == 200 ]]
}

# db_figures PSQL_FN: one line per table, its rows and a digest of its content.
db_figures() {
  "$1" -At -F ' ' -c "
    SELECT 'staff', count(*), md5(string_agg(s::text, '|' ORDER BY s.id)) FROM staff s
    UNION ALL SELECT 'completions', count(*), md5(string_agg(c::text, '|' ORDER BY c.id)) FROM completions c
    UNION ALL SELECT 'reports', count(*), md5(string_agg(r::text, '|' ORDER BY r.id)) FROM reports r
    UNION ALL SELECT 'users', count(*), md5(string_agg(u::text, '|' ORDER BY u.id)) FROM users u
    UNION ALL SELECT 'schema_migrations', count(*), md5(string_agg(m::text, '|' ORDER BY m.version)) FROM schema_migrations m
    UNION ALL SELECT 'audit_log', count(*), md5(string_agg(a::text, '|' ORDER BY a.id)) FROM audit_log a
    UNION ALL SELECT 'idempotency_keys', count(*), md5(string_agg(k::text, '|' ORDER BY k.user_id, k.endpoint, k.key))
      FROM idempotency_keys k"
}
# api_figures API_BASE TOKEN: digests of the province's rollup and reporting status.
api_figures() {
  local base=$1 tok=$2
  printf 'rollup '
  curl -fsS -m 120 "$base/api/v1/indicators/rollup?unit_id=$SYT&period=2026Q3&depth=1" \
    -H "Authorization: Bearer $tok" | jq -cS . | md5sum | cut -d' ' -f1
  printf 'status '
  curl -fsS -m 60 "$base/api/v1/reporting-status?unit_id=$SYT&period=2026-10" \
    -H "Authorization: Bearer $tok" | jq -cS . | md5sum | cut -d' ' -f1
}
sql_restored() {
  env PGOPTIONS='-c client_min_messages=warning' "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 \
    -h 127.0.0.1 -p "$R_PORT" -U postgres -d "$R_DB" "$@"
}

# ---- before the backup ----
if load DRILL-A 60 drill-a && approve_one; then
  pass "restore drill: writes before the backup (60 staff, 60 completions, an approval)"
else
  fail "restore drill: writes before the backup"
fi
{ db_figures sql && api_figures "$API" "$TOKEN"; } >"$W/figures-backup.txt"

# ---- the backup ----
t0=$(date +%s.%N)
if DUMP=$("$ROOT/scripts/backup" --port "$PG_PORT" --db "$DB" --dir "$W/backups" --keep 3 2>"$W/backup.log"); then
  t1=$(date +%s.%N)
  BACKUP_SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
  BACKUP_SIZE=$(stat -c %s "$DUMP")
  mode=$(stat -c %a "$DUMP")
  if [[ "$mode" == 600 && -s "$DUMP.sha256" ]]; then
    pass "restore drill: scripts/backup wrote $(basename "$DUMP") (mode 600, with its checksum)"
  else
    fail "restore drill: backup mode $mode or no checksum file"
  fi
else
  cat "$W/backup.log"
  fail "restore drill: scripts/backup failed"
  exit 1
fi

# ---- after the backup: more writes that the restore must not have ----
if load DRILL-B 40 drill-b && approve_one; then
  { db_figures sql && api_figures "$API" "$TOKEN"; } >"$W/figures-later.txt"
  same=""
  for f in staff completions reports audit_log idempotency_keys rollup; do
    [[ "$(grep "^$f " "$W/figures-backup.txt")" != "$(grep "^$f " "$W/figures-later.txt")" ]] || same+=" $f"
  done
  if [[ -z "$same" ]]; then
    pass "restore drill: writes after the backup (40 staff, 40 completions, an approval) change staff, completions, reports, audit, keys and the rollup"
  else
    fail "restore drill: the writes after the backup left these figures unchanged:$same"
  fi
else
  fail "restore drill: writes after the backup"
fi
server_stop_clean || fail "restore drill: the source server exits 0 on SIGTERM"

# ---- restore into a new cluster, serve it ----
drop_cluster
t0=$(date +%s.%N)
# The port is in the kernel's ephemeral range, so a client socket of this very run can hold it
# for a moment: when the new cluster cannot bind, try the next free port (three times at most).
restored=0
for attempt in 1 2 3; do
  if "$ROOT/scripts/restore" --cluster "$CLUSTER" --port "$R_PORT" --db "$R_DB" --fsync off "$DUMP" \
    >"$W/restore.log" 2>&1; then
    restored=1
    break
  fi
  grep -q 'Address already in use' "$W/restore.log" "$ROOT/var/pg/$CLUSTER/log" 2>/dev/null || break
  drop_cluster
  R_PORT=$((R_PORT + 1))
  while (exec 3<>"/dev/tcp/127.0.0.1/$R_PORT") 2>/dev/null; do R_PORT=$((R_PORT + 1)); done
  echo "restore drill: the port was taken; trying $R_PORT (attempt $((attempt + 1)))" >&2
done
if ((restored)); then
  t1=$(date +%s.%N)
  RESTORE_SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
  pass "restore drill: scripts/restore into a new cluster '$CLUSTER' on port $R_PORT"
else
  tail -n 20 "$W/restore.log"
  fail "restore drill: scripts/restore failed (see $W/restore.log)"
  exit 1
fi
# A second restore over it is refused unless --replace.
if "$ROOT/scripts/restore" --cluster "$CLUSTER" --port "$R_PORT" --db "$R_DB" "$DUMP" >"$W/restore-again.log" 2>&1; then
  fail "restore drill: a restore over a database with tables was not refused"
else
  pass "restore drill: restoring over a database that has tables is refused without --replace"
fi

# shellcheck disable=SC2034 # read by the functions of lib.sh
CR_API_PORT=$API_PORT2 CR_API="http://127.0.0.1:$API_PORT2"
# shellcheck disable=SC2034 # read by the functions of lib.sh
CR_DB=$R_DB CR_PG_PORT=$R_PORT
if server_start "$R_PORT" "$R_DB"; then
  pass "restore drill: the server starts on the restored database and is ready (migrations current)"
else
  fail "restore drill: the server does not start on the restored database"
  exit 1
fi
# The tables first: signing in writes (the user's last sign-in, perhaps an audit entry).
db_figures sql_restored >"$W/figures-restored.txt" || true
TOKEN2=$(login admin) || fail "restore drill: admin signs in on the restored service"
api_figures "$CR_API" "$TOKEN2" >>"$W/figures-restored.txt" || true
if cmp -s "$W/figures-backup.txt" "$W/figures-restored.txt"; then
  pass "restore drill: the restored figures are the backup's (staff, completions, reports, users, migrations, audit, keys, rollup, reporting status)"
else
  diff "$W/figures-backup.txt" "$W/figures-restored.txt" | head -n 20 || true
  fail "restore drill: the restored figures differ from the backup's"
fi
# The load made after the backup is not there; sent again with its key it is applied once.
TOKEN=$TOKEN2
API=$CR_API
code=$(post_csv "$W/DRILL-B-staff.csv" drill-b "$W/drill-b-again")
if [[ "$code" == 200 && "$(jq -r .created "$W/drill-b-again.body")" == 40 ]] &&
  ! grep -qi '^idempotent-replayed' "$W/drill-b-again.head"; then
  pass "restore drill: the restored service takes writes (the lost load, sent again with its key, creates its 40 staff)"
else
  fail "restore drill: the lost load sent again answered $code: $(head -c 300 "$W/drill-b-again.body")"
fi
server_stop_clean || fail "restore drill: the restored server exits 0 on SIGTERM"
sanitizer_clean "restore drill"

printf 'FIGURE backup %s s, %s bytes (%s); restore into a new cluster %s s\n' "$BACKUP_SECS" "$BACKUP_SIZE" \
  "$(numfmt --to=iec "$BACKUP_SIZE")" "${RESTORE_SECS:-?}"
crash_summary
