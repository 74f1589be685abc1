#!/bin/sh
# End to end: `courtrules eval`, `alerts` and `explain` against a rules tree
# of three sets -- a national baseline (scope "*"), a Guangdong set (scope
# "粤") that overrides one national rule by name and disables another, and a
# Jiangsu set (scope "苏") -- and cases of 粤0703, 粤07, 苏01 and 苏.
#
# What eval stored is read back through the commands' JSON (`explain --json`,
# `alerts --json`), parsed with the sqlite3 shell's JSON functions, so the
# test holds whatever the tables look like; only the audit trail and the run
# log are read with SQL.
. "$SRC/tests/e2e/lib.sh"
DB="$T/c.db"
export COURTRULES_DB="$DB"
cd "$T" || exit 1 # ./rules is the default rules directory; there is no ./plugins

A='(2024)粤0703民初100号'   # 粤 basic court: 6 parties (粤 threshold 5, national 10)
A_FW='（2024）粤0703民初100号' # the same 案号 with full-width parentheses
B='(2024)粤0703民初101号'   # its rule `boom` raises an error
C='(2023)粤07民终200号'     # 粤 intermediate court: 12 parties, pending since 2023-10-01
D='(2024)苏01民初300号'     # 苏 intermediate court: 6 parties, never assigned
E='(2024)苏民终400号'       # 苏 high court: 11 parties
AS_OF=2024-12-31

# jv FILE QUERY: runs QUERY in sqlite3 with the JSON document in FILE as the
# one row of d(j), e.g. jv "$T/out" 'SELECT json_array_length(j) FROM d'.
jv() {
    sqlite3 -batch -noheader :memory: \
        "WITH d(j) AS (SELECT CAST(readfile('$1') AS TEXT)) $2"
}

# xj CASE: `explain --json CASE` into $T/x.json (status in $RC).
XDB=$DB # the database xj reads
xj() {
    "$COURTRULES" --db "$XDB" --json explain "$1" >"$T/x.json" 2>"$T/err"
    RC=$?
}

# results_of CASE: "set/rule@version:status" of each of the case's stored
# results, sorted, one space apart.
results_of() {
    xj "$1"
    jv "$T/x.json" "SELECT group_concat(x, ' ') FROM (SELECT
        json_extract(value, '\$.rule_set') || '/' || json_extract(value, '\$.rule') || '@' ||
        json_extract(value, '\$.rule_version') || ':' || json_extract(value, '\$.status') AS x
        FROM d, json_each(d.j, '\$.results') ORDER BY x)"
}

# result_field CASE SET RULE PATH: a JSON path of one stored result.
result_field() {
    xj "$1"
    jv "$T/x.json" "SELECT json_extract(value, '$4') FROM d, json_each(d.j, '\$.results')
        WHERE json_extract(value, '\$.rule_set') = '$2' AND json_extract(value, '\$.rule') = '$3'"
}

# run_of CASE: the run ids that produced the case's stored results.
run_of() {
    xj "$1"
    jv "$T/x.json" "SELECT group_concat(DISTINCT json_extract(value, '\$.run_id'))
        FROM d, json_each(d.j, '\$.results')"
}

# evaluated_in RUN: which of the cases A..E have their results from run RUN.
evaluated_in() {
    got=
    for name in A B C D E; do
        eval "no=\$$name"
        [ "$(run_of "$no")" = "$1" ] && got="$got$name"
    done
    printf '%s\n' "$got"
}

# na ARGS...: how many alerts `alerts --json ARGS` lists ("exit N" if it fails).
na() {
    "$COURTRULES" --json alerts "$@" >"$T/a.json" 2>"$T/err" || {
        echo "exit $?"
        return
    }
    jv "$T/a.json" 'SELECT json_array_length(j) FROM d'
}

# alerts_list ARGS...: "set/rule:code@case=status" of `alerts --json ARGS`, sorted.
alerts_list() {
    "$COURTRULES" --json alerts "$@" >"$T/a.json" 2>"$T/err"
    jv "$T/a.json" "SELECT group_concat(x, ' ') FROM (SELECT
        json_extract(value, '\$.rule_set') || '/' || json_extract(value, '\$.rule') || ':' ||
        json_extract(value, '\$.code') || '@' || json_extract(value, '\$.case_no') || '=' ||
        json_extract(value, '\$.status') AS x FROM d, json_each(d.j) ORDER BY x)"
}

# alert_field CODE CASE PATH: one field of the alert CODE of CASE (of any
# case if CASE is empty), in the database xj reads.
alert_field() {
    "$COURTRULES" --db "$XDB" --json alerts --code "$1" ${2:+--case "$2"} >"$T/a.json" 2>"$T/err"
    jv "$T/a.json" "SELECT json_extract(value, '$3') FROM d, json_each(d.j)"
}

RUNS=0
# ev ARGS...: `courtrules eval ARGS`; counts the runs that succeed and keeps
# the run id of the last one in $RUN.
ev() {
    cr eval "$@"
    if [ "$RC" = 0 ]; then
        RUNS=$((RUNS + 1))
        RUN=$(sed -n 's/^evaluated .*(run \([0-9]*\).*/\1/p' "$T/out")
    fi
}

is_sha256() { printf '%s\n' "$1" | grep -Eq '^[0-9a-f]{64}$'; }

# ---- a rules tree ------------------------------------------------------------
mkdir -p rules/national rules/guangdong rules/jiangsu rules/national/tests
cat >rules/national/ruleset.json <<'JSON'
{"name": "national", "scope": "*", "description": "全国基线",
 "params": {"mass_parties": 10, "pending_days": 365}}
JSON
cat >rules/national/mass.lua <<'LUA'
return {
  name = "mass_dispute",
  version = "2021.1",
  on_case = function(case, ctx)
    if case.party_count >= ctx.params.mass_parties then
      ctx.alert{ code = "4C-MASS", severity = "warning",
                 message = "当事人人数众多，可能属于群体性纠纷",
                 basis = "法发〔2021〕30号 二" }
      ctx.log("party_count %d >= %d", case.party_count, ctx.params.mass_parties)
      ctx.log("%s", "人数 " .. case.party_count .. " 100%d") -- the text as it is
      ctx.log("%s", case.party_count) -- a number, as string.format writes it
    end
    return { threshold = ctx.params.mass_parties, party_count = case.party_count }
  end,
}
LUA
cat >rules/national/pending.lua <<'LUA'
return {
  name = "long_pending",
  version = "1.0",
  on_case = function(case, ctx)
    local days = ctx.date.days_between(case.filing_date, ctx.as_of)
    if case.status == "在办" and days > ctx.params.pending_days then
      ctx.alert{ code = "TL-LONG", severity = "critical",
                 message = string.format("案件已立案 %d 天仍未审结", days),
                 basis = "法发〔2020〕26号 12", data = { days = days } }
    end
    return { days = days }
  end,
}
LUA
cat >rules/national/assignment.lua <<'LUA'
return {
  name = "assignment",
  version = "1.0",
  on_case = function(case, ctx)
    local n = 0
    for _, e in ipairs(case.events) do
      if e.event == "assigned" then n = n + 1 end
    end
    if n == 0 then
      ctx.alert{ code = "ASSIGN-NONE", severity = "info",
                 message = "案件尚无分案记录", basis = "法发〔2020〕26号 7" }
    end
    return { assigned = n }
  end,
}
LUA
cat >rules/national/boom.lua <<'LUA'
return {
  name = "boom",
  version = "0.1",
  on_case = function(case, ctx)
    if case.extra and case.extra.boom then
      error("boom: bad data in " .. case.case_no)
    end
    return { fine = true }
  end,
}
LUA
echo '-- tests are not part of the rule set or its version' >rules/national/tests/t.lua
cat >rules/guangdong/ruleset.json <<'JSON'
{"name": "guangdong", "scope": "粤", "description": "广东高院实施细则",
 "params": {"mass_parties": 5}, "disable": ["assignment"]}
JSON
cat >rules/guangdong/mass.lua <<'LUA'
return {
  name = "mass_dispute",
  version = "2024.1-gd",
  on_case = function(case, ctx)
    if case.party_count >= ctx.params.mass_parties then
      ctx.alert{ code = "4C-MASS", severity = "warning",
                 message = "当事人五人以上，按广东细则属于群体性纠纷",
                 basis = "粤高法〔2021〕1号 三" }
    end
    return { threshold = ctx.params.mass_parties, party_count = case.party_count, source = "粤" }
  end,
}
LUA
cat >rules/jiangsu/ruleset.json <<'JSON'
{"name": "jiangsu", "scope": "苏"}
JSON
cat >rules/jiangsu/check.lua <<'LUA'
return {
  name = "js_check",
  version = "1.0",
  on_case = function(case, ctx)
    if case.court:sub(1, #"苏") ~= "苏" then
      error("jiangsu rule saw a case of court " .. case.court)
    end
    return { court = case.court }
  end,
}
LUA

# ---- data ----------------------------------------------------------------------
cat >"$T/data.jsonl" <<JSON
{"type":"court","code":"粤","name":"广东省高级人民法院","level":"高级"}
{"type":"court","code":"粤07","name":"广东省江门市中级人民法院","level":"中级","parent":"粤"}
{"type":"court","code":"粤0703","name":"江门市蓬江区人民法院","level":"基层","parent":"粤07"}
{"type":"court","code":"苏","name":"江苏省高级人民法院","level":"高级"}
{"type":"court","code":"苏01","name":"江苏省南京市中级人民法院","level":"中级","parent":"苏"}
{"type":"case","case_no":"$A","cause":"民间借贷纠纷","procedure":"普通","filing_date":"2024-03-01","parties":[{"name":"王五","role":"原告"},{"name":"赵六","role":"被告"}],"party_count":6,"status":"在办"}
{"type":"case","case_no":"$B","filing_date":"2024-04-01","status":"在办","extra":{"boom":true}}
{"type":"case","case_no":"$C","filing_date":"2023-10-01","party_count":12,"status":"在办"}
{"type":"case","case_no":"$D","filing_date":"2024-05-06","party_count":6,"status":"在办"}
{"type":"case","case_no":"$E","filing_date":"2024-06-03","party_count":11,"status":"在办"}
{"type":"event","id":"E1","case_no":"$A","event":"hearing","at":"2024-05-10T09:00"}
{"type":"event","id":"E2","case_no":"$B","event":"assigned","at":"2024-04-01T10:00"}
{"type":"event","id":"E3","case_no":"$C","event":"assigned","at":"2023-10-02"}
{"type":"event","id":"E4","case_no":"$E","event":"assigned","at":"2024-06-03T15:30"}
JSON
cr init; expect_status 0 "init"
cr ingest "$T/data.jsonl"; expect_status 0 "ingest courts, cases and events"

# ---- usage errors (before any run) -------------------------------------------
cr eval --as-of 2024-02-30; expect_status 2 "eval --as-of 2024-02-30 is bad usage"
expect_in "$T/err" "--as-of: 2024-02-30 does not exist" "the message names --as-of and the date"
cr eval --as-of; expect_status 2 "eval --as-of without a value"
expect_in "$T/err" "--as-of needs a value" "the message says --as-of needs a value"
cr eval --case "$A" --changed; expect_status 2 "eval --case X --changed"
expect_in "$T/err" "--changed and --case exclude each other" "--case with --changed explained"
cr eval --changed --case "$A"; expect_status 2 "eval --changed --case X"
expect_in "$T/err" "--changed and --case exclude each other" "--changed with --case explained"
cr eval --bogus x; expect_status 2 "eval --bogus x: unknown option"
expect_in "$T/err" "unknown option '--bogus'" "the unknown option is named"
cr eval --bogus; expect_status 2 "eval --bogus (last): unknown option"
expect_in "$T/err" "unknown option '--bogus'" "an unknown last option is named as unknown"
cr eval extra; expect_status 2 "eval with a stray argument"
cr eval --quarantine-after 0; expect_status 2 "eval --quarantine-after 0"
expect_eq "$(sql "$DB" 'SELECT count(*) FROM eval_runs')" "0" "usage errors start no run"

# ---- first evaluation --------------------------------------------------------
ev --as-of $AS_OF; expect_status 0 "eval --as-of $AS_OF"
RUN1=$RUN
expect_in "$T/out" "evaluated 5 cases as of $AS_OF with 3 rule sets in" "summary: 5 cases, 3 sets"
expect_in "$T/out" "rule calls 19, failures 1, quarantined 0" "summary: 19 calls, 1 failure"
expect_in "$T/out" "alerts: 5 new, 0 still open, 0 reopened, 0 resolved" "summary: 5 new alerts"

# Which rules ran where: 粤 cases get the Guangdong mass_dispute instead of
# the national one and no assignment; 苏 cases get every national rule and
# Jiangsu's; nothing of Jiangsu's ever sees a 粤 case.
GD_RULES="guangdong/mass_dispute@2024.1-gd:ok national/boom@0.1:ok national/long_pending@1.0:ok"
SU_RULES="jiangsu/js_check@1.0:ok national/assignment@1.0:ok national/boom@0.1:ok national/long_pending@1.0:ok national/mass_dispute@2021.1:ok"
expect_eq "$(results_of "$A")" "$GD_RULES" "粤0703 case: Guangdong override, assignment disabled"
expect_eq "$(results_of "$C")" "$GD_RULES" "粤07 case: Guangdong override, assignment disabled"
expect_eq "$(results_of "$B")" \
    "guangdong/mass_dispute@2024.1-gd:ok national/boom@0.1:failed national/long_pending@1.0:ok" \
    "a failing rule is recorded as failed, the others still produce results"
expect_eq "$(results_of "$D")" "$SU_RULES" "苏01 case: every national rule and Jiangsu's"
expect_eq "$(results_of "$E")" "$SU_RULES" "苏 case: every national rule and Jiangsu's"
expect_eq "$(result_field "$A" guangdong mass_dispute '$.result.value')" \
    '{"party_count":6,"source":"粤","threshold":5}' "the override ran with Guangdong's params"
expect_eq "$(result_field "$E" national mass_dispute '$.result.value')" \
    '{"party_count":11,"threshold":10}' "苏 cases keep the national rule and params"
expect_eq "$(result_field "$E" national mass_dispute '$.result.log')" \
    '["party_count 11 >= 10","人数 11 100%d","11"]' "ctx.log lines are kept with the result"
expect_eq "$(result_field "$D" jiangsu js_check '$.result.value.court')" "苏01" \
    "the Jiangsu rule ran on the 苏01 case"
expect_eq "$(result_field "$C" national long_pending '$.result.value.days')" "457" \
    "days_between counts to the as-of date"

# Each result carries its set's SHA-256, its rule version and the as-of date.
xj "$A"
expect_eq "$(jv "$T/x.json" "SELECT count(*) FROM d, json_each(d.j, '\$.results')
    WHERE json_extract(value, '\$.as_of') = '$AS_OF'")" "3" "every result has the as-of date"
SHA_NAT=$(result_field "$A" national boom '$.rule_set_sha')
SHA_GD=$(result_field "$A" guangdong mass_dispute '$.rule_set_sha')
SHA_SU=$(result_field "$D" jiangsu js_check '$.rule_set_sha')
if is_sha256 "$SHA_NAT" && is_sha256 "$SHA_GD" && is_sha256 "$SHA_SU"; then
    ok "rule set versions are 64 hex digits"
else
    fail "rule set versions are 64 hex digits: '$SHA_NAT' '$SHA_GD' '$SHA_SU'"
fi
[ "$SHA_NAT" != "$SHA_GD" ] && [ "$SHA_GD" != "$SHA_SU" ] && [ "$SHA_NAT" != "$SHA_SU" ] &&
    ok "each rule set has its own version" || fail "rule set versions collide"
expect_eq "$(result_field "$A" national long_pending '$.rule_set_sha')" "$SHA_NAT" \
    "every national result has the national set's version"
expect_eq "$(result_field "$E" national mass_dispute '$.rule_set_sha')" "$SHA_NAT" \
    "the same version on 粤 and 苏 cases"
expect_eq "$(results_of "$A" | wc -w | tr -d ' ')" "3" "one result per (case, set, rule)"

# The rule error is recorded with its rule, case, kind and reason.
xj "$B"
expect_eq "$(jv "$T/x.json" "SELECT group_concat(json_extract(value, '\$.rule_set') || '/' ||
    json_extract(value, '\$.rule') || ' ' || json_extract(value, '\$.kind') || ' ' ||
    json_extract(value, '\$.reason'), '|') FROM d, json_each(d.j, '\$.failures')")" \
    "national/boom error national/boom.lua:6: boom: bad data in $B" \
    "the failure is stored with rule, kind and reason (naming the case)"
expect_eq "$(result_field "$B" national boom '$.reason')" \
    "national/boom.lua:6: boom: bad data in $B" "the failed result carries the reason"
expect_eq "$(result_field "$B" national boom '$.result')" "" "a failed rule stores no result"

# ---- alerts: raised once ---------------------------------------------------
ALL_OPEN="guangdong/mass_dispute:4C-MASS@$C=open guangdong/mass_dispute:4C-MASS@$A=open national/assignment:ASSIGN-NONE@$D=open national/long_pending:TL-LONG@$C=open national/mass_dispute:4C-MASS@$E=open"
expect_eq "$(alerts_list)" "$ALL_OPEN" "the five expected alerts, all open"
expect_eq "$(alert_field TL-LONG "$C" '$.data.days')" "457" "alert data kept"
expect_eq "$(alert_field TL-LONG "$C" '$.severity')" "critical" "alert severity kept"
expect_eq "$(alert_field TL-LONG "$C" '$.court')" "粤07" "alert court is the case's court"
expect_eq "$(alert_field TL-LONG "$C" '$.rule_set_sha')" "$SHA_NAT" "alert has its set's version"
expect_eq "$(alert_field TL-LONG "$C" '$.rule_version')" "1.0" "alert has its rule's version"
expect_eq "$(alert_field TL-LONG "$C" '$.as_of')" "$AS_OF" "alert has the as-of date"
expect_eq "$(alert_field 4C-MASS "$A" '$.basis')" "粤高法〔2021〕1号 三" \
    "the 粤 alert comes from the Guangdong rule"
ID_A=$(alert_field 4C-MASS "$A" '$.id')

# The human list: one alert a line, columns lined up by display width (CJK
# counts two columns), then the count.
cr alerts; expect_status 0 "alerts"
expect_eq "$(sed -n 1p "$T/out")" \
    "ID      SEVERITY  STATUS    CODE          COURT     案号                      MESSAGE / 法律依据" \
    "alerts header"
expect_eq "$(grep -F "$A" "$T/out" | cut -b9-)" \
    "warning   open      4C-MASS       粤0703    (2024)粤0703民初100号     当事人五人以上，按广东细则属于群体性纠纷  依据：粤高法〔2021〕1号 三" \
    "an alert line, aligned under the header"
expect_eq "$(grep -F "$D" "$T/out" | cut -b9-)" \
    "info      open      ASSIGN-NONE   苏01      (2024)苏01民初300号       案件尚无分案记录  依据：法发〔2020〕26号 7" \
    "another alert line, aligned under the header"
expect_eq "$(tail -n 1 "$T/out")" "5 alerts" "alerts ends with the count"

# ---- no duplicates on re-evaluation ------------------------------------------
ev --as-of $AS_OF; expect_status 0 "eval again"
expect_in "$T/out" "alerts: 0 new, 5 still open, 0 reopened, 0 resolved" \
    "the summary says the alerts are still open"
expect_eq "$(na)" "5" "no duplicate alerts"
expect_eq "$(alert_field 4C-MASS "$A" '$.id')" "$ID_A" "the alert keeps its id"
expect_eq "$(alert_field 4C-MASS "$A" '$.run_id')" "$RUN" "the alert was seen by the new run"

# ---- resolved when the data change, reopened when it fires again ---------------
case_a() { # case_a PARTY_COUNT: re-ingests case A with that party count
    printf '{"type":"case","case_no":"%s","cause":"民间借贷纠纷","procedure":"普通","filing_date":"2024-03-01","parties":[{"name":"王五","role":"原告"},{"name":"赵六","role":"被告"}],"party_count":%s,"status":"在办"}\n' \
        "$A" "$1" >"$T/a.jsonl"
    cr ingest "$T/a.jsonl"
}
case_a 2; expect_status 0 "case A now has 2 parties"
ev --as-of $AS_OF; expect_status 0 "eval after the change"
expect_in "$T/out" "alerts: 0 new, 4 still open, 0 reopened, 1 resolved" "summary: 1 resolved"
expect_eq "$(alert_field 4C-MASS "$A" '$.status')" "resolved" "the alert is resolved"
RESOLVED_AT=$(alert_field 4C-MASS "$A" '$.resolved_at')
printf '%s\n' "$RESOLVED_AT" | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\+08:00$' &&
    ok "resolved_at is set" || fail "resolved_at is set: '$RESOLVED_AT'"
expect_eq "$(na --status resolved)" "1" "alerts --status resolved"
expect_eq "$(na --status open)" "4" "alerts --status open"
cr explain "$A"
expect_in "$T/out" "4C-MASS  warning  resolved" "explain shows the alert resolved"
expect_in "$T/out" ", resolved $RESOLVED_AT" "explain shows when it was resolved"

case_a 6; expect_status 0 "case A has 6 parties again"
ev --changed --as-of $AS_OF; expect_status 0 "eval --changed after the change"
expect_in "$T/out" "evaluated 1 cases" "only the changed case is evaluated"
expect_in "$T/out" "alerts: 0 new, 0 still open, 1 reopened, 0 resolved" "summary: 1 reopened"
expect_eq "$(alert_field 4C-MASS "$A" '$.status')" "open" "the alert is open again"
expect_eq "$(alert_field 4C-MASS "$A" '$.resolved_at')" "" "resolved_at is cleared"
expect_eq "$(alert_field 4C-MASS "$A" '$.id')" "$ID_A" "reopened, not created anew"
expect_eq "$(na)" "5" "still five alerts"
# A run of one case looks its own open alerts up (it does not read them all).
case_a 2; expect_status 0 "case A has 2 parties again"
ev --case "$A" --as-of $AS_OF; expect_status 0 "eval --case after the change"
expect_in "$T/out" "alerts: 0 new, 0 still open, 0 reopened, 1 resolved" "eval --case resolves"
expect_eq "$(alert_field 4C-MASS "$A" '$.status')" "resolved" "resolved by eval --case"
case_a 6; expect_status 0 "case A has 6 parties once more"
ev --case "$A" --as-of $AS_OF; expect_status 0 "eval --case after the second change"
expect_in "$T/out" "alerts: 0 new, 0 still open, 1 reopened, 0 resolved" "eval --case reopens"
expect_eq "$(alert_field 4C-MASS "$A" '$.id')" "$ID_A" "reopened by eval --case, same id"

# ---- alert filters -------------------------------------------------------------
expect_eq "$(na --court 粤07)" "3" "--court 粤07 covers 粤07 and 粤0703"
expect_eq "$(alerts_list --court 粤07)" "guangdong/mass_dispute:4C-MASS@$C=open guangdong/mass_dispute:4C-MASS@$A=open national/long_pending:TL-LONG@$C=open" \
    "--court 粤07 lists the right alerts"
expect_eq "$(na --court 粤0703)" "1" "--court 粤0703"
expect_eq "$(na --court 苏)" "2" "--court 苏"
expect_eq "$(na --court=苏01)" "1" "--court=苏01"
expect_eq "$(na --court 京)" "0" "--court 京: none"
expect_eq "$(na --code '4C-*')" "3" "--code '4C-*' matches by prefix"
expect_eq "$(na --code 4C-MASS)" "3" "--code 4C-MASS"
expect_eq "$(na --code 4C-)" "0" "--code without '*' is exact"
expect_eq "$(na --code 'TL-*')" "1" "--code 'TL-*'"
expect_eq "$(na --code '*')" "5" "--code '*' matches every code"
expect_eq "$(na --court 粤 --code '4C-*')" "2" "--court and --code together"
expect_eq "$(na --status acked)" "0" "--status acked"
expect_eq "$(na --status open)" "5" "--status open after the reopen"
expect_eq "$(na --case "$C")" "2" "--case"
expect_eq "$(na --case "$A_FW")" "1" "--case with full-width parentheses"
expect_eq "$(na --since 2000-01-01)" "5" "--since a past date"
expect_eq "$(na --since 2199-01-01T00:00)" "0" "--since a future time"
expect_eq "$(na --limit 2)" "2" "--limit 2"
cr alerts --limit 2
expect_in "$T/out" "2 alerts (--limit 2 reached; there may be more)" "--limit says it was reached"
cr alerts --since 2199-01-01
expect_eq "$(cat "$T/out")" "0 alerts" "an empty list says so"
cr --json alerts
if command -v python3 >/dev/null 2>&1; then
    python3 -m json.tool "$T/out" >/dev/null 2>&1 && ok "alerts --json parses" ||
        fail "alerts --json does not parse"
fi
for bad in "--status bogus" "--status" "--court 粤x" "--court" "--code" "--since 2024-02-30" \
    "--since" "--case nonsense" "--limit 0" "--limit x" "--bogus"; do
    # shellcheck disable=SC2086 # split on purpose
    cr alerts $bad; expect_status 2 "alerts $bad is bad usage"
done
cr alerts --code ''; expect_status 2 "alerts --code '' is bad usage"
cr alerts --status bogus
expect_in "$T/err" "--status must be open, acked or resolved, not 'bogus'" "--status error message"

# ---- eval --case -----------------------------------------------------------------
ev --case "$A_FW" --as-of $AS_OF; expect_status 0 "eval --case (full-width parentheses)"
expect_in "$T/out" "evaluated 1 cases" "eval --case evaluates one case"
expect_eq "$(evaluated_in "$RUN")" "A" "only that case has results from the run"
BEFORE=$(sql "$DB" "SELECT count(*) FROM eval_runs WHERE finished_at IS NOT NULL")
cr eval --case '(2024)粤0703民初999号' --as-of $AS_OF
expect_status 2 "eval --case of an unknown case is bad input"
expect_in "$T/err" "case (2024)粤0703民初999号 is not in the database" "the unknown case is named"
cr eval --case "$A" --court 苏 --as-of $AS_OF
expect_status 2 "eval --case outside --court finds nothing"
if grep -qF "is not in the database" "$T/err"; then
    fail "eval --case A --court 苏 claims a stored case is not in the database: $(cat "$T/err")"
else
    expect_in "$T/err" "苏" "eval --case outside --court names the court filter"
fi
expect_eq "$(sql "$DB" "SELECT count(*) FROM eval_runs WHERE finished_at IS NOT NULL")" \
    "$BEFORE" "failed evals finish no run"

# ---- eval --court ------------------------------------------------------------------
ev --court 苏 --as-of $AS_OF; expect_status 0 "eval --court 苏"
expect_in "$T/out" "evaluated 2 cases" "eval --court 苏 evaluates 2 cases"
expect_in "$T/out" "rule calls 10, failures 0" "10 rule calls for the 苏 cases"
expect_eq "$(evaluated_in "$RUN")" "DE" "only the 苏 cases have results from the run"
ev --court 粤07 --as-of $AS_OF; expect_status 0 "eval --court 粤07"
expect_eq "$(evaluated_in "$RUN")" "ABC" "--court 粤07 covers 粤0703"

# ---- eval --changed ----------------------------------------------------------------
# selection: how the last run found its cases (its summary).
selection() { sql "$DB" "SELECT summary ->> '$.selection' FROM eval_runs WHERE id = $RUN"; }
ev --changed --as-of $AS_OF; expect_status 0 "eval --changed with nothing changed"
expect_in "$T/out" "evaluated 0 cases" "nothing changed, nothing evaluated"
expect_eq "$(evaluated_in "$RUN")" "" "no results from that run"
printf '%s\n' "{\"type\":\"event\",\"id\":\"E5\",\"case_no\":\"$D\",\"event\":\"assigned\",\"at\":\"2024-05-07\"}" \
    >"$T/e5.jsonl"
cr ingest "$T/e5.jsonl"; expect_status 0 "a new event for case D"
ev --changed --as-of $AS_OF; expect_status 0 "eval --changed after a new event"
expect_in "$T/out" "evaluated 1 cases" "only the case with the new event"
expect_eq "$(evaluated_in "$RUN")" "D" "case D re-evaluated"
expect_in "$T/out" "alerts: 0 new, 0 still open, 0 reopened, 1 resolved" \
    "its ASSIGN-NONE alert is resolved"
expect_eq "$(alert_field ASSIGN-NONE "$D" '$.status')" "resolved" "ASSIGN-NONE resolved"
ev --changed --court 苏 --as-of $AS_OF; expect_status 0 "eval --changed --court 苏"
expect_in "$T/out" "evaluated 0 cases" "nothing left to do"

# A rule script changes: its set's version changes, the others' do not, and
# every case counts as changed.
echo '-- 2025 revision: comment only' >>rules/national/pending.lua
ev --changed --as-of $AS_OF; expect_status 0 "eval --changed after a rule script changed"
expect_in "$T/out" "evaluated 5 cases" "every case evaluated again"
expect_eq "$(selection)" "all" "new rules: every case read as a full run reads them"
expect_eq "$(evaluated_in "$RUN")" "ABCDE" "all cases have results from the run"
SHA_NAT2=$(result_field "$E" national boom '$.rule_set_sha')
is_sha256 "$SHA_NAT2" && ok "the new version is 64 hex digits" ||
    fail "the new version is 64 hex digits: '$SHA_NAT2'"
[ "$SHA_NAT2" != "$SHA_NAT" ] && ok "the national version changed with its script" ||
    fail "the national version did not change when a script changed"
expect_eq "$(result_field "$A" national long_pending '$.rule_set_sha')" "$SHA_NAT2" \
    "粤 cases carry the new national version"
expect_eq "$(result_field "$A" guangdong mass_dispute '$.rule_set_sha')" "$SHA_GD" \
    "the Guangdong version did not change"
expect_eq "$(result_field "$E" jiangsu js_check '$.rule_set_sha')" "$SHA_SU" \
    "the Jiangsu version did not change"
expect_eq "$(alert_field TL-LONG "$C" '$.rule_set_sha')" "$SHA_NAT2" \
    "a repeated alert takes the new version"
echo '-- a test file changes nothing' >>rules/national/tests/t.lua
ev --changed --as-of $AS_OF; expect_status 0 "eval --changed after a tests/ file changed"
expect_in "$T/out" "evaluated 0 cases" "tests/ are not part of the version"

# The evaluation mark: a run over every case leaves one (so --changed finds
# its cases from what changed); a run over part of the cases with other
# rules clears it, and --changed then reads every case's state again.
mark() { sql "$DB" "SELECT value FROM meta WHERE key = 'eval_mark'"; }
expect_eq "$(sql "$DB" "SELECT value GLOB '[0-9]* *' FROM meta WHERE key = 'eval_mark'")" 1 \
    "a run over every case leaves the evaluation mark"
rm -rf "$T/other" && mkdir "$T/other" && cp -r rules "$T/other/rules"
echo '-- other rules' >>"$T/other/rules/national/pending.lua"
ev --rules "$T/other/rules" --court 苏 --as-of $AS_OF; expect_status 0 "eval --court 苏 with other rules"
expect_eq "$(mark)" "-1" "a partial run with other rules clears the mark"
case_a 7; expect_status 0 "case A changes"
ev --changed --as-of $AS_OF; expect_status 0 "eval --changed without a mark"
expect_in "$T/out" "evaluated 3 cases" "the changed case and those the other rules evaluated"
expect_eq "$(selection)" "changed" "a cleared mark: every case's state is read"
expect_eq "$(evaluated_in "$RUN")" "ADE" "cases A, D and E"
expect_eq "$(sql "$DB" "SELECT value GLOB '[0-9]* *' FROM meta WHERE key = 'eval_mark'")" 1 \
    "--changed over every case sets the mark again"
case_a 6; expect_status 0 "case A changes back"
ev --court 粤 --as-of $AS_OF; expect_status 0 "a partial run with the same rules"
MARK_KEPT=$(mark)
ev --changed --as-of $AS_OF; expect_status 0 "eval --changed from the mark"
expect_in "$T/out" "evaluated 0 cases" "the partial run with the same rules evaluated case A"
expect_eq "$(selection)" "changed from the mark" "the mark's rules: from the mark"
[ "$(mark)" != "$MARK_KEPT" ] && ok "the mark moves on to the last batch" ||
    fail "the mark did not move: $MARK_KEPT"

# ---- explain ---------------------------------------------------------------------------
cr explain "$A"; expect_status 0 "explain"
cp "$T/out" "$T/explain_a.txt"
NAT12=$(printf %.12s "$SHA_NAT2")
GD12=$(printf %.12s "$SHA_GD")
expect_in "$T/out" "$A  court 粤0703  kind 民事  procedure 普通  filed 2024-03-01  status 在办" \
    "explain: the case line"
expect_in "$T/out" "evaluated as of $AS_OF" "explain: the as-of date"
expect_in "$T/out" "rules (3):" "explain: three rules ran"
expect_in "$T/out" "  rule set national  (sha256 $NAT12)" "explain: national set, sha prefix"
expect_in "$T/out" "  rule set guangdong  (sha256 $GD12)" "explain: Guangdong set, sha prefix"
expect_in "$T/out" "    boom 0.1  as of $AS_OF  ok  {\"value\":{\"fine\":true}}" \
    "explain: boom's result"
expect_in "$T/out" "    long_pending 1.0  as of $AS_OF  ok  {\"value\":{\"days\":305}}" \
    "explain: long_pending's result"
expect_in "$T/out" "    mass_dispute 2024.1-gd  as of $AS_OF  ok  {\"value\":{\"party_count\":6,\"source\":\"粤\",\"threshold\":5}}" \
    "explain: the override's result"
expect_in "$T/out" "alerts (1):" "explain: one alert"
expect_in "$T/out" "4C-MASS  warning  open" "explain: the alert's code, severity, status"
expect_in "$T/out" "    当事人五人以上，按广东细则属于群体性纠纷" "explain: the alert message"
expect_in "$T/out" "    法律依据：粤高法〔2021〕1号 三" "explain: the legal basis"
expect_in "$T/out" "raised by guangdong/mass_dispute 2024.1-gd (sha256 $GD12) as of $AS_OF" \
    "explain: which rule raised it, with version, sha and as-of"
if grep -q "assignment" "$T/out"; then fail "explain lists the disabled rule"; else
    ok "explain: the disabled rule is not listed"
fi
cr explain "$A_FW"; expect_status 0 "explain with full-width parentheses"
expect_eq "$(cat "$T/out")" "$(cat "$T/explain_a.txt")" "either parentheses, same explanation"
cr explain "$B"; expect_status 0 "explain the case with the failing rule"
expect_in "$T/out" "    boom 0.1  as of $AS_OF  failed" "explain: the rule failed"
expect_in "$T/out" "      reason: national/boom.lua:6: boom: bad data in $B" \
    "explain: the failure reason names rule file, line and case"
expect_in "$T/out" "national/boom  error (run $RUN1): national/boom.lua:6: boom: bad data in $B" \
    "explain: the failures list names rule, kind and run"
cr explain "$E"
expect_in "$T/out" "rules (5):" "explain a 苏 case: five rules"
expect_in "$T/out" "    mass_dispute 2021.1  as of $AS_OF  ok" "explain a 苏 case: national rule"
expect_in "$T/out" "    js_check 1.0  as of $AS_OF  ok" "explain a 苏 case: Jiangsu rule"

cr --json explain "$A"; expect_status 0 "--json explain"
cp "$T/out" "$T/explain_a.json"
cr explain "$A" --json; expect_status 0 "explain --json (flag after the command)"
expect_eq "$(cat "$T/out")" "$(cat "$T/explain_a.json")" "--json before or after: same output"
expect_eq "$(jv "$T/out" "SELECT json_extract(j, '\$.case.case_no') || ' ' ||
    json_array_length(j, '\$.results') || ' ' || json_array_length(j, '\$.alerts') || ' ' ||
    json_extract(j, '\$.evaluated.as_of') FROM d")" "$A 3 1 $AS_OF" "explain --json content"
if command -v python3 >/dev/null 2>&1; then
    python3 -m json.tool "$T/out" >/dev/null 2>&1 && ok "explain --json parses" ||
        fail "explain --json does not parse"
fi
cr explain '(2024)粤0703民初999号'; expect_status 2 "explain an unknown case"
expect_in "$T/err" "case (2024)粤0703民初999号 is not in the database" "explain names the unknown case"
cr explain nonsense; expect_status 2 "explain a malformed case number"
expect_in "$T/err" "'nonsense' is not a case number" "explain says it is not a case number"
cr explain; expect_status 2 "explain without a case number"
cr explain "$A" "$B"; expect_status 2 "explain two case numbers"
printf '%s\n' '{"type":"case","case_no":"(2024)粤0703民初102号","filing_date":"2024-07-01","status":"在办"}' \
    >"$T/new.jsonl"
cr ingest "$T/new.jsonl"
cr explain '(2024)粤0703民初102号'; expect_status 0 "explain a case never evaluated"
expect_in "$T/out" "not evaluated yet" "explain says it was not evaluated"
ev --case '(2024)粤0703民初102号' --as-of $AS_OF; expect_status 0 "evaluate the new case"

# ---- the as-of date is an input -------------------------------------------------------
ev --case "$E" --as-of 2025-06-30; expect_status 0 "eval --as-of 2025-06-30 for one case"
expect_in "$T/out" "alerts: 1 new" "a later as-of date raises the time-limit alert"
expect_eq "$(result_field "$E" national long_pending '$.as_of')" "2025-06-30" \
    "results carry the new as-of date"
expect_eq "$(result_field "$E" national long_pending '$.result.value.days')" "392" \
    "and were computed with it"
expect_eq "$(alert_field TL-LONG "$E" '$.as_of')" "2025-06-30" "the new alert has the as-of date"
expect_eq "$(result_field "$D" national long_pending '$.as_of')" "$AS_OF" \
    "other cases keep their as-of date"

# ---- stats lines up CJK labels --------------------------------------------------------
cr stats; expect_status 0 "stats"
expect_in "$T/out" "$(printf '  粤0703%18s %10d' '' 3)" "stats pads 粤0703 by display width"
expect_in "$T/out" "$(printf '  苏01%20s %10d' '' 1)" "stats pads 苏01 by display width"
expect_in "$T/out" "$(printf '  在办%20s %10d' '' 6)" "stats pads 在办 by display width"

# ---- quarantine (on copies of the database) ----------------------------------------
# Failures in a row quarantine a rule; a success in between resets the count,
# also when it comes in a later run.
sqlite3 "$DB" "VACUUM INTO '$T/q1.db'"
XDB="$T/q1.db"
for i in 1 2; do
    cr --db "$XDB" eval --case "$B" --as-of $AS_OF --quarantine-after 2
done
expect_status 0 "two failures in a row"
expect_in "$T/out" "failures 1, quarantined 1" "the second failure in a row quarantines boom"
expect_eq "$(na --db "$XDB" --code RULE-QUARANTINED)" "1" "RULE-QUARANTINED raised"
expect_eq "$(alert_field RULE-QUARANTINED "" '$.severity')" "critical" "RULE-QUARANTINED is critical"
cr --db "$XDB" eval --case "$A" --as-of $AS_OF
expect_eq "$(result_field "$A" national boom '$.status')" "quarantined" \
    "a quarantined rule is skipped and recorded as quarantined"

sqlite3 "$DB" "VACUUM INTO '$T/q2.db'"
XDB="$T/q2.db"
for no in "$B" "$A" "$B" "$A" "$B"; do
    cr --db "$XDB" eval --case "$no" --as-of $AS_OF --quarantine-after 2
done
expect_eq "$(result_field "$B" national boom '$.status')" "failed" \
    "failures with successes in between are not in a row: boom still runs"
expect_eq "$(na --db "$XDB" --code RULE-QUARANTINED)" "0" \
    "no RULE-QUARANTINED after alternating failures and successes"
XDB=$DB

# ---- a rule switched off later -----------------------------------------------------------
# Guangdong now also disables long_pending: for 粤 cases it no longer runs, so
# its result goes away and the alert it raised is resolved.
sed 's/"disable": \["assignment"\]/"disable": ["assignment", "long_pending"]/' \
    rules/guangdong/ruleset.json >"$T/gd.json" && mv "$T/gd.json" rules/guangdong/ruleset.json
ev --as-of $AS_OF; expect_status 0 "eval after Guangdong disables long_pending"
expect_eq "$(results_of "$C")" "guangdong/mass_dispute@2024.1-gd:ok national/boom@0.1:ok" \
    "the disabled rule's result is no longer reported for 粤 cases"
expect_eq "$(alert_field TL-LONG "$C" '$.status')" "resolved" \
    "the disabled rule's open alert is resolved"
expect_eq "$(results_of "$D")" "$SU_RULES" "苏 cases still run long_pending"

# ---- audit ---------------------------------------------------------------------------
expect_eq "$(sql "$DB" "SELECT count(*) FROM audit WHERE action = 'eval.run'")" "$RUNS" \
    "one eval.run audit entry per successful run ($RUNS)"
expect_eq "$(sql "$DB" "SELECT count(*) FROM audit WHERE action = 'eval.run' AND subject = 'case $A_FW'")" \
    "1" "the audit entry names what was evaluated"
cr audit log --action eval.; expect_status 0 "audit log --action eval."
expect_in "$T/out" "eval.run              all court 苏" "audit log lists the runs, aligned"
cr audit verify; expect_status 0 "audit verify"
expect_in "$T/out" "chain intact" "the audit chain is intact"

expect_eq "$(sql "$DB" 'PRAGMA integrity_check')" "ok" "integrity check"
finish
