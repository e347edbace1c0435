#!/usr/bin/env bash
# Proxy against a reference server on one pinned core, in sections (SECTIONS, comma-separated, default all):
#   http       Proxy vs nginx as an HTTP/1.1 reverse proxy in front of the same nginx backend
#   https      the same over TLS (keep-alive): both terminate TLS with one ECDSA P-256 certificate
#   handshake  a new TLS connection per request (wrk -H "Connection: close"): resumed and full handshakes
#   tcp        L4 pump, Proxy (Istio TCP server + tcp route) vs HAProxy mode tcp, iperf3 through both, each direction
#   policy     Proxy against itself on /tiny: retries, timeouts, circuit breakers and outlier detection configured vs
#              retries off and nothing else (not part of the default run)
#
#   perf/compare.sh                      full run (about 14 minutes)
#   SECTIONS=https,tcp perf/compare.sh   only these sections
#   DURATION=5 WARMUP_MAX=10 perf/compare.sh   quick smoke run
#
# Progress goes to stderr; a Markdown report (paste into perf/RESULTS.md) goes to stdout.
# Exit status: 0 ok, 1 a wrk run reported socket errors or non-2xx/3xx responses, 2 a server failed to start
# (or the environment is unusable). See perf/README.md.
set -euo pipefail

COMMAND_LINE="$0 $*"
ENV_LINE=""
for v in SECTIONS POLICY_ROUNDS HANDSHAKE_MODES DURATION WARMUP_MAX WARMUP_MIN WARMUP_SLICE CONNECTIONS THREADS; do
    if [[ -n "${!v+x}" ]] && env | grep -q "^$v="; then ENV_LINE+="$v=${!v} "; fi
done
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

for s in ${SECTIONS//,/ }; do
    case $s in http | https | handshake | tcp | policy) ;; *) die 2 "unknown section '$s' in SECTIONS (http, https, handshake, tcp, policy)" ;; esac
done

# ---------------------------------------------------------------------------------------------------------------
# Main
prepare

declare -A RPS P50 P99 CPU CPUPCT BEPCT SCORE LCORE CSW WARM
declare -A PROXY_THREADS PROXY_RSS
PAYLOADS=(tiny 64k)
record() {  # key: store the last run_wrk figures
    local k=$1
    RPS[$k]=$W_RPS P50[$k]=$W_P50 P99[$k]=$W_P99 CPU[$k]=$W_CPU_US CPUPCT[$k]=$W_CPU_PCT BEPCT[$k]=$W_BACKEND_PCT SCORE[$k]=$W_SCORE_PCT LCORE[$k]=$W_LCORE_PCT CSW[$k]=$W_CS_REQ
}
check_proxy_log() {  # label
    local f="$WORK/proxy-$1.log"
    if grep -qiE 'fail|exception|error' "$f"; then
        log "  Proxy($1) logged errors:"; grep -iE 'fail|exception|error' "$f" | head -n 10 >&2
        ERRORS+=("Proxy($1) log: $(grep -ciE 'fail|exception|error' "$f") lines matching fail/exception/error")
    fi
}
if has_section http || has_section https || has_section handshake || has_section policy; then
    start_backend
fi

# ===============================================================================================================
# Section http
if has_section http; then
write_proxy_config

# --- nginx ---
start_nginx_proxy
for pl in "${PAYLOADS[@]}"; do
    log "nginx /$pl: warm-up ${NGINX_WARMUP}s"
    run_wrk "nginx-warmup-$pl" "http://127.0.0.1:$NGINX_PORT/$pl" "$NGINX_WARMUP" $NGINX_PIDS
    log "nginx /$pl: measuring ${DURATION}s"
    run_wrk "nginx-$pl" "http://127.0.0.1:$NGINX_PORT/$pl" "$DURATION" $NGINX_PIDS
    k="nginx|$pl"
    RPS[$k]=$W_RPS P50[$k]=$W_P50 P99[$k]=$W_P99 CPU[$k]=$W_CPU_US CPUPCT[$k]=$W_CPU_PCT BEPCT[$k]=$W_BACKEND_PCT SCORE[$k]=$W_SCORE_PCT LCORE[$k]=$W_LCORE_PCT CSW[$k]=$W_CS_REQ
    log "  nginx /$pl: ${W_RPS} req/s p50 $(fmt_ms "$W_P50") ms p99 $(fmt_ms "$W_P99") ms, ${W_CPU_US} us CPU/req (${W_CPU_PCT}% of core)"
done
stop_pid "$NGINX_PID"

# --- Proxy, inline then threadpool ---
measure_proxy() {  # SCHED PAYLOADS...
    local sched=$1; shift
    local first=1 pl k
    start_proxy "$sched"
    for pl in "$@"; do
        k="proxy-$sched|$pl"
        if ((first)); then
            warm_up "proxy-$sched-$pl" "http://127.0.0.1:$PROXY_PORT/$pl" "$WARMUP_MIN" "$WARMUP_MAX" "$PROXY_PID"
        else
            warm_up "proxy-$sched-$pl" "http://127.0.0.1:$PROXY_PORT/$pl" "$WARMUP_MIN_NEXT" "$WARMUP_MAX" "$PROXY_PID"
        fi
        WARM[$k]="first ${WU_FIRST%.*} -> final ${WU_FINAL%.*} req/s; within ${WARMUP_TOL}% of final after ${WU_TTFS}; ${WU_SLICES} slices (${WU_TOTAL}s): ${WU_TRACE}"
        first=0
        log "Proxy($sched) /$pl: measuring ${DURATION}s"
        run_wrk "proxy-$sched-$pl" "http://127.0.0.1:$PROXY_PORT/$pl" "$DURATION" "$PROXY_PID"
        RPS[$k]=$W_RPS P50[$k]=$W_P50 P99[$k]=$W_P99 CPU[$k]=$W_CPU_US CPUPCT[$k]=$W_CPU_PCT BEPCT[$k]=$W_BACKEND_PCT SCORE[$k]=$W_SCORE_PCT LCORE[$k]=$W_LCORE_PCT CSW[$k]=$W_CS_REQ
        log "  Proxy($sched) /$pl: ${W_RPS} req/s p50 $(fmt_ms "$W_P50") ms p99 $(fmt_ms "$W_P99") ms, ${W_CPU_US} us CPU/req (${W_CPU_PCT}% of core)"
    done
    PROXY_THREADS[$sched]=$(awk '/^Threads:/ {print $2}' "/proc/$PROXY_PID/status")
    PROXY_RSS[$sched]=$(awk '/^VmRSS:/ {printf "%.0f MiB", $2 / 1024}' "/proc/$PROXY_PID/status")
    kill -0 "$PROXY_PID" 2>/dev/null || die 2 "Proxy ($sched) died during the run"
    stop_pid "$PROXY_PID"
    check_proxy_log "$sched"
}
measure_proxy inline "${PAYLOADS[@]}"
measure_proxy threadpool tiny
fi

# ===============================================================================================================
# Section policy: the same Proxy on /tiny with no resilience policy (retries off) and with one (route timeout, retries
# with a per-try timeout, circuit breakers, outlier detection), alternating twice so drift shows. Keys "policy-none|N"
# and "policy-on|N".
read -r -a POLICY_ROUNDS <<<"$(seq -s " " 1 "${POLICY_ROUNDS:-3}")"
if has_section policy; then
    write_proxy_config http none
    write_proxy_config http policy
    for n in "${POLICY_ROUNDS[@]}"; do
        for variant in none policy; do
            label="policy-$variant-$n"
            k="policy-${variant/policy/on}|$n"
            start_proxy inline "$WORK/gateway-$variant.yaml" "$label"
            warm_up "$label" "http://127.0.0.1:$PROXY_PORT/tiny" "$WARMUP_MIN" "$WARMUP_MAX" "$PROXY_PID"
            log "Proxy($label) /tiny: measuring ${DURATION}s"
            run_wrk "$label" "http://127.0.0.1:$PROXY_PORT/tiny" "$DURATION" "$PROXY_PID"
            record "$k"
            log "  Proxy($label) /tiny: ${W_RPS} req/s p99 $(fmt_ms "$W_P99") ms, ${W_CPU_US} us CPU/req"
            stop_pid "$PROXY_PID"
            check_proxy_log "$label"
        done
    done
fi

# ===============================================================================================================
# Sections https and handshake. Keys "nginx-tls|X" and "proxy-tls|X", X = tiny, 64k (keep-alive) and, with
# "Connection: close", the HANDSHAKE_MODES: hs-resume (wrk resumes, servers' defaults), hs-full (wrk never resumes:
# lib/no-resume.c; servers' defaults), hs-off (servers refuse resumption: nginx tickets and cache off, .NET's
# DISABLETLSRESUME switch).
for m in ${HANDSHAKE_MODES//,/ }; do
    case $m in resume | full | server-off) ;; *) die 2 "unknown mode '$m' in HANDSHAKE_MODES (resume, full, server-off)" ;; esac
done
has_mode() { has_section handshake && [[ ",$HANDSHAKE_MODES," == *",$1,"* ]]; }
declare -A TLS_NOTE
CLOSE_ARGS=(-H "Connection: close")
measure_nginx_tls() {  # key url
    log "nginx TLS $1: warm-up ${NGINX_WARMUP}s"
    run_wrk "nginx-tls-warmup-$1" "$2" "$NGINX_WARMUP" $NGINX_PIDS
    log "nginx TLS $1: measuring ${DURATION}s"
    run_wrk "nginx-tls-$1" "$2" "$DURATION" $NGINX_PIDS
    record "nginx-tls|$1"
    log "  nginx TLS $1: ${W_RPS} req/s p50 $(fmt_ms "$W_P50") ms p99 $(fmt_ms "$W_P99") ms, ${W_CPU_US} us CPU/req (${W_CPU_PCT}% of core)"
}
PROXY_FRESH=1
measure_proxy_tls() {  # key url
    local min=$WARMUP_MIN_NEXT
    ((PROXY_FRESH)) && min=$WARMUP_MIN
    PROXY_FRESH=0
    warm_up "proxy-tls-$1" "$2" "$min" "$WARMUP_MAX" "$PROXY_PID"
    WARM[proxy-tls|$1]="first ${WU_FIRST%.*} -> final ${WU_FINAL%.*} req/s; within ${WARMUP_TOL}% of final after ${WU_TTFS}; ${WU_SLICES} slices (${WU_TOTAL}s): ${WU_TRACE}"
    log "Proxy TLS $1: measuring ${DURATION}s"
    run_wrk "proxy-tls-$1" "$2" "$DURATION" "$PROXY_PID"
    record "proxy-tls|$1"
    log "  Proxy TLS $1: ${W_RPS} req/s p50 $(fmt_ms "$W_P50") ms p99 $(fmt_ms "$W_P99") ms, ${W_CPU_US} us CPU/req (${W_CPU_PCT}% of core)"
}
# handshakes SERVER: the handshake modes against the running nginx ("nginx") or Proxy ("proxy"), default session
# handling on the server: resumed (wrk as it is), then full (wrk with the no-resume preload).
handshakes() {
    local srv=$1 url
    [[ $srv == nginx ]] && url="$NGINX_URL/tiny" || url="$PROXY_URL/tiny"
    WRK_ARGS=("${CLOSE_ARGS[@]}")
    if has_mode resume; then
        [[ $srv == nginx ]] && { tls_resumption_probe resume wrk; TLS_NOTE[wrk-resume]=$TP_WRK; }
        "measure_${srv}_tls" hs-resume "$url"
    fi
    if has_mode full; then
        WRK_ENV=("LD_PRELOAD=$NO_RESUME_SO")
        [[ $srv == nginx ]] && { tls_resumption_probe resume no-resume; TLS_NOTE[wrk-full]=$TP_WRK; }
        "measure_${srv}_tls" hs-full "$url"
        WRK_ENV=()
    fi
    WRK_ARGS=()
}
if has_section https || has_section handshake; then
    make_certs
    has_mode full && make_no_resume
    write_proxy_config https
    NGINX_URL="https://127.0.0.1:$NGINX_PORT"
    PROXY_URL="https://127.0.0.1:$PROXY_PORT"

    # --- nginx, default session handling (tickets on): keep-alive, then a new connection per request ---
    start_nginx_tls resume
    tls_probe "$NGINX_PORT"; TLS_NOTE[nginx-resume]=$TP_LINE
    if has_section https; then
        for pl in "${PAYLOADS[@]}"; do measure_nginx_tls "$pl" "$NGINX_URL/$pl"; done
    fi
    handshakes nginx
    stop_pid "$NGINX_PID"

    # --- nginx refusing resumption (no session tickets, no session cache) ---
    if has_mode server-off; then
        start_nginx_tls full
        tls_probe "$NGINX_PORT"; TLS_NOTE[nginx-off]=$TP_LINE
        tls_resumption_probe full wrk; TLS_NOTE[wrk-off]=$TP_WRK
        WRK_ARGS=("${CLOSE_ARGS[@]}")
        measure_nginx_tls hs-off "$NGINX_URL/tiny"
        WRK_ARGS=()
        stop_pid "$NGINX_PID"
    fi

    # --- Proxy, .NET's defaults (SslStream on OpenSSL issues session tickets and resumes) ---
    start_proxy inline "$WORK/gateway-https.yaml" https https
    tls_probe "$PROXY_PORT"; TLS_NOTE[proxy-resume]=$TP_LINE
    PROXY_FRESH=1
    if has_section https; then
        for pl in "${PAYLOADS[@]}"; do measure_proxy_tls "$pl" "$PROXY_URL/$pl"; done
    fi
    handshakes proxy
    PROXY_THREADS[https]=$(awk '/^Threads:/ {print $2}' "/proc/$PROXY_PID/status")
    PROXY_RSS[https]=$(awk '/^VmRSS:/ {printf "%.0f MiB", $2 / 1024}' "/proc/$PROXY_PID/status")
    stop_pid "$PROXY_PID"
    check_proxy_log https

    # --- Proxy refusing resumption: .NET's switch, which also gives every handshake its own OpenSSL SSL_CTX ---
    if has_mode server-off; then
        PROXY_ENV=(DOTNET_SYSTEM_NET_SECURITY_DISABLETLSRESUME=1)
        start_proxy inline "$WORK/gateway-https.yaml" https-off https
        PROXY_ENV=()
        tls_probe "$PROXY_PORT"; TLS_NOTE[proxy-off]=$TP_LINE
        PROXY_FRESH=1
        WRK_ARGS=("${CLOSE_ARGS[@]}")
        measure_proxy_tls hs-off "$PROXY_URL/tiny"
        WRK_ARGS=()
        stop_pid "$PROXY_PID"
        check_proxy_log https-off
    fi
fi

# ===============================================================================================================
# Section tcp: iperf3 (one stream) through HAProxy, then through Proxy; client -> server, then -R (server -> client).
# Keys "haproxy|up", "haproxy|down", "proxy|up", "proxy|down".
declare -A MIBS RETR TCPU TCPUGIB TSCORE TLCORE
record_iperf() {  # key
    local k=$1
    MIBS[$k]=$I_MIBS RETR[$k]=$I_RETR TCPU[$k]=$I_CPU_PCT TCPUGIB[$k]=$I_CPU_MS_GIB TSCORE[$k]=$I_SCORE_PCT TLCORE[$k]=$I_LCORE_PCT
}
TCP_DIRS=(up down)
if has_section tcp; then
    write_proxy_tcp_config
    start_iperf_server

    start_haproxy
    for d in "${TCP_DIRS[@]}"; do
        IPERF_REVERSE=0; [[ $d == down ]] && IPERF_REVERSE=1
        log "HAProxy $d: warm-up ${NGINX_WARMUP}s"
        run_iperf "haproxy-warmup-$d" "$NGINX_PORT" "$NGINX_WARMUP" "$HAPROXY_PID"
        log "HAProxy $d: measuring ${DURATION}s"
        run_iperf "haproxy-$d" "$NGINX_PORT" "$DURATION" "$HAPROXY_PID"
        record_iperf "haproxy|$d"
        log "  HAProxy $d: ${I_MIBS} MiB/s, server CPU ${I_CPU_PCT}%, ${I_CPU_MS_GIB} ms/GiB, ${I_RETR} retransmits"
    done
    stop_pid "$HAPROXY_PID"

    start_proxy inline "$WORK/gateway-tcp.yaml" tcp none
    WARMUP_RUNNER=run_iperf WARMUP_UNIT=MiB/s
    for d in "${TCP_DIRS[@]}"; do
        IPERF_REVERSE=0; [[ $d == down ]] && IPERF_REVERSE=1
        warm_up "proxy-tcp-$d" "$PROXY_PORT" "$TCP_WARMUP_MIN" "$WARMUP_MAX" "$PROXY_PID"
        WARM[proxy-tcp|$d]="first ${WU_FIRST%.*} -> final ${WU_FINAL%.*} MiB/s; within ${WARMUP_TOL}% of final after ${WU_TTFS}; ${WU_SLICES} slices (${WU_TOTAL}s): ${WU_TRACE}"
        log "Proxy TCP $d: measuring ${DURATION}s"
        run_iperf "proxy-tcp-$d" "$PROXY_PORT" "$DURATION" "$PROXY_PID"
        record_iperf "proxy|$d"
        log "  Proxy TCP $d: ${I_MIBS} MiB/s, server CPU ${I_CPU_PCT}%, ${I_CPU_MS_GIB} ms/GiB, ${I_RETR} retransmits"
    done
    WARMUP_RUNNER=run_wrk WARMUP_UNIT=req/s
    PROXY_THREADS[tcp]=$(awk '/^Threads:/ {print $2}' "/proc/$PROXY_PID/status")
    PROXY_RSS[tcp]=$(awk '/^VmRSS:/ {printf "%.0f MiB", $2 / 1024}' "/proc/$PROXY_PID/status")
    stop_pid "$PROXY_PID"
    check_proxy_log tcp
    stop_pid "$IPERF_PID"
fi

LOADAVG_END=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------------------------------------------------------
# Report
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2f", a / b }'; }
gc_setting() {  # key default
    local v
    v=$(grep -o "\"$1\": *[a-z]*" "$RUNTIMECONFIG" 2>/dev/null | awk -F': *' '{print $2}' || true)
    echo "${v:-$2 (default)}"
}
cpu_model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
nginx_version=$(nginx -v 2>&1 | sed 's/^nginx version: //')
openssl_version=$(openssl version 2>/dev/null | cut -d' ' -f1-2 || echo "?")
haproxy_version=$(haproxy -v 2>/dev/null | head -n1 | cut -d' ' -f3 || echo "?")
iperf_version=$(iperf3 --version 2>/dev/null | head -n1 | cut -d' ' -f2 || echo "?")
commit=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(cd "$ROOT" && git status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo " (dirty)" || true)

row() {  # label key
    local k=$2
    printf '| %s | %s | %.0f | %s | %s | %s | %s | %s%% | %s%% | %s%% | %s%% |\n' "$1" "${k#*|}" "${RPS[$k]}" "$(fmt_ms "${P50[$k]}")" \
        "$(fmt_ms "${P99[$k]}")" "${CPU[$k]}" "${CSW[$k]}" "${CPUPCT[$k]}" "${SCORE[$k]}" "${BEPCT[$k]}" "${LCORE[$k]}"
}

{
    echo "### Run $START_DATE"
    echo
    echo "- command: \`${ENV_LINE}${COMMAND_LINE% }\`"
    echo "- Proxy commit: $commit$dirty; Proxy runs \`proxy run --io-scheduling inline|threadpool --listen-address 127.0.0.1 --admin 127.0.0.1:$ADMIN_PORT\`"
    echo "- sections: $SECTIONS"
    echo "- machine: nproc $(nproc --all), $cpu_model, kernel $(uname -r), dotnet $(dotnet --version), nginx $nginx_version"
    if has_section https || has_section handshake || has_section tcp; then
        echo "- TLS library (nginx, wrk and .NET's SslStream all use the system's): $openssl_version; HAProxy $haproxy_version, iperf3 $iperf_version"
    fi
    echo "- .NET runtime settings (runtimeconfig): System.GC.Server=$(gc_setting System.GC.Server false), System.GC.Concurrent=$(gc_setting System.GC.Concurrent true), TieredCompilation=$(gc_setting System.Runtime.TieredCompilation true), TieredPGO=$(gc_setting System.Runtime.TieredPGO true); no DOTNET_* overrides; pinned to 1 CPU, so Environment.ProcessorCount = 1"
    echo "- layout: server under test pinned to CPU $SERVER_CPU; wrk (\`-t$THREADS -c$CONNECTIONS --latency\`) and the nginx backend (1 worker) pinned to CPU $LOAD_CPU; measured runs ${DURATION}s"
    echo "- load average at start / end: $LOADAVG_START / $LOADAVG_END (includes this script's own servers and wrk)"
    echo
    if has_section http; then
    echo "#### HTTP/1.1 keep-alive (section http)"
    echo
    echo "| server | payload | req/s | p50 ms | p99 ms | CPU us/req | ctx sw/req | server CPU | CPU$SERVER_CPU busy | backend CPU | CPU$LOAD_CPU busy |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    row nginx "nginx|tiny"
    row "Proxy (inline)" "proxy-inline|tiny"
    row "Proxy (threadpool)" "proxy-threadpool|tiny"
    row nginx "nginx|64k"
    row "Proxy (inline)" "proxy-inline|64k"
    echo
    echo "| Proxy / nginx | req/s ratio | CPU us/req ratio | p99 ratio |"
    echo "|---|---:|---:|---:|"
    for pl in "${PAYLOADS[@]}"; do
        echo "| $pl (inline) | $(ratio "${RPS[proxy-inline|$pl]}" "${RPS[nginx|$pl]}") | $(ratio "${CPU[proxy-inline|$pl]}" "${CPU[nginx|$pl]}") | $(ratio "${P99[proxy-inline|$pl]}" "${P99[nginx|$pl]}") |"
    done
    echo "| tiny (threadpool) | $(ratio "${RPS[proxy-threadpool|tiny]}" "${RPS[nginx|tiny]}") | $(ratio "${CPU[proxy-threadpool|tiny]}" "${CPU[nginx|tiny]}") | $(ratio "${P99[proxy-threadpool|tiny]}" "${P99[nginx|tiny]}") |"
    echo
    echo "Scheduling (tiny, $CONNECTIONS connections): inline $(printf '%.0f' "${RPS[proxy-inline|tiny]}") req/s at ${CPU[proxy-inline|tiny]} us/req, threadpool $(printf '%.0f' "${RPS[proxy-threadpool|tiny]}") req/s at ${CPU[proxy-threadpool|tiny]} us/req: threadpool/inline req/s = $(ratio "${RPS[proxy-threadpool|tiny]}" "${RPS[proxy-inline|tiny]}"), CPU/req = $(ratio "${CPU[proxy-threadpool|tiny]}" "${CPU[proxy-inline|tiny]}")."
    echo
    echo "Warm-up (req/s per ${WARMUP_SLICE}s slice at $CONNECTIONS connections; \"time to full speed\" = end of the first slice within ${WARMUP_TOL}% of the final slice):"
    echo
    echo "- Proxy (inline) /tiny, fresh process: ${WARM[proxy-inline|tiny]}"
    echo "- Proxy (inline) /64k, after /tiny: ${WARM[proxy-inline|64k]}"
    echo "- Proxy (threadpool) /tiny, fresh process: ${WARM[proxy-threadpool|tiny]}"
    echo "- nginx: one ${NGINX_WARMUP}s slice per payload"
    echo "- \"server CPU\" is the server's CPU time over the run as a share of one core. Below ~95% the server was not the"
    echo "  bottleneck (wrk + backend on CPU $LOAD_CPU were), so its req/s is a floor and CPU us/req is the fairer comparison."
    echo "  \"CPU$SERVER_CPU busy\" well above \"server CPU\" means something else (softirq, another process) used the server's core."
    echo "- Proxy process at the end: ${PROXY_THREADS[inline]} threads, RSS ${PROXY_RSS[inline]} (inline); ${PROXY_THREADS[threadpool]} threads, RSS ${PROXY_RSS[threadpool]} (threadpool)"
    echo
    fi

    if has_section policy; then
    echo "#### Resilience policy cost (section policy)"
    echo
    echo "Proxy (inline) on /tiny, $CONNECTIONS connections. none: \`retries: {attempts: 0}\`, no timeout, no DestinationRule."
    echo "policy: \`timeout: 15s\`, \`retries: {attempts: 2, perTryTimeout: 5s, retryOn: connect-failure,refused-stream,503}\`,"
    echo "and a DestinationRule with \`connectionPool\` limits and \`outlierDetection\`. Fresh process per run, alternating."
    echo
    echo "| run | none req/s | policy req/s | none CPU us/req | policy CPU us/req | req/s ratio | CPU/req ratio |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    for n in "${POLICY_ROUNDS[@]}"; do
        echo "| $n | ${RPS[policy-none|$n]} | ${RPS[policy-on|$n]} | ${CPU[policy-none|$n]} | ${CPU[policy-on|$n]} | $(ratio "${RPS[policy-on|$n]}" "${RPS[policy-none|$n]}") | $(ratio "${CPU[policy-on|$n]}" "${CPU[policy-none|$n]}") |"
    done
    echo
    fi

    if has_section https || has_section handshake; then
    echo "#### TLS termination (sections https, handshake)"
    echo
    echo "Both terminate TLS 1.2/1.3 with the same ECDSA P-256 certificate and proxy to the same plaintext backend over"
    echo "keep-alive upstream connections; Proxy: Istio Gateway \`protocol: HTTPS\`, \`tls.mode: SIMPLE\`, io-scheduling inline."
    echo "\"new conn\" rows: wrk \`-H \"Connection: close\"\`, so every request is a new TCP connection and TLS handshake; req/s there"
    echo "is handshakes/s, and CPU us/req is CPU per connection (handshake + one proxied GET /tiny + close). As in the http"
    echo "section, a server below ~95% \"server CPU\" was not the bottleneck (wrk's own handshakes on CPU $LOAD_CPU were): its"
    echo "req/s is a floor, and the CPU us/req ratio is the fair comparison."
    echo
    echo "| server | test | req/s | p50 ms | p99 ms | CPU us/req | ctx sw/req | server CPU | CPU$SERVER_CPU busy | backend CPU | CPU$LOAD_CPU busy |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    if has_section https; then
        for pl in "${PAYLOADS[@]}"; do
            row "nginx (TLS)" "nginx-tls|$pl"
            row "Proxy (HTTPS)" "proxy-tls|$pl"
        done
    fi
    if has_mode resume; then
        row "nginx (TLS)" "nginx-tls|hs-resume" | sed 's/| hs-resume |/| new conn, resumed (wrk default) |/'
        row "Proxy (HTTPS)" "proxy-tls|hs-resume" | sed 's/| hs-resume |/| new conn, resumed (wrk default) |/'
    fi
    if has_mode full; then
        row "nginx (TLS)" "nginx-tls|hs-full" | sed 's/| hs-full |/| new conn, full (wrk never resumes) |/'
        row "Proxy (HTTPS)" "proxy-tls|hs-full" | sed 's/| hs-full |/| new conn, full (wrk never resumes) |/'
    fi
    if has_mode server-off; then
        row "nginx (TLS), tickets + cache off" "nginx-tls|hs-off" | sed 's/| hs-off |/| new conn, server refuses resumption |/'
        row "Proxy (HTTPS), DISABLETLSRESUME=1" "proxy-tls|hs-off" | sed 's/| hs-off |/| new conn, server refuses resumption |/'
    fi
    echo
    echo "| Proxy / nginx (TLS) | req/s ratio | CPU us/req ratio | p99 ratio |"
    echo "|---|---:|---:|---:|"
    tls_tests=()
    has_section https && tls_tests+=("${PAYLOADS[@]}")
    has_mode resume && tls_tests+=(hs-resume)
    has_mode full && tls_tests+=(hs-full)
    has_mode server-off && tls_tests+=(hs-off)
    for t in "${tls_tests[@]}"; do
        case $t in
            hs-resume) label="handshakes/s, resumed" ;;
            hs-full) label="handshakes/s, full" ;;
            hs-off) label="handshakes/s, server refuses resumption" ;;
            *) label="keep-alive $t" ;;
        esac
        echo "| $label | $(ratio "${RPS[proxy-tls|$t]}" "${RPS[nginx-tls|$t]}") | $(ratio "${CPU[proxy-tls|$t]}" "${CPU[nginx-tls|$t]}") | $(ratio "${P99[proxy-tls|$t]}" "${P99[nginx-tls|$t]}") |"
    done
    echo
    echo "What was negotiated (openssl s_client, the library and defaults wrk uses; a second connection offers the first"
    echo "one's session back):"
    echo
    echo "- nginx (tickets on, its default): ${TLS_NOTE[nginx-resume]}"
    [[ -n ${TLS_NOTE[nginx-off]:-} ]] && echo "- nginx, tickets and cache off: ${TLS_NOTE[nginx-off]}"
    echo "- Proxy (.NET's default): ${TLS_NOTE[proxy-resume]}"
    [[ -n ${TLS_NOTE[proxy-off]:-} ]] && echo "- Proxy, DOTNET_SYSTEM_NET_SECURITY_DISABLETLSRESUME=1: ${TLS_NOTE[proxy-off]}"
    [[ -n ${TLS_NOTE[wrk-resume]:-} ]] && echo "- wrk as it is, 2 s with Connection: close against nginx's logging twin: ${TLS_NOTE[wrk-resume]}"
    [[ -n ${TLS_NOTE[wrk-full]:-} ]] && echo "- wrk with perf/lib/no-resume.c preloaded, the same: ${TLS_NOTE[wrk-full]}"
    [[ -n ${TLS_NOTE[wrk-off]:-} ]] && echo "- wrk as it is against nginx with tickets and cache off: ${TLS_NOTE[wrk-off]}"
    echo
    echo "Warm-up of Proxy (req/s per ${WARMUP_SLICE}s slice):"
    echo
    for t in "${tls_tests[@]}"; do
        echo "- $t: ${WARM[proxy-tls|$t]}"
    done
    echo "- Proxy process at the end: ${PROXY_THREADS[https]} threads, RSS ${PROXY_RSS[https]}"
    echo
    fi

    if has_section tcp; then
    echo "#### L4 TCP pump (section tcp)"
    echo
    echo "iperf3 (one stream, 128 KiB writes, ${DURATION}s) through HAProxy (\`mode tcp\`, \`nbthread 1\`) or Proxy (Istio Gateway"
    echo "\`protocol: TCP\` + VirtualService \`tcp\` route to a STATIC ServiceEntry), each pinned to CPU $SERVER_CPU; the iperf3 client"
    echo "and server both on CPU $LOAD_CPU. up = client -> server; down = \`-R\`, server -> client. Both iperf3 connections (control"
    echo "and data) go through the proxy."
    echo
    echo "| server | direction | MiB/s | retransmits | server CPU | CPU ms/GiB | CPU$SERVER_CPU busy | CPU$LOAD_CPU busy |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|"
    for d in "${TCP_DIRS[@]}"; do
        for srv in haproxy proxy; do
            k="$srv|$d"
            printf '| %s | %s | %s | %s | %s%% | %s | %s%% | %s%% |\n' "$([[ $srv == proxy ]] && echo Proxy || echo HAProxy)" "$d" \
                "${MIBS[$k]}" "${RETR[$k]}" "${TCPU[$k]}" "${TCPUGIB[$k]}" "${TSCORE[$k]}" "${TLCORE[$k]}"
        done
    done
    echo
    echo "| Proxy / HAProxy | MiB/s ratio | CPU ms/GiB ratio |"
    echo "|---|---:|---:|"
    for d in "${TCP_DIRS[@]}"; do
        echo "| $d | $(ratio "${MIBS[proxy|$d]}" "${MIBS[haproxy|$d]}") | $(ratio "${TCPUGIB[proxy|$d]}" "${TCPUGIB[haproxy|$d]}") |"
    done
    echo
    echo "Warm-up of Proxy (MiB/s per ${WARMUP_SLICE}s iperf3 run):"
    echo
    for d in "${TCP_DIRS[@]}"; do echo "- $d: ${WARM[proxy-tcp|$d]}"; done
    echo "- Proxy process at the end: ${PROXY_THREADS[tcp]} threads, RSS ${PROXY_RSS[tcp]}"
    echo
    fi
    if ((${#QUIET_NOTES[@]})); then
        echo "Idle check before each server start (both cores below ${QUIET_BUSY}% busy, waited for at most ${QUIET_MAX}s):"
        echo
        for n in "${QUIET_NOTES[@]}"; do echo "- $n"; done
    else
        echo "Idle check: both cores were below ${QUIET_BUSY}% busy before every server start."
    fi
    echo
    if ((${#ERRORS[@]})); then
        echo "**Errors reported by wrk or the server:**"
        echo
        for e in "${ERRORS[@]}"; do echo "- $e"; done
    else
        echo "wrk reported no socket errors and no non-2xx/3xx responses; no Proxy log line matched fail/exception/error."
    fi
}

if ((${#ERRORS[@]})); then
    log "FAILED: ${#ERRORS[@]} run(s) with errors (see report)"
    exit 1
fi
log "done"
