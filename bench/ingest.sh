#!/bin/sh
# bench/ingest.sh BUILD_DIR [N] -- ingest throughput and memory, against the
# storage floor (bench/ingest_baseline.c).
#
# Generates N cases (default 1,000,000) with gen into a temporary directory,
# times `courtrules --db X ingest FILE` on a fresh database, then
# ingest_baseline on another fresh database, and prints cases/s, peak RSS and
# the ratio ingest/baseline against the goals. A figure that misses its goal
# prints a "GOAL MISSED" line and does not fail the script; a command that
# fails does (exit 1). Needs about 1 GB of temporary space per million cases
# for the input plus 2 GB for one database at a time (TMPDIR decides where).
set -u

BUILD=${1:?usage: bench/ingest.sh BUILD_DIR [N]}
N=${2:-1000000}
CR=$BUILD/courtrules
GEN=$BUILD/gen
BASELINE=$BUILD/ingest_baseline
RATIO_GOAL=0.5   # ingest cases/s at least half of the bare storage cost
RSS_GOAL_MB=100  # peak resident memory of `courtrules ingest`, flat in N

for exe in "$CR" "$GEN" "$BASELINE"; do
    if [ ! -x "$exe" ]; then
        echo "ingest.sh: $exe is not built (cmake --build $BUILD)" >&2
        exit 2
    fi
done

. "$(dirname "$0")/lib.sh"

# stored DB: cases in DB, or "?" without the sqlite3 shell.
stored() {
    if command -v sqlite3 >/dev/null 2>&1; then
        sqlite3 "$1" 'SELECT count(*) FROM cases' 2>/dev/null || echo "?"
    else
        echo "?"
    fi
}

echo "== ingest benchmark: $N cases"
measure gen "$GEN" --seed 1 --cases "$N" --out "$TMP/cases.jsonl"
if [ "$STATUS" != 0 ]; then
    show_failure gen gen
    exit 1
fi
echo "gen:              $(wc -c <"$TMP/cases.jsonl" | awk '{ printf "%.0f MB", $1 / 1048576 }'), $(wc -l <"$TMP/cases.jsonl") lines in $SECS s"

# courtrules ingest
INGEST_RATE=
if ! "$CR" --db "$TMP/ingest.db" init >"$TMP/init.out" 2>&1; then
    echo "FAILED: courtrules init"
    sed 's/^/    | /' "$TMP/init.out"
    FAILED=1
else
    measure ingest "$CR" --db "$TMP/ingest.db" ingest "$TMP/cases.jsonl"
    if [ "$STATUS" != 0 ]; then
        show_failure "courtrules ingest" ingest
    else
        INGEST_RATE=$(rate "$N" "$SECS")
        INGEST_MB=$(awk -v k="$PEAK_KB" 'BEGIN { printf "%.1f", k / 1024 }')
        echo "courtrules ingest: $N cases in $SECS s = $INGEST_RATE cases/s, peak RSS $INGEST_MB MB"
        n=$(stored "$TMP/ingest.db")
        if [ "$n" != "?" ] && [ "$n" != "$N" ]; then
            echo "FAILED: the database holds $n cases, expected $N"
            FAILED=1
        fi
    fi
fi
rm -f "$TMP/ingest.db" "$TMP/ingest.db-wal" "$TMP/ingest.db-shm"

# the storage floor
BASE_RATE=
if ! "$CR" --db "$TMP/baseline.db" init >"$TMP/init.out" 2>&1; then
    echo "FAILED: courtrules init (baseline database)"
    FAILED=1
else
    measure baseline "$BASELINE" "$TMP/baseline.db" "$TMP/cases.jsonl"
    if [ "$STATUS" != 0 ]; then
        show_failure ingest_baseline baseline
    else
        BASE_RATE=$(rate "$N" "$SECS")
        echo "ingest_baseline:   $N cases in $SECS s = $BASE_RATE cases/s ($(head -1 "$TMP/baseline.out"))"
    fi
fi
rm -f "$TMP/baseline.db" "$TMP/baseline.db-wal" "$TMP/baseline.db-shm"

# goals
echo "== goals"
if [ -n "$INGEST_RATE" ] && [ -n "$BASE_RATE" ] && [ "$BASE_RATE" -gt 0 ]; then
    RATIO=$(awk -v a="$INGEST_RATE" -v b="$BASE_RATE" 'BEGIN { printf "%.2f", a / b }')
    if awk -v r="$RATIO" -v g="$RATIO_GOAL" 'BEGIN { exit !(r >= g) }'; then
        echo "ratio ingest/baseline: $RATIO (goal >= $RATIO_GOAL) ok"
    else
        echo "GOAL MISSED: ratio ingest/baseline $RATIO < $RATIO_GOAL"
    fi
else
    echo "GOAL MISSED: ratio ingest/baseline not measured"
fi
if [ -n "$INGEST_RATE" ]; then
    if awk -v m="$INGEST_MB" -v g="$RSS_GOAL_MB" 'BEGIN { exit !(m < g) }'; then
        echo "peak RSS: $INGEST_MB MB (goal < $RSS_GOAL_MB MB) ok"
    else
        echo "GOAL MISSED: peak RSS $INGEST_MB MB >= $RSS_GOAL_MB MB"
    fi
else
    echo "GOAL MISSED: peak RSS not measured"
fi
exit "$FAILED"
