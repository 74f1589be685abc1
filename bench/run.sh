#!/bin/sh
# bench/run.sh BUILD_DIR [N] -- every benchmark, one after the other: ingest
# (bench/ingest.sh), then evaluation (bench/eval.sh). N cases each (default
# 1,000,000). `make bench` runs this. Exits 1 if a benchmark's command failed;
# missed goals are printed, not failed.
set -u

BUILD=${1:?usage: bench/run.sh BUILD_DIR [N]}
DIR=$(dirname "$0")
STATUS=0
sh "$DIR/ingest.sh" "$BUILD" ${2:+"$2"} || STATUS=1
echo
sh "$DIR/eval.sh" "$BUILD" ${2:+"$2"} || STATUS=1
exit "$STATUS"
