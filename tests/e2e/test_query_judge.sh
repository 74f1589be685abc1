#!/bin/sh
# End to end: ctx.query's judge filter (count_cases, cases) through
# `courtrules eval` -- a person presiding and among the judges counts once,
# cases outside the rule set's scope never count, and a case whose judges
# change, by `ingest` or by POST /v1/records, counts for its new judges only.
. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/serve_lib.sh"
R="$T/rules"
mkdir -p "$R/jm"

cat >"$R/jm/ruleset.json" <<'JSON'
{"name": "jm", "scope": "粤07"}
JSON
cat >"$R/jm/judges.lua" <<'LUA'
return {
  name = "judges", version = "1",
  on_court = function(court, ctx)
    if court.code ~= "粤0703" then return nil end
    local q = ctx.query
    local listed = {}
    for _, c in ipairs(q.cases{ judge = "P1" }) do listed[#listed + 1] = c.case_no end
    local ok_other, err_other = pcall(q.count_cases, { court = "粤08", judge = "P1" })
    return {
      p1 = q.count_cases{ judge = "P1" },
      p1_again = q.count_cases{ judge = "P1" },
      p2 = q.count_cases{ judge = "P2" },
      p1_basic = q.count_cases{ court = "粤0703", judge = "P1" },
      p1_intermediate_alone = q.count_cases{ court = "粤07", exact = true, judge = "P1" },
      p1_closed_may = q.count_cases{ judge = "P1", closed_from = "2024-05-01", closed_to = "2024-05-31" },
      p1_pending = q.count_cases{ judge = "P1", status = "在办" },
      nobody = q.count_cases{ judge = "P9" },
      p1_listed = table.concat(listed, ","),
      p1_first = #q.cases{ judge = "P1", limit = 1 },
      other_refused = not ok_other and err_other:find("outside this rule set's scope", 1, true) ~= nil,
    }
  end,
}
LUA

cat >"$T/data.jsonl" <<'JSON'
{"type":"court","code":"粤","name":"广东省高级人民法院","level":"高级"}
{"type":"court","code":"粤07","name":"江门市中级人民法院","level":"中级","parent":"粤"}
{"type":"court","code":"粤0703","name":"江门市蓬江区人民法院","level":"基层","parent":"粤07"}
{"type":"court","code":"粤08","name":"湛江市中级人民法院","level":"中级","parent":"粤"}
{"type":"person","id":"P1","court":"粤0703","name":"张三","roles":["庭长","员额法官"],"in_quota":true}
{"type":"person","id":"P2","court":"粤0703","name":"李四","roles":["员额法官"],"in_quota":true}
{"type":"case","case_no":"(2024)粤0703民初1号","filing_date":"2024-03-01","status":"已结","closing_date":"2024-05-10","presiding":"P1","judges":["P1","P2"]}
{"type":"case","case_no":"(2024)粤0703民初2号","filing_date":"2024-04-02","status":"在办","presiding":"P1"}
{"type":"case","case_no":"(2024)粤07民终3号","filing_date":"2024-03-15","status":"已结","closing_date":"2024-06-10","judges":["P1"]}
{"type":"case","case_no":"(2024)粤08民终4号","filing_date":"2024-03-16","status":"在办","judges":["P1"],"presiding":"P1"}
{"type":"case","case_no":"(2024)粤0703民初5号","filing_date":"2024-03-20","status":"在办","judges":["P2"]}
JSON
cr init; expect_status 0 "init"
cr ingest "$T/data.jsonl"; expect_status 0 "ingest"
cr --rules "$R" eval --as-of 2024-06-30; expect_status 0 "eval"

# val KEY: a field of the judges rule's result at 粤0703.
val() {
    sql "$DB" "SELECT json_extract(r.value, '\$.result.value.$1') FROM court_evaluations c,
               json_each(c.results) r WHERE c.court = '粤0703'"
}
expect_eq "$(val p1)" "3" "judge: presiding, among the judges or both, each case once; 粤08's case is outside the scope"
expect_eq "$(val p1_again)" "3" "the same query again gives the same count"
expect_eq "$(val p2)" "2" "a judge who never presides"
expect_eq "$(val p1_basic)" "2" "judge within a narrower court prefix"
expect_eq "$(val p1_intermediate_alone)" "1" "judge with exact = true: the court alone"
expect_eq "$(val p1_closed_may)" "1" "judge with a closing-date range"
expect_eq "$(val p1_pending)" "1" "judge with a status"
expect_eq "$(val nobody)" "0" "a person with no case"
expect_eq "$(val p1_listed)" "(2024)粤0703民初1号,(2024)粤0703民初2号,(2024)粤07民终3号" \
    "cases{judge=}: each case once, in 案号 order, none outside the scope"
expect_eq "$(val p1_first)" "1" "cases{judge=, limit=}"
expect_eq "$(val other_refused)" "1" "a judge query on a court outside the scope is refused"

# The first case changes hands: it counts for P2 alone from now on.
cat >"$T/change.jsonl" <<'JSON'
{"type":"case","case_no":"(2024)粤0703民初1号","filing_date":"2024-03-01","status":"已结","closing_date":"2024-05-10","presiding":"P2","judges":["P2"]}
JSON
cr ingest "$T/change.jsonl"; expect_status 0 "ingest a case with other judges"
cr --rules "$R" eval --as-of 2024-06-30; expect_status 0 "eval again"
expect_eq "$(val p1)/$(val p2)/$(val p1_closed_may)" "2/2/0" "a re-ingested case counts for its new judges only"

# The second case changes hands through the API: P2 presides, P1 is gone.
start_serve "$T/serve.log" "$DB" "$R" || fail "serve did not start"
TOKEN=$(new_token 粤07 filer)
req POST /v1/records "$TOKEN" -d '{"type":"case","case_no":"(2024)粤0703民初2号","filing_date":"2024-04-02","status":"在办","presiding":"P2","judges":["P2"]}'
expect_code 200 "POST /v1/records replaces a case's judges"
expect_eq "$(jget "$T/body" '$.case.updated')" 1 "as an update"
stop_serve
cr --rules "$R" eval --as-of 2024-06-30; expect_status 0 "eval after the API update"
expect_eq "$(val p1)/$(val p2)/$(val p1_pending)" "1/3/0" "a case updated through the API counts for its new judges only"
finish
