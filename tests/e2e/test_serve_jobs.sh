#!/bin/sh
# End to end: the daemon's background jobs. Webhook delivery runs inside
# `courtrules serve`: alerts raised by another process (`courtrules eval`)
# reach a real receiver on 127.0.0.1, signed; a kill -9 of the daemon in
# the middle of delivery and a restart lose none (duplicates keep their
# webhook-id); /metrics counts deliveries; the scheduler job records the
# schedules the rules declare; SIGTERM while a request hangs waits for it
# and exits 0.
. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/serve_lib.sh"
S1='whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
export SLOW_MS=15 HANG_SECONDS=2

python3 "$SRC/tests/e2e/receiver.py" "$T/port" "$T/log" "$S1" &
RPID=$!
trap 'kill $RPID 2>/dev/null; [ -n "${SERVE_PID:-}" ] && kill -9 $SERVE_PID 2>/dev/null; rm -rf "$T"' EXIT INT TERM
i=0
while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
RURL="http://127.0.0.1:$(cat "$T/port")"
touch "$T/log"
received() { python3 -c "import json; print(len({r['id'] for r in map(json.loads, open('$T/log'))}))"; }

cr init
cr ingest "$SRC/examples/sample-su.jsonl"; expect_status 0 "sample data ingested"
cr --rules "$RULES" webhook add all --url "$RURL/slow" --secret "$S1" --max-in-flight 2
expect_status 0 "webhook add"
ADMIN=$(new_token '*' admin)

start_serve "$T/serve.log" "$DB" "$RULES" || { fail "daemon starts"; cat "$T/serve.log"; finish; }
cr --rules "$RULES" eval --as-of 2024-12-31; expect_status 0 "another process evaluates while the daemon runs"
ALERTS=$(sql "$DB" 'SELECT count(*) FROM alerts')
[ "$ALERTS" -ge 50 ] && ok "eval raised $ALERTS alerts" || fail "eval raised only $ALERTS alerts"

# kill -9 once some, not all, have been delivered
n=0
until [ "$(received)" -ge 10 ] || [ $n -gt 600 ]; do sleep 0.05; n=$((n + 1)); done
kill -9 "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null
GOT=$(received)
[ "$GOT" -ge 10 ] && [ "$GOT" -lt "$ALERTS" ] && ok "the daemon was killed in the middle of delivery ($GOT of $ALERTS)" \
    || fail "kill -9 came at $GOT of $ALERTS messages, not in the middle"
expect_eq "$(sql "$DB" 'PRAGMA integrity_check')" ok "integrity_check after kill -9"

start_serve "$T/serve2.log" "$DB" "$RULES" || fail "the daemon restarts"
n=0
until [ "$(sql "$DB" "SELECT count(*) FROM messages WHERE state = 'delivered'")" -ge "$ALERTS" ] || [ $n -gt 1200 ]; do
    sleep 0.05
    n=$((n + 1))
done
expect_eq "$(sql "$DB" "SELECT count(*) FROM messages WHERE state = 'delivered'")" "$ALERTS" "after the restart every alert's message is delivered"
python3 - "$T/log" >"$T/check" <<'EOF'
import json, sys
carried, bad = {}, 0
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    bad += not r["verified"]
    for a in json.loads(r["body"])["data"]["alerts"]:
        carried.setdefault(a["id"], set()).add(r["id"])
print("alerts", len(carried))
print("split", sum(1 for ids in carried.values() if len(ids) > 1))
print("unverified", bad)
EOF
expect_in "$T/check" "alerts $ALERTS" "the receiver got every alert"
expect_in "$T/check" "split 0" "an alert sent twice kept its webhook-id"
expect_in "$T/check" "unverified 0" "every request verified"

req GET /metrics "$ADMIN"
expect_code 200 "/metrics"
DELIVERED=$(sed -n 's/^courtrules_webhook_deliveries_total \([0-9]*\).*/\1/p; s/^courtrules_deliveries_total \([0-9]*\).*/\1/p' "$T/body" | head -1)
[ -n "$DELIVERED" ] && [ "$DELIVERED" -gt 0 ] && ok "/metrics counts the deliveries ($DELIVERED)" \
    || { fail "/metrics shows no deliveries"; grep -i deliver "$T/body" | sed 's/^/    | /'; }
grep -q '"event":"deliver"' "$T/serve2.log" && ok "delivery passes are logged" || fail "no deliver log line"

# the scheduler job ran at start: the national schedules are known
expect_eq "$(sql "$DB" "SELECT count(*) >= 3 FROM schedules WHERE rule_set = 'national'")" 1 "the scheduler job records the national schedules"

# SIGTERM while a request hangs: the daemon waits for it, then exits 0
cr --rules "$RULES" webhook add hang --url "$RURL/hang" --secret "$S1" --timeout 1s --codes 'STAFF-*' --backfill
expect_status 0 "a hanging endpoint"
n=0
until grep -q '"hang"\|/hang' "$T/log" 2>/dev/null || [ $n -gt 200 ]; do sleep 0.05; n=$((n + 1)); done
stop_serve
expect_status 0 "SIGTERM with a request in flight: exit 0"
expect_eq "$(sql "$DB" "SELECT count(*) > 0 FROM delivery_attempts d JOIN webhooks w ON w.id = d.webhook_id WHERE w.name = 'hang'")" 1 "the request in flight was recorded before the exit"

# the daily evaluation (time-limit scan): after a simulated week of
# downtime the missed 07:30 scan runs once at start, as of its own date
expect_eq "$(sql "$DB" "SELECT count(*) FROM meta WHERE key = 'daily_eval_last_fire'")" 1 "the daily evaluation recorded its start"
WEEK_AGO=$(( $(date +%s) - 8 * 86400 ))
sql "$DB" "UPDATE meta SET value = '$WEEK_AGO' WHERE key = 'daily_eval_last_fire'"
RUNS=$(sql "$DB" "SELECT count(*) FROM audit WHERE action = 'eval.run' AND actor = 'daemon:daily-eval'")
start_serve "$T/serve3.log" "$DB" "$RULES" --daily-eval "30 7 * * *" || fail "the daemon starts again"
n=0
until [ "$(sql "$DB" "SELECT count(*) FROM audit WHERE action = 'eval.run' AND actor = 'daemon:daily-eval'")" -gt "$RUNS" ] || [ $n -gt 1200 ]; do
    sleep 0.05
    n=$((n + 1))
done
expect_eq "$(sql "$DB" "SELECT count(*) FROM audit WHERE action = 'eval.run' AND actor = 'daemon:daily-eval'")" "$((RUNS + 1))" "the missed daily scan ran once"
n=0
until grep -q '"event":"daily_eval"' "$T/serve3.log" || [ $n -gt 200 ]; do sleep 0.05; n=$((n + 1)); done
grep -q '"event":"daily_eval"' "$T/serve3.log" && ok "and was logged" || fail "no daily_eval log line"
n=0 # the last fire time is stored just after the evaluation's own commit
until [ "$(sql "$DB" "SELECT value FROM meta WHERE key = 'daily_eval_last_fire'")" -gt "$WEEK_AGO" ] || [ $n -gt 200 ]; do
    sleep 0.05
    n=$((n + 1))
done
[ "$(sql "$DB" "SELECT value FROM meta WHERE key = 'daily_eval_last_fire'")" -gt "$WEEK_AGO" ] \
    && ok "the last fire time moved on" || fail "the last fire time did not move"
AS_OF=$(sed -n 's/.*"event":"daily_eval".*"as_of":"\([0-9-]*\)".*/\1/p' "$T/serve3.log" | head -1)
expect_eq "$(sql "$DB" "SELECT count(*) > 0 FROM eval_runs WHERE as_of = '$AS_OF'")" 1 "it evaluated as of the fire time's date ($AS_OF)"
stop_serve
expect_status 0 "SIGTERM"
"$COURTRULES" --db "$DB" serve --listen 127.0.0.1:0 --daily-eval '61 7 * * *' >/dev/null 2>"$T/err"
RC=$?
expect_status 2 "a bad --daily-eval is refused"
expect_in "$T/err" "minute" "naming the field"
expect_eq "$(sql "$DB" 'PRAGMA integrity_check')" ok "integrity_check at the end"
finish
