#!/bin/sh
# End to end: `courtrules test` (table-driven rule tests, test data for
# ctx.query and court-level tests, coverage) and `courtrules lint` (luacheck
# with the sandbox's globals), on the fixture rule sets in
# tests/fixtures/ruletest.
. "$SRC/tests/e2e/lib.sh"
F="$SRC/tests/fixtures/ruletest"
export COURTRULES_CALENDAR="$SRC/data/calendar/cn.json"
# The tests' temporary databases go here; every run must leave it empty.
export TMPDIR="$T/tmp"
mkdir -p "$TMPDIR"

# last_line FILE: the file's last line.
last_line() { tail -n 1 "$1"; }

# no_temp_left DESCRIPTION: the last run removed its temporary databases.
no_temp_left() {
    if [ -z "$(ls -A "$TMPDIR")" ]; then ok "$1: temporary databases removed"; else
        fail "$1: left in \$TMPDIR: $(ls -A "$TMPDIR")"; rm -rf "${TMPDIR:?}"/*
    fi
}

# ---- passing tests ----

cr test "$F/base"
expect_status 0 "base: all tests pass"
expect_in "$T/out" "ok   base/mass: exactly 10 parties is a mass dispute" "base: ok line"
expect_in "$T/out" "ok   base/mass: the case is normalized as ingest does" "base: normalized like ingest"
expect_in "$T/out" "ok   base/query_user: without data, ctx.query is not available" "base: no ctx.query without data"
expect_eq "$(last_line "$T/out")" "8 passed, 0 failed" "base: summary line"

cr test "$F/guangdong"
expect_status 0 "guangdong: a provincial set tests the baseline's rule with its params"
expect_eq "$(last_line "$T/out")" "2 passed, 0 failed" "guangdong: summary line"

cr test "$F/base/tests/mass.lua"
expect_status 0 "one test file"
expect_eq "$(last_line "$T/out")" "8 passed, 0 failed" "one test file: summary"

cr test "$F/guangdong/tests"
expect_eq "$(last_line "$T/out")" "2 passed, 0 failed" "a set's tests/ folder"

# ---- failing tests: each fails for its own reason ----

cr test "$F/failing"
expect_status 1 "failing: exit 1"
expect_eq "$(last_line "$T/out")" "0 passed, 16 failed" "failing: summary line"
expect_in "$T/out" 'FAIL failing/mass: wrong expected result: expected result.categories = ["群体性纠纷"], got ["群体性"]' \
    "wrong result: names the key, expected and got"
expect_in "$T/out" 'FAIL failing/mass: missing alert: alerts: expected [4C-MASS], got [] -- missing 4C-MASS' \
    "missing alert"
expect_in "$T/out" 'FAIL failing/mass: unexpected alert: alerts: expected [], got [4C-MASS (warning)] -- unexpected 4C-MASS' \
    "unexpected alert"
expect_in "$T/out" "FAIL failing/mass: expected an error that did not happen: expected an error containing 'boom', but on_case returned {" \
    "expected error did not happen"
expect_in "$T/out" 'FAIL failing/mass: an error nobody expected: on_case failed (error) base/mass.lua:' \
    "unexpected error names the script and line"
expect_in "$T/out" 'FAIL failing/mass: fixture fails validation: fixture is not a valid case: claim_amount:' \
    "invalid fixture names the field"
expect_in "$T/out" "FAIL failing/mass: event fails validation: fixture is not a valid case: events[2]: event: 'lunch'" \
    "invalid event names the event and field"
expect_in "$T/out" "FAIL failing/local_only: rule does not apply to the court: rule 'local_only' does not apply to court '粤0703': defined in rule set 'hunan' (scope '湘')" \
    "rule out of scope"
expect_in "$T/out" "switched off by rule set 'guangdong' (disable)" "rule disabled for the court"
expect_in "$T/out" "FAIL failing/mass: wrong log line: expected a log line containing 'party_count 11'" \
    "log_contains"
expect_in "$T/out" "FAIL failing/court_load: court not in data: court '浙0109' is not in the test's data" \
    "a court test for a court not in data fails"
expect_in "$T/out" "FAIL failing/court_load: court test without data: court '浙0102' is not in the test's data: it has none" \
    "a court test without data fails"
expect_in "$T/out" "FAIL failing/court_load: wrong court result: expected result.pending = 1, got 0; alerts: expected [LOAD-HIGH], got [] -- missing LOAD-HIGH" \
    "a court test compares result and alerts"
expect_in "$T/out" "FAIL failing/peers: a case rule in a court test: rule 'peers' (courts/peers.lua) has no on_court hook" \
    "a court test of a rule without on_court fails"
expect_in "$T/out" "FAIL failing/court_load: a court rule in a case test: rule 'court_load' (courts/court_load.lua) has no on_case hook: it is a court-level rule" \
    "a case test of a rule without on_case fails"
expect_in "$T/out" "FAIL failing/peers: ctx.query without data: on_case failed (error) courts/peers.lua:7: ctx.query: not available in this evaluation (the test has no data" \
    "ctx.query without data: the failure says to give data"
no_temp_left "failing"

# ---- court-level tests and ctx.query over test data ----

cr test "$F/courts"
expect_status 0 "courts: all tests pass"
expect_in "$T/out" "ok   courts/court_load: exactly 2 pending per judge: no alert" "a court test (on_court)"
expect_in "$T/out" "ok   courts/court_load: one more pending case (this test's own data): alert" \
    "a test's own data is added to the file's"
expect_in "$T/out" "ok   courts/court_load: a year with another staffing entry" "a test's own data replaces a record"
expect_in "$T/out" "ok   courts/court_load: out of the set's scope" "a court test: not_applicable"
expect_in "$T/out" "ok   courts/peers: the judge's cases in data are counted" "ctx.query in a case test"
expect_eq "$(last_line "$T/out")" "9 passed, 0 failed" "courts: summary line"
no_temp_left "courts"

cr --json test "$F/courts/tests/court_load.lua"
expect_in "$T/out" '"court_code": "浙0102"' "--json: a court test names its court"

cr test "$F"
expect_status 1 "whole rules directory: exit 1"
expect_eq "$(last_line "$T/out")" "19 passed, 16 failed" "whole rules directory: summary line"

cr --rules "$F" test
expect_eq "$(last_line "$T/out")" "19 passed, 16 failed" "no DIR: uses --rules"

# ---- --json ----

cr --json test "$F/failing"
expect_status 1 "--json: exit 1"
expect_in "$T/out" '"passed": 0' "--json: passed"
expect_in "$T/out" '"failed": 16' "--json: failed"
expect_in "$T/out" '"name": "missing alert"' "--json: test names"
expect_in "$T/out" '"ran": "base/mass"' "--json: the rule that ran"
if grep -q '^ok \|^FAIL ' "$T/out"; then fail "--json: no text lines"; else ok "--json: no text lines"; fi

# ---- malformed test files and bad usage: exit 2, naming the file ----

mkdir -p "$T/r"
cp -R "$F/base" "$T/r/base"
rm -f "$T/r/base/tests/"*.lua
M="$T/r/base/tests"

malformed() { # NAME LUA EXPECTED-TEXT
    rm -f "$M"/*.lua
    printf '%s\n' "$2" >"$M/$1.lua"
    cr test "$T/r"
    expect_status 2 "malformed ($1): exit 2"
    expect_in "$T/err" "$1.lua" "malformed ($1): names the file"
    expect_in "$T/err" "$3" "malformed ($1): says why"
}
malformed syntax 'return {' "syntax"
malformed function 'return { rule = "mass", as_of = "2026-01-01", cases = { { name = "x", case = {}, expect = { result = function() end } } } }' \
    "is a function"
malformed typo 'return { rule = "mass", as_of = "2026-01-01", cases = { { name = "x", case = {}, expect = { alert = {} } } } }' \
    "cases[1].expect.alert: unknown key"
malformed no_as_of 'return { rule = "mass", cases = { { name = "x", case = {} } } }' \
    "as_of: required"
malformed bad_date 'return { rule = "mass", as_of = "2026-02-30", cases = { { name = "x", case = {} } } }' \
    "as_of"
malformed no_cases 'return { rule = "mass", as_of = "2026-01-01" }' "cases: required"
malformed error_and_result 'return { rule = "mass", as_of = "2026-01-01", cases = { { name = "x", case = {}, expect = { error = "e", alerts = {} } } } }' \
    "expect either error or those"
malformed escape 'return os.exit(1)' "os"

# Test data: validated as ingest validates, the record named by its place.
COURT='{ type = "court", code = "浙0102", name = "上城区人民法院", level = "基层" }'
malformed bad_record "return { rule = \"mass\", as_of = \"2026-01-01\", data = { $COURT,
  { type = \"person\", id = \"P1\", court = \"浙0102\", name = \"甲\", roles = { \"院长\" } } },
  cases = { { name = \"x\", court_code = \"浙0102\" } } }" \
    "data[2] (person 'P1'): in_quota: required field is missing"
malformed bad_reference "return { rule = \"mass\", as_of = \"2026-01-01\", data = { $COURT,
  { type = \"case\", case_no = \"(2026)浙0102民初1号\", filing_date = \"2026-01-05\", status = \"在办\", presiding = \"P9\" } },
  cases = { { name = \"x\", court_code = \"浙0102\" } } }" \
    "data[2] (case '(2026)浙0102民初1号'): presiding: unknown person 'P9'"
malformed bad_case_data "return { rule = \"mass\", as_of = \"2026-01-01\", data = { $COURT },
  cases = { { name = \"x\", court_code = \"浙0102\",
              data = { { type = \"court\", code = \"浙0103\", name = \"y\", level = \"基层\",
                         staffing = { { year = 2026, admin_staff = -1 } } } } } } }" \
    "cases[1].data[1] (court '浙0103'): staffing[0].admin_staff: must not be negative"
malformed twice "return { rule = \"mass\", as_of = \"2026-01-01\", data = { $COURT, $COURT },
  cases = { { name = \"x\", court_code = \"浙0102\" } } }" \
    "data[2] (court '浙0102'): code: '浙0102' is given twice"
malformed data_not_a_list 'return { rule = "mass", as_of = "2026-01-01", data = { type = "court" }, cases = { { name = "x", court_code = "浙0102" } } }' \
    "data: must be a list of records"
malformed court_and_case 'return { rule = "mass", as_of = "2026-01-01", cases = { { name = "x", court_code = "浙0102", case = {} } } }' \
    "cases[1].court_code: a court-level test (on_court) has no case"
malformed bad_court_code 'return { rule = "mass", as_of = "2026-01-01", cases = { { name = "x", court_code = "x" } } }' \
    "cases[1].court_code: 'x'"
rm -f "$M"/*.lua
no_temp_left "malformed data"

cr test "$T/nonexistent"
expect_status 2 "missing DIR: exit 2"
cr test "$F/base" --min 50
expect_status 2 "--min without --coverage: exit 2"
cr test --frobnicate
expect_status 2 "unknown option: exit 2"

# ---- coverage ----

# A copy of base whose tests run one case: mass.lua is partly covered.
cat >"$M/one.lua" <<'LUA'
return { rule = "mass", as_of = "2026-03-31", cases = {
  { name = "nine parties",
    case = { case_no = "(2026)京0101民初2号", filing_date = "2026-01-05", status = "在办", party_count = 9 },
    expect = { alerts = {} } } } }
LUA
cr test --coverage --min 10 "$T/r"
if grep -q "not available in this build" "$T/err"; then
    fail "coverage: not available in this build (the sandbox has a line hook)"
else
    expect_status 0 "coverage --min 10: passes"
    expect_in "$T/out" "coverage base/mass.lua:" "coverage: a line per rule script"
    expect_in "$T/out" "not run:" "coverage: lists the lines not run"
    expect_in "$T/out" "coverage base/query_user.lua: " "coverage: untested script listed"
    expect_eq "$(last_line "$T/out")" "1 passed, 0 failed" "coverage: the summary stays last"

    cr test --coverage --min 95 "$T/r"
    expect_status 1 "coverage --min 95: fails"
    expect_in "$T/out" "FAIL coverage base/mass.lua:" "coverage: the script below the threshold"
    expect_in "$T/out" "(below 95%)" "coverage: names the threshold"

    cr test --coverage "$F/base"
    expect_status 0 "coverage: the fixture's own tests run every line (default 80%)"
    expect_in "$T/out" "coverage base/mass.lua: 37/37 lines, 100.0%" "coverage: counts lines with code"

    cr --json test --coverage --min 95 "$T/r"
    expect_in "$T/out" '"coverage": {' "coverage --json"
    expect_in "$T/out" '"missed": [' "coverage --json: missed lines"

    cr test --coverage --min 100 "$F/courts"
    expect_status 0 "coverage of court-level rules (on_court)"
    expect_in "$T/out" "coverage courts/court_load.lua: 20/20 lines, 100.0%" "coverage: on_court lines counted"
    expect_in "$T/out" "coverage courts/peers.lua: 10/10 lines, 100.0%" "coverage: a rule using ctx.query"
fi

# ---- lint ----

PATH=/nonexistent "$COURTRULES" lint "$F" >"$T/out" 2>"$T/err"
RC=$?
expect_status 2 "lint without luacheck: exit 2"
expect_in "$T/err" "luacheck is not installed" "lint without luacheck: says so"

cr lint --print-config
n=$(wc -l <"$T/out")
if head -n "$n" "$SRC/.luacheckrc" | cmp -s - "$T/out"; then
    ok "the repository's .luacheckrc starts with the built-in config"
else
    fail "the repository's .luacheckrc does not start with \`courtrules lint --print-config\`"
fi

if command -v luacheck >/dev/null 2>&1; then
    cr lint "$F"
    expect_status 0 "lint: the fixture rule sets are clean"

    mkdir -p "$T/lint/clean" "$T/lint/dirty"
    cat >"$T/lint/clean/ok.lua" <<'LUA'
local util = require "util"
return {
  name = "ok", version = "1",
  on_case = function(case, ctx)
    local n = math.floor(utf8.len(case.cause or "") / 2)
    return { n = n, due = ctx.date.add_days(case.filing_date, 30), u = util, s = ("x"):rep(2) }
  end,
}
LUA
    cr lint "$T/lint/clean"
    expect_status 0 "lint: a clean script passes (built-in config)"

    cat >"$T/lint/dirty/bad.lua" <<'LUA'
counter = 0
return {
  name = "bad", version = "1",
  on_case = function(case, ctx)
    print(case.case_no)
    local unused = 1
    return { t = os.time(), r = math.random(), d = string.dump }
  end,
}
LUA
    cr lint "$T/lint/dirty"
    expect_status 1 "lint: a dirty script fails with luacheck's status"
    expect_in "$T/out" "setting non-standard global variable 'counter'" "lint: global assignment"
    expect_in "$T/out" "accessing undefined variable 'print'" "lint: print is absent"
    expect_in "$T/out" "accessing undefined variable 'os'" "lint: os is absent"
    expect_in "$T/out" "accessing undefined field 'random' of global 'math'" "lint: math.random is absent"
    expect_in "$T/out" "accessing undefined field 'dump' of global 'string'" "lint: string.dump is absent"
    expect_in "$T/out" "unused variable 'unused'" "lint: luacheck's own checks"
else
    fail "lint: luacheck is not installed (Debian package lua-check; scripts/deps.sh installs it)"
fi

finish
