"""Athena cost proxy and small-file cost, on Trino 476 (Athena engine v3 is Trino-based), over ETL output.

    .venv/bin/python bench/trino_scan.py --root /tmp/bench --refined r100x30-script --landing l100x30 [--reps 5]

`--root` is the directory Trino's `hive` catalog sees; `--refined` (the ETL's refined root, daily `date=/city=`
layout) and `--landing` (the generator's landing root) are relative to it. Tables:
- `weather.hourly`: defined from test/catalog/queries.json (the Glue table the AthenaCatalog synthesizes);
- `bench.hourly_monthly`: WHAT-IF only (not in the contract): the same rows rewritten by Trino with
  `month=YYYY-MM/city=` partitions, `date` kept as a column, one writer per partition;
- `bench.raw`: the raw Open-Meteo bodies as a JSON table (one body per line), partitioned by the landing folders
  `ingest_date=`/`city=`: "the same question over the raw JSON".
Each query runs `--reps` times, layouts interleaved in each repetition; reported: median wall time and Trino's
physical input bytes (what Athena bills, as `physicalInputBytes` of the query stats) and input rows.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "test" / "catalog"))
from trino_local import TrinoServer  # noqa: E402

QUERIES = json.loads((ROOT / "test" / "catalog" / "queries.json").read_text(encoding="utf-8"))
GLUE_TO_TRINO = {"string": "varchar", "double": "double", "int": "integer", "bigint": "bigint",
                 "boolean": "boolean", "timestamp": "timestamp(3)", "date": "date"}
RAW_COLUMNS = ("latitude double, longitude double, utc_offset_seconds integer, timezone varchar, elevation double, "
               "hourly_units map(varchar, varchar), hourly row(\"time\" array(varchar), temperature_2m array(double), "
               "relative_humidity_2m array(double), precipitation array(double), wind_speed_10m array(double), "
               "wind_direction_10m array(double), surface_pressure array(double), cloud_cover array(double), "
               "weather_code array(integer))")


def tree_stats(path: Path, suffix: str) -> dict:
    files = [p for p in path.rglob(f"*{suffix}") if p.is_file() and not p.name.startswith(".")]
    return {"files": len(files), "bytes": sum(p.stat().st_size for p in files)}


def run(cursor, sql: str) -> dict:
    clock = time.monotonic()
    cursor.execute(sql)
    rows = cursor.fetchall()
    wall = time.monotonic() - clock
    stats = cursor.stats or {}
    return {"wall_s": wall, "physical_bytes": stats.get("physicalInputBytes"), "processed_bytes": stats.get("processedBytes"),
            "processed_rows": stats.get("processedRows"), "rows": len(rows)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, type=Path)
    parser.add_argument("--refined", required=True)
    parser.add_argument("--landing", required=True)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--first", default="2025-01-01")
    parser.add_argument("--last", default="2025-12-31")
    parser.add_argument("--city", default="city-0042")
    parser.add_argument("--week", default="2025-01-08,2025-01-14")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "trino.json"))
    opts = parser.parse_args()
    root = opts.root.resolve()
    refined, landing = root / opts.refined, root / opts.landing
    monthly = root / f"{opts.refined}-monthly-whatif"
    server = TrinoServer(root / "trino-work", root, heap="3G")
    server.start()
    try:
        conn = server.connect()
        cur = conn.cursor()

        def q(sql):
            cur.execute(sql)
            return cur.fetchall()

        q("CREATE SCHEMA IF NOT EXISTS hive.weather")
        q("CREATE SCHEMA IF NOT EXISTS hive.bench")
        for name in ("hourly", "quarantine"):
            table = QUERIES["tables"][name]
            storage = table["StorageDescriptor"]
            cols = [f'"{c["Name"]}" {GLUE_TO_TRINO[c["Type"]]}' for c in storage["Columns"]]
            cols += [f'"{p["Name"]}" {GLUE_TO_TRINO[p["Type"]]}' for p in table["PartitionKeys"]]
            location = refined / storage["Location"][len(f"s3://{QUERIES['bucket']}/"):]
            location.mkdir(parents=True, exist_ok=True)
            parts = ", ".join(f"'{p['Name']}'" for p in table["PartitionKeys"])
            q(f'DROP TABLE IF EXISTS hive.weather."{name}"')
            q(f'CREATE TABLE hive.weather."{name}" ({", ".join(cols)}) WITH (format = \'PARQUET\', '
              f"partitioned_by = ARRAY[{parts}], external_location = '{server.location(location)}')")
            q(f"CALL system.sync_partition_metadata('weather', '{name}', 'FULL')")
        q("DROP TABLE IF EXISTS hive.bench.raw")
        q(f"CREATE TABLE hive.bench.raw ({RAW_COLUMNS}, ingest_date varchar, city varchar) WITH (format = 'JSON', "
          f"partitioned_by = ARRAY['ingest_date', 'city'], "
          f"external_location = '{server.location(landing / 'weather/raw/source=open-meteo')}')")
        q("CALL system.sync_partition_metadata('bench', 'raw', 'FULL')")
        # What-if monthly layout: one writer per partition, so one file per month and city.
        hourly_cols = [c["Name"] for c in QUERIES["tables"]["hourly"]["StorageDescriptor"]["Columns"]]
        q("DROP TABLE IF EXISTS hive.bench.hourly_monthly")
        import shutil
        shutil.rmtree(monthly, ignore_errors=True)
        q("SET SESSION task_max_writer_count = 1")
        q("SET SESSION task_min_writer_count = 1")
        clock = time.monotonic()
        q(f"CREATE TABLE hive.bench.hourly_monthly WITH (format = 'PARQUET', partitioned_by = ARRAY['month', 'city'], "
          f"external_location = '{server.location(monthly)}') AS SELECT "
          f"{', '.join(chr(34) + c + chr(34) for c in hourly_cols)}, \"date\", substr(\"date\", 1, 7) AS month, city "
          f"FROM hive.weather.hourly")
        rewrite_s = time.monotonic() - clock

        first_w, last_w = opts.week.split(",")
        f, l = opts.first, opts.last
        questions = {
            "year-all-cities": {
                "daily": f'SELECT city, count(*), avg(temperature_c), max(temperature_c), sum(precipitation_mm) FROM hive.weather.hourly WHERE "date" BETWEEN \'{f}\' AND \'{l}\' GROUP BY city',
                "monthly-whatif": f'SELECT city, count(*), avg(temperature_c), max(temperature_c), sum(precipitation_mm) FROM hive.bench.hourly_monthly WHERE month BETWEEN \'{f[:7]}\' AND \'{l[:7]}\' AND "date" BETWEEN \'{f}\' AND \'{l}\' GROUP BY city',
                "raw-json": f"SELECT city, count(*), avg(t), max(t), sum(p) FROM hive.bench.raw CROSS JOIN UNNEST(hourly.temperature_2m, hourly.precipitation) AS u(t, p) WHERE ingest_date BETWEEN '{f}' AND '{l}' GROUP BY city",
            },
            "one-city-one-week": {
                "daily": f'SELECT "date", min(temperature_c), max(temperature_c), avg(temperature_c) FROM hive.weather.hourly WHERE city = \'{opts.city}\' AND "date" BETWEEN \'{first_w}\' AND \'{last_w}\' GROUP BY "date"',
                "monthly-whatif": f'SELECT "date", min(temperature_c), max(temperature_c), avg(temperature_c) FROM hive.bench.hourly_monthly WHERE city = \'{opts.city}\' AND month BETWEEN \'{first_w[:7]}\' AND \'{last_w[:7]}\' AND "date" BETWEEN \'{first_w}\' AND \'{last_w}\' GROUP BY "date"',
                "raw-json": f"SELECT substr(tm, 1, 10), min(t), max(t), avg(t) FROM hive.bench.raw CROSS JOIN UNNEST(hourly.\"time\", hourly.temperature_2m) AS u(tm, t) WHERE city = '{opts.city}' AND ingest_date BETWEEN '{first_w}' AND '{last_w}' GROUP BY 1",
            },
            "one-city-all-dates-no-date-filter": {
                "daily": f"SELECT count(*), avg(temperature_c) FROM hive.weather.hourly WHERE city = '{opts.city}'",
            },
        }
        values = {"firstDate": f"'{f}'", "lastDate": f"'{l}'"}
        for named in QUERIES["analytics"]:
            sql = named["queryString"]
            for p in named["parameters"]:
                sql = sql.replace("?", values[p], 1)
            questions[f"named:{named['id']}"] = {"daily": sql.replace('"weather".', "hive.weather.")}
        questions["named:daily-temperature"]["raw-json"] = (
            f"SELECT city, substr(tm, 1, 10) AS day, min(t), max(t), round(avg(t), 2), count(t) FROM hive.bench.raw "
            f"CROSS JOIN UNNEST(hourly.\"time\", hourly.temperature_2m) AS u(tm, t) WHERE ingest_date BETWEEN '{f}' AND '{l}' "
            f"GROUP BY city, substr(tm, 1, 10) ORDER BY 1, 2")
        questions["named:monthly-precipitation"]["raw-json"] = (
            f"SELECT city, substr(tm, 1, 7) AS month, round(sum(p), 2), count(p) FROM hive.bench.raw "
            f"CROSS JOIN UNNEST(hourly.\"time\", hourly.precipitation) AS u(tm, p) WHERE ingest_date BETWEEN '{f}' AND '{l}' "
            f"GROUP BY city, substr(tm, 1, 7) ORDER BY 1, 2")

        for sqls in questions.values():  # warm-up: JIT, metastore and footer caches
            for sql in sqls.values():
                run(cur, sql)
        samples: dict = {name: {layout: [] for layout in sqls} for name, sqls in questions.items()}
        for rep in range(opts.reps):
            for name, sqls in questions.items():
                for layout, sql in sqls.items():
                    samples[name][layout].append(run(cur, sql))
            print(f"rep {rep + 1} done", file=sys.stderr)
        report = {"rewrite_monthly_s": round(rewrite_s, 1), "reps": opts.reps,
                  "storage": {"raw_json": tree_stats(landing / "weather/raw", ".json"),
                              "refined_daily": tree_stats(refined / "weather/hourly", ".parquet"),
                              "refined_monthly_whatif": tree_stats(monthly, "")},
                  "queries": {}}
        for name, layouts in samples.items():
            report["queries"][name] = {}
            for layout, runs in layouts.items():
                daily = layouts.get("daily")
                ratios = [r["wall_s"] / d["wall_s"] for r, d in zip(runs, daily)] if daily else []
                report["queries"][name][layout] = {
                    "median_wall_s": round(statistics.median(r["wall_s"] for r in runs), 3),
                    "median_time_ratio_to_daily": round(statistics.median(ratios), 2) if ratios else None,
                    "physical_input_bytes": runs[-1]["physical_bytes"], "processed_rows": runs[-1]["processed_rows"],
                    "result_rows": runs[-1]["rows"], "sql": questions[name][layout]}
        Path(opts.out).parent.mkdir(parents=True, exist_ok=True)
        Path(opts.out).write_text(json.dumps(report, indent=2) + "\n")
        print(json.dumps(report, indent=2))
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
