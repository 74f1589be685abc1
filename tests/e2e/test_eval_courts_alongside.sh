#!/bin/sh
# End to end: `courtrules eval` runs the court-level rules (on_court) on a
# copy of the rule sets of their own while the workers run the cases, and
# stores them after the cases. What they store must be what they would
# store run after the cases:
#   - their queries see every case;
#   - a rule quarantined by its case failures during the run is skipped for
#     the courts too. Its court hook has already run alongside by then (the
#     cases' failures take far longer than the court's call), so the courts
#     are run again after the cases, with the quarantine in force.
. "$SRC/tests/e2e/lib.sh"
DB="$T/c.db"
export COURTRULES_DB="$DB"
R="$T/rules"
rule_set "$R" t
# Every case call loops until its instruction budget is spent: a failure.
cat >"$R/t/flaky.lua" <<'LUA'
return {
  name = "flaky", version = "1",
  on_case = function(case, ctx)
    while true do end
  end,
  on_court = function(court, ctx)
    ctx.alert{ code = "T-FLAKY-COURT", severity = "info", message = "法院规则已运行 " .. court.code,
               basis = "测试" }
    return { ran = true }
  end,
}
LUA
cat >"$R/t/count.lua" <<'LUA'
return {
  name = "count", version = "1",
  on_court = function(court, ctx)
    return { cases = ctx.query.count_cases{ court = court.code, exact = true } }
  end,
}
LUA

court_cases "$T/data.jsonl" 8
cr init; expect_status 0 "init"
cr ingest "$T/data.jsonl"; expect_status 0 "ingest"

# court_rule RULE PATH: a value of the court's stored result of RULE.
court_rule() {
    sql "$DB" "SELECT json_extract(r.value, '$2') FROM court_evaluations c, json_each(c.results) r WHERE c.court = '粤0703' AND json_extract(r.value, '\$.rule') = '$1'"
}

cr --rules "$R" eval --as-of 2024-06-30 --workers 1 --quarantine-after 3
expect_status 0 "eval"
expect_in "$T/out" "courts evaluated by court-level rules: 1" "the court is evaluated"
expect_in "$T/out" "quarantined 1" "three failed cases in a row quarantine flaky"
expect_eq "$(court_rule count '$.result.value.cases')" "8" \
    "the court-level rules' queries see every case"
expect_eq "$(court_rule flaky '$.status')" "quarantined" \
    "flaky, quarantined by its cases during the run, is skipped for the court"
expect_eq "$(sql "$DB" "SELECT count(*) FROM alerts WHERE code = 'T-FLAKY-COURT'")" "0" \
    "the court call flaky made alongside the cases left no alert"

finish
