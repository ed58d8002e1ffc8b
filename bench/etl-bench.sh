#!/usr/bin/env bash
# ETL benchmark: the Glue script on local Spark, variants interleaved per repetition (same-run comparisons).
#   bench/etl-bench.sh [REPS] [OUT_DIR]      (needs scripts/python-env first; Spark runs on Java 17 from scripts/java-env)
# Data: 100 cities x 3 days (300 landing files) and one daily batch of 100 cities (its manifest); then one
# 100 x 30 days backfill (3,000 files) with the tuned settings (the `script` settings' run is slow: see PERFORMANCE.md).
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${1:-3}
OUT=${2:-/tmp/bench}
RESULTS=bench/results/etl.jsonl
PY=.venv/bin/python
mkdir -p "$OUT" bench/results
[ -d "$OUT/l100x3" ] || python3 bench/generate_landing.py --out "$OUT/l100x3" --cities 100 --days 3
[ -d "$OUT/l100x30" ] || python3 bench/generate_landing.py --out "$OUT/l100x30" --cities 100 --days 30
MANIFEST=$(cd "$OUT/l100x3" && ls weather/manifests/ingest_date=2025-01-02/*.json)
for rep in $(seq 1 "$REPS"); do
  for variant in script glue-default tuned; do
    rm -rf "$OUT/r" && $PY bench/run_etl.py --landing "$OUT/l100x3" --refined "$OUT/r" --variant "$variant" --out "$RESULTS" 2>/dev/null
  done
  rm -rf "$OUT/r" && $PY bench/run_etl.py --landing "$OUT/l100x3" --refined "$OUT/r" --variant script --manifest_key "$MANIFEST" --out "$RESULTS" 2>/dev/null
done
rm -rf "$OUT/r30" && $PY bench/run_etl.py --landing "$OUT/l100x30" --refined "$OUT/r30" --variant tuned --out "$RESULTS" 2>/dev/null
