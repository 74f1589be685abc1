#!/bin/sh
# End-to-end test of the audit trail (全程留痕): `courtrules init` writes the
# first entry, `audit verify|log|head` read it back, and an attacker with the
# sqlite3 CLI (triggers dropped) is caught by `audit verify`.
#
# Environment: COURTRULES (the built binary), SRC (the source tree).
set -eu

: "${COURTRULES:?COURTRULES must name the courtrules binary}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/courtrules-e2e-audit.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

failures=0
pass() { echo "ok - $1"; }
fail() {
    echo "FAIL: $1"
    failures=$((failures + 1))
}

# run CMD...: sets $rc, $out (stdout) and $err (stderr) without tripping set -e.
run() {
    "$@" >"$tmp/out" 2>"$tmp/err" && rc=0 || rc=$?
    out=$(cat "$tmp/out")
    err=$(cat "$tmp/err")
}

# expect WHAT RC [TEXT]: the last run exited RC and its output contains TEXT.
expect() {
    if [ "$rc" -ne "$2" ]; then
        fail "$1: exit $rc, wanted $2 (stdout: $out; stderr: $err)"
    elif [ $# -ge 3 ] && ! printf '%s\n%s\n' "$out" "$err" | grep -qF -- "$3"; then
        fail "$1: output lacks '$3' (stdout: $out; stderr: $err)"
    else
        pass "$1"
    fi
}

# fresh NAME: a newly initialised database (one audit entry, db.migrate).
fresh() {
    db="$tmp/$1.db"
    run "$COURTRULES" --db "$db" init
    [ "$rc" -eq 0 ] || fail "init $1: exit $rc ($err)"
}

# attack DB SQL: what someone with write access to the file can do.
attack() {
    sqlite3 "$1" "DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;
                  $2" || fail "sqlite3 could not tamper with $1"
}

hex64='[0-9a-f]\{64\}'

# --- an untouched trail -------------------------------------------------------
fresh clean
run "$COURTRULES" --db "$db" audit verify
expect "verify a fresh database" 0 "audit: 1 entries, chain intact, head 1 "
if printf '%s\n' "$out" | grep -q "head 1 $hex64\$"; then
    pass "verify prints the head hash"
else
    fail "verify prints the head hash: $out"
fi

run "$COURTRULES" --db "$db" audit head
expect "audit head" 0
head=$out
if printf '%s\n' "$head" | grep -q "^1 $hex64\$"; then
    pass "audit head prints 'SEQ HASH'"
else
    fail "audit head prints 'SEQ HASH': $head"
fi

run "$COURTRULES" --db "$db" audit log
expect "audit log lists the migration" 0 "db.migrate"

run "$COURTRULES" --db "$db" --json audit log
expect "audit log --json" 0 '"action":"db.migrate"'
if command -v python3 >/dev/null 2>&1; then
    if printf '%s\n' "$out" | python3 -m json.tool >/dev/null 2>&1; then
        pass "audit log --json parses"
    else
        fail "audit log --json does not parse: $out"
    fi
fi

run "$COURTRULES" --db "$db" audit log --action ingest.
expect "audit log --action filters" 0
if printf '%s\n' "$out" | grep -q "db.migrate"; then
    fail "audit log --action ingest. shows db.migrate"
fi

run "$COURTRULES" --db "$db" audit verify --anchor "$head"
expect "verify --anchor with the current head" 0 "chain intact"

for sub in "" verify log head; do
    # shellcheck disable=SC2086  # $sub is one word or none on purpose
    run "$COURTRULES" audit $sub --help
    expect "audit${sub:+ $sub} --help" 0 "usage: courtrules"
done

run "$COURTRULES" --db "$db" audit bogus
expect "unknown subcommand is bad usage" 2 "unknown subcommand"
run "$COURTRULES" --db "$db" audit log --limit x
expect "bad --limit is bad usage" 2 "--limit"
run "$COURTRULES" --db "$db" audit verify --anchor nonsense
expect "bad --anchor is bad usage" 2 "--anchor"
run "$COURTRULES" --db "$tmp/missing.db" audit verify
expect "missing database" 2 "no such database"

# --- tampering ----------------------------------------------------------------
if ! command -v sqlite3 >/dev/null 2>&1; then
    fail "the sqlite3 CLI is required for the tamper checks (scripts/deps.sh installs it)"
else
    fresh guarded
    for sql in "UPDATE audit SET detail='{}' WHERE seq=1" "DELETE FROM audit"; do
        run sqlite3 "$db" "$sql"
        if [ "$rc" -ne 0 ] && printf '%s\n' "$err" | grep -qF "append-only"; then
            pass "trigger refuses: $sql"
        else
            fail "trigger refuses: $sql: exit $rc ($err)"
        fi
    done
    run "$COURTRULES" --db "$db" audit verify
    expect "trail intact after refused tampering" 0 "chain intact"

    fresh edited
    attack "$db" "UPDATE audit SET detail='{\"from\":0,\"to\":999}' WHERE seq=1"
    run "$COURTRULES" --db "$db" audit verify
    expect "edited entry is detected" 1 "entry 1: content does not match its hash (edited?)"
    run "$COURTRULES" --db "$db" --json audit verify
    expect "edited entry in --json" 1 '"first_bad_seq": 1'

    fresh deleted
    attack "$db" "DELETE FROM audit WHERE seq=1"
    run "$COURTRULES" --db "$db" audit verify
    expect "deleted entry is detected" 1 "chain is empty but the recorded head is entry 1"

    fresh headless
    attack "$db" "UPDATE meta SET value='2' WHERE key='audit_head_seq'"
    run "$COURTRULES" --db "$db" audit verify
    expect "edited head is detected" 1 "chain ends at entry 1 but the recorded head is entry 2"
    run "$COURTRULES" --db "$db" audit head
    expect "audit head refuses a broken chain" 1 "recorded head is entry 2"

    fresh rewritten
    run "$COURTRULES" --db "$db" audit head
    anchor=$out
    # A thorough attacker removes the entry and the head: the file alone now
    # looks like an empty, intact trail. Only the outside anchor tells.
    attack "$db" "DELETE FROM audit; DELETE FROM meta WHERE key LIKE 'audit_head_%'"
    run "$COURTRULES" --db "$db" audit verify
    expect "fully rewritten trail passes on its own" 0 "audit: 0 entries, chain intact"
    run "$COURTRULES" --db "$db" audit verify --anchor "$anchor"
    expect "anchor catches the rewrite" 1 "anchored entry 1 is not in the chain"
fi

if [ "$failures" -ne 0 ]; then
    echo "FAIL: $failures check(s) failed"
    exit 1
fi
echo "ok - all audit checks passed"
