-- 干预过问月报告和“零报告” (on_court) on the province of _zhejiang.lua, the
-- scenarios and figures of tests/e2e/test_court_rules.sh: a missing monthly
-- report, the due date moved past the Qingming holiday, late and early
-- reports matched by data.month, and a court reporting zero for 12 months.
local zj = require "_zhejiang"

local NO_REPORT, ALWAYS_ZERO = "INTERFERENCE-NO-REPORT", "INTERFERENCE-ALWAYS-ZERO"

return {
  rule = "interference_reports",
  as_of = "2026-04-10",
  data = zj.province(),
  cases = {
    { name = "a missing monthly report: one alert for the court and month",
      court_code = "浙0102",
      expect = {
        result = { matched_by = "data.month", missing = { "2025-09" }, zero_run = 0,
                   reasons = { "未报送：2025-09" } },
        alerts = { { code = NO_REPORT, severity = "warning", dedup_key = "INTERFERENCE-NO-REPORT:浙0102:2025-09",
                     data = { month = "2025-09" } } },
      } },
    { name = "a report missing after its due date (moved past Qingming to 04-07) is late",
      court_code = "浙0105",
      expect = {
        result = { missing = { "2026-03" } },
        alerts = { { code = NO_REPORT, data = { month = "2026-03", due = "2026-04-07" },
                     message = "杭州市拱墅区人民法院 未报送2026年3月干预过问案件情况月报告（报送期限 2026-04-07）；当月无干预过问情况的，应当作“零报告”",
                     basis = "法发〔2020〕26号 第11条（干预过问案件情况月报告和“零报告”制度）" } },
      } },
    { name = "on the due date the report is not yet late",
      as_of = "2026-04-07",
      court_code = "浙0105",
      expect = { result = { missing = {} }, alerts = {} } },
    { name = "the day after the due date it is",
      as_of = "2026-04-08",
      court_code = "浙0105",
      expect = { result = { missing = { "2026-03" } }, alerts = { NO_REPORT } } },
    { name = "a report on the due date is in time",
      court_code = "浙01",
      expect = { result = { missing = {}, reasons = {} }, alerts = {} } },
    { name = "the high court's own reports only: its courts' reports do not fill its gap",
      court_code = "浙",
      expect = { result = { missing = { "2025-06" } },
                 alerts = { { code = NO_REPORT, dedup_key = "INTERFERENCE-NO-REPORT:浙:2025-06" } } } },
    { name = "a court reporting zero for 12 months in a row",
      court_code = "浙02",
      expect = {
        result = { matched_by = "data.month", missing = {}, zero_run = 12 },
        alerts = { { code = ALWAYS_ZERO, severity = "info", data = { months = 12, through = "2026-03" },
                     message_contains = "宁波市中级人民法院 已连续 12 个月报送干预过问案件情况“零报告”" } },
      } },
    { name = "11 months of zero: no alert",
      court_code = "浙02",
      data = { zj.report("浙02", "2025-04", "2025-05-03", 1) },
      expect = { result = { zero_run = 11 }, alerts = {} } },
    { name = "a month with interference reported breaks the run of zero reports",
      court_code = "浙02",
      data = { zj.report("浙02", "2025-10", "2025-11-03", 2) },
      expect = { result = { zero_run = 5 }, alerts = {} } },
    { name = "before the first month checked (from_month 2020-08) there is nothing to check",
      as_of = "2020-08-15",
      court_code = "浙0102",
      expect = { result = { months = {}, missing = {}, reasons = { "无需核查的月份" } }, alerts = {} } },
  },
}
