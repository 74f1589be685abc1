-- The national four_category rule with 广东's params: 涉港澳台 and 涉外 cases
-- are 四类 signals (added to the national flag table key by key), and the
-- report is due within 3 days.
return {
  rule = "four_category", as_of = "2026-03-31",
  cases = {
    { name = "涉港澳台 is a 四类 signal in 粤",
      case = { case_no = "(2026)粤0304民初1号", filing_date = "2026-03-30", status = "在办",
               flags = { hmt_element = true }, events = {} },
      expect = { result = { categories = { "重大疑难复杂敏感" }, reasons = { "（一）涉港澳台案件" } },
                 alerts = { "4C-PREFLAG" } } },
    { name = "涉外 too, and the national flags still count",
      case = { case_no = "(2026)粤0304民初2号", filing_date = "2026-03-30", status = "在办",
               flags = { foreign_element = true,
                         public_interest = true }, events = { { event = "flag_confirmed", at = "2026-03-30" } } },
      expect = { result = { reasons = { "（一）涉外案件", "（一）涉及国家利益、社会公共利益" } }, alerts = {} } },
    { name = "report due 3 days after identification: day 3",
      as_of = "2026-03-23",
      case = { case_no = "(2026)粤0304民初3号", filing_date = "2026-03-20", status = "在办", party_count = 10,
               events = { { event = "flag_confirmed", at = "2026-03-20" } } },
      expect = { result = { report_due = "2026-03-23" }, alerts = {} } },
    { name = "report due 3 days after identification: day 4",
      as_of = "2026-03-24",
      case = { case_no = "(2026)粤0304民初4号", filing_date = "2026-03-20", status = "在办", party_count = 10,
               events = { { event = "flag_confirmed", at = "2026-03-20" } } },
      expect = { alerts = { "4C-NOT-REPORTED" } } },
    { name = "the national 群体性 threshold (10) holds in 粤",
      case = { case_no = "(2026)粤0304民初5号", filing_date = "2026-03-30", status = "在办", party_count = 9, events = {} },
      expect = { result = { categories = {} }, alerts = {} } },
  },
}
