-- 小额诉讼程序适用审查（民事诉讼法 第165–169条）：基层法院金钱给付民事一审案件，标的额
-- 不超过上年度就业人员年平均工资 50% 的应当适用，50% 至 2 倍的须双方约定；按立案日期
-- 取参数 small_claims 中的标准，金额一律以分为单位比较，不用浮点数。
local NONE = {}

local to_fen = require("lib.money").to_fen

local function yuan(fen)
  return string.format("%d.%02d", fen // 100, fen % 100)
end

-- Flags that exclude small claims (民诉解释 第274–275条, 第278条).
local EXCLUDING_FLAGS = {
  { "personal_status", "身份关系" },
  { "title_dispute", "确权" },
  { "foreign_element", "涉外" },
  { "hmt_element", "涉港澳台" },
  { "appraisal", "需要鉴定、评估" },
  { "defendant_whereabouts_unknown", "当事人下落不明" },
  { "counterclaim", "反诉" },
  { "service_by_publication", "需要公告送达" },
}

return {
  name = "small_claims",
  version = "2026.1",
  on_case = function(case, ctx)
    -- Basic courts' (four digits after the province) civil first instance only.
    if case.type_code ~= "民初" or not case.court:match("%d%d%d%d$") then
      return { applicable = false }
    end
    local claim = case.claim_amount and to_fen(case.claim_amount)
    if not claim then
      return { applicable = false, reason = "非金钱给付" }
    end
    local p = ctx.params
    local standard
    for _, s in ipairs(p.small_claims) do -- newest first
      if case.filing_date >= s.from then
        standard = s
        break
      end
    end
    local limit, agreed_limit = to_fen(standard.limit), to_fen(standard.agreed_limit)

    local flags = case.flags or NONE
    local exclusions = {}
    for _, f in ipairs(EXCLUDING_FLAGS) do
      if flags[f[1]] then
        exclusions[#exclusions + 1] = f[2]
      end
    end
    for _, party in ipairs(case.parties or NONE) do
      if party.whereabouts_unknown and not flags.defendant_whereabouts_unknown then
        exclusions[#exclusions + 1] = "当事人下落不明（" .. party.name .. "）"
      end
      if party.foreign and not flags.foreign_element then
        exclusions[#exclusions + 1] = "当事人为外国人（" .. party.name .. "）"
      end
    end
    local converted
    for _, e in ipairs(case.events) do
      local kind = e.event
      if kind == "claim_amended" and e.data and e.data.claim_amount then
        claim = to_fen(e.data.claim_amount) or claim
      elseif kind == "counterclaim_filed" and not flags.counterclaim then
        exclusions[#exclusions + 1] = "提出反诉"
      elseif kind == "party_added" then
        exclusions[#exclusions + 1] = "追加当事人"
      elseif kind == "procedure_changed" then
        converted = e.data and e.data.to
      end
    end
    local procedure = converted or case.procedure
    local result = { applicable = true, claim = yuan(claim), limit = standard.limit,
                     standard = standard.source, exclusions = exclusions, procedure = procedure }
    if procedure == "小额诉讼" then
      if #exclusions > 0 then
        ctx.alert{
          code = "SC-EXCLUDED",
          message = "本案存在不适用小额诉讼程序的情形（" .. table.concat(exclusions, "、") ..
            "），应当裁定转为简易程序或者普通程序审理",
          basis = "民事诉讼法 第166条、第169条；民诉解释 第278条",
        }
      elseif claim > agreed_limit then
        ctx.alert{
          code = "SC-OVER-LIMIT",
          severity = "critical",
          message = string.format("标的额 %s 元超过上年度就业人员年平均工资二倍（%s 元），不得适用小额诉讼程序",
            yuan(claim), standard.agreed_limit),
          basis = "民事诉讼法 第165条第2款",
        }
      elseif claim > limit and not flags.both_agree_small_claims then
        ctx.alert{
          code = "SC-NO-CONSENT",
          message = string.format("标的额 %s 元超过小额诉讼标准（%s 元），未见双方当事人约定适用小额诉讼程序",
            yuan(claim), standard.limit),
          basis = "民事诉讼法 第165条第2款",
        }
      end
      result.eligible = #exclusions == 0 and claim <= agreed_limit
    else
      result.eligible = #exclusions == 0 and claim <= limit
      if result.eligible and case.status ~= "已结" and (procedure == "简易" or procedure == "普通") then
        ctx.alert{
          code = "SC-SHOULD-APPLY",
          severity = "info",
          message = string.format("标的额 %s 元不超过小额诉讼标准（%s 元，%s），且无排除情形，应当适用小额诉讼程序",
            yuan(claim), standard.limit, standard.source),
          basis = "民事诉讼法 第165条第1款",
        }
      end
    end
    ctx.log("claim %s, limit %s, agreed %s, %d exclusions", yuan(claim), standard.limit,
      standard.agreed_limit, #exclusions)
    return result
  end,
}
