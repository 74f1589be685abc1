-- 江苏高院规则集关闭了全国基线的审限规则（"disable": ["time_limits"]）。
return {
  as_of = "2026-03-31",
  cases = {
    { name = "time_limits is switched off for Jiangsu courts", rule = "time_limits",
      case = { case_no = "(2026)苏0102民初9001号", filing_date = "2026-01-05", status = "在办",
               procedure = "普通" },
      expect = { not_applicable = true } },
  },
}
