-- 员额与人员编制 (on_court) on the province of _zhejiang.lua, the scenarios and
-- figures of tests/e2e/test_court_rules.sh: admin staff exactly 15% and
-- 15.5%, quota exactly 39% and 40%, the high court against its basic
-- courts, the province cap and the allocation proposal.
local zj = require "_zhejiang"

local courts, with, staffing = zj.courts, zj.with, zj.staffing

-- The high court with quota_allotted q (2026; central 200, filled missing).
local function high_court(q)
  return with(courts.zhe, { staffing = { staffing(2026, 210, 200, q, nil, 20) } })
end

return {
  rule = "staffing",
  as_of = "2026-04-10",
  data = zj.province(),
  cases = {
    { name = "admin staff exactly 15% is within the limit; quota 40% is over the 39% cap",
      court_code = "浙0102",
      expect = {
        result = { year = 2026, staffing_year = 2026, admin_percent = "15.00", quota_percent = "40.00",
                   vacancies = 3, max_alternates = 0, reasons = {},
                   staffing = { authorized_staff = 110, central_special_staff = 100, quota_allotted = 40,
                                quota_filled = 37, admin_staff = 15 } },
        alerts = { { code = "STAFF-QUOTA-OVER-CAP", severity = "warning",
                     message_contains = "核定法官员额 40 名，占中央政法专项编制 100 名的 40.00%，超过 39% 的员额比例上限",
                     data = { year = 2026, percent = "40.00", cap_percent = 39 } } },
      } },
    { name = "admin staff 15.5% is over; no figures for the as-of year: the latest before it",
      court_code = "浙0105",
      expect = {
        result = { staffing_year = 2025, admin_percent = "15.50", quota_percent = "35.00", vacancies = 10,
                   max_alternates = 3, reasons = { "未见2026年数据，按2025年数据计算" } },
        alerts = { { code = "STAFF-ADMIN-OVER", severity = "warning",
                     message = "杭州市拱墅区人民法院 2025年司法行政人员 31 人，占中央政法专项编制 200 名的 15.50%，超过 15% 的控制比例",
                     basis = "法发〔2020〕26号 第20条" } },
      } },
    { name = "admin staff 16%: over by one person",
      court_code = "浙0102",
      data = { with(courts.shangcheng, { staffing = { staffing(2026, 110, 100, 39, 37, 16) } }) },
      expect = { result = { admin_percent = "16.00", quota_percent = "39.00" }, alerts = { "STAFF-ADMIN-OVER" } } },
    { name = "quota exactly 39% is within the cap; admin staff is not checked at an intermediate court",
      court_code = "浙01",
      expect = {
        result = { staffing_year = 2026, quota_percent = "39.00", vacancies = 0, max_alternates = 0 },
        alerts = {},
      } },
    { name = "the as-of year's figures, not a later year's",
      as_of = "2027-01-10",
      court_code = "浙0102",
      expect = { result = { staffing_year = 2027, admin_percent = "90.00", quota_percent = "90.00" },
                 alerts = { "STAFF-ADMIN-OVER", "STAFF-QUOTA-OVER-CAP" } } },
    { name = "high court: ratio equal to the basic courts' mean, province under the cap, a figure missing",
      court_code = "浙",
      expect = {
        result = {
          quota_percent = "37.50",
          basic_courts = { average_quota_percent = "37.50" },
          province = { quota_allotted = 254, central_special_staff = 700, quota_percent = "36.29" },
          missing = { "员额实有人数" },
          -- Pool 149 + 30 = 179, shared 88.80% / 11.20% by authorized staff,
          -- caseload (filed 2025-04-11..2026-04-10) and caseload per judge.
          allocation = {
            pool = 179, filed_from = "2025-04-11", filed_to = "2026-04-10", outside = {},
            weights = { authorized_staff = 30, caseload = 50, caseload_per_judge = 20 },
            units = {
              { court = "浙01", name = "杭州市中级人民法院", courts = 3, current = 149, proposed = 159, change = 10,
                share = "88.80", authorized_staff = 440, caseload = 263, judges = 136, per_judge = "1.93" },
              { court = "浙02", name = "宁波市中级人民法院", courts = 1, current = 30, proposed = 20, change = -10,
                share = "11.20", authorized_staff = 120, caseload = 10, judges = 30, per_judge = "0.33" },
            },
          },
        },
        alerts = { { code = "STAFF-DATA-MISSING", severity = "info",
                     message = "浙江省高级人民法院 缺少2026年编制员额数据（员额实有人数），相关比例未核查；请及时更新编制、员额信息",
                     basis = "法发〔2020〕26号 第15条" } },
      } },
    { name = "high court ratio above the basic courts' mean; province exactly at 39%",
      court_code = "浙",
      data = { high_court(94) },
      expect = {
        result = { quota_percent = "47.00", province = { quota_allotted = 273, quota_percent = "39.00" } },
        alerts = { "STAFF-DATA-MISSING", "STAFF-QUOTA-OVER-CAP",
                   { code = "STAFF-HIGH-COURT-RATIO", data = { percent = "47.00", basic_average_percent = "37.50",
                                                               basic_courts = 2 } } },
      } },
    { name = "province one quota place over 39%",
      court_code = "浙",
      data = { high_court(95) },
      expect = {
        result = { province = { quota_allotted = 274, quota_percent = "39.14" } },
        alerts = { "STAFF-DATA-MISSING", "STAFF-QUOTA-OVER-CAP", "STAFF-HIGH-COURT-RATIO",
                   { code = "STAFF-PROVINCE-QUOTA-OVER-CAP", message_contains = "全省法院核定法官员额合计 274 名" } },
      } },
    { name = "no staffing at all: an info alert, nothing checked",
      court_code = "浙0106",
      data = { { type = "court", code = "浙0106", name = "杭州市西湖区人民法院", level = "基层", parent = "浙01" } },
      expect = {
        result = { year = 2026, missing = { "2026年及以前年度的编制员额数据" } },
        alerts = { { code = "STAFF-DATA-MISSING", severity = "info", data = { year = 2026 } } },
      } },
    { name = "no central staffing, more judges than quota places",
      court_code = "浙0106",
      data = { { type = "court", code = "浙0106", name = "杭州市西湖区人民法院", level = "基层", parent = "浙01",
                 staffing = { staffing(2026, 50, 0, 10, 12, 3) } } },
      expect = {
        result = { vacancies = -2, max_alternates = 0,
                   reasons = { "中央政法专项编制为0，不计算比例", "员额实有 12 人，超过核定员额 10 名" } },
        alerts = {},
      } },
    { name = "a high court with nothing under it",
      court_code = "皖",
      data = { { type = "court", code = "皖", name = "安徽省高级人民法院", level = "高级" } },
      expect = {
        result = { reasons = { "辖区基层法院无可用的编制员额数据，无法比较员额比例" },
                   allocation = { pool = 0, units = {} } },
        alerts = { "STAFF-DATA-MISSING" },
      } },
    { name = "a high court whose own figures are incomplete is not compared",
      court_code = "浙",
      data = { with(courts.zhe, { staffing = { staffing(2026, 210, 200, nil, 10, 20) } }) },
      expect = {
        result = { reasons = { "本院编制员额数据不全，无法与辖区基层法院比较员额比例" } },
        alerts = { { code = "STAFF-DATA-MISSING", message_contains = "核定员额数" } },
      } },
  },
}
