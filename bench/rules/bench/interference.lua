-- 干预过问记录（“三个规定”；法发〔2020〕26号 十一）：案件有领导干部或者司法机关内部
-- 人员过问记录的，提示院庭长并纳入月度报告；记录无过问人或者无内容的提示补全。
return {
  name = "interference",
  version = "2026.1",
  on_case = function(case, ctx)
    local records, incomplete, by_leader = {}, 0, 0
    for _, e in ipairs(case.events) do
      if e.event == "interference_record" then
        local reason = e.reason or ""
        records[#records + 1] = { at = e.at:sub(1, 10), reason = reason }
        if reason == "" or not e.actor then
          incomplete = incomplete + 1
        end
        if reason:find("领导干部", 1, true) then
          by_leader = by_leader + 1
        end
      end
    end
    if #records == 0 then
      return { records = 0 }
    end
    ctx.alert{
      code = "INTERFERENCE-RECORDED",
      severity = by_leader > 0 and "warning" or "info",
      message = string.format("本案有干预过问记录 %d 条（其中领导干部 %d 条），请纳入本月干预过问情况报告", #records,
        by_leader),
      basis = "领导干部干预司法活动、插手具体案件处理的记录、通报和责任追究规定；法发〔2020〕26号 十一",
      data = { records = records },
    }
    if incomplete > 0 then
      ctx.log("%d interference records lack the person or the content", incomplete)
    end
    return { records = #records, by_leader = by_leader, incomplete = incomplete }
  end,
}
