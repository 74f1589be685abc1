#!/bin/sh
# End to end: schedules declared by rules, through `courtrules schedule`.
# A rule set of its own (a daily digest on working days, a monthly check
# that catches up all missed runs, a failing one, a bad declaration), a
# province of two courts, and the clock given with --now: list output, a
# pass persisting the last fire time, catch-up after a simulated downtime,
# no overlap while a run is marked running, and a failing schedule recorded
# with its rule and reason.
. "$SRC/tests/e2e/lib.sh"
DB="$T/c.db"
export COURTRULES_DB="$DB"
export COURTRULES_CALENDAR="$SRC/data/calendar/cn.json"
R="$T/rules"
mkdir -p "$R/demo"
echo '{"name":"demo","scope":"*"}' >"$R/demo/ruleset.json"
cat >"$R/demo/digest.lua" <<'LUA'
return {
  name = "digest", version = "1",
  schedules = {
    { name = "daily", cron = "30 7 * * *", workdays_only = true,
      run = function(court, ctx)
        ctx.alert{ code = "DIGEST", severity = "info", message = court.name .. " 每日汇总",
                   basis = "测试", data = { as_of = ctx.as_of } }
        return { as_of = ctx.as_of }
      end },
    { name = "monthly", cron = "0 9 1 * *", catch_up = "all:2",
      run = function(court, ctx) return { month = ctx.as_of:sub(1, 7) } end },
  },
}
LUA
cat >"$R/demo/broken.lua" <<'LUA'
return {
  name = "broken", version = "1",
  schedules = { { name = "nightly", cron = "0 2 * * *",
                  run = function(court, ctx) error("缺少数据") end } },
}
LUA
printf '%s\n' \
    '{"type":"court","code":"粤","name":"广东省高级人民法院","level":"高级"}' \
    '{"type":"court","code":"粤07","name":"江门市中级人民法院","level":"中级","parent":"粤"}' \
    >"$T/courts.jsonl"
cr init; expect_status 0 "init"
cr ingest "$T/courts.jsonl"; expect_status 0 "ingest two courts"

# ---- list ----
cr --rules "$R" schedule list --now 2026-02-13T08:00
expect_status 0 "schedule list"
expect_in "$T/out" "demo/digest@daily  (demo/digest.lua)" "list names rule set, rule and schedule"
expect_in "$T/out" "30 7 * * *  Asia/Shanghai, workdays only" "list shows cron, zone and workdays"
expect_in "$T/out" "catch-up  all:2" "list shows the catch-up policy"
# 2026-02-14 is a make-up Saturday; the Spring Festival holiday runs 02-15..02-23.
expect_in "$T/out" "next      2026-02-14T07:30:00+08:00" "next fire on the make-up workday"
expect_in "$T/out" "          2026-02-24T07:30:00+08:00" "then after the Spring Festival"
cr --rules "$R" --json schedule list --now 2026-02-13T08:00
expect_eq "$(grep -c '"2026-0[23]-[0-9]*T07:30:00+08:00"' "$T/out")" 5 "list --json: five next fire times"
expect_in "$T/out" '"catch_up": "all:2"' "list --json: the policy"

# ---- a bad declaration is a load failure naming file, entry and field ----
mkdir -p "$T/bad/demo"
cp "$R/demo/ruleset.json" "$T/bad/demo/"
cat >"$T/bad/demo/bad.lua" <<'LUA'
return { name = "bad", schedules = { { cron = "0 7 * * *", run = function() end },
                                     { cron = "61 7 * * *", run = function() end } } }
LUA
cr --rules "$T/bad" schedule list
expect_status 1 "list exits 1 while a script does not load"
expect_in "$T/err" "demo/bad.lua not loaded: schedules[2]: cron: minute: '61': 61 is out of range 0-59" \
    "bad cron named by file, entry, field and token"

# ---- run-due persists the last fire time ----
cr --rules "$R" schedule run-due --now 2026-03-02T07:29
expect_status 0 "first pass: schedules seen"
expect_eq "$(sql "$DB" 'SELECT count(*) FROM schedules WHERE last_fire IS NULL')" 3 \
    "first sight records three schedules, nothing run"
cr --rules "$R" schedule run-due --now 2026-03-02T07:30:20
expect_status 0 "pass at 07:30:20"
expect_in "$T/out" "demo/digest@daily 2026-03-02T07:30:00+08:00 ok (run" "the daily digest ran on time"
expect_eq "$(sql "$DB" "SELECT datetime(last_fire, 'unixepoch', '+8 hours') || ' ' || last_status || ' ' || runs
                        FROM schedules WHERE schedule = 'daily'")" "2026-03-02 07:30:00 ok 1" \
    "last fire time persisted with its outcome"
expect_eq "$(sql "$DB" "SELECT count(*) FROM alerts WHERE code = 'DIGEST' AND status = 'open'
                        AND dedup_key LIKE 'demo/digest@daily:DIGEST:%'")" 2 \
    "one digest alert per court, in the schedule's namespace"
cr --rules "$R" schedule run-due --now 2026-03-02T07:31
expect_eq "$(sql "$DB" "SELECT runs FROM schedules WHERE schedule = 'daily'")" 1 \
    "a second pass in the same minute runs nothing again"

# ---- catch-up after a simulated downtime ----
# Down from 03-02 07:31 to 04-02 10:00: the daily digest had 23 working
# days due (once: one run, as of the latest; 22 missed); the monthly check,
# first seen on 03-02, had 04-01 due.
cr --rules "$R" schedule run-due --now 2026-04-02T10:00
expect_status 0 "pass after downtime"
expect_in "$T/out" "demo/digest@daily 2026-04-02T07:30:00+08:00 ok" "once: caught up as of the latest fire time"
expect_eq "$(grep -c 'demo/digest@daily' "$T/out")" 1 "once: a single run for the daily digest"
expect_eq "$(sql "$DB" "SELECT missed FROM schedules WHERE schedule = 'daily'")" 22 \
    "the collapsed fire times are counted as missed"
expect_in "$T/out" "demo/digest@monthly 2026-04-01T09:00:00+08:00 ok" "the monthly check caught up"
cr --rules "$R" schedule run-due --now 2026-07-01T09:00:30
expect_eq "$(grep -c 'demo/digest@monthly' "$T/out")" 2 "all:2: the latest two of three missed months"
expect_in "$T/out" "demo/digest@monthly 2026-06-01T09:00:00+08:00 ok" "all:2: June first"
expect_in "$T/out" "demo/digest@monthly 2026-07-01T09:00:00+08:00 ok" "all:2: then July"
expect_eq "$(sql "$DB" "SELECT as_of FROM eval_runs WHERE scope LIKE 'schedule demo/digest@monthly %' ORDER BY id DESC LIMIT 1")" \
    "2026-07-01" "a run's as-of date is its fire time's date"

# ---- a failing schedule is recorded with rule and reason ----
expect_in "$T/out" "demo/broken@nightly 2026-07-01T02:00:00+08:00 failed" "the failing schedule is reported"
expect_eq "$(sql "$DB" "SELECT last_status FROM schedules WHERE rule = 'broken'")" failed "state says failed"
expect_in "$T/out" "court 粤: demo/broken.lua:4: 缺少数据" "the reason names court, file, line and error"
sql "$DB" "SELECT rule_set || '/' || rule || ' ' || reason FROM failures WHERE rule = 'broken'" >"$T/failures"
expect_in "$T/failures" "demo/broken schedule nightly at 2026-07-01T02:00:00+08:00, court 粤07: demo/broken.lua:4: 缺少数据" \
    "each court's failure stored with rule set, rule, schedule and reason"
cr --rules "$R" schedule list --now 2026-07-01T10:00
expect_in "$T/out" "failed: 2 of 2 courts failed; first: court 粤: demo/broken.lua:4: 缺少数据" \
    "list shows the last failure"

# ---- no overlap: a schedule marked running is left alone ----
sql "$DB" "UPDATE schedules SET running_since = strftime('%s', '2026-07-02T07:00:00+08:00') WHERE schedule = 'daily'"
cr --rules "$R" schedule run-due --now 2026-07-02T07:30:10
expect_status 0 "pass while a run is under way"
expect_in "$T/out" "demo/digest@daily 2026-07-02T07:00:00+08:00 running: another run of this schedule is under way" \
    "the running schedule is not started twice"
expect_eq "$(sql "$DB" "SELECT datetime(last_fire, 'unixepoch', '+8 hours') FROM schedules WHERE schedule = 'daily'")" \
    "2026-07-01 07:30:00" "its last fire time is untouched"
# A mark older than the lease (6 hours) is from a run that died: taken over.
cr --rules "$R" schedule run-due --now 2026-07-02T13:30
expect_in "$T/out" "demo/digest@daily 2026-07-02T07:30:00+08:00 ok" "a stale mark is taken over"
expect_eq "$(sql "$DB" "SELECT count(*) FROM schedules WHERE running_since IS NOT NULL")" 0 \
    "no running mark is left behind"

# ---- evaluations do not resolve schedule alerts ----
cr --rules "$R" eval --as-of 2026-07-02
expect_status 0 "eval with the same rules"
expect_eq "$(sql "$DB" "SELECT count(*) FROM alerts WHERE code = 'DIGEST' AND status = 'open'")" 2 \
    "digest alerts stay open through an evaluation"
cr audit verify
expect_status 0 "audit trail verifies"
expect_eq "$(sql "$DB" "SELECT count(*) > 0 FROM audit WHERE action = 'schedule.run' AND subject = 'demo/broken@nightly'")" 1 \
    "schedule runs are in the audit trail"

finish
