-- The national four_category rule with 江苏's params: 群体性 from 5 parties,
-- the local 涉众 cause list, 3 parties for administrative 涉众 causes.
local function handled(filed)
  return {
    { event = "flag_confirmed", at = filed },
    { event = "reported_to_president", at = filed },
    { event = "submitted_to_professional_meeting", at = filed },
  }
end

return {
  rule = "four_category", as_of = "2026-03-31",
  cases = {
    { name = "5 parties is a mass dispute in 苏",
      case = { case_no = "(2026)苏0102民初1号", filing_date = "2026-03-20", status = "在办", party_count = 5, events = {} },
      expect = { result = { categories = { "群体性" },
                            reasons = { "（二）当事人或者被害人人数众多（5人，标准5人以上）" } },
                 alerts = { "4C-PREFLAG", "4C-NOT-REPORTED" } } },
    { name = "4 parties is not",
      case = { case_no = "(2026)苏0102民初2号", filing_date = "2026-03-20", status = "在办", party_count = 4, events = {} },
      expect = { result = { categories = {} }, alerts = {} } },
    { name = "the local 涉众 list names 物业服务合同",
      case = { case_no = "(2026)苏0102民初3号", filing_date = "2026-03-20", status = "在办", party_count = 6,
               cause = "物业服务合同纠纷", events = handled("2026-03-20") },
      expect = { result = { reasons = { "（二）当事人或者被害人人数众多（6人，标准5人以上），涉众案由（物业服务合同）" } },
                 alerts = {} } },
    { name = "administrative 征收 with 3 plaintiffs (mass_cause_min_parties.行政 = 3)",
      case = { case_no = "(2026)苏0102行初1号", filing_date = "2026-03-20", status = "在办", party_count = 3,
               cause = "房屋征收与补偿", events = handled("2026-03-20") },
      expect = { result = { reasons = { "（二）涉众案由（征收），当事人3人" } }, alerts = {} } },
    { name = "the national civil minimum (5) still holds: merged key by key",
      case = { case_no = "(2026)苏0102民初4号", filing_date = "2026-03-20", status = "在办", party_count = 4,
               cause = "民间借贷纠纷", events = {} },
      expect = { result = { categories = {} }, alerts = {} } },
    { name = "single judge in a 5-party mass dispute",
      case = { case_no = "(2026)苏0102民初5号", filing_date = "2026-03-20", status = "在办", party_count = 5,
               trial_org = "独任", events = handled("2026-03-20") },
      expect = { result = { single_judge = { grounds = { "涉及群体性纠纷（当事人5人）" } } }, alerts = { "4C-SINGLE-JUDGE" } } },
    { name = "the national report period (7 days) applies in 苏",
      as_of = "2026-03-27",
      case = { case_no = "(2026)苏0102民初6号", filing_date = "2026-03-20", status = "在办", party_count = 5,
               events = { { event = "flag_confirmed", at = "2026-03-21" } } },
      expect = { result = { report_due = "2026-03-27" }, alerts = {} } },
  },
}
