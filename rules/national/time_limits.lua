-- 审限管理（法发〔2020〕26号 第12条）：the due date of a case's trial time
-- limit, from params time_limits[kind][procedure in force] (type_codes
-- narrows an entry to some case types; ruling_appeal and long_sentence pick
-- the shorter/longer variants from case.extra).
--
-- Counting starts the day after filing: a limit in months ends on the same
-- day of the month (the last day when that month is shorter: ctx.date.
-- add_months), a limit in days that many days after filing. Approved
-- extensions (extension_approved, data.months / data.days) are added to the
-- base due date. Periods that do not count (params excluded_period_events,
-- from `at` to `end`, and each suspended → resumed pair, the resumption day
-- counting again) push the due date by the days they cover; an open period
-- runs to the closing date or the as-of date. holiday_rollover moves a due
-- date on a day off to the next workday (民事诉讼法 第85条, applied by analogy).
-- Civil cases with a flag in not_bound_flags (涉外, 涉港澳台) or a foreign
-- party are not bound.
--
-- Alerts, pending cases only: TL-OVERDUE; TL-EXTENSION-DUE (extendable kinds,
-- no extension yet, within extension_apply_days_before +
-- extension_warn_lead_days of the due date); otherwise TL-NEAR within the
-- entry's near_days; TL-12M when pending longer than long_pending_months
-- (the "超12个月未结案件比" indicator, bound or not). While the clock stands
-- (an open excluded period, or status 中止) there is no TL-EXTENSION-DUE or
-- TL-NEAR. An extension decided less than extension_decide_days_before the
-- due date then in force is noted in the reasons. A closed case never reads
-- ctx.as_of.
local common = require "lib.common"

local NONE = {}

local function label(limit)
  local text = ""
  if limit.months and limit.months > 0 then
    text = limit.months .. "个月"
  end
  if limit.days and limit.days > 0 then
    text = text .. limit.days .. "日"
  end
  return text
end

-- The entry and the limit ({months=, days=}) that apply, or nil and why.
local function limit_for(case, p, procedure)
  local entry = ((p.time_limits or NONE)[case.kind] or NONE)[procedure or ""]
  if type(entry) ~= "table" then
    return nil, nil, string.format("参数未设%s案件%s程序的审限", case.kind, procedure or "（未填）")
  end
  if entry.type_codes and not common.contains(entry.type_codes, case.type_code) then
    return nil, nil, string.format("参数未设%s类案件的审限", case.type_code)
  end
  local extra = case.extra or NONE
  if entry.ruling_appeal and extra[p.ruling_appeal_extra_key] == "裁定" then
    return entry, entry.ruling_appeal, "对裁定的上诉"
  end
  local sentence = extra[p.possible_sentence_extra_key]
  if entry.long_sentence then
    if math.type(sentence) == "integer" and sentence > entry.long_sentence.over_months then
      return entry, entry.long_sentence, string.format("可能判处的刑罚超过%d个月", entry.long_sentence.over_months)
    elseif math.type(sentence) ~= "integer" then
      if p.unknown_sentence_uses_longer_limit then
        return entry, entry.long_sentence, "可能判处的刑罚未填，按较长审限计算"
      end
      return entry, entry, "可能判处的刑罚未填，按较短审限计算"
    end
  end
  return entry, entry, nil
end

local function not_bound(case, p)
  local flags = case.flags or NONE
  for _, flag in ipairs((p.not_bound_flags or NONE)[case.kind] or NONE) do
    if flags[flag] then
      return flag
    end
  end
  if case.kind == "民事" then
    for _, party in ipairs(case.parties or NONE) do
      if party.foreign then
        return "当事人为外国人（" .. party.name .. "）"
      end
    end
  end
  return nil
end

-- Excluded periods, extensions, and whether a period is still open.
local function scan(case, p, date, stop)
  local labels = p.excluded_period_events or NONE
  local periods, extensions, open = {}, {}, false
  local months, days = 0, 0
  local suspended_at
  for _, e in ipairs(case.events) do
    local kind, day = e.event, common.day(e.at)
    if kind == "extension_approved" then
      local data = e.data or NONE
      local m = math.type(data.months) == "integer" and data.months > 0 and data.months or 0
      local d = math.type(data.days) == "integer" and data.days > 0 and data.days or 0
      months, days = months + m, days + d
      extensions[#extensions + 1] = { at = day, months = m, days = d }
    elseif kind == "suspended" then
      suspended_at = suspended_at or day
    elseif kind == "resumed" and suspended_at then
      if day > suspended_at then
        periods[#periods + 1] = { from = suspended_at, to = date.add_days(day, -1), kind = "中止期间" }
      end
      suspended_at = nil
    elseif type(labels[kind]) == "string" and day <= stop then
      local to = e["end"] and common.day(e["end"])
      if not to then
        to, open = stop, true
      end
      if to >= day then
        periods[#periods + 1] = { from = day, to = to, kind = labels[kind] }
      end
    end
  end
  if suspended_at and suspended_at <= stop then
    periods[#periods + 1] = { from = suspended_at, to = stop, kind = "中止期间" }
    open = true
  end
  return periods, extensions, months, days, open
end

return {
  name = "time_limits",
  version = "2026.1",
  on_case = function(case, ctx)
    local p, date = ctx.params, ctx.date
    local closed = case.status == "已结"
    local filed = case.filing_date
    local procedure = common.current_procedure(case)
    local result = { procedure = procedure, reasons = {} }
    local reasons = result.reasons

    -- TL-12M holds for every pending case, bound or not.
    local function twelve_months(as_of, paused)
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

    local why_not = not_bound(case, p)
    if why_not then
      result.bound = false
      reasons[#reasons + 1] = "涉外（涉港澳台）民事案件不受审限限制（" .. why_not .. "）"
      if not closed then
        twelve_months(ctx.as_of, case.status == "中止")
      end
      return result
    end
    local entry, limit, variant = limit_for(case, p, procedure)
    if not entry then
      result.bound = false
      reasons[#reasons + 1] = variant
      if not closed then
        twelve_months(ctx.as_of, case.status == "中止")
      end
      return result
    end
    result.bound = true
    result.limit = label(limit)
    result.basis = entry.basis
    reasons[#reasons + 1] = string.format("%s案件适用%s程序，审限%s（%s），自立案次日起算", case.kind, procedure,
      result.limit, entry.basis or "")
    if variant then
      reasons[#reasons + 1] = variant
    end

    local stop = closed and case.closing_date or ctx.as_of
    local periods, extensions, ext_months, ext_days, open = scan(case, p, date, stop)
    local paused = open or case.status == "中止"
    local base_due = date.add_days(date.add_months(filed, limit.months or 0), limit.days or 0)
    local extended_due = date.add_days(date.add_months(base_due, ext_months), ext_days)
    local counted = date.days_between(filed, extended_due)
    local due = date.add_days_excluding(filed, counted, periods)
    local excluded = date.days_between(filed, due) - counted
    result.base_due = base_due
    result.extensions = extensions
    result.extended = #extensions > 0
    result.periods = periods
    result.excluded_days = excluded
    -- Each extension, and whether it was decided extension_decide_days_before
    -- the due date then in force (a reason, not an alert).
    local months_before, days_before = 0, 0
    for _, ext in ipairs(extensions) do
      reasons[#reasons + 1] = string.format("%s 批准延长审限%s", ext.at, label(ext))
      local then_due = date.add_days_excluding(filed, date.days_between(filed,
        date.add_days(date.add_months(base_due, months_before), days_before)), periods)
      if p.extension_decide_days_before and date.days_between(ext.at, then_due) < p.extension_decide_days_before then
        reasons[#reasons + 1] = string.format("该延长决定距当时的审限届满日 %s 不足%d日", then_due,
          p.extension_decide_days_before)
      end
      months_before, days_before = months_before + ext.months, days_before + ext.days
    end
    if excluded > 0 then
      local kinds = {}
      for _, period in ipairs(periods) do
        kinds[#kinds + 1] = string.format("%s（%s至%s）", period.kind, period.from, period.to)
      end
      reasons[#reasons + 1] = string.format("不计入审限的期间%d日：%s", excluded, table.concat(kinds, "、"))
    end
    if p.holiday_rollover then
      local rolled = date.next_workday(due)
      local _, known = date.is_workday(due)
      if not known then
        ctx.log("calendar has no %s: Monday to Friday assumed for %s", due:sub(1, 4), due)
      end
      if rolled ~= due then
        reasons[#reasons + 1] = string.format("届满日%s为休息日，顺延至%s", due, rolled)
        due = rolled
      end
    end
    result.due = due
    result.days_used = date.days_excluding(filed, stop, periods)

    if closed then
      result.within_limit = case.closing_date <= due
      reasons[#reasons + 1] = string.format("%s 结案，审限届满日 %s，%s", case.closing_date, due,
        result.within_limit and "审限内结案" or string.format("超审限%d日结案", date.days_between(due, case.closing_date)))
      return result
    end

    local as_of = stop
    local remaining = date.days_between(as_of, due)
    result.days_remaining = remaining
    result.suspended = paused or nil
    reasons[#reasons + 1] = string.format("审限届满日 %s，剩余%d日", due, remaining)
    if remaining < 0 then
      ctx.alert{
        code = "TL-OVERDUE",
        severity = "critical",
        message = string.format("本案已超审限%d日（审限%s，届满日 %s%s%s），请承办法官说明情况并报院庭长", -remaining,
          result.limit, due, excluded > 0 and string.format("，已扣除不计入审限的期间%d日", excluded) or "",
          result.extended and "，含已批准的延长" or ""),
        basis = "法发〔2020〕26号 第12条；" .. (entry.basis or ""),
        data = { due = due, overdue_days = -remaining },
      }
    elseif not paused then
      local apply_before = p.extension_apply_days_before
      if common.contains(p.extendable_kinds, case.kind) and not result.extended
          and remaining <= apply_before + (p.extension_warn_lead_days or 0) then
        local apply_by = date.add_days(due, -apply_before)
        ctx.alert{
          code = "TL-EXTENSION-DUE",
          message = remaining > apply_before
            and string.format("审限将于 %s 届满（剩余%d日）；确需延长的，应当于 %s 前（届满十五日前）向院长提出申请", due,
              remaining, apply_by)
            or string.format("审限将于 %s 届满（剩余%d日），已过届满十五日前（%s）提出延长申请的期限，尚无延长审限记录", due,
              remaining, apply_by),
          basis = "最高人民法院关于严格规范民商事案件延长审限和延期开庭问题的规定 第1条",
          data = { due = due, apply_by = apply_by },
        }
      elseif remaining <= (entry.near_days or 0) then
        ctx.alert{
          code = "TL-NEAR",
          severity = "info",
          message = string.format("审限将于 %s 届满（剩余%d日），请合理安排审理进度", due, remaining),
          basis = "法发〔2020〕26号 第12条；" .. (entry.basis or ""),
          data = { due = due },
        }
      end
    end
    twelve_months(as_of, paused)
    return result
  end,
}
