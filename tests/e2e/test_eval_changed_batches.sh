#!/bin/sh
# End to end: `eval --changed` from the evaluation mark commits every 2,000
# cases (a full run every 20,000, eval.c): 2,500 changed cases take two
# transactions. Every case is stored once with the new as-of date, each
# alert once, and the mark moves past them all, so a second --changed
# finds nothing.
. "$SRC/tests/e2e/lib.sh"
DB="$T/c.db"
export COURTRULES_DB="$DB"
R="$T/rules"
rule_set "$R" t
cat >"$R/t/mark.lua" <<'LUA'
return {
  name = "mark", version = "1",
  on_case = function(case, ctx)
    ctx.alert{ code = "T-MARK", severity = "info", message = "案件 " .. case.case_no, basis = "测试" }
    return { seen = case.extra and case.extra.round or 0 }
  end,
}
LUA
court_cases "$T/data.jsonl" 2500
cr init; expect_status 0 "init"
cr ingest "$T/data.jsonl"; expect_status 0 "ingest 2,500 cases"
cr --rules "$R" eval --as-of 2024-06-30; expect_status 0 "full run"

# Every case changed: the same records with an extra member.
sed 's/"type":"case",/"type":"case","extra":{"round":2},/' "$T/data.jsonl" >"$T/touch.jsonl"
cr ingest "$T/touch.jsonl"; expect_status 0 "ingest the changes"
cr --rules "$R" --json eval --as-of 2024-06-30 --changed
expect_status 0 "eval --changed"
expect_eq "$(sqlite3 :memory: "SELECT json_extract(CAST(readfile('$T/out') AS TEXT), '\$.cases')")" \
    "2500" "--changed evaluates the 2,500 changed cases"
expect_eq "$(sql "$DB" "SELECT count(*) || '/' || count(DISTINCT case_no) FROM evaluation_results
    WHERE rule = 'mark' AND value ->> '\$.seen' = 2")" "2500/2500" \
    "each case is stored once, with what the change made it"
expect_eq "$(sql "$DB" "SELECT count(*) || '/' || count(DISTINCT case_no) FROM alerts WHERE code = 'T-MARK'")" \
    "2500/2500" "each case's alert once: raised again is a no-op across the batches"
cr --rules "$R" --json eval --as-of 2024-06-30 --changed
expect_status 0 "eval --changed again"
expect_eq "$(sqlite3 :memory: "SELECT json_extract(CAST(readfile('$T/out') AS TEXT), '\$.cases')")" \
    "0" "the mark moved past every case of both batches"
finish
