#!/usr/bin/env bash
# Profile Proxy under the tiny-GET load of perf/compare.sh (same backend, pinning and wrk settings):
#   1. warm up (adaptive, as compare.sh),
#   2. perf record -e cpu-clock -F 999 -g for PERF_SECONDS while wrk runs (managed frames via DOTNET_PerfMapEnabled=1),
#   3. strace -c -f for STRACE_SECONDS of wrk load: syscalls per request.
# Usage: perf/lib/profile.sh  [env: SCHED=inline|threadpool PAYLOAD=tiny|64k SCHEME=http|https PERF_SECONDS=15
#                                   STRACE_SECONDS=10 OUT=dir]
# SCHEME=https profiles the HTTPS server of compare.sh's https section (keep-alive TLS termination) instead.
# Results (perf.data, reports, strace summary) stay in $OUT; a Markdown summary goes to stdout.
set -euo pipefail
LOG_TAG=profile
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SCHED=${SCHED:-inline}
PAYLOAD=${PAYLOAD:-tiny}
SCHEME=${SCHEME:-http}
SECTIONS=http
[[ $SCHEME == https ]] && SECTIONS=https   # ensure_tools: openssl
PERF_SECONDS=${PERF_SECONDS:-15}
STRACE_SECONDS=${STRACE_SECONDS:-10}
OUT=${OUT:-$(mktemp -d /tmp/proxy-profile.XXXXXX)}
mkdir -p "$OUT"

prepare
if ! command -v perf >/dev/null 2>&1 || ! command -v strace >/dev/null 2>&1; then
    [[ $(id -u) -eq 0 ]] || die 2 "perf/strace missing and not root"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends linux-perf strace >&2 || die 2 "apt-get install linux-perf strace failed"
fi

start_backend
# W^X double mapping makes perf attribute JIT code to "memfd:doublemapper" instead of the perf map; turn it off.
PROXY_ENV=(DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0)
if [[ $SCHEME == https ]]; then
    write_proxy_config https
    start_proxy "$SCHED" "$WORK/gateway-https.yaml" "$SCHED" https
else
    write_proxy_config
    start_proxy "$SCHED"
fi
URL="$SCHEME://127.0.0.1:$PROXY_PORT/$PAYLOAD"
warm_up "profile-$SCHED-$PAYLOAD" "$URL" "$WARMUP_MIN" "$WARMUP_MAX" "$PROXY_PID"

# --- perf ---
log "perf record -e cpu-clock -F 999 -g -p $PROXY_PID for ${PERF_SECONDS}s under load"
taskset -c "$LOAD_CPU" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$((PERF_SECONDS + 4))s" --latency "$URL" >"$OUT/wrk-perf.txt" 2>&1 &
WRK_PID=$!
PIDS+=("$WRK_PID")
sleep 2   # let wrk connect; this is the start of the recording window, not a readiness wait
perf record -e cpu-clock -F 999 -g -p "$PROXY_PID" -o "$OUT/perf.data" -- sleep "$PERF_SECONDS" >"$OUT/perf-record.log" 2>&1 \
    || { cat "$OUT/perf-record.log" >&2; die 2 "perf record failed"; }
wait "$WRK_PID" || true
perf report -i "$OUT/perf.data" --no-children --sort symbol -g none --stdio --percent-limit 0.1 \
    >"$OUT/report-symbol.txt" 2>"$OUT/report.err" || true
perf report -i "$OUT/perf.data" --no-children --sort dso -g none --stdio \
    >"$OUT/report-dso.txt" 2>>"$OUT/report.err" || true
perf report -i "$OUT/perf.data" --no-children --sort comm -g none --stdio \
    >"$OUT/report-comm.txt" 2>>"$OUT/report.err" || true
perf report -i "$OUT/perf.data" --children --sort symbol -g none --stdio --percent-limit 2 \
    >"$OUT/report-children.txt" 2>>"$OUT/report.err" || true
cp "/tmp/perf-$PROXY_PID.map" "$OUT/" 2>/dev/null || true

# --- strace: syscalls per request ---
log "strace -c -f -p $PROXY_PID during ${STRACE_SECONDS}s of wrk"
strace -c -f -p "$PROXY_PID" -o "$OUT/strace-c.txt" 2>"$OUT/strace.err" &
STRACE_PID=$!
PIDS+=("$STRACE_PID")
for _ in $(seq 100); do grep -q 'attached' "$OUT/strace.err" 2>/dev/null && break; sleep 0.1; done
sleep 0.5   # strace attaches thread by thread; give it the remaining threads
run_wrk "strace-$PAYLOAD" "$URL" "$STRACE_SECONDS" "$PROXY_PID"
STRACE_REQS=$W_REQS
STRACE_RPS=$W_RPS
kill -INT "$STRACE_PID" 2>/dev/null || true
wait "$STRACE_PID" 2>/dev/null || true

# --- which fds do read() and friends touch (a 2 s sample) ---
strace -f -e trace=read,openat,getrandom -p "$PROXY_PID" -o "$OUT/strace-read.txt" 2>/dev/null &
STRACE_PID=$!
PIDS+=("$STRACE_PID")
run_wrk "strace-read-$PAYLOAD" "$URL" 2 "$PROXY_PID"
kill -INT "$STRACE_PID" 2>/dev/null || true
wait "$STRACE_PID" 2>/dev/null || true
READ_FDS=$(grep -oE 'read\([0-9]+' "$OUT/strace-read.txt" | sort | uniq -c | sort -rn | awk 'NR <= 3' | tr -s ' ' | tr '\n' ';' || true)
for fd in $(grep -oE 'read\([0-9]+' "$OUT/strace-read.txt" | sort | uniq -c | sort -rn | awk 'NR <= 3' | awk -F'(' '{print $2}'); do
    READ_FDS+=" fd $fd -> $(readlink "/proc/$PROXY_PID/fd/$fd" 2>/dev/null || echo '?');"
done

# --- context switches per request, no tracer attached ---
run_wrk "ctxsw-$PAYLOAD" "$URL" 5 "$PROXY_PID"
CTX_LINE="$(printf '%.0f' "$W_RPS") req/s, $W_CS_REQ context switches per request, $W_CPU_US us CPU per request, $(ls /proc/"$PROXY_PID"/task | wc -l) threads"

tidy() { sed -E 's/[[:space:]]+-[[:space:]]+-[[:space:]]*$//; s/[[:space:]]+$//'; }

# --- summary ---
{
    echo "### Profile: Proxy ($SCHED), $SCHEME /$PAYLOAD, $CONNECTIONS connections, $(date -u '+%F %T UTC')"
    echo
    echo "perf: \`perf record -e cpu-clock -F 999 -g -p PID -- sleep $PERF_SECONDS\` (DOTNET_PerfMapEnabled=1), during $(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$OUT/wrk-perf.txt") req/s."
    echo
    echo "By DSO (self):"
    echo '```'
    grep -vE '^#|^$' "$OUT/report-dso.txt" | awk 'NR <= 12'
    echo '```'
    echo
    echo "Top symbols (self):"
    echo '```'
    grep -vE '^#|^$' "$OUT/report-symbol.txt" | tidy | awk 'NR <= 30'
    echo '```'
    echo
    echo "Top user-space symbols (self; managed code resolves through the perf map):"
    echo '```'
    grep -vE '^#|^$|\[k\]' "$OUT/report-symbol.txt" | tidy | awk 'NR <= 25'
    echo '```'
    echo
    echo "By thread name (self):"
    echo '```'
    grep -vE '^#|^$' "$OUT/report-comm.txt" | awk 'NR <= 10'
    echo '```'
    echo
    echo "strace -c -f over $STRACE_REQS requests (wrk under strace: $(printf '%.0f' "$STRACE_RPS") req/s; strace slows Proxy, so epoll_wait batching is not representative):"
    echo
    echo "| syscall | calls | per request | errors |"
    echo "|---|---:|---:|---:|"
    awk -v n="$STRACE_REQS" '
        /^-----/ { sep++; next }
        sep == 1 && NF >= 5 {
            name = $NF; calls = $4; errs = (NF == 6) ? $5 : 0;
            if (calls + 0 > 0) printf "| %s | %d | %.2f | %s |\n", name, calls, calls / n, errs
        }
        sep == 2 && $NF == "total" { printf "| **total** | %d | **%.2f** | %s |\n", $4, $4 / n, (NF == 6 ? $5 : 0) }
    ' "$OUT/strace-c.txt"
    echo
    echo "read() targets (2 s sample): $READ_FDS"
    echo
    echo "Without a tracer (5 s): $CTX_LINE"
    echo
    echo "Raw files: $OUT"
}
log "done; raw data in $OUT"
