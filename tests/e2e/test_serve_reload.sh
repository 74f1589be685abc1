#!/bin/sh
# End to end: reloading rule sets under load. While two clients triage cases
# in a loop, a rule set is changed so that its own tests fail: the reload is
# refused (HTTP 422 with the failed tests, a log line, an audit entry) and
# the old version keeps serving; then the tests are fixed and the reload
# swaps the new version in -- and through all of it no request fails.
# SIGHUP reloads too.
. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/serve_lib.sh"
cp -R "$SRC/rules" "$T/rules"
cp -R "$SRC/plugins" "$T/plugins"
mkdir -p "$T/data" && cp -R "$SRC/data/calendar" "$T/data/calendar"
RULES="$T/rules"

cr init
cr ingest "$SRC/examples/sample-su.jsonl"
FILER=$(new_token 苏 filer)
ADMIN=$(new_token '*' admin)
start_serve "$T/serve.log" "$DB" "$RULES" || { fail "daemon starts"; cat "$T/serve.log"; finish; }
req GET /healthz ""
OLD=$(jget "$T/body" '$.rules.fingerprint')

CASE='{"case_no":"(2025)苏01民初777号","court":"苏01","kind":"民事","cause":"民间借贷纠纷","procedure":"普通","filing_date":"2025-03-03","claim_amount":"1000.00","status":"在办","party_count":2}'
# client N: triage in a loop until $T/stop exists; one status code per line.
client() {
    while [ ! -e "$T/stop" ]; do
        curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $FILER" \
            -d "{\"case\": $CASE, \"persist\": $2}" "$URL/v1/triage" >>"$T/codes.$1"
    done
}
client 1 false &
C1=$!
client 2 true &
C2=$!

# A new version whose own tests fail: four_category's version changes and
# a test expects what the rule does not do.
sed -i 's/version = "2026.1"/version = "2026.2"/' "$RULES/national/four_category.lua"
cat >"$RULES/national/tests/zz_broken.lua" <<'LUA'
return {
  rule = "four_category", as_of = "2026-03-31",
  cases = {
    { name = "deliberately wrong expectation",
      case = { case_no = "(2026)浙0106民初9号", filing_date = "2026-01-05", status = "在办", party_count = 9,
               events = { { event = "assigned", at = "2026-01-05" } } },
      expect = { result = { flagged = true } } },
  },
}
LUA
req POST /v1/rules/reload "$ADMIN"
expect_code 422 "a reload whose tests fail is refused"
expect_eq "$(jget "$T/body" '$.ok')" 0 "ok is false"
expect_in "$T/body" "deliberately wrong expectation" "the failed test is named"
expect_in "$T/body" "previous rules keep serving" "the reason says the old rules keep serving"
req GET /healthz ""
expect_eq "$(jget "$T/body" '$.rules.fingerprint')" "$OLD" "the old version still serves"
expect_in "$T/serve.log" '"event":"rules.reload"' "the refusal is logged"
expect_eq "$(sql "$DB" "SELECT count(*) FROM audit WHERE action = 'rules.reload' AND detail LIKE '%\"ok\":false%'")" 1 \
    "and audited"

# A script that does not load is refused too.
cp "$RULES/national/four_category.lua" "$T/four_category.lua"
echo 'return {' >"$RULES/national/four_category.lua"
rm "$RULES/national/tests/zz_broken.lua"
req POST /v1/rules/reload "$ADMIN"
expect_code 422 "a reload with a script that does not load is refused"
expect_in "$T/body" "four_category.lua" "naming the script"
cp "$T/four_category.lua" "$RULES/national/four_category.lua"

req POST /v1/rules/reload "$ADMIN"
expect_code 200 "the fixed version is swapped in"
NEW=$(jget "$T/body" '$.fingerprint')
[ "$NEW" != "$OLD" ] && ok "with a new fingerprint" || fail "fingerprint unchanged"
req GET /healthz ""
expect_eq "$(jget "$T/body" '$.rules.fingerprint')" "$NEW" "the new version serves"

# SIGHUP reloads as well (nothing changed: same fingerprint, one more entry).
kill -HUP "$SERVE_PID"
n=0
until [ "$(grep -c '"event":"rules.reload"' "$T/serve.log")" -ge 4 ]; do
    n=$((n + 1)); [ $n -gt 1200 ] && break; sleep 0.05
done
expect_eq "$(grep -c '"event":"rules.reload"' "$T/serve.log")" 4 "SIGHUP reloads the rule sets"

touch "$T/stop"
wait $C1 $C2
TOTAL=$(cat "$T/codes.1" "$T/codes.2" | wc -l)
FAILED=$(cat "$T/codes.1" "$T/codes.2" | grep -vc '^200$')
[ "$TOTAL" -gt 0 ] && ok "$TOTAL requests during the reloads" || fail "no requests were made"
expect_eq "$FAILED" 0 "no request failed during the reloads"
stop_serve
expect_status 0 "SIGTERM exits 0"
finish
