-- 应当提交审判委员会讨论决定的刑事案件（刑诉解释 第216条）：高级、中级人民法院拟判处
-- 死刑，本院已生效裁判确有错误需要再审，检察院依审判监督程序抗诉；未见提交审判委员会
-- 记录的严重预警。拟宣告无罪、拟在法定刑以下判处的可以提请，提示院长决定。
local NONE = {}

return {
  name = "committee",
  version = "2026.1",
  on_case = function(case, ctx)
    if case.kind ~= "刑事" then
      return { required = false }
    end
    local flags = case.flags or NONE
    local court = case.court
    local level = court == "最高法" and "最高" or court:match("%d%d%d%d$") and "基层"
      or court:match("%d%d$") and "中级" or "高级"
    local must, may = {}, {}
    if flags.death_penalty_intended and (level == "中级" or level == "高级") then
      must[#must + 1] = "拟判处死刑"
    end
    if flags.retrial_own_court then
      must[#must + 1] = "本院已经发生法律效力的判决、裁定确有错误需要再审"
    end
    if flags.procuratorate_protest and case.type_code:find("再", 1, true) then
      must[#must + 1] = "人民检察院依照审判监督程序提出抗诉"
    end
    if flags.acquittal_intended then
      may[#may + 1] = "拟宣告被告人无罪"
    end
    if flags.below_minimum_intended then
      may[#may + 1] = "拟在法定刑以下判处刑罚"
    end
    if #must == 0 and #may == 0 then
      return { required = false }
    end
    local submitted, meeting
    for _, e in ipairs(case.events) do
      if e.event == "submitted_to_committee" then
        submitted = e.at:sub(1, 10)
      elseif e.event == "submitted_to_professional_meeting" then
        meeting = e.at:sub(1, 10)
      end
    end
    if not submitted and #must > 0 then
      ctx.alert{
        code = "COMMITTEE-MISSING",
        severity = "critical",
        message = "本案" .. table.concat(must, "、") .. "，应当由合议庭提请院长决定提交审判委员会讨论决定，未见提交记录" ..
          (case.status == "已结" and "（案件已审结）" or ""),
        basis = "刑诉解释（2021）第216条第2款",
      }
    elseif not submitted and #may > 0 and case.status ~= "已结" then
      ctx.alert{
        code = "COMMITTEE-SUGGESTED",
        severity = "info",
        message = "本案" .. table.concat(may, "、") .. "，合议庭可以提请院长决定提交审判委员会讨论决定",
        basis = "刑诉解释（2021）第216条第1款",
      }
    end
    return { required = #must > 0, grounds = #must > 0 and must or may, submitted = submitted,
             professional_meeting = meeting }
  end,
}
