-- 变更承办（法发〔2020〕26号 七）：因回避、工作调动、身体原因等变更承办法官的，须由
-- 院庭长决定、载明理由并告知当事人；缺理由或未见告知当事人记录的预警。
return {
  name = "reassignment",
  version = "2026.1",
  on_case = function(case, ctx)
    local events = case.events
    local changes, missing_reason, not_notified = 0, 0, {}
    for i, e in ipairs(events) do
      if e.event == "reassigned" then
        changes = changes + 1
        if not e.reason or #e.reason == 0 then
          missing_reason = missing_reason + 1
        end
        local notified = e.data and e.data.parties_notified == true
        if not notified then -- a later parties_notified event also counts
          for j = i + 1, #events do
            if events[j].event == "parties_notified" then
              notified = true
              break
            end
          end
        end
        if not notified then
          not_notified[#not_notified + 1] = e.at:sub(1, 10)
        end
      end
    end
    if changes == 0 then
      return { changes = 0 }
    end
    if missing_reason > 0 then
      ctx.alert{
        code = "REASSIGN-NO-REASON",
        message = string.format("本案变更承办 %d 次，其中 %d 次未载明理由", changes, missing_reason),
        basis = "法发〔2020〕26号 七",
      }
    end
    if #not_notified > 0 then
      ctx.alert{
        code = "REASSIGN-NOT-NOTIFIED",
        message = "变更承办（" .. table.concat(not_notified, "、") .. "）后未见告知当事人的记录",
        basis = "法发〔2020〕26号 七",
        data = { dates = not_notified },
      }
    end
    return { changes = changes, missing_reason = missing_reason, not_notified = #not_notified }
  end,
}
