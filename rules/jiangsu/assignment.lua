-- 江苏 分案留痕: replaces the national assignment rule for 苏 courts. The same
-- three checks (法发〔2020〕26号 第7条: ASSIGN-DESIGNATED-NO-REASON,
-- ASSIGN-REASSIGN-NO-REASON, ASSIGN-NOT-NOTIFIED), plus a local one:
--
-- JS-ASSIGN-FILL-UNJUSTIFIED: a designated assignment whose reason is "填平"
-- (balancing a judge who received fewer cases; params fill_reason_words)
-- must go to a judge whose open caseload on that day was not above the
-- average of the quota judges (员额法官) of the same court and division
-- (fill_max_percent_of_average). Open caseload on day d = cases filed on or
-- before d minus cases closed on or before d, this case left out. It needs
-- ctx.query; where that is not available (`courtrules test`) the check is
-- skipped and logged.
local caseload = require "lib.caseload"

local NONE = {}

local function has_text(s)
  return type(s) == "string" and s:find("%S") ~= nil
end

local function find_word(text, words)
  for _, word in ipairs(words or NONE) do
    if text:find(word, 1, true) then
      return word
    end
  end
  return nil
end

return {
  name = "assignment",
  version = "2026.1",
  on_case = function(case, ctx)
    local p = ctx.params
    local events = case.events
    local result = { mode = "未见分案记录", reasons = {}, reassignments = 0 }
    local reasons = result.reasons
    local designated_without, reassigned_without, not_notified = {}, {}, {}
    local closed = case.status == "已结"

    for i, e in ipairs(events) do
      local kind, day = e.event, e.at:sub(1, 10)
      if (kind == "assigned" or kind == "designated_assignment") and result.mode == "未见分案记录" then
        result.mode = kind == "assigned" and "随机" or "指定"
        result.assigned_on = day
      end
      if kind == "designated_assignment" then
        if not has_text(e.reason) then
          designated_without[#designated_without + 1] = day
        else
          reasons[#reasons + 1] = string.format("%s 指定分案，理由：%s", day, e.reason)
          local word = find_word(e.reason, p.fill_reason_words)
          local unjustified = word and caseload.fill_check(case, ctx, day)
          if unjustified then
            result.fill = unjustified
            ctx.alert{
              code = "JS-ASSIGN-FILL-UNJUSTIFIED",
              message = string.format("本案于 %s 以“%s”为由指定分案，但承办法官当日在办案件 %d 件，高于同部门员额法官平均 %s 件，请核查指定分案理由",
                day, word, unjustified.load, unjustified.average),
              basis = "法发〔2020〕26号 第7条；江苏法院分案规则（填平分案，本地细则）",
              data = unjustified,
            }
          end
        end
      elseif kind == "reassigned" then
        result.reassignments = result.reassignments + 1
        if has_text(e.reason) then
          reasons[#reasons + 1] = string.format("%s 变更承办，理由：%s", day, e.reason)
        else
          reassigned_without[#reassigned_without + 1] = day
        end
        local notified = e.data and e.data.parties_notified == true
        for j = i + 1, #events do
          if notified then
            break
          end
          notified = events[j].event == "parties_notified"
        end
        if not notified then
          local late = closed or ctx.date.days_between(day, ctx.as_of) > p.reassignment_notify_within_days
          if late then
            not_notified[#not_notified + 1] = day
          end
        end
      end
    end

    if #designated_without > 0 then
      ctx.alert{
        code = "ASSIGN-DESIGNATED-NO-REASON",
        message = string.format("本案于 %s 指定分案，未载明指定理由；指定分案是例外，应当在办案平台全程留痕",
          table.concat(designated_without, "、")),
        basis = "法发〔2020〕26号 第7条",
        data = { dates = designated_without },
      }
    end
    if #reassigned_without > 0 then
      ctx.alert{
        code = "ASSIGN-REASSIGN-NO-REASON",
        message = string.format("本案于 %s 变更审判组织人员，未在办案平台标注原因", table.concat(reassigned_without, "、")),
        basis = "法发〔2020〕26号 第7条",
        data = { dates = reassigned_without },
      }
    end
    if #not_notified > 0 then
      ctx.alert{
        code = "ASSIGN-NOT-NOTIFIED",
        message = string.format("本案于 %s 变更审判组织人员，未见及时通知当事人的记录", table.concat(not_notified, "、")),
        basis = "法发〔2020〕26号 第7条",
        data = { dates = not_notified },
      }
    end
    return result
  end,
}
