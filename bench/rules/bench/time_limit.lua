-- 审限管理：按案件类型和程序（参数 time_limits）计算审限届满日。自立案次日起算，
-- 按月计算的到对应月的同日（月末为该月最后一日）；加上批准延长的期限，不计公告送达、
-- 鉴定、和解、管辖异议和中止期间（以事件的 at/end 计，重叠的只计一次）。参数
-- holiday_rollover 为真时，届满日是休息日的顺延至其后第一个工作日（民事诉讼法 第85条）。
-- 在办案件已超审限、临近届满而未申请延长的预警；涉外民事案件不受审限限制。
local NONE = {}

local function limit_for(case, p)
  local by_type = p.time_limit_by_type[case.type_code]
  if by_type then
    return by_type
  end
  local by_kind = p.time_limits[case.kind]
  if not by_kind then
    return nil
  end
  return by_kind[case.procedure or "*"] or by_kind["*"]
end

local function contains(list, value)
  for _, v in ipairs(list) do
    if v == value then
      return true
    end
  end
  return false
end

return {
  name = "time_limit",
  version = "2026.2",
  on_case = function(case, ctx)
    local p, date = ctx.params, ctx.date
    local flags = case.flags or NONE
    if case.kind == "民事" and flags.foreign_element then
      return { bound = false, reason = "涉外民事案件不受审限限制" }
    end
    local limit = limit_for(case, p)
    if not limit then
      return { bound = false, reason = "未设审限" }
    end
    local filed = case.filing_date
    local stop = case.closing_date or ctx.as_of
    local periods, ext_months, ext_days = {}, 0, 0
    local suspended_at, extension_at
    for _, e in ipairs(case.events) do
      local kind = e.event
      if kind == "suspended" then
        suspended_at = suspended_at or e.at:sub(1, 10)
      elseif kind == "resumed" and suspended_at then
        periods[#periods + 1] = { from = suspended_at, to = e.at:sub(1, 10), kind = "suspended" }
        suspended_at = nil
      elseif kind == "extension_approved" then
        local data = e.data or NONE
        if math.type(data.months) == "integer" then
          ext_months = ext_months + data.months
        elseif math.type(data.days) == "integer" then
          ext_days = ext_days + data.days
        end
        extension_at = e.at:sub(1, 10)
      elseif contains(p.excluded_periods, kind) then
        local from, to = e.at:sub(1, 10), e["end"] and e["end"]:sub(1, 10) or stop
        if to > stop then
          to = stop
        end
        if to >= from then
          periods[#periods + 1] = { from = from, to = to, kind = kind }
        end
      end
    end
    if suspended_at and stop >= suspended_at then -- 中止尚未恢复
      periods[#periods + 1] = { from = suspended_at, to = stop, kind = "suspended", open = true }
    end

    local base = limit.months and date.add_months(filed, limit.months) or date.add_days(filed, limit.days)
    local counted = date.days_between(filed, date.add_days(date.add_months(base, ext_months), ext_days))
    local due = date.add_days_excluding(filed, counted, periods)
    local excluded = date.days_between(filed, due) - counted
    if p.holiday_rollover then
      due = date.next_workday(due)
    end
    local result = { due = due, base_due = base, excluded_days = excluded, periods = periods,
                     extended = ext_months > 0 or ext_days > 0,
                     used_days = date.days_excluding(filed, stop, periods) }
    if case.status == "已结" then
      result.within_limit = case.closing_date <= due
      return result
    end
    if suspended_at then -- 中止期间不计入审限，不预警
      result.suspended = true
      return result
    end
    local remaining = date.days_between(ctx.as_of, due)
    result.remaining_days = remaining
    if remaining < 0 then
      ctx.alert{
        code = "TL-OVERDUE",
        severity = "critical",
        message = string.format("已超审限 %d 日（审限届满日 %s，不计入审限的期间 %d 日%s）", -remaining, due,
          excluded, result.extended and "，含已批准的延长" or ""),
        basis = "法发〔2020〕26号 十二；最高人民法院案件审限管理规定",
        data = { due = due, overdue_days = -remaining },
      }
    elseif remaining <= p.extension_notice_days and case.kind == "民事" and not result.extended then
      ctx.alert{
        code = "TL-DUE-15",
        message = string.format("审限将于 %s 届满（剩余 %d 日），需要延长审限的，应当在期限届满十五日前提出申请", due,
          remaining),
        basis = "最高人民法院关于严格规范民商事案件延长审限和延期开庭问题的规定 第1条",
        data = { due = due },
      }
    end
    if extension_at and date.days_between(extension_at, base) < p.extension_decide_days then
      ctx.log("extension approved on %s, less than %d days before %s", extension_at,
        p.extension_decide_days, base)
    end
    return result
  end,
}
