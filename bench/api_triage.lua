-- wrk script for bench/api.sh: POST /v1/triage with persist:false (the
-- filing system's call while a clerk files a case: evaluated, nothing
-- stored). Cycles through a few first-instance cases so the rules see
-- different procedures, amounts and party counts. The token comes from
-- $COURTRULES_TOKEN.
local token = os.getenv("COURTRULES_TOKEN") or ""
local cases = {
  { "民初", "民间借贷纠纷", "普通", "3000.00", 2 },
  { "民初", "买卖合同纠纷", "简易", "250000.00", 3 },
  { "民初", "建设工程施工合同纠纷", "普通", "8000000.00", 14 },
  { "行初", "行政许可", "普通", "0.00", 2 },
}
local bodies = {}
for i, c in ipairs(cases) do
  bodies[i] = string.format(
    '{"persist":false,"as_of":"2025-06-30","case":{"case_no":"(2025)苏01%s%d号","court":"苏01",' ..
    '"kind":"%s","cause":"%s","procedure":"%s","filing_date":"2025-06-02","claim_amount":"%s",' ..
    '"status":"在办","party_count":%d}}',
    c[1], 9000 + i, c[1] == "行初" and "行政" or "民事", c[2], c[3], c[4], c[5])
end
-- The requests are formatted once: the load generator shares the two cores
-- with the daemon, and healthz's request (wrk's own) is not built per call
-- either.
local requests = {}
for i, body in ipairs(bodies) do
  requests[i] = wrk.format("POST", "/v1/triage",
    { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }, body)
end
local n = 0
request = function()
  n = n + 1
  return requests[n % #requests + 1]
end
