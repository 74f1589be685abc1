#!/bin/sh
# End to end: rule calls that run long enough to have used their whole
# instruction budget (over about 1 ms with the rule sets' 10,000,000) are made
# again with every instruction counted (docs/sandbox.md, "Rule calls without
# the count hook"). What the first run reported is dropped, the stored results
# are those of a single run, and a rule made again twice in a row is called
# counted from then on, so each worker makes such second runs twice per rule,
# not once per case. The eval summary reports how many there were, and the
# daemon's /metrics counts them for the API.
. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/serve_lib.sh"
R="$T/rules"
rule_set "$R" t
# 3,000,000 iterations: about 6,000,000 VM instructions, within the budget,
# and several milliseconds on any machine.
cat >"$R/t/long.lua" <<'LUA'
return {
  name = "long", version = "1",
  on_case = function(case, ctx)
    local s = 0
    for i = 1, 3000000 do s = s + i end
    ctx.log("summed %d", s)
    ctx.alert{ code = "T-LONG", severity = "info", message = "长时间规则 " .. case.case_no,
               basis = "测试" }
    return { sum = s }
  end,
}
LUA
cat >"$R/t/short.lua" <<'LUA'
return {
  name = "short", version = "1",
  on_case = function(case, ctx) return { court = case.court } end,
}
LUA

court_cases "$T/data.jsonl" 12
cr init; expect_status 0 "init"
cr ingest "$T/data.jsonl"; expect_status 0 "ingest"

# A call of a short rule made again as well means its thread was
# descheduled for over a millisecond (a loaded machine, the run's other
# threads), so the counts allow two such; without the switch to counted
# calls they would be 12 and 2, not 2 and 6.
reruns() { sqlite3 :memory: "SELECT json_extract(CAST(readfile('$T/out') AS TEXT), '\$.reruns')"; }

cr --rules "$R" --json eval --as-of 2024-06-30 --workers 1
expect_status 0 "eval with one worker"
expect_range "$(reruns)" 2 4 "one worker: the long rule's first two calls are made again, later calls are counted at once"
expect_eq "$(sql "$DB" "SELECT count(DISTINCT value ->> '\$.sum') || '/' || min(value ->> '\$.sum') || '/' || count(*)
    FROM evaluation_results WHERE rule = 'long' AND status = 'ok'")" \
    "1/4500001500000/12" "every case's long result is the full sum"
expect_eq "$(sql "$DB" "SELECT count(*) FROM evaluation_results WHERE rule = 'long' AND json_array_length(log) = 1")" \
    "12" "one log line per case: the first run's line was dropped"
expect_eq "$(sql "$DB" "SELECT count(*) FROM alerts WHERE code = 'T-LONG'")" "12" "one alert per case"
expect_eq "$(sql "$DB" "SELECT count(*) FROM evaluation_results WHERE rule = 'short' AND status = 'ok'")" \
    "12" "the short rule ran on every case"

cr --rules "$R" eval --as-of 2024-07-01 --workers 2
expect_status 0 "eval with two workers"
expect_in "$T/out" "rule calls made again with every instruction counted:" \
    "the text summary says how many calls were made again"
expect_range "$(sed -n 's/.*counted: \([0-9]*\).*/\1/p' "$T/out")" 2 4 \
    "two workers: at most two second runs each"
expect_eq "$(sql "$DB" "SELECT count(*) FROM evaluation_results WHERE rule = 'long' AND as_of = '2024-07-01'
    AND value ->> '\$.sum' = 4500001500000 AND json_array_length(log) = 1")" "12" \
    "two workers: every result is one run's"

# A rule long on every other case only is never switched to hooked calls:
# one second run alone can be a descheduled thread, so only two in a row
# count. Each of its six long calls is made again.
rule_set "$T/rules2" alt
cat >"$T/rules2/alt/sometimes.lua" <<'LUA'
return {
  name = "sometimes", version = "1",
  on_case = function(case)
    local n = tonumber(case.case_no:match("民初(%d+)号"))
    local s = 0
    if n % 2 == 1 then
      for i = 1, 3000000 do s = s + i end
    end
    return { n = n, sum = s }
  end,
}
LUA
cr --rules "$T/rules2" --json eval --as-of 2024-06-30 --workers 1
expect_status 0 "eval of a rule long on every other case"
expect_range "$(reruns)" 6 8 "its six long calls are each made again: no two in a row"
expect_eq "$(sql "$DB" "SELECT count(*) FROM evaluation_results WHERE rule = 'sometimes'
    AND value ->> '\$.sum' = (CASE WHEN value ->> '\$.n' % 2 = 1 THEN 4500001500000 ELSE 0 END)")" \
    "12" "and every result is right"

# The API: each HTTP thread's evaluation slot makes the long rule's first two
# calls again, then calls it counted; /metrics adds them up (8 without that).
start_serve "$T/serve.log" "$DB" "$R" || { fail "serve did not start"; cat "$T/serve.log"; }
TOK=$(new_token 粤 filer)
for i in 1 2 3 4 5 6 7 8; do
    req POST /v1/triage "$TOK" -H 'Content-Type: application/json' -d \
        '{"persist":false,"as_of":"2024-06-30","case":{"case_no":"(2024)粤0703民初9'$i'号","court":"粤0703","filing_date":"2024-03-01","status":"在办"}}'
    expect_code 200 "triage $i"
    expect_eq "$(jq_sql "$T/body" "SELECT json_extract(value, '\$.result.value.sum') || '/' ||
        json_array_length(j, '\$.alerts') FROM d, json_each(d.j, '\$.results')
        WHERE json_extract(value, '\$.rule') = 'long'")" \
        "4500001500000/1" "triage $i: the long rule's sum and one alert"
done
req GET /metrics "$(new_token '*' admin)"
expect_code 200 "metrics"
expect_range "$(sed -n 's/^courtrules_rule_reruns_total \([0-9]*\)$/\1/p' "$T/body")" 2 4 \
    "metrics: rule calls made again for 8 requests on 2 threads"
stop_serve
expect_status 0 "SIGTERM exits 0"
finish
