-- 江苏 分案留痕: replaces the national assignment rule for 苏 courts. The same
-- three checks (法发〔2020〕26号 第7条: ASSIGN-DESIGNATED-NO-REASON,
-- ASSIGN-REASSIGN-NO-REASON, ASSIGN-NOT-NOTIFIED), by the national rule's
-- plugin courtrules.assignment (without the national rule's extra reasons),
-- plus a local one:
--
-- It keeps the national court-level check ASSIGN-TEAM-NOT-ROTATED
-- (courtrules.assignment's team_rotation, params team_rotation_months from
-- the national set).
--
-- JS-ASSIGN-FILL-UNJUSTIFIED: a designated assignment whose reason is "填平"
-- (balancing a judge who received fewer cases; params fill_reason_words)
-- must go to a judge whose open caseload on that day was not above the
-- average of the quota judges (员额法官) of the same court and division
-- (fill_max_percent_of_average). Open caseload on day d = cases filed on or
-- before d minus cases closed on or before d, this case left out. It needs
-- ctx.query; where a query fails (e.g. a `courtrules test` case without
-- data) the check is skipped and logged.
local assignment = require "courtrules.assignment"
local common = require "courtrules.common"
local caseload = require "lib.caseload"

return {
  name = "assignment",
  version = "2026.2",
  on_case = function(case, ctx)
    local p = ctx.params
    local result, found = assignment.scan(case, ctx, {
      on_designated = function(e, day, r)
        local word = common.find_word(e.reason, p.fill_reason_words)
        local unjustified = word and caseload.fill_check(case, ctx, day)
        if unjustified then
          r.fill = unjustified
          ctx.alert{
            code = "JS-ASSIGN-FILL-UNJUSTIFIED",
            message = string.format("本案于 %s 以“%s”为由指定分案，但承办法官当日在办案件 %d 件，高于同部门员额法官平均 %s 件，请核查指定分案理由",
              day, word, unjustified.load, unjustified.average),
            basis = "法发〔2020〕26号 第7条；江苏法院分案规则（填平分案，本地细则）",
            data = unjustified,
          }
        end
      end,
    })
    assignment.alerts(ctx, found)
    return result
  end,
  -- the national rule's court check, kept: replacing the rule by name
  -- replaces both of its hooks
  on_court = function(court, ctx)
    return { team_rotation = assignment.team_rotation(court, ctx) }
  end,
}
