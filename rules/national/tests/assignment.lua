-- National assignment. Courts are in 浙 (苏 replaces this rule).
local function case_with(no, events, more)
  local case = { case_no = no, filing_date = "2026-03-02", status = "在办", events = events }
  for k, v in pairs(more or {}) do
    case[k] = v
  end
  return case
end

return {
  rule = "assignment", as_of = "2026-03-31",
  cases = {
    { name = "random assignment",
      case = case_with("(2026)浙0106民初1号", { { event = "assigned", at = "2026-03-02T10:00:00", actor = "随机分案系统" } }),
      expect = { result = { mode = "随机", assigned_on = "2026-03-02", reassignments = 0, reasons = {} }, alerts = {} } },
    { name = "designated assignment with a reason",
      case = case_with("(2026)浙0106民初2号", { { event = "designated_assignment", at = "2026-03-02",
                                              reason = "院庭长办理四类案件" } }),
      expect = { result = { mode = "指定", reasons = { "2026-03-02 指定分案，理由：院庭长办理四类案件" } }, alerts = {} } },
    { name = "designated assignment without a reason",
      case = case_with("(2026)浙0106民初3号", { { event = "designated_assignment", at = "2026-03-02" } }),
      expect = { result = { mode = "指定" },
                 alerts = { { code = "ASSIGN-DESIGNATED-NO-REASON", message_contains = "2026-03-02 指定分案" } } } },
    { name = "a reason of blanks is no reason",
      case = case_with("(2026)浙0106民初4号", { { event = "designated_assignment", at = "2026-03-02", reason = "  " } }),
      expect = { alerts = { "ASSIGN-DESIGNATED-NO-REASON" } } },
    { name = "reassigned with reason, parties notified in the event",
      case = case_with("(2026)浙0106民初5号", {
        { event = "assigned", at = "2026-03-02" },
        { event = "reassigned", at = "2026-03-10", reason = "承办法官回避", data = { parties_notified = true } } }),
      expect = { result = { reassignments = 1, reasons = { "2026-03-10 变更承办，理由：承办法官回避" } }, alerts = {} } },
    { name = "reassigned without a reason, notified later",
      case = case_with("(2026)浙0106民初6号", {
        { event = "assigned", at = "2026-03-02" },
        { event = "reassigned", at = "2026-03-10" },
        { event = "parties_notified", at = "2026-03-11" } }),
      expect = { alerts = { "ASSIGN-REASSIGN-NO-REASON" } } },
    { name = "reassigned 6 days ago, parties not notified",
      case = case_with("(2026)浙0106民初7号", {
        { event = "assigned", at = "2026-03-02" },
        { event = "reassigned", at = "2026-03-25", reason = "工作调动" } }),
      expect = { alerts = { { code = "ASSIGN-NOT-NOTIFIED", message_contains = "2026-03-25" } } } },
    { name = "reassigned 5 days ago: still within the notice period",
      case = case_with("(2026)浙0106民初8号", {
        { event = "assigned", at = "2026-03-02" },
        { event = "reassigned", at = "2026-03-26", reason = "工作调动" } }),
      expect = { result = { reasons = { "2026-03-26 变更承办，理由：工作调动", "2026-03-26 变更承办，尚在5日告知期限内" } },
                 alerts = {} } },
    { name = "a notice before the reassignment does not count",
      case = case_with("(2026)浙0106民初9号", {
        { event = "parties_notified", at = "2026-03-03" },
        { event = "reassigned", at = "2026-03-10", reason = "身体健康原因" } }),
      expect = { alerts = { "ASSIGN-NOT-NOTIFIED" } } },
    { name = "closed without notifying the parties of a change",
      case = case_with("(2026)浙0106民初10号", {
        { event = "assigned", at = "2026-03-02" },
        { event = "reassigned", at = "2026-03-20", reason = "廉政风险" } }, { status = "已结", closing_date = "2026-03-21" }),
      expect = { alerts = { "ASSIGN-NOT-NOTIFIED" } } },
    { name = "two changes, each checked",
      case = case_with("(2026)浙0106民初11号", {
        { event = "assigned", at = "2026-03-02" },
        { event = "reassigned", at = "2026-03-05", data = { parties_notified = true } },
        { event = "reassigned", at = "2026-03-12", reason = "工作调动" },
        { event = "designated_assignment", at = "2026-03-12" } }),
      expect = { result = { mode = "随机", reassignments = 2 },
                 alerts = { "ASSIGN-REASSIGN-NO-REASON", "ASSIGN-NOT-NOTIFIED", "ASSIGN-DESIGNATED-NO-REASON" } } },
    { name = "no assignment record",
      case = case_with("(2026)浙0106民初12号", {}),
      expect = { result = { mode = "未见分案记录" }, alerts = {} } },
  },
}
