-- 群体性纠纷预标识：当事人（含被害人）人数众多即预标识为“四类案件”第（二）项；
-- 案由属涉众案由（参数 mass_causes）时提高预警级别；在办案件未报告院庭长的再提醒。
local NONE = {}

-- The first word of the 涉众 list found in the cause, or nil.
local function mass_cause(cause, words)
  if not cause then
    return nil
  end
  for _, word in ipairs(words) do
    if cause:find(word, 1, true) then
      return word
    end
  end
  return nil
end

return {
  name = "mass_dispute",
  version = "2026.1",
  on_case = function(case, ctx)
    local p = ctx.params
    local count = case.party_count or #(case.parties or NONE)
    if count < p.mass_parties then
      return { mass = false }
    end
    local word = mass_cause(case.cause, p.mass_causes)
    local reported, confirmed, removed = false, false, false
    for _, e in ipairs(case.events) do
      local kind = e.event
      if kind == "reported_to_president" then
        reported = true
      elseif kind == "flag_confirmed" then
        confirmed = true
      elseif kind == "flag_removed" then
        removed = true
      end
    end
    if removed then -- 再确认时已人工撤销预标识（留痕在事件中）
      ctx.log("pre-flag removed by a flag_removed event")
      return { mass = true, party_count = count, removed = true }
    end
    ctx.alert{
      code = "4C-MASS",
      severity = word and "critical" or "warning",
      message = string.format("当事人%d人，属当事人一方人数众多%s，可能引发群体性纠纷，应纳入“四类案件”监督管理",
        count, word and ("，且为涉众案由（" .. word .. "）") or ""),
      basis = "民诉解释 第75条；法发〔2021〕30号 二（二）",
      data = { party_count = count },
    }
    if not reported and case.status ~= "已结" then
      ctx.alert{
        code = "4C-MASS-NOT-REPORTED",
        message = "群体性纠纷案件尚未向院庭长报告，请承办法官及时报告并提示分管院庭长",
        basis = "法发〔2022〕31号 八；法发〔2020〕26号 五",
      }
    end
    ctx.log("party_count %d >= %d", count, p.mass_parties)
    return { mass = true, party_count = count, mass_cause = word, reported = reported,
             confirmed = confirmed, categories = { "群体性" } }
  end,
}
