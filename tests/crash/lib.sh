# shellcheck shell=bash
# Helpers of tests/crash/*.sh (source it after scripts/lib/common.sh): one server of ours, psql as
# the superuser, a lock held from a psql session, PASS/FAIL lines.

CR_FAILED=0
CR_PASSED=0
CR_SPID=""
CR_LOCK_PID=""
CR_LOCK_FD=""
CR_OLD_BACKENDS=""

pass() {
  CR_PASSED=$((CR_PASSED + 1))
  printf 'PASS %s\n' "$*"
}
fail() {
  CR_FAILED=$((CR_FAILED + 1))
  printf 'FAIL %s\n' "$*"
}
note() { printf '     %s\n' "$*" >>"$CR_DIR/notes.log"; }

# crash_init DIR PG_PORT DB API_PORT BIN
crash_init() {
  CR_DIR=$1 CR_PG_PORT=$2 CR_DB=$3 CR_API_PORT=$4 CR_BIN=$5
  CR_API="http://127.0.0.1:$CR_API_PORT"
  : >"$CR_DIR/notes.log"
}

crash_summary() {
  printf '%d passed, %d failed\n' "$CR_PASSED" "$CR_FAILED"
  ((CR_FAILED == 0))
}

# sql [psql args...]: the superuser on the test database, over TCP (trust), like pg_make_db.
sql() {
  env PGOPTIONS='-c client_min_messages=warning' "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 \
    -h 127.0.0.1 -p "$CR_PG_PORT" -U postgres -d "$CR_DB" "$@"
}

# db_env PORT DB: the server's connection and, where the project has an owner role for
# migrations (pg_conninfo_owner), that one's; the caller's own BDHVS_*DATABASE_URL never leak in.
db_env() {
  local owner
  owner=$(pg_conninfo "$1" "$2")
  if declare -F pg_conninfo_owner >/dev/null; then owner=$(pg_conninfo_owner "$1" "$2"); fi
  printf '%s\n' "BDHVS_DATABASE_URL=$(pg_conninfo "$1" "$2")" "BDHVS_MIGRATE_DATABASE_URL=$owner"
}

# A fresh database with the demo data.
crash_prepare_db() {
  local -a e
  mapfile -t e < <(db_env "$CR_PG_PORT" "$CR_DB")
  pg_make_db "$CR_PG_PORT" "$CR_DB" fresh &&
    env "${e[@]}" "$CR_BIN" migrate && env "${e[@]}" "$CR_BIN" seed demo
}

# shellcheck disable=SC2120 # the arguments are optional
# server_start [PG_PORT DB]: starts the server (log appended to server.log) and waits for
# /readyz (the database answers and the migrations are current), up to 60 s.
server_start() {
  local -a e
  mapfile -t e < <(db_env "${1:-$CR_PG_PORT}" "${2:-$CR_DB}")
  if curl -fsS -m 2 "$CR_API/healthz" >/dev/null 2>&1; then
    printf 'something already answers on %s\n' "$CR_API" >>"$CR_DIR/server.log"
    return 1
  fi
  env "${e[@]}" BDHVS_LISTEN="127.0.0.1:$CR_API_PORT" BDHVS_DB_POOL=4 BDHVS_THREADS=4 \
    BDHVS_MAX_BODY=16777216 ASAN_OPTIONS="${ASAN_OPTIONS:-}:log_path=$CR_DIR/asan-server" \
    "$CR_BIN" serve >>"$CR_DIR/server.log" 2>&1 </dev/null &
  CR_SPID=$!
  wait_url "$CR_API/readyz" "$CR_SPID" 60 && return 0
  tail -n 20 "$CR_DIR/server.log"
  return 1
}

# The server's backends (the pool's connections carry application_name bdhvs).
server_backends() {
  sql -At -c "SELECT string_agg(pid::text, ' ') FROM pg_stat_activity
    WHERE datname = current_database() AND application_name = 'bdhvs'"
}

# SIGKILL to our server; remembers its backends so that wait_old_backends_gone can wait for them.
server_kill9() {
  CR_OLD_BACKENDS=$(server_backends)
  kill -KILL "$CR_SPID" 2>/dev/null || true
  wait "$CR_SPID" 2>/dev/null || true
  CR_SPID=""
}

# A killed client's backend finishes only when it next talks to the client: wait (120 s at most).
wait_old_backends_gone() {
  local list left
  list=$(printf '%s' "$CR_OLD_BACKENDS" | tr -s ' ' ',')
  [[ -n "$list" ]] || return 0
  for _ in $(seq 1 600); do
    left=$(sql -At -c "SELECT count(*) FROM pg_stat_activity WHERE pid IN ($list)")
    [[ "$left" == 0 ]] && return 0
    sleep 0.2
  done
  note "backends $list still there after 120 s"
  return 1
}

# SIGTERM, then the exit status must be 0 (within 30 s).
server_stop_clean() {
  local pid=$CR_SPID rc=0
  [[ -n "$pid" ]] || return 1
  if ! stop_pid "$pid" 300; then
    wait "$pid" 2>/dev/null || true
    CR_SPID=""
    return 1
  fi
  wait "$pid" || rc=$?
  CR_SPID=""
  return "$rc"
}

# login USER: prints an access token.
login() {
  local body token
  body=$(jq -cn --arg u "$1" --arg p "$BDHVS_DEMO_PASSWORD" '{username: $u, password: $p}')
  token=$(curl -fsS -m 30 -X POST "$CR_API/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d "$body" | jq -r .access_token) || return 1
  [[ -n "$token" && "$token" != null ]] || return 1
  printf '%s\n' "$token"
}

# post_csv FILE KEY PREFIX: POST /api/v1/staff/import as $TOKEN (the caller signs in); PREFIX.body,
# PREFIX.head; prints the status.
# shellcheck disable=SC2153 # TOKEN is the caller's
post_csv() {
  curl -sS -m 300 -o "$3.body" -D "$3.head" -w '%{http_code}' -X POST "$CR_API/api/v1/staff/import" \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: text/csv' -H "Idempotency-Key: $2" \
    --data-binary "@$1" 2>>"$CR_DIR/curl.log" || true
}

# lock_hold SQL: a psql session opens a transaction, runs SQL (a LOCK) and keeps it open.
lock_hold() {
  local fifo="$CR_DIR/lock.fifo"
  rm -f "$fifo" "$CR_DIR/lock.out"
  mkfifo "$fifo"
  sql <"$fifo" >"$CR_DIR/lock.out" 2>&1 &
  CR_LOCK_PID=$!
  exec {CR_LOCK_FD}>"$fifo"
  printf 'BEGIN;\n%s;\n\\echo locked\n' "$1" >&"$CR_LOCK_FD"
  for _ in $(seq 1 300); do
    grep -q '^locked' "$CR_DIR/lock.out" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

lock_release() {
  [[ -n "$CR_LOCK_FD" ]] || return 0
  printf 'ROLLBACK;\n\\q\n' >&"$CR_LOCK_FD" || true
  exec {CR_LOCK_FD}>&-
  CR_LOCK_FD=""
  wait "$CR_LOCK_PID" 2>/dev/null || true
  CR_LOCK_PID=""
  rm -f "$CR_DIR/lock.fifo"
}

# wait_backend_blocked N: until N of the server's backends wait for a lock (120 s at most).
wait_backend_blocked() {
  local n
  for _ in $(seq 1 1200); do
    n=$(sql -At -c "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
      AND application_name = 'bdhvs' AND state = 'active' AND wait_event_type = 'Lock'")
    ((n >= $1)) && return 0
    sleep 0.1
  done
  return 1
}

blocked_queries() {
  sql -At -c "SELECT string_agg(wait_event || ': ' || left(regexp_replace(query, '\s+', ' ', 'g'), 70), ' | ')
    FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'bdhvs'
    AND wait_event_type = 'Lock'"
}

# sanitizer_clean NAME: no ASan/UBSan report from our servers.
sanitizer_clean() {
  local found=0 f
  for f in "$CR_DIR"/asan-server*; do
    [[ -e "$f" ]] || continue
    found=1
    cat "$f"
  done
  if grep -qE 'ERROR: AddressSanitizer|runtime error:|LeakSanitizer' "$CR_DIR/server.log" 2>/dev/null; then
    found=1
    grep -nE -A 20 'ERROR: AddressSanitizer|runtime error:|LeakSanitizer' "$CR_DIR/server.log" | head -n 60
  fi
  if ((found)); then
    fail "$1: sanitizer reports from the servers (above)"
  else
    pass "$1: no sanitizer report from its servers"
  fi
}

crash_cleanup() {
  lock_release
  if [[ -n "$CR_SPID" ]] && kill -0 "$CR_SPID" 2>/dev/null; then
    kill -KILL "$CR_SPID" 2>/dev/null || true
    wait "$CR_SPID" 2>/dev/null || true
  fi
  CR_SPID=""
}
