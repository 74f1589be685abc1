#!/bin/sh
# Crash safety of delivery: `deliver --follow` is killed with SIGKILL at
# random moments, several times, while thousands of alerts are being
# delivered; after each restart delivery carries on. In the end every alert
# has reached the receiver at least once, an alert that arrived more than
# once came every time under the same webhook-id (a resend of one message,
# never a second message), every message is recorded as delivered, and the
# database passes PRAGMA integrity_check.
. "$SRC/tests/e2e/lib.sh"
DB="$T/c.db"
export COURTRULES_DB="$DB"
S1='whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
N=4000
export SLOW_MS=5

python3 "$SRC/tests/e2e/receiver.py" "$T/port" "$T/log" "$S1" &
RPID=$!
DPID=
trap 'kill $RPID $DPID 2>/dev/null; rm -rf "$T"' EXIT INT TERM
i=0
while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
URL="http://127.0.0.1:$(cat "$T/port")"
touch "$T/log"

cr init; expect_status 0 "init"
cr --rules "$SRC/rules" webhook add crash --url "$URL/slow" --secret "$S1" --max-in-flight 8
expect_status 0 "webhook add"

# N alerts, written the way eval writes them: the outbox trigger queues one
# delivery each in the same transaction.
sql "$DB" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
  INSERT INTO alerts(dedup_key, rule_set, rule, rule_version, rule_set_sha, code, severity,
    court, case_no, message, basis, as_of, created_at, last_seen_at, run_id)
  SELECT 'k' || i, 'national', 'time_limits', '1', 'sha', 'TL-OVERDUE', 'warning', '粤0106',
    '(2024)粤0106民初' || i || '号', '审限已届满', '民事诉讼法第152条', '2024-12-31',
    '2024-12-31T08:00:00+08:00', '2024-12-31T08:00:00+08:00', 0 FROM n"
expect_eq "$(sql "$DB" 'SELECT count(*) FROM outbox')" "$N" "$N alerts queued $N deliveries"

# random 0.05 .. 0.35 s
pause() { sleep "$(awk -v s="$1" 'BEGIN { srand(s); printf "%.2f", 0.05 + 0.3 * rand() }')"; }
attempts() { sql "$DB" 'SELECT count(*) FROM delivery_attempts'; }

kills=0
midway=0
for round in 1 2 3 4 5 6; do
    "$COURTRULES" --rules "$SRC/rules" deliver --follow >"$T/d$round.out" 2>&1 &
    DPID=$!
    # The kill comes at a random moment after this round's first recorded
    # attempt (a slow machine, a sanitizer build, may take a while to start
    # sending: waited for, at most 20 s, not timed).
    before=$(attempts)
    n=0
    until [ "$(attempts)" -gt "$before" ] || [ $n -ge 400 ]; do
        sleep 0.05
        n=$((n + 1))
    done
    pause "$round$$"
    kill -9 "$DPID" 2>/dev/null && kills=$((kills + 1))
    wait "$DPID" 2>/dev/null
    DPID=
    expect_eq "$(sql "$DB" 'PRAGMA integrity_check')" ok "integrity_check after kill -9 number $round"
    done_now=$(sql "$DB" "SELECT count(*) FROM messages WHERE state = 'delivered'")
    [ "$done_now" -gt 0 ] && [ "$done_now" -lt "$N" ] && midway=$((midway + 1))
done
expect_eq "$kills" 6 "the delivering process was killed six times mid-work"
[ "$midway" -ge 3 ] && ok "$midway of the kills came in the middle of delivery" \
    || fail "only $midway kills came while delivery was under way (the machine was too fast or too slow)"

cr --rules "$SRC/rules" deliver; expect_status 0 "a final pass after the crashes"
expect_eq "$(sql "$DB" "SELECT count(*) FROM messages WHERE state = 'delivered'")" "$N" "every message is recorded as delivered"
expect_eq "$(sql "$DB" "SELECT count(*) FROM outbox WHERE message IS NULL")" 0 "nothing is left in the outbox"

python3 - "$T/log" "$N" >"$T/check" <<'EOF'
import json, sys
carried = {}   # alert id -> webhook-ids that carried it
unverified = 0
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    unverified += not r["verified"]
    for a in json.loads(r["body"])["data"]["alerts"]:
        carried.setdefault(a["id"], set()).add(r["id"])
n = int(sys.argv[2])
print("missing", n - len(carried))
print("split", sum(1 for ids in carried.values() if len(ids) > 1))
print("unverified", unverified)
EOF
expect_in "$T/check" "missing 0" "every alert reached the receiver at least once"
expect_in "$T/check" "split 0" "an alert delivered twice carried the same webhook-id both times"
expect_in "$T/check" "unverified 0" "every request verified"
DUPS=$(python3 -c "
import json; rs=[json.loads(l)['id'] for l in open('$T/log')]; print(len(rs) - len(set(rs)))")
echo "note duplicates after $kills crashes: $DUPS (at least once, not exactly once)"
expect_eq "$(sql "$DB" 'PRAGMA integrity_check')" ok "integrity_check at the end"
finish
