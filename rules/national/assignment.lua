-- 分案留痕（法发〔2020〕26号 第7条）：random assignment is the rule and
-- designated assignment the exception, traced with its reason; a change of
-- the trial organization after assignment is decided by the president or
-- division chief, the reason marked on the platform and the parties notified.
--
-- ASSIGN-DESIGNATED-NO-REASON: a designated_assignment without a reason (a
-- reason of blanks is none). ASSIGN-REASSIGN-NO-REASON: a reassigned event
-- without a reason. ASSIGN-NOT-NOTIFIED: a reassignment neither marked
-- data.parties_notified = true nor followed by a parties_notified event,
-- once reassignment_notify_within_days have passed (or the case is closed).
--
-- Not checked here: "相对固定的审判团队和合议庭，人员应当定期调整" needs the
-- history of team membership, which person records do not keep (one `team`
-- value, no dates); and whether the person who reassigned had the authority
-- needs roles at the time of the event. Both need people data over time.
local common = require "lib.common"

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
    local as_of -- read only when a pending case has an unnotified reassignment

    for i, e in ipairs(events) do
      local kind, day = e.event, common.day(e.at)
      if (kind == "assigned" or kind == "designated_assignment") and result.mode == "未见分案记录" then
        result.mode = kind == "assigned" and "随机" or "指定"
        result.assigned_on = day
      end
      if kind == "designated_assignment" then
        if common.has_text(e.reason) then
          reasons[#reasons + 1] = string.format("%s 指定分案，理由：%s", day, e.reason)
        else
          designated_without[#designated_without + 1] = day
        end
      elseif kind == "reassigned" then
        result.reassignments = result.reassignments + 1
        if common.has_text(e.reason) then
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
          local waited
          if closed then
            waited = math.huge
          else
            as_of = as_of or ctx.as_of
            waited = ctx.date.days_between(day, as_of)
          end
          if waited > p.reassignment_notify_within_days then
            not_notified[#not_notified + 1] = day
          else
            reasons[#reasons + 1] = string.format("%s 变更承办，尚在%d日告知期限内", day, p.reassignment_notify_within_days)
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
    for _, day in ipairs(designated_without) do
      reasons[#reasons + 1] = day .. " 指定分案未载明理由"
    end
    for _, day in ipairs(reassigned_without) do
      reasons[#reasons + 1] = day .. " 变更承办未载明理由"
    end
    for _, day in ipairs(not_notified) do
      reasons[#reasons + 1] = day .. " 变更承办未见通知当事人"
    end
    return result
  end,
}
