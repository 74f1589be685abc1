-- 审判组织（民事诉讼法 第40–42条）：涉及国家利益、社会公共利益，群体性纠纷，引发社会
-- 广泛关注，新类型或者疑难复杂的案件不得由审判员一人独任审理；合议庭组成人员应为三人
-- 以上单数。
local NONE = {}

local FORBIDDING_FLAGS = {
  { "public_interest", "涉及国家利益、社会公共利益" },
  { "national_security", "涉及国家安全、外交、民族、宗教等敏感问题" },
  { "media_attention", "可能引发社会广泛关注" },
  { "new_type", "属于新类型案件" },
  { "remanded", "发回重审" },
}

return {
  name = "single_judge",
  version = "2026.1",
  on_case = function(case, ctx)
    local org = case.trial_org
    if not org then
      return { trial_org = "未填" }
    end
    local judges = case.judges or NONE
    if org == "合议庭" then
      local n = #judges
      if n > 0 and (n < 3 or n % 2 == 0) then
        ctx.alert{
          code = "PANEL-SIZE",
          message = string.format("合议庭由 %d 名审判人员组成，应为三人以上单数", n),
          basis = "民事诉讼法 第40条；刑事诉讼法 第183条",
        }
      end
      return { trial_org = org, judges = n }
    end
    if case.kind ~= "民事" then
      return { trial_org = org }
    end
    local flags = case.flags or NONE
    local grounds = {}
    for _, f in ipairs(FORBIDDING_FLAGS) do
      if flags[f[1]] then
        grounds[#grounds + 1] = f[2]
      end
    end
    if (case.party_count or 0) >= ctx.params.mass_parties then
      grounds[#grounds + 1] = "属于群体性纠纷"
    end
    if #grounds > 0 then
      ctx.alert{
        code = "SINGLE-JUDGE-FORBIDDEN",
        severity = case.status == "已结" and "info" or "warning",
        message = "本案" .. table.concat(grounds, "、") .. "，不得由审判员一人独任审理" ..
          (case.status == "已结" and "（案件已审结，供评查参考）" or "，应当组成合议庭"),
        basis = "民事诉讼法（2023）第42条",
      }
    end
    return { trial_org = org, grounds = grounds }
  end,
}
