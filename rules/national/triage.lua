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

local yuan, contains, find_word = common.yuan, common.contains, common.find_word
local province_of = common.province
local find, format, sub = string.find, string.format, string.sub
local pairs, tonumber, math_type, min, max = pairs, tonumber, math.type, math.min, math.max
local sort, insert, concat = table.sort, table.insert, table.concat
local NONE = {}

-- The small-claims standard for a province and filing date, or nil and why.
local function small_claims_standard(p, province, filed)
  local entries = (p.small_claims or NONE)[province]
  if not entries then
    return nil, "本省（" .. province .. "）小额诉讼标的额标准未配置"
  end
  -- The latest effective_from on or before filing; of equal dates, the
  -- first year in byte order (what iterating the sorted years gives).
  local best, best_from, best_year
  for year, s in pairs(entries) do
    local from = type(s) == "table" and (s.effective_from or (year .. "-01-01"))
    if from and from <= filed
        and (not best or from > best_from or (from == best_from and year < best_year)) then
      best, best_from, best_year = s, from, year
    end
  end
  if not best then
    return nil, format("本省（%s）无 %s 前施行的小额诉讼标的额标准", province, filed)
  end
  local age = tonumber(sub(filed, 1, 4)) - tonumber(best_year)
  if age > (p.small_claims_max_age_years or 1) then
    return nil, format("本省（%s）最近的小额诉讼标的额标准为 %s 年度，%s 立案适用的标准未配置", province, best_year, filed)
  end
  return { year = best_year, effective_from = best_from, limit = best.limit, consent_limit = best.consent_limit,
           source = best.source }
end

local SAME_AS_FLAG = { appraisal = "appraisal", counterclaim_filed = "counterclaim",
                       publication_service = "service_by_publication" }

-- The complexity score and its reasons; and, from the same pass over the
-- events, the procedure in force (common.current_procedure) and whether any
-- procedure_changed event exists.
local function score_of(case, p, claim, fen)
  local s = p.triage_score or NONE
  local flags = case.flags or NONE
  local score, reasons = 0, {}
  local function add(points, why)
    if points and points ~= 0 then
      score = score + points
      reasons[#reasons + 1] = format("%s +%d", why, points)
    end
  end
  local extra_parties = (case.party_count or 0) - 2
  if extra_parties > 0 and s.points_per_party_over_two then
    add(min(extra_parties * s.points_per_party_over_two, s.party_points_max or 100),
      format("当事人%d人", case.party_count))
  end
  if claim then
    local tiers = s.amount_points or NONE
    for i = 1, #tiers do
      local tier = tiers[i]
      if claim > fen(tier.above) then
        add(tier.points, "标的额超过" .. tier.above .. "元")
        break
      end
    end
  end
  -- The first complex cause in byte order that the cause contains: the
  -- smallest one found (params never change, so they are not sorted here).
  local causes, cause, word = s.complex_causes or NONE, case.cause, nil
  if cause then
    for w in pairs(causes) do
      if (not word or w < word) and find(cause, w, 1, true) then
        word = w
      end
    end
  end
  if word then
    add(causes[word], "复杂案由（" .. word .. "）")
  end
  -- The case's flags that have points, in byte order (a case has few flags,
  -- the params many). An event counts once, and not at all when its flag
  -- already counted. A case without flags has neither to look at.
  local flag_points, event_points, counted = s.flags or NONE, s.events or NONE, {}
  if flags ~= NONE then
    local scored = {}
    for flag, on in pairs(flags) do
      if on and flag_points[flag] then
        scored[#scored + 1] = flag
      end
    end
    if #scored > 1 then
      sort(scored)
    end
    for i = 1, #scored do
      add(flag_points[scored[i]], scored[i])
    end
    for event, flag in pairs(SAME_AS_FLAG) do
      counted[event] = flags[flag] and flag_points[flag] and true or nil
    end
  end
  local procedure, changed, events = case.procedure, false, case.events
  for i = 1, #events do
    local e = events[i]
    local kind = e.event
    if kind == "procedure_changed" then
      changed = true
      local data = e.data
      if data and data.to then
        procedure = data.to
      end
    end
    if event_points[kind] and not counted[kind] then
      counted[kind] = true
      add(event_points[kind], kind)
    end
  end
  return min(score, 100), reasons, procedure, changed
end

-- Parties on the largest side; unnamed parties (party_count above the list,
-- as in representative suits) are counted on that side.
local PLAINTIFF_SIDE = { ["原告"] = true, ["上诉人"] = true, ["申请人"] = true, ["申请执行人"] = true,
                         ["自诉人"] = true, ["附带民事诉讼原告人"] = true }
local DEFENDANT_SIDE = { ["被告"] = true, ["被上诉人"] = true, ["被申请人"] = true, ["被执行人"] = true,
                         ["被告人"] = true }

-- A basic court (common.court_level(court) == "基层"): four digits at the end
-- (matched from the fourth byte before the end: one attempt, not one per byte).
local function basic_court(court)
  return court ~= "最高法" and find(court, "^%d%d%d%d$", -4) ~= nil
end

local function civil(case, p, flags, out, claim, fen)
  local basic = basic_court(case.court)
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
  local plaintiffs, defendants, listed = 0, 0, 0
  local parties = case.parties or NONE
  for i = 1, #parties do
    local party = parties[i]
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
  end
  if foreign then small[#small + 1] = "涉外（涉港澳台）案件" end
  local appraisal, counterclaim, publication = flags.appraisal, flags.counterclaim, flags.service_by_publication
  local events = case.events
  for i = 1, #events do
    local e = events[i]
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
  local side = max(plaintiffs, defendants) + max((case.party_count or 0) - listed, 0)
  if side >= p.numerous_parties_one_side then
    simple[#simple + 1] = format("当事人一方人数众多（%d人）", side)
  end
  if flags.retrial_own_court then simple[#simple + 1] = "适用审判监督程序" end
  if flags.public_interest then simple[#simple + 1] = "涉及国家利益、社会公共利益" end
  if flags.third_party_revocation then simple[#simple + 1] = "第三人起诉请求改变或者撤销生效判决、裁定、调解书" end

  -- Small claims: money only, within the province's figures.
  local amount_ok, mandatory = false, false
  if not claim then
    small[#small + 1] = "非金钱给付或者未填标的额"
  else
    local standard, missing = small_claims_standard(p, province_of(case.court), case.filing_date)
    if not standard then
      reasons[#reasons + 1] = missing
    else
      local claim_text = yuan(claim)
      out.small_claims = { claim = claim_text, limit = standard.limit, consent_limit = standard.consent_limit,
                           standard = standard.source, effective_from = standard.effective_from }
      if claim <= fen(standard.limit) then
        amount_ok, mandatory = true, true
        reasons[#reasons + 1] = format("标的额%s元不超过小额诉讼标准%s元（%s）", claim_text,
          standard.limit, standard.source)
      elseif claim <= fen(standard.consent_limit) then
        if flags.both_agree_small_claims then
          amount_ok = true
          reasons[#reasons + 1] = format("标的额%s元超过%s元但不超过%s元，双方当事人约定适用小额诉讼程序",
            claim_text, standard.limit, standard.consent_limit)
        else
          small[#small + 1] = format("标的额%s元超过小额诉讼标准%s元，且未见双方约定适用", claim_text,
            standard.limit)
        end
      else
        small[#small + 1] = format("标的额%s元超过上年度就业人员年平均工资二倍（%s元）", claim_text,
          standard.consent_limit)
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

  local procedure = out.current
  if procedure == "小额诉讼" then
    -- Small claims is a form of simple procedure: both lists apply.
    local obstacles = {}
    for i = 1, #small do
      obstacles[#obstacles + 1] = small[i]
    end
    for i = 1, #simple do
      local why = simple[i]
      if not contains(small, why) then
        obstacles[#obstacles + 1] = why
      end
    end
    out.obstacles = obstacles
  elseif procedure == "简易" then
    out.obstacles = simple
  end
  out.should_small_claims = mandatory and #small == 0 and #simple == 0 and not complex
end

local function criminal(case, p, flags, out)
  local basic = basic_court(case.court)
  local fast, simple = out.exclusions.fast_track, out.exclusions.simple
  local function both(why)
    fast[#fast + 1] = why
    simple[#simple + 1] = why
  end
  if not basic then
    both("非基层人民法院")
  end
  if not flags.guilty_plea then
    both("被告人未认罪认罚")
  end
  local major_impact_flags = p.major_impact_flags or NONE
  for i = 1, #major_impact_flags do
    local flag = major_impact_flags[i]
    if flags[flag] then
      both("案件有重大社会影响（" .. flag .. "）")
      break
    end
  end
  if (case.party_count or 0) >= p.mass_parties then
    both(format("涉案人数众多（%d人），有重大社会影响", case.party_count))
  end
  if flags.minor_defendant then
    fast[#fast + 1] = "被告人是未成年人"
  end
  local months = case.extra and case.extra[p.possible_sentence_extra_key]
  if math_type(months) == "integer" then
    if months > 36 then
      fast[#fast + 1] = format("可能判处的刑罚超过三年有期徒刑（%d个月）", months)
    end
  elseif not contains(p.fast_track_causes, case.cause) then
    out.reasons[#out.reasons + 1] = "可能判处的刑罚未填，罪名（" .. (case.cause or "未填") .. "）不在速裁常见罪名目录"
    out.fast_track_unsure = true
  end

  local complex = out.complex
  if #fast == 0 and not out.fast_track_unsure and not complex then
    out.recommended = "速裁"
  elseif #simple == 0 and not complex then
    out.recommended = "简易"
  else
    out.recommended = "普通"
  end
  if out.current == "速裁" then
    out.obstacles = fast
  elseif out.current == "简易" then
    out.obstacles = simple
  end
end

local function administrative(case, p, flags, out, claim, fen)
  local simple = out.exclusions.simple
  if flags.remanded then simple[#simple + 1] = "发回重审" end
  if flags.retrial_own_court then simple[#simple + 1] = "按照审判监督程序再审" end
  local grounds = {}
  if claim and claim <= fen(p.admin_simple_max_amount) then
    grounds[#grounds + 1] = format("案件涉及款额%s元，不超过%s元", yuan(claim), p.admin_simple_max_amount)
  end
  local word = find_word(case.cause, p.admin_simple_causes)
  if word then
    grounds[#grounds + 1] = "属于" .. word .. "案件"
  end
  for i = 1, #grounds do
    out.reasons[#out.reasons + 1] = grounds[i]
  end
  local complex = out.complex
  out.recommended = (#grounds > 0 and #simple == 0 and not complex) and "简易" or "普通"
  if out.current == "简易" then
    out.obstacles = simple
  end
end

local HANDLERS = { ["民初"] = civil, ["刑初"] = criminal, ["行初"] = administrative }
-- The exclusion lists, in the order their reasons are listed.
local EXCLUSIONS = { "small_claims", "simple", "fast_track" }

return {
  name = "triage",
  version = "2026.1",
  on_case = function(case, ctx)
    local handler = HANDLERS[case.type_code]
    if not handler then
      return { applicable = false, reasons = { "繁简分流只适用于一审民事、刑事、行政案件（" .. case.type_code .. "）" } }
    end
    local p = ctx.params
    local flags = case.flags or NONE
    local fen = ctx.fen -- amounts as integer fen: courtrules.common.fen, done by the host
    local claim = fen(case.claim_amount)
    local score, score_reasons, current, changed = score_of(case, p, claim, fen)
    local complex_at = (p.triage_score or NONE).complex_at or 101
    local out = { applicable = true, current = current, score = score,
                  complex = score >= complex_at, score_reasons = score_reasons, reasons = {},
                  exclusions = { small_claims = {}, simple = {}, fast_track = {} } }
    handler(case, p, flags, out, claim, fen)
    if out.complex then
      insert(out.reasons, 1, format("复杂程度评分%d分，达到繁案标准%d分", score, complex_at))
    end
    local obstacles = out.obstacles or NONE
    out.permissible = #obstacles == 0
    out.obstacles = nil
    local should_small = out.should_small_claims
    out.should_small_claims = nil
    out.fast_track_unsure = nil
    local e, reasons = out.exclusions, out.reasons
    local n = #reasons
    for k = 1, #EXCLUSIONS do
      local list = e[EXCLUSIONS[k]]
      for i = 1, #list do
        n = n + 1
        reasons[n] = list[i]
      end
    end
    ctx.log("%s: score %d, current %s, recommended %s", case.type_code, score, out.current or "未填", out.recommended)
    if case.status == "已结" then
      return out
    end

    local listed = #obstacles > 0 and concat(obstacles, "、")
    if #obstacles > 0 and out.current == "小额诉讼" then
      ctx.alert{
        code = "TRIAGE-LEAVE-SMALL-CLAIMS",
        message = "本案不符合小额诉讼程序的适用条件（" .. listed .. "），应当裁定转为简易程序或者普通程序审理",
        basis = "民事诉讼法（2023）第165条、第166条、第169条；民诉解释 第278条",
        data = { obstacles = obstacles },
      }
    elseif #obstacles > 0 and out.current == "简易" then
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
    elseif #obstacles > 0 and out.current == "速裁" then
      ctx.alert{
        code = "TRIAGE-LEAVE-FAST-TRACK",
        message = "本案不符合速裁程序的适用条件（" .. listed .. "），应当转为简易程序或者普通程序审理",
        basis = "刑事诉讼法 第222条、第223条",
        data = { obstacles = obstacles },
      }
    elseif should_small and (out.current == "简易" or out.current == "普通")
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
