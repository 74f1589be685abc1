#!/bin/sh
# `make demo`: a fresh database, the sample data loaded and evaluated, and
# what came out.
set -eu
BIN=${1:-build/courtrules}
HERE=$(cd "$(dirname "$0")/.." && pwd)
OUT="$HERE/build/demo"
mkdir -p "$OUT"
DB="$OUT/demo.db"
rm -f "$DB" "$DB-wal" "$DB-shm"
AS_OF=2026-03-31

echo "== courtrules demo: database $DB"
"$BIN" --db "$DB" init
echo
echo "== ingest the sample data (广东 and 江苏, 300 cases each)"
"$BIN" --db "$DB" ingest --no-progress "$HERE/examples/sample.jsonl"
"$BIN" --db "$DB" ingest --no-progress "$HERE/examples/sample-su.jsonl"
echo
echo "== the rule sets: the national baseline and the two provinces' own"
"$BIN" --db "$DB" --rules "$HERE/rules" rules list
echo
echo "== evaluate as of $AS_OF"
"$BIN" --db "$DB" --rules "$HERE/rules" eval --as-of "$AS_OF" \
    --plugins "$HERE/plugins" --calendar "$HERE/data/calendar/cn.json"
echo
echo "== what is stored"
"$BIN" --db "$DB" stats
echo
echo "== the first open alerts"
"$BIN" --db "$DB" alerts --status open --limit 8
echo
CASE=$("$BIN" --db "$DB" alerts --status open --limit 1 --json |
    sed -n 's/.*"case_no": *"\([^"]*\)".*/\1/p' | head -n 1)
if [ -n "$CASE" ]; then
    echo "== why did it fire? courtrules explain '$CASE'"
    "$BIN" --db "$DB" explain "$CASE"
    echo
fi
echo "== audit trail"
"$BIN" --db "$DB" audit verify
"$BIN" --db "$DB" audit log
