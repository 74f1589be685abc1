-- 审限管理（法发〔2020〕26号 第12条）：the due date of a case's trial time
-- limit, from params time_limits[kind][procedure in force], computed by the
-- plugin courtrules.time_limits (plugins/courtrules/time_limits.lua: which
-- entry and variant applies, counting from the day after filing, month ends,
-- approved extensions, excluded periods and suspension, holiday_rollover,
-- civil cases in not_bound_flags or with a foreign party not bound). A
-- province that replaces this rule uses the same plugin and keeps only its
-- own alerts.
--
-- Alerts, pending cases only: TL-OVERDUE; TL-EXTENSION-DUE (extendable kinds,
-- no extension yet, within extension_apply_days_before +
-- extension_warn_lead_days of the due date; these two are raised by the
-- plugin's overdue_alert and extension_due_alert); otherwise TL-NEAR within the
-- entry's near_days; TL-12M when pending longer than long_pending_months
-- (the "超12个月未结案件比" indicator, bound or not). While the clock stands
-- (an open excluded period, or status 中止) there is no TL-EXTENSION-DUE or
-- TL-NEAR. An extension decided less than extension_decide_days_before the
-- due date then in force is noted in the reasons. A closed case never reads
-- ctx.as_of.
local time_limits = require "courtrules.time_limits"

-- TL-12M holds for every pending case, bound or not.
local function twelve_months(case, ctx, result, as_of, paused)
  local p, date, filed = ctx.params, ctx.date, case.filing_date
  local threshold = date.add_months(filed, p.long_pending_months)
  if as_of > threshold then
    local pending = date.days_between(filed, as_of)
    result.pending_days = pending
    ctx.alert{
      code = "TL-12M",
      severity = paused and "info" or "warning",
      message = string.format("本案 %s 立案，已逾%d个月未结（%d日）%s，计入“超12个月未结案件”，请院庭长督办",
        filed, p.long_pending_months, pending, paused and "（现处于中止状态）" or ""),
      basis = "法发〔2020〕26号 第12条；审判质量管理指标“超12个月未结案件比”",
      data = { filing_date = filed, pending_days = pending },
    }
  end
end

-- The daily scan (schedule daily_scan, working days at 07:30): per court,
-- the pending cases (在办, 中止) of the court itself and those pending past
-- long_pending_months -- the TL-12M count, the same threshold as
-- twelve_months -- as one TL-DAILY-SCAN report when there are any. The
-- per-case alerts (TL-OVERDUE, TL-NEAR, TL-EXTENSION-DUE) need each case's
-- events and come from `courtrules eval --changed`, which re-evaluates every
-- case whose rules read the as-of date.
local function daily_scan(court, ctx)
  local q, p = ctx.query, ctx.params
  local filed_to = ctx.date.add_days(ctx.date.add_months(ctx.as_of, -p.long_pending_months), -1)
  local result = { pending = 0, long_pending = 0 }
  for _, status in ipairs({ "在办", "中止" }) do
    result.pending = result.pending + q.count_cases{ court = court.code, exact = true, status = status }
    result.long_pending = result.long_pending
      + q.count_cases{ court = court.code, exact = true, status = status, filed_to = filed_to }
  end
  if result.long_pending > 0 then
    ctx.alert{
      code = "TL-DAILY-SCAN",
      severity = "warning",
      dedup_key = string.format("TL-DAILY-SCAN:%s:%s", court.code, ctx.as_of),
      message = string.format("%s 审限日报（%s）：未结案件 %d 件，其中立案逾%d个月未结 %d 件（%s 以前立案），请院庭长督办",
        court.name, ctx.as_of, result.pending, p.long_pending_months, result.long_pending,
        ctx.date.add_days(filed_to, 1)),
      basis = "法发〔2020〕26号 第12条；审判质量管理指标“超12个月未结案件比”",
      data = result,
    }
  end
  return result
end

return {
  name = "time_limits",
  version = "2026.2",
  schedules = {
    { name = "daily_scan", cron = "30 7 * * *", workdays_only = true, catch_up = "once", run = daily_scan },
  },
  on_case = function(case, ctx)
    local result, t = time_limits.compute(case, ctx,
      { extension_decide_days_before = ctx.params.extension_decide_days_before })
    if t.closed then
      return result
    end
    if t.entry and not time_limits.overdue_alert(ctx, result, t) and not t.paused then
      if not time_limits.extension_due_alert(case, ctx, result, t) and t.remaining <= (t.entry.near_days or 0) then
        ctx.alert{
          code = "TL-NEAR",
          severity = "info",
          message = string.format("审限将于 %s 届满（剩余%d日），请合理安排审理进度", t.due, t.remaining),
          basis = "法发〔2020〕26号 第12条；" .. (t.entry.basis or ""),
          data = { due = t.due },
        }
      end
    end
    twelve_months(case, ctx, result, t.as_of, t.paused)
    return result
  end,
}
