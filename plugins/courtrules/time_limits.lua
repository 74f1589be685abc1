-- 审限 computations (法发〔2020〕26号 第12条) shared by the national
-- time_limits rule and the provincial rules that replace it, so that a
-- province keeps only its own alerts. Loaded with
-- `require "courtrules.time_limits"`.
--
-- The due date of a case's trial time limit comes from params
-- time_limits[kind][procedure in force] (type_codes narrows an entry to some
-- case types; ruling_appeal and long_sentence pick the shorter/longer
-- variants from case.extra). Counting starts the day after filing: a limit
-- in months ends on the same day of the month (the last day when that month
-- is shorter: ctx.date.add_months), a limit in days that many days after
-- filing. Approved extensions (extension_approved, data.months / data.days)
-- are added to the base due date. Periods that do not count (params
-- excluded_period_events, from `at` to `end`, and each suspended → resumed
-- pair, the resumption day counting again) push the due date by the days
-- they cover; an open period runs to the closing date or the as-of date.
-- holiday_rollover moves a due date on a day off to the next workday
-- (民事诉讼法 第85条, applied by analogy). Civil cases with a flag in
-- not_bound_flags (涉外, 涉港澳台) or a foreign party are not bound.
--
-- Everything comes in through the arguments; ctx.as_of is read only where
-- the rules read it: for a pending case, never for a closed one.
local common = require "courtrules.common"

local M = {}

local day_of, contains = common.day, common.contains
local format, concat = string.format, table.concat
local type, math_type = type, math.type
local NONE = {}

-- "6个月", "20日", "1个月15日" for a limit or an extension ({months=, days=}).
function M.label(limit)
  local text = ""
  if limit.months and limit.months > 0 then
    text = limit.months .. "个月"
  end
  if limit.days and limit.days > 0 then
    text = text .. limit.days .. "日"
  end
  return text
end

-- The entry and the limit ({months=, days=}) that apply, and the variant
-- chosen (a reason) if any; or nil, nil and why there is none.
function M.limit_for(case, p, procedure)
  local entry = ((p.time_limits or NONE)[case.kind] or NONE)[procedure or ""]
  if type(entry) ~= "table" then
    return nil, nil, format("参数未设%s案件%s程序的审限", case.kind, procedure or "（未填）")
  end
  if entry.type_codes and not contains(entry.type_codes, case.type_code) then
    return nil, nil, format("参数未设%s类案件的审限", case.type_code)
  end
  local extra = case.extra or NONE
  if entry.ruling_appeal and extra[p.ruling_appeal_extra_key] == "裁定" then
    return entry, entry.ruling_appeal, "对裁定的上诉"
  end
  local sentence = extra[p.possible_sentence_extra_key]
  if entry.long_sentence then
    if math_type(sentence) == "integer" and sentence > entry.long_sentence.over_months then
      return entry, entry.long_sentence, format("可能判处的刑罚超过%d个月", entry.long_sentence.over_months)
    elseif math_type(sentence) ~= "integer" then
      if p.unknown_sentence_uses_longer_limit then
        return entry, entry.long_sentence, "可能判处的刑罚未填，按较长审限计算"
      end
      return entry, entry, "可能判处的刑罚未填，按较短审限计算"
    end
  end
  return entry, entry, nil
end

-- Why a case is not bound by a time limit (a flag of not_bound_flags, or a
-- foreign party of a civil case), or nil.
function M.not_bound(case, p)
  local flags = case.flags or NONE
  local not_bound_flags = (p.not_bound_flags or NONE)[case.kind] or NONE
  for i = 1, #not_bound_flags do
    if flags[not_bound_flags[i]] then
      return not_bound_flags[i]
    end
  end
  if case.kind == "民事" then
    local parties = case.parties or NONE
    for i = 1, #parties do
      local party = parties[i]
      if party.foreign then
        return "当事人为外国人（" .. party.name .. "）"
      end
    end
  end
  return nil
end

-- The events up to `stop` (the closing or as-of date): the excluded periods
-- ({from=, to=, kind=}), the approved extensions ({at=, months=, days=}), the
-- months and days they add, and whether a period is still open.
function M.scan(case, p, date, stop)
  local labels = p.excluded_period_events or NONE
  local periods, extensions, open = {}, {}, false
  local months, days = 0, 0
  local suspended_at
  local events = case.events
  for i = 1, #events do
    local e = events[i]
    local kind = e.event
    if kind == "extension_approved" then
      local day = day_of(e.at)
      local data = e.data or NONE
      local m = math_type(data.months) == "integer" and data.months > 0 and data.months or 0
      local d = math_type(data.days) == "integer" and data.days > 0 and data.days or 0
      months, days = months + m, days + d
      extensions[#extensions + 1] = { at = day, months = m, days = d }
    elseif kind == "suspended" then
      suspended_at = suspended_at or day_of(e.at)
    elseif kind == "resumed" and suspended_at then
      local day = day_of(e.at)
      if day > suspended_at then
        periods[#periods + 1] = { from = suspended_at, to = date.add_days(day, -1), kind = "中止期间" }
      end
      suspended_at = nil
    elseif type(labels[kind]) == "string" then
      local day = day_of(e.at)
      if day <= stop then
        local to = e["end"] and day_of(e["end"])
        if not to then
          to, open = stop, true
        end
        if to >= day then
          periods[#periods + 1] = { from = day, to = to, kind = labels[kind] }
        end
      end
    end
  end
  if suspended_at and suspended_at <= stop then
    periods[#periods + 1] = { from = suspended_at, to = stop, kind = "中止期间" }
    open = true
  end
  return periods, extensions, months, days, open
end

-- The due date once `months` and `days` of extension are added to base_due
-- and the excluded periods are skipped, and the days counted (without the
-- periods) from filing.
function M.extended_due(date, filed, base_due, months, days, periods)
  local counted = date.days_between(filed, date.add_days(date.add_months(base_due, months), days))
  return date.add_days_excluding(filed, counted, periods), counted
end

-- The whole computation for one case. Returns the rule's result table
-- (procedure, bound, limit, basis, base_due, extensions, extended, periods,
-- excluded_days, due, days_used, within_limit or days_remaining and
-- suspended, reasons) and, for the rule's own alerts, a table t:
--   t.closed     the case is closed (the rule has nothing to raise);
--   t.entry      the params entry applied (nil: not bound);
--   t.as_of      for a pending case, the date its pending time runs to;
--   t.paused     the clock stands (an open excluded period, or 中止);
--   t.due, t.remaining, t.excluded   for a bound pending case.
-- opts.extension_decide_days_before: note each extension decided less than
-- that many days before the due date then in force (nil: no note).
function M.compute(case, ctx, opts)
  opts = opts or NONE
  local p, date = ctx.params, ctx.date
  local closed = case.status == "已结"
  local filed = case.filing_date
  local procedure = common.current_procedure(case)
  local result = { procedure = procedure, reasons = {} }
  local reasons = result.reasons

  local function unbound(why)
    result.bound = false
    reasons[#reasons + 1] = why
    if closed then
      return result, { closed = true }
    end
    return result, { as_of = ctx.as_of, paused = case.status == "中止" }
  end

  local why_not = M.not_bound(case, p)
  if why_not then
    return unbound("涉外（涉港澳台）民事案件不受审限限制（" .. why_not .. "）")
  end
  local entry, limit, variant = M.limit_for(case, p, procedure)
  if not entry then
    return unbound(variant)
  end
  result.bound = true
  result.limit = M.label(limit)
  result.basis = entry.basis
  reasons[#reasons + 1] = format("%s案件适用%s程序，审限%s（%s），自立案次日起算", case.kind, procedure,
    result.limit, entry.basis or "")
  if variant then
    reasons[#reasons + 1] = variant
  end

  local stop = closed and case.closing_date or ctx.as_of
  local periods, extensions, ext_months, ext_days, open = M.scan(case, p, date, stop)
  local paused = open or case.status == "中止"
  local base_due = date.add_days(date.add_months(filed, limit.months or 0), limit.days or 0)
  local due, counted = M.extended_due(date, filed, base_due, ext_months, ext_days, periods)
  local excluded = date.days_between(filed, due) - counted
  result.base_due = base_due
  result.extensions = extensions
  result.extended = #extensions > 0
  result.periods = periods
  result.excluded_days = excluded
  local decide_before = opts.extension_decide_days_before
  local months_before, days_before = 0, 0
  for i = 1, #extensions do
    local ext = extensions[i]
    reasons[#reasons + 1] = format("%s 批准延长审限%s", ext.at, M.label(ext))
    if decide_before then
      local then_due = M.extended_due(date, filed, base_due, months_before, days_before, periods)
      if date.days_between(ext.at, then_due) < decide_before then
        reasons[#reasons + 1] = format("该延长决定距当时的审限届满日 %s 不足%d日", then_due, decide_before)
      end
      months_before, days_before = months_before + ext.months, days_before + ext.days
    end
  end
  if excluded > 0 then
    local kinds = {}
    for i = 1, #periods do
      local period = periods[i]
      kinds[#kinds + 1] = format("%s（%s至%s）", period.kind, period.from, period.to)
    end
    reasons[#reasons + 1] = format("不计入审限的期间%d日：%s", excluded, concat(kinds, "、"))
  end
  if p.holiday_rollover then
    local rolled = date.next_workday(due)
    local _, known = date.is_workday(due)
    if not known then
      ctx.log("calendar has no %s: Monday to Friday assumed for %s", due:sub(1, 4), due)
    end
    if rolled ~= due then
      reasons[#reasons + 1] = format("届满日%s为休息日，顺延至%s", due, rolled)
      due = rolled
    end
  end
  result.due = due
  result.days_used = date.days_excluding(filed, stop, periods)

  if closed then
    result.within_limit = case.closing_date <= due
    reasons[#reasons + 1] = format("%s 结案，审限届满日 %s，%s", case.closing_date, due,
      result.within_limit and "审限内结案" or format("超审限%d日结案", date.days_between(due, case.closing_date)))
    return result, { closed = true, entry = entry }
  end

  local remaining = date.days_between(stop, due)
  result.days_remaining = remaining
  result.suspended = paused or nil
  reasons[#reasons + 1] = format("审限届满日 %s，剩余%d日", due, remaining)
  return result, { entry = entry, as_of = stop, paused = paused, due = due, remaining = remaining,
                   excluded = excluded }
end

-- TL-OVERDUE (critical) when a bound pending case is past its due date;
-- returns true if raised. result and t are what M.compute returned.
function M.overdue_alert(ctx, result, t)
  if t.remaining >= 0 then
    return false
  end
  ctx.alert{
    code = "TL-OVERDUE",
    severity = "critical",
    message = format("本案已超审限%d日（审限%s，届满日 %s%s%s），请承办法官说明情况并报院庭长", -t.remaining,
      result.limit, t.due, t.excluded > 0 and format("，已扣除不计入审限的期间%d日", t.excluded) or "",
      result.extended and "，含已批准的延长" or ""),
    basis = "法发〔2020〕26号 第12条；" .. (t.entry.basis or ""),
    data = { due = t.due, overdue_days = -t.remaining },
  }
  return true
end

-- TL-EXTENSION-DUE for a case of params extendable_kinds with no extension
-- yet, within extension_apply_days_before + extension_warn_lead_days of its
-- due date (最高人民法院关于严格规范民商事案件延长审限和延期开庭问题的规定 第1条);
-- returns true if raised. Call it for a case that is not overdue and whose
-- clock runs (not t.paused).
function M.extension_due_alert(case, ctx, result, t)
  local p, remaining = ctx.params, t.remaining
  local apply_before = p.extension_apply_days_before
  if not (contains(p.extendable_kinds, case.kind) and not result.extended
      and remaining <= apply_before + (p.extension_warn_lead_days or 0)) then
    return false
  end
  local due = t.due
  local apply_by = ctx.date.add_days(due, -apply_before)
  ctx.alert{
    code = "TL-EXTENSION-DUE",
    message = remaining > apply_before
      and format("审限将于 %s 届满（剩余%d日）；确需延长的，应当于 %s 前（届满十五日前）向院长提出申请", due,
        remaining, apply_by)
      or format("审限将于 %s 届满（剩余%d日），已过届满十五日前（%s）提出延长申请的期限，尚无延长审限记录", due,
        remaining, apply_by),
    basis = "最高人民法院关于严格规范民商事案件延长审限和延期开庭问题的规定 第1条",
    data = { due = due, apply_by = apply_by },
  }
  return true
end

return M
