-- 院庭长办案（法发〔2017〕10号；法发〔2020〕26号 第8条）: an in-quota court
-- leader handles at least a share of the court's average caseload per
-- in-quota judge; the upper court reports the leaders' completion each
-- quarter.
--
-- Quarter (param leader_caseload.quarter): "last_complete" (default) is the
-- quarter ending on the as-of date when that is a quarter's last day, else the
-- quarter before -- a quarter is judged once it is over, as it is reported;
-- "current" is the running quarter up to the as-of date (both the leader's
-- count and the average are to date, so the share stays comparable).
--
-- Average = cases of this court (exactly: not those of the courts below it)
-- closed in the quarter / in-quota people of this court in post at some time
-- in the quarter. If that people list is too long for ctx.query (over 10,000
-- rows), staffing quota_filled is used instead and the result says so.
--
-- Leaders: people of this court with a role in leader_caseload.roles (the
-- highest role in role_order counts), in quota and in post for the whole
-- quarter; the others are listed, not assessed. Handled = cases closed in the
-- quarter with the person among judges or presiding. Standard = the minimum
-- share min_percent[court level][category] (the lower bound of each range)
-- of the average; met when handled * judges * 100 >= closed * percent (exact
-- integers), so exactly the standard is no shortfall. A level or category
-- without a figure (中级 division chiefs, 专门 courts) is not assessed.
--
-- Supervision (supervision events of the court in the quarter) is reported as
-- a court total beside the case counts and never offsets them: count_events
-- has no actor filter, so it cannot be split per leader.
--
-- Not done: the division average for 庭长/副庭长 (domain.md §4 "or division,
-- for chiefs"): cases carry no division, and summing the division judges'
-- counts would count a 合议庭 case once per judge.
local lib = require "lib.court"

local BASIS = "最高人民法院关于加强各级人民法院院庭长办理案件工作的意见（试行）（法发〔2017〕10号）；法发〔2020〕26号 第8条"

local on_court

-- The quarterly report (schedule quarterly_report, the first day of each
-- quarter at 08:00, so the "last_complete" quarter is the one just ended):
-- on_court's assessment as one report per court and quarter,
-- LEADER-CASELOAD-REPORT, with how many leaders were assessed and who fell
-- short. Courts with no leader assessed get none.
local function quarterly_report(court, ctx)
  local probe, found = lib.collecting(ctx)
  local result = on_court(court, probe)
  local assessed, short = 0, {}
  for _, entry in ipairs(result.leaders) do
    if entry.met ~= nil then
      assessed = assessed + 1
    end
  end
  for _, a in ipairs(found) do
    short[#short + 1] = string.format("%s（%d/%s 件）", a.data.person, a.data.handled, a.data.standard)
  end
  if assessed > 0 then
    ctx.alert{
      code = "LEADER-CASELOAD-REPORT",
      severity = #short > 0 and "warning" or "info",
      dedup_key = string.format("LEADER-CASELOAD-REPORT:%s:%s", court.code, result.quarter),
      message = string.format("%s %s 院庭长办案情况：考核 %d 人，达标 %d 人%s；本院入额法官人均结案 %s 件",
        court.name, result.quarter, assessed, assessed - #short,
        #short > 0 and ("，未达标：" .. table.concat(short, "、")) or "", result.average or "-"),
      basis = BASIS,
      data = { quarter = result.quarter, assessed = assessed, short = #short, average = result.average },
    }
  end
  return result
end

on_court = function(court, ctx)
  local p = ctx.params.leader_caseload
  local q = ctx.query
  local from, to, qkey, qlabel = lib.quarter(ctx.date, ctx.as_of, p.quarter)
  local result = { quarter = qkey, from = from, to = to, leaders = {}, reasons = {} }
  local reasons = result.reasons
  local percents = p.min_percent[court.level]
  if not percents then
    reasons[#reasons + 1] = string.format("参数未设%s法院院庭长办案标准", court.level)
    return result
  end

  -- this court's own cases, events and people (exact): a prefix would also
  -- read every court below it
  local closed = q.count_cases{ court = court.code, exact = true, closed_from = from, closed_to = to }
  local judges = 0
  local ok, people = pcall(q.people, { court = court.code, exact = true, in_quota = true })
  if ok then
    for _, person in ipairs(people) do
      if lib.in_post(person, from, to, false) then
        judges = judges + 1
      end
    end
    result.judges_source = "people"
  else
    local s = lib.staffing(court, tonumber(to:sub(1, 4)))
    judges = s and s.quota_filled or 0
    result.judges_source = "staffing"
    reasons[#reasons + 1] = "入额法官名单超出查询上限，按员额实有人数（staffing.quota_filled）计算"
  end
  result.closed, result.judges = closed, judges
  result.supervision_events = q.count_events{ court = court.code, exact = true, event = "supervision",
                                             from = from, to = to }
  if judges == 0 then
    reasons[#reasons + 1] = qlabel .. "本院无入额法官，无法计算人均办案量"
    return result
  end
  result.average = lib.decimal(closed, judges)

  local seen, leaders = {}, result.leaders
  for _, role in ipairs(p.role_order) do
    for _, person in ipairs(q.people{ court = court.code, exact = true, role = role }) do
      if not seen[person.id] then
        seen[person.id] = true
        local category = p.roles[role]
        local entry = { id = person.id, name = person.name, role = role, category = category }
        leaders[#leaders + 1] = entry
        local percent = percents[category]
        if not person.in_quota then
          entry.note = "未入额，不适用办案数量标准"
        elseif not lib.in_post(person, from, to, true) then
          entry.note = "任职不满整个季度，本季度不考核"
        elseif not percent then
          entry.note = string.format("参数未设%s法院%s办案标准", court.level, category)
        else
          local handled = q.count_cases{ court = court.code, exact = true, judge = person.id,
                                         closed_from = from, closed_to = to }
          local gap = closed * percent - handled * judges * 100
          entry.handled, entry.percent = handled, percent
          entry.standard = lib.decimal_up(closed * percent, judges * 100)
          entry.shortfall = gap > 0 and lib.decimal_up(gap, judges * 100) or "0.00"
          entry.met = gap <= 0
          entry.gap = gap
        end
      end
    end
  end

  -- Short leaders, furthest below their standard first; at most
  -- max_alerts of them raise alerts (ctx.alert takes 64 per call).
  local short = {}
  for _, entry in ipairs(leaders) do
    if entry.met == false then
      short[#short + 1] = entry
    end
  end
  table.sort(short, function(a, b)
    if a.gap ~= b.gap then
      return a.gap > b.gap
    end
    return a.id < b.id
  end)
  for i, entry in ipairs(short) do
    if i > p.max_alerts then
      reasons[#reasons + 1] = string.format("另有 %d 名院庭长未达标，未逐一预警（见 leaders）", #short - p.max_alerts)
      break
    end
    ctx.alert{
      code = "LEADER-CASELOAD-SHORT",
      severity = "warning",
      dedup_key = string.format("LEADER-CASELOAD-SHORT:%s:%s", entry.id, qkey),
      message = string.format(
        "%s %s%s %s办案 %d 件，未达到办案数量标准 %s 件（本院入额法官人均结案 %s 件的 %s%%）。"
          .. "主持或参加专业法官会议、审判委员会，监督管理“四类案件”，接待来访，指挥执行等事务可计入工作量，但不得充抵办案数量",
        court.name, entry.role, entry.name, qlabel, entry.handled, entry.standard, result.average,
        tostring(entry.percent)),
      basis = BASIS,
      data = { person = entry.id, role = entry.role, quarter = qkey, handled = entry.handled,
               standard = entry.standard, average = result.average, percent = entry.percent },
    }
  end
  for _, entry in ipairs(leaders) do
    entry.gap = nil
    if entry.met == false then
      reasons[#reasons + 1] = string.format("%s%s办案 %d 件，低于标准 %s 件", entry.role, entry.name, entry.handled,
        entry.standard)
    end
  end
  reasons[#reasons + 1] = string.format("%s本院结案 %d 件，入额法官 %d 人，人均 %s 件；院庭长监督管理留痕 %d 次，另行统计，不充抵办案数量",
    qlabel, closed, judges, result.average, result.supervision_events)
  return result
end

return {
  name = "leader_caseload",
  version = "2026.3",
  on_court = on_court,
  schedules = {
    { name = "quarterly_report", cron = "0 8 1 1,4,7,10 *", catch_up = "once", run = quarterly_report },
  },
}
