-- 江苏 local 四类 signal: a case that both people's deputies and the media
-- follow (params attention_supervision_flags, all of them) is put under the
-- supervision of the president or division chief (督办). JS-4C-SUPERVISE
-- while a pending case has neither the `supervised` flag nor a `supervision`
-- event (院庭长监督管理, 留痕).
local NONE = {}

return {
  name = "js_attention_supervision",
  version = "2026.1",
  on_case = function(case, ctx)
    local flags = case.flags or NONE
    -- wanted[i] up to the first nil: # of the params view is a call into C
    local wanted = ctx.params.attention_supervision_flags
    local i, flag = 1, wanted[1]
    while flag do
      if not flags[flag] then
        return { required = false, reasons = {} }
      end
      i = i + 1
      flag = wanted[i]
    end
    local reasons = { "人大代表关注且媒体关注，应当列入院庭长督办" }
    local supervised = flags.supervised == true
    for _, e in ipairs(case.events) do
      if e.event == "supervision" then
        supervised = true
        reasons[#reasons + 1] = string.format("%s 院庭长监督管理（%s）", e.at:sub(1, 10), e.actor or "未记录")
      end
    end
    if not supervised and case.status ~= "已结" then
      ctx.alert{
        code = "JS-4C-SUPERVISE",
        message = "本案人大代表关注且媒体关注，属“四类案件”（二）引发社会广泛关注的案件，应当列入院庭长督办，未见督办记录",
        basis = "法发〔2021〕30号（二）；法发〔2020〕26号 第5条；江苏法院“四类案件”监督管理本地细则（人大代表、媒体关注案件督办）",
      }
    end
    return { required = true, supervised = supervised, reasons = reasons }
  end,
}
