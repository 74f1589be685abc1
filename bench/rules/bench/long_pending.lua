-- 长期未结案件：立案超过参数 pending_months 个月仍未审结的（“超12个月未结案件比”指标），
-- 提示院庭长督办；同时给出最近一次办案活动的日期。
return {
  name = "long_pending",
  version = "2026.1",
  on_case = function(case, ctx)
    if case.status == "已结" then
      return { pending = false }
    end
    local p, date = ctx.params, ctx.date
    local days = date.days_between(case.filing_date, ctx.as_of)
    local last, last_kind = case.filing_date, "filed"
    for _, e in ipairs(case.events) do
      local d = e.at:sub(1, 10)
      if d >= last then
        last, last_kind = d, e.event
      end
    end
    local idle = date.days_between(last, ctx.as_of)
    local threshold = date.add_months(case.filing_date, p.pending_months)
    if ctx.as_of > threshold then
      ctx.alert{
        code = "PEND-12M",
        severity = case.status == "中止" and "info" or "warning",
        message = string.format("立案已 %d 日（%s 立案），超过%d个月未结；最近一次办案活动为 %s（%s），请院庭长督办",
          days, case.filing_date, p.pending_months, last, last_kind),
        basis = "法发〔2020〕26号 十二；审判质量管理指标体系“超12个月未结案件比”",
        data = { days = days },
      }
    end
    return { pending = true, days = days, last_activity = last, idle_days = idle }
  end,
}
