#!/bin/sh
# bench/eval.sh BUILD_DIR [N] -- evaluation throughput end to end, memory,
# the bare limit (bench/eval_bare.c) and incremental evaluation (--changed).
#
# Generates N cases (default 1,000,000) with `gen --seed 7`, initialises a
# database and ingests them (reported, not benchmarked), then times
# `courtrules eval --as-of 2026-03-31` with the rule set bench/rules/bench
# (12 rules), runs eval_bare over the same file and rules, then three times
# (CHANGED_ROUNDS) re-ingests a different 1% of the cases with a changed
# field and times `courtrules eval --changed`. It prints cases/s, peak RSS,
# the ratio eval/bare and the median --changed time as a share of the full
# run against the goals. A figure that misses its goal
# prints a "GOAL MISSED" line and does not fail the script; a command that
# fails does (exit 1). Needs about 1 GB of temporary space per million cases
# for the input plus up to about 6 GB for the database and its write-ahead
# log while eval runs (TMPDIR decides where).
set -u

BUILD=${1:?usage: bench/eval.sh BUILD_DIR [N]}
N=${2:-1000000}
CR=$BUILD/courtrules
GEN=$BUILD/gen
BARE=$BUILD/eval_bare
SRC=$(cd "$(dirname "$0")/.." && pwd)
# RULES_DIR=rules benchmarks the shipped sets (national, 广东, 江苏) instead;
# there is no bare limit for them (their rules read ctx.query, which only
# the host has), and --changed also takes their date-dependent cases.
RULES=${RULES_DIR:-$SRC/bench/rules}
case $RULES in /*) ;; *) RULES=$SRC/$RULES ;; esac
BENCH_SET=0
[ "$RULES" = "$SRC/bench/rules" ] && BENCH_SET=1
AS_OF=2026-03-31
# The holiday calendar `courtrules eval` and eval_bare both load (unless the
# caller chose one); without it workdays are Monday to Friday.
if [ -z "${COURTRULES_CALENDAR:-}" ] && [ -r "$SRC/data/calendar/cn.json" ]; then
    COURTRULES_CALENDAR=$SRC/data/calendar/cn.json
    export COURTRULES_CALENDAR
fi
RATE_GOAL=50000      # cases/s end to end: read, evaluate, persist
RATIO_GOAL=0.25      # of the bare limit (same rules, pre-built tables, nothing stored)
RSS_GOAL_MB=300      # peak resident memory of `courtrules eval`
CHANGED_GOAL_PCT=3   # `eval --changed` after touching 1% of cases, % of the full run

for exe in "$CR" "$GEN" "$BARE"; do
    if [ ! -x "$exe" ]; then
        echo "eval.sh: $exe is not built (cmake --build $BUILD)" >&2
        exit 2
    fi
done

. "$(dirname "$0")/lib.sh"
DB=$TMP/eval.db

# evaluated NAME: the case count of an "evaluated N cases ..." line.
evaluated() { awk '/^evaluated [0-9]+ cases/ { print $2; exit }' "$TMP/$1.out"; }

# goal OK_CONDITION TEXT_OK TEXT_MISSED: awk condition over no input.
goal() {
    if awk "BEGIN { exit !($1) }"; then echo "$2 ok"; else echo "GOAL MISSED: $3"; fi
}

if ! /usr/bin/time -v true >/dev/null 2>&1; then
    echo "note: GNU time not found (Debian package \`time\`); peak RSS is polled from /proc"
fi
echo "== eval benchmark: $N cases, rules $RULES, as of $AS_OF"
measure gen "$GEN" --seed 7 --cases "$N" --out "$TMP/cases.jsonl"
if [ "$STATUS" != 0 ]; then
    show_failure gen gen
    exit 1
fi
echo "gen:               $(wc -c <"$TMP/cases.jsonl" | awk '{ printf "%.0f MB", $1 / 1048576 }'), $(wc -l <"$TMP/cases.jsonl") lines in $SECS s"

if ! "$CR" --db "$DB" init >"$TMP/init.out" 2>&1; then
    echo "FAILED: courtrules init"
    sed 's/^/    | /' "$TMP/init.out"
    exit 1
fi
measure ingest "$CR" --db "$DB" ingest "$TMP/cases.jsonl"
if [ "$STATUS" != 0 ]; then
    show_failure "courtrules ingest" ingest
    exit 1
fi
echo "ingest (setup):    $N cases in $SECS s, peak RSS $(mb "$PEAK_KB") MB (not a goal here)"

# The full run: every case, every rule, results and alerts stored.
EVAL_RATE=
measure eval "$CR" --db "$DB" --rules "$RULES" eval --as-of "$AS_OF"
if [ "$STATUS" != 0 ]; then
    show_failure "courtrules eval" eval
else
    EVAL_SECS=$SECS
    EVAL_MB=$(mb "$PEAK_KB")
    EVAL_RATE=$(rate "$N" "$SECS")
    echo "courtrules eval:   $N cases in $SECS s = $EVAL_RATE cases/s, peak RSS $EVAL_MB MB"
    sed 's/^ */                   /' "$TMP/eval.out"
    n=$(evaluated eval)
    if [ -n "$n" ] && [ "$n" != "$N" ]; then
        echo "FAILED: eval reports ${n:-no count of} evaluated cases, expected $N"
        FAILED=1
    fi
fi

# The bare limit: same rules, same cases, plain tables in one lua_State.
BARE_RATE=
if [ "$BENCH_SET" = 0 ]; then
    echo "eval_bare:         (not for $RULES: its rules read ctx.query)"
else
    measure bare "$BARE" "$RULES/bench" "$TMP/cases.jsonl" --as-of "$AS_OF"
fi
if [ "$BENCH_SET" = 0 ]; then
    :
elif [ "$STATUS" != 0 ]; then
    show_failure eval_bare bare
else
    BARE_RATE=$(awk '/^bare: [0-9]+ cases in/ { print $(NF - 1); exit }' "$TMP/bare.out")
    sed 's/^bare: /eval_bare:         /' "$TMP/bare.out"
    echo "                   (eval_bare process: $SECS s, peak RSS $(mb "$PEAK_KB") MB)"
fi

# Touch 1% of the cases and time `eval --changed`, CHANGED_ROUNDS times
# (default 3), each round a different 1%: every 100th case line again, from
# the round's offset, with an `extra` member naming the round added (a line
# that already has one passes the turn to the next case line, which an
# earlier round may have touched too). One such run is about half a
# second at a million cases, a third of it I/O, and one run alone wandered
# by a fifth between runs: the goal takes the median of the rounds.
CHANGED_ROUNDS=${CHANGED_ROUNDS:-3}
CHANGED_SECS=
CHANGED_LIST=
round=0
while [ "$round" -lt "$CHANGED_ROUNDS" ] && [ -n "$EVAL_RATE" ]; do
    awk -v offset="$round" '
        /"type":"case"/ {
            if ((++n + offset) % 100 == 0) due = 1
            if (due && index($0, "\"extra\":") == 0) {
                sub(/"type":"case",/, "\"type\":\"case\",\"extra\":{\"bench_touched\":" (offset + 1) "},")
                print
                due = 0
            }
        }' "$TMP/cases.jsonl" >"$TMP/touch.jsonl"
    TOUCHED=$(wc -l <"$TMP/touch.jsonl" | tr -d ' ')
    round=$((round + 1))
    measure touch "$CR" --db "$DB" ingest "$TMP/touch.jsonl"
    if [ "$STATUS" != 0 ]; then
        show_failure "courtrules ingest (touch 1%, round $round)" touch
        break
    fi
    measure changed "$CR" --db "$DB" --rules "$RULES" eval --as-of "$AS_OF" --changed
    if [ "$STATUS" != 0 ]; then
        show_failure "courtrules eval --changed (round $round)" changed
        CHANGED_LIST=
        break
    fi
    n=$(evaluated changed)
    pct=$(awk -v a="$SECS" -v b="$EVAL_SECS" 'BEGIN { printf "%.2f", (b > 0 ? 100 * a / b : 0) }')
    echo "eval --changed:    ${n:-?} cases (touched $TOUCHED, round $round) in $SECS s = $pct% of the full run, peak RSS $(mb "$PEAK_KB") MB"
    if [ "$BENCH_SET" = 1 ] && [ -n "$n" ] && [ "$n" != "$TOUCHED" ]; then
        echo "FAILED: eval --changed evaluated ${n:-no count of} cases, expected $TOUCHED"
        FAILED=1
    fi
    CHANGED_LIST="$CHANGED_LIST $SECS"
done
if [ -n "$CHANGED_LIST" ]; then
    CHANGED_SECS=$(median $CHANGED_LIST)
    CHANGED_PCT=$(awk -v a="$CHANGED_SECS" -v b="$EVAL_SECS" 'BEGIN { printf "%.2f", (b > 0 ? 100 * a / b : 0) }')
    echo "eval --changed:    median of $(echo $CHANGED_LIST | wc -w | tr -d ' ') rounds $CHANGED_SECS s = $CHANGED_PCT% of the full run"
    # Once more with nothing new: what a daily run costs on a quiet day
    # (no goal; it once took as long as the full run, see bench/README).
    measure unchanged "$CR" --db "$DB" --rules "$RULES" eval --as-of "$AS_OF" --changed
    if [ "$STATUS" != 0 ]; then
        show_failure "courtrules eval --changed (nothing new)" unchanged
    else
        echo "eval --changed:    $(evaluated unchanged) cases (nothing new) in $SECS s"
    fi
    # And after a high court publishes a revised rule set (a comment
    # added to one script is a new version): every case is due again,
    # which should cost what the full run did (no goal; it once took
    # 1.6-1.8 times as long, see bench/README).
    # (-L: a rule set linked into RULES is copied, not linked to)
    cp -RL "$RULES" "$TMP/revised"
    [ -e "$(dirname "$RULES")/plugins" ] && ln -s "$(dirname "$RULES")/plugins" "$TMP/plugins"
    first=$(find "$TMP/revised" -name '*.lua' ! -path '*/tests/*' | sort | head -n 1)
    if [ -z "$first" ]; then
        echo "FAILED: no rule script under $RULES to revise"
        FAILED=1
    else
        echo '-- revised' >>"$first"
        measure revised "$CR" --db "$DB" --rules "$TMP/revised" eval --as-of "$AS_OF" --changed
        if [ "$STATUS" != 0 ]; then
            show_failure "courtrules eval --changed (revised rules)" revised
        else
            echo "eval --changed:    $(evaluated revised) cases (revised rules) in $SECS s =" \
                "$(awk -v c="$SECS" -v f="$EVAL_SECS" 'BEGIN { printf "%.2f", c / f }') x the full run"
        fi
    fi
fi

echo "== goals"
if [ -n "$EVAL_RATE" ]; then
    goal "$EVAL_RATE >= $RATE_GOAL" "eval end to end: $EVAL_RATE cases/s (goal >= $RATE_GOAL)" \
        "eval end to end $EVAL_RATE cases/s < $RATE_GOAL"
    goal "$EVAL_MB < $RSS_GOAL_MB" "peak RSS: $EVAL_MB MB (goal < $RSS_GOAL_MB MB)" \
        "peak RSS $EVAL_MB MB >= $RSS_GOAL_MB MB"
else
    echo "GOAL MISSED: eval cases/s and peak RSS not measured"
fi
if [ -n "$EVAL_RATE" ] && [ -n "$BARE_RATE" ] && [ "$BARE_RATE" -gt 0 ]; then
    RATIO=$(awk -v a="$EVAL_RATE" -v b="$BARE_RATE" 'BEGIN { printf "%.3f", a / b }')
    goal "$RATIO >= $RATIO_GOAL" "ratio eval/bare: $RATIO (goal >= $RATIO_GOAL)" \
        "ratio eval/bare $RATIO < $RATIO_GOAL"
elif [ "$BENCH_SET" = 0 ]; then
    echo "ratio eval/bare: no bare limit for these rules (the goal is set on bench/rules)"
else
    echo "GOAL MISSED: ratio eval/bare not measured"
fi
if [ -n "$CHANGED_SECS" ]; then
    goal "$CHANGED_PCT < $CHANGED_GOAL_PCT" \
        "eval --changed after touching 1%: $CHANGED_PCT% of the full run (goal < $CHANGED_GOAL_PCT%)" \
        "eval --changed after touching 1% takes $CHANGED_PCT% of the full run >= $CHANGED_GOAL_PCT%"
else
    echo "GOAL MISSED: eval --changed not measured"
fi
exit "$FAILED"
