# Helpers for the end-to-end tests of `courtrules serve` (sourced after
# lib.sh). The daemon listens on 127.0.0.1, port 0 (a free port, read back
# from its "listening" log line); curl is the client.

# Every daemon test works on one database in the test directory, with the
# shipped rules unless it sets RULES again.
DB="$T/c.db"
export COURTRULES_DB="$DB"
RULES="$SRC/rules"

# init_with SAMPLE...: creates the database and ingests the named files of
# examples/, each expected to load.
init_with() {
    cr init
    expect_status 0 "database created"
    for sample in "$@"; do
        cr ingest "$SRC/examples/$sample"
        expect_status 0 "$sample ingested"
    done
}

# jget FILE PATH: a JSON path of the document in FILE ('' if absent).
jget() {
    sqlite3 -batch -noheader :memory: \
        "SELECT json_extract(CAST(readfile('$1') AS TEXT), '$2')"
}

# jq_sql FILE SQL: runs SQL with the document in FILE as the one row of d(j).
jq_sql() {
    sqlite3 -batch -noheader :memory: "WITH d(j) AS (SELECT CAST(readfile('$1') AS TEXT)) $2"
}

# start_serve LOG DB RULES [ARGS...]: starts the daemon in the background;
# sets SERVE_PID and URL. Returns 1 if it exits before listening.
start_serve() {
    log=$1 db=$2 rules=$3
    shift 3
    : >"$log"
    "$COURTRULES" --db "$db" --rules "$rules" serve --listen 127.0.0.1:0 --workers 2 "$@" \
        2>>"$log" &
    SERVE_PID=$!
    n=0
    until grep -q '"event":"listening"' "$log"; do
        kill -0 "$SERVE_PID" 2>/dev/null || return 1
        n=$((n + 1))
        [ $n -gt 1200 ] && return 1 # not a timing check: only never hang
        sleep 0.05
    done
    URL="http://127.0.0.1:$(sed -n 's/.*"event":"listening".*"port":\([0-9]*\).*/\1/p' "$log")"
}

# stop_serve: SIGTERM, then the exit status in $RC.
stop_serve() {
    kill -TERM "$SERVE_PID"
    wait "$SERVE_PID"
    RC=$?
}

# req METHOD PATH TOKEN [CURL ARGS...]: body in $T/body, status in $CODE.
req() {
    method=$1 path=$2 tok=$3
    shift 3
    if [ -n "$tok" ]; then
        CODE=$(curl -s -o "$T/body" -w '%{http_code}' -X "$method" \
            -H "Authorization: Bearer $tok" "$@" "$URL$path")
    else
        CODE=$(curl -s -o "$T/body" -w '%{http_code}' -X "$method" "$@" "$URL$path")
    fi
}

# expect_code N DESCRIPTION: the last req answered N.
expect_code() {
    if [ "$CODE" = "$1" ]; then ok "$2"; else
        fail "$2: HTTP $CODE, expected $1"; head -c 600 "$T/body" | sed 's/^/    | /'; echo
    fi
}

# new_token COURT ROLE: prints a fresh token.
new_token() {
    "$COURTRULES" --db "$DB" token create --court "$1" --role "$2" 2>/dev/null
}
