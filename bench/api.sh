#!/bin/sh
# bench/api.sh BUILD_DIR [SECONDS] -- the HTTP API under load with wrk:
# POST /v1/triage (persist:false) against GET /healthz as the baseline, both
# at 200 concurrent connections against one daemon, in the same run, in
# ROUNDS rounds (default 3). Goals, on the median of the rounds' ratios:
# triage throughput >= 40% of healthz's; triage p99 <= 3x healthz p99.
set -u
BUILD=${1:?usage: bench/api.sh BUILD_DIR [SECONDS]}
SECS=${2:-10}
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(dirname "$HERE")
. "$HERE/lib.sh"
CR="$BUILD/courtrules"
command -v wrk >/dev/null || { echo "api.sh: wrk is not installed (Debian package wrk)" >&2; exit 1; }

DB="$TMP/api.db"
"$CR" --db "$DB" init >/dev/null || exit 1
"$CR" --db "$DB" ingest "$SRC/examples/sample-su.jsonl" >/dev/null || exit 1
COURTRULES_TOKEN=$("$CR" --db "$DB" token create --court 苏 --role filer 2>/dev/null) || exit 1
export COURTRULES_TOKEN
WORKERS=$(nproc 2>/dev/null || echo 2)
"$CR" --db "$DB" --rules "$SRC/rules" serve --listen 127.0.0.1:0 --workers "$WORKERS" \
    --max-connections 1024 --per-ip 1024 2>"$TMP/serve.log" &
PID=$!
trap 'kill $PID 2>/dev/null; rm -rf "$TMP"' EXIT
n=0
until grep -q '"event":"listening"' "$TMP/serve.log"; do
    kill -0 $PID 2>/dev/null || { cat "$TMP/serve.log"; exit 1; }
    n=$((n + 1)); [ $n -gt 600 ] && exit 1
    sleep 0.05
done
URL="http://127.0.0.1:$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' "$TMP/serve.log")"
# One triage first: a failing call would make the figures meaningless.
code=$(curl -s -o "$TMP/one.json" -w '%{http_code}' -H "Authorization: Bearer $COURTRULES_TOKEN" \
    -d '{"persist":false,"case":{"case_no":"(2025)苏01民初1号","court":"苏01","kind":"民事","filing_date":"2025-06-02","status":"在办"}}' \
    "$URL/v1/triage")
[ "$code" = 200 ] || { echo "api.sh: triage answered $code: $(cat "$TMP/one.json")" >&2; exit 1; }

# daemon_snap: the daemon's user and system clock ticks and its threads'
# voluntary and involuntary context switches, summed.
daemon_snap() {
    ticks=$(awk '{ print $14, $15 }' "/proc/$PID/stat" 2>/dev/null)
    switches=$(cat /proc/$PID/task/*/status 2>/dev/null |
        awk '/^voluntary_ctxt/ { v += $2 } /^nonvoluntary_ctxt/ { i += $2 } END { print v + 0, i + 0 }')
    echo "${ticks:-0 0} $switches"
}
TICK=$(getconf CLK_TCK 2>/dev/null || echo 100)

# run NAME ARGS...: wrk at 200 connections; sets RPS and P99 (ms), ERRORS,
# and COST: per request, the CPU time of the daemon and of wrk (user +
# system, us) and how often wrk slept and the daemon was preempted (GNU
# time reports wrk's; /proc the daemon's).
run() {
    name=$1
    shift
    before=$(daemon_snap)
    timed=
    /usr/bin/time -f '%U %S %w %c' true >/dev/null 2>&1 && timed="/usr/bin/time -f %U_%S_%w_%c -o $TMP/$name.time"
    : >"$TMP/$name.time"
    $timed wrk -t 2 -c 200 -d "${SECS}s" --latency "$@" >"$TMP/$name.wrk" 2>&1 || { cat "$TMP/$name.wrk"; exit 1; }
    after=$(daemon_snap)
    RPS=$(awk '/^Requests\/sec:/ { print $2 }' "$TMP/$name.wrk")
    P99=$(awk '$1 == "99%" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
        f = u == "us" ? 0.001 : u == "ms" ? 1 : u == "s" ? 1000 : u == "m" ? 60000 : 1;
        printf "%.2f", v * f }' "$TMP/$name.wrk")
    ERRORS=$(awk '/Non-2xx or 3xx responses:/ { print $NF } /Socket errors/ { print }' "$TMP/$name.wrk")
    n=$(awk '/ requests in / { print $1; exit }' "$TMP/$name.wrk")
    COST=$(echo "$before $after $(tail -n 1 "$TMP/$name.time" | tr _ ' ')" | awk -v n="${n:-0}" -v tick="$TICK" '
        n > 0 && NF >= 8 {
            printf "per request: daemon %.1f + %.1f us, preempted %.2f", \
                ($5 - $1) * 1e6 / tick / n, ($6 - $2) * 1e6 / tick / n, ($8 - $4) / n
            if (NF >= 12) printf "; wrk %.1f + %.1f us, slept %.2f", $9 * 1e6 / n, $10 * 1e6 / n, $11 / n
        }')
}
# ROUNDS rounds (default 3) of healthz then triage: one pair alone wandered
# by a tenth between runs on these shared machines, so the goals take the
# median of the rounds' ratios (each ratio from one round's pair).
ROUNDS=${ROUNDS:-3}
echo "api: ${SECS}s each, 200 connections, $WORKERS worker threads, wrk -t 2 on the same machine, $ROUNDS rounds"
round=0 T_ERRS= RATIOS= LATS=
while [ "$round" -lt "$ROUNDS" ]; do
    round=$((round + 1))
    run healthz "$URL/healthz"
    H_RPS=$RPS H_P99=$P99 H_ERR=$ERRORS H_COST=$COST
    run triage -s "$HERE/api_triage.lua" "$URL/v1/triage"
    T_RPS=$RPS T_P99=$P99 T_ERR=$ERRORS T_COST=$COST
    [ -n "$T_ERR" ] && T_ERRS="$T_ERRS round $round: $T_ERR"
    printf '  round %d  GET  /healthz   %10.0f req/s   p99 %8.2f ms  %s\n' "$round" "$H_RPS" "$H_P99" "$H_ERR"
    [ -n "$H_COST" ] && echo "           $H_COST"
    printf '  round %d  POST /v1/triage %10.0f req/s   p99 %8.2f ms  %s  (persist:false)\n' "$round" "$T_RPS" "$T_P99" "$T_ERR"
    [ -n "$T_COST" ] && echo "           $T_COST"
    RATIOS="$RATIOS $(awk -v hr="$H_RPS" -v tr="$T_RPS" 'BEGIN { printf "%.3f", tr / hr }')"
    LATS="$LATS $(awk -v hp="$H_P99" -v tp="$T_P99" 'BEGIN { printf "%.3f", (hp > 0) ? tp / hp : 0 }')"
done
echo "  throughput ratios:$RATIOS"
echo "  p99 ratios:       $LATS"
awk -v r="$(median $RATIOS)" -v l="$(median $LATS)" 'BEGIN {
    printf "  throughput triage/healthz %.3f, median (goal >= 0.40)%s\n", r, (r + 0 >= 0.40 ? "" : "   GOAL MISSED")
    printf "  p99 triage/healthz        %.3f, median (goal <= 3.00)%s\n", l, (l + 0 <= 3.0 ? "" : "   GOAL MISSED")
}'
if [ -n "$T_ERRS" ]; then echo "  GOAL MISSED: triage had errors:$T_ERRS"; fi
kill -TERM $PID
wait $PID
