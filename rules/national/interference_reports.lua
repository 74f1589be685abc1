-- 干预过问案件情况月报告和“零报告”（法发〔2020〕26号 第11条）: every court
-- reports each month the interference by officials and insiders it recorded
-- (event interference_report, court-level, data.month "YYYY-MM", data.count;
-- 0 is a 零报告). A unit that always reports zero is itself a signal.
--
-- Months checked: the history_months months before the as-of date's month,
-- not before from_month. A month's report is due on due_day of the next
-- month (moved to the next workday when due_next_workday); before that it is
-- "未到期".
--
-- INTERFERENCE-NO-REPORT (warning), one alert per court and month
-- (dedup_key), for each month checked whose report is due and missing.
-- INTERFERENCE-ALWAYS-ZERO (info): the last always_zero_months reported
-- months in a row (up to the latest due or received one) all reported 0.
--
-- Reports are read with ctx.query.events and matched to months by their
-- data.month; data.count gives the zero reports. (Without ctx.query.events,
-- in hosts older than this rule, reports are matched by date and the zero
-- check is off; the result's matched_by says which.) Only the court's own
-- reports count (ctx.query's exact = true), not those of the courts below.
local lib = require "lib.court"

local BASIS = "法发〔2020〕26号 第11条（干预过问案件情况月报告和“零报告”制度）"

-- The months to check, oldest first: month, its due date, and the dates of
-- the month after it (up to as_of), where its report is expected.
local function months_checked(ctx, p)
  local d = ctx.date
  local this_month = ctx.as_of:sub(1, 8) .. "01"
  local list = {}
  for k = p.history_months, 1, -1 do
    local start = d.add_months(this_month, -k)
    local month = start:sub(1, 7)
    if not p.from_month or month >= p.from_month then
      local next_start = d.add_months(start, 1)
      local due = next_start:sub(1, 8) .. string.format("%02d", p.due_day)
      if p.due_next_workday then
        due = d.next_workday(due)
      end
      local window_to = d.add_days(d.add_months(next_start, 1), -1)
      if window_to > ctx.as_of then
        window_to = ctx.as_of
      end
      list[#list + 1] = { month = month, due = due, from = next_start, to = window_to }
    end
  end
  return list
end

-- Exact reports by data.month, through ctx.query.events when the host has it.
local function match_by_data(court, ctx, list)
  local rows = ctx.query.events{ court = court.code, exact = true, event = "interference_report",
                                 from = list[1].month .. "-01", to = ctx.as_of, limit = 10000 }
  local by_month = {}
  for _, e in ipairs(rows) do
    if e.data and e.data.month then
      by_month[e.data.month] = e.data.count -- in time order: a later report replaces an earlier one
    end
  end
  for _, m in ipairs(list) do
    m.count = by_month[m.month]
    m.received = m.count ~= nil
  end
end

-- Reports matched to months by their dates (see the header).
local function match_by_date(court, ctx, list)
  local waiting, credit = {}, 0
  for _, m in ipairs(list) do
    local n = ctx.query.count_events{ court = court.code, exact = true, event = "interference_report",
                                      from = m.from, to = m.to }
    m.reports = n
    local extra = 0
    if n > 0 then
      m.received, extra = true, n - 1
    elseif credit > 0 then
      m.received, m.early = true, true
    end
    while extra > 0 and #waiting > 0 do
      local late = table.remove(waiting)
      late.received, late.late = true, true
      extra = extra - 1
    end
    if not m.received then
      waiting[#waiting + 1] = m
    end
    credit = extra
  end
end

local on_court

-- The monthly check (schedule monthly_check, the 1st at 09:00): on_court's
-- findings as one report per court and month, INTERFERENCE-MONTHLY-CHECK,
-- naming every month whose report is due and missing.
local function monthly_check(court, ctx)
  local probe, found = lib.collecting(ctx)
  local result = on_court(court, probe)
  local months = {}
  for _, a in ipairs(found) do
    if a.code == "INTERFERENCE-NO-REPORT" then
      months[#months + 1] = lib.month_label(a.data.month)
    end
  end
  if #months > 0 then
    ctx.alert{
      code = "INTERFERENCE-MONTHLY-CHECK",
      severity = "warning",
      dedup_key = string.format("INTERFERENCE-MONTHLY-CHECK:%s:%s", court.code, ctx.as_of:sub(1, 7)),
      message = string.format("%s 干预过问案件情况月报告月度核查（%s）：%s 共 %d 个月未报送，请督促补报（无干预过问情况的应当作“零报告”）",
        court.name, ctx.as_of, table.concat(months, "、"), #months),
      basis = BASIS,
      data = { missing = result.missing },
    }
  end
  return result
end

on_court = function(court, ctx)
  local p = ctx.params.interference_reports
  local list = months_checked(ctx, p)
  local result = { months = {}, missing = {}, reasons = {} }
  local reasons = result.reasons
  if #list == 0 then
    reasons[#reasons + 1] = "无需核查的月份"
    return result
  end
  local exact = ctx.query.events ~= nil
  result.matched_by = exact and "data.month" or "date"
  if exact then
    match_by_data(court, ctx, list)
  else
    match_by_date(court, ctx, list)
    reasons[#reasons + 1] = "ctx.query 不能读取报告的 data.month、data.count：按报送日期推定所属月份，未核查“长期零报告”"
  end

  for _, m in ipairs(list) do
    local status
    if m.received then
      status = m.late and "已报送（推定迟报）" or m.early and "已报送（推定月内提前报送）" or "已报送"
    elseif ctx.as_of > m.due then
      status = "未报送"
      result.missing[#result.missing + 1] = m.month
      ctx.alert{
        code = "INTERFERENCE-NO-REPORT",
        severity = "warning",
        dedup_key = string.format("INTERFERENCE-NO-REPORT:%s:%s", court.code, m.month),
        message = string.format("%s 未报送%s干预过问案件情况月报告（报送期限 %s）；当月无干预过问情况的，应当作“零报告”",
          court.name, lib.month_label(m.month), m.due),
        basis = BASIS,
        data = { month = m.month, due = m.due },
      }
    else
      status = "未到期"
    end
    result.months[#result.months + 1] = { month = m.month, due = m.due, status = status, reports = m.reports,
                                          count = m.count }
  end

  if exact then
    -- The run of zero reports ending at the latest month reported or due.
    local run, i = 0, #list
    if not list[i].received and ctx.as_of <= list[i].due then
      i = i - 1
    end
    while i >= 1 and list[i].count == 0 do
      run, i = run + 1, i - 1
    end
    result.zero_run = run
    if run >= p.always_zero_months then
      ctx.alert{
        code = "INTERFERENCE-ALWAYS-ZERO",
        severity = "info",
        message = string.format("%s 已连续 %d 个月报送干预过问案件情况“零报告”；长期零报告本身值得关注，请核实记录、报告制度是否落实",
          court.name, run),
        basis = BASIS,
        data = { months = run, through = list[i + run].month },
      }
    end
  end
  if #result.missing > 0 then
    reasons[#reasons + 1] = "未报送：" .. table.concat(result.missing, "、")
  end
  return result
end

return {
  name = "interference_reports",
  version = "2026.2",
  on_court = on_court,
  schedules = {
    { name = "monthly_check", cron = "0 9 1 * *", catch_up = "once", run = monthly_check },
  },
}
