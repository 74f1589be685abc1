-- 简易程序适用审查（民事诉讼法 第160条；民诉解释 第257条）：排除情形下仍适用简易程序
-- 或小额诉讼程序的提示转换；无排除情形、标的额不超过年平均工资二倍而适用普通程序的提示
-- 繁简分流。
local NONE = {}

local to_fen = require("lib.money").to_fen

local EXCLUDING_FLAGS = {
  { "defendant_whereabouts_unknown", "起诉时被告下落不明" },
  { "remanded", "发回重审" },
  { "public_interest", "涉及国家利益、社会公共利益" },
  { "third_party_revocation", "第三人撤销之诉" },
  { "service_by_publication", "需要公告送达" },
}

return {
  name = "simple_procedure",
  version = "2026.1",
  on_case = function(case, ctx)
    if case.kind ~= "民事" or not case.court:match("%d%d%d%d$") then
      return { applicable = false }
    end
    local p = ctx.params
    local flags = case.flags or NONE
    local exclusions = {}
    for _, f in ipairs(EXCLUDING_FLAGS) do
      if flags[f[1]] then
        exclusions[#exclusions + 1] = f[2]
      end
    end
    if (case.party_count or 0) >= p.mass_parties then
      exclusions[#exclusions + 1] = "当事人一方人数众多"
    end
    if case.type_code:find("再", 1, true) then
      exclusions[#exclusions + 1] = "适用审判监督程序"
    end
    local procedure, changed_at = case.procedure, nil
    for _, e in ipairs(case.events) do
      if e.event == "procedure_changed" and e.data and e.data.to then
        procedure, changed_at = e.data.to, e.at:sub(1, 10)
      elseif e.event == "publication_service" and not flags.service_by_publication then
        exclusions[#exclusions + 1] = "需要公告送达"
      end
    end
    local simple = procedure == "简易" or procedure == "小额诉讼"
    if simple and #exclusions > 0 then
      ctx.alert{
        code = "SP-EXCLUDED",
        message = "本案有不适用简易程序的情形（" .. table.concat(exclusions, "、") ..
          "），应当裁定转为普通程序审理",
        basis = "民诉解释 第257条、第258条",
      }
    elseif procedure == "普通" and #exclusions == 0 and case.type_code == "民初" and case.status ~= "已结"
        and not changed_at then
      local claim = case.claim_amount and to_fen(case.claim_amount)
      local standard = p.small_claims[1]
      for _, s in ipairs(p.small_claims) do
        if case.filing_date >= s.from then
          standard = s
          break
        end
      end
      if claim and claim <= to_fen(standard.agreed_limit) and case.trial_org ~= "合议庭" then
        ctx.alert{
          code = "SP-SHOULD-SIMPLE",
          severity = "info",
          message = string.format("标的额不超过上年度就业人员年平均工资二倍（%s 元）且无排除情形，宜适用简易程序审理",
            standard.agreed_limit),
          basis = "民事诉讼法 第160条；最高人民法院关于严格规范民商事案件延长审限和延期开庭问题的规定 第4条",
        }
      end
    end
    return { procedure = procedure, simple = simple, exclusions = exclusions, changed_at = changed_at }
  end,
}
