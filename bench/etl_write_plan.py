"""Runs the Glue script once on local Spark and shows how its partitioned writes were executed (issue #3).

    .venv/bin/python bench/etl_write_plan.py LANDING REFINED [key=value ...]

LANDING is a `generate_landing.py` output; REFINED is wiped first; key=value are Spark settings for the session
(default here: `local[2]`, 4 shuffle partitions). Prints one JSON line: files per `date=/city=` partition
(`{"files in a folder": folders}`), and per write the Spark stages it ran with their task counts. With
`spark.sql.adaptive.logLevel=WARN` on the command line and `LOGLEVEL=WARN` in the environment, Spark's log (stderr)
holds AQE's final plan of every query, the writes included (`Execute InsertIntoHadoopFsRelationCommand …`): look
for the exchange under the write (`REPARTITION_BY_COL`) or its absence (`AQEShuffleRead local`). `PLAN=1` also prints
the plan of each write before it runs.

Example (issue #3 at 10 cities x 3 days: with AQE coalescing off, the script before the fix wrote 4 files per
partition here, one per shuffle partition; 1 since):
    python3 bench/generate_landing.py --out /tmp/i3/l10x3 --cities 10 --days 3
    LOGLEVEL=WARN .venv/bin/python bench/etl_write_plan.py /tmp/i3/l10x3 /tmp/i3/r \
        spark.sql.adaptive.coalescePartitions.enabled=false spark.sql.adaptive.logLevel=WARN 2> plan.log
"""
from __future__ import annotations

import glob
import json
import os
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

SCRIPT_DIR = Path(__file__).resolve().parents[1] / "src" / "etl" / "script"


def main() -> int:
    landing, refined = sys.argv[1], sys.argv[2]
    conf = dict(c.split("=", 1) for c in sys.argv[3:])
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    from java_runtimes import spark_java_home  # noqa: E402  (Java 17 from PyPI in .tools/, or SPARK_JAVA_HOME)
    os.environ["JAVA_HOME"] = str(spark_java_home())
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    sys.path.insert(0, str(SCRIPT_DIR))
    import weather_etl  # noqa: E402
    from pyspark.sql import SparkSession  # noqa: E402

    builder = (SparkSession.builder.master(os.environ.get("SPARK_MASTER", "local[2]"))
               .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.session.timeZone", "UTC").config("spark.sql.shuffle.partitions", "4")
               .config("spark.driver.memory", "2g"))
    for key, value in conf.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel(os.environ.get("LOGLEVEL", "ERROR"))

    original, writes = weather_etl.write_partitions, []

    def traced(frame, root, keys):
        sc, group = spark.sparkContext, f"write-{len(writes)}"
        sc.setJobGroup(group, group)
        if os.environ.get("PLAN"):
            print(f"=== plan of the write to {root}")
            frame.repartition(*keys).explain()
        clock = time.monotonic()
        original(frame, root, keys)
        tracker, stages = sc.statusTracker(), []
        for job in tracker.getJobIdsForGroup(group):
            for stage in tracker.getJobInfo(job).stageIds:
                info = tracker.getStageInfo(stage)
                if info:
                    stages.append([stage, info.numTasks])
        writes.append({"table": root.rsplit("/", 1)[-1], "stages_tasks": sorted(stages),
                       "seconds": round(time.monotonic() - clock, 1)})
        sc.setJobGroup("other", "other")

    weather_etl.write_partitions = traced
    shutil.rmtree(refined, ignore_errors=True)
    generated = json.loads((Path(landing) / "generated.json").read_text())
    args, _ = weather_etl.parse_args([
        "--landing_uri", landing, "--refined_uri", refined, "--run_id", "plan", "--processed_at",
        "2026-01-01T00:00:00Z", "--cities_json", json.dumps(generated["cities_json"]),
        "--raw_prefix", "weather/raw/source=open-meteo/"])
    clock = time.monotonic()
    summary = weather_etl.run(spark, args, weather_etl.load_contract())
    folders = glob.glob(f"{refined}/weather/hourly/date=*/city=*")
    files = Counter(len(glob.glob(folder + "/*.parquet")) for folder in folders)
    print(json.dumps({"conf": conf, "run_s": round(time.monotonic() - clock, 1), "partitions": len(folders),
                      "files_per_partition": dict(files), "reconciled": summary["reconciled"], "writes": writes}))
    spark.stop()
    return 0 if summary["reconciled"] else 1


if __name__ == "__main__":
    sys.exit(main())
