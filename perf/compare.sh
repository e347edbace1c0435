#!/usr/bin/env bash
# Proxy vs nginx as an HTTP/1.1 reverse proxy on one pinned core, in front of the same nginx backend.
#
#   perf/compare.sh                      full run (several minutes)
#   DURATION=5 WARMUP_MAX=10 perf/compare.sh   quick smoke run
#
# Progress goes to stderr; a Markdown report (paste into perf/RESULTS.md) goes to stdout.
# Exit status: 0 ok, 1 a wrk run reported socket errors or non-2xx/3xx responses, 2 a server failed to start
# (or the environment is unusable). See perf/README.md.
set -euo pipefail

COMMAND_LINE="$0 $*"
ENV_LINE=""
for v in DURATION WARMUP_MAX WARMUP_MIN WARMUP_SLICE CONNECTIONS THREADS; do
    if [[ -n "${!v+x}" ]] && env | grep -q "^$v="; then ENV_LINE+="$v=${!v} "; fi
done
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

# ---------------------------------------------------------------------------------------------------------------
# Main
prepare

start_backend
write_proxy_config

declare -A RPS P50 P99 CPU CPUPCT BEPCT SCORE LCORE CSW WARM
PAYLOADS=(tiny 64k)

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
    if grep -qiE 'fail|exception|error' "$WORK/proxy-$sched.log"; then
        log "  Proxy($sched) logged errors:"; grep -iE 'fail|exception|error' "$WORK/proxy-$sched.log" | head -n 10 >&2
        ERRORS+=("Proxy($sched) log: $(grep -ciE 'fail|exception|error' "$WORK/proxy-$sched.log") lines matching fail/exception/error")
    fi
}
declare -A PROXY_THREADS PROXY_RSS
measure_proxy inline "${PAYLOADS[@]}"
measure_proxy threadpool tiny

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
    echo "- machine: nproc $(nproc --all), $cpu_model, kernel $(uname -r), dotnet $(dotnet --version), nginx $nginx_version"
    echo "- .NET runtime settings (runtimeconfig): System.GC.Server=$(gc_setting System.GC.Server false), System.GC.Concurrent=$(gc_setting System.GC.Concurrent true), TieredCompilation=$(gc_setting System.Runtime.TieredCompilation true), TieredPGO=$(gc_setting System.Runtime.TieredPGO true); no DOTNET_* overrides; pinned to 1 CPU, so Environment.ProcessorCount = 1"
    echo "- layout: server under test pinned to CPU $SERVER_CPU; wrk (\`-t$THREADS -c$CONNECTIONS --latency\`) and the nginx backend (1 worker) pinned to CPU $LOAD_CPU; measured runs ${DURATION}s"
    echo "- load average at start / end: $LOADAVG_START / $LOADAVG_END (includes this script's own servers and wrk)"
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
    if ((${#ERRORS[@]})); then
        echo "**Errors reported by wrk or the server:**"
        echo
        for e in "${ERRORS[@]}"; do echo "- $e"; done
    else
        echo "wrk reported no socket errors and no non-2xx/3xx responses."
    fi
}

if ((${#ERRORS[@]})); then
    log "FAILED: ${#ERRORS[@]} run(s) with errors (see report)"
    exit 1
fi
log "done"
