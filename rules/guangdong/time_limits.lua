-- 广东 审限管理: replaces the national time_limits rule for 粤 courts. The
-- due date is computed exactly as the national rule does (see
-- rules/national/time_limits.lua: limits from params time_limits, counting
-- from the day after filing, month ends, extensions, excluded periods,
-- suspension, foreign-related civil cases not bound); 粤 sets
-- holiday_rollover to false, so a due date on a day off stays where it is.
--
-- Local choices:
-- * TL-NEAR in three tiers (params near_tiers: 黄/橙/红, a percentage of the
--   entry's near_days each, the most urgent tier reached wins), alongside
--   TL-EXTENSION-DUE rather than instead of it;
-- * long pending in tiers (params long_pending_tiers: TL-12M, GD-TL-18M,
--   GD-TL-36M), the highest reached only.
-- TL-OVERDUE and TL-EXTENSION-DUE are as in the national rule.
local NONE = {}

local function contains(list, value)
  for _, v in ipairs(list or NONE) do
    if v == value then
      return true
    end
  end
  return false
end

local function day_of(timestamp)
  return timestamp:sub(1, 10)
end

local function current_procedure(case)
  local procedure = case.procedure
  for _, e in ipairs(case.events) do
    if e.event == "procedure_changed" and e.data and e.data.to then
      procedure = e.data.to
    end
  end
  return procedure
end


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
  if entry.type_codes and not contains(entry.type_codes, case.type_code) then
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
    local kind, day = e.event, day_of(e.at)
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
      local to = e["end"] and day_of(e["end"])
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
    local procedure = current_procedure(case)
    local result = { procedure = procedure, reasons = {} }
    local reasons = result.reasons

    -- Long pending, in tiers, for every pending case, bound or not.
    local function long_pending(as_of, paused)
      local reached
      for _, tier in ipairs(p.long_pending_tiers) do
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

    local why_not = not_bound(case, p)
    if why_not then
      result.bound = false
      reasons[#reasons + 1] = "涉外（涉港澳台）民事案件不受审限限制（" .. why_not .. "）"
      if not closed then
        long_pending(ctx.as_of, case.status == "中止")
      end
      return result
    end
    local entry, limit, variant = limit_for(case, p, procedure)
    if not entry then
      result.bound = false
      reasons[#reasons + 1] = variant
      if not closed then
        long_pending(ctx.as_of, case.status == "中止")
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
    for _, ext in ipairs(extensions) do
      reasons[#reasons + 1] = string.format("%s 批准延长审限%s", ext.at, label(ext))
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
      if contains(p.extendable_kinds, case.kind) and not result.extended
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
      end
      local tier
      for _, t in ipairs(p.near_tiers) do
        if remaining * 100 <= (entry.near_days or 0) * t.percent and (not tier or t.percent < tier.percent) then
          tier = t
        end
      end
      if tier then
        result.near_tier = tier.label
        ctx.alert{
          code = "TL-NEAR",
          severity = tier.severity,
          message = string.format("【%s】审限将于 %s 届满（剩余%d日），请合理安排审理进度", tier.label, due, remaining),
          basis = "法发〔2020〕26号 第12条；" .. (entry.basis or ""),
          data = { due = due, tier = tier.label },
        }
      end
    end
    long_pending(as_of, paused)
    return result
  end,
}
