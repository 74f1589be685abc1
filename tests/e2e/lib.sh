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

# sql DB QUERY: one value from the sqlite3 shell.
sql() { sqlite3 -batch -noheader "$1" "$2"; }

finish() {
    printf '%d passed, %d failed\n' "$PASSES" "$FAILS"
    [ "$FAILS" = 0 ]
    exit $?
}
