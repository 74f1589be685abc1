-- 广东高院不采用全国基线的繁简分流规则（"disable": ["triage"]）。
return {
  as_of = "2026-03-31",
  cases = {
    { name = "triage is switched off for Guangdong courts", rule = "triage",
      case = { case_no = "(2026)粤0703民初9001号", filing_date = "2026-01-05", status = "在办",
               claim_amount = "5000.00", procedure = "简易" },
      expect = { not_applicable = true } },
    { name = "triage still applies outside Guangdong", rule = "triage",
      case = { case_no = "(2026)浙0102民初9002号", filing_date = "2026-01-05", status = "在办",
               claim_amount = "5000.00", procedure = "简易" },
      expect = { result = { current = "简易", applicable = true } } },
  },
}
