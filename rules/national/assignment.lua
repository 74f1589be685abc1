-- 分案留痕（法发〔2020〕26号 第7条）：random assignment is the rule and
-- designated assignment the exception, traced with its reason; a change of
-- the trial organization after assignment is decided by the president or
-- division chief, the reason marked on the platform and the parties notified.
--
-- The checks are the plugin courtrules.assignment's
-- (plugins/courtrules/assignment.lua), which a province replacing this rule
-- uses too: ASSIGN-DESIGNATED-NO-REASON: a designated_assignment without a
-- reason (a reason of blanks is none). ASSIGN-REASSIGN-NO-REASON: a
-- reassigned event without a reason. ASSIGN-NOT-NOTIFIED: a reassignment
-- neither marked data.parties_notified = true nor followed by a
-- parties_notified event, once reassignment_notify_within_days have passed
-- (or the case is closed). The reasons also note a reassignment still
-- within that period and each finding (the plugin's opts.notes).
--
-- on_court, ASSIGN-TEAM-NOT-ROTATED (info): "相对固定的审判团队和合议庭，人员
-- 应当定期调整". The people of this court alone (ctx.query exact = true, not
-- the courts below it) who are in quota or members of a 审判团队 (a `team`),
-- in post on the as-of date (start_date, if any, not after it; no end_date
-- before it). Person records keep one `team` and one start_date ("in post
-- from"), no history, so start_date stands for the start of the current
-- post/team. Overdue when as_of is after start_date + team_rotation_months
-- (ctx.date.add_months): exactly that many months is not overdue. One alert
-- per person (dedup_key ASSIGN-TEAM-NOT-ROTATED:<id>), longest in post
-- first, at most MAX_TEAM_ALERTS (ctx.alert takes 64 per call; the rest are
-- counted in not_alerted). People without start_date are listed as unknown,
-- not alerted; `checked` counts those whose time in post was measured.
-- The 26号 document sets no period: the figure is local (each high court or
-- court sets its own), so team_rotation_months is a parameter; its default,
-- 60 (five years), is a baseline choice, not a national rule.
--
-- The team check is the plugin's too (assignment.team_rotation), so a
-- province that replaces this rule keeps it.
--
-- Not checked here: whether the person who reassigned had the authority
-- needs roles at the time of the event, which person records do not keep.
local assignment = require "courtrules.assignment"

return {
  name = "assignment",
  version = "2026.2",
  on_case = function(case, ctx)
    local result, found = assignment.scan(case, ctx, { notes = true })
    assignment.alerts(ctx, found)
    return result
  end,
  on_court = function(court, ctx)
    return { team_rotation = assignment.team_rotation(court, ctx) }
  end,
}
