#!/bin/sh
# End to end: the national court-level rules (on_court) -- leader_caseload,
# staffing, interference_reports -- on a small province 浙 built to sit on
# each threshold and one step past it, through `courtrules eval` with the
# shipped rules (and plugins/, which they require); then a narrower set
# overriding some of their params.
#
#   浙     高级  staffing 2026: central 200, quota 75 (37.50%), quota_filled missing
#   浙01   中级  2026: central 100, quota 39 (exactly 39%), admin 50 (not 基层)
#   浙0102 基层  2026: central 100, quota 40 (40%), admin 15 (exactly 15%); 2025 and 2027 too
#   浙0105 基层  2025 only: central 200, quota 70 (35%), admin 31 (15.5%)
#   浙02   中级  2026: central 100, quota 30; no people; reports 零报告 every month
# Basic courts' mean quota ratio (40% + 35%) / 2 = 37.50% = the high court's.
. "$SRC/tests/e2e/lib.sh"
DB="$T/c.db"
export COURTRULES_DB="$DB"
D="$T/data.jsonl"
CAL="$SRC/data/calendar/cn.json"

cat >"$D" <<'JSON'
{"type":"court","code":"浙","name":"浙江省高级人民法院","level":"高级","staffing":[{"year":2026,"authorized_staff":210,"central_special_staff":200,"quota_allotted":75,"admin_staff":20}]}
{"type":"court","code":"浙01","name":"杭州市中级人民法院","level":"中级","parent":"浙","staffing":[{"year":2026,"authorized_staff":110,"central_special_staff":100,"quota_allotted":39,"quota_filled":39,"admin_staff":50}]}
{"type":"court","code":"浙0102","name":"杭州市上城区人民法院","level":"基层","parent":"浙01","staffing":[{"year":2025,"authorized_staff":105,"central_special_staff":100,"quota_allotted":30,"quota_filled":28,"admin_staff":20},{"year":2026,"authorized_staff":110,"central_special_staff":100,"quota_allotted":40,"quota_filled":37,"admin_staff":15},{"year":2027,"authorized_staff":110,"central_special_staff":100,"quota_allotted":90,"quota_filled":90,"admin_staff":90}]}
{"type":"court","code":"浙0105","name":"杭州市拱墅区人民法院","level":"基层","parent":"浙01","staffing":[{"year":2025,"authorized_staff":220,"central_special_staff":200,"quota_allotted":70,"quota_filled":60,"admin_staff":31}]}
{"type":"court","code":"浙02","name":"宁波市中级人民法院","level":"中级","parent":"浙","staffing":[{"year":2026,"authorized_staff":120,"central_special_staff":100,"quota_allotted":30,"quota_filled":30}]}
{"type":"person","id":"A-P","court":"浙0102","name":"甲院长","roles":["院长"],"in_quota":true,"start_date":"2020-01-01"}
{"type":"person","id":"A-V","court":"浙0102","name":"乙副院长","roles":["副院长","审判长"],"in_quota":true}
{"type":"person","id":"A-X","court":"浙0102","name":"丙副院长","roles":["副院长"],"in_quota":false}
{"type":"person","id":"A-C","court":"浙0102","name":"丁庭长","roles":["庭长","员额法官"],"division":"民一庭","in_quota":true}
{"type":"person","id":"A-D","court":"浙0102","name":"戊副庭长","roles":["副庭长"],"division":"民一庭","in_quota":true,"start_date":"2026-02-01"}
{"type":"person","id":"A-L","court":"浙0102","name":"己法官","roles":["员额法官"],"in_quota":true,"start_date":"2019-01-01","end_date":"2025-12-31"}
{"type":"person","id":"B-P","court":"浙0105","name":"庚院长","roles":["院长"],"in_quota":true}
{"type":"person","id":"B-C","court":"浙0105","name":"辛庭长","roles":["庭长"],"in_quota":true}
{"type":"person","id":"B-J1","court":"浙0105","name":"壬法官","roles":["员额法官"],"in_quota":true}
{"type":"person","id":"B-J2","court":"浙0105","name":"癸法官","roles":["员额法官"],"in_quota":true}
{"type":"person","id":"M-P","court":"浙01","name":"中院长","roles":["院长"],"in_quota":true}
{"type":"person","id":"M-V","court":"浙01","name":"中副院长","roles":["副院长"],"in_quota":true}
{"type":"person","id":"M-C","court":"浙01","name":"中庭长","roles":["庭长"],"in_quota":true}
{"type":"person","id":"M-J1","court":"浙01","name":"中法官一","roles":["员额法官"],"in_quota":true}
{"type":"person","id":"M-J2","court":"浙01","name":"中法官二","roles":["员额法官"],"in_quota":true}
JSON

# Six more in-quota judges at 浙0102: with A-P, A-V, A-C and A-D (in post
# from 2026-02-01) 10 judges in 2026Q1; A-L left before it, A-X is not in quota.
for i in 1 2 3 4 5 6; do
    printf '{"type":"person","id":"A-J%d","court":"浙0102","name":"法官%d","roles":["员额法官"],"in_quota":true}\n' "$i" "$i"
done >>"$D"

# case COURT YEAR TYPE SEQ FILED STATUS CLOSED PRESIDING [JUDGES-JSON]
case_line() {
    if [ "$6" = "已结" ]; then closing=",\"closing_date\":\"$7\""; else closing=""; fi
    printf '{"type":"case","case_no":"(%s)%s%s%s号","filing_date":"%s","status":"%s"%s,"presiding":"%s","judges":%s}\n' \
        "$2" "$1" "$3" "$4" "$5" "$6" "$closing" "$8" "${9:-[\"$8\"]}"
}
# A closing date in 2026Q1 for case number n.
q1() { printf '2026-%02d-%02d' $(($1 % 3 + 1)) $(($1 % 27 + 2)); }

{
    # 浙0102: 200 cases closed in 2026Q1 -> average 20.00. A-P sits on case 1
    # (judges, not presiding): 1 = 5% of 20. A-V presides 2-6: 5 < 30% of 20.
    # A-C presides 7-16: 10 = 50% of 20. The rest go to A-J1..6.
    case_line 浙0102 2026 民初 1 2026-01-02 已结 "$(q1 1)" A-J1 '["A-J1","A-P","A-J2"]'
    for n in 2 3 4 5 6; do case_line 浙0102 2026 民初 $n 2026-01-02 已结 "$(q1 $n)" A-V; done
    n=7; while [ $n -le 16 ]; do case_line 浙0102 2026 民初 $n 2026-01-02 已结 "$(q1 $n)" A-C; n=$((n + 1)); done
    n=17; while [ $n -le 200 ]; do case_line 浙0102 2026 民初 $n 2026-01-02 已结 "$(q1 $n)" "A-J$((n % 6 + 1))"; n=$((n + 1)); done
    # A-V's cases outside the quarter do not count.
    case_line 浙0102 2025 民初 1 2025-12-01 已结 2025-12-31 A-V
    case_line 浙0102 2026 民初 201 2026-01-05 已结 2026-04-01 A-V
    case_line 浙0102 2026 民初 202 2026-01-05 在办 "" A-V
    # 浙0105: 40 closed, 4 judges -> average 10.00; B-P none (< 0.50), B-C 5 (= 5.00).
    n=1; while [ $n -le 5 ]; do case_line 浙0105 2026 民初 $n 2026-01-02 已结 "$(q1 $n)" B-C; n=$((n + 1)); done
    n=6; while [ $n -le 40 ]; do case_line 浙0105 2026 民初 $n 2026-01-02 已结 "$(q1 $n)" "B-J$((n % 2 + 1))"; n=$((n + 1)); done
    # 浙01: 20 of its own closed (not the 240 below it), 5 judges -> 4.00;
    # M-P 1 (>= 0.20), M-V none (< 0.80), M-C: no 中级 庭长 figure.
    case_line 浙01 2026 民终 1 2026-01-02 已结 2026-02-01 M-P
    n=2; while [ $n -le 20 ]; do case_line 浙01 2026 民终 $n 2026-01-02 已结 "$(q1 $n)" "M-J$((n % 2 + 1))"; n=$((n + 1)); done
    # 浙: 2 of its own; no people of its own.
    case_line 浙 2026 民终 1 2026-01-02 已结 2026-02-01 M-J1
    case_line 浙 2026 民终 2 2026-01-02 已结 2026-02-02 M-J1
    # 浙02: 10 pending cases filed in the last 12 months (allocation caseload).
    n=1; while [ $n -le 10 ]; do case_line 浙02 2025 民初 $n 2025-06-01 在办 "" M-J1; n=$((n + 1)); done
} >>"$D"

{
    # Supervision by A-P in 2026Q1 (3) and after it (1): reported, never offsetting.
    for d in 2026-01-10 2026-02-10 2026-03-10 2026-04-02; do
        printf '{"type":"event","id":"S-%s","case_no":"(2026)浙0102民初20号","event":"supervision","at":"%s","actor":"A-P"}\n' "$d" "$d"
    done
    # Monthly reports 2025-01..2026-03, dated the 3rd of the next month, except:
    # 浙 misses 2025-06; 浙0102 misses 2025-09 and reports 2026-01 late
    # (2026-03-02, with 2026-02's on 2026-03-04); 浙0105 reports 2025-12 early
    # (2025-12-31) and misses 2026-03; 浙01 reports 2026-03 on 2026-04-07, the
    # due date (the 5th, Qingming holiday to the 6th); 浙02 reports 0 each month.
    for court in 浙 浙01 浙02 浙0102 浙0105; do
        for m in 2025-01 2025-02 2025-03 2025-04 2025-05 2025-06 2025-07 2025-08 2025-09 2025-10 2025-11 2025-12 \
                 2026-01 2026-02 2026-03; do
            y=${m%-*}; mm=${m#*-}; mm=${mm#0}
            if [ "$mm" = 12 ]; then at="$((y + 1))-01-03"; else at=$(printf '%s-%02d-03' "$y" $((mm + 1))); fi
            count=1
            case "$court:$m" in
                浙:2025-06 | 浙0102:2025-09 | 浙0105:2026-03) continue ;;
                浙0102:2026-01) at=2026-03-02 ;;
                浙0102:2026-02) at=2026-03-04 ;;
                浙0105:2025-12) at=2025-12-31 ;;
                浙01:2026-03) at=2026-04-07 ;;
            esac
            [ "$court" = 浙02 ] && count=0
            printf '{"type":"event","id":"IR-%s-%s","court":"%s","event":"interference_report","at":"%sT09:00","data":{"month":"%s","count":%d}}\n' \
                "$court" "$m" "$court" "$at" "$m" "$count"
        done
    done
} >>"$D"

cr init; expect_status 0 "init"
cr ingest "$D"; expect_status 0 "ingest the province"
[ "$RC" = 0 ] || finish

# cval COURT RULE PATH: a value of a court rule's stored result.
cval() {
    sql "$DB" "SELECT json_extract(r.value, '\$.result.value.$3') FROM court_evaluations c, json_each(c.results) r WHERE c.court = '$1' AND json_extract(r.value, '\$.rule') = '$2'"
}
# leader COURT ID FIELD: a field of one leader's entry.
leader() {
    sql "$DB" "SELECT json_extract(l.value, '\$.$3') FROM court_evaluations c, json_each(c.results) r, json_each(json_extract(r.value, '\$.result.value.leaders')) l WHERE c.court = '$1' AND json_extract(r.value, '\$.rule') = 'leader_caseload' AND json_extract(l.value, '\$.id') = '$2'"
}
# month COURT MONTH: status of one month in interference_reports' result.
month() {
    sql "$DB" "SELECT json_extract(m.value, '\$.status') FROM court_evaluations c, json_each(c.results) r, json_each(json_extract(r.value, '\$.result.value.months')) m WHERE c.court = '$1' AND json_extract(r.value, '\$.rule') = 'interference_reports' AND json_extract(m.value, '\$.month') = '$2'"
}
# open_alerts CODE: open alerts with CODE as "court" (default identity) or
# "court:what follows the code in the dedup_key", sorted, comma-separated.
open_alerts() {
    sql "$DB" "SELECT group_concat(k, ',') FROM (SELECT CASE WHEN tail = court THEN court ELSE court || ':' || tail END AS k FROM (SELECT court, substr(dedup_key, instr(dedup_key, ':$1:') + length('$1') + 2) AS tail FROM alerts WHERE code = '$1' AND status = 'open') ORDER BY k)"
}

# ---- as of a quarter's last day: that quarter ----
cr --rules "$SRC/rules" eval --as-of 2026-03-31 --plugins "$SRC/plugins" --calendar "$CAL"; expect_status 0 "eval as of 2026-03-31"
expect_eq "$(cval 浙0102 leader_caseload quarter)/$(cval 浙0102 leader_caseload to)" "2026Q1/2026-03-31" \
    "as of a quarter's last day, that quarter is assessed"

# ---- as of 2026-04-07: the March report is due on the 7th (not yet late) ----
cr --rules "$SRC/rules" eval --as-of 2026-04-07 --plugins "$SRC/plugins" --calendar "$CAL"; expect_status 0 "eval as of 2026-04-07"
expect_eq "$(month 浙0105 2026-03)" "未到期" "the 5th falls in the Qingming holiday: the report is due on the 7th"
expect_eq "$(open_alerts INTERFERENCE-NO-REPORT)" "浙0102:浙0102:2025-09,浙:浙:2025-06" \
    "before the due date, no alert for the month just ended"

# ---- as of 2026-04-10 ----
cr --rules "$SRC/rules" eval --as-of 2026-04-10 --plugins "$SRC/plugins" --calendar "$CAL"; expect_status 0 "eval as of 2026-04-10"
expect_eq "$(sql "$DB" 'SELECT count(*) FROM failures')" "0" "no rule failed"
expect_eq "$(sql "$DB" "SELECT count(*) FROM court_evaluations")" "5" "every court has court-level results"

# leader_caseload
expect_eq "$(cval 浙0102 leader_caseload quarter)/$(cval 浙0102 leader_caseload from)/$(cval 浙0102 leader_caseload to)" \
    "2026Q1/2026-01-01/2026-03-31" "mid-quarter, the last complete quarter is assessed"
expect_eq "$(cval 浙0102 leader_caseload closed)/$(cval 浙0102 leader_caseload judges)/$(cval 浙0102 leader_caseload average)" \
    "200/10/20.00" "basic court: closed in the quarter, in-quota judges in post, average"
expect_eq "$(leader 浙0102 A-P handled)/$(leader 浙0102 A-P standard)/$(leader 浙0102 A-P shortfall)/$(leader 浙0102 A-P met)" \
    "1/1.00/0.00/1" "院长 exactly at 5% of the average: no shortfall (a case as one of the judges counts)"
expect_eq "$(leader 浙0102 A-V handled)/$(leader 浙0102 A-V standard)/$(leader 浙0102 A-V shortfall)/$(leader 浙0102 A-V met)" \
    "5/6.00/1.00/0" "副院长 one case below 30%: shortfall (cases closed outside the quarter do not count)"
expect_eq "$(leader 浙0102 A-C handled)/$(leader 浙0102 A-C standard)/$(leader 浙0102 A-C met)" \
    "10/10.00/1" "庭长 exactly at 50%: no shortfall"
expect_eq "$(leader 浙0102 A-X note)" "未入额，不适用办案数量标准" "a leader not in quota is listed, not assessed"
expect_eq "$(leader 浙0102 A-D note)" "任职不满整个季度，本季度不考核" "a leader in post for part of the quarter is not assessed"
expect_eq "$(cval 浙0102 leader_caseload supervision_events)" "3" "supervision in the quarter is reported beside the cases"
expect_eq "$(leader 浙0105 B-P standard)/$(leader 浙0105 B-P shortfall)/$(leader 浙0105 B-C met)" \
    "0.50/0.50/1" "the other basic court: 院长 with no case short of 0.50; 庭长 at 5.00 met"
expect_eq "$(cval 浙01 leader_caseload closed)/$(cval 浙01 leader_caseload judges)/$(cval 浙01 leader_caseload average)" \
    "20/5/4.00" "intermediate court: its own cases and judges only, not the basic courts'"
expect_eq "$(leader 浙01 M-P standard)/$(leader 浙01 M-P met)/$(leader 浙01 M-V standard)/$(leader 浙01 M-V met)" \
    "0.20/1/0.80/0" "intermediate court: 院长 5%, 副院长 20%"
expect_eq "$(leader 浙01 M-C note)" "参数未设中级法院庭长办案标准" "no 中级 庭长 figure: not assessed"
expect_eq "$(cval 浙 leader_caseload closed)/$(cval 浙 leader_caseload judges)" "2/0" \
    "high court: its own 2 cases, no judges of its own (the province's are not counted)"
expect_eq "$(open_alerts LEADER-CASELOAD-SHORT)" "浙0102:A-V:2026Q1,浙0105:B-P:2026Q1,浙01:M-V:2026Q1" \
    "one alert per short leader and quarter"
expect_eq "$(sql "$DB" "SELECT severity || '|' || message || '|' || basis FROM alerts WHERE dedup_key LIKE '%:A-V:2026Q1'")" \
    "warning|杭州市上城区人民法院 副院长乙副院长 2026年第1季度办案 5 件，未达到办案数量标准 6.00 件（本院入额法官人均结案 20.00 件的 30%）。主持或参加专业法官会议、审判委员会，监督管理“四类案件”，接待来访，指挥执行等事务可计入工作量，但不得充抵办案数量|最高人民法院关于加强各级人民法院院庭长办理案件工作的意见（试行）（法发〔2017〕10号）；法发〔2020〕26号 第8条" \
    "the leader alert names the person, role, handled and standard"

# staffing
expect_eq "$(cval 浙0102 staffing staffing_year)/$(cval 浙0102 staffing admin_percent)/$(cval 浙0102 staffing quota_percent)" \
    "2026/15.00/40.00" "the as-of year's figures (not 2027's)"
expect_eq "$(cval 浙0102 staffing vacancies)/$(cval 浙0102 staffing max_alternates)" "3/0" "vacancies and alternates (30%)"
expect_eq "$(cval 浙0105 staffing staffing_year)/$(cval 浙0105 staffing admin_percent)/$(cval 浙0105 staffing vacancies)/$(cval 浙0105 staffing max_alternates)" \
    "2025/15.50/10/3" "no 2026 figures: the latest year before"
expect_eq "$(open_alerts STAFF-ADMIN-OVER)" "浙0105" "admin staff exactly 15% is within the limit, 15.5% is over"
expect_eq "$(open_alerts STAFF-QUOTA-OVER-CAP)" "浙0102" "quota exactly 39% (浙01) is within the cap, 40% is over"
expect_eq "$(cval 浙 staffing basic_courts.average_quota_percent)/$(cval 浙 staffing quota_percent)" "37.50/37.50" \
    "high court ratio equal to the basic courts' mean"
expect_eq "$(open_alerts STAFF-HIGH-COURT-RATIO)" "" "equal to the average: no alert"
expect_eq "$(cval 浙 staffing province.quota_percent)" "36.29" "province quota ratio (254 / 700)"
expect_eq "$(open_alerts STAFF-PROVINCE-QUOTA-OVER-CAP)" "" "province under the cap"
expect_eq "$(open_alerts STAFF-DATA-MISSING)" "浙" "a missing figure is an info alert"
expect_eq "$(sql "$DB" "SELECT severity || '|' || message FROM alerts WHERE code = 'STAFF-DATA-MISSING'")" \
    "info|浙江省高级人民法院 缺少2026年编制员额数据（员额实有人数），相关比例未核查；请及时更新编制、员额信息" \
    "the missing-data alert names the figure"
# Allocation: pool 149 + 30 = 179. Shares: authorized 440/560 and 120/560,
# caseload 263/273 and 10/273 (filed 2025-04-11..2026-04-10), per judge
# (263/136) / (263/136 + 10/30); weighted 30/50/20: 88.80% and 11.20% of
# 179 = 158.95 and 20.05 -> 158 and 20, the remaining one to the larger
# remainder.
expect_eq "$(cval 浙 staffing allocation.pool)" "179" "allocation pool: the quota below the high court"
expect_eq "$(cval 浙 staffing 'allocation.units[0].court'):$(cval 浙 staffing 'allocation.units[0].caseload'):$(cval 浙 staffing 'allocation.units[0].current'):$(cval 浙 staffing 'allocation.units[0].proposed')" \
    "浙01:263:149:159" "allocation: 浙01's prefecture"
expect_eq "$(cval 浙 staffing 'allocation.units[1].court'):$(cval 浙 staffing 'allocation.units[1].caseload'):$(cval 浙 staffing 'allocation.units[1].current'):$(cval 浙 staffing 'allocation.units[1].proposed'):$(cval 浙 staffing 'allocation.units[1].change')" \
    "浙02:10:30:20:-10" "allocation: 浙02's prefecture; proposals add up to the pool"

# interference_reports
expect_eq "$(open_alerts INTERFERENCE-NO-REPORT)" "浙0102:浙0102:2025-09,浙0105:浙0105:2026-03,浙:浙:2025-06" \
    "one alert per court and missing month; the high court's own reports only"
expect_eq "$(month 浙0105 2026-03)" "未报送" "after the due date the missing report is late"
expect_eq "$(month 浙01 2026-03)" "已报送" "a report on the due date is in time"
expect_eq "$(month 浙0102 2026-01)/$(month 浙0102 2026-02)" "已报送/已报送" \
    "reports are matched to months by their data.month (ctx.query.events)"
expect_eq "$(month 浙0105 2025-12)" "已报送" "a report dated within its own month counts for its data.month"
expect_eq "$(cval 浙0102 interference_reports 'months[0].month')/$(cval 浙0102 interference_reports 'months[11].month')" \
    "2025-04/2026-03" "the 12 months before the as-of month"
expect_eq "$(sql "$DB" "SELECT message FROM alerts WHERE dedup_key LIKE '%:浙0105:2026-03'")" \
    "杭州市拱墅区人民法院 未报送2026年3月干预过问案件情况月报告（报送期限 2026-04-07）；当月无干预过问情况的，应当作“零报告”" \
    "the message names the month and the due date"
expect_eq "$(cval 浙02 interference_reports matched_by)/$(open_alerts INTERFERENCE-ALWAYS-ZERO)" "data.month/浙02" \
    "a court reporting zero for 12 months in a row is itself a signal (data.count via ctx.query.events)"
expect_eq "$(sql "$DB" "SELECT count(*) FROM alerts WHERE case_no IS NULL AND (basis IS NULL OR basis = '' OR message = '')")" \
    "0" "every court-level alert has a message and a basis"

# ---- eval --changed runs a court's rules again only when its data moved ----
cp "$DB" "$T/changed.db"
CHANGED_DB="$T/changed.db"
ALERTS_BEFORE=$(sql "$CHANGED_DB" "SELECT group_concat(dedup_key || status, ',') FROM (SELECT dedup_key, status FROM alerts WHERE case_no IS NULL ORDER BY dedup_key)")
# changed AS_OF: eval --changed on the copy; ran: its "courts/courts_current".
# comes RECORD DESC: one record ingested into the copy.
changed() { cr --db "$CHANGED_DB" --rules "$SRC/rules" --json eval --as-of "$1" --changed --plugins "$SRC/plugins" --calendar "$CAL"; }
jr() { sqlite3 -batch -noheader :memory: "SELECT json_extract(CAST(readfile('$T/out') AS TEXT), '\$.$1')"; }
ran() { echo "$(jr courts)/$(jr courts_current)"; }
comes() { printf '%s\n' "$1" >"$T/one.jsonl"; cr --db "$CHANGED_DB" ingest "$T/one.jsonl"; expect_status 0 "$2"; }
changed 2026-04-10
expect_status 0 "eval --changed with nothing new"
expect_eq "$(ran)" "0/5" "nothing ingested since: every court's results are current, none run"
expect_eq "$(sql "$CHANGED_DB" "SELECT group_concat(dedup_key || status, ',') FROM (SELECT dedup_key, status FROM alerts WHERE case_no IS NULL ORDER BY dedup_key)")" \
    "$ALERTS_BEFORE" "and their court-level alerts stay as they were"
comes '{"type":"person","id":"Z-NEW","court":"浙0105","name":"新法官","roles":["员额法官"],"in_quota":true,"start_date":"2026-01-01"}' "a person of 浙0105 comes in"
changed 2026-04-10
expect_eq "$(ran)" "3/2" "--changed runs 浙0105 and the courts above it (浙01, 浙); 浙0102 and 浙02 stay current"
changed 2026-04-11
expect_eq "$(ran)" "5/0" "a new as-of date runs every court again"
comes '{"type":"event","id":"S-NEW-1","case_no":"(2026)浙0102民初20号","event":"supervision","at":"2026-04-09","actor":"A-P"}' "an event of a 浙0102 case comes in"
changed 2026-04-11
expect_eq "$(ran)" "3/2" "a case's event runs its court and those above it (浙0102, 浙01, 浙)"
comes '{"type":"event","id":"IR-NEW-1","court":"浙02","event":"interference_report","at":"2026-04-09T09:00","data":{"month":"2026-03","count":0}}' "a court-level event of 浙02 comes in"
changed 2026-04-11
expect_eq "$(ran)" "2/3" "a court-level event runs its court and those above it (浙02, 浙)"
changed 2026-04-11
expect_eq "$(ran)" "0/5" "and nothing new again: none"

# ---- a narrower set overrides some params key by key ----
R2="$T/rules2"
mkdir -p "$R2/zj"
ln -s "$SRC/rules/national" "$R2/national"
cat >"$R2/zj/ruleset.json" <<'JSON'
{"name": "zj", "scope": "浙", "params": {
  "staffing": {"high_court_average": "pooled", "quota_cap_percent": 36},
  "leader_caseload": {"quarter": "current", "min_percent": {"中级": {"庭长": 50}}}}}
JSON
cp "$DB" "$T/c2.db"
DB="$T/c2.db"
export COURTRULES_DB="$DB"
cr --rules "$R2" eval --as-of 2026-04-10 --plugins "$SRC/plugins" --calendar "$CAL"
expect_status 0 "eval with the overriding set"
expect_eq "$(cval 浙 staffing basic_courts.average_quota_percent)" "36.67" "pooled average of the basic courts (110 / 300)"
expect_eq "$(open_alerts STAFF-HIGH-COURT-RATIO)" "浙" "37.50% above the pooled 36.67%: alert"
expect_eq "$(open_alerts STAFF-PROVINCE-QUOTA-OVER-CAP)" "浙" "province 36.29% over a 36% cap"
expect_eq "$(open_alerts STAFF-QUOTA-OVER-CAP)" "浙,浙01,浙0102" "per-court cap at 36%"
expect_eq "$(open_alerts STAFF-ADMIN-OVER)" "浙0105" "params not overridden keep the national values"
expect_eq "$(cval 浙0102 leader_caseload quarter)/$(cval 浙0102 leader_caseload to)/$(cval 浙0102 leader_caseload closed)" \
    "2026Q2/2026-04-10/1" "quarter = current: the running quarter up to the as-of date"
expect_eq "$(leader 浙01 M-C standard)/$(leader 浙01 M-C met)" "0.00/1" "a 中级 庭长 figure set by the narrower set applies"
expect_eq "$(open_alerts LEADER-CASELOAD-SHORT)" "浙0102:A-C:2026Q2,浙0102:A-D:2026Q2,浙0102:A-P:2026Q2" \
    "the new quarter's shortfalls (A-D now in post all quarter); the last quarter's alerts are resolved"
finish
