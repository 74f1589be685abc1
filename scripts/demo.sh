#!/bin/sh
# `make demo`: a fresh database, the sample data loaded, and what was loaded.
set -eu
BIN=${1:-build/courtrules}
HERE=$(cd "$(dirname "$0")/.." && pwd)
OUT="$HERE/build/demo"
mkdir -p "$OUT"
DB="$OUT/demo.db"
rm -f "$DB" "$DB-wal" "$DB-shm"

echo "== courtrules demo: database $DB"
"$BIN" --db "$DB" init
echo
echo "== ingest examples/sample.jsonl"
"$BIN" --db "$DB" ingest --no-progress "$HERE/examples/sample.jsonl"
echo
echo "== what was loaded"
"$BIN" --db "$DB" stats
echo
echo "== audit trail"
"$BIN" --db "$DB" audit verify
"$BIN" --db "$DB" audit log
