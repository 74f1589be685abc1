#!/bin/sh
# bench/run.sh BUILD_DIR [N] -- every benchmark, one after the other: ingest
# (bench/ingest.sh), evaluation (bench/eval.sh), webhook delivery
# (bench/deliver.sh) and the HTTP API (bench/api.sh). N cases each (default
# 1,000,000). `make bench` runs this. Exits 1 if a benchmark's command failed;
# missed goals are printed, not failed.
set -u

BUILD=${1:?usage: bench/run.sh BUILD_DIR [N]}
DIR=$(dirname "$0")
STATUS=0
sh "$DIR/ingest.sh" "$BUILD" ${2:+"$2"} || STATUS=1
echo
sh "$DIR/eval.sh" "$BUILD" ${2:+"$2"} || STATUS=1
echo
sh "$DIR/deliver.sh" "$BUILD" || STATUS=1
if command -v wrk >/dev/null 2>&1; then
    echo
    sh "$DIR/api.sh" "$BUILD" || STATUS=1
fi
exit "$STATUS"
