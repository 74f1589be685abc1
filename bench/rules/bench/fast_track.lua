-- 刑事速裁、简易程序适用审查（刑事诉讼法 第214、222、223条）：速裁程序限于基层法院
-- 可能判处三年有期徒刑以下刑罚、事实清楚、认罪认罚的案件（参数 fast_track_causes 列出
-- 本院认定的常见罪名）；被告人是未成年人、案件有重大社会影响的不适用。简易程序须被告人
-- 认罪。
local NONE = {}

local function contains(list, value)
  for _, v in ipairs(list) do
    if v == value then
      return true
    end
  end
  return false
end

return {
  name = "fast_track",
  version = "2026.1",
  on_case = function(case, ctx)
    if case.type_code ~= "刑初" then
      return { applicable = false }
    end
    local p = ctx.params
    local flags = case.flags or NONE
    local obstacles = {}
    if not case.court:match("%d%d%d%d$") then
      obstacles[#obstacles + 1] = "非基层人民法院管辖"
    end
    if not flags.guilty_plea then
      obstacles[#obstacles + 1] = "被告人未认罪认罚"
    end
    if not contains(p.fast_track_causes, case.cause) then
      obstacles[#obstacles + 1] = "罪名（" .. (case.cause or "未填") .. "）不在本院速裁罪名目录"
    end
    if flags.minor_defendant then
      obstacles[#obstacles + 1] = "被告人是未成年人"
    end
    for _, f in ipairs(p.major_impact_flags) do
      if flags[f] then
        obstacles[#obstacles + 1] = "案件有重大社会影响（" .. f .. "）"
        break
      end
    end
    local procedure = case.procedure
    local eligible = #obstacles == 0
    if procedure == "速裁" and not eligible then
      ctx.alert{
        code = "FT-INELIGIBLE",
        message = "本案不符合速裁程序适用条件：" .. table.concat(obstacles, "；"),
        basis = "刑事诉讼法 第222条、第223条",
      }
    elseif procedure == "简易" and not flags.guilty_plea then
      ctx.alert{
        code = "CR-SIMPLE-NO-PLEA",
        message = "适用简易程序审理的刑事案件，被告人应当承认自己所犯罪行，对指控的犯罪事实没有异议",
        basis = "刑事诉讼法 第214条",
      }
    elseif procedure == "普通" and eligible and case.status ~= "已结" then
      ctx.alert{
        code = "FT-CANDIDATE",
        severity = "info",
        message = "本案罪名为" .. case.cause .. "，被告人认罪认罚，可以考虑适用速裁程序",
        basis = "刑事诉讼法 第222条；最高人民法院 最高人民检察院 公安部 国家安全部 司法部关于适用认罪认罚从宽制度的指导意见",
      }
    end
    return { eligible = eligible, obstacles = obstacles, procedure = procedure }
  end,
}
