-- National assignment, on_court: 审判团队和合议庭人员定期调整 (ASSIGN-TEAM-NOT-ROTATED)
-- with the default team_rotation_months = 60, as of 2026-03-31.
--
--   浙01   中级: Z-J (in quota, team, since 2015): not counted at 浙0102
--   浙0102 基层: T-EXACT exactly 60 months, T-OVER 60 months and a day (no
--          team), T-AIDE a 法官助理 in a team, T-LEFT left before the as-of
--          date, T-ENDS leaves on it, T-NEW starts after it, T-NODATE no
--          start_date, T-CLERK neither in quota nor in a team
local function court(code, name, level, parent)
  return { type = "court", code = code, name = name, level = level, parent = parent }
end

local function person(id, court_code, name, roles, in_quota, more)
  local p = { type = "person", id = id, court = court_code, name = name, roles = roles, in_quota = in_quota }
  for k, v in pairs(more or {}) do
    p[k] = v
  end
  return p
end

local BASIS = "法发〔2020〕26号 第7条"

-- n in-quota judges of 浙0105, all in post since 2020-01-01.
local function many(n)
  local d = { court("浙0105", "杭州市拱墅区人民法院", "基层", "浙01") }
  for i = 1, n do
    d[#d + 1] = person(string.format("G-%03d", i), "浙0105", "法官" .. i, { "员额法官" }, true,
      { start_date = "2020-01-01" })
  end
  return d
end

return {
  rule = "assignment",
  as_of = "2026-03-31",
  data = {
    court("浙01", "杭州市中级人民法院", "中级"),
    court("浙0102", "杭州市上城区人民法院", "基层", "浙01"),
    person("Z-J", "浙01", "中院法官", { "员额法官" }, true, { team = "民二庭商事团队", start_date = "2015-01-01" }),
    person("T-EXACT", "浙0102", "甲法官", { "员额法官" }, true,
      { division = "民一庭", team = "民一庭速裁团队", start_date = "2021-03-31" }),
    person("T-OVER", "浙0102", "乙法官", { "员额法官", "审判长" }, true, { division = "刑庭", start_date = "2021-03-30" }),
    person("T-AIDE", "浙0102", "丙助理", { "法官助理" }, false, { team = "民一庭速裁团队", start_date = "2019-01-15" }),
    person("T-LEFT", "浙0102", "丁法官", { "员额法官" }, true,
      { team = "民一庭速裁团队", start_date = "2015-01-31", end_date = "2026-03-30" }),
    person("T-ENDS", "浙0102", "戊法官", { "员额法官" }, true,
      { team = "行政审判团队", start_date = "2020-06-01", end_date = "2026-03-31" }),
    person("T-NEW", "浙0102", "己法官", { "员额法官" }, true, { start_date = "2026-04-01" }),
    person("T-NODATE", "浙0102", "庚法官", { "员额法官" }, true, { team = "行政审判团队" }),
    person("T-CLERK", "浙0102", "辛书记员", { "书记员" }, false, { start_date = "2010-01-01" }),
  },
  cases = {
    { name = "basic court: over 60 months alerted, exactly 60 not; left before the as-of date or not yet in post: "
        .. "not checked",
      court_code = "浙0102",
      expect = {
        result = { team_rotation = {
          checked = 4,
          overdue = {
            { id = "T-AIDE", name = "丙助理", team = "民一庭速裁团队", since = "2019-01-15", months = 86 },
            { id = "T-ENDS", name = "戊法官", team = "行政审判团队", since = "2020-06-01", months = 69 },
            { id = "T-OVER", name = "乙法官", since = "2021-03-30", months = 60 },
          },
          unknown = { { id = "T-NODATE", name = "庚法官", team = "行政审判团队" } },
        } },
        alerts = {
          { code = "ASSIGN-TEAM-NOT-ROTATED", severity = "info", dedup_key = "ASSIGN-TEAM-NOT-ROTATED:T-AIDE",
            message = "杭州市上城区人民法院 丙助理 自 2019-01-15 起在审判团队“民一庭速裁团队”，至 2026-03-31 已满 86 个月，"
              .. "超过 60 个月未调整；相对固定的审判团队和合议庭，人员应当定期调整",
            basis = BASIS,
            data = { person = "T-AIDE", team = "民一庭速裁团队", since = "2019-01-15", months = 86, limit_months = 60 } },
          { code = "ASSIGN-TEAM-NOT-ROTATED", dedup_key = "ASSIGN-TEAM-NOT-ROTATED:T-ENDS",
            message_contains = "戊法官 自 2020-06-01 起在审判团队“行政审判团队”" },
          { code = "ASSIGN-TEAM-NOT-ROTATED", severity = "info", dedup_key = "ASSIGN-TEAM-NOT-ROTATED:T-OVER",
            message_contains = "乙法官 自 2021-03-30 起在现岗位（未登记审判团队），至 2026-03-31 已满 60 个月，超过 60 个月未调整",
            basis = BASIS },
        },
      } },
    { name = "a day earlier: 60 months and a day becomes exactly 60; leaving on the as-of date is still in post",
      court_code = "浙0102",
      as_of = "2026-03-30",
      expect = {
        result = { team_rotation = {
          checked = 5,
          overdue = {
            { id = "T-LEFT", name = "丁法官", team = "民一庭速裁团队", since = "2015-01-31", months = 133 },
            { id = "T-AIDE", name = "丙助理", team = "民一庭速裁团队", since = "2019-01-15", months = 86 },
            { id = "T-ENDS", name = "戊法官", team = "行政审判团队", since = "2020-06-01", months = 69 },
          },
        } },
        alerts = { { code = "ASSIGN-TEAM-NOT-ROTATED", dedup_key = "ASSIGN-TEAM-NOT-ROTATED:T-AIDE" },
                   { code = "ASSIGN-TEAM-NOT-ROTATED", dedup_key = "ASSIGN-TEAM-NOT-ROTATED:T-LEFT",
                     message_contains = "至 2026-03-30 已满 133 个月" },
                   { code = "ASSIGN-TEAM-NOT-ROTATED", dedup_key = "ASSIGN-TEAM-NOT-ROTATED:T-ENDS" } },
      } },
    { name = "intermediate court: its own people only, not those of the basic court below it",
      court_code = "浙01",
      expect = {
        result = { team_rotation = {
          checked = 1, unknown = {},
          overdue = { { id = "Z-J", name = "中院法官", team = "民二庭商事团队", since = "2015-01-01", months = 134 } },
        } },
        alerts = { { code = "ASSIGN-TEAM-NOT-ROTATED", dedup_key = "ASSIGN-TEAM-NOT-ROTATED:Z-J",
                     message_contains = "杭州市中级人民法院 中院法官 自 2015-01-01 起在审判团队“民二庭商事团队”" } },
      } },
    { name = "nobody overdue",
      court_code = "浙01",
      as_of = "2019-12-31",
      expect = { result = { team_rotation = { checked = 1, overdue = {}, unknown = {} } }, alerts = {} } },
    { name = "more overdue than one call may alert: the first 60 alerted, the rest counted",
      court_code = "浙0105",
      data = many(62),
      expect = { result = { team_rotation = { checked = 62, not_alerted = 2 } },
                 alerts = (function()
                   local codes = {}
                   for i = 1, 60 do
                     codes[i] = { code = "ASSIGN-TEAM-NOT-ROTATED",
                                  dedup_key = string.format("ASSIGN-TEAM-NOT-ROTATED:G-%03d", i) }
                   end
                   return codes
                 end)() } },
  },
}
