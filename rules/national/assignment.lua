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
-- Not checked here: whether the person who reassigned had the authority
-- needs roles at the time of the event, which person records do not keep.
local assignment = require "courtrules.assignment"
local common = require "courtrules.common"

local ROTATION_BASIS = "法发〔2020〕26号 第7条"
local MAX_TEAM_ALERTS = 60

-- Whole months from `from` to `to` (to >= from), as add_months counts them.
local function whole_months(date, from, to)
  local n = (tonumber(to:sub(1, 4)) - tonumber(from:sub(1, 4))) * 12
    + tonumber(to:sub(6, 7)) - tonumber(from:sub(6, 7))
  if date.add_months(from, n) > to then
    n = n - 1
  end
  return n
end

-- ASSIGN-TEAM-NOT-ROTATED for `court`; returns result.team_rotation.
local function team_rotation(court, ctx)
  local limit = ctx.params.team_rotation_months
  local as_of = ctx.as_of
  local rotation = { checked = 0, overdue = {}, unknown = {} }
  local ok, people = pcall(ctx.query.people, { court = court.code, exact = true })
  if not ok then
    rotation.note = "人员名单超出查询上限，未核查审判团队人员定期调整情况"
    return rotation
  end
  local overdue = rotation.overdue
  for _, person in ipairs(people) do
    local s, e = person.start_date, person.end_date
    local team = common.has_text(person.team) and person.team or nil
    if (person.in_quota or team) and (not e or e >= as_of) and (not s or s <= as_of) then
      if not s then
        rotation.unknown[#rotation.unknown + 1] = { id = person.id, name = person.name, team = team }
      else
        rotation.checked = rotation.checked + 1
        if as_of > ctx.date.add_months(s, limit) then
          overdue[#overdue + 1] = { id = person.id, name = person.name, team = team, since = s,
                                    months = whole_months(ctx.date, s, as_of) }
        end
      end
    end
  end
  table.sort(overdue, function(a, b)
    if a.since ~= b.since then
      return a.since < b.since
    end
    return a.id < b.id
  end)
  for i, o in ipairs(overdue) do
    if i > MAX_TEAM_ALERTS then
      rotation.not_alerted = #overdue - MAX_TEAM_ALERTS
      break
    end
    local post = o.team and string.format("审判团队“%s”", o.team) or "现岗位（未登记审判团队）"
    ctx.alert{
      code = "ASSIGN-TEAM-NOT-ROTATED",
      severity = "info",
      dedup_key = "ASSIGN-TEAM-NOT-ROTATED:" .. o.id,
      message = string.format("%s %s 自 %s 起在%s，至 %s 已满 %d 个月，超过 %d 个月未调整；"
        .. "相对固定的审判团队和合议庭，人员应当定期调整", court.name, o.name, o.since, post, as_of, o.months, limit),
      basis = ROTATION_BASIS,
      data = { person = o.id, team = o.team, since = o.since, months = o.months, limit_months = limit },
    }
  end
  return rotation
end

return {
  name = "assignment",
  version = "2026.1",
  on_case = function(case, ctx)
    local result, found = assignment.scan(case, ctx, { notes = true })
    assignment.alerts(ctx, found)
    return result
  end,
  on_court = function(court, ctx)
    return { team_rotation = team_rotation(court, ctx) }
  end,
}
