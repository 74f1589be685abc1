#!/bin/sh
# End to end: kill -9 of the daemon while clients post records and triage
# cases, then a restart: every record the daemon acknowledged (HTTP 200) is
# in the database, the file passes PRAGMA integrity_check, the audit chain
# verifies, and the restarted daemon serves.
. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/serve_lib.sh"

init_with sample-su.jsonl
TOKEN=$(new_token 苏01 filer)
start_serve "$T/serve.log" "$DB" "$RULES" || { fail "daemon starts"; cat "$T/serve.log"; finish; }

# client N: posts cases (2025)苏01民初N00xx号 one by one, alternating plain
# records and persisted triage, and logs each acknowledged case number.
client() {
    i=1
    while [ $i -le 400 ]; do
        no="(2025)苏01民初$1$(printf '%03d' $i)号"
        rec="{\"case_no\":\"$no\",\"court\":\"苏01\",\"kind\":\"民事\",\"cause\":\"民间借贷纠纷\",\"procedure\":\"普通\",\"filing_date\":\"2025-03-03\",\"claim_amount\":\"1000.00\",\"status\":\"在办\",\"party_count\":2}"
        if [ $((i % 2)) = 0 ]; then
            code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
                -d "{\"case\": $rec}" "$URL/v1/triage")
        else
            code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
                -d "{\"type\":\"case\",${rec#\{}" "$URL/v1/records")
        fi
        [ "$code" = 200 ] && echo "$no" >>"$T/acked.$1"
        [ "$code" = 000 ] && break # the daemon is gone
        i=$((i + 1))
    done
}
: >"$T/acked.1"
: >"$T/acked.2"
client 1 &
C1=$!
client 2 &
C2=$!
# Kill once both clients have had some requests acknowledged: mid-work.
n=0
until [ "$(cat "$T/acked.1" "$T/acked.2" | wc -l)" -ge 20 ]; do
    n=$((n + 1))
    [ $n -gt 2000 ] && break
    sleep 0.02
done
kill -9 "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null
wait $C1 $C2
ACKED=$(cat "$T/acked.1" "$T/acked.2" | wc -l)
[ "$ACKED" -ge 20 ] && ok "clients were acknowledged before the kill ($ACKED)" || fail "only $ACKED acknowledged"

expect_eq "$(sql "$DB" 'PRAGMA integrity_check')" ok "integrity_check after kill -9"
missing=0
while read -r no; do
    [ "$(sql "$DB" "SELECT count(*) FROM cases WHERE case_no = '$no'")" = 1 ] || { missing=$((missing + 1)); echo "    missing $no"; }
done <<EOF2
$(cat "$T/acked.1" "$T/acked.2")
EOF2
expect_eq "$missing" 0 "every acknowledged record is in the database"
cr audit verify
expect_status 0 "the audit chain verifies"

start_serve "$T/serve2.log" "$DB" "$RULES" || fail "the daemon restarts after kill -9 (the lock went with the process)"
req GET /healthz ""
expect_code 200 "and serves"
stop_serve
expect_status 0 "and stops with SIGTERM"
finish
