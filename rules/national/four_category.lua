-- “四类案件”自动识别与监管（法发〔2020〕26号 第5条；法发〔2021〕30号）。
--
-- Identification: the sub-criteria of the four categories, mapped to the
-- record (params four_category_flags, mass_parties, mass_causes with
-- mass_cause_min_parties, large_claim_amount, long_pending_months,
-- similar_case_conflict_extra_key) and to a person's flag_confirmed event
-- (data.category = 1..4 adds a category the data cannot show, e.g. （三）).
-- Not derivable from the record, so left to that manual path: 对事实认定或者
-- 法律适用存在较大争议, 具有普遍法律适用指导意义, 示范效应/批量诉讼 (ctx.query
-- cannot select cases by party), 对特定行业产业发展的影响.
--
-- Duties checked (预标识 + 再确认, 全程留痕): 4C-PREFLAG while nobody has
-- confirmed the pre-flag; 4C-NOT-REPORTED when the trial organization has not
-- reported to the president/division chief within report_within_days;
-- 4C-NO-MEETING when no 专业法官会议/审判委员会 discussion within
-- meeting_within_days, or at all before the case was decided. A flag_removed
-- event later than any flag_confirmed silences these three (traced in the log
-- and result). Independent hard rules, never silenced: 4C-COMMITTEE (刑诉解释
-- 第216条) and 4C-SINGLE-JUDGE (民事诉讼法 第42条).
local common = require "courtrules.common"

local has_text, day = common.has_text, common.day
local contains, copy_list = common.contains, common.copy_list
local format, sort, concat = string.format, table.sort, table.concat
local pairs, type, math_type = pairs, type, math.type
local NONE = {}

local CATEGORY = { "重大疑难复杂敏感", "群体性", "类案冲突", "反映违法审判" }
local ITEM = { "（一）", "（二）", "（三）", "（四）" }
local CATEGORY_BASIS = {
  "法发〔2021〕30号（一）重大、疑难、复杂、敏感",
  "法发〔2021〕30号（二）涉及群体性纠纷或者引发社会广泛关注，可能影响社会稳定",
  "法发〔2021〕30号（三）与本院或者上级人民法院的类案裁判可能发生冲突",
  "法发〔2021〕30号（四）有关单位或者个人反映法官有违法审判行为",
}

-- The keys of `table` (a params table, many keys) that are set in `flags` (a
-- case's flags, a few) and whose value has type `kind`, in byte order: what
-- iterating common.sorted_keys(table) and testing flags[key] gives, without
-- sorting the params on every case.
local function flags_in(flags, table_of, kind)
  if flags == NONE then
    return NONE -- a case without flags
  end
  local keys = {}
  for flag, on in pairs(flags) do
    if on and type(table_of[flag]) == kind then
      keys[#keys + 1] = flag
    end
  end
  if #keys > 1 then
    sort(keys)
  end
  return keys
end

-- A params map as a plain table.
local function copy_map(map)
  local copy = {}
  for key, value in pairs(map) do
    copy[key] = value
  end
  return copy
end

-- What the rule derives from params alone (common.per_params: once per
-- params table): the lists and small maps as plain tables, the large-claim
-- figure in fen, and the other params the rule reads on every case (a
-- field of a plain table costs no metamethod). fen: ctx.fen.
local plan_of = common.per_params(function(p, fen)
  local large = p.large_claim_amount
  return {
    kinds = copy_list(p.four_category_kinds or NONE),
    find_mass_cause = common.word_finder(p.mass_causes),
    large = large, large_fen = large and fen(large),
    flags = p.four_category_flags or NONE,
    mass_parties = p.mass_parties,
    mass_cause_min_parties = copy_map(p.mass_cause_min_parties or NONE),
    similar_case_conflict_extra_key = p.similar_case_conflict_extra_key,
    long_pending_months = p.long_pending_months,
    single_judge_forbidden_flags = p.single_judge_forbidden_flags or NONE,
  }
end)

local function by_category(a, b)
  if a.category ~= b.category then
    return a.category < b.category
  end
  return a.order < b.order
end

-- Adds a criterion met to found.
local function add(found, category, reason, since)
  found[#found + 1] = { category = category, reason = ITEM[category] .. reason, since = since }
end

-- Every criterion the case meets: { category = 1..4, reason = text, since = date }.
-- fen: ctx.fen; plan: plan_of(p); flags: case.flags or NONE. manual: the
-- flag_confirmed events with a category, in event order.
local function signals_of(case, plan, flags, kind, date, fen, stop, manual)
  local found, filed = {}, case.filing_date
  local table_of_flags = plan.flags
  local set = flags_in(flags, table_of_flags, "table")
  for i = 1, #set do
    local entry = table_of_flags[set[i]]
    add(found, entry.category, entry.criterion, filed)
  end
  local count, mass_parties = case.party_count or 0, plan.mass_parties
  if count >= mass_parties then
    local word = plan.find_mass_cause(case.cause)
    local cause = word and ("，涉众案由（" .. word .. "）") or ""
    -- joined as format's %d writes integers
    add(found, 2, math_type(count) == "integer" and math_type(mass_parties) == "integer"
      and "当事人或者被害人人数众多（" .. count .. "人，标准" .. mass_parties .. "人以上）" .. cause
      or format("当事人或者被害人人数众多（%d人，标准%d人以上）%s", count, mass_parties, cause), filed)
  else
    -- the cause is looked up only where a number of parties is set for the
    -- kind and the case reaches it
    local min_parties = plan.mass_cause_min_parties[kind]
    local word = min_parties and count >= min_parties and plan.find_mass_cause(case.cause)
    if word then
      add(found, 2, format("涉众案由（%s），当事人%d人", word, count), filed)
    end
  end
  local large = plan.large
  if large then
    local amount = case.claim_amount
    local claim = fen(amount)
    if claim and claim >= plan.large_fen then
      add(found, 1, format("标的额特别巨大（%s元，标准%s元）", amount, large), filed)
    end
  end
  local key = plan.similar_case_conflict_extra_key
  if key then
    local extra = case.extra
    if extra and extra[key] == true then
      add(found, 3, "与本院或者上级人民法院的类案裁判可能发生冲突（类案检索提示）", filed)
    end
  end
  local months = plan.long_pending_months
  if months and stop then
    local threshold = date.add_months(filed, months)
    if stop > threshold then
      add(found, 1, format("审理期间超过%d个月（长期未结）", months), threshold)
    end
  end
  for i = 1, #manual do
    local e = manual[i]
    add(found, e.data.category, "人工标识" .. (has_text(e.reason) and ("：" .. e.reason) or ""), day(e.at))
  end
  -- By category, then in the order found.
  if #found > 1 then
    for i = 1, #found do
      found[i].order = i
    end
    sort(found, by_category)
  end
  return found
end

-- Criminal cases the collegial panel must refer to the 审判委员会 (刑诉解释 第216条第2款).
local function committee_grounds(case, p, flags, kind, ctx)
  if kind ~= "刑事" then
    return NONE
  end
  local grounds = {}
  if flags.death_penalty_intended then
    local level = common.court_level(case.court)
    if level == "中级" or level == "高级" then
      grounds[#grounds + 1] = "拟判处死刑"
    else
      ctx.log("death_penalty_intended at a %s court: not a 第216条 ground here", level)
    end
  end
  if flags.retrial_own_court then
    grounds[#grounds + 1] = "本院已经发生法律效力的判决、裁定确有错误需要再审"
  end
  if flags.procuratorate_protest and contains(p.committee_protest_type_codes, case.type_code) then
    grounds[#grounds + 1] = "人民检察院依照审判监督程序提出抗诉"
  end
  return grounds
end

-- Civil cases a single judge may not hear (民事诉讼法（2023）第42条).
local function single_judge_grounds(case, plan, flags, kind)
  if kind ~= "民事" or case.trial_org ~= "独任" then
    return NONE
  end
  local grounds = {}
  local forbidden = plan.single_judge_forbidden_flags
  local set = flags_in(flags, forbidden, "string")
  for i = 1, #set do
    grounds[#grounds + 1] = forbidden[set[i]]
  end
  local count = case.party_count
  if (count or 0) >= plan.mass_parties then
    grounds[#grounds + 1] = format("涉及群体性纠纷（当事人%d人）", count)
  end
  return grounds
end

return {
  name = "four_category",
  version = "2026.1",
  on_case = function(case, ctx)
    local p, date, fen = ctx.params, ctx.date, ctx.fen
    local plan = plan_of(p, fen)
    local closed = case.status == "已结"
    local flags, kind = case.flags or NONE, case.kind
    -- 四类 identification covers the trial kinds in four_category_kinds. The
    -- day its checks look at: the closing date, or today for pending cases.
    local covered = contains(plan.kinds, kind)
    local stop = closed and case.closing_date or covered and ctx.as_of or nil
    local reported, confirmed, removed, meeting, committee_at
    -- made when the first such event is met (most cases have none)
    local supervision, manual = nil, NONE
    -- events[i] up to the first nil rather than 1..#events: the events are a
    -- read-only view (an array, no holes), whose length is a call into C.
    local events = case.events
    local k, e = 1, events[1]
    while e do
      local event = e.event
      if event == "reported_to_president" then
        reported = reported or day(e.at)
      elseif event == "flag_confirmed" then
        confirmed, removed = day(e.at), nil
        local data = e.data
        local category = data and data.category
        if math_type(category) == "integer" and CATEGORY[category] then
          manual = manual == NONE and {} or manual
          manual[#manual + 1] = e
        end
      elseif event == "flag_removed" then
        removed = { at = day(e.at), by = e.actor, reason = e.reason }
        confirmed = nil
      elseif event == "submitted_to_professional_meeting" then
        meeting = meeting or day(e.at)
      elseif event == "submitted_to_committee" then
        local d = day(e.at)
        meeting = meeting or d
        committee_at = committee_at or d
      elseif event == "supervision" then
        supervision = supervision or {}
        supervision[#supervision + 1] = day(e.at)
      end
      k = k + 1
      e = events[k]
    end
    local signals = covered and signals_of(case, plan, flags, kind, date, fen, stop, manual) or NONE

    local result = { categories = {}, reasons = {}, flagged = false }
    local since, items -- the earliest signal's date; the categories' bases
    if #signals > 0 then
      local reasons, categories, seen = result.reasons, result.categories, {}
      for i = 1, #signals do
        local s = signals[i]
        reasons[#reasons + 1] = s.reason
        seen[s.category] = true
        if not since or s.since < since then
          since = s.since
        end
      end
      items = {}
      for i = 1, 4 do
        if seen[i] then
          categories[#categories + 1] = CATEGORY[i]
          items[#items + 1] = CATEGORY_BASIS[i]
        end
      end
    end

    -- Hard rules first: they hold whatever the 四类 flag says.
    local grounds = committee_grounds(case, p, flags, kind, ctx)
    if #grounds > 0 then
      result.committee = { grounds = grounds, submitted = committee_at }
      if not committee_at then
        ctx.alert{
          code = "4C-COMMITTEE",
          severity = "critical",
          message = "本案" .. concat(grounds, "、") .. "，合议庭应当提请院长决定提交审判委员会讨论决定，未见提交审判委员会记录" ..
            (closed and "（案件已审结）" or ""),
          basis = "刑诉解释（2021）第216条",
          data = { grounds = grounds },
        }
      end
    end
    local forbidden = single_judge_grounds(case, plan, flags, kind)
    if #forbidden > 0 then
      result.single_judge = { grounds = forbidden }
      ctx.alert{
        code = "4C-SINGLE-JUDGE",
        severity = closed and "info" or "warning",
        message = "本案" .. concat(forbidden, "、") .. "，不得由审判员一人独任审理" ..
          (closed and "（案件已审结，供案件评查参考）" or "，应当组成合议庭"),
        basis = "民事诉讼法（2023）第42条",
        data = { grounds = forbidden },
      }
    end

    if #signals == 0 then
      return result
    end
    result.identified_since = since
    result.reported = reported
    result.confirmed = confirmed ~= nil
    result.meeting = meeting
    if supervision then
      result.supervision = supervision
    end
    if removed then
      result.removed = removed
      ctx.log("pre-flag removed on %s by %s (%s): 4C-PREFLAG, 4C-NOT-REPORTED, 4C-NO-MEETING silenced",
        removed.at, removed.by or "?", removed.reason or "无理由")
      return result
    end
    result.flagged = true
    local category_text = concat(result.categories, "、")
    local reasons = concat(result.reasons, "；")
    ctx.log("四类 since %s: %s", since, reasons)

    if not confirmed and not closed then
      ctx.alert{
        code = "4C-PREFLAG",
        severity = "info",
        message = "系统预标识为“四类案件”（" .. category_text .. "）：" .. reasons .. "。请院庭长再确认或者撤销标识（留痕）",
        basis = concat(items, "；") .. "；法发〔2020〕26号 第5条",
        data = { categories = result.categories },
      }
    end

    local report_due = date.add_days(since, p.report_within_days)
    result.report_due = report_due
    if not reported and (closed or stop > report_due) then
      ctx.alert{
        code = "4C-NOT-REPORTED",
        message = closed and ("“四类案件”（" .. category_text .. "）审结前未见审判组织向院庭长报告的记录")
          or format("“四类案件”（%s）应于 %s 前向院庭长报告，至今未见报告记录，请提醒院庭长监督", category_text,
            report_due),
        basis = "法发〔2022〕31号 八；法发〔2020〕26号 第5条",
        data = { report_due = report_due },
      }
    elseif reported and reported > report_due then
      ctx.log("reported on %s, after %s", reported, report_due)
    end

    local meeting_due = date.add_days(since, p.meeting_within_days)
    if not meeting and (closed or stop > meeting_due) then
      ctx.alert{
        code = "4C-NO-MEETING",
        severity = closed and "warning" or "info",
        message = closed and ("“四类案件”（" .. category_text .. "）已审结，未见提交专业法官会议或者审判委员会讨论的记录")
          or format("“四类案件”（%s）自 %s 识别已逾%d日，尚未提交专业法官会议讨论，请院庭长督促", category_text,
            since, p.meeting_within_days),
        basis = "法发〔2021〕2号 四；法发〔2020〕26号 第5条",
      }
    end
    return result
  end,
}
