-- 繁简分流（法发〔2020〕26号 第26条）：for first-instance civil (民初), criminal
-- (刑初) and administrative (行初) cases, a complexity score, the procedure
-- the data allow and recommend, and the reasons; a clerk confirms or
-- overrides the recommendation (the override is a procedure_changed event).
--
-- Statutory exclusions are hard: small claims (民事诉讼法（2023）第165–169条,
-- 民诉解释 第278条), civil simple procedure (民事诉讼法 第160条, 民诉解释
-- 第256–258条, 第140条 for publication service), criminal simple procedure
-- and 速裁 (刑事诉讼法 第214、215、222、223条), administrative simple procedure
-- (行政诉讼法 第82条). The score (params triage_score, after 新疆高院's tiered
-- elements) only decides between what the law allows: at or above complex_at
-- the case is 繁 and goes to the ordinary procedure.
--
-- The small-claims figures come from params small_claims[province][year]:
-- the entry with the latest effective_from on or before the filing date, the
-- province being the first character of the court code; an entry older than
-- small_claims_max_age_years counts as missing. Amounts are compared in fen.
--
-- Alerts (pending cases only; a closed case's result still says whether its
-- procedure was permissible): TRIAGE-LEAVE-SMALL-CLAIMS, TRIAGE-LEAVE-SIMPLE,
-- TRIAGE-LEAVE-FAST-TRACK when the procedure in force is not allowed;
-- TRIAGE-SHOULD-SMALL-CLAIMS (info) when the law says small claims 应当 apply.
local common = require "courtrules.common"

local yuan, contains = common.yuan, common.contains
local province_of, copy_list = common.province, common.copy_list
local find, format, sub = string.find, string.format, string.sub
local pairs, type, tonumber, tostring, math_type = pairs, type, tonumber, tostring, math.type
local sort, concat = table.sort, table.concat
local NONE = {}

-- "why +points", as format("%s +%d", why, points) writes it: joined when
-- points is an integer, which is cheaper than format (%d would also take a
-- float with an integer value, or refuse any other).
local function scored(why, points)
  return math_type(points) == "integer" and why .. " +" .. points or format("%s +%d", why, points)
end

-- A params map of points as plain tables: the points, and the reason each
-- one adds (`label(key) +points`) where the points are an integer (else
-- score_of writes it with format, as before).
local function points_of(map, label)
  local points, texts = {}, {}
  for key, value in pairs(map) do
    points[key] = value
    if math_type(value) == "integer" then
      texts[key] = label(key) .. " +" .. value
    end
  end
  return points, texts
end

local function same(key)
  return key
end

local function cause_label(word)
  return "复杂案由（" .. word .. "）"
end

-- What the rule derives from params alone (common.per_params: once per
-- params table). fen: ctx.fen.
local plan_of = common.per_params(function(p, fen)
  local s = p.triage_score or NONE
  local tiers = {}
  local amount_points = s.amount_points or NONE
  for i = 1, #amount_points do
    local tier = amount_points[i]
    local above = fen(tier.above)
    -- the reason is only written for a tier whose amount is one (fen)
    local why = above and "标的额超过" .. tier.above .. "元"
    tiers[i] = { above = above, points = tier.points, why = why,
                 text = why and math_type(tier.points) == "integer" and why .. " +" .. tier.points }
  end
  -- The complex causes in byte order: the first one a cause contains is
  -- the smallest one it contains.
  local cause_points, cause_texts = points_of(s.complex_causes or NONE, cause_label)
  local causes = {}
  for word in pairs(cause_points) do
    causes[#causes + 1] = word
  end
  sort(causes)
  local flag_points, flag_texts = points_of(s.flags or NONE, same)
  local event_points, event_texts = points_of(s.events or NONE, same)
  return {
    complex_at = s.complex_at or 101,
    points_per_party_over_two = s.points_per_party_over_two,
    party_points_max = s.party_points_max or 100,
    tiers = tiers,
    find_cause = common.word_finder(causes), cause_points = cause_points, cause_texts = cause_texts,
    flag_points = flag_points, flag_texts = flag_texts,
    event_points = event_points, event_texts = event_texts,
    small_claims = {}, -- by province, filled as provinces are met (province_entries)
    small_claims_max_age_years = p.small_claims_max_age_years or 1,
    major_impact_flags = copy_list(p.major_impact_flags or NONE),
    fast_track_causes = copy_list(p.fast_track_causes or NONE),
    find_admin_simple = common.word_finder(p.admin_simple_causes),
    admin_simple_max_fen = fen(p.admin_simple_max_amount),
    admin_simple_max_text = tostring(p.admin_simple_max_amount), -- as format's %s writes it
    numerous_parties_one_side = p.numerous_parties_one_side,
  }
end)

-- A province's small-claims entries (plan.small_claims[province]), nil when
-- params have none for it: { year =, from =, standard =, limit_fen =,
-- consent_fen =, limit_text =, consent_text =, source_text = } for each
-- year whose entry is a table. The texts are what format's %s writes;
-- year_number: tonumber(year).
local function new_entries(plan, p, province, fen)
  local entries = (p.small_claims or NONE)[province]
  if not entries then
    return nil -- not kept: any province code without figures would add one
  end
  local list = {}
  for year, s in pairs(entries) do
    if type(s) == "table" then
      local from = s.effective_from or (year .. "-01-01")
      list[#list + 1] = {
        year = year, from = from,
        standard = { year = year, effective_from = from, limit = s.limit, consent_limit = s.consent_limit,
                     source = s.source },
        year_number = tonumber(year), limit_fen = fen(s.limit), consent_fen = fen(s.consent_limit),
        limit_text = tostring(s.limit), consent_text = tostring(s.consent_limit), source_text = tostring(s.source),
      }
    end
  end
  plan.small_claims[province] = list
  return list
end

local function province_entries(plan, p, province, fen)
  return plan.small_claims[province] or new_entries(plan, p, province, fen)
end

-- The small-claims entry for a province and filing date (province_entries),
-- or nil and why.
local function small_claims_standard(plan, p, province, filed, fen)
  local list = province_entries(plan, p, province, fen)
  if not list then
    return nil, "本省（" .. province .. "）小额诉讼标的额标准未配置"
  end
  -- The latest effective_from on or before filing; of equal dates, the
  -- first year in byte order (what iterating the sorted years gives).
  local best
  for i = 1, #list do
    local entry = list[i]
    local from = entry.from
    if from <= filed and (not best or from > best.from or (from == best.from and entry.year < best.year)) then
      best = entry
    end
  end
  if not best then
    return nil, format("本省（%s）无 %s 前施行的小额诉讼标的额标准", province, filed)
  end
  local age = tonumber(sub(filed, 1, 4)) - (best.year_number or tonumber(best.year))
  if age > plan.small_claims_max_age_years then
    return nil, format("本省（%s）最近的小额诉讼标的额标准为 %s 年度，%s 立案适用的标准未配置", province, best.year, filed)
  end
  return best
end

local SAME_AS_FLAG = { appraisal = "appraisal", counterclaim_filed = "counterclaim",
                       publication_service = "service_by_publication" }

-- Adds a reason's points to the score; returns the new score. text: the
-- reason made beforehand (plan), else it is made here.
local function add(score, reasons, points, why, text)
  if points and points ~= 0 then
    score = score + points
    reasons[#reasons + 1] = text or scored(why, points)
  end
  return score
end

-- The complexity score and its reasons; and, from the same pass over the
-- events, the procedure in force (common.current_procedure) and whether any
-- procedure_changed event exists. plan: plan_of(params); flags: case.flags
-- or NONE; events: case.events.
local function score_of(case, plan, flags, events, claim)
  local score, reasons = 0, {}
  local count = case.party_count
  local extra_parties = (count or 0) - 2
  local per_party = plan.points_per_party_over_two
  if extra_parties > 0 and per_party then
    local points, most = extra_parties * per_party, plan.party_points_max
    score = add(score, reasons, most < points and most or points,
      math_type(count) == "integer" and "当事人" .. count .. "人" or format("当事人%d人", count))
  end
  if claim then
    local tiers = plan.tiers
    for i = 1, #tiers do
      local tier = tiers[i]
      if claim > tier.above then
        score = add(score, reasons, tier.points, tier.why, tier.text)
        break
      end
    end
  end
  -- The first complex cause in byte order that the cause contains.
  local word = plan.find_cause(case.cause)
  if word then
    local text = plan.cause_texts[word]
    score = add(score, reasons, plan.cause_points[word], text or cause_label(word), text)
  end
  -- The case's flags that have points, in byte order (a case has few flags,
  -- the params many). An event counts once, and not at all when its flag
  -- already counted. A case without flags has neither to look at; counted
  -- is made when there is something to note in it.
  local flag_points, event_points, counted = plan.flag_points, plan.event_points, nil
  if flags ~= NONE then
    local flag_texts, with_points = plan.flag_texts, {}
    for flag, on in pairs(flags) do
      if on and flag_points[flag] then
        with_points[#with_points + 1] = flag
      end
    end
    if #with_points > 1 then
      sort(with_points)
    end
    for i = 1, #with_points do
      local flag = with_points[i]
      score = add(score, reasons, flag_points[flag], flag, flag_texts[flag])
    end
    counted = {}
    for event, flag in pairs(SAME_AS_FLAG) do
      counted[event] = flags[flag] and flag_points[flag] and true or nil
    end
  end
  -- events[i] up to the first nil rather than 1..#events: the events are a
  -- read-only view (an array, no holes), whose length is a call into C.
  local procedure, changed = case.procedure, false
  local event_texts, i, e = plan.event_texts, 1, events[1]
  while e do
    local kind = e.event
    if kind == "procedure_changed" then
      changed = true
      local data = e.data
      if data and data.to then
        procedure = data.to
      end
    end
    if event_points[kind] then
      counted = counted or {}
      if not counted[kind] then
        counted[kind] = true
        score = add(score, reasons, event_points[kind], kind, event_texts[kind])
      end
    end
    i = i + 1
    e = events[i]
  end
  return score > 100 and 100 or score, reasons, procedure, changed
end

-- Parties on the largest side; unnamed parties (party_count above the list,
-- as in representative suits) are counted on that side.
local PLAINTIFF_SIDE = { ["原告"] = true, ["上诉人"] = true, ["申请人"] = true, ["申请执行人"] = true,
                         ["自诉人"] = true, ["附带民事诉讼原告人"] = true }
local DEFENDANT_SIDE = { ["被告"] = true, ["被上诉人"] = true, ["被申请人"] = true, ["被执行人"] = true,
                         ["被告人"] = true }

-- A basic court (common.court_level(court) == "基层"): four digits at the end
-- (matched from the fourth byte before the end: one attempt, not one per byte).
-- The answers are kept by court code (courts are few; common.kept bounds
-- them at BASIC_KEPT).
local BASIC_KEPT = 4096
local basic_court = common.kept(function(court)
  return court ~= "最高法" and find(court, "^%d%d%d%d$", -4) ~= nil
end, BASIC_KEPT)

-- The handlers: each fills out's exclusions, reasons and recommendation
-- (and civil its small_claims), and returns the obstacles to the procedure
-- in force (nil: none apply to it) and, civil only, whether small claims
-- 应当 apply. events: case.events.
local function civil(case, p, plan, flags, out, claim, fen, events)
  local court = case.court
  local basic = basic_court(court)
  local small, simple = out.exclusions.small_claims, out.exclusions.simple
  local reasons = out.reasons
  if not basic then
    local why = "非基层人民法院（小额诉讼、简易程序限于基层人民法院及其派出法庭）"
    small[#small + 1] = why
    simple[#simple + 1] = why
  end
  if flags.personal_status then small[#small + 1] = "人身关系案件" end
  if flags.title_dispute then small[#small + 1] = "财产确权案件" end
  local foreign = flags.foreign_element or flags.hmt_element
  local defendant_missing = flags.defendant_whereabouts_unknown
  local anyone_missing = defendant_missing
  -- one pass over the parties: foreign or missing ones, and the largest side
  -- (parties[i] up to the first nil: see score_of's events)
  local plaintiffs, defendants, listed = 0, 0, 0
  local parties = case.parties or NONE
  local party = parties[1]
  while party do
    foreign = foreign or party.foreign
    local role = party.role
    if party.whereabouts_unknown then
      anyone_missing = true
      defendant_missing = defendant_missing or role == "被告"
    end
    listed = listed + 1
    if PLAINTIFF_SIDE[role] then
      plaintiffs = plaintiffs + 1
    elseif DEFENDANT_SIDE[role] then
      defendants = defendants + 1
    end
    party = parties[listed + 1]
  end
  if foreign then small[#small + 1] = "涉外（涉港澳台）案件" end
  local appraisal, counterclaim, publication = flags.appraisal, flags.counterclaim, flags.service_by_publication
  local k, e = 1, events[1]
  while e do
    local kind = e.event
    if kind == "appraisal" then
      appraisal = true
    elseif kind == "counterclaim_filed" then
      counterclaim = true
    elseif kind == "publication_service" then
      publication = true
    elseif kind == "claim_amended" then
      local data = e.data
      local amended = data and fen(data.claim_amount)
      if amended then
        reasons[#reasons + 1] = "变更诉讼请求，标的额为" .. yuan(amended) .. "元"
        claim = amended
      end
    elseif kind == "party_added" then
      reasons[#reasons + 1] = "追加当事人，请复核是否仍符合小额诉讼条件（民诉解释 第278条）"
    end
    k = k + 1
    e = events[k]
  end
  if appraisal then small[#small + 1] = "需要鉴定、评估" end
  if anyone_missing then small[#small + 1] = "一方当事人下落不明" end
  if counterclaim then small[#small + 1] = "当事人提出反诉" end
  if publication then
    small[#small + 1] = "需要公告送达"
    simple[#simple + 1] = "需要公告送达"
  end
  if defendant_missing then simple[#simple + 1] = "起诉时被告下落不明" end
  if flags.remanded then simple[#simple + 1] = "发回重审" end
  local side = plaintiffs > defendants and plaintiffs or defendants
  local unnamed = (case.party_count or 0) - listed
  if unnamed > 0 then
    side = side + unnamed
  end
  if side >= plan.numerous_parties_one_side then
    -- joined as format's %d writes an integer
    simple[#simple + 1] = math_type(side) == "integer" and "当事人一方人数众多（" .. side .. "人）"
      or format("当事人一方人数众多（%d人）", side)
  end
  if flags.retrial_own_court then simple[#simple + 1] = "适用审判监督程序" end
  if flags.public_interest then simple[#simple + 1] = "涉及国家利益、社会公共利益" end
  if flags.third_party_revocation then simple[#simple + 1] = "第三人起诉请求改变或者撤销生效判决、裁定、调解书" end

  -- Small claims: money only, within the province's figures.
  local amount_ok, mandatory = false, false
  if not claim then
    small[#small + 1] = "非金钱给付或者未填标的额"
  else
    local entry, missing = small_claims_standard(plan, p, province_of(court), case.filing_date, fen)
    if not entry then
      reasons[#reasons + 1] = missing
    else
      local standard, claim_text = entry.standard, yuan(claim)
      out.small_claims = { claim = claim_text, limit = standard.limit, consent_limit = standard.consent_limit,
                           standard = standard.source, effective_from = standard.effective_from }
      -- the texts joined are the strings format's %s would write
      local limit_text = entry.limit_text
      if claim <= entry.limit_fen then
        amount_ok, mandatory = true, true
        reasons[#reasons + 1] = "标的额" .. claim_text .. "元不超过小额诉讼标准" .. limit_text .. "元（" ..
          entry.source_text .. "）"
      elseif claim <= entry.consent_fen then
        if flags.both_agree_small_claims then
          amount_ok = true
          reasons[#reasons + 1] = "标的额" .. claim_text .. "元超过" .. limit_text .. "元但不超过" ..
            entry.consent_text .. "元，双方当事人约定适用小额诉讼程序"
        else
          small[#small + 1] = "标的额" .. claim_text .. "元超过小额诉讼标准" .. limit_text .. "元，且未见双方约定适用"
        end
      else
        small[#small + 1] = "标的额" .. claim_text .. "元超过上年度就业人员年平均工资二倍（" .. entry.consent_text ..
          "元）"
      end
    end
  end

  local complex = out.complex
  if #simple > 0 or complex then
    out.recommended = "普通"
  elseif amount_ok and #small == 0 then
    out.recommended = "小额诉讼"
  else
    out.recommended = "简易"
  end

  local procedure, obstacles = out.current, nil
  if procedure == "小额诉讼" then
    -- Small claims is a form of simple procedure: both lists apply.
    obstacles = {}
    for i = 1, #small do
      obstacles[#obstacles + 1] = small[i]
    end
    for i = 1, #simple do
      local why = simple[i]
      if not contains(small, why) then
        obstacles[#obstacles + 1] = why
      end
    end
  elseif procedure == "简易" then
    obstacles = simple
  end
  return obstacles, mandatory and #small == 0 and #simple == 0 and not complex
end

-- A reason that excludes both 速裁 and simple procedure.
local function both(fast, simple, why)
  fast[#fast + 1] = why
  simple[#simple + 1] = why
end

local function criminal(case, p, plan, flags, out)
  local basic = basic_court(case.court)
  local fast, simple = out.exclusions.fast_track, out.exclusions.simple
  if not basic then
    both(fast, simple, "非基层人民法院")
  end
  if not flags.guilty_plea then
    both(fast, simple, "被告人未认罪认罚")
  end
  local major_impact_flags = plan.major_impact_flags
  for i = 1, #major_impact_flags do
    local flag = major_impact_flags[i]
    if flags[flag] then
      both(fast, simple, "案件有重大社会影响（" .. flag .. "）")
      break
    end
  end
  local count = case.party_count
  if (count or 0) >= p.mass_parties then
    both(fast, simple, format("涉案人数众多（%d人），有重大社会影响", count))
  end
  if flags.minor_defendant then
    fast[#fast + 1] = "被告人是未成年人"
  end
  local extra = case.extra
  local months = extra and extra[p.possible_sentence_extra_key]
  local unsure = false -- 速裁 not recommended: the sentence is unknown and the charge not a usual one
  if math_type(months) == "integer" then
    if months > 36 then
      fast[#fast + 1] = format("可能判处的刑罚超过三年有期徒刑（%d个月）", months)
    end
  else
    local cause = case.cause
    if not contains(plan.fast_track_causes, cause) then
      local reasons = out.reasons
      reasons[#reasons + 1] = "可能判处的刑罚未填，罪名（" .. (cause or "未填") .. "）不在速裁常见罪名目录"
      unsure = true
    end
  end

  local complex = out.complex
  if #fast == 0 and not unsure and not complex then
    out.recommended = "速裁"
  elseif #simple == 0 and not complex then
    out.recommended = "简易"
  else
    out.recommended = "普通"
  end
  local procedure = out.current
  if procedure == "速裁" then
    return fast
  elseif procedure == "简易" then
    return simple
  end
end

local function administrative(case, _, plan, flags, out, claim)
  local simple = out.exclusions.simple
  if flags.remanded then simple[#simple + 1] = "发回重审" end
  if flags.retrial_own_court then simple[#simple + 1] = "按照审判监督程序再审" end
  -- the grounds for simple procedure go straight to the reasons
  local reasons, grounds = out.reasons, false
  if claim and claim <= plan.admin_simple_max_fen then
    grounds = true
    reasons[#reasons + 1] = "案件涉及款额" .. yuan(claim) .. "元，不超过" .. plan.admin_simple_max_text .. "元"
  end
  local word = plan.find_admin_simple(case.cause)
  if word then
    grounds = true
    reasons[#reasons + 1] = "属于" .. word .. "案件"
  end
  local complex = out.complex
  out.recommended = (grounds and #simple == 0 and not complex) and "简易" or "普通"
  if out.current == "简易" then
    return simple
  end
end

local HANDLERS = { ["民初"] = civil, ["刑初"] = criminal, ["行初"] = administrative }

-- The first reason of a complex case, as format("复杂程度评分%d分，达到繁案标准%d分",
-- score, complex_at) writes it: joined when both are integers (same text).
local function complex_reason(score, complex_at)
  return math_type(score) == "integer" and math_type(complex_at) == "integer"
    and "复杂程度评分" .. score .. "分，达到繁案标准" .. complex_at .. "分"
    or format("复杂程度评分%d分，达到繁案标准%d分", score, complex_at)
end

-- The log line, as format("%s: score %d, current %s, recommended %s", ...)
-- writes it: joined when that is the same text (an integer score, a string
-- procedure; the type code and the recommendation are strings).
local function log_line(type_code, score, current, recommended)
  return math_type(score) == "integer" and type(current) == "string"
    and type_code .. ": score " .. score .. ", current " .. current .. ", recommended " .. recommended
    or format("%s: score %d, current %s, recommended %s", type_code, score, current, recommended)
end
-- The exclusion lists, in the order their reasons are listed.
local EXCLUSIONS = { "small_claims", "simple", "fast_track" }

return {
  name = "triage",
  version = "2026.2",
  on_case = function(case, ctx)
    local type_code = case.type_code
    local handler = HANDLERS[type_code]
    if not handler then
      return { applicable = false, reasons = { "繁简分流只适用于一审民事、刑事、行政案件（" .. type_code .. "）" } }
    end
    local p = ctx.params
    local flags, events = case.flags or NONE, case.events
    local fen = ctx.fen -- amounts as integer fen: courtrules.common.fen, done by the host
    local claim = fen(case.claim_amount)
    local plan = plan_of(p, fen)
    local score, score_reasons, current, changed = score_of(case, plan, flags, events, claim)
    local complex_at = plan.complex_at
    local complex = score >= complex_at
    -- The fields the handlers set are listed too, as nil: the table is then
    -- made with room for them instead of growing on the way. Likewise the
    -- lists that usually get reasons have room for a few (slots made by the
    -- constructor, nil until set): each would otherwise be made anew at 1,
    -- 2 and 4 elements. A complex case's reasons start with its score.
    local out = { applicable = true, current = current, score = score,
                  complex = complex, score_reasons = score_reasons,
                  reasons = { complex and complex_reason(score, complex_at) or nil, nil, nil, nil },
                  exclusions = { small_claims = { nil, nil }, simple = { nil, nil }, fast_track = {} },
                  recommended = nil, permissible = nil, small_claims = nil }
    local obstacles, should_small = handler(case, p, plan, flags, out, claim, fen, events)
    obstacles = obstacles or NONE
    out.permissible = #obstacles == 0
    -- The exclusions follow the reasons, each text once: one fact often
    -- excludes several procedures (a court that is not basic, service by
    -- publication), and the clerk reads it once. The lists are a few
    -- entries long: a text is looked for among the reasons so far (a table
    -- keyed by the texts would hash each of them whole).
    local e, reasons = out.exclusions, out.reasons
    local n = #reasons
    for k = 1, #EXCLUSIONS do
      local list = e[EXCLUSIONS[k]]
      for i = 1, #list do
        local why, j = list[i], 1
        while j <= n and reasons[j] ~= why do
          j = j + 1
        end
        if j > n then
          n = n + 1
          reasons[n] = why
        end
      end
    end
    ctx.log("%s", log_line(type_code, score, current or "未填", out.recommended))
    if case.status == "已结" then
      return out
    end

    local listed = #obstacles > 0 and concat(obstacles, "、")
    if #obstacles > 0 and current == "小额诉讼" then
      ctx.alert{
        code = "TRIAGE-LEAVE-SMALL-CLAIMS",
        message = "本案不符合小额诉讼程序的适用条件（" .. listed .. "），应当裁定转为简易程序或者普通程序审理",
        basis = "民事诉讼法（2023）第165条、第166条、第169条；民诉解释 第278条",
        data = { obstacles = obstacles },
      }
    elseif #obstacles > 0 and current == "简易" then
      local criminal_case = case.kind == "刑事"
      ctx.alert{
        code = "TRIAGE-LEAVE-SIMPLE",
        message = "本案有不适用简易程序的情形（" .. listed .. "），" ..
          (criminal_case and "应当转为普通程序审理" or "应当裁定转为普通程序审理"),
        basis = criminal_case and "刑事诉讼法 第214条、第215条"
          or case.kind == "行政" and "行政诉讼法 第82条"
          or "民事诉讼法（2023）第160条；民诉解释 第140条、第257条",
        data = { obstacles = obstacles },
      }
    elseif #obstacles > 0 and current == "速裁" then
      ctx.alert{
        code = "TRIAGE-LEAVE-FAST-TRACK",
        message = "本案不符合速裁程序的适用条件（" .. listed .. "），应当转为简易程序或者普通程序审理",
        basis = "刑事诉讼法 第222条、第223条",
        data = { obstacles = obstacles },
      }
    elseif should_small and (current == "简易" or current == "普通")
        and not changed then
      ctx.alert{
        code = "TRIAGE-SHOULD-SMALL-CLAIMS",
        severity = "info",
        message = format("标的额%s元不超过本省小额诉讼标准%s元（%s），且无排除情形，应当适用小额诉讼程序",
          out.small_claims.claim, out.small_claims.limit, out.small_claims.standard),
        basis = "民事诉讼法（2023）第165条第1款",
      }
    end
    return out
  end,
}
