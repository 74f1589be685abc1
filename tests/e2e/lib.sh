# Shared helpers for the end-to-end tests (POSIX sh). Each test sources this,
# gets a fresh temporary directory in $T, and calls ok/fail/expect_*.
# CTest provides COURTRULES (the built binary) and SRC (the source tree).
set -u
: "${COURTRULES:?COURTRULES must point at the built binary}"
: "${SRC:?SRC must point at the source tree}"
T=$(mktemp -d "${TMPDIR:-/tmp}/courtrules-e2e.XXXXXX")
[ -n "${KEEP_TMP:-}" ] && echo "keeping $T" || trap 'rm -rf "$T"' EXIT INT TERM
FAILS=0
PASSES=0

ok()   { PASSES=$((PASSES + 1)); printf 'ok   %s\n' "$*"; }
fail() { FAILS=$((FAILS + 1)); printf 'FAIL %s\n' "$*"; }

# cr ARGS...: runs courtrules, output in $T/out and $T/err, status in $RC.
cr() {
    "$COURTRULES" "$@" >"$T/out" 2>"$T/err"
    RC=$?
}

# expect_status N DESCRIPTION: the last cr call exited N.
expect_status() {
    if [ "$RC" = "$1" ]; then ok "$2"; else
        fail "$2: exit $RC, expected $1"; sed 's/^/    | /' "$T/err" "$T/out" | head -20
    fi
}

# expect_in FILE TEXT DESCRIPTION: FILE contains TEXT (fixed string).
expect_in() {
    if grep -qF -- "$2" "$1"; then ok "$3"; else
        fail "$3: '$2' not in $(basename "$1")"; sed 's/^/    | /' "$1" | head -20
    fi
}

# expect_eq ACTUAL EXPECTED DESCRIPTION
expect_eq() {
    if [ "$1" = "$2" ]; then ok "$3"; else fail "$3: got '$1', expected '$2'"; fi
}

# expect_range N LO HI DESCRIPTION: N is a number from LO to HI.
expect_range() {
    if [ "${1:-x}" -ge "$2" ] 2>/dev/null && [ "$1" -le "$3" ]; then ok "$4 ($1)"; else
        fail "$4: '$1', expected $2 to $3"
    fi
}

# rule_set DIR NAME: an empty rule set NAME over every court, DIR/NAME/ruleset.json
# (its scripts are the caller's).
rule_set() {
    mkdir -p "$1/$2"
    printf '{"name": "%s", "scope": "*", "params": {}}\n' "$2" >"$1/$2/ruleset.json"
}

# court_cases FILE N: the basic court 粤0703 and its cases (2024)粤0703民初1号
# to N号, filed 2024-03-01 and pending, as records in FILE.
court_cases() {
    printf '%s\n' '{"type":"court","code":"粤0703","name":"江门市蓬江区人民法院","level":"基层"}' >"$1"
    _i=1
    while [ $_i -le "$2" ]; do
        printf '{"type":"case","case_no":"(2024)粤0703民初%d号","filing_date":"2024-03-01","status":"在办"}\n' \
            "$_i" >>"$1"
        _i=$((_i + 1))
    done
}

# sql DB QUERY: one value from the sqlite3 shell.
sql() { sqlite3 -batch -noheader "$1" "$2"; }

finish() {
    printf '%d passed, %d failed\n' "$PASSES" "$FAILS"
    [ "$FAILS" = 0 ]
    exit $?
}
