-- 员额与人员编制（法发〔2020〕26号 第14、15、16、20条）, per court, from
-- court.staffing for the as-of year, else the latest year before it.
--
-- STAFF-ADMIN-OVER: at the levels in staffing.admin_levels (基层),
--   admin_staff * 100 > central_special_staff * admin_max_percent (15): exactly
--   15% is within the limit (第20条).
-- STAFF-QUOTA-OVER-CAP: quota_allotted * 100 > central_special_staff *
--   quota_cap_percent (39), the national cap, checked per court.
-- STAFF-PROVINCE-QUOTA-OVER-CAP (high court): the same cap over the summed
--   figures of every court of the province, the high court included.
-- STAFF-HIGH-COURT-RATIO (high court): its quota ratio above the average of
--   the basic courts under it (第14条); "mean" averages the courts' ratios
--   (compared to within 1e-9), "pooled" divides the summed figures (exact).
-- STAFF-DATA-MISSING (info): no staffing entry up to the as-of year, or the
--   entry lacks a figure a check needs (第15条: keep 编制/员额 data current).
--   The checks that lack data are skipped.
--
-- Result: the figures used, vacancies = quota_allotted - quota_filled and the
-- most alternates recommendable, floor(vacancies * alternate_max_percent /
-- 100) (第16条). A high court's result also proposes how the quota of the
-- courts under its intermediate courts could be shared among those
-- prefectures (第14条: by authorized staffing, caseload and caseload per
-- judge); see allocation() below. No alert comes of the proposal.
local lib = require "lib.court"

local ITEM14 = "法发〔2020〕26号 第14条"
local LABELS = { central_special_staff = "中央政法专项编制数", quota_allotted = "核定员额数", quota_filled = "员额实有人数",
                 admin_staff = "司法行政人员数" }

-- Is every one of `fields` present in entry?
local function missing_fields(entry, fields)
  local missing = {}
  for _, f in ipairs(fields) do
    if entry[f] == nil then
      missing[#missing + 1] = LABELS[f]
    end
  end
  return missing
end

-- The proposal: every court under the high court belongs to the intermediate
-- court whose code its own extends (courts under none are left out). The
-- pool is the quota currently allotted to those courts. A prefecture's share
-- is the weighted sum, over the factors, of its part of the province total:
--   authorized_staff   核定编制 (central_special_staff where not given)
--   caseload           cases filed in the window_months up to the as-of date
--   caseload_per_judge caseload / quota_filled (at least 1)
-- weights in params (a factor whose total is 0 is left out and the others
-- reweighted); proposed = the pool split by share, largest remainders first
-- (ties by court code) so the proposals add up to the pool.
local function allocation(ctx, court, all, year, a)
  local units, by_code = {}, {}
  for _, c in ipairs(all) do
    if c.level == "中级" then
      local unit = { court = c.code, name = c.name, current = 0, filled = 0, authorized_staff = 0, courts = 0 }
      units[#units + 1] = unit
      by_code[c.code] = unit
    end
  end
  local outside = {}
  for _, c in ipairs(all) do
    local unit
    for len = #c.code, #court.code + 1, -1 do
      unit = unit or by_code[c.code:sub(1, len)]
    end
    local s = lib.staffing(c, year)
    if c.code ~= court.code then
      if not unit then
        outside[#outside + 1] = c.code
      elseif s then
        unit.courts = unit.courts + 1
        unit.current = unit.current + (s.quota_allotted or 0)
        unit.filled = unit.filled + (s.quota_filled or 0)
        unit.authorized_staff = unit.authorized_staff + (s.authorized_staff or s.central_special_staff or 0)
      end
    end
  end
  local from = ctx.date.add_days(ctx.date.add_months(ctx.as_of, -a.window_months), 1)
  local pool, totals = 0, { authorized_staff = 0, caseload = 0, caseload_per_judge = 0 }
  for _, unit in ipairs(units) do
    unit.caseload = ctx.query.count_cases{ court = unit.court, filed_from = from, filed_to = ctx.as_of }
    local per_judge = unit.caseload / math.max(unit.filled, 1)
    unit.per_judge = lib.decimal(unit.caseload, math.max(unit.filled, 1))
    unit.x = { authorized_staff = unit.authorized_staff, caseload = unit.caseload, caseload_per_judge = per_judge }
    pool = pool + unit.current
    for f in pairs(totals) do
      totals[f] = totals[f] + unit.x[f]
    end
  end
  local weight_sum, used = 0, {}
  for _, f in ipairs({ "authorized_staff", "caseload", "caseload_per_judge" }) do
    local w = a.weights[f] or 0
    if w > 0 and totals[f] > 0 then
      weight_sum = weight_sum + w
      used[f] = w
    end
  end
  local given = 0
  for _, unit in ipairs(units) do
    local share = 0
    if weight_sum > 0 then
      for f, w in pairs(used) do
        share = share + w * unit.x[f] / totals[f]
      end
      share = share / weight_sum
    end
    local exact = pool * share
    unit.proposed = math.floor(exact + 1e-9)
    unit.remainder = exact - unit.proposed
    unit.share = lib.percent(share, 1)
    given = given + unit.proposed
  end
  local order = {}
  for i = 1, #units do
    order[i] = units[i]
  end
  table.sort(order, function(x, y)
    if math.abs(x.remainder - y.remainder) > 1e-9 then
      return x.remainder > y.remainder
    end
    return x.court < y.court
  end)
  for i = 1, math.min(pool - given, #order) do
    order[i].proposed = order[i].proposed + 1
  end
  local rows = {}
  for _, unit in ipairs(units) do
    rows[#rows + 1] = { court = unit.court, name = unit.name, courts = unit.courts, current = unit.current,
                        proposed = unit.proposed, change = unit.proposed - unit.current, share = unit.share,
                        authorized_staff = unit.authorized_staff, caseload = unit.caseload,
                        judges = unit.filled, per_judge = unit.per_judge }
  end
  local weights = {}
  for f, w in pairs(used) do
    weights[f] = w
  end
  return { pool = pool, filed_from = from, filed_to = ctx.as_of, weights = weights, units = rows,
           outside = outside }
end

return {
  name = "staffing",
  version = "2026.1",
  on_court = function(court, ctx)
    local p = ctx.params.staffing
    local year = tonumber(ctx.as_of:sub(1, 4))
    local result = { year = year, reasons = {} }
    local reasons = result.reasons
    local missing = {}
    local s = lib.staffing(court, year)
    if not s then
      missing[#missing + 1] = string.format("%d年及以前年度的编制员额数据", year)
    else
      result.staffing_year = s.year
      result.staffing = { authorized_staff = s.authorized_staff, central_special_staff = s.central_special_staff,
                          quota_allotted = s.quota_allotted, quota_filled = s.quota_filled,
                          admin_staff = s.admin_staff }
      if s.year < year then
        reasons[#reasons + 1] = string.format("未见%d年数据，按%d年数据计算", year, s.year)
      end
      local central = s.central_special_staff
      if central == 0 then
        central = nil
        reasons[#reasons + 1] = "中央政法专项编制为0，不计算比例"
      end
      local needed = { "central_special_staff", "quota_allotted", "quota_filled" }
      local admin_checked = lib.contains(p.admin_levels, court.level)
      if admin_checked then
        needed[#needed + 1] = "admin_staff"
      end
      for _, f in ipairs(missing_fields(s, needed)) do
        missing[#missing + 1] = f
      end

      if s.quota_allotted and s.quota_filled then
        result.vacancies = s.quota_allotted - s.quota_filled
        if result.vacancies < 0 then
          reasons[#reasons + 1] = string.format("员额实有 %d 人，超过核定员额 %d 名", s.quota_filled, s.quota_allotted)
        end
        result.max_alternates = math.max(result.vacancies, 0) * p.alternate_max_percent // 100
      end
      if central and admin_checked and s.admin_staff then
        result.admin_percent = lib.percent(s.admin_staff, central)
        if s.admin_staff * 100 > central * p.admin_max_percent then
          ctx.alert{
            code = "STAFF-ADMIN-OVER",
            severity = "warning",
            message = string.format("%s %d年司法行政人员 %d 人，占中央政法专项编制 %d 名的 %s%%，超过 %s%% 的控制比例",
              court.name, s.year, s.admin_staff, central, result.admin_percent, tostring(p.admin_max_percent)),
            basis = "法发〔2020〕26号 第20条",
            data = { year = s.year, admin_staff = s.admin_staff, central_special_staff = central,
                     percent = result.admin_percent, max_percent = p.admin_max_percent },
          }
        end
      end
      if central and s.quota_allotted then
        result.quota_percent = lib.percent(s.quota_allotted, central)
        if s.quota_allotted * 100 > central * p.quota_cap_percent then
          ctx.alert{
            code = "STAFF-QUOTA-OVER-CAP",
            severity = "warning",
            message = string.format("%s %d年核定法官员额 %d 名，占中央政法专项编制 %d 名的 %s%%，超过 %s%% 的员额比例上限",
              court.name, s.year, s.quota_allotted, central, result.quota_percent, tostring(p.quota_cap_percent)),
            basis = p.quota_cap_basis,
            data = { year = s.year, quota_allotted = s.quota_allotted, central_special_staff = central,
                     percent = result.quota_percent, cap_percent = p.quota_cap_percent },
          }
        end
      end
    end

    if court.level == "高级" then
      local all = ctx.query.courts{ court = court.code }
      local own = s and s.central_special_staff and s.central_special_staff > 0 and s.quota_allotted and s
      local n, sum_ratio, basic_q, basic_c = 0, 0, 0, 0
      local prov_q, prov_c = 0, 0
      for _, c in ipairs(all) do
        local cs = lib.staffing(c, year)
        if cs and cs.quota_allotted and cs.central_special_staff and cs.central_special_staff > 0 then
          prov_q, prov_c = prov_q + cs.quota_allotted, prov_c + cs.central_special_staff
          if c.level == "基层" then
            n = n + 1
            sum_ratio = sum_ratio + cs.quota_allotted / cs.central_special_staff
            basic_q, basic_c = basic_q + cs.quota_allotted, basic_c + cs.central_special_staff
          end
        end
      end
      if prov_c > 0 then
        result.province = { quota_allotted = prov_q, central_special_staff = prov_c,
                            quota_percent = lib.percent(prov_q, prov_c) }
        if prov_q * 100 > prov_c * p.quota_cap_percent then
          ctx.alert{
            code = "STAFF-PROVINCE-QUOTA-OVER-CAP",
            severity = "warning",
            message = string.format("全省法院核定法官员额合计 %d 名，占中央政法专项编制 %d 名的 %s%%，超过 %s%% 的员额比例上限",
              prov_q, prov_c, result.province.quota_percent, tostring(p.quota_cap_percent)),
            basis = p.quota_cap_basis,
            data = result.province,
          }
        end
      end
      if n == 0 then
        reasons[#reasons + 1] = "辖区基层法院无可用的编制员额数据，无法比较员额比例"
      elseif not own then
        reasons[#reasons + 1] = "本院编制员额数据不全，无法与辖区基层法院比较员额比例"
      else
        local over, average
        if p.high_court_average == "pooled" then
          average = lib.percent(basic_q, basic_c)
          over = own.quota_allotted * basic_c > basic_q * own.central_special_staff
        else
          average = lib.percent(sum_ratio, n)
          over = own.quota_allotted / own.central_special_staff - sum_ratio / n > 1e-9
        end
        result.basic_courts = { courts = n, average_quota_percent = average, average = p.high_court_average }
        if over then
          ctx.alert{
            code = "STAFF-HIGH-COURT-RATIO",
            severity = "warning",
            message = string.format("%s %d年法官员额比例 %s%%（员额 %d / 中央政法专项编制 %d），高于辖区 %d 个基层法院的平均水平 %s%%",
              court.name, own.year, result.quota_percent, own.quota_allotted, own.central_special_staff, n, average),
            basis = ITEM14,
            data = { year = own.year, percent = result.quota_percent, basic_average_percent = average,
                     basic_courts = n, average = p.high_court_average },
          }
        end
      end
      result.allocation = allocation(ctx, court, all, year, p.allocation)
    end

    if #missing > 0 then
      result.missing = missing
      if p.missing_alert then
        ctx.alert{
          code = "STAFF-DATA-MISSING",
          severity = "info",
          message = string.format("%s 缺少%d年编制员额数据（%s），相关比例未核查；请及时更新编制、员额信息",
            court.name, s and s.year or year, table.concat(missing, "、")),
          basis = "法发〔2020〕26号 第15条",
          data = { year = s and s.year or year, missing = missing },
        }
      end
    end
    return result
  end,
}
