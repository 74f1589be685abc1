-- 分案留痕 checks (法发〔2020〕26号 第7条) over a case's assignment events,
-- shared by the national assignment rule and the provincial rules that
-- replace it. Loaded with `require "courtrules.assignment"`.
--
-- Random assignment is the rule and designated assignment the exception,
-- traced with its reason; a change of the trial organization after
-- assignment is decided by the president or division chief, the reason
-- marked on the platform and the parties notified. Found: a
-- designated_assignment without a reason (a reason of blanks is none); a
-- reassigned event without a reason; a reassignment neither marked
-- data.parties_notified = true nor followed by a parties_notified event,
-- once params reassignment_notify_within_days have passed (or the case is
-- closed). ctx.as_of is read only for a pending case with such an
-- unnotified reassignment.
local common = require "courtrules.common"

local M = {}

local day_of, has_text = common.day, common.has_text
local format = string.format
local NONE = {}
local BASIS = "法发〔2020〕26号 第7条"

-- Walks case.events. Returns the rule's result table (mode 随机 / 指定 /
-- 未见分案记录, assigned_on, reassignments, reasons: each reason given) and
-- what was found: { designated_without =, reassigned_without =,
-- not_notified = }, lists of days.
--   opts.notes: also note in the reasons, as the national rule does, each
--     reassignment still within the notice period and each finding;
--   opts.on_designated(e, day, result): the rule's own check of a designated
--     assignment with a reason, called in event order after its reason is
--     noted.
function M.scan(case, ctx, opts)
  opts = opts or NONE
  local p = ctx.params
  local events = case.events
  local result = { mode = "未见分案记录", reasons = {}, reassignments = 0 }
  local reasons = result.reasons
  local found = { designated_without = {}, reassigned_without = {}, not_notified = {} }
  local closed = case.status == "已结"
  local as_of -- read only when a pending case has an unnotified reassignment

  -- events[k] up to the first nil rather than 1..#events: the events are a
  -- read-only view (an array, no holes), whose length is a call into C.
  local k, e = 1, events[1]
  while e do
    local kind = e.event
    -- only these kinds matter here: their day is cut, no other event's
    local day = (kind == "assigned" or kind == "designated_assignment" or kind == "reassigned") and day_of(e.at)
    if (kind == "assigned" or kind == "designated_assignment") and result.mode == "未见分案记录" then
      result.mode = kind == "assigned" and "随机" or "指定"
      result.assigned_on = day
    end
    if kind == "designated_assignment" then
      if has_text(e.reason) then
        reasons[#reasons + 1] = format("%s 指定分案，理由：%s", day, e.reason)
        if opts.on_designated then
          opts.on_designated(e, day, result)
        end
      else
        found.designated_without[#found.designated_without + 1] = day
      end
    elseif kind == "reassigned" then
      result.reassignments = result.reassignments + 1
      if has_text(e.reason) then
        reasons[#reasons + 1] = format("%s 变更承办，理由：%s", day, e.reason)
      else
        found.reassigned_without[#found.reassigned_without + 1] = day
      end
      local notified = e.data and e.data.parties_notified == true
      local j, later = k + 1, events[k + 1]
      while later and not notified do
        notified = later.event == "parties_notified"
        j = j + 1
        later = events[j]
      end
      if not notified then
        local waited
        if closed then
          waited = math.huge
        else
          as_of = as_of or ctx.as_of
          waited = ctx.date.days_between(day, as_of)
        end
        if waited > p.reassignment_notify_within_days then
          found.not_notified[#found.not_notified + 1] = day
        elseif opts.notes then
          reasons[#reasons + 1] = format("%s 变更承办，尚在%d日告知期限内", day, p.reassignment_notify_within_days)
        end
      end
    end
    k = k + 1
    e = events[k]
  end
  if opts.notes then
    for i = 1, #found.designated_without do
      reasons[#reasons + 1] = found.designated_without[i] .. " 指定分案未载明理由"
    end
    for i = 1, #found.reassigned_without do
      reasons[#reasons + 1] = found.reassigned_without[i] .. " 变更承办未载明理由"
    end
    for i = 1, #found.not_notified do
      reasons[#reasons + 1] = found.not_notified[i] .. " 变更承办未见通知当事人"
    end
  end
  return result, found
end

-- The three alerts for what M.scan found, in this order, each listing its
-- days (data.dates).
local ALERTS = {
  { found = "designated_without", code = "ASSIGN-DESIGNATED-NO-REASON",
    message = "本案于 %s 指定分案，未载明指定理由；指定分案是例外，应当在办案平台全程留痕" },
  { found = "reassigned_without", code = "ASSIGN-REASSIGN-NO-REASON",
    message = "本案于 %s 变更审判组织人员，未在办案平台标注原因" },
  { found = "not_notified", code = "ASSIGN-NOT-NOTIFIED",
    message = "本案于 %s 变更审判组织人员，未见及时通知当事人的记录" },
}

function M.alerts(ctx, found)
  for i = 1, #ALERTS do
    local a = ALERTS[i]
    local days = found[a.found]
    if #days > 0 then
      ctx.alert{
        code = a.code,
        message = format(a.message, table.concat(days, "、")),
        basis = BASIS,
        data = { dates = days },
      }
    end
  end
end

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

-- ASSIGN-TEAM-NOT-ROTATED for `court` (an on_court hook's); returns the
-- rule's result.team_rotation. "相对固定的审判团队和合议庭，人员应当定期
-- 调整": the people of this court alone (ctx.query exact = true) in quota or
-- in a team, in post on the as-of date, whose start_date is more than
-- params.team_rotation_months before it; one alert each (dedup_key
-- ASSIGN-TEAM-NOT-ROTATED:<id>), longest in post first, at most
-- MAX_TEAM_ALERTS. See rules/national/assignment.lua for the details.
function M.team_rotation(court, ctx)
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
      basis = BASIS,
      data = { person = o.id, team = o.team, since = o.since, months = o.months, limit_months = limit },
    }
  end
  return rotation
end

return M
