-- The national triage rule with 江苏's params: its small-claims figures and
-- effective dates, and its 群体性 threshold (5) as "major social impact" for
-- criminal cases.
local function claim(no, filed, amount, procedure)
  return { case_no = no, filing_date = filed, status = "在办", procedure = procedure, claim_amount = amount,
           parties = { { name = "甲", role = "原告" }, { name = "乙", role = "被告" } }, events = {} }
end

return {
  rule = "triage", as_of = "2026-03-31",
  cases = {
    { name = "苏: just over the 2026 limit",
      case = claim("(2026)苏0581民初1号", "2026-03-02", "64610.01", "小额诉讼"),
      expect = { result = { permissible = false,
                            small_claims = { limit = "64610.00",
                                             standard = "江苏高院：自2026年1月4日起小额诉讼标的额 64610 元，双方约定适用上限 258440 元" } },
                 alerts = { "TRIAGE-LEAVE-SMALL-CLAIMS" } } },
    { name = "苏: exactly at the 2026 limit",
      case = claim("(2026)苏0581民初2号", "2026-03-02", "64610.00", "小额诉讼"),
      expect = { result = { recommended = "小额诉讼", permissible = true }, alerts = {} } },
    { name = "苏: the 2026 figures start on 2026-01-04",
      case = claim("(2026)苏0581民初3号", "2026-01-04", "64610.00", "简易"),
      expect = { result = { recommended = "小额诉讼", small_claims = { effective_from = "2026-01-04" } },
                 alerts = { "TRIAGE-SHOULD-SMALL-CLAIMS" } } },
    { name = "苏: 2025 filings use the 2024 figures",
      case = claim("(2025)苏0581民初1号", "2025-09-01", "60862.01", "小额诉讼"),
      expect = { result = { small_claims = { limit = "60862.00" } }, alerts = { "TRIAGE-LEAVE-SMALL-CLAIMS" } } },
    { name = "苏: 5 victims make a criminal case one of major impact",
      case = { case_no = "(2026)苏0581刑初1号", filing_date = "2026-03-20", status = "在办", procedure = "速裁",
               cause = "诈骗罪", party_count = 5, flags = { guilty_plea = true }, events = {} },
      expect = { result = { recommended = "普通" },
                 alerts = { { code = "TRIAGE-LEAVE-FAST-TRACK", message_contains = "涉案人数众多（5人）" } } } },
  },
}
