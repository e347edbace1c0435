# Shared by perf/compare.sh and perf/lib/profile.sh: settings, tool installation, process bookkeeping, wrk parsing,
# and the three servers (nginx backend, nginx reverse proxy, Proxy). Source it; it sets traps for cleanup.
# shellcheck shell=bash
# ---------------------------------------------------------------------------------------------------------------
# Settings (all overridable from the environment)
DURATION=${DURATION:-20}            # seconds per measured run
WARMUP_SLICE=${WARMUP_SLICE:-5}     # seconds per warm-up slice
WARMUP_MAX=${WARMUP_MAX:-120}       # upper bound of an adaptive warm-up, seconds
WARMUP_MIN=${WARMUP_MIN:-30}        # a fresh Proxy process is not declared warm before this many seconds
WARMUP_MIN_NEXT=${WARMUP_MIN_NEXT:-10}  # ... and a Proxy already warm on another payload not before this
WARMUP_TOL=${WARMUP_TOL:-3}         # percent: "two consecutive slices agree" / "within x% of final"
NGINX_WARMUP=${NGINX_WARMUP:-5}     # seconds, one slice per payload for nginx
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-1}
SERVER_CPU=${SERVER_CPU:-0}         # core for the server under test
LOAD_CPU=${LOAD_CPU:-1}             # core for wrk and the backend
BACKEND_PORT=${BACKEND_PORT:-18180}
NGINX_PORT=${NGINX_PORT:-18181}
PROXY_PORT=${PROXY_PORT:-18182}
ADMIN_PORT=${ADMIN_PORT:-18183}
SKIP_BUILD=${SKIP_BUILD:-0}
KEEP_TMP=${KEEP_TMP:-0}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PROXY_BIN="$ROOT/hosting/Proxy.Host/bin/Release/net10.0/proxy"
RUNTIMECONFIG="$ROOT/hosting/Proxy.Host/bin/Release/net10.0/proxy.runtimeconfig.json"

LOG_TAG=${LOG_TAG:-compare}
log() { printf '[%s %(%H:%M:%S)T] %s\n' "$LOG_TAG" -1 "$*" >&2; }
die() { local code=$1; shift; log "ERROR: $*"; exit "$code"; }

# ---------------------------------------------------------------------------------------------------------------
# 1. Tools
ensure_tools() {
    local missing=()
    command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || missing+=(nginx-light)
    command -v wrk >/dev/null 2>&1 || missing+=(wrk)
    command -v taskset >/dev/null 2>&1 || missing+=(util-linux)
    command -v pgrep >/dev/null 2>&1 || missing+=(procps)
    command -v curl >/dev/null 2>&1 || missing+=(curl)
    command -v getconf >/dev/null 2>&1 || missing+=(libc-bin)
    if ((${#missing[@]})); then
        [[ $(id -u) -eq 0 ]] || die 2 "missing ${missing[*]} and not root; install them first"
        log "installing ${missing[*]}"
        # The distro nginx package may start its own service on :80 on a systemd machine; we never use it.
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2 \
            || { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2; } \
            || die 2 "apt-get install ${missing[*]} failed"
    fi
    command -v nginx >/dev/null 2>&1 || PATH="$PATH:/usr/sbin"
    command -v dotnet >/dev/null 2>&1 || die 2 "dotnet SDK not found"
}

# ---------------------------------------------------------------------------------------------------------------
# Process bookkeeping: everything we start is recorded and killed by pid at exit.
PIDS=()
WORK=""
cleanup() {
    local rc=$?
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    done
    if [[ -n "$WORK" && -d "$WORK" ]]; then
        if [[ $KEEP_TMP == 1 || $rc -ne 0 ]]; then log "logs kept in $WORK"; else rm -rf "$WORK"; fi
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stop_pid() {
    local pid=$1
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    local keep=()
    for p in "${PIDS[@]}"; do [[ $p == "$pid" ]] || keep+=("$p"); done
    PIDS=("${keep[@]+"${keep[@]}"}")
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_http URL PID WHAT: poll until URL answers 200 (bounded: 60 s), failing fast if PID dies.
wait_http() {
    local url=$1 pid=$2 what=$3 code answered=0
    for _ in $(seq 600); do
        kill -0 "$pid" 2>/dev/null || return 1
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$url" || true)
        [[ $code == 200 ]] && return 0
        # Answering, but not 200, for 5 s: it will not get better.
        if [[ $code != 000 && $code != "" ]] && ((++answered >= 50)); then
            log "$what: $url keeps answering $code"
            return 1
        fi
        sleep 0.1
    done
    log "$what: $url did not answer 200 within 60 s (last: $code)"
    return 1
}

# CPU ticks (utime+stime) of the given pids, summed. Field positions are counted after the ")" that closes comm.
cpu_ticks() {
    local total=0 pid t
    for pid in "$@"; do
        t=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $12 + $13}') || t=0
        total=$((total + ${t:-0}))
    done
    echo "$total"
}
CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)

# busy and total jiffies of one CPU from /proc/stat ("busy" = everything but idle and iowait)
core_jiffies() {
    awk -v c="cpu$1" '$1 == c { busy = 0; for (i = 2; i <= NF; i++) if (i != 5 && i != 6) busy += $i; print busy, busy + $5 + $6 }' /proc/stat
}
busy_pct() {  # "busy0 total0" "busy1 total1"
    awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " "); t = y[2] - x[2]; printf "%.0f", (t > 0 ? (y[1] - x[1]) / t * 100 : 0) }'
}

# voluntary + involuntary context switches of all threads of the given pids
ctx_switches() {
    local pid total=0 n
    for pid in "$@"; do
        n=$(cat /proc/"$pid"/task/*/status 2>/dev/null | awk '/^(voluntary|nonvoluntary)_ctxt_switches:/ {s += $2} END {print s + 0}')
        total=$((total + n))
    done
    echo "$total"
}

# nginx master + its workers
nginx_pids() { echo "$1"; pgrep -P "$1" || true; }

# "520.00us" / "1.00ms" / "2.01s" -> microseconds (integer-ish, 2 decimals)
to_us() {
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
        if (u == "us") m = 1; else if (u == "ms") m = 1000; else if (u == "s") m = 1000000; else if (u == "m") m = 60000000; else m = 1;
        printf "%.0f", n * m }'
}
fmt_ms() { awk -v us="$1" 'BEGIN { printf "%.3f", us / 1000 }'; }

# ---------------------------------------------------------------------------------------------------------------
# wrk wrapper. run_wrk NAME URL SECONDS PIDS... -> sets W_RPS W_REQS W_P50 W_P99 (us) W_CPU_US W_CS_REQ W_SOCKERR W_NON2XX
# and prints nothing; the raw output is kept in $WORK/wrk-NAME.txt.
ERRORS=()
WRK_SEQ=0
run_wrk() {
    local name=$1 url=$2 secs=$3; shift 3
    local out="$WORK/wrk-$((++WRK_SEQ))-$name.txt" t0 t1 b0 b1 s0 s1 l0 l1 c0 c1
    t0=$(cpu_ticks "$@")
    c0=$(ctx_switches "$@")
    b0=$(cpu_ticks $BACKEND_PIDS)
    s0=$(core_jiffies "$SERVER_CPU")
    l0=$(core_jiffies "$LOAD_CPU")
    taskset -c "$LOAD_CPU" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${secs}s" --latency "$url" >"$out" 2>&1 \
        || { cat "$out" >&2; die 1 "wrk failed against $url"; }
    t1=$(cpu_ticks "$@")
    c1=$(ctx_switches "$@")
    b1=$(cpu_ticks $BACKEND_PIDS)
    s1=$(core_jiffies "$SERVER_CPU")
    l1=$(core_jiffies "$LOAD_CPU")
    W_SCORE_PCT=$(busy_pct "$s0" "$s1")
    W_LCORE_PCT=$(busy_pct "$l0" "$l1")
    W_RPS=$(awk '/^Requests\/sec:/ {print $2}' "$out")
    W_REQS=$(awk '/ requests in / {print $1}' "$out")
    W_P50=$(to_us "$(awk '$1 == "50%" {print $2}' "$out")")
    W_P99=$(to_us "$(awk '$1 == "99%" {print $2}' "$out")")
    W_SOCKERR=$(grep -E '^ *Socket errors:' "$out" | sed 's/^ *//' || true)
    W_NON2XX=$(grep -E '^ *Non-2xx or 3xx responses:' "$out" | sed 's/^ *//' || true)
    [[ -n "$W_RPS" && -n "$W_REQS" && "$W_REQS" -gt 0 ]] || { cat "$out" >&2; die 1 "could not parse wrk output ($out)"; }
    W_CPU_US=$(awk -v d="$((t1 - t0))" -v hz="$CLK_TCK" -v n="$W_REQS" 'BEGIN { printf "%.2f", d * 1e6 / hz / n }')
    W_CS_REQ=$(awk -v d="$((c1 - c0))" -v n="$W_REQS" 'BEGIN { printf "%.2f", d / n }')
    W_CPU_PCT=$(awk -v d="$((t1 - t0))" -v hz="$CLK_TCK" -v s="$secs" 'BEGIN { printf "%.0f", d / hz / s * 100 }')
    W_BACKEND_PCT=$(awk -v d="$((b1 - b0))" -v hz="$CLK_TCK" -v s="$secs" 'BEGIN { printf "%.0f", d / hz / s * 100 }')
    if [[ -n "$W_SOCKERR$W_NON2XX" ]]; then
        ERRORS+=("$name $url: ${W_SOCKERR:+$W_SOCKERR; }${W_NON2XX}")
        log "  !! $name: ${W_SOCKERR} ${W_NON2XX}"
    fi
}

# Adaptive warm-up. warm_up LABEL URL MIN_SECONDS MAX_SECONDS PIDS...
# Sets WU_FIRST WU_FINAL WU_TTFS (seconds, or "n/c" if not converged) WU_SLICES WU_TOTAL WU_TRACE.
warm_up() {
    local label=$1 url=$2 min=$3 max=$4; shift 4
    local slices=() elapsed=0 converged=0 prev="" i
    log "warm-up $label: ${WARMUP_SLICE}s slices, stop when two consecutive agree within ${WARMUP_TOL}% after >= ${min}s (max ${max}s)"
    while ((elapsed + WARMUP_SLICE <= max || ${#slices[@]} == 0)); do
        run_wrk "warmup-$label" "$url" "$WARMUP_SLICE" "$@"
        elapsed=$((elapsed + WARMUP_SLICE))
        slices+=("$W_RPS")
        log "  t=${elapsed}s  $(printf '%10.0f' "$W_RPS") req/s  (cpu ${W_CPU_US} us/req)"
        if [[ -n $prev ]] && ((elapsed >= min)) \
            && awk -v a="$prev" -v b="$W_RPS" -v t="$WARMUP_TOL" 'BEGIN { d = (b - a) / a * 100; exit !(d <= t && d >= -t) }'; then
            converged=1
            break
        fi
        prev=$W_RPS
    done
    WU_FIRST=${slices[0]}
    WU_FINAL=${slices[-1]}
    WU_SLICES=${#slices[@]}
    WU_TOTAL=$elapsed
    WU_TTFS="n/c"
    for i in "${!slices[@]}"; do
        if awk -v a="${slices[$i]}" -v f="$WU_FINAL" -v t="$WARMUP_TOL" 'BEGIN { d = (a - f) / f * 100; exit !(d <= t && d >= -t) }'; then
            WU_TTFS="$(((i + 1) * WARMUP_SLICE)) s"
            break
        fi
    done
    ((converged)) || WU_TTFS="${WU_TTFS} (NOT converged within ${max} s)"
    WU_TRACE=$(printf '%.0f ' "${slices[@]}")
    log "  warm-up $label: first ${WU_FIRST%.*} -> final ${WU_FINAL%.*} req/s; within ${WARMUP_TOL}% of final after ${WU_TTFS}"
}

# ---------------------------------------------------------------------------------------------------------------
# Servers
write_nginx_common() {  # prefix dir
    local p=$1
    mkdir -p "$p"/{logs,tmp/body,tmp/proxy,tmp/fastcgi,tmp/uwsgi,tmp/scgi}
    cat <<EOF
pid $p/nginx.pid;
error_log $p/logs/error.log warn;
daemon off;
worker_processes 1;
events { worker_connections 4096; multi_accept on; }
EOF
}

http_common() {  # prefix dir
    local p=$1
    cat <<EOF
    access_log off;
    client_body_temp_path $p/tmp/body;
    proxy_temp_path $p/tmp/proxy;
    fastcgi_temp_path $p/tmp/fastcgi;
    uwsgi_temp_path $p/tmp/uwsgi;
    scgi_temp_path $p/tmp/scgi;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
    default_type text/plain;
EOF
}

start_backend() {
    local p="$WORK/backend"
    mkdir -p "$WORK/www"
    printf 'ok\n' >"$WORK/www/tiny"
    head -c 65536 /dev/urandom >"$WORK/www/64k"
    {
        write_nginx_common "$p"
        echo "http {"
        http_common "$p"
        cat <<EOF
    sendfile on;
    tcp_nopush on;
    etag off;
    server {
        listen 127.0.0.1:$BACKEND_PORT backlog=4096;
        root $WORK/www;
        location = /tiny { }
        location = /64k { }
    }
}
EOF
    } >"$p.conf"
    taskset -c "$LOAD_CPU" nginx -p "$p" -c "$p.conf" -e "$p/logs/error.log" >"$p/logs/stdout.log" 2>&1 &
    BACKEND_PID=$!
    PIDS+=("$BACKEND_PID")
    wait_http "http://127.0.0.1:$BACKEND_PORT/tiny" "$BACKEND_PID" backend \
        || { tail -n 20 "$p/logs/error.log" >&2 || true; die 2 "backend nginx failed to start"; }
    BACKEND_PIDS=$(nginx_pids "$BACKEND_PID" | tr '\n' ' ')
    log "backend nginx up on 127.0.0.1:$BACKEND_PORT (pids $BACKEND_PIDS, cpu $LOAD_CPU)"
}

start_nginx_proxy() {
    local p="$WORK/nginx-proxy"
    {
        write_nginx_common "$p"
        echo "http {"
        http_common "$p"
        cat <<EOF
    upstream backend {
        server 127.0.0.1:$BACKEND_PORT;
        keepalive 64;
        keepalive_requests 100000000;
        keepalive_timeout 300s;
    }
    server {
        listen 127.0.0.1:$NGINX_PORT backlog=4096;
        location / {
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
            # Default buffering, sized so a 64 KiB body stays in memory (no temp files).
            proxy_buffer_size 8k;
            proxy_buffers 16 8k;
        }
    }
}
EOF
    } >"$p.conf"
    taskset -c "$SERVER_CPU" nginx -p "$p" -c "$p.conf" -e "$p/logs/error.log" >"$p/logs/stdout.log" 2>&1 &
    NGINX_PID=$!
    PIDS+=("$NGINX_PID")
    wait_http "http://127.0.0.1:$NGINX_PORT/tiny" "$NGINX_PID" nginx-proxy \
        || { tail -n 20 "$p/logs/error.log" >&2 || true; die 2 "nginx reverse proxy failed to start"; }
    NGINX_PIDS=$(nginx_pids "$NGINX_PID" | tr '\n' ' ')
    log "nginx reverse proxy up on 127.0.0.1:$NGINX_PORT (pids $NGINX_PIDS, cpu $SERVER_CPU)"
}

write_proxy_config() {
    cat >"$WORK/gateway.yaml" <<EOF
# Generated by perf/compare.sh: everything on the gateway port goes to the nginx backend.
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: perf-gateway
  namespace: default
spec:
  servers:
  - port:
      number: $PROXY_PORT
      name: http
      protocol: HTTP
    hosts:
    - "*"
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: backend
  namespace: default
spec:
  hosts:
  - backend.perf.local
  location: MESH_EXTERNAL
  resolution: STATIC
  ports:
  - number: 80
    name: http
    protocol: HTTP
  endpoints:
  - address: 127.0.0.1
    ports:
      http: $BACKEND_PORT
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: backend
  namespace: default
spec:
  hosts:
  - "*"
  gateways:
  - perf-gateway
  http:
  - name: all
    route:
    - destination:
        host: backend.perf.local
        port:
          number: 80
EOF
}

PROXY_ENV=()   # extra VAR=value for the Proxy process (profile.sh sets DOTNET_PerfMapEnabled=1)
# start_proxy SCHEDULING: sets PROXY_PID. Runs with the runtime's defaults: DOTNET_/COMPlus_ knobs from the caller's
# environment are removed (DOTNET_ROOT and CLI settings kept).
start_proxy() {
    local sched=$1 logf="$WORK/proxy-$1.log"
    local unset_args=()
    local v
    for v in $(compgen -e | grep -E '^(DOTNET|COMPlus)_' | grep -vE '^DOTNET_(ROOT|CLI_|NOLOGO|SKIP_FIRST_TIME)' || true); do
        unset_args+=(-u "$v")
    done
    env "${unset_args[@]+"${unset_args[@]}"}" "${PROXY_ENV[@]+"${PROXY_ENV[@]}"}" taskset -c "$SERVER_CPU" "$PROXY_BIN" run --config "$WORK/gateway.yaml" \
        --admin "127.0.0.1:$ADMIN_PORT" --listen-address 127.0.0.1 --io-scheduling "$sched" >"$logf" 2>&1 &
    PROXY_PID=$!
    PIDS+=("$PROXY_PID")
    wait_http "http://127.0.0.1:$ADMIN_PORT/ready" "$PROXY_PID" "proxy($sched)" \
        || { tail -n 50 "$logf" >&2 || true; die 2 "Proxy ($sched) failed to become ready"; }
    # Functional check through the gateway before measuring.
    local code size
    read -r code size < <(curl -s -o /dev/null -w '%{http_code} %{size_download}\n' --max-time 5 "http://127.0.0.1:$PROXY_PORT/64k" || echo "000 0")
    if [[ $code != 200 || $size != 65536 ]]; then
        tail -n 50 "$logf" >&2 || true
        die 2 "Proxy ($sched) GET /64k answered $code with $size bytes (expected 200, 65536)"
    fi
    log "Proxy ($sched) ready on 127.0.0.1:$PROXY_PORT (pid $PROXY_PID, cpu $SERVER_CPU, admin $ADMIN_PORT)"
}


# Install tools, check ports, make the temp dir, build the proxy.
prepare() {
    ensure_tools
    [[ $(nproc --all) -ge 2 ]] || log "WARNING: fewer than 2 CPUs; server and load will share a core"
    for p in "$BACKEND_PORT" "$NGINX_PORT" "$PROXY_PORT" "$ADMIN_PORT"; do
        port_in_use "$p" && die 2 "port $p on 127.0.0.1 is already in use (override *_PORT)"
    done
    WORK=$(mktemp -d /tmp/proxy-compare.XXXXXX)
    chmod 755 "$WORK"   # nginx workers run as an unprivileged user when started by root
    LOADAVG_START=$(cut -d' ' -f1-3 /proc/loadavg)
    START_DATE=$(date -u '+%F %T UTC')

    if [[ $SKIP_BUILD != 1 ]]; then
        log "building Proxy (Release)"
        (cd "$ROOT" && dotnet build -c Release hosting/Proxy.Host -nologo -v q) >"$WORK/build.log" 2>&1 \
            || { tail -n 40 "$WORK/build.log" >&2; die 2 "dotnet build failed"; }
    fi
    [[ -x $PROXY_BIN ]] || die 2 "$PROXY_BIN not found"
}
