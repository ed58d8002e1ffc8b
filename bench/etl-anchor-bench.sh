#!/usr/bin/env bash
# The Glue script against the DuckDB anchor (bench/etl_vs_anchor.py), whole processes, back to back per repetition.
#   bench/etl-anchor-bench.sh [REPS] [OUT_DIR] [BEFORE_SCRIPT] [PRE_ISSUE_SCRIPT]
# Needs scripts/python-env (the .venv) and scripts/python-env .venv-bench requirements-bench.txt (DuckDB).
# BEFORE_SCRIPT: another weather_etl.py to run in each repetition too, e.g. main's before a change:
#   mkdir -p /tmp/etl-before && git show main:src/etl/script/weather_etl.py > /tmp/etl-before/weather_etl.py \
#     && git show main:src/etl/script/contract.json > /tmp/etl-before/contract.json
# PRE_ISSUE_SCRIPT: a third script for the 3-city batch only (engine `pre`), e.g. the script before issue #15 (1240b50).
# The script runs with scripts/spark_local_fs.py's local file system, as tests and local runs do; the others on Hadoop's.
# The script runs with its own driver JVM options (weather_etl.local_driver_java_options: by the batch's size), and
# once more per repetition with the JVM's defaults (engine `jvm-defaults`): what the JVM's options give apart from the
# script's own work.
# Data: a 3-city daily batch (its manifest, the examples app's daily run) and 100 cities x 30 days (3,000 files), daily
# and monthly layout. Results are appended to bench/results/etl-anchor.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${1:-3}
OUT=${2:-/tmp/bench}
BEFORE=${3:-}
PRE=${4:-}
RESULTS=bench/results/etl-anchor.jsonl
PY=.venv/bin/python
mkdir -p "$OUT" bench/results
[ -d "$OUT/l3x1" ] || python3 bench/generate_landing.py --out "$OUT/l3x1" --cities 3 --days 1
[ -d "$OUT/l100x30" ] || python3 bench/generate_landing.py --out "$OUT/l100x30" --cities 100 --days 30
before=()
[ -n "$BEFORE" ] && before=(--before "before=$BEFORE")
pre=()
[ -n "$PRE" ] && pre=(--before "pre=$PRE")
MANIFEST=$(cd "$OUT/l3x1" && ls weather/manifests/ingest_date=2025-01-01/*.json)
# One run first, not measured: the script's first local run on a machine makes the class-data sharing archive of its
# driver (10-15 s more; weather_etl.LocalDriverArchive), which the measured runs then map, as a user's later runs do.
$PY bench/etl_vs_anchor.py --landing "$OUT/l3x1" --work "$OUT/vs-warm-up" --reps 1 --manifest_key "$MANIFEST" \
  --hourly_anchor_only --label warm-up --out "$OUT/warm-up.jsonl"
$PY bench/etl_vs_anchor.py --landing "$OUT/l3x1" --work "$OUT/vs-3x1" --reps "$REPS" --manifest_key "$MANIFEST" \
  --label 3x1-daily --java_options jvm-defaults= "${before[@]}" "${pre[@]}" --out "$RESULTS"
$PY bench/etl_vs_anchor.py --landing "$OUT/l100x30" --work "$OUT/vs-100x30" --reps "$REPS" \
  --label 100x30-daily --java_options jvm-defaults= "${before[@]}" --out "$RESULTS"
$PY bench/etl_vs_anchor.py --landing "$OUT/l100x30" --work "$OUT/vs-100x30m" --reps "$REPS" --contract monthly \
  --label 100x30-monthly --java_options jvm-defaults= "${before[@]}" --out "$RESULTS"
