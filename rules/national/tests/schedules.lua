-- The national schedules (docs/schedules.md): each schedule's run on a
-- court, as `courtrules schedule run-due` calls it on its fire date, on the
-- province of _zhejiang.lua. A test with `schedule` calls that schedule's
-- run(court, ctx) instead of on_court; ctx.as_of is the fire date.
local zj = require "_zhejiang"

-- Pending cases of 浙0105 for the daily scan: two filed more than 12 months
-- before 2026-04-01 (one of them 中止), one exactly 12 months before (not
-- yet past), one recent; a pending case of 浙01 that 浙0105's count leaves out.
local function pending()
  local d = {}
  local function add(court, seq, filed, status)
    local c = zj.case(court, tonumber(filed:sub(1, 4)), "民初", seq, filed, nil, "B-J1")
    c.status = status or "在办"
    d[#d + 1] = c
  end
  add("浙0105", 901, "2025-01-15")
  add("浙0105", 902, "2025-03-31", "中止")
  add("浙0105", 903, "2025-04-01")
  add("浙0105", 904, "2026-03-02")
  add("浙01", 905, "2024-05-06")
  return d
end

return {
  data = zj.province(),
  cases = {
    -- interference_reports@monthly_check, the 1st of the month
    { name = "monthly check: the months a court's report is missing, in one report",
      rule = "interference_reports", schedule = "monthly_check", court_code = "浙0102", as_of = "2026-04-01",
      expect = {
        result = { missing = { "2025-09" } },
        alerts = { { code = "INTERFERENCE-MONTHLY-CHECK", severity = "warning",
                     dedup_key = "INTERFERENCE-MONTHLY-CHECK:浙0102:2026-04",
                     message = "杭州市上城区人民法院 干预过问案件情况月报告月度核查（2026-04-01）：2025年9月 共 1 个月未报送，"
                       .. "请督促补报（无干预过问情况的应当作“零报告”）",
                     data = { missing = { "2025-09" } } } },
      } },
    { name = "monthly check: a court with every report in gets no report",
      rule = "interference_reports", schedule = "monthly_check", court_code = "浙01", as_of = "2026-04-01",
      expect = { result = { missing = {} }, alerts = {} } },
    { name = "monthly check: zero reports are on_court's business, not the check's",
      rule = "interference_reports", schedule = "monthly_check", court_code = "浙02", as_of = "2026-04-10",
      expect = { result = { zero_run = 12 }, alerts = {} } },

    -- leader_caseload@quarterly_report, the first day of a quarter
    { name = "quarterly report: the quarter just ended, leaders assessed and those short",
      rule = "leader_caseload", schedule = "quarterly_report", court_code = "浙0102", as_of = "2026-04-01",
      expect = {
        result = { quarter = "2026Q1", average = "20.00" },
        alerts = { { code = "LEADER-CASELOAD-REPORT", severity = "warning",
                     dedup_key = "LEADER-CASELOAD-REPORT:浙0102:2026Q1",
                     message = "杭州市上城区人民法院 2026Q1 院庭长办案情况：考核 3 人，达标 2 人，未达标：A-V（5/6.00 件）；"
                       .. "本院入额法官人均结案 20.00 件",
                     data = { quarter = "2026Q1", assessed = 3, short = 1, average = "20.00" } } },
      } },
    { name = "quarterly report: every leader met the standard, an info report",
      rule = "leader_caseload", schedule = "quarterly_report", court_code = "浙0102", as_of = "2026-04-01",
      data = { zj.case("浙0102", 2026, "民初", 17, "2026-01-02", "2026-02-19", "A-V") },
      expect = { alerts = { { code = "LEADER-CASELOAD-REPORT", severity = "info",
                              data = { assessed = 3, short = 0 } } } } },
    { name = "quarterly report: no leader assessed, no report",
      rule = "leader_caseload", schedule = "quarterly_report", court_code = "浙02", as_of = "2026-04-01",
      expect = { alerts = {} } },

    -- time_limits@daily_scan, working days at 07:30
    { name = "daily scan: pending cases past 12 months, the court's own only",
      rule = "time_limits", schedule = "daily_scan", court_code = "浙0105", as_of = "2026-04-01",
      data = pending(),
      expect = {
        result = { pending = 4, long_pending = 2 },
        alerts = { { code = "TL-DAILY-SCAN", severity = "warning", dedup_key = "TL-DAILY-SCAN:浙0105:2026-04-01",
                     message = "杭州市拱墅区人民法院 审限日报（2026-04-01）：未结案件 4 件，其中立案逾12个月未结 2 件"
                       .. "（2025-04-01 以前立案），请院庭长督办",
                     data = { pending = 4, long_pending = 2 } } },
      } },
    { name = "daily scan: nothing past 12 months, no report",
      rule = "time_limits", schedule = "daily_scan", court_code = "浙0102", as_of = "2026-04-01",
      expect = { result = { long_pending = 0 }, alerts = {} } },
  },
}
