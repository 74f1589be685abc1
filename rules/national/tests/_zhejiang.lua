-- Test data for the court-level rules (files starting with _ are helpers, not
-- tests): the small province 浙 of tests/e2e/test_court_rules.sh, record for
-- record, built to sit on each threshold and one step past it.
--
--   浙     高级  2026: central 200, quota 75 (37.50%), quota_filled missing
--   浙01   中级  2026: central 100, quota 39 (exactly 39%), admin 50 (not 基层)
--   浙0102 基层  2026: central 100, quota 40 (40%), admin 15 (exactly 15%); 2025 and 2027 too
--   浙0105 基层  2025 only: central 200, quota 70 (35%), admin 31 (15.5%)
--   浙02   中级  2026: central 100, quota 30; no people; reports 零报告 every month
local M = {}

local function court(code, name, level, parent, staffing)
  return { type = "court", code = code, name = name, level = level, parent = parent, staffing = staffing }
end

local function staffing(year, authorized, central, allotted, filled, admin)
  return { year = year, authorized_staff = authorized, central_special_staff = central, quota_allotted = allotted,
           quota_filled = filled, admin_staff = admin }
end

-- The court records; a test's own data may replace one (same code).
M.courts = {
  zhe = court("浙", "浙江省高级人民法院", "高级", nil, { staffing(2026, 210, 200, 75, nil, 20) }),
  hz = court("浙01", "杭州市中级人民法院", "中级", "浙", { staffing(2026, 110, 100, 39, 39, 50) }),
  shangcheng = court("浙0102", "杭州市上城区人民法院", "基层", "浙01", {
    staffing(2025, 105, 100, 30, 28, 20), staffing(2026, 110, 100, 40, 37, 15), staffing(2027, 110, 100, 90, 90, 90) }),
  gongshu = court("浙0105", "杭州市拱墅区人民法院", "基层", "浙01", { staffing(2025, 220, 200, 70, 60, 31) }),
  nb = court("浙02", "宁波市中级人民法院", "中级", "浙", { staffing(2026, 120, 100, 30, 30) }),
}

-- A copy of court record `c` with `changes` over it (staffing replaced whole).
function M.with(c, changes)
  local copy = {}
  for k, v in pairs(c) do
    copy[k] = v
  end
  for k, v in pairs(changes) do
    copy[k] = v
  end
  return copy
end

M.staffing = staffing

local function person(id, court_code, name, roles, in_quota, more)
  local p = { type = "person", id = id, court = court_code, name = name, roles = roles, in_quota = in_quota }
  for k, v in pairs(more or {}) do
    p[k] = v
  end
  return p
end

-- A closing date in 2026Q1 for case number n.
local function q1(n)
  return string.format("2026-%02d-%02d", n % 3 + 1, n % 27 + 2)
end

-- A case record: case_no "(year)court type seq号", closed on `closed` if given.
function M.case(court_code, year, type_code, seq, filed, closed, presiding, judges)
  return { type = "case", case_no = string.format("(%d)%s%s%d号", year, court_code, type_code, seq),
           filing_date = filed, status = closed and "已结" or "在办", closing_date = closed,
           presiding = presiding, judges = judges or { presiding } }
end

-- A monthly interference report of court for month (data.month), dated at.
function M.report(court_code, month, at, count)
  return { type = "event", id = "IR-" .. court_code .. "-" .. month, court = court_code, event = "interference_report",
           at = at .. "T09:00", data = { month = month, count = count } }
end

-- The whole province: courts, people, cases, events (in ingest order).
function M.province()
  local d = {}
  local function add(r)
    d[#d + 1] = r
  end
  for _, key in ipairs({ "zhe", "hz", "shangcheng", "gongshu", "nb" }) do
    add(M.courts[key])
  end

  add(person("A-P", "浙0102", "甲院长", { "院长" }, true, { start_date = "2020-01-01" }))
  add(person("A-V", "浙0102", "乙副院长", { "副院长", "审判长" }, true))
  add(person("A-X", "浙0102", "丙副院长", { "副院长" }, false))
  add(person("A-C", "浙0102", "丁庭长", { "庭长", "员额法官" }, true, { division = "民一庭" }))
  add(person("A-D", "浙0102", "戊副庭长", { "副庭长" }, true, { division = "民一庭", start_date = "2026-02-01" }))
  add(person("A-L", "浙0102", "己法官", { "员额法官" }, true, { start_date = "2019-01-01", end_date = "2025-12-31" }))
  add(person("B-P", "浙0105", "庚院长", { "院长" }, true))
  add(person("B-C", "浙0105", "辛庭长", { "庭长" }, true))
  add(person("B-J1", "浙0105", "壬法官", { "员额法官" }, true))
  add(person("B-J2", "浙0105", "癸法官", { "员额法官" }, true))
  add(person("M-P", "浙01", "中院长", { "院长" }, true))
  add(person("M-V", "浙01", "中副院长", { "副院长" }, true))
  add(person("M-C", "浙01", "中庭长", { "庭长" }, true))
  add(person("M-J1", "浙01", "中法官一", { "员额法官" }, true))
  add(person("M-J2", "浙01", "中法官二", { "员额法官" }, true))
  -- Six more in-quota judges at 浙0102: with A-P, A-V, A-C and A-D (in post
  -- from 2026-02-01) 10 judges in 2026Q1; A-L left before it, A-X is not in quota.
  for i = 1, 6 do
    add(person("A-J" .. i, "浙0102", "法官" .. i, { "员额法官" }, true))
  end

  -- 浙0102: 200 cases closed in 2026Q1 -> average 20.00. A-P sits on case 1
  -- (judges, not presiding): 1 = 5% of 20. A-V presides 2-6: 5 < 30% of 20.
  -- A-C presides 7-16: 10 = 50% of 20. The rest go to A-J1..6.
  add(M.case("浙0102", 2026, "民初", 1, "2026-01-02", q1(1), "A-J1", { "A-J1", "A-P", "A-J2" }))
  for n = 2, 6 do
    add(M.case("浙0102", 2026, "民初", n, "2026-01-02", q1(n), "A-V"))
  end
  for n = 7, 16 do
    add(M.case("浙0102", 2026, "民初", n, "2026-01-02", q1(n), "A-C"))
  end
  for n = 17, 200 do
    add(M.case("浙0102", 2026, "民初", n, "2026-01-02", q1(n), "A-J" .. (n % 6 + 1)))
  end
  -- A-V's cases outside the quarter do not count.
  add(M.case("浙0102", 2025, "民初", 1, "2025-12-01", "2025-12-31", "A-V"))
  add(M.case("浙0102", 2026, "民初", 201, "2026-01-05", "2026-04-01", "A-V"))
  add(M.case("浙0102", 2026, "民初", 202, "2026-01-05", nil, "A-V"))
  -- 浙0105: 40 closed, 4 judges -> average 10.00; B-P none (< 0.50), B-C 5 (= 5.00).
  for n = 1, 5 do
    add(M.case("浙0105", 2026, "民初", n, "2026-01-02", q1(n), "B-C"))
  end
  for n = 6, 40 do
    add(M.case("浙0105", 2026, "民初", n, "2026-01-02", q1(n), "B-J" .. (n % 2 + 1)))
  end
  -- 浙01: 20 of its own closed (not the 240 below it), 5 judges -> 4.00;
  -- M-P 1 (>= 0.20), M-V none (< 0.80), M-C: no 中级 庭长 figure.
  add(M.case("浙01", 2026, "民终", 1, "2026-01-02", "2026-02-01", "M-P"))
  for n = 2, 20 do
    add(M.case("浙01", 2026, "民终", n, "2026-01-02", q1(n), "M-J" .. (n % 2 + 1)))
  end
  -- 浙: 2 of its own; no people of its own.
  add(M.case("浙", 2026, "民终", 1, "2026-01-02", "2026-02-01", "M-J1"))
  add(M.case("浙", 2026, "民终", 2, "2026-01-02", "2026-02-02", "M-J1"))
  -- 浙02: 10 pending cases filed in the last 12 months (allocation caseload).
  for n = 1, 10 do
    add(M.case("浙02", 2025, "民初", n, "2025-06-01", nil, "M-J1"))
  end

  -- Supervision by A-P in 2026Q1 (3) and after it (1): reported, never offsetting.
  for _, at in ipairs({ "2026-01-10", "2026-02-10", "2026-03-10", "2026-04-02" }) do
    add({ type = "event", id = "S-" .. at, case_no = "(2026)浙0102民初20号", event = "supervision", at = at,
          actor = "A-P" })
  end
  -- Monthly reports 2025-01..2026-03, dated the 3rd of the next month, except:
  -- 浙 misses 2025-06; 浙0102 misses 2025-09 and reports 2026-01 late
  -- (2026-03-02, with 2026-02's on 2026-03-04); 浙0105 reports 2025-12 early
  -- (2025-12-31) and misses 2026-03; 浙01 reports 2026-03 on 2026-04-07, the
  -- due date (the 5th, Qingming holiday to the 6th); 浙02 reports 0 each month.
  local missing = { ["浙:2025-06"] = true, ["浙0102:2025-09"] = true, ["浙0105:2026-03"] = true }
  local dated = { ["浙0102:2026-01"] = "2026-03-02", ["浙0102:2026-02"] = "2026-03-04",
                  ["浙0105:2025-12"] = "2025-12-31", ["浙01:2026-03"] = "2026-04-07" }
  for _, c in ipairs({ "浙", "浙01", "浙02", "浙0102", "浙0105" }) do
    for k = 0, 14 do
      local y, m = 2025 + k // 12, k % 12 + 1
      local month = string.format("%d-%02d", y, m)
      local at = m == 12 and string.format("%d-01-03", y + 1) or string.format("%d-%02d-03", y, m + 1)
      if not missing[c .. ":" .. month] then
        add(M.report(c, month, dated[c .. ":" .. month] or at, c == "浙02" and 0 or 1))
      end
    end
  end
  return d
end

return M
