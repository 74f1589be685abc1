#!/bin/sh
# bench/deliver.sh BUILD_DIR [N] -- webhook delivery throughput: from the
# outbox to a local receiver, against a bare libcurl multi loop.
#
# A local receiver (bench/receiver.c: libmicrohttpd answering 200 at once,
# plus a "dead" port that accepts connections and never answers) serves
# three runs, each on a fresh database holding N alerts (default 20,000)
# whose outbox rows the triggers wrote:
#   1. one endpoint (16 requests in flight);
#   2. ten endpoints (6 in flight each), the alerts spread over them;
#   3. the same ten plus a dead endpoint that every alert also goes to
#      (timeout 1 s): how fast the ten healthy ones get their alerts.
# Runs 1 and 2 time one `courtrules deliver` pass, ROUNDS times (default 3)
# in turn with the baseline, and report medians; (make the messages, sign,
# send, record every attempt); run 3 times `deliver --follow` until the
# healthy endpoints' messages are all recorded as delivered. The baseline,
# measured in the same run, is bench/deliver_bare: the same signed POSTs of
# the same body to the same endpoints and concurrency, nothing stored.
# Goals: deliver >= 50% of the baseline with 1 and with 10 endpoints, and
# the healthy endpoints' rate with a dead one present close to the rate
# without it (both figures printed).
set -u

BUILD=${1:?usage: bench/deliver.sh BUILD_DIR [N]}
N=${2:-20000}
CR=$BUILD/courtrules
BARE=$BUILD/deliver_bare
RECEIVER=$BUILD/receiver
SRC=$(cd "$(dirname "$0")/.." && pwd)
RATIO_GOAL=0.5
SECRET='whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'

for exe in "$CR" "$BARE" "$RECEIVER"; do
    if [ ! -x "$exe" ]; then
        echo "deliver.sh: $exe is not built (cmake --build $BUILD)" >&2
        exit 2
    fi
done
. "$(dirname "$0")/lib.sh"

"$RECEIVER" "$TMP/port" "$TMP/dead" >"$TMP/receiver.out" 2>&1 &
RPID=$!
trap 'kill $RPID 2>/dev/null; rm -rf "$TMP"' EXIT
i=0
while { [ ! -s "$TMP/port" ] || [ ! -s "$TMP/dead" ]; } && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
URL="http://127.0.0.1:$(cat "$TMP/port")"
DEAD="http://127.0.0.1:$(cat "$TMP/dead")"

goal() {
    if awk "BEGIN { exit !($1) }"; then echo "$2 ok"; else echo "GOAL MISSED: $3"; fi
}

# setup DB ENDPOINTS IN_FLIGHT [dead]: a database with ENDPOINTS endpoints
# (codes C0..C9) and N alerts spread over them, plus a dead endpoint that
# takes every alert.
setup() {
    db=$1
    "$CR" --db "$db" init >/dev/null || exit 1
    e=0
    while [ $e -lt "$2" ]; do
        "$CR" --db "$db" --rules "$SRC/rules" webhook add "ep$e" --url "$URL/ep$e" \
            --secret "$SECRET" --codes "C$e" --max-in-flight "$3" >/dev/null || exit 1
        e=$((e + 1))
    done
    if [ "${4:-}" = dead ]; then
        "$CR" --db "$db" --rules "$SRC/rules" webhook add dead --url "$DEAD/dead" \
            --secret "$SECRET" --codes 'C*' --timeout 1s --retry-schedule 1h >/dev/null || exit 1
    fi
    sqlite3 "$db" "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $N - 1)
      INSERT INTO alerts(dedup_key, rule_set, rule, rule_version, rule_set_sha, code, severity,
        court, case_no, message, basis, as_of, created_at, last_seen_at, run_id)
      SELECT 'k' || i, 'national', 'time_limits', '3', 'sha', 'C' || (i % $2), 'warning',
        '粤0106', '(2026)粤0106民初' || i || '号',
        '本案审限将于2026-04-15届满，距今不足15日，如需延长请于届满15日前报请批准。',
        '《最高人民法院关于严格规范民商事案件延长审限和延期开庭问题的规定》第一条',
        '2026-03-31', '2026-03-31T08:00:00+08:00', '2026-03-31T08:00:00+08:00', 0 FROM n" || exit 1
}

delivered() { awk '/ delivered,/ { print $6; exit }' "$TMP/$1.out"; }

# median of the numbers on stdin
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

# ---- run 1 and 2: one pass, against the bare loop, ROUNDS times in turn ----
ROUNDS=${ROUNDS:-3}
for run in "1 16" "10 6"; do
    set -- $run
    eps=$1 conc=$2
    echo "== $eps endpoint(s), $conc in flight each, $N alerts, $ROUNDS rounds (deliver and bare in turn)"
    setup "$TMP/t$eps.db" "$eps" "$conc"
    urls=""
    e=0
    while [ $e -lt "$eps" ]; do urls="$urls $URL/ep$e"; e=$((e + 1)); done
    : >"$TMP/rates$eps"
    r=0
    while [ $r -lt "$ROUNDS" ]; do
        r=$((r + 1))
        cp "$TMP/t$eps.db" "$TMP/d$eps.db"
        rm -f "$TMP/d$eps.db-wal" "$TMP/d$eps.db-shm"
        measure "deliver$eps" "$CR" --db "$TMP/d$eps.db" --rules "$SRC/rules" deliver
        if [ "$STATUS" != 0 ]; then show_failure "courtrules deliver" "deliver$eps"; break; fi
        got=$(delivered "deliver$eps")
        [ "$got" = "$N" ] || { echo "FAILED: $got of $N delivered"; FAILED=1; }
        d_rate=$(rate "$N" "$SECS")
        d_rss=$PEAK_KB
        sqlite3 "$TMP/d$eps.db" "SELECT body FROM messages LIMIT 1" >"$TMP/body.json"
        # shellcheck disable=SC2086
        measure "bare$eps" "$BARE" "$TMP/body.json" "$N" "$conc" "$SECRET" $urls
        if [ "$STATUS" != 0 ]; then show_failure "deliver_bare" "bare$eps"; break; fi
        b_rate=$(rate "$N" "$SECS")
        ratio=$(awk -v a="$d_rate" -v b="$b_rate" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
        echo "  round $r: courtrules deliver $d_rate/s (peak RSS $(mb "$d_rss") MB), bare $b_rate/s, ratio $ratio"
        echo "$d_rate $b_rate $ratio" >>"$TMP/rates$eps"
    done
    d_med=$(awk '{ print $1 }' "$TMP/rates$eps" | median)
    b_med=$(awk '{ print $2 }' "$TMP/rates$eps" | median)
    r_med=$(awk '{ print $3 }' "$TMP/rates$eps" | median)
    echo "courtrules deliver: median $d_med deliveries/s; bare libcurl multi: median $b_med requests/s ($(wc -c <"$TMP/body.json") byte body)"
    goal "$r_med >= $RATIO_GOAL" "median ratio $r_med (goal >= $RATIO_GOAL):" \
        "median ratio $r_med with $eps endpoint(s), goal >= $RATIO_GOAL"
    [ "$eps" = 10 ] && HEALTHY_RATE=$d_med
done

# ---- run 3: a dead endpoint beside ten healthy ones ----
echo "== 10 healthy endpoints + 1 dead (accepts, never answers; timeout 1s), $N alerts"
setup "$TMP/dd.db" 10 6 dead
t0=$(uptime_s)
"$CR" --db "$TMP/dd.db" --rules "$SRC/rules" deliver --follow >"$TMP/follow.out" 2>&1 &
FPID=$!
healthy=0
while [ "$healthy" -lt "$N" ] && kill -0 "$FPID" 2>/dev/null; do
    sleep 0.05
    healthy=$(sqlite3 "$TMP/dd.db" "SELECT count(*) FROM messages m JOIN webhooks w ON w.id = m.webhook_id WHERE w.name <> 'dead' AND m.state = 'delivered'" 2>/dev/null || echo 0)
done
t1=$(uptime_s)
kill -TERM "$FPID" 2>/dev/null
wait "$FPID"
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
dead_rate=$(rate "$healthy" "$secs")
dead_tries=$(sqlite3 "$TMP/dd.db" "SELECT count(*) FROM delivery_attempts d JOIN webhooks w ON w.id = d.webhook_id WHERE w.name = 'dead'")
echo "healthy endpoints with a dead one present: $healthy of $N in ${secs}s = $dead_rate deliveries/s ($dead_tries attempts to the dead one timed out meanwhile)"
echo "healthy endpoints alone (run 2): ${HEALTHY_RATE:-?} deliveries/s"
if [ -n "${HEALTHY_RATE:-}" ]; then
    share=$(awk -v a="$dead_rate" -v b="$HEALTHY_RATE" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
    goal "$share >= 0.5" "with a dead endpoint the healthy ones keep ${share} of their rate:" \
        "a dead endpoint cut the healthy endpoints' rate to ${share} of it"
fi
[ "$healthy" = "$N" ] || { echo "FAILED: the healthy endpoints got $healthy of $N"; FAILED=1; }
exit "$FAILED"
