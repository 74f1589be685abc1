-- 江苏's own assignment rule (it replaces the national one for 苏 courts).
-- The 填平 comparison reads ctx.query: the first case gives it data; the
-- others have none, so there a 填平 check is skipped.
local function person(id, name, division)
  return { type = "person", id = id, court = "苏0102", name = name, roles = { "员额法官" }, in_quota = true,
           division = division }
end

-- An open case of 苏0102 presided by judge (the case under test is not stored).
local function open_case(seq, judge)
  return { type = "case", case_no = string.format("(2026)苏0102民初%d号", seq), filing_date = "2026-01-05",
           status = "在办", presiding = judge, judges = { judge } }
end

return {
  rule = "assignment", as_of = "2026-03-31",
  cases = {
    -- P-苏0102-0001 presides 4 stored cases open on 2026-03-02 (3 once this
    -- one is left out); the other two 民一庭 quota judges 1 each (average
    -- 1.0); 民二庭's judge is not a peer.
    { name = "填平 designation to a judge above the division's average: checked against caseloads",
      data = {
        { type = "court", code = "苏01", name = "南京市中级人民法院", level = "中级" },
        { type = "court", code = "苏0102", name = "南京市玄武区人民法院", level = "基层", parent = "苏01" },
        person("P-苏0102-0001", "甲法官", "民一庭"), person("P-苏0102-0002", "乙法官", "民一庭"),
        person("P-苏0102-0003", "丙法官", "民一庭"), person("P-苏0102-0004", "丁法官", "民二庭"),
        open_case(11, "P-苏0102-0001"), open_case(12, "P-苏0102-0001"), open_case(13, "P-苏0102-0001"),
        open_case(14, "P-苏0102-0001"), open_case(15, "P-苏0102-0002"), open_case(16, "P-苏0102-0003"),
        open_case(17, "P-苏0102-0004"), open_case(18, "P-苏0102-0004"),
      },
      case = { case_no = "(2026)苏0102民初1号", filing_date = "2026-03-02", status = "在办", presiding = "P-苏0102-0001",
               events = { { event = "designated_assignment", at = "2026-03-02", reason = "填平分案" } } },
      expect = { result = { mode = "指定", reasons = { "2026-03-02 指定分案，理由：填平分案" },
                            fill = { load = 3, average = "1.0", peers = 2 } },
                 alerts = { { code = "JS-ASSIGN-FILL-UNJUSTIFIED", severity = "warning",
                              message_contains = "承办法官当日在办案件 3 件，高于同部门员额法官平均 1.0 件" } },
                 log_contains = "填平: P-苏0102-0001 had 3 open cases on 2026-03-02; 2 peers, 2 in all" } },
    { name = "填平 designation without a presiding judge",
      case = { case_no = "(2026)苏0102民初8号", filing_date = "2026-03-02", status = "在办",
               events = { { event = "designated_assignment", at = "2026-03-02", reason = "填平" } } },
      expect = { alerts = {}, log_contains = "填平 check skipped: no presiding judge" } },
    { name = "other designated reasons are not 填平",
      case = { case_no = "(2026)苏0102民初2号", filing_date = "2026-03-02", status = "在办",
               events = { { event = "designated_assignment", at = "2026-03-02", reason = "关联案件由同一承办人办理" } } },
      expect = { result = { mode = "指定" }, alerts = {} } },
    { name = "designated without a reason",
      case = { case_no = "(2026)苏0102民初3号", filing_date = "2026-03-02", status = "在办",
               events = { { event = "designated_assignment", at = "2026-03-02" } } },
      expect = { alerts = { "ASSIGN-DESIGNATED-NO-REASON" } } },
    { name = "reassigned without a reason or a notice, 6 days ago",
      case = { case_no = "(2026)苏0102民初4号", filing_date = "2026-03-02", status = "在办",
               events = { { event = "assigned", at = "2026-03-02" }, { event = "reassigned", at = "2026-03-25" } } },
      expect = { result = { mode = "随机", reassignments = 1 },
                 alerts = { "ASSIGN-REASSIGN-NO-REASON", "ASSIGN-NOT-NOTIFIED" } } },
    { name = "reassigned 5 days ago: within the notice period",
      case = { case_no = "(2026)苏0102民初5号", filing_date = "2026-03-02", status = "在办",
               events = { { event = "assigned", at = "2026-03-02" },
                          { event = "reassigned", at = "2026-03-26", reason = "回避" } } },
      expect = { alerts = {} } },
    { name = "reassigned and notified by a later event",
      case = { case_no = "(2026)苏0102民初6号", filing_date = "2026-03-02", status = "已结", closing_date = "2026-03-30",
               events = { { event = "assigned", at = "2026-03-02" },
                          { event = "reassigned", at = "2026-03-10", reason = "回避" },
                          { event = "parties_notified", at = "2026-03-11" } } },
      expect = { alerts = {} } },
    { name = "closed without notice",
      case = { case_no = "(2026)苏0102民初7号", filing_date = "2026-03-02", status = "已结", closing_date = "2026-03-30",
               events = { { event = "reassigned", at = "2026-03-10", reason = "回避",
                            data = { parties_notified = false } } } },
      expect = { result = { mode = "未见分案记录" }, alerts = { "ASSIGN-NOT-NOTIFIED" } } },
    -- Replacing the national rule keeps its court-level check: a 员额法官 in
    -- one team since 2019 is past the national 60 months; one since 2024 is not.
    { name = "court level: the national team-rotation check still runs for 苏 courts",
      court_code = "苏0102",
      data = {
        { type = "court", code = "苏01", name = "南京市中级人民法院", level = "中级" },
        { type = "court", code = "苏0102", name = "南京市玄武区人民法院", level = "基层", parent = "苏01" },
        { type = "person", id = "P-OLD", court = "苏0102", name = "甲法官", roles = { "员额法官" }, in_quota = true,
          team = "民一庭速裁团队", start_date = "2019-01-15" },
        { type = "person", id = "P-NEW", court = "苏0102", name = "乙法官", roles = { "员额法官" }, in_quota = true,
          team = "民一庭速裁团队", start_date = "2024-01-15" },
      },
      expect = { result = { team_rotation = { checked = 2,
                   overdue = { { id = "P-OLD", name = "甲法官", team = "民一庭速裁团队", since = "2019-01-15",
                                 months = 86 } } } },
                 alerts = { { code = "ASSIGN-TEAM-NOT-ROTATED", severity = "info",
                              dedup_key = "ASSIGN-TEAM-NOT-ROTATED:P-OLD",
                              message_contains = "南京市玄武区人民法院 甲法官 自 2019-01-15 起在审判团队“民一庭速裁团队”" } } } },
  },
}
