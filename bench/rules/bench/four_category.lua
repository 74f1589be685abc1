-- “四类案件”自动识别（法发〔2021〕30号）：按参数 signal_flags 所列标记和特别巨大的
-- 标的额预标识，提示报告院庭长、再确认和提交专业法官会议。
local NONE = {}

local to_fen = require("lib.money").to_fen

return {
  name = "four_category",
  version = "2026.1",
  on_case = function(case, ctx)
    local p = ctx.params
    local flags = case.flags or NONE
    local signals, items, seen = {}, {}, {}
    for _, s in ipairs(p.signal_flags) do
      if flags[s.flag] then
        signals[#signals + 1] = s.label
        if not seen[s.item] then
          seen[s.item] = true
          items[#items + 1] = s.item
        end
      end
    end
    local claim = case.claim_amount and to_fen(case.claim_amount)
    if claim and claim >= to_fen(p.large_claim) then
      signals[#signals + 1] = "标的额特别巨大"
      if not seen["一"] then
        items[#items + 1] = "一"
      end
    end
    if #signals == 0 then
      return { categories = {} }
    end
    table.sort(items)

    local reported, confirmed, removed, meeting, supervised_at
    for _, e in ipairs(case.events) do
      local kind = e.event
      if kind == "reported_to_president" then
        reported = reported or e.at:sub(1, 10)
      elseif kind == "flag_confirmed" then
        confirmed = true
      elseif kind == "flag_removed" then
        removed = true
      elseif kind == "submitted_to_professional_meeting" or kind == "submitted_to_committee" then
        meeting = meeting or e.at:sub(1, 10)
      elseif kind == "supervision" then
        supervised_at = e.at:sub(1, 10)
      end
    end
    local result = { categories = items, signals = signals, reported = reported ~= nil,
                     confirmed = confirmed == true, meeting = meeting, last_supervision = supervised_at }
    if removed then
      result.removed = true
      return result
    end
    local reasons = table.concat(signals, "、")
    ctx.log("signals: %s", reasons)
    if case.status == "已结" then
      return result
    end
    local pending = ctx.date.days_between(case.filing_date, ctx.as_of)
    if not confirmed then
      ctx.alert{
        code = "4C-PREFLAG",
        severity = "info",
        message = "系统预标识为“四类案件”（" .. reasons .. "），请院庭长再确认",
        basis = "法发〔2021〕30号 三；法发〔2020〕26号 五",
        data = { items = items },
      }
    end
    if not reported and pending > p.report_within_days then
      ctx.alert{
        code = "4C-NOT-REPORTED",
        message = string.format("“四类案件”（%s）立案已%d日，承办法官尚未向院庭长报告", reasons, pending),
        basis = "法发〔2022〕31号 八",
      }
    end
    if not meeting and pending > p.meeting_within_days then
      ctx.alert{
        code = "4C-NO-MEETING",
        message = string.format("“四类案件”立案已%d日，尚未提交专业法官会议讨论，请分管院庭长督促", pending),
        basis = "法发〔2021〕2号 四；法发〔2021〕30号 八",
      }
    end
    return result
  end,
}
