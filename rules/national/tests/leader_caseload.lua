-- 院庭长办案 (on_court) on the province of _zhejiang.lua, the scenarios and
-- figures of tests/e2e/test_court_rules.sh: each standard met exactly, and
-- one case short of it.
local zj = require "_zhejiang"

local SHORT = "LEADER-CASELOAD-SHORT"

-- A basic court with 61 庭长 who closed nothing and one judge who closed one
-- case in 2026Q1: 61 leaders short, one more than max_alerts (60).
local function many_chiefs()
  local d = { { type = "court", code = "浙0103", name = "杭州市第三人民法院", level = "基层", parent = "浙01" },
              { type = "person", id = "J", court = "浙0103", name = "法官", roles = { "员额法官" }, in_quota = true } }
  for i = 1, 61 do
    d[#d + 1] = { type = "person", id = string.format("T%02d", i), court = "浙0103", name = "庭长" .. i,
                  roles = { "庭长" }, in_quota = true }
  end
  d[#d + 1] = zj.case("浙0103", 2026, "民初", 1, "2026-01-02", "2026-03-01", "J")
  return d
end

-- The alerts many_chiefs() raises: the first 60 by id (all equally short).
local function first_chiefs(n)
  local list = {}
  for i = 1, n do
    list[i] = { code = SHORT, data = { person = string.format("T%02d", i), standard = "0.01" } }
  end
  return list
end

return {
  rule = "leader_caseload",
  as_of = "2026-04-10",
  data = zj.province(),
  cases = {
    { name = "basic court: 院长 and 庭长 exactly at the standard, 副院长 one case short",
      court_code = "浙0102",
      expect = {
        result = {
          quarter = "2026Q1", from = "2026-01-01", to = "2026-03-31",
          closed = 200, judges = 10, average = "20.00", judges_source = "people",
          supervision_events = 3,
          leaders = {
            { id = "A-P", name = "甲院长", role = "院长", category = "院长",
              handled = 1, percent = 5, standard = "1.00", shortfall = "0.00", met = true },
            { id = "A-V", name = "乙副院长", role = "副院长", category = "其他院领导",
              handled = 5, percent = 30, standard = "6.00", shortfall = "1.00", met = false },
            { id = "A-X", name = "丙副院长", role = "副院长", category = "其他院领导",
              note = "未入额，不适用办案数量标准" },
            { id = "A-C", name = "丁庭长", role = "庭长", category = "庭长",
              handled = 10, percent = 50, standard = "10.00", shortfall = "0.00", met = true },
            { id = "A-D", name = "戊副庭长", role = "副庭长", category = "庭长",
              note = "任职不满整个季度，本季度不考核" },
          },
        },
        alerts = {
          { code = SHORT, severity = "warning", dedup_key = "LEADER-CASELOAD-SHORT:A-V:2026Q1",
            message = "杭州市上城区人民法院 副院长乙副院长 2026年第1季度办案 5 件，未达到办案数量标准 6.00 件"
              .. "（本院入额法官人均结案 20.00 件的 30%）。主持或参加专业法官会议、审判委员会，"
              .. "监督管理“四类案件”，接待来访，指挥执行等事务可计入工作量，但不得充抵办案数量",
            basis = "最高人民法院关于加强各级人民法院院庭长办理案件工作的意见（试行）（法发〔2017〕10号）；法发〔2020〕26号 第8条",
            data = { person = "A-V", role = "副院长", quarter = "2026Q1", handled = 5, standard = "6.00",
                     average = "20.00", percent = 30 } },
        },
      } },
    { name = "副院长 given one more case in the quarter: exactly the standard, no alert",
      court_code = "浙0102",
      data = { zj.case("浙0102", 2026, "民初", 17, "2026-01-02", "2026-02-19", "A-V") },
      expect = { result = { closed = 200, average = "20.00" }, alerts = {} } },
    { name = "院长 off the one case he sat on: one case short of 1.00",
      court_code = "浙0102",
      data = { zj.case("浙0102", 2026, "民初", 1, "2026-01-02", "2026-02-03", "A-J1", { "A-J1", "A-J2" }) },
      expect = { alerts = { { code = SHORT, data = { person = "A-P", handled = 0, standard = "1.00" } },
                            { code = SHORT, data = { person = "A-V" } } } } },
    { name = "the other basic court: 院长 with no case short of 0.50, 庭长 at 5.00",
      court_code = "浙0105",
      expect = {
        result = { closed = 40, judges = 4, average = "10.00" },
        alerts = { { code = SHORT, dedup_key = "LEADER-CASELOAD-SHORT:B-P:2026Q1",
                     data = { person = "B-P", handled = 0, standard = "0.50" } } },
      } },
    { name = "intermediate court: its own cases and judges only; no 中级 庭长 figure",
      court_code = "浙01",
      expect = {
        result = {
          closed = 20, judges = 5, average = "4.00",
          leaders = {
            { id = "M-P", name = "中院长", role = "院长", category = "院长",
              handled = 1, percent = 5, standard = "0.20", shortfall = "0.00", met = true },
            { id = "M-V", name = "中副院长", role = "副院长", category = "其他院领导",
              handled = 0, percent = 20, standard = "0.80", shortfall = "0.80", met = false },
            { id = "M-C", name = "中庭长", role = "庭长", category = "庭长", note = "参数未设中级法院庭长办案标准" },
          },
        },
        alerts = { { code = SHORT, dedup_key = "LEADER-CASELOAD-SHORT:M-V:2026Q1" } },
      } },
    { name = "high court: its own 2 cases, no judges of its own",
      court_code = "浙",
      expect = {
        result = { closed = 2, judges = 0, leaders = {},
                   reasons = { "2026年第1季度本院无入额法官，无法计算人均办案量" } },
        alerts = {},
      } },
    { name = "as of a quarter's last day, that quarter is assessed",
      as_of = "2026-03-31",
      court_code = "浙0102",
      expect = { result = { quarter = "2026Q1", from = "2026-01-01", to = "2026-03-31" },
                 alerts = { { code = SHORT, data = { person = "A-V" } } } } },
    { name = "the next quarter: 副庭长 in post all of it, nobody has closed a case",
      as_of = "2026-06-30",
      court_code = "浙0102",
      expect = {
        result = { quarter = "2026Q2", closed = 1, judges = 10, average = "0.10", supervision_events = 1 },
        alerts = { { code = SHORT, data = { person = "A-P", standard = "0.01" } },
                   { code = SHORT, data = { person = "A-C", standard = "0.05" } },
                   { code = SHORT, data = { person = "A-D", standard = "0.05" } } },
      } },
    { name = "a 专门 court has no standard",
      court_code = "浙72",
      data = { { type = "court", code = "浙72", name = "宁波海事法院", level = "专门", parent = "浙" } },
      expect = { result = { leaders = {}, reasons = { "参数未设专门法院院庭长办案标准" } }, alerts = {} } },
    { name = "at most max_alerts (60) alerts; the 61st short leader is listed, not alerted",
      court_code = "浙0103",
      data = many_chiefs(),
      expect = { result = { closed = 1, judges = 62, average = "0.02" }, alerts = first_chiefs(60) } },
  },
}
