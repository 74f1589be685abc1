-- Helpers for the court-level rules (on_court): staffing years, quarters and
-- months, exact ratios.
-- Loaded with `require "lib.court"`.
local common = require "courtrules.common"

local M = {}

-- The staffing entry for `year`, else the latest year before it; nil if none.
-- court.staffing comes in no particular order.
function M.staffing(court, year)
  local best
  for _, s in ipairs(court.staffing or {}) do
    if s.year <= year and (not best or s.year > best.year) then
      best = s
    end
  end
  return best
end

-- Is the person in post for the whole of [from, to] (whole = true), or for
-- some of it? Missing start/end dates mean "always".
function M.in_post(person, from, to, whole)
  local s, e = person.start_date, person.end_date
  if whole then
    return (not s or s <= from) and (not e or e >= to)
  end
  return (not s or s <= to) and (not e or e >= from)
end

-- The quarter to assess: "last_complete" is the quarter ending on as_of if
-- as_of is a quarter's last day, else the quarter before; "current" is the
-- quarter containing as_of, up to as_of. Returns from, to, key ("2026Q1")
-- and label ("2026年第1季度").
function M.quarter(date, as_of, mode)
  local y, m = tonumber(as_of:sub(1, 4)), tonumber(as_of:sub(6, 7))
  local q = (m - 1) // 3 + 1
  local from = string.format("%04d-%02d-01", y, 3 * q - 2)
  local to = date.add_days(date.add_months(from, 3), -1)
  if mode == "current" then
    to = as_of
  elseif as_of ~= to then
    to = date.add_days(from, -1)
    from = date.add_months(from, -3)
    y, q = tonumber(from:sub(1, 4)), (tonumber(from:sub(6, 7)) - 1) // 3 + 1
  end
  return from, to, string.format("%dQ%d", y, q), string.format("%d年第%d季度", y, q)
end

-- "2026-02" -> "2026年2月"
function M.month_label(month)
  return string.format("%s年%d月", month:sub(1, 4), tonumber(month:sub(6, 7)))
end

-- num/den as a decimal string with two places, rounded half up; for
-- non-negative integers exact, otherwise through floating point.
function M.decimal(num, den)
  if math.type(num) == "integer" and math.type(den) == "integer" then
    local h = (num * 200 + den) // (2 * den)
    return string.format("%d.%02d", h // 100, h % 100)
  end
  return string.format("%.2f", num / den)
end

-- num/den rounded up to hundredths, as a string: a shortfall or a standard
-- never shows less than it is.
function M.decimal_up(num, den)
  local h
  if math.type(num) == "integer" and math.type(den) == "integer" then
    h = (num * 100 + den - 1) // den
  else
    h = math.ceil(num * 100 / den - 1e-9)
  end
  return string.format("%d.%02d", h // 100, h % 100)
end

-- num/den as a percentage string with two places ("15.00").
function M.percent(num, den)
  return M.decimal(num * 100, den)
end

M.contains = common.contains

-- For schedules that report what a rule's on_court finds: a ctx whose
-- ctx.alert collects the alerts into `found` instead of raising them, so a
-- scheduled report reuses the rule's logic and raises one summary alert of
-- its own (the rule's own alerts stay with evaluations).
function M.collecting(ctx)
  local found = {}
  local proxy = setmetatable({ alert = function(a) found[#found + 1] = a end }, { __index = ctx })
  return proxy, found
end

return M
