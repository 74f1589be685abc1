-- 江苏 caseload helpers over ctx.query, for the 填平 check of assignment.lua
-- (and any local rule that compares judges' open caseloads).
local M = {}

-- Open cases of a judge on day d (this case excluded when it is theirs).
local function open_caseload(query, court, judge, d)
  return query.count_cases{ court = court, judge = judge, filed_to = d }
    - query.count_cases{ court = court, judge = judge, closed_to = d }
end

-- nil when fine or not checkable; else { load =, average =, peers = }.
function M.fill_check(case, ctx, day)
  local query, judge = ctx.query, case.presiding
  if not query or not judge then
    ctx.log("填平 check skipped: %s", query and "no presiding judge" or "ctx.query is not available")
    return nil
  end
  local ok, people = pcall(query.people, { court = case.court, role = "员额法官", in_quota = true })
  if not ok then
    ctx.log("填平 check skipped: %s", tostring(people))
    return nil
  end
  local division
  for _, person in ipairs(people) do
    if person.id == judge then
      division = person.division
    end
  end
  local total, peers = 0, 0
  for _, person in ipairs(people) do
    local active = (not person.start_date or person.start_date <= day)
      and (not person.end_date or person.end_date >= day)
    if person.id ~= judge and active and (not division or person.division == division) then
      total = total + open_caseload(query, case.court, person.id, day)
      peers = peers + 1
    end
  end
  if peers == 0 then
    ctx.log("填平 check skipped: no other quota judge in %s %s", case.court, division or "")
    return nil
  end
  local load = open_caseload(query, case.court, judge, day) - 1
  ctx.log("填平: %s had %d open cases on %s; %d peers, %d in all", judge, load, day, peers, total)
  if load * peers * 100 > total * ctx.params.fill_max_percent_of_average then
    return { load = load, average = string.format("%.1f", total / peers), peers = peers }
  end
  return nil
end

M.open_caseload = open_caseload

return M
