#!/bin/sh
# End to end: the Lua API a rule sees -- ctx.as_of, ctx.params, ctx.date with
# the holiday calendar, ctx.query limited to the rule set's scope -- through
# `courtrules eval` on a real database.
. "$SRC/tests/e2e/lib.sh"
DB="$T/c.db"
R="$T/rules"
export COURTRULES_DB="$DB"
mkdir -p "$R/base" "$R/jm"

cat >"$R/base/ruleset.json" <<'JSON'
{"name": "base", "scope": "*", "params": {"limit_days": 30, "nested": {"a": 1, "b": 2}, "list": [1, 2]}}
JSON
cat >"$R/base/dates.lua" <<'LUA'
return {
  name = "dates", version = "1",
  on_case = function(case, ctx)
    if case.status == "已结" then return { closed = true } end -- never reads the date
    local p = ctx.params
    local d = ctx.date
    local workday, known = d.is_workday("2026-02-14")
    local _, known_far = d.is_workday("2031-05-01")
    return {
      as_of = ctx.as_of,
      limit = p.limit_days,
      parties = case.parties, -- a read-only view, stored as what it shows
      merged = p.nested.a * 10 + p.nested.b,
      list = #p.list,
      month_end = d.add_months("2024-08-31", 6),
      leap = d.add_months("2023-08-31", 6),
      between = d.days_between("2024-02-28", "2024-03-01"),
      weekday = d.weekday("2024-03-01"),
      valid = d.valid("2024-02-30"),
      saturday_workday = workday, known = known, known_far = known_far,
      after_spring_festival = d.add_workdays("2026-02-13", 2),
      next_after_holiday = d.next_workday("2025-10-01"),
      due = d.add_days_excluding("2024-03-01", 30, { { from = "2024-03-25", to = "2024-04-10" } }),
      used = d.days_excluding("2024-03-01", "2024-04-17", { { from = "2024-03-25", to = "2024-04-10" } }),
    }
  end,
}
LUA
cat >"$R/jm/ruleset.json" <<'JSON'
{"name": "jm", "scope": "粤07", "params": {"limit_days": 45, "nested": {"b": 3}, "list": [9]}}
JSON
cat >"$R/jm/scope.lua" <<'LUA'
return {
  name = "scope", version = "1",
  on_case = function(case, ctx)
    local q = ctx.query
    local codes = {}
    for _, c in ipairs(q.courts{}) do codes[#codes + 1] = c.code end
    local ok_wide, err_wide = pcall(q.count_cases, { court = "粤" })
    local ok_other, err_other = pcall(q.count_cases, { court = "粤08" })
    local ok_typo, err_typo = pcall(q.count_cases, { cort = "粤0703" })
    local staffing = q.courts{ court = "粤0703" }[1].staffing[1]
    return {
      all = q.count_cases{},
      basic = q.count_cases{ court = "粤0703" },
      pending = q.count_cases{ status = "在办" },
      filed_march = q.count_cases{ filed_from = "2024-03-01", filed_to = "2024-03-31" },
      judged_by_p1 = q.count_cases{ judge = "P1" },
      listed = #q.cases{ limit = 2 },
      courts = table.concat(codes, ","),
      in_quota = #q.people{ in_quota = true },
      chiefs = #q.people{ role = "庭长" },
      reports = q.count_events{ event = "interference_report" },
      exact_cases = q.count_cases{ court = "粤07", exact = true },
      exact_courts = #q.courts{ court = "粤07", exact = true },
      report_count = q.events{ event = "interference_report" }[1].data.count,
      report_court = q.events{ event = "interference_report", court = "粤0703", exact = true }[1].court,
      quota_filled = staffing.quota_filled,
      wide_refused = not ok_wide and err_wide:find("outside this rule set's scope", 1, true) ~= nil,
      other_refused = not ok_other and err_other:find("outside", 1, true) ~= nil,
      typo_refused = not ok_typo and err_typo:find("unknown filter 'cort'", 1, true) ~= nil,
    }
  end,
}
LUA

cat >"$R/jm/backlog.lua" <<'LUA'
-- A court-level rule: on_court runs once per court in the set's scope.
return {
  name = "backlog", version = "1",
  on_court = function(court, ctx)
    local pending = ctx.query.count_cases{ court = court.code, status = "在办" }
    local staffing = court.staffing and court.staffing[1]
    if pending >= 2 then
      ctx.alert{ code = "COURT-BACKLOG", severity = "info",
                 message = string.format("%s 在办案件 %d 件，请关注", court.name, pending),
                 basis = "法发〔2020〕26号 八" }
    end
    return { pending = pending, quota_filled = staffing and staffing.quota_filled or nil }
  end,
}
LUA

cat >"$T/data.jsonl" <<'JSON'
{"type":"court","code":"粤","name":"广东省高级人民法院","level":"高级"}
{"type":"court","code":"粤07","name":"江门市中级人民法院","level":"中级","parent":"粤"}
{"type":"court","code":"粤0703","name":"江门市蓬江区人民法院","level":"基层","parent":"粤07","staffing":[{"year":2024,"quota_allotted":58,"quota_filled":55}]}
{"type":"court","code":"粤08","name":"湛江市中级人民法院","level":"中级","parent":"粤"}
{"type":"person","id":"P1","court":"粤0703","name":"张三","roles":["庭长","员额法官"],"in_quota":true}
{"type":"person","id":"P2","court":"粤0703","name":"李四","roles":["法官助理"],"in_quota":false}
{"type":"person","id":"P3","court":"粤08","name":"王五","roles":["庭长","员额法官"],"in_quota":true}
{"type":"case","case_no":"(2024)粤0703民初1号","filing_date":"2024-03-01","status":"在办","judges":["P1"],"parties":[{"name":"甲","role":"原告"},{"name":"乙","role":"被告"}]}
{"type":"case","case_no":"(2024)粤0703民初2号","filing_date":"2024-04-02","status":"已结","closing_date":"2024-05-01","presiding":"P1"}
{"type":"case","case_no":"(2024)粤07民终3号","filing_date":"2024-03-15","status":"在办"}
{"type":"case","case_no":"(2024)粤08民终4号","filing_date":"2024-03-16","status":"在办","judges":["P3"]}
{"type":"event","id":"R1","court":"粤0703","event":"interference_report","at":"2024-04-01","data":{"month":"2024-03","count":0}}
{"type":"event","id":"R2","court":"粤08","event":"interference_report","at":"2024-04-01","data":{"month":"2024-03","count":1}}
JSON
cr init; expect_status 0 "init"
cr ingest "$T/data.jsonl"; expect_status 0 "ingest"
cr --rules "$R" eval --as-of 2024-06-30 --calendar "$SRC/data/calendar/cn.json"
expect_status 0 "eval with the calendar"

# value KEY CASE RULE: a field of a rule's stored result value.
value() {
    sql "$DB" "SELECT json_extract(value, '\$.$1') FROM evaluation_results WHERE case_no = '$2' AND rule = '$3'"
}
C1='(2024)粤0703民初1号'
expect_eq "$(value as_of "$C1" dates)" "2024-06-30" "ctx.as_of is the --as-of date"
expect_eq "$(value limit "$C1" dates)" "45" "a more specific set's params override a wider set's rule's params"
expect_eq "$(value merged "$C1" dates)" "13" "params objects merge key by key"
expect_eq "$(value 'parties[1].name' "$C1" dates)" "乙" "a rule returning case data stores it (bug: views stored as [])"
expect_eq "$(value list "$C1" dates)" "1" "other params values are replaced"
expect_eq "$(value limit '(2024)粤08民终4号' dates)" "30" "courts outside the specific set keep the wider params"
expect_eq "$(value month_end "$C1" dates)" "2025-02-28" "add_months clamps to the month end"
expect_eq "$(value leap "$C1" dates)" "2024-02-29" "add_months into a leap February"
expect_eq "$(value between "$C1" dates)" "2" "days_between over 29 February"
expect_eq "$(value weekday "$C1" dates)" "5" "weekday"
expect_eq "$(value valid "$C1" dates)" "0" "valid rejects 2024-02-30"
expect_eq "$(value saturday_workday "$C1" dates)$(value known "$C1" dates)$(value known_far "$C1" dates)" \
    "110" "a 调休 Saturday is a workday; a year not in the calendar is reported unknown"
expect_eq "$(value after_spring_festival "$C1" dates)" "2026-02-24" "add_workdays across the Spring Festival"
expect_eq "$(value next_after_holiday "$C1" dates)" "2025-10-09" "next_workday after National Day"
expect_eq "$(value due "$C1" dates)" "2024-04-17" "an excluded period pushes the due date"
expect_eq "$(value used "$C1" dates)" "30" "days counted without the excluded period"

expect_eq "$(value all "$C1" scope)" "3" "ctx.query counts only the set's scope (粤07)"
expect_eq "$(value basic "$C1" scope)" "2" "a narrower court prefix inside the scope"
expect_eq "$(value pending "$C1" scope)" "2" "status filter"
expect_eq "$(value filed_march "$C1" scope)" "2" "filing-date range"
expect_eq "$(value judged_by_p1 "$C1" scope)" "2" "judge filter (judges or presiding)"
expect_eq "$(value listed "$C1" scope)" "2" "cases with a limit"
expect_eq "$(value courts "$C1" scope)" "粤07,粤0703" "courts in scope"
expect_eq "$(value in_quota "$C1" scope)" "1" "people in quota, in scope"
expect_eq "$(value chiefs "$C1" scope)" "1" "people by role, in scope only"
expect_eq "$(value reports "$C1" scope)" "1" "events in scope"
expect_eq "$(value exact_cases "$C1" scope)" "1" "exact = true: the court alone, not its basic courts"
expect_eq "$(value exact_courts "$C1" scope)" "1" "exact courts"
expect_eq "$(value report_count "$C1" scope)/$(value report_court "$C1" scope)" "0/粤0703" \
    "ctx.query.events returns the records with their data and court"
expect_eq "$(value quota_filled "$C1" scope)" "55" "court staffing figures"
expect_eq "$(value wide_refused "$C1" scope)" "1" "a prefix wider than the scope is refused"
expect_eq "$(value other_refused "$C1" scope)" "1" "another court's prefix is refused"
expect_eq "$(value typo_refused "$C1" scope)" "1" "an unknown filter is refused, not ignored"
expect_eq "$(sql "$DB" "SELECT count(*) FROM evaluation_results WHERE case_no LIKE '%粤08%' AND rule = 'scope'")" \
    "0" "the 粤07 set never ran on a 粤08 case"

# Court-level rules: once per court in the set's scope, alerts without a case.
expect_eq "$(sql "$DB" "SELECT group_concat(court, ',') FROM (SELECT court FROM court_evaluations ORDER BY court)")" \
    "粤07,粤0703" "on_court ran for the courts in the 粤07 set's scope only"
expect_eq "$(sql "$DB" "SELECT json_extract(r.value, '\$.result.value.pending') || '/' || json_extract(r.value, '\$.result.value.quota_filled') FROM court_evaluations c, json_each(c.results) r WHERE c.court = '粤0703'")" \
    "1/55" "a court rule sees the court's staffing and queries its cases"
expect_eq "$(sql "$DB" "SELECT count(*) FROM alerts WHERE code = 'COURT-BACKLOG' AND case_no IS NULL AND court = '粤07' AND status = 'open'")" \
    "1" "a court-level alert has the court and no case"
expect_eq "$(sql "$DB" "SELECT count(*) FROM evaluation_results WHERE rule = 'backlog'")" \
    "0" "a rule with only on_court is not part of case results"
cr --rules "$R" eval --as-of 2024-06-30 --calendar "$SRC/data/calendar/cn.json"
expect_in "$T/out" "courts evaluated by court-level rules: 2" "the summary counts the courts"
expect_eq "$(sql "$DB" "SELECT count(*) FROM alerts WHERE code = 'COURT-BACKLOG'")" "1" \
    "a court-level alert raised again is not duplicated"

# A script that fails to load keeps its open alerts (nobody knows whether
# they still fire); a rule that was removed has its alerts resolved.
cp "$R/jm/backlog.lua" "$T/backlog.lua"
printf 'return { name = "backlog", on_court = function(court, ctx)\n' >"$R/jm/backlog.lua"
cr --rules "$R" eval --as-of 2024-06-30 --calendar "$SRC/data/calendar/cn.json"
expect_status 0 "eval with a script that does not load"
expect_in "$T/out" "rule scripts not loaded: 1" "the summary reports the script that did not load"
cr --rules "$R" rules list; expect_status 1 "rules list exits 1 while a script does not load"
expect_in "$T/out" "NOT LOADED jm/backlog.lua" "rules list names the script that does not load"
expect_eq "$(sql "$DB" "SELECT status FROM alerts WHERE code = 'COURT-BACKLOG'")" "open" \
    "a rule that did not load keeps its open alerts"
rm "$R/jm/backlog.lua"
cr --rules "$R" eval --as-of 2024-06-30 --calendar "$SRC/data/calendar/cn.json"
expect_eq "$(sql "$DB" "SELECT status FROM alerts WHERE code = 'COURT-BACKLOG'")" "resolved" \
    "a rule that was removed has its alerts resolved"
cp "$T/backlog.lua" "$R/jm/backlog.lua"
cr --rules "$R" eval --as-of 2024-06-30 --calendar "$SRC/data/calendar/cn.json"
expect_eq "$(sql "$DB" "SELECT status FROM alerts WHERE code = 'COURT-BACKLOG'")" "open" \
    "restored, it fires again (reopened)"

# Operators acknowledge and resolve alerts by hand, audited.
ID=$(sql "$DB" "SELECT id FROM alerts WHERE code = 'COURT-BACKLOG'")
cr alerts ack "$ID" --note "院长已阅"; expect_status 0 "alerts ack"
expect_eq "$(sql "$DB" "SELECT status FROM alerts WHERE id = $ID")" "acked" "the alert is acked"
cr alerts ack "$ID"; expect_status 2 "acking twice is refused"
cr --rules "$R" eval --as-of 2024-06-30 --calendar "$SRC/data/calendar/cn.json"
expect_eq "$(sql "$DB" "SELECT status FROM alerts WHERE id = $ID")" "acked" \
    "an acked alert stays acked while its rule still raises it"
cr alerts resolve "$ID" --note "已督办"; expect_status 0 "alerts resolve"
expect_eq "$(sql "$DB" "SELECT count(*) FROM audit WHERE action IN ('alert.ack', 'alert.resolve') AND detail LIKE '%COURT-BACKLOG%'")" \
    "2" "both actions are audited"
cr alerts resolve 99999; expect_status 2 "an unknown alert is refused"
expect_in "$T/err" "alert 99999 does not exist" "the unknown alert is named"
cr --rules "$R" eval --as-of 2024-06-30 --calendar "$SRC/data/calendar/cn.json"
expect_eq "$(sql "$DB" "SELECT status FROM alerts WHERE id = $ID")" "open" \
    "a hand-resolved alert reopens when its rule raises it again"

# --changed re-evaluates what changed, and the cases whose rules read the
# as-of date when the date moves; a closed case whose rules never read it
# stays as it was.
cr --rules "$R" eval --changed --as-of 2024-06-30 --calendar "$SRC/data/calendar/cn.json"
expect_in "$T/out" "evaluated 0 cases" "--changed on the same date: nothing to do"
cr --rules "$R" eval --changed --as-of 2024-07-01 --calendar "$SRC/data/calendar/cn.json"
expect_in "$T/out" "evaluated 3 cases" "--changed on a new date: the date-dependent cases only"
expect_eq "$(sql "$DB" "SELECT as_of FROM evaluations WHERE case_no = '(2024)粤0703民初2号'")" \
    "2024-06-30" "the closed case was not re-evaluated"
expect_eq "$(value as_of "$C1" dates)" "2024-07-01" "a pending case was, as of the new date"

# Plugins are part of every rule set's version: editing one changes the SHA-256.
mkdir -p "$T/plugins"
printf 'return { answer = 42 }\n' >"$T/plugins/helper.lua"
cr --rules "$R" rules list; SHA1=$(grep '^base ' "$T/out")
printf 'return { answer = 43 }\n' >"$T/plugins/helper.lua"
cr --rules "$R" rules list; SHA2=$(grep '^base ' "$T/out")
[ -n "$SHA1" ] && [ "$SHA1" != "$SHA2" ] && ok "a plugin edit changes the rule sets' versions" ||
    fail "a plugin edit changes the rule sets' versions: '$SHA1' '$SHA2'"
rm -rf "$T/plugins"

# A link back to a folder above, inside a rule set or the plugins, is not
# followed: the versions are those without it (it listed the same scripts
# again under ever longer names until the system refused the path).
mkdir -p "$T/plugins/lib" "$R/base/lib"
printf 'return { answer = 42 }\n' >"$T/plugins/helper.lua"
cr --rules "$R" rules list; SHA1=$(grep '^base ' "$T/out")
ln -s .. "$T/plugins/lib/up"
mkdir -p "$R/base/lib" && ln -s .. "$R/base/lib/up"
cr --rules "$R" rules list; SHA2=$(grep '^base ' "$T/out")
expect_status 0 "rules list with links back up"
[ -n "$SHA1" ] && [ "$SHA1" = "$SHA2" ] && ok "links back to a folder above are not followed" ||
    fail "links back to a folder above are not followed: '$SHA1' '$SHA2'"
rm -rf "$T/plugins" "$R/base/lib"

# A broken calendar file is bad input, named.
printf '{"years": {"2024": {"off": ["2024-02-30"]}}}\n' >"$T/bad-calendar.json"
cr --rules "$R" eval --as-of 2024-06-30 --calendar "$T/bad-calendar.json"
expect_status 2 "a bad calendar is refused"
expect_in "$T/err" "bad-calendar.json" "the calendar error names the file"
finish
