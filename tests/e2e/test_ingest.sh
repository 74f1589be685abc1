#!/bin/sh
# End to end: `courtrules init` and `ingest` against a real SQLite file.
# Every bad input must exit 2, name the line and field, and leave the
# database exactly as it was.
. "$SRC/tests/e2e/lib.sh"
DB="$T/c.db"
export COURTRULES_DB="$DB"

cr init; expect_status 0 "init creates the database"
expect_in "$T/out" "migrated schema version 0 ->" "init reports the migration"
cr init; expect_status 0 "init again is a no-op"
expect_in "$T/out" "up to date" "second init says up to date"
expect_eq "$(sql "$DB" 'PRAGMA journal_mode')" "wal" "database is in WAL mode"

# A small valid batch: court tree, people, a case, events.
cat >"$T/good.jsonl" <<'JSON'
{"type":"court","code":"粤","name":"广东省高级人民法院","level":"高级"}
{"type":"court","code":"粤07","name":"广东省江门市中级人民法院","level":"中级","parent":"粤"}
{"type":"court","code":"粤0703","name":"江门市蓬江区人民法院","level":"基层","parent":"粤07","staffing":[{"year":2024,"authorized_staff":180,"central_special_staff":150,"quota_allotted":58,"quota_filled":55,"admin_staff":20}]}

{"type":"person","id":"P1","court":"粤0703","name":"张三","roles":["庭长","员额法官"],"division":"民一庭","in_quota":true}
{"type":"person","id":"P2","court":"粤0703","name":"李四","roles":["员额法官"],"in_quota":true}
{"type":"case","case_no":"(2024)粤0703民初1234号","cause":"民间借贷纠纷","procedure":"简易","filing_date":"2024-03-01","claim_amount":"64610.00","parties":[{"name":"王五","role":"原告"},{"name":"赵六","role":"被告"}],"flags":{"counterclaim":false},"trial_org":"独任","judges":["P1"],"status":"在办"}
{"type":"case","case_no":"（2014）粤高法民一终字第123号","court":"粤","kind":"民事","filing_date":"2014-05-06","claim_amount":1200000,"status":"已结","closing_date":"2014-12-01"}
{"type":"event","id":"E1","case_no":"(2024)粤0703民初1234号","event":"assigned","at":"2024-03-01T09:30:00","actor":"P1"}
{"type":"event","id":"E2","case_no":"(2024)粤0703民初1234号","event":"extension_approved","at":"2024-05-20","data":{"months":1}}
{"type":"event","id":"E3","court":"粤0703","event":"interference_report","at":"2024-04-01","data":{"month":"2024-03","count":0}}
JSON
cr ingest "$T/good.jsonl"; expect_status 0 "valid batch ingests"
expect_in "$T/out" "10 records" "summary counts the records"
expect_eq "$(sql "$DB" 'SELECT count(*) FROM cases')" "2" "two cases stored"
expect_eq "$(sql "$DB" "SELECT claim_fen FROM cases WHERE case_no='(2024)粤0703民初1234号'")" \
    "6461000" "claim stored exactly in fen"
expect_eq "$(sql "$DB" "SELECT json_extract(doc,'\$.kind')||json_extract(doc,'\$.type_code')||json_extract(doc,'\$.seq')||json_extract(doc,'\$.party_count') FROM cases WHERE year=2024")" \
    "民事民初12342" "case number parsed into kind, type, sequence; party count derived"
expect_eq "$(sql "$DB" "SELECT at FROM events WHERE id='E1'")" "2024-03-01T09:30:00+08:00" \
    "timestamps normalized to Beijing time"
expect_eq "$(sql "$DB" "SELECT group_concat(court) FROM events WHERE id IN ('E1', 'E2')")" \
    "粤0703,粤0703" "events take the court of their case, stored earlier in the same file"
expect_eq "$(sql "$DB" "SELECT quota_filled FROM court_staffing WHERE court='粤0703'")" "55" \
    "staffing figures stored"
expect_eq "$(sql "$DB" "SELECT count(*) FROM audit WHERE action='ingest.batch'")" "1" \
    "the batch is in the audit trail"

# Re-ingesting the same file changes nothing but is accepted (idempotent).
cr ingest "$T/good.jsonl"; expect_status 0 "re-ingest of the same file"
expect_in "$T/out" "unchanged" "re-ingest reports unchanged records"
expect_eq "$(sql "$DB" 'SELECT count(*) FROM cases')" "2" "no duplicate rows after re-ingest"

# An update by key replaces the record.
printf '%s\n' '{"type":"case","case_no":"(2024)粤0703民初1234号","filing_date":"2024-03-01","status":"已结","closing_date":"2024-06-30","claim_amount":"64611"}' >"$T/update.jsonl"
cr ingest "$T/update.jsonl"; expect_status 0 "update by 案号"
expect_eq "$(sql "$DB" "SELECT status||claim_fen FROM cases WHERE year=2024")" "已结6461100" \
    "the update replaced the case"

counts() {
    sql "$DB" "SELECT (SELECT count(*) FROM courts)||'/'||(SELECT count(*) FROM people)||'/'||(SELECT count(*) FROM cases)||'/'||(SELECT count(*) FROM events)||'/'||(SELECT count(*) FROM audit)||'/'||(SELECT group_concat(doc) FROM cases)"
}
BEFORE=$(counts)

# bad NAME LINE-NUMBER EXPECTED-TEXT: $T/bad.jsonl must be rejected with
# exit 2, the message must name the file and line and contain the text, and
# the database must be unchanged.
bad() {
    cr ingest "$T/bad.jsonl"
    expect_status 2 "bad input rejected: $1"
    expect_in "$T/err" "bad.jsonl:$2: $3" "message names line and reason: $1"
    expect_eq "$(counts)" "$BEFORE" "database unchanged: $1"
}
prefix() { # the valid lines every bad file starts with
    printf '%s\n' '{"type":"case","case_no":"(2024)粤0703民初1300号","filing_date":"2024-03-01","status":"在办"}'
}

{ prefix; printf '%s\n' '{"type":"case","case_no":"(2024)粤0703民初13'; } >"$T/bad.jsonl"
bad "truncated JSON" 2 "invalid JSON"
{ prefix; printf '{"type":"court","code":"\377\376","name":"x","level":"基层"}\n'; } >"$T/bad.jsonl"
bad "invalid UTF-8" 2 "invalid JSON"
{ prefix; printf '%s\n' '{"type":"case","case_no":"(2024)粤0703民初1301号","filing_date":"2024-03-01","status":"在办","party_count":"3"}'; } >"$T/bad.jsonl"
bad "wrong type" 2 "party_count: must be an integer, got a string"
{ prefix; printf '%s\n' '{"type":"case","case_no":"(2024)粤0703民初1302号","status":"在办"}'; } >"$T/bad.jsonl"
bad "missing required field" 2 "filing_date: required field is missing"
{ prefix; printf '%s\n' '{"type":"case","case_no":"(2024)粤0703民初1303号","filing_date":"2024-03-01","status":"在办","judge_mood":"good"}'; } >"$T/bad.jsonl"
bad "unknown field" 2 "judge_mood: unknown field"
{ prefix; printf '%s\n' '{"type":"case","case_no":"(2024)粤0703民初0号","filing_date":"2024-03-01","status":"在办"}'; } >"$T/bad.jsonl"
bad "bad 案号" 2 "case_no: '(2024)粤0703民初0号'"
{ prefix; printf '%s\n' '{"type":"case","case_no":"(2024)粤0703民初1304号","filing_date":"2024-02-30","status":"在办"}'; } >"$T/bad.jsonl"
bad "2024-02-30" 2 "filing_date:"
{ prefix; printf '%s\n' '{"type":"case","case_no":"(2024)粤0703民初1305号","filing_date":"2024-03-01","status":"在办","claim_amount":"-5"}'; } >"$T/bad.jsonl"
bad "negative amount" 2 "claim_amount:"
{ prefix; printf '%s\n' '{"type":"case","case_no":"(2024)粤0703民初1306号","filing_date":"2024-03-01","status":"在办","claim_amount":-5}'; } >"$T/bad.jsonl"
bad "negative integer amount" 2 "claim_amount: negative amounts are not allowed"
{ prefix; printf '%s\n' '{"type":"case","case_no":"(2024)粤0703民初1307号","filing_date":"2024-03-01","status":"在办","claim_amount":100.1}'; } >"$T/bad.jsonl"
bad "fractional JSON number amount" 2 "claim_amount: fractional JSON numbers are inexact"
{ prefix; prefix; } >"$T/bad.jsonl"
bad "duplicate 案号 in one batch" 2 "case_no: '(2024)粤0703民初1300号' is given twice in this batch"
{ prefix; printf '%s\n' '{"type":"case","case_no":"(2024)粤0799民初1号","filing_date":"2024-03-01","status":"在办"}'; } >"$T/bad.jsonl"
bad "unknown court" 2 "court: unknown court '粤0799'"
{ prefix; printf '%s\n' '{"type":"event","id":"E9","case_no":"(2024)粤0703民初9999号","event":"hearing","at":"2024-03-01"}'; } >"$T/bad.jsonl"
bad "event for an unknown case" 2 "case_no: unknown case"
{ prefix; printf '%s\n' '{"type":"event","id":"E9","case_no":"(2024)粤0703民初1300号","court":"粤07","event":"hearing","at":"2024-03-01"}'; } >"$T/bad.jsonl"
bad "event with another court than its case, stored just before" 2 "court: '粤07' is not the court of case (2024)粤0703民初1300号 ('粤0703')"
{ prefix; printf '%s\n' '{"type":"case","case_no":"(2024)粤0703民初1308号","filing_date":"2024-03-01","status":"已结","closing_date":"2024-02-01"}'; } >"$T/bad.jsonl"
bad "closing before filing" 2 "closing_date: 2024-02-01 is before filing_date"
{ prefix; printf '%s\n' '[1,2,3]'; } >"$T/bad.jsonl"
bad "not an object" 2 "a record must be a JSON object"
{ prefix; printf '%s\n' '{"type":"verdict"}'; } >"$T/bad.jsonl"
bad "unknown record type" 2 "type: 'verdict' is not one of"
{ prefix; printf '%s\n' '{"type":"person","id":"P3","court":"粤0703","name":"x","roles":["法官"],"in_quota":true}'; } >"$T/bad.jsonl"
bad "unknown role" 2 "roles[0]: '法官' is not one of"
{ prefix; printf '%s\n' '{"type":"case","case_no":"(2024)粤0703民初1309号","filing_date":"2024-03-01","status":"在办","flags":{"vip":true}}'; } >"$T/bad.jsonl"
bad "unknown flag" 2 "flags.vip: unknown flag"
{ prefix; printf '%s\n' '{"type":"case","case_no":"(2024)粤0703民初1310号","case_no":"(2024)粤0703民初1311号","filing_date":"2024-03-01","status":"在办"}'; } >"$T/bad.jsonl"
bad "duplicate JSON key" 2 "invalid JSON at column 55: duplicate object key"
# A 10 MB line: rejected by the line cap, nothing half-written.
{ prefix; printf '{"type":"case","case_no":"(2024)粤0703民初1312号","cause":"'; head -c 10485760 /dev/zero | tr '\0' 'x'; printf '","filing_date":"2024-03-01","status":"在办"}\n'; } >"$T/bad.jsonl"
bad "a 10 MB line" 2 "line is longer than"

: >"$T/bad.jsonl"
cr ingest "$T/bad.jsonl"; expect_status 2 "empty file rejected"
expect_in "$T/err" "no records (empty input)" "empty file message"
printf '\n  \n\t\n' >"$T/bad.jsonl"
cr ingest "$T/bad.jsonl"; expect_status 2 "blank-only file rejected"
expect_in "$T/err" "no records (only blank lines)" "blank file message"
expect_eq "$(counts)" "$BEFORE" "database unchanged after empty inputs"

cr ingest "$T/missing.jsonl"; expect_status 2 "missing file is a usage error"
expect_in "$T/err" "missing.jsonl: cannot open" "missing file named"
cr ingest; expect_status 2 "no file argument"
cr ingest --bogus x; expect_status 2 "unknown option"

# --skip-invalid: valid records land, every reject is written with its reason.
{ prefix
  printf '%s\n' '{"type":"case","case_no":"(2024)粤0703民初1304号","filing_date":"2024-02-30","status":"在办"}'
  printf '%s\n' '{"type":"case","case_no":"(2024)粤0703民初1320号","filing_date":"2024-03-02","status":"在办"}'
  printf '%s\n' '{"type":"case","case_no":"(2024)粤0703民初1320号","filing_date":"2024-03-02","status":"在办"}'
} >"$T/mixed.jsonl"
cr ingest --skip-invalid --rejects "$T/rejects.jsonl" "$T/mixed.jsonl"
expect_status 0 "--skip-invalid loads the valid records"
expect_in "$T/out" "rejected 2 lines" "summary reports the rejects"
expect_in "$T/err" "2 lines rejected" "stderr reports the rejects"
expect_eq "$(wc -l <"$T/rejects.jsonl" | tr -d ' ')" "2" "two rejects written"
expect_in "$T/rejects.jsonl" '"line":2' "reject names its line"
expect_in "$T/rejects.jsonl" "filing_date:" "reject carries its reason"
expect_eq "$(sql "$DB" "SELECT count(*) FROM cases WHERE case_no IN ('(2024)粤0703民初1300号','(2024)粤0703民初1320号')")" \
    "2" "valid records of the mixed file landed"

# Standard input and JSON summary.
printf '%s\n' '{"type":"case","case_no":"(2025)粤0703民初1号","filing_date":"2025-01-02","status":"在办"}' |
    "$COURTRULES" --json ingest - >"$T/out" 2>"$T/err"; RC=$?
expect_status 0 "ingest from standard input"
expect_in "$T/out" '"records": 1' "JSON summary"

# A newer schema is refused, with a message that says so.
cp "$DB" "$T/newer.db"
sqlite3 "$T/newer.db" 'PRAGMA user_version=999'
cr --db "$T/newer.db" ingest "$T/good.jsonl"; expect_status 2 "newer schema refused"
expect_in "$T/err" "newer than this courtrules" "newer schema message"
cr --db "$T/nope.db" ingest "$T/good.jsonl"; expect_status 2 "missing database refused"
expect_in "$T/err" "run \`courtrules init\` first" "missing database message"

# The shipped one-defect files (examples/bad/README.md names each bad line):
# all rejected with exit 2 at the named line, nothing stored.
for f in "$SRC"/examples/bad/*.jsonl; do
    name=$(basename "$f")
    line=$(sed -n "s/^- \`$name\` — line \([0-9]*\):.*/\1/p" "$SRC/examples/bad/README.md")
    BEFORE=$(counts)
    cr ingest "$f"; expect_status 2 "examples/bad/$name rejected"
    if [ -n "$line" ]; then
        expect_in "$T/err" "$name:$line: " "examples/bad/$name: error names line $line"
    else
        expect_in "$T/err" "no records" "examples/bad/$name: no records"
    fi
    expect_eq "$(counts)" "$BEFORE" "examples/bad/$name: database unchanged"
done

# The sample data loads, twice (the second time nothing changes).
cr --db "$T/sample.db" init
cr --db "$T/sample.db" ingest "$SRC/examples/sample.jsonl"; expect_status 0 "examples/sample.jsonl loads"
cr --db "$T/sample.db" ingest "$SRC/examples/sample.jsonl"; expect_status 0 "sample loads again"
expect_in "$T/out" "0 new         0 updated" "second load changes nothing"

# A progress line on a terminal (script(1) gives the command a pty), none
# when stderr is not a terminal.
if [ -n "${COURTRULES_GEN:-}" ] && [ -x "$COURTRULES_GEN" ] && command -v script >/dev/null; then
    "$COURTRULES_GEN" --seed 5 --cases 20000 --out "$T/big.jsonl"
    cr --db "$T/big.db" init
    script -qec "'$COURTRULES' --db '$T/big.db' ingest '$T/big.jsonl'" /dev/null >"$T/tty" 2>&1
    expect_in "$T/tty" "ingest $T/big.jsonl: " "a progress line on a terminal"
    expect_in "$T/tty" "records (" "the progress line shows the rate"
    cr --db "$T/big.db" ingest "$T/big.jsonl"
    if grep -q "records (" "$T/err"; then fail "no progress line when stderr is not a terminal"
    else ok "no progress line when stderr is not a terminal"; fi
else
    fail "progress test needs the generator (COURTRULES_GEN) and script(1)"
fi

expect_eq "$(sql "$DB" 'PRAGMA integrity_check')" "ok" "integrity check"
finish
