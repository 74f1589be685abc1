-- 广东 local rule: a criminal case whose defendant has been detained for more
-- than three years (flag detained_over_3_years) is supervised by the court's
-- president (院长督办). GD-DETENTION-SUPERVISE while a pending case has no
-- `supervision` event, or only ones by someone other than the roles in params
-- detention_supervisor_roles when the event names a role in data.role.
-- The national four_category rule already counts the flag as a 四类 signal;
-- this adds the local duty of who supervises.
local NONE = {}

return {
  name = "gd_long_detention",
  version = "2026.1",
  on_case = function(case, ctx)
    local flags = case.flags or NONE
    if case.kind ~= "刑事" or not flags.detained_over_3_years then
      return { required = false, reasons = {} }
    end
    local roles = ctx.params.detention_supervisor_roles
    local reasons = { "被告人羁押超过三年，应当由院长督办" }
    local supervised
    for _, e in ipairs(case.events) do
      if e.event == "supervision" then
        local role = e.data and e.data.role
        local by_leader = not role
        for _, r in ipairs(roles) do
          by_leader = by_leader or role == r
        end
        if by_leader then
          supervised = e.at:sub(1, 10)
          reasons[#reasons + 1] = string.format("%s 督办（%s%s）", supervised, e.actor or "未记录",
            role and ("，" .. role) or "")
        else
          reasons[#reasons + 1] = string.format("%s 的监督管理由%s作出，不属院长督办", e.at:sub(1, 10), role)
        end
      end
    end
    if not supervised and case.status ~= "已结" then
      ctx.alert{
        code = "GD-DETENTION-SUPERVISE",
        severity = "critical",
        message = "本案被告人羁押已超过三年，应当由院长督办，未见院长督办记录",
        basis = "法发〔2020〕26号 第5条；广东法院长期羁押案件督办（本地细则）",
      }
    end
    return { required = true, supervised = supervised, reasons = reasons }
  end,
}
