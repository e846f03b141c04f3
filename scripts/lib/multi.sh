# shellcheck shell=bash
# Several `bdhvs serve` processes on one PostgreSQL behind nginx, all on loopback (scripts/multi,
# tests/multi/multi.sh; docs/scaling.md). Source it after scripts/lib/common.sh; do not run it.
#
#   multi_start DIR BIN LISTEN_PORT "API:OPS API:OPS..."
#       starts one `BIN serve` per API:OPS pair (BDHVS_LISTEN 127.0.0.1:API, BDHVS_OPS_LISTEN
#       127.0.0.1:OPS), waits until each is ready (/readyz), then nginx on 127.0.0.1:LISTEN_PORT
#       from docker/nginx.conf, and waits until nginx answers /healthz. Logs and nginx's files go
#       to DIR (server-N.log, nginx/). Returns non-zero (having stopped what it started) when
#       something did not come up. The processes are children of the calling shell.
#   multi_stop
#       SIGTERM to nginx and to each process (SIGKILL after 20 s), by the PIDs multi_start
#       recorded; returns non-zero when one did not exit 0 on SIGTERM (MULTI_STOP_REPORT says which).
#
# Each process gets the caller's environment as it is (BDHVS_DATABASE_URL, BDHVS_JWT_SECRET: the
# same for all, so a token one process signed is good at every other), plus:
#   BDHVS_TRUSTED_PROXIES  MULTI_PROXY_ADDR (default 127.0.0.3): the address nginx connects from
#   BDHVS_PER_IP_LIMIT     BDHVS_CONN_LIMIT (default 1000): behind nginx every connection comes
#                          from nginx; the per-client limit is nginx's (MULTI_PER_IP, default 200)
# Set by multi_start: MULTI_PIDS (one per process, in the order given), MULTI_NGINX_PID,
# MULTI_NGINX_URL.
# As root, nginx runs as MULTI_NGINX_USER (default nobody) through setpriv: it needs no privilege.

MULTI_PIDS=()
MULTI_NGINX_PID=""
MULTI_NGINX_URL=""
MULTI_STOP_REPORT=""

# multi_render_nginx DIR LISTEN_PORT "API..." MAX_BODY > DIR/nginx/nginx.conf
multi_render_nginx() {
  local dir=$1 listen=$2 ports=$3 max_body=$4 p ups=""
  for p in $ports; do
    ups+="server 127.0.0.1:$p max_fails=1 fail_timeout=2s;"$'\n        '
  done
  local tmpl="$BDHVS_ROOT/docker/nginx.conf"
  [[ -s "$tmpl" ]] || die "missing $tmpl"
  awk -v dir="$dir" -v listen="127.0.0.1:$listen" -v ups="$ups" -v proxy="${MULTI_PROXY_ADDR:-127.0.0.3}" \
    -v max_body="$max_body" -v per_ip="${MULTI_PER_IP:-200}" -v workers="${MULTI_NGINX_WORKERS:-auto}" '
    /^#/ { next }
    {
      gsub(/@DIR@/, dir); gsub(/@LISTEN@/, listen); gsub(/@PROXY_ADDR@/, proxy)
      gsub(/@MAX_BODY@/, max_body); gsub(/@PER_IP@/, per_ip); gsub(/@WORKERS@/, workers)
      sub(/@UPSTREAMS@/, ups)
      print
    }' "$tmpl"
}

multi_start() {
  local dir=$1 bin=$2 listen=$3 pairs=$4 pair api ops n=0 api_ports=""
  local max_body="${BDHVS_MAX_BODY:-10485760}"
  MULTI_PIDS=()
  MULTI_NGINX_PID=""
  MULTI_NGINX_URL="http://127.0.0.1:$listen"
  command -v nginx >/dev/null 2>&1 || {
    warn "nginx is not installed (Debian package nginx)"
    return 1
  }
  mkdir -p "$dir"
  for pair in $pairs; do
    api=${pair%%:*}
    ops=${pair#*:}
    [[ "$api" =~ ^[0-9]+$ && "$ops" =~ ^[0-9]+$ && "$api" != "$ops" ]] || {
      warn "bad API:OPS port pair: $pair"
      multi_stop || true
      return 1
    }
    n=$((n + 1))
    if curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$api/healthz" 2>/dev/null; then
      warn "something already answers on 127.0.0.1:$api"
      multi_stop || true
      return 1
    fi
    local asan="${ASAN_OPTIONS:-}"
    [[ -z "$asan" ]] || asan="$asan:log_path=$dir/asan-server-$n"
    env BDHVS_LISTEN="127.0.0.1:$api" BDHVS_OPS_LISTEN="127.0.0.1:$ops" \
      BDHVS_TRUSTED_PROXIES="${MULTI_PROXY_ADDR:-127.0.0.3}" \
      BDHVS_PER_IP_LIMIT="${BDHVS_CONN_LIMIT:-1000}" BDHVS_MAX_BODY="$max_body" \
      ASAN_OPTIONS="$asan" "$bin" serve >>"$dir/server-$n.log" 2>&1 </dev/null &
    MULTI_PIDS+=("$!")
    api_ports+=" $api"
  done
  ((n > 0)) || {
    warn "no API:OPS port pairs given"
    return 1
  }
  local i=0
  for pair in $pairs; do
    if ! wait_url "http://127.0.0.1:${pair#*:}/readyz" "${MULTI_PIDS[$i]}" 60; then
      warn "process $((i + 1)) (127.0.0.1:${pair%%:*}) is not ready; its log:"
      tail -n 20 "$dir/server-$((i + 1)).log" >&2 || true
      multi_stop || true
      return 1
    fi
    i=$((i + 1))
  done

  local nd="$dir/nginx"
  mkdir -p "$nd/tmp"
  multi_render_nginx "$nd" "$listen" "$api_ports" "$max_body" >"$nd/nginx.conf"
  local -a run_as=()
  if ((EUID == 0)); then
    local user="${MULTI_NGINX_USER:-nobody}" group
    group=$(id -gn "$user") || {
      warn "no user $user to run nginx as"
      multi_stop || true
      return 1
    }
    chown -R "$user:$group" "$nd"
    run_as=(setpriv --reuid="$user" --regid="$group" --clear-groups --)
    # It must reach its folder: give the folders on the way the search bit for others (not read),
    # as pg_ensure_traversable does for the postgres user.
    local path="" part
    local -a parts
    IFS=/ read -ra parts <<<"${nd#/}"
    for part in "${parts[@]}"; do
      [[ -n "$part" ]] || continue
      path="$path/$part"
      "${run_as[@]}" test -x "$path" || chmod o+x "$path" || true
    done
  fi
  if ! "${run_as[@]}" nginx -t -q -e stderr -p "$nd/" -c "$nd/nginx.conf" >"$nd/check.log" 2>&1; then
    warn "nginx -t refused $nd/nginx.conf:"
    cat "$nd/check.log" >&2
    multi_stop || true
    return 1
  fi
  "${run_as[@]}" nginx -e "$nd/error.log" -p "$nd/" -c "$nd/nginx.conf" >>"$nd/stdout.log" 2>&1 </dev/null &
  MULTI_NGINX_PID=$!
  if ! wait_url "$MULTI_NGINX_URL/healthz" "$MULTI_NGINX_PID" 30; then
    warn "nginx does not answer $MULTI_NGINX_URL/healthz; its log:"
    tail -n 20 "$nd/error.log" >&2 || true
    multi_stop || true
    return 1
  fi
}

# multi_stop_pid PID NAME: SIGTERM, up to 20 s, then SIGKILL; appends to MULTI_STOP_REPORT;
# returns the exit status (137 after SIGKILL).
multi_stop_pid() {
  local pid=$1 name=$2 rc=0
  kill -0 "$pid" 2>/dev/null || {
    wait "$pid" 2>/dev/null || rc=$?
    MULTI_STOP_REPORT+="$name had already exited ($rc); "
    return "$rc"
  }
  stop_pid "$pid" 200 || MULTI_STOP_REPORT+="$name killed after 20 s; "
  wait "$pid" 2>/dev/null || rc=$?
  ((rc == 0)) || MULTI_STOP_REPORT+="$name exited $rc; "
  return "$rc"
}

multi_stop() {
  local bad=0 i
  MULTI_STOP_REPORT=""
  if [[ -n "$MULTI_NGINX_PID" ]]; then
    multi_stop_pid "$MULTI_NGINX_PID" nginx || bad=1
    MULTI_NGINX_PID=""
  fi
  for i in "${!MULTI_PIDS[@]}"; do
    multi_stop_pid "${MULTI_PIDS[$i]}" "process $((i + 1))" || bad=1
  done
  MULTI_PIDS=()
  ((bad == 0))
}
