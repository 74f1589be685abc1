-- 广东 审限管理: replaces the national time_limits rule for 粤 courts. The
-- due date is computed by the same plugin as the national rule's
-- (courtrules.time_limits, plugins/courtrules/time_limits.lua: limits from
-- params time_limits, counting from the day after filing, month ends,
-- extensions, excluded periods, suspension, foreign-related civil cases not
-- bound), without the national note on late extension decisions; 粤 sets
-- holiday_rollover to false, so a due date on a day off stays where it is.
--
-- Local choices:
-- * TL-NEAR in three tiers (params near_tiers: 黄/橙/红, a percentage of the
--   entry's near_days each, the most urgent tier reached wins), alongside
--   TL-EXTENSION-DUE rather than instead of it;
-- * long pending in tiers (params long_pending_tiers: TL-12M, GD-TL-18M,
--   GD-TL-36M), the highest reached only.
-- TL-OVERDUE and TL-EXTENSION-DUE are the national ones (the plugin's
-- overdue_alert and extension_due_alert).
local time_limits = require "courtrules.time_limits"

-- Long pending, in tiers, for every pending case, bound or not.
local function long_pending(case, ctx, result, as_of, paused)
  local date, filed = ctx.date, case.filing_date
  local reached
  local tiers = ctx.params.long_pending_tiers
  for i = 1, #tiers do
    local tier = tiers[i]
    if as_of > date.add_months(filed, tier.months) and (not reached or tier.months > reached.months) then
      reached = tier
    end
  end
  if reached then
    local pending = date.days_between(filed, as_of)
    result.pending_days = pending
    ctx.alert{
      code = reached.code,
      severity = paused and "info" or reached.severity,
      message = string.format("本案 %s 立案，已逾%d个月未结（%d日）%s，请院庭长督办", filed, reached.months, pending,
        paused and "（现处于中止状态）" or ""),
      basis = "法发〔2020〕26号 第12条；审判质量管理指标“超12个月未结案件比”；广东法院长期未结案件分级督办（本地细则）",
      data = { filing_date = filed, pending_days = pending, months = reached.months },
    }
  end
end

-- TL-NEAR in tiers: the most urgent tier of near_tiers reached (remaining
-- days at most percent% of the entry's near_days).
local function near(ctx, result, t)
  local tier
  local tiers = ctx.params.near_tiers
  for i = 1, #tiers do
    local candidate = tiers[i]
    if t.remaining * 100 <= (t.entry.near_days or 0) * candidate.percent
        and (not tier or candidate.percent < tier.percent) then
      tier = candidate
    end
  end
  if tier then
    result.near_tier = tier.label
    ctx.alert{
      code = "TL-NEAR",
      severity = tier.severity,
      message = string.format("【%s】审限将于 %s 届满（剩余%d日），请合理安排审理进度", tier.label, t.due, t.remaining),
      basis = "法发〔2020〕26号 第12条；" .. (t.entry.basis or ""),
      data = { due = t.due, tier = tier.label },
    }
  end
end

return {
  name = "time_limits",
  version = "2026.1",
  on_case = function(case, ctx)
    local result, t = time_limits.compute(case, ctx)
    if t.closed then
      return result
    end
    if t.entry and not time_limits.overdue_alert(ctx, result, t) and not t.paused then
      time_limits.extension_due_alert(case, ctx, result, t)
      near(ctx, result, t)
    end
    long_pending(case, ctx, result, t.as_of, t.paused)
    return result
  end,
}
