# Shared by perf/compare.sh and perf/lib/profile.sh: settings, tool installation, process bookkeeping, wrk and iperf3
# parsing, and the servers (nginx backend, nginx reverse proxy plain and TLS, HAProxy, iperf3, Proxy). Source it; it
# sets traps for cleanup.
# shellcheck shell=bash
# ---------------------------------------------------------------------------------------------------------------
# Settings (all overridable from the environment)
DURATION=${DURATION:-20}            # seconds per measured run
WARMUP_SLICE=${WARMUP_SLICE:-5}     # seconds per warm-up slice
WARMUP_MAX=${WARMUP_MAX:-120}       # upper bound of an adaptive warm-up, seconds
WARMUP_MIN=${WARMUP_MIN:-30}        # a fresh Proxy process is not declared warm before this many seconds
WARMUP_MIN_NEXT=${WARMUP_MIN_NEXT:-10}  # ... and a Proxy already warm on another payload not before this
WARMUP_TOL=${WARMUP_TOL:-3}         # percent: "two consecutive slices agree" / "within x% of final"
NGINX_WARMUP=${NGINX_WARMUP:-5}     # seconds, one slice per payload for nginx (and per direction for HAProxy)
TCP_WARMUP_MIN=${TCP_WARMUP_MIN:-10}  # a fresh Proxy pumping TCP is not declared warm before this many seconds
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-1}
SERVER_CPU=${SERVER_CPU:-0}         # core for the server under test
LOAD_CPU=${LOAD_CPU:-1}             # core for wrk and the backend
BACKEND_PORT=${BACKEND_PORT:-18180}
NGINX_PORT=${NGINX_PORT:-18181}
PROXY_PORT=${PROXY_PORT:-18182}
ADMIN_PORT=${ADMIN_PORT:-18183}
PROBE_PORT=${PROBE_PORT:-18184}     # nginx TLS: a logging twin of the measured server block (resumption check)
IPERF_PORT=${IPERF_PORT:-18185}     # iperf3 server: the TCP sink/source behind HAProxy and Proxy
SECTIONS=${SECTIONS:-http,https,handshake,tcp}   # compare.sh: which comparisons to run
HANDSHAKE_MODES=${HANDSHAKE_MODES:-resume,full}  # compare.sh section handshake: resume, full, server-off
QUIET_MAX=${QUIET_MAX:-60}          # seconds to wait, before starting each server, for both cores to be idle
QUIET_BUSY=${QUIET_BUSY:-15}        # percent: "idle" = each core below this over one second
SKIP_BUILD=${SKIP_BUILD:-0}
KEEP_TMP=${KEEP_TMP:-0}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PROXY_BIN="$ROOT/hosting/Proxy.Host/bin/Release/net10.0/proxy"
RUNTIMECONFIG="$ROOT/hosting/Proxy.Host/bin/Release/net10.0/proxy.runtimeconfig.json"

LOG_TAG=${LOG_TAG:-compare}
log() { printf '[%s %(%H:%M:%S)T] %s\n' "$LOG_TAG" -1 "$*" >&2; }
die() { local code=$1; shift; log "ERROR: $*"; exit "$code"; }

# has_section NAME: is NAME in the comma-separated $SECTIONS?
has_section() { [[ ",$SECTIONS," == *",$1,"* ]]; }

# ---------------------------------------------------------------------------------------------------------------
# 1. Tools
ensure_tools() {
    local missing=()
    if has_section https || has_section handshake; then
        command -v openssl >/dev/null 2>&1 || missing+=(openssl)
    fi
    if has_section handshake; then   # the no-resume preload for wrk (make_no_resume)
        command -v gcc >/dev/null 2>&1 || missing+=(gcc)
        [[ -f /usr/include/dlfcn.h ]] || missing+=(libc6-dev)
    fi
    if has_section tcp; then
        command -v haproxy >/dev/null 2>&1 || [[ -x /usr/sbin/haproxy ]] || missing+=(haproxy)
        command -v iperf3 >/dev/null 2>&1 || missing+=(iperf3)
    fi
    command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || missing+=(nginx-light)
    command -v wrk >/dev/null 2>&1 || missing+=(wrk)
    command -v taskset >/dev/null 2>&1 || missing+=(util-linux)
    command -v pgrep >/dev/null 2>&1 || missing+=(procps)
    command -v curl >/dev/null 2>&1 || missing+=(curl)
    command -v getconf >/dev/null 2>&1 || missing+=(libc-bin)
    if ((${#missing[@]})); then
        [[ $(id -u) -eq 0 ]] || die 2 "missing ${missing[*]} and not root; install them first"
        log "installing ${missing[*]}"
        # The distro nginx (and haproxy) packages may start their own service on a systemd machine; we never use it.
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
        code=$(curl -sk -o /dev/null -w '%{http_code}' --max-time 1 "$url" || true)
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

# wait_quiet WHAT: before starting a server, wait (at most QUIET_MAX seconds) until both cores are below QUIET_BUSY %
# busy over one second, so another tenant's build does not land in a measurement. Appends what it saw to QUIET_NOTES.
QUIET_NOTES=()
wait_quiet() {
    local what=$1 waited=0 a0 b0 a1 b1 ba bb
    while true; do
        a0=$(core_jiffies "$SERVER_CPU"); b0=$(core_jiffies "$LOAD_CPU")
        sleep 1
        a1=$(core_jiffies "$SERVER_CPU"); b1=$(core_jiffies "$LOAD_CPU")
        ba=$(busy_pct "$a0" "$a1"); bb=$(busy_pct "$b0" "$b1")
        ((ba < QUIET_BUSY && bb < QUIET_BUSY)) && break
        waited=$((waited + 1))
        if ((waited >= QUIET_MAX)); then
            log "$what: cores still busy (CPU$SERVER_CPU ${ba}%, CPU$LOAD_CPU ${bb}%) after ${QUIET_MAX}s; measuring anyway"
            QUIET_NOTES+=("$what: machine NOT quiet after ${QUIET_MAX}s (CPU$SERVER_CPU ${ba}%, CPU$LOAD_CPU ${bb}% busy before start)")
            return 0
        fi
    done
    ((waited > 0)) && { log "$what: waited ${waited}s for idle cores"; QUIET_NOTES+=("$what: waited ${waited}s for idle cores"); }
    return 0
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
# (and W_RATE = W_RPS, for warm_up) and prints nothing; the raw output is kept in $WORK/wrk-NAME.txt.
# WRK_ARGS (array) adds options, e.g. (-H "Connection: close") for a new connection per request; WRK_ENV (array) adds
# VAR=value to wrk's environment, e.g. (LD_PRELOAD=$NO_RESUME_SO) so that wrk never resumes a TLS session.
ERRORS=()
WRK_SEQ=0
WRK_ARGS=()
WRK_ENV=()
run_wrk() {
    local name=$1 url=$2 secs=$3; shift 3
    local out="$WORK/wrk-$((++WRK_SEQ))-$name.txt" t0 t1 b0 b1 s0 s1 l0 l1 c0 c1
    t0=$(cpu_ticks "$@")
    c0=$(ctx_switches "$@")
    b0=$(cpu_ticks $BACKEND_PIDS)
    s0=$(core_jiffies "$SERVER_CPU")
    l0=$(core_jiffies "$LOAD_CPU")
    env "${WRK_ENV[@]+"${WRK_ENV[@]}"}" taskset -c "$LOAD_CPU" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${secs}s" --latency \
        "${WRK_ARGS[@]+"${WRK_ARGS[@]}"}" "$url" >"$out" 2>&1 \
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
    W_RATE=$W_RPS
    W_NOTE="cpu ${W_CPU_US} us/req"
    if [[ -n "$W_SOCKERR$W_NON2XX" ]]; then
        ERRORS+=("$name $url: ${W_SOCKERR:+$W_SOCKERR; }${W_NON2XX}")
        log "  !! $name: ${W_SOCKERR} ${W_NON2XX}"
    fi
}

# Adaptive warm-up. warm_up LABEL URL MIN_SECONDS MAX_SECONDS PIDS...
# Sets WU_FIRST WU_FINAL WU_TTFS (seconds, or "n/c" if not converged) WU_SLICES WU_TOTAL WU_TRACE.
# WARMUP_RUNNER (run_wrk) runs one slice and sets W_RATE in WARMUP_UNIT (req/s); run_iperf is the other runner.
WARMUP_RUNNER=run_wrk
WARMUP_UNIT=req/s
warm_up() {
    local label=$1 url=$2 min=$3 max=$4; shift 4
    local slices=() elapsed=0 converged=0 prev="" i
    log "warm-up $label: ${WARMUP_SLICE}s slices, stop when two consecutive agree within ${WARMUP_TOL}% after >= ${min}s (max ${max}s)"
    while ((elapsed + WARMUP_SLICE <= max || ${#slices[@]} == 0)); do
        "$WARMUP_RUNNER" "warmup-$label" "$url" "$WARMUP_SLICE" "$@"
        elapsed=$((elapsed + WARMUP_SLICE))
        slices+=("$W_RATE")
        log "  t=${elapsed}s  $(printf '%10.0f' "$W_RATE") $WARMUP_UNIT  ($W_NOTE)"
        if [[ -n $prev ]] && ((elapsed >= min)) \
            && awk -v a="$prev" -v b="$W_RATE" -v t="$WARMUP_TOL" 'BEGIN { d = (b - a) / a * 100; exit !(d <= t && d >= -t) }'; then
            converged=1
            break
        fi
        prev=$W_RATE
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
    log "  warm-up $label: first ${WU_FIRST%.*} -> final ${WU_FINAL%.*} $WARMUP_UNIT; within ${WARMUP_TOL}% of final after ${WU_TTFS}"
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

nginx_upstream() {
    cat <<EOF
    upstream backend {
        server 127.0.0.1:$BACKEND_PORT;
        keepalive 64;
        keepalive_requests 100000000;
        keepalive_timeout 300s;
    }
EOF
}

nginx_proxy_location() {
    cat <<EOF
        location / {
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
            # Default buffering, sized so a 64 KiB body stays in memory (no temp files).
            proxy_buffer_size 8k;
            proxy_buffers 16 8k;
        }
EOF
}

start_nginx_proxy() {
    local p="$WORK/nginx-proxy"
    wait_quiet "nginx proxy"
    {
        write_nginx_common "$p"
        echo "http {"
        http_common "$p"
        nginx_upstream
        echo "    server {"
        echo "        listen 127.0.0.1:$NGINX_PORT backlog=4096;"
        nginx_proxy_location
        echo "    }"
        echo "}"
    } >"$p.conf"
    taskset -c "$SERVER_CPU" nginx -p "$p" -c "$p.conf" -e "$p/logs/error.log" >"$p/logs/stdout.log" 2>&1 &
    NGINX_PID=$!
    PIDS+=("$NGINX_PID")
    wait_http "http://127.0.0.1:$NGINX_PORT/tiny" "$NGINX_PID" nginx-proxy \
        || { tail -n 20 "$p/logs/error.log" >&2 || true; die 2 "nginx reverse proxy failed to start"; }
    NGINX_PIDS=$(nginx_pids "$NGINX_PID" | tr '\n' ' ')
    log "nginx reverse proxy up on 127.0.0.1:$NGINX_PORT (pids $NGINX_PIDS, cpu $SERVER_CPU)"
}

# write_proxy_config [https|http [none|policy]]: $WORK/gateway.yaml (plaintext HTTP) or $WORK/gateway-https.yaml (HTTPS,
# Istio SIMPLE termination with the certificate from make_certs; paths are relative to the YAML file). With a second
# argument (section policy), $WORK/gateway-none.yaml turns retries off (`attempts: 0`) and sets no timeout, and
# $WORK/gateway-policy.yaml sets a route timeout, retries with a per-try timeout, circuit breakers and outlier detection.
write_proxy_config() {
    local kind=${1:-http} variant=${2:-} file="$WORK/gateway.yaml" tls="" route_policy="" rule=""
    if [[ $variant == none ]]; then
        file="$WORK/gateway-none.yaml"
        route_policy=$'    retries:\n      attempts: 0'
    elif [[ $variant == policy ]]; then
        file="$WORK/gateway-policy.yaml"
        route_policy=$'    timeout: 15s\n    retries:\n      attempts: 2\n      perTryTimeout: 5s\n      retryOn: connect-failure,refused-stream,503'
        rule=$'---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: backend\n  namespace: default\nspec:\n  host: backend.perf.local\n  trafficPolicy:\n    connectionPool:\n      tcp:\n        maxConnections: 1024\n      http:\n        http1MaxPendingRequests: 1024\n        http2MaxRequests: 1024\n        maxRetries: 3\n    outlierDetection:\n      consecutive5xxErrors: 5\n      interval: 10s\n      baseEjectionTime: 30s\n      maxEjectionPercent: 50'
    fi
    if [[ $kind == https ]]; then
        make_certs
        file="$WORK/gateway-https.yaml"
        tls=$'    tls:\n      mode: SIMPLE\n      serverCertificate: certs/tls.crt\n      privateKey: certs/tls.key'
    fi
    cat >"$file" <<EOF
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
      name: $kind
      protocol: ${kind^^}
    hosts:
    - "*"
$tls
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
$route_policy
$rule
EOF
}

# ECDSA P-256 server certificate for 127.0.0.1 / perf.local, generated per run into $WORK/certs (never committed).
make_certs() {
    [[ -f $WORK/certs/tls.crt ]] && return 0
    mkdir -p "$WORK/certs"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=perf.local \
        -addext subjectAltName=DNS:perf.local,IP:127.0.0.1 -keyout "$WORK/certs/tls.key" -out "$WORK/certs/tls.crt" \
        >"$WORK/certs/openssl.log" 2>&1 || { cat "$WORK/certs/openssl.log" >&2; die 2 "openssl could not make the certificate"; }
}

# start_nginx_tls MODE: nginx terminating TLS on NGINX_PORT in front of the backend, otherwise as start_nginx_proxy.
# MODE resume: nginx's defaults (session tickets on, no session cache); MODE full: tickets and cache off, so every
# handshake is a full one. A twin server block on PROBE_PORT logs the TLS parameters for tls_resumption_probe; the
# measured block logs nothing. Sets NGINX_PID NGINX_PIDS.
start_nginx_tls() {
    local mode=$1 p="$WORK/nginx-tls-$1" session=""
    wait_quiet "nginx TLS $mode"
    make_certs
    [[ $mode == full ]] && session="ssl_session_tickets off; ssl_session_cache off;"
    {
        write_nginx_common "$p"
        echo "http {"
        http_common "$p"
        nginx_upstream
        cat <<EOF
    ssl_certificate $WORK/certs/tls.crt;
    ssl_certificate_key $WORK/certs/tls.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    $session
    log_format tls '\$ssl_protocol \$ssl_cipher \$ssl_curve \$ssl_session_reused';
    server {
        listen 127.0.0.1:$NGINX_PORT ssl backlog=4096;
$(nginx_proxy_location)
    }
    server {
        listen 127.0.0.1:$PROBE_PORT ssl;
        access_log $p/logs/probe.log tls;
$(nginx_proxy_location)
    }
}
EOF
    } >"$p.conf"
    taskset -c "$SERVER_CPU" nginx -p "$p" -c "$p.conf" -e "$p/logs/error.log" >"$p/logs/stdout.log" 2>&1 &
    NGINX_PID=$!
    PIDS+=("$NGINX_PID")
    wait_http "https://127.0.0.1:$NGINX_PORT/tiny" "$NGINX_PID" "nginx-tls-$mode" \
        || { tail -n 20 "$p/logs/error.log" >&2 || true; die 2 "nginx TLS ($mode) failed to start"; }
    NGINX_PIDS=$(nginx_pids "$NGINX_PID" | tr '\n' ' ')
    log "nginx TLS ($mode) up on 127.0.0.1:$NGINX_PORT (pids $NGINX_PIDS, cpu $SERVER_CPU)"
}

# make_no_resume: builds lib/no-resume.c into $WORK/no-resume.so (an LD_PRELOAD that stops wrk from resuming TLS
# sessions) and sets NO_RESUME_SO.
make_no_resume() {
    NO_RESUME_SO="$WORK/no-resume.so"
    [[ -f $NO_RESUME_SO ]] && return 0
    gcc -shared -fPIC -O2 -Wall -o "$NO_RESUME_SO" "$ROOT/perf/lib/no-resume.c" -ldl >"$WORK/no-resume.log" 2>&1 \
        || { cat "$WORK/no-resume.log" >&2; die 2 "could not build perf/lib/no-resume.c"; }
}

# tls_resumption_probe MODE LABEL: 2 s of wrk with "Connection: close" (8 connections, wrk's environment from WRK_ENV)
# against the logging twin on PROBE_PORT of the nginx TLS server started in MODE. Sets TP_WRK: what wrk negotiated and
# how many of its connections resumed a session, from nginx's log.
tls_resumption_probe() {
    local logf="$WORK/nginx-tls-$1/logs/probe.log"
    : >"$logf"
    env "${WRK_ENV[@]+"${WRK_ENV[@]}"}" taskset -c "$LOAD_CPU" wrk -t1 -c8 -d2s -H "Connection: close" "https://127.0.0.1:$PROBE_PORT/tiny" \
        >"$WORK/wrk-probe-$1-$2.txt" 2>&1 || true
    TP_WRK=$(awk '{ n++; if ($4 == "r") r++; k[$1 " " $2 " " $3]++ } END {
        for (x in k) kinds = kinds (kinds ? "; " : "") x;
        if (n) printf "%s: %d of %d connections resumed a session (%.1f%%)", kinds, r, n, r / n * 100; else print "no connections logged" }' "$logf")
}

# tls_probe PORT: one connection with openssl s_client (the library and defaults wrk uses) that saves its session,
# then one that offers it back. Sets TP_LINE: version, cipher, key exchange group, signature, and whether the offered
# session was resumed ("Reused") or not ("New").
tls_probe() {
    local port=$1 out="$WORK/s_client-$1-$((++WRK_SEQ))" proto group sig second
    printf 'GET /tiny HTTP/1.1\r\nHost: perf.local\r\nConnection: close\r\n\r\n' \
        | timeout 10 openssl s_client -connect "127.0.0.1:$port" -servername perf.local -sess_out "$out.sess" -ign_eof \
            >"$out.1.txt" 2>&1 || true
    printf 'GET /tiny HTTP/1.1\r\nHost: perf.local\r\nConnection: close\r\n\r\n' \
        | timeout 10 openssl s_client -connect "127.0.0.1:$port" -servername perf.local -sess_in "$out.sess" -ign_eof \
            >"$out.2.txt" 2>&1 || true
    proto=$(grep -m1 -E '^(New|Reused),' "$out.1.txt" | sed 's/^New, //; s/, Cipher is / /' || true)
    group=$(grep -m1 -E 'Server Temp Key:' "$out.1.txt" | sed 's/.*Server Temp Key: //' || true)
    sig=$(grep -m1 -E 'Peer signature type:' "$out.1.txt" | sed 's/.*Peer signature type: //' || true)
    second=$(grep -m1 -E '^(New|Reused),' "$out.2.txt" | cut -d, -f1 || true)
    TP_LINE="${proto:-?}, ${group:-?}, ${sig:-?} signature; session offered back: ${second:-?}"
}

# HAProxy in TCP mode on NGINX_PORT, one process and one thread, pinned like the other servers. Sets HAPROXY_PID.
start_haproxy() {
    local p="$WORK/haproxy"
    wait_quiet HAProxy
    mkdir -p "$p"
    cat >"$p.cfg" <<EOF
global
    nbthread 1
    maxconn 4096
    pidfile $p/haproxy.pid
defaults
    mode tcp
    timeout connect 5s
    timeout client 300s
    timeout server 300s
frontend sut
    bind 127.0.0.1:$NGINX_PORT
    default_backend sink
backend sink
    server iperf 127.0.0.1:$IPERF_PORT
EOF
    command -v haproxy >/dev/null 2>&1 || PATH="$PATH:/usr/sbin"
    taskset -c "$SERVER_CPU" haproxy -db -f "$p.cfg" >"$p/haproxy.log" 2>&1 &
    HAPROXY_PID=$!
    PIDS+=("$HAPROXY_PID")
    wait_port "$NGINX_PORT" "$HAPROXY_PID" haproxy || { tail -n 20 "$p/haproxy.log" >&2 || true; die 2 "HAProxy failed to start"; }
    log "HAProxy up on 127.0.0.1:$NGINX_PORT (pid $HAPROXY_PID, cpu $SERVER_CPU)"
}

# iperf3 server on IPERF_PORT, pinned to the load core. Sets IPERF_PID.
start_iperf_server() {
    taskset -c "$LOAD_CPU" iperf3 -s -B 127.0.0.1 -p "$IPERF_PORT" >"$WORK/iperf3-server.log" 2>&1 &
    IPERF_PID=$!
    PIDS+=("$IPERF_PID")
    wait_port "$IPERF_PORT" "$IPERF_PID" iperf3 || { cat "$WORK/iperf3-server.log" >&2; die 2 "iperf3 server failed to start"; }
    log "iperf3 server up on 127.0.0.1:$IPERF_PORT (pid $IPERF_PID, cpu $LOAD_CPU)"
}

# wait_port PORT PID WHAT: poll until 127.0.0.1:PORT accepts (bounded: 30 s), failing fast if PID dies.
wait_port() {
    local port=$1 pid=$2 what=$3
    for _ in $(seq 300); do
        kill -0 "$pid" 2>/dev/null || return 1
        port_in_use "$port" && return 0
        sleep 0.1
    done
    log "$what: port $port did not accept within 30 s"
    return 1
}

# iperf3 wrapper. run_iperf NAME PORT SECONDS PIDS... (IPERF_REVERSE=1 adds -R: the iperf3 server sends, through the
# proxy, to the client). One stream, iperf3's default 128 KiB writes, client on LOAD_CPU. Sets I_MIBS (MiB/s
# received) and W_RATE (the same, for warm_up), I_RETR (retransmits), I_CPU_PCT (server CPU as a share of one core),
# I_CPU_MS_GIB (server CPU ms per GiB moved), I_SCORE_PCT / I_LCORE_PCT (per-core busy). JSON kept in $WORK.
IPERF_REVERSE=0
run_iperf() {
    local name=$1 port=$2 secs=$3; shift 3
    local out="$WORK/iperf-$((++WRK_SEQ))-$name.json" t0 t1 s0 s1 l0 l1 bytes
    local dir=()
    ((IPERF_REVERSE)) && dir=(-R)
    t0=$(cpu_ticks "$@")
    s0=$(core_jiffies "$SERVER_CPU")
    l0=$(core_jiffies "$LOAD_CPU")
    timeout "$((secs + 30))" taskset -c "$LOAD_CPU" iperf3 -c 127.0.0.1 -p "$port" -t "$secs" "${dir[@]+"${dir[@]}"}" -J >"$out" 2>&1 \
        || { cat "$out" >&2; die 1 "iperf3 failed through 127.0.0.1:$port (${dir[*]:-forward})"; }
    t1=$(cpu_ticks "$@")
    s1=$(core_jiffies "$SERVER_CPU")
    l1=$(core_jiffies "$LOAD_CPU")
    I_SCORE_PCT=$(busy_pct "$s0" "$s1")
    I_LCORE_PCT=$(busy_pct "$l0" "$l1")
    # end.sum_received: { "start": 0, "end": S, "seconds": S, "bytes": B, ... }; end.sum_sent has "retransmits".
    read -r bytes I_SECS < <(awk '/"sum_received"/ { f = 1 } f && /"seconds"/ { gsub(/[,"]/, ""); s = $2 } f && /"bytes"/ { gsub(/[,"]/, ""); print $2, s; exit }' "$out")
    I_RETR=$(awk '/"sum_sent"/ { f = 1 } f && /"retransmits"/ { gsub(/[,"]/, ""); print $2; exit }' "$out")
    [[ -n "$bytes" && "$bytes" -gt 0 ]] || { cat "$out" >&2; die 1 "could not parse iperf3 output ($out)"; }
    I_MIBS=$(awk -v b="$bytes" -v s="$I_SECS" 'BEGIN { printf "%.1f", b / s / 1048576 }')
    I_CPU_PCT=$(awk -v d="$((t1 - t0))" -v hz="$CLK_TCK" -v s="$secs" 'BEGIN { printf "%.0f", d / hz / s * 100 }')
    I_CPU_MS_GIB=$(awk -v d="$((t1 - t0))" -v hz="$CLK_TCK" -v b="$bytes" 'BEGIN { printf "%.1f", d * 1000 / hz / (b / 1073741824) }')
    W_RATE=$I_MIBS
    W_NOTE="server cpu ${I_CPU_PCT}%, ${I_CPU_MS_GIB} ms/GiB"
}

# $WORK/gateway-tcp.yaml: a TCP server on PROXY_PORT whose VirtualService tcp route goes to the iperf3 server.
write_proxy_tcp_config() {
    cat >"$WORK/gateway-tcp.yaml" <<EOF
# Generated by perf/compare.sh: every connection to the gateway port is pumped to the iperf3 server.
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: perf-gateway
  namespace: default
spec:
  servers:
  - port:
      number: $PROXY_PORT
      name: tcp
      protocol: TCP
    hosts:
    - "*"
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: sink
  namespace: default
spec:
  hosts:
  - sink.perf.local
  location: MESH_EXTERNAL
  resolution: STATIC
  ports:
  - number: 5201
    name: tcp
    protocol: TCP
  endpoints:
  - address: 127.0.0.1
    ports:
      tcp: $IPERF_PORT
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: sink
  namespace: default
spec:
  hosts:
  - "*"
  gateways:
  - perf-gateway
  tcp:
  - route:
    - destination:
        host: sink.perf.local
        port:
          number: 5201
EOF
}

PROXY_ENV=()   # extra VAR=value for the Proxy process (profile.sh sets DOTNET_PerfMapEnabled=1)
# start_proxy SCHEDULING [CONFIG [LABEL [CHECK]]]: sets PROXY_PID. CONFIG defaults to the HTTP gateway.yaml, LABEL (its
# log is $WORK/proxy-LABEL.log) to SCHEDULING, CHECK to http: GET /64k through PROXY_PORT must return 65536 bytes
# (https: the same over TLS; none: only the admin /ready). Runs with the runtime's defaults: DOTNET_/COMPlus_ knobs
# from the caller's environment are removed (DOTNET_ROOT and CLI settings kept); PROXY_ENV is added after that.
start_proxy() {
    local sched=$1 config=${2:-$WORK/gateway.yaml} label=${3:-$1} check=${4:-http}
    local logf="$WORK/proxy-$label.log"
    wait_quiet "proxy $label"
    local unset_args=()
    local v
    for v in $(compgen -e | grep -E '^(DOTNET|COMPlus)_' | grep -vE '^DOTNET_(ROOT|CLI_|NOLOGO|SKIP_FIRST_TIME)' || true); do
        unset_args+=(-u "$v")
    done
    env "${unset_args[@]+"${unset_args[@]}"}" "${PROXY_ENV[@]+"${PROXY_ENV[@]}"}" taskset -c "$SERVER_CPU" "$PROXY_BIN" run --config "$config" \
        --admin "127.0.0.1:$ADMIN_PORT" --listen-address 127.0.0.1 --io-scheduling "$sched" >"$logf" 2>&1 &
    PROXY_PID=$!
    PIDS+=("$PROXY_PID")
    wait_http "http://127.0.0.1:$ADMIN_PORT/ready" "$PROXY_PID" "proxy($label)" \
        || { tail -n 50 "$logf" >&2 || true; die 2 "Proxy ($label) failed to become ready"; }
    # Functional check through the gateway before measuring.
    if [[ $check != none ]]; then
        local code size
        read -r code size < <(curl -sk -o /dev/null -w '%{http_code} %{size_download}\n' --max-time 5 "$check://127.0.0.1:$PROXY_PORT/64k" || echo "000 0")
        if [[ $code != 200 || $size != 65536 ]]; then
            tail -n 50 "$logf" >&2 || true
            die 2 "Proxy ($label) GET $check /64k answered $code with $size bytes (expected 200, 65536)"
        fi
    fi
    log "Proxy ($label) ready on 127.0.0.1:$PROXY_PORT (pid $PROXY_PID, cpu $SERVER_CPU, admin $ADMIN_PORT)"
}


# Install tools, check ports, make the temp dir, build the proxy.
prepare() {
    ensure_tools
    [[ $(nproc --all) -ge 2 ]] || log "WARNING: fewer than 2 CPUs; server and load will share a core"
    for p in "$BACKEND_PORT" "$NGINX_PORT" "$PROXY_PORT" "$ADMIN_PORT" "$PROBE_PORT" "$IPERF_PORT"; do
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
