#!/bin/sh
# End to end: hostile rule scripts, each in its own rule set, evaluated in the
# same run as a healthy rule set. Every attack must fail with a recorded
# reason, the host must exit normally, and the healthy set's results must be
# correct for every case. (Under the sanitizer build, ASan/UBSan reports make
# the binary exit non-zero, so they fail this test too.)
. "$SRC/tests/e2e/lib.sh"
DB="$T/c.db"
R="$T/rules"
export COURTRULES_DB="$DB"
mkdir -p "$R/healthy"

cat >"$R/healthy/ruleset.json" <<'JSON'
{"name": "healthy", "scope": "*", "params": {"factor": 2}}
JSON
cat >"$R/healthy/double.lua" <<'LUA'
return {
  name = "double", version = "1",
  on_case = function(case, ctx)
    return { n = case.party_count * ctx.params.factor, court = case.court, events = #case.events }
  end,
}
LUA

# A runaway call is stopped by the instruction budget, or by the wall-clock
# one when the machine is slow enough (a sanitizer build under load) to reach
# the deadline first: either is the sandbox doing its job.
RUNAWAY="instruction|wall-clock"

# attack NAME EXPECTED-REASON: the Lua source on stdin is the rule script of
# rule set a_NAME (scope 粤, so it covers every case below).
attack() {
    mkdir -p "$R/a_$1"
    printf '{"name": "a_%s", "scope": "粤"}\n' "$1" >"$R/a_$1/ruleset.json"
    cat >"$R/a_$1/rule.lua"
    printf '%s\n' "$1|$2" >>"$T/expected"
}
hook() { # hook NAME EXPECTED BODY: an on_case hook whose body is BODY
    printf 'return { name = "r", on_case = function(case, ctx)\n%s\nend }\n' "$3" | attack "$1" "$2"
}

hook os_execute "global 'os'" 'os.execute("touch /tmp/courtrules-pwned")'
hook io_open "global 'io'" 'return io.open("/etc/passwd"):read("a")'
hook package_loadlib "global 'package'" 'return package.loadlib("/lib/x86_64-linux-gnu/libc.so.6", "system")'
hook require_c_module "module 'lfs' not found" 'return require("lfs")'
hook require_path_escape "invalid module name" 'return require("../healthy/double")'
hook load_binary_chunk "global 'load'" 'return load("\27Lua\84\0")'
hook string_dump "field 'dump'" 'return string.dump(function() end)'
hook debug_getregistry "global 'debug'" 'return debug.getregistry()'
hook write_global "read-only" 'leaked = 1'
hook setmetatable_globals "got nil|read-only" 'setmetatable(_G, { __index = function() return 1 end })'
hook string_metatable_index "read-only" 'getmetatable("").__index = { upper = function() return "x" end }'
hook rawset_ctx "global 'rawset'" 'rawset(ctx, "as_of", "1970-01-01")'
hook modify_case "read-only" 'case.status = "已结"'
hook modify_events "read-only" 'case.events[#case.events + 1] = { event = "x" }'
hook modify_params "read-only" 'ctx.params.factor = 100'
hook while_true "$RUNAWAY" 'while true do end'
hook pcall_loop "$RUNAWAY" 'while true do pcall(function() while true do end end) end'
hook pathological_pattern "$RUNAWAY" 'return string.find(("a"):rep(40), ("a-"):rep(40) .. "b")'
hook string_rep_2g "string_cap" 'return #string.rep("x", 2^31)'
hook concat_doubling "string_cap|memory" 'local s = "x" for i = 1, 40 do s = s .. s end return #s'
hook table_grows "memory" 'local t = {} while true do t[#t + 1] = { 1, 2, 3, 4 } end'
# An 8 MB cap: the default 64 MB took a sanitizer build under load past the
# 1 s deadline first, which is the sandbox doing its job but not this test's.
printf '{"name": "a_table_grows", "scope": "粤", "limits": {"memory_mb": 8}}\n' \
    >"$R/a_table_grows/ruleset.json"
hook unpack_huge "too many results" 'return table.unpack({}, 0, 2^31 - 1)'
hook self_reference "refers to itself" 'local t = {} t.me = t return t'
hook tostring_loop_error "error object is a table" 'error(setmetatable({}, { __tostring = function() while true do end end }))'
hook gc_metatable "__gc" 'setmetatable({}, { __gc = function() while true do end end })'
hook deep_recursion "stack overflow" 'local function f(n) return f(n + 1) + 1 end return f(1)'
hook alert_flood "more than" 'for i = 1, 1000 do ctx.alert{ code = "X", message = "x", basis = "b", dedup_key = tostring(i) } end'
hook bad_alert "code" 'ctx.alert{ code = 1, message = "x", basis = "b" }'
hook bad_alert_utf8 "text is not valid UTF-8" 'ctx.alert{ code = "X", message = "x\255", basis = "b" }'
hook bad_dedup_utf8 "text is not valid UTF-8" 'ctx.alert{ code = "X", message = "x", basis = "b", dedup_key = "k\255" }'
hook bad_data "data: value at .f is a function" 'ctx.alert{ code = "X", message = "x", basis = "b", data = { f = print or error } }'
hook function_result "function" 'return { f = print or function() end }'
# A case table kept past its call: its view is reused for the next case
# (sandbox.h, pooled views), and stays read-only through the kept reference.
cat <<'LUA' | attack kept_case_write "read-only"
local kept
return { name = "r", on_case = function(case, ctx)
  if kept then kept.status = "已结" end
  kept = case
  error("kept this case for the next call")
end }
LUA

# Attacks at load time: a top-level loop, a syntax error, a coroutine made at
# load time and resumed by the hook, a binary chunk file.
printf 'while true do end\nreturn { name = "r" }\n' | attack top_level_loop "instruction"
printf 'return { name = "r", on_case = function(case, ctx)\n' | attack syntax_error "syntax|expected|near"
cat <<'LUA' | attack coroutine_at_load "instruction"
local co = coroutine.create(function() while true do end end)
return { name = "r", on_case = function(case, ctx)
  local ok, err = coroutine.resume(co)
  if not ok then error(err, 0) end
end }
LUA
printf '\033Lua\124\000\031\223' | attack binary_chunk "binary|text"

cat >"$T/data.jsonl" <<'JSON'
{"type":"court","code":"粤","name":"广东省高级人民法院","level":"高级"}
{"type":"court","code":"粤0703","name":"江门市蓬江区人民法院","level":"基层","parent":"粤"}
{"type":"court","code":"苏","name":"江苏省高级人民法院","level":"高级"}
{"type":"case","case_no":"(2024)粤0703民初1号","filing_date":"2024-03-01","status":"在办","party_count":3}
{"type":"case","case_no":"(2024)粤0703民初2号","filing_date":"2024-03-02","status":"在办","party_count":12}
{"type":"case","case_no":"(2024)苏民终3号","filing_date":"2024-03-03","status":"在办","party_count":2}
{"type":"event","id":"E1","case_no":"(2024)粤0703民初1号","event":"assigned","at":"2024-03-01"}
JSON
# Each rule's result, flattened from the one evaluation row per case.
RESULTS="evaluation_results"

cr init; expect_status 0 "init"
cr ingest "$T/data.jsonl"; expect_status 0 "ingest"

cr --rules "$R" eval --as-of 2024-06-01 --quarantine-after 100
expect_status 0 "the host exits normally after every attack"
expect_eq "$(sql "$DB" "SELECT count(*) FROM $RESULTS x WHERE rule_set='healthy' AND status='ok' AND json_extract(value,'\$.n') = 2 * (SELECT party_count FROM cases c WHERE c.case_no = x.case_no)")" \
    "3" "the healthy rule set's results are correct for every case"
expect_eq "$(sql "$DB" "SELECT json_extract(value,'\$.events') FROM $RESULTS WHERE rule_set='healthy' AND case_no='(2024)粤0703民初1号'")" \
    "1" "the healthy rule sees the case's events"
[ ! -e /tmp/courtrules-pwned ] && ok "os.execute did not run" || fail "os.execute ran"

while IFS='|' read -r name want; do
    reasons=$(sql "$DB" "SELECT kind || ': ' || reason FROM failures WHERE rule_set = 'a_$name'")
    if [ -z "$reasons" ]; then
        fail "attack $name: no failure recorded"
    elif [ -n "$want" ] && ! printf '%s\n' "$reasons" | grep -Eq -- "$want"; then
        fail "attack $name: reason does not mention '$want': $(printf '%s' "$reasons" | head -1)"
    else
        ok "attack $name fails with a recorded reason"
    fi
done <"$T/expected"

# Runtime attacks are recorded with their case; no attack rule produced an ok result.
expect_eq "$(sql "$DB" "SELECT count(*) FROM $RESULTS WHERE rule_set LIKE 'a_%' AND status = 'ok'")" \
    "0" "no attack produced a result"
expect_eq "$(sql "$DB" "SELECT count(*) FROM failures WHERE rule_set = 'a_while_true' AND case_no = '(2024)粤0703民初2号'")" \
    "1" "a failure names its case"
expect_eq "$(sql "$DB" "SELECT count(*) FROM failures WHERE rule_set LIKE 'a_%' AND case_no LIKE '%苏%'")" \
    "0" "rule sets scoped to 粤 never saw a 苏 case"
expect_eq "$(sql "$DB" 'PRAGMA integrity_check')" "ok" "integrity check after the attacks"
expect_eq "$(sql "$DB" "SELECT count(*) FROM audit WHERE action = 'rules.activate'")" \
    "$(ls "$R" | wc -l | tr -d ' ')" "each rule set's first use is audited as an activation"
cr --rules "$R" eval --as-of 2024-06-01 --quarantine-after 100
expect_eq "$(sql "$DB" "SELECT count(*) FROM audit WHERE action = 'rules.activate'")" \
    "$(ls "$R" | wc -l | tr -d ' ')" "unchanged rule sets are not activated again"
cr audit verify; expect_status 0 "the audit chain is intact after the attacks"

# Quarantine: after N failures in a row a rule is skipped and raised as an alert.
rm -rf "$R"/a_*
hook while_true "instruction" 'while true do end'
cr --rules "$R" eval --as-of 2024-06-02 --quarantine-after 2
expect_status 0 "eval with a failing rule"
expect_eq "$(sql "$DB" "SELECT count(*) FROM alerts WHERE code = 'RULE-QUARANTINED' AND rule_set = 'a_while_true'")" \
    "1" "a quarantined rule raises an alert of its own"
cr --rules "$R" eval --as-of 2024-06-03 --quarantine-after 2
expect_status 0 "eval again with the rule quarantined"
expect_eq "$(sql "$DB" "SELECT group_concat(status) FROM $RESULTS WHERE rule_set = 'a_while_true'")" \
    "quarantined,quarantined" "the quarantined rule is skipped and recorded for every case"
expect_eq "$(sql "$DB" "SELECT count(*) FROM $RESULTS WHERE rule_set='healthy' AND status='ok' AND run_id = (SELECT max(id) FROM eval_runs)")" \
    "3" "the healthy rule set keeps working beside a quarantined rule"

# A rule set may set its own threshold in ruleset.json.
mkdir -p "$R/a_strict"
printf '{"name": "a_strict", "scope": "粤", "quarantine_after": 1}\n' >"$R/a_strict/ruleset.json"
printf 'return { name = "r", on_case = function(case, ctx) error("broken") end }\n' >"$R/a_strict/rule.lua"
cr --rules "$R" eval --as-of 2024-06-04 --quarantine-after 100
expect_eq "$(sql "$DB" "SELECT count(*) FROM alerts WHERE code = 'RULE-QUARANTINED' AND rule_set = 'a_strict'")" \
    "1" "a rule set's quarantine_after overrides the evaluation's"
rm -rf "$R/a_strict"

# An operator lists rule health and lifts the quarantine after a fix.
cr --rules "$R" rules list
expect_status 0 "rules list"
expect_in "$T/out" "QUARANTINED a_while_true/r" "rules list shows the quarantine"
expect_in "$T/out" "healthy  scope *  sha256" "rules list shows each set's scope and version"
cr rules release a_while_true/r --note "fixed the loop"
expect_status 0 "rules release"
expect_eq "$(sql "$DB" "SELECT status FROM alerts WHERE code = 'RULE-QUARANTINED' AND rule_set = 'a_while_true'")" \
    "resolved" "releasing resolves the RULE-QUARANTINED alert"
expect_eq "$(sql "$DB" "SELECT count(*) FROM audit WHERE action = 'rules.release' AND detail LIKE '%fixed the loop%'")" \
    "1" "the release is audited with its note"
cr rules release a_while_true/r
expect_status 2 "releasing a rule that is not quarantined is refused"
cr rules release nonsense
expect_status 2 "release needs SET/RULE"
cr audit verify; expect_status 0 "audit chain intact after the release"
finish
