-- 分案留痕（法发〔2020〕26号 七）：随机分案为原则，指定分案为例外，指定分案须载明理由；
-- 立案后超过参数 assign_within_days 日仍未分案的提示。
return {
  name = "assignment",
  version = "2026.1",
  on_case = function(case, ctx)
    local date = ctx.date
    local mode, assigned_on, reason
    for _, e in ipairs(case.events) do
      if e.event == "assigned" or e.event == "designated_assignment" then
        mode = e.event == "assigned" and "随机" or "指定"
        assigned_on = e.at:sub(1, 10)
        reason = e.reason
        break
      end
    end
    if not mode then
      local waited = date.days_between(case.filing_date, case.closing_date or ctx.as_of)
      if waited > ctx.params.assign_within_days then
        ctx.alert{
          code = "ASSIGN-MISSING",
          message = string.format("立案后 %d 日无分案记录，请立案庭核查分案情况", waited),
          basis = "法发〔2020〕26号 七",
        }
      end
      return { mode = "未分案" }
    end
    local result = { mode = mode, assigned_on = assigned_on,
                     days_to_assign = date.days_between(case.filing_date, assigned_on) }
    if mode == "指定" then
      -- A reason of blanks only is no reason.
      if not reason or not reason:find("%S") then
        ctx.alert{
          code = "ASSIGN-DESIGNATED-NO-REASON",
          message = string.format("本案于 %s 指定分案，未载明指定理由；指定分案应当在办案平台全程留痕", assigned_on),
          basis = "法发〔2020〕26号 七；最高人民法院关于进一步全面落实司法责任制的实施意见",
        }
      else
        result.reason = reason
      end
    end
    return result
  end,
}
