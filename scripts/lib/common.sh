# shellcheck shell=bash
# Shared helpers for scripts/run, scripts/test and bench/run. Source it; do not run it.
#
#   bdhvs_deps [extra-package...]     install what is missing (apt), nothing when all is there
#   pg_cluster_start NAME PORT on|off private cluster in var/pg/NAME (fsync on or off)
#   pg_cluster_stop NAME | pg_cluster_restart NAME | pg_cluster_running NAME
#   pg_psql NAME PORT [psql args...]  psql as the postgres superuser over the cluster's socket
#   pg_make_db PORT DBNAME [fresh]    roles bdhvs_owner and bdhvs_app, database DBNAME owned by
#                                     bdhvs_owner, ltree + unaccent
#   pg_conninfo PORT DBNAME           the libpq string the server uses (role bdhvs_app)
#   pg_conninfo_owner PORT DBNAME     the libpq string migrations use (role bdhvs_owner)
#   bdhvs_random_secret               48 random URL-safe characters
#   bdhvs_jwt_secret                  BDHVS_JWT_SECRET, else the one kept in var/jwt-secret (made once)
#   stop_pid PID [TENTHS]             SIGTERM to that one process, SIGKILL after TENTHS tenths of a
#                                     second (default 100); 1 when it had to be killed
#   wait_url URL PID SECONDS          until URL answers 2xx; fails early when PID is gone
#
# BDHVS_DATABASE_URL set by the user means: use that server, start no private cluster.

BDHVS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
# The demo users' password (bdhvs seed demo reads it).
export BDHVS_DEMO_PASSWORD="${BDHVS_DEMO_PASSWORD:-demo-2026-BacNinh}"

# The packages every script needs. libcurl4-gnutls-dev, not -openssl-dev: the latter conflicts
# with libulfius-dev; the server links it for webhook delivery (https receivers) and the tests. postgresql-15 carries the contrib extensions (ltree, unaccent) itself.
BDHVS_BASE_PACKAGES=(
  build-essential cmake pkg-config
  libulfius-dev libmicrohttpd-dev libjansson-dev libpq-dev libjwt-dev libsodium-dev libcsv-dev
  check libsubunit-dev libcurl4-gnutls-dev
  zlib1g-dev                  # gzip answers (Content-Encoding: gzip)
  postgresql-15 postgresql-client-15
  curl jq ca-certificates
  clang-14 libclang-rt-14-dev # libFuzzer for tests/fuzz (scripts/fuzz, scripts/test)
  nginx                       # in front of several processes (scripts/multi, tests/multi)
)

# What scripts/test needs beyond that: Debian's chromium for the browser check (tests/browser).
BDHVS_TEST_PACKAGES=(chromium)

log() { printf '==> %s\n' "$*" >&2; }
warn() { printf '!!! %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# stop_pid PID [TENTHS]: SIGTERM to the one process PID (never a name or a group), up to TENTHS
# tenths of a second (default 100) for it to end, then SIGKILL. Returns 0 when it ended (or was
# gone already), 1 when it had to be killed: under set -e call it as `stop_pid ... || true` or in
# an if. It does not reap the process: when it is the caller's child, `wait PID` gives its status.
stop_pid() {
  local pid=$1 tenths=${2:-100} i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < tenths; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null || return 0
  kill -KILL "$pid" 2>/dev/null || true
  return 1
}

# wait_url URL PID SECONDS: until URL answers 2xx (0); 1 when PID is gone or SECONDS have passed.
wait_url() {
  local url=$1 pid=$2 secs=$3 i
  for ((i = 0; i < secs * 5; i++)); do
    curl -fsS -m 2 -o /dev/null "$url" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.2
  done
  return 1
}

bdhvs_pkg_installed() {
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]
}

# bdhvs_deps [extra...]: apt-installs whichever of the base packages and the extras are missing.
# nodejs and npm count as present when the commands node and npm are on PATH, whatever package
# brought them (Debian's, or NodeSource's nodejs that carries npm inside).
bdhvs_deps() {
  local pkg missing=()
  for pkg in "${BDHVS_BASE_PACKAGES[@]}" "$@"; do
    case "$pkg" in
      nodejs) command -v node >/dev/null 2>&1 && continue ;;
      npm) command -v npm >/dev/null 2>&1 && continue ;;
    esac
    bdhvs_pkg_installed "$pkg" || missing+=("$pkg")
  done
  if ((${#missing[@]} == 0)); then
    return 0
  fi
  log "installing missing packages: ${missing[*]}"
  if ((EUID != 0)); then
    die "these packages are missing and installing them needs root: ${missing[*]}
  run: sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}"
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=300 update -q
  apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends "${missing[@]}" </dev/null
  for pkg in "${missing[@]}"; do
    case "$pkg" in
      nodejs) command -v node >/dev/null 2>&1 || die "node is still missing after installing nodejs" ;;
      npm) command -v npm >/dev/null 2>&1 || die "npm is still missing after installing npm" ;;
      *) bdhvs_pkg_installed "$pkg" || die "package $pkg did not install" ;;
    esac
  done
}

bdhvs_random_secret() {
  # 36 random bytes are exactly 48 base64 characters (no padding); made URL-safe.
  head -c 36 /dev/urandom | base64 -w0 | tr '+/' '-_'
}

# Prints BDHVS_JWT_SECRET when set, else the secret kept in var/jwt-secret (generated the first
# time), so that scripts/run and scripts/multi sign with the same one across restarts.
bdhvs_jwt_secret() {
  if [[ -n "${BDHVS_JWT_SECRET:-}" ]]; then
    printf '%s\n' "$BDHVS_JWT_SECRET"
    return 0
  fi
  local f="$BDHVS_ROOT/var/jwt-secret"
  mkdir -p "$BDHVS_ROOT/var"
  if [[ ! -s "$f" ]]; then
    (
      umask 077
      bdhvs_random_secret >"$f.tmp"
      mv "$f.tmp" "$f"
    )
    log "generated a JWT secret in var/jwt-secret"
  fi
  chmod 0600 "$f"
  cat "$f"
}

# ---------------------------------------------------------------------------------------------
# Private PostgreSQL clusters under var/pg/NAME: data/ (owned by postgres), sock/, log, opts.

pg_cluster_dir() { printf '%s/var/pg/%s\n' "$BDHVS_ROOT" "$1"; }

# A Unix socket path may be at most 107 bytes; a deep checkout falls back to a folder in /tmp.
pg_sock_dir() {
  local dir
  dir="$(pg_cluster_dir "$1")/sock"
  if ((${#dir} > 80)); then
    dir="/tmp/bdhvs-pg-$(printf '%s' "$BDHVS_ROOT" | sha256sum | cut -c1-12)-$1"
  fi
  printf '%s\n' "$dir"
}

pg_as_postgres() { runuser -u postgres -- "$@"; }

# The postgres user must be able to reach var/pg inside the project folder. When a parent folder
# (say /root, mode 0700) stops it, give that folder o+x (search only, not read) or fail clearly.
pg_ensure_traversable() {
  local target=$1 path="" part
  local -a parts
  pg_as_postgres test -x "$target" && return 0
  IFS=/ read -ra parts <<<"${target#/}"
  for part in "${parts[@]}"; do
    [[ -n "$part" ]] || continue
    path="$path/$part"
    if ! pg_as_postgres test -x "$path"; then
      if chmod o+x "$path" 2>/dev/null; then
        warn "gave $path o+x so that the postgres user can reach $target"
      else
        die "the postgres user cannot enter $path (on the way to $target) and chmod o+x failed;
  move the project to a folder every user can traverse, or set BDHVS_DATABASE_URL"
      fi
    fi
  done
  pg_as_postgres test -x "$target" ||
    die "the postgres user still cannot enter $target; set BDHVS_DATABASE_URL to use another server"
}

pg_require_binaries() {
  [[ -x "$PG_BIN/initdb" && -x "$PG_BIN/pg_ctl" && -x "$PG_BIN/psql" ]] ||
    die "PostgreSQL 15 binaries not found in $PG_BIN (is postgresql-15 installed?)"
  id postgres >/dev/null 2>&1 || die "the postgres OS user does not exist (is postgresql-15 installed?)"
}

pg_cluster_running() {
  local data
  data="$(pg_cluster_dir "$1")/data"
  [[ -s "$data/PG_VERSION" ]] || return 1
  pg_as_postgres "$PG_BIN/pg_ctl" -D "$data" status >/dev/null 2>&1
}

# pg_cluster_start NAME PORT FSYNC(on|off)
pg_cluster_start() {
  local name=$1 port=$2 fsync=$3
  local base data sock logf opts
  [[ "$name" =~ ^[A-Za-z0-9_-]+$ ]] || die "bad cluster name: $name"
  [[ "$port" =~ ^[0-9]+$ ]] || die "bad port: $port"
  [[ "$fsync" == on || "$fsync" == off ]] || die "fsync must be on or off, not $fsync"
  pg_require_binaries
  base="$(pg_cluster_dir "$name")"
  data="$base/data"
  sock="$(pg_sock_dir "$name")"
  logf="$base/log"
  [[ "$base$sock" != *[[:space:]\'\"]* ]] ||
    die "the project path must not contain spaces or quotes: $BDHVS_ROOT"

  mkdir -p "$BDHVS_ROOT/var/pg"
  # Only the search bit for others: the postgres user must pass through, nothing more.
  chmod o+x "$BDHVS_ROOT/var" "$BDHVS_ROOT/var/pg"
  pg_ensure_traversable "$BDHVS_ROOT/var/pg"
  mkdir -p "$base" "$sock"
  chown postgres:postgres "$base" "$sock"
  chmod 0700 "$base"
  chmod 0755 "$sock"

  if pg_cluster_running "$name"; then
    log "PostgreSQL cluster '$name' is already running (socket $sock)"
    return 0
  fi

  if [[ ! -s "$data/PG_VERSION" ]]; then
    # A data folder without PG_VERSION is a half-done initdb: start over.
    rm -rf "$data"
    log "initdb: cluster '$name' in $data"
    pg_as_postgres "$PG_BIN/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C \
      >"$base/initdb.log" 2>&1 </dev/null || {
      cat "$base/initdb.log" >&2
      die "initdb failed for cluster '$name'"
    }
  fi

  opts="-k '$sock' -p $port -c listen_addresses=127.0.0.1 -c fsync=$fsync"
  if [[ "$fsync" == off ]]; then
    opts+=" -c synchronous_commit=off -c full_page_writes=off"
  fi
  printf '%s\n' "$opts" >"$base/opts"
  # The server takes the log file as its stdout/stderr: it never holds the caller's pipes.
  pg_as_postgres touch "$logf"
  log "starting PostgreSQL cluster '$name' on 127.0.0.1:$port (fsync=$fsync)"
  if ! pg_as_postgres "$PG_BIN/pg_ctl" -D "$data" -l "$logf" -w -t 60 -o "$opts" start \
    >/dev/null 2>&1 </dev/null; then
    tail -n 30 "$logf" >&2 || true
    die "PostgreSQL cluster '$name' did not start (log: $logf)"
  fi
}

pg_cluster_stop() {
  local name=$1 data
  data="$(pg_cluster_dir "$name")/data"
  if pg_cluster_running "$name"; then
    log "stopping PostgreSQL cluster '$name'"
    pg_as_postgres "$PG_BIN/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null </dev/null
  fi
}

# Restart with the options it was started with (var/pg/NAME/opts).
pg_cluster_restart() {
  local name=$1 base opts
  base="$(pg_cluster_dir "$name")"
  [[ -s "$base/opts" ]] || die "cluster '$name' was never started by pg_cluster_start"
  opts="$(cat "$base/opts")"
  pg_as_postgres "$PG_BIN/pg_ctl" -D "$base/data" -l "$base/log" -m fast -w -t 60 -o "$opts" \
    restart >/dev/null 2>&1 </dev/null || {
    tail -n 30 "$base/log" >&2 || true
    die "PostgreSQL cluster '$name' did not restart"
  }
}

# pg_psql NAME PORT [psql args...]: superuser psql over the cluster's Unix socket (trust auth).
pg_psql() {
  local name=$1 port=$2
  shift 2
  "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$(pg_sock_dir "$name")" -p "$port" -U postgres "$@"
}

# Two roles (docs/operations.md): bdhvs_owner owns the schema and runs the migrations; the server
# runs as bdhvs_app, which cannot change or remove audit entries (migration 0010 grants it the rest).
pg_conninfo() { printf 'host=127.0.0.1 port=%s dbname=%s user=bdhvs_app\n' "$1" "$2"; }
pg_conninfo_owner() { printf 'host=127.0.0.1 port=%s dbname=%s user=bdhvs_owner\n' "$1" "$2"; }

# pg_make_db PORT DBNAME [fresh]
pg_make_db() {
  local port=$1 db=$2 fresh=${3:-}
  local -a psql=(env PGOPTIONS='-c client_min_messages=warning'
    "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres)
  [[ "$db" =~ ^[a-z_][a-z0-9_]*$ ]] || die "bad database name: $db"
  if [[ "$fresh" == fresh ]]; then
    log "dropping database $db"
    "${psql[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" </dev/null
  fi
  "${psql[@]}" -d postgres -v db="$db" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE', r)
  FROM unnest(ARRAY['bdhvs_owner', 'bdhvs_app']) r
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) \gexec
SELECT format('CREATE DATABASE %I OWNER bdhvs_owner ENCODING %L TEMPLATE template0', :'db', 'UTF8')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
SQL
  "${psql[@]}" -d "$db" <<'SQL'
CREATE EXTENSION IF NOT EXISTS ltree;
CREATE EXTENSION IF NOT EXISTS unaccent;
-- A database made by the scripts before the two roles (everything owned by the single role
-- bdhvs) passes to bdhvs_owner; migration 0010 then grants bdhvs_app what the server needs.
SELECT 'REASSIGN OWNED BY bdhvs TO bdhvs_owner'
 WHERE EXISTS (SELECT FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner
                WHERE r.rolname = 'bdhvs' AND c.relname = 'schema_migrations') \gexec
SELECT format('ALTER DATABASE %I OWNER TO bdhvs_owner', current_database())
 WHERE (SELECT datdba FROM pg_database WHERE datname = current_database())
       <> (SELECT oid FROM pg_roles WHERE rolname = 'bdhvs_owner') \gexec
SQL
}
