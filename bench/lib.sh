# bench/lib.sh -- what the benchmark scripts share: a temporary directory,
# timing a command with its peak memory, rates. Sourced, not run.

TMP=$(mktemp -d "${TMPDIR:-/tmp}/courtrules-bench.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

FAILED=0

uptime_s() { awk '{ print $1 }' /proc/uptime; }

# measure NAME CMD...: runs CMD with output in $TMP/NAME.out and .err; sets
# SECS (wall clock), PEAK_KB (peak RSS) and STATUS. Peak RSS comes from GNU
# time (Debian package `time`); without it, from polling VmHWM in /proc,
# which can miss the last tenth of a second.
measure() {
    name=$1
    shift
    t0=$(uptime_s)
    if /usr/bin/time -v true >/dev/null 2>&1; then
        /usr/bin/time -v -o "$TMP/$name.time" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
        STATUS=$?
        PEAK_KB=$(awk -F': *' '/Maximum resident set size/ { print $2 }' "$TMP/$name.time")
    else
        "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
        pid=$!
        PEAK_KB=0
        while [ -r "/proc/$pid/status" ] && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null; do
            hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
            if [ -n "$hwm" ] && [ "$hwm" -gt "$PEAK_KB" ]; then PEAK_KB=$hwm; fi
            sleep 0.1
        done
        wait "$pid"
        STATUS=$?
    fi
    t1=$(uptime_s)
    SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
    PEAK_KB=${PEAK_KB:-0}
}

# rate COUNT SECONDS
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }

show_failure() {
    echo "FAILED: $1 exited with status $STATUS"
    sed 's/^/    | /' "$TMP/$2.err" "$TMP/$2.out" | tail -20
    FAILED=1
}

mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# median NUMBERS...: the middle value (of an even count, the mean of the
# middle two), not rounded: a goal is checked on the value itself (rounded
# to two decimals first, 0.396 passed a 0.40 goal).
median() {
    echo "$@" | tr ' ' '\n' | sort -n |
        awk '{ v[NR] = $1 } END { m = int((NR + 1) / 2); printf "%.6g", NR % 2 ? v[m] : (v[m] + v[m + 1]) / 2 }'
}
