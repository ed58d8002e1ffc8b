"""Athena cost proxy and small-file cost, on Trino 476 (Athena engine v3 is Trino-based), over ETL output.

    .venv/bin/python bench/trino_scan.py --root /tmp/bench --daily r100x30n-daily --monthly r100x30n-monthly \
        --landing l100x30n --first 2026-10-28 --last 2026-11-26 --week 2026-11-10,2026-11-16 [--reps 3]

`--root` is the directory Trino's `hive` catalog sees; `--daily` and `--monthly` (two ETL refined roots: the script
run with its own contract, `date=/city=` partitions, and with the MONTH contract, `month=/city=`; see
`bench/run_etl.py --contract monthly`) and `--landing` (the generator's landing root) are relative to it. Tables:
- `weather.hourly`, `weather.quarantine`: defined from test/catalog/queries.json (the Glue tables the AthenaCatalog
  synthesizes for daily partitions) over the daily output;
- `weather_monthly.hourly`, `weather_monthly.quarantine`: from its `monthly.tables` (the tables for
  `partitionGranularity: MONTH`) over the monthly output;
- `bench.raw`: the raw Open-Meteo bodies as a JSON table (one body per line), partitioned by the landing folders
  `ingest_date=`/`city=`: "the same question over the raw JSON";
- `bench.raw_text`: the same files as a one-column text table (`body`), for the questions a JSON table cannot ask:
  which bodies are not weather at all (an API error document, a truncated body).
The shipped named queries run as Athena runs them, parameters bound as SQL literals: the daily ones
(`analytics`) on `weather`, the monthly ones (`monthly.analytics`, with the `month` filter) on `weather_monthly`.
Each layout question of section 3 runs `--reps` times after one warm-up, layouts interleaved in each repetition;
the named queries of section 4 run `--named_reps` times (bytes do not vary between runs). Reported: median wall
time, the median of the per-repetition time ratios to the daily layout, Trino's physical input bytes (what Athena
bills, `physicalInputBytes` of the query stats), input rows, result rows.
"""
from __future__ import annotations

import argparse
import json
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
# An hour of a raw body as a UTC timestamp with time zone ("2026-11-26T05:00", timezone GMT).
OBS = "with_timezone(date_parse(tm, '%Y-%m-%dT%H:%i'), 'UTC')"


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
            "processed_rows": stats.get("processedRows"), "rows": len(rows), "first_rows": [list(map(str, r)) for r in rows[:3]]}


def bind(named: dict, values: dict, schema: str) -> str:
    sql = named["queryString"]
    for p in named["parameters"]:
        sql = sql.replace("?", values[p], 1)
    return sql.replace('"weather".', f"hive.{schema}.")


def raw_questions(f: str, l: str, raw_where: str) -> dict:
    """The named queries' questions over the raw bodies (no dedup of re-fetches: one body per city and day here).
    `raw_where` is appended to the JSON table's filters (the `--raw_exclude` paths)."""
    in_range = f"ingest_date BETWEEN '{f}' AND '{l}'{raw_where}"
    return {
        "daily-temperature": (
            f"SELECT city, substr(tm, 1, 10) AS day, min(t), max(t), round(avg(t), 2), count(t) FROM hive.bench.raw "
            f"CROSS JOIN UNNEST(hourly.\"time\", hourly.temperature_2m) AS u(tm, t) WHERE {in_range} "
            f"GROUP BY city, substr(tm, 1, 10) ORDER BY 1, 2"),
        "last-48-hours": (
            f"SELECT city, tm, t, rh, p, ws, wd, sp, cc, wc FROM hive.bench.raw CROSS JOIN UNNEST(hourly.\"time\", "
            f"hourly.temperature_2m, hourly.relative_humidity_2m, hourly.precipitation, hourly.wind_speed_10m, "
            f"hourly.wind_direction_10m, hourly.surface_pressure, hourly.cloud_cover, hourly.weather_code) "
            f"AS u(tm, t, rh, p, ws, wd, sp, cc, wc) "
            f"WHERE ingest_date >= CAST(current_date - INTERVAL '2' DAY AS varchar){raw_where} "
            f"AND {OBS} > current_timestamp - INTERVAL '48' HOUR AND {OBS} <= current_timestamp ORDER BY city, tm DESC"),
        "monthly-precipitation": (
            f"SELECT city, substr(tm, 1, 7) AS month, round(sum(p), 2), count(p) FROM hive.bench.raw "
            f"CROSS JOIN UNNEST(hourly.\"time\", hourly.precipitation) AS u(tm, p) WHERE {in_range} "
            f"AND {OBS} <= current_timestamp GROUP BY city, substr(tm, 1, 7) ORDER BY 1, 2"),
        "temperature-extremes": (
            f"WITH daily AS (SELECT city, substr(tm, 1, 10) AS day, max(t) AS mx, min(t) AS mn FROM hive.bench.raw "
            f"CROSS JOIN UNNEST(hourly.\"time\", hourly.temperature_2m) AS u(tm, t) WHERE {in_range} "
            f"GROUP BY city, substr(tm, 1, 10)), ranked AS (SELECT daily.*, "
            f"row_number() OVER (PARTITION BY city ORDER BY mx DESC, day) AS hot, "
            f"row_number() OVER (PARTITION BY city ORDER BY mn ASC, day) AS cold FROM daily WHERE mx IS NOT NULL) "
            f"SELECT city, max(CASE WHEN hot = 1 THEN day END), max(CASE WHEN hot = 1 THEN mx END), "
            f"max(CASE WHEN cold = 1 THEN day END), max(CASE WHEN cold = 1 THEN mn END) FROM ranked GROUP BY city ORDER BY city"),
        # The fetch time of a raw body is its object's modification time (what the ETL uses without a manifest).
        "data-freshness": (
            f"WITH recent AS (SELECT city, max({OBS}) FILTER (WHERE {OBS} <= current_timestamp) AS latest_observed_hour, "
            f"max(\"$file_modified_time\") AS last_fetched_at FROM hive.bench.raw "
            f"CROSS JOIN UNNEST(hourly.\"time\") AS u(tm) "
            f"WHERE ingest_date >= CAST(current_date - INTERVAL '7' DAY AS varchar){raw_where} GROUP BY city) "
            f"SELECT configured.city, recent.latest_observed_hour, recent.last_fetched_at, "
            f"date_diff('minute', recent.last_fetched_at, current_timestamp) AS minutes_since_fetch "
            f"FROM (VALUES ('paris'), ('saint-etienne'), ('gyor'), ('salt-lake-city'), ('oslo')) AS configured(city) "
            f"LEFT JOIN recent ON recent.city = configured.city ORDER BY minutes_since_fetch DESC NULLS FIRST, 1"),
        # Body-level reasons only (what a reader of raw bodies sees without the contract's per-hour checks): every
        # body of the range is read whole to find the few that are not weather.
        "quarantine-by-reason": (
            f"SELECT reason, count(*) AS bodies, count(DISTINCT path) AS source_files, count(DISTINCT city) AS cities "
            f"FROM (SELECT city, \"$path\" AS path, CASE WHEN trim(body) = '' THEN 'EMPTY_FILE' "
            f"WHEN try(json_parse(body)) IS NULL THEN 'MALFORMED_JSON' "
            f"WHEN lower(json_extract_scalar(body, '$.error')) = 'true' THEN 'API_ERROR' "
            f"WHEN json_extract(body, '$.hourly.time') IS NULL THEN 'MISSING_HOURLY' END AS reason "
            f"FROM hive.bench.raw_text WHERE ingest_date BETWEEN '{f}' AND '{l}') WHERE reason IS NOT NULL GROUP BY reason ORDER BY 2 DESC, 1"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, type=Path)
    parser.add_argument("--daily", required=True, help="refined root written with the daily contract")
    parser.add_argument("--monthly", required=True, help="refined root written with the monthly contract")
    parser.add_argument("--landing", required=True)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--named_reps", type=int, default=1)
    parser.add_argument("--first", required=True)
    parser.add_argument("--last", required=True)
    parser.add_argument("--city", default="city-0042")
    parser.add_argument("--week", required=True, help="first,last date of the one-week question")
    parser.add_argument("--raw_exclude", default="",
                        help="glob of landing files the JSON table must skip (bodies its reader rejects), e.g. '*T183000Z.json'")
    parser.add_argument("--freshness_cities", choices=["shipped", "landing"], default="shipped",
                        help="data-freshness lists the configured cities as VALUES; 'shipped' keeps the synthesized "
                             "example's five, 'landing' binds the generated data's cities (the query for that pipeline)")
    parser.add_argument("--only", default="", help="comma-separated question names to run (default: all)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "trino.json"))
    opts = parser.parse_args()
    root = opts.root.resolve()
    daily_root, monthly_root, landing = root / opts.daily, root / opts.monthly, root / opts.landing
    server = TrinoServer(root / "trino-work", root, heap="3G")
    started = time.time()
    server.start()
    try:
        conn = server.connect()
        cur = conn.cursor()

        def q(sql):
            cur.execute(sql)
            return cur.fetchall()

        def define(schema: str, tables: dict, refined: Path) -> None:
            q(f"CREATE SCHEMA IF NOT EXISTS hive.{schema}")
            for name in ("hourly", "quarantine"):
                table = tables[name]
                storage = table["StorageDescriptor"]
                cols = [f'"{c["Name"]}" {GLUE_TO_TRINO[c["Type"]]}' for c in storage["Columns"]]
                cols += [f'"{p["Name"]}" {GLUE_TO_TRINO[p["Type"]]}' for p in table["PartitionKeys"]]
                location = refined / storage["Location"][len(f"s3://{QUERIES['bucket']}/"):]
                location.mkdir(parents=True, exist_ok=True)
                parts = ", ".join(f"'{p['Name']}'" for p in table["PartitionKeys"])
                q(f'DROP TABLE IF EXISTS hive.{schema}."{name}"')
                q(f'CREATE TABLE hive.{schema}."{name}" ({", ".join(cols)}) WITH (format = \'PARQUET\', '
                  f"partitioned_by = ARRAY[{parts}], external_location = '{server.location(location)}')")
                q(f"CALL system.sync_partition_metadata('{schema}', '{name}', 'FULL')")

        define("weather", QUERIES["tables"], daily_root)
        define("weather_monthly", QUERIES["monthly"]["tables"], monthly_root)
        q("CREATE SCHEMA IF NOT EXISTS hive.bench")
        raw_location = server.location(landing / "weather/raw/source=open-meteo")
        for name, columns, fmt in (("raw", RAW_COLUMNS, "JSON"), ("raw_text", "body varchar", "TEXTFILE")):
            q(f"DROP TABLE IF EXISTS hive.bench.{name}")
            q(f"CREATE TABLE hive.bench.{name} ({columns}, ingest_date varchar, city varchar) WITH (format = '{fmt}', "
              f"partitioned_by = ARRAY['ingest_date', 'city'], external_location = '{raw_location}')")
            q(f"CALL system.sync_partition_metadata('bench', '{name}', 'FULL')")

        f, l = opts.first, opts.last
        first_w, last_w = opts.week.split(",")
        # The JSON reader fails the whole query on a body that is not JSON (HIVE_CURSOR_ERROR), and a LIKE on "$path"
        # is applied after the file is read; a NOT IN list of paths is a domain the connector prunes splits with.
        excluded = sorted(server.location(p) for p in (landing / "weather/raw").rglob(opts.raw_exclude)) if opts.raw_exclude else []
        raw_where = (" AND \"$path\" NOT IN (" + ", ".join(f"'{p}'" for p in excluded) + ")") if excluded else ""
        layout_questions = {
            "all-dates-all-cities": {
                "daily": f'SELECT city, count(*), avg(temperature_c), max(temperature_c), sum(precipitation_mm) FROM hive.weather.hourly WHERE "date" BETWEEN \'{f}\' AND \'{l}\' GROUP BY city',
                "monthly": f'SELECT city, count(*), avg(temperature_c), max(temperature_c), sum(precipitation_mm) FROM hive.weather_monthly.hourly WHERE month BETWEEN \'{f[:7]}\' AND \'{l[:7]}\' AND "date" BETWEEN \'{f}\' AND \'{l}\' GROUP BY city',
                "raw-json": f"SELECT city, count(*), avg(t), max(t), sum(p) FROM hive.bench.raw CROSS JOIN UNNEST(hourly.temperature_2m, hourly.precipitation) AS u(t, p) WHERE ingest_date BETWEEN '{f}' AND '{l}'{raw_where} GROUP BY city",
            },
            "one-city-one-week": {
                "daily": f'SELECT "date", min(temperature_c), max(temperature_c), avg(temperature_c) FROM hive.weather.hourly WHERE city = \'{opts.city}\' AND "date" BETWEEN \'{first_w}\' AND \'{last_w}\' GROUP BY "date"',
                "monthly": f'SELECT "date", min(temperature_c), max(temperature_c), avg(temperature_c) FROM hive.weather_monthly.hourly WHERE city = \'{opts.city}\' AND month BETWEEN \'{first_w[:7]}\' AND \'{last_w[:7]}\' AND "date" BETWEEN \'{first_w}\' AND \'{last_w}\' GROUP BY "date"',
                "raw-json": f"SELECT substr(tm, 1, 10), min(t), max(t), avg(t) FROM hive.bench.raw CROSS JOIN UNNEST(hourly.\"time\", hourly.temperature_2m) AS u(tm, t) WHERE city = '{opts.city}' AND ingest_date BETWEEN '{first_w}' AND '{last_w}'{raw_where} GROUP BY 1",
            },
            "one-city-no-date-filter": {
                "daily": f"SELECT count(*), avg(temperature_c) FROM hive.weather.hourly WHERE city = '{opts.city}'",
                "monthly": f"SELECT count(*), avg(temperature_c) FROM hive.weather_monthly.hourly WHERE city = '{opts.city}'",
            },
        }
        values = {"firstDate": f"'{f}'", "lastDate": f"'{l}'"}
        monthly_named = {n["id"]: n for n in QUERIES["monthly"]["analytics"]}
        raw = raw_questions(f, l, raw_where)
        named_questions = {}
        for named in QUERIES["analytics"]:
            qid = named["id"]
            named_questions[f"named:{qid}"] = {"daily": bind(named, values, "weather"),
                                               "monthly": bind(monthly_named[qid], values, "weather_monthly")}
            if qid in raw:
                named_questions[f"named:{qid}"]["raw-json"] = raw[qid]

        unfiltered = {}
        if raw_where and not opts.only:  # what the JSON table does with the bodies --raw_exclude skips
            sql = layout_questions["all-dates-all-cities"]["raw-json"].replace(raw_where, "")
            try:
                result = run(cur, sql)
                unfiltered = {"sql": sql, "ok": True, "physical_input_bytes": result["physical_bytes"]}
            except Exception as error:  # noqa: BLE001 - the expected outcome on a truncated body
                unfiltered = {"sql": sql, "ok": False, "error": str(error)[:500]}
            print(f"unfiltered raw JSON: {unfiltered}", file=sys.stderr)
        if opts.freshness_cities == "landing":
            slugs = sorted(json.loads((landing / "generated.json").read_text())["cities_json"])
            shipped = "(VALUES ('paris'), ('saint-etienne'), ('gyor'), ('salt-lake-city'), ('oslo'))"
            ours = "(VALUES " + ", ".join(f"('{c}')" for c in slugs) + ")"
            for layout, sql in named_questions["named:data-freshness"].items():
                assert shipped in sql, layout
                named_questions["named:data-freshness"][layout] = sql.replace(shipped, ours)
        if opts.only:
            keep = set(opts.only.split(","))
            layout_questions = {k: v for k, v in layout_questions.items() if k in keep}
            named_questions = {k: v for k, v in named_questions.items() if k in keep}
        for sqls in layout_questions.values():  # warm-up: JIT, metastore and footer caches
            for sql in sqls.values():
                run(cur, sql)
        print("warm-up done", file=sys.stderr)
        samples: dict = {name: {layout: [] for layout in sqls} for name, sqls in {**layout_questions, **named_questions}.items()}
        errors: dict = {}
        for rep in range(opts.reps):
            for name, sqls in layout_questions.items():
                for layout, sql in sqls.items():
                    samples[name][layout].append(run(cur, sql))
            print(f"rep {rep + 1} done", file=sys.stderr)
        for rep in range(opts.named_reps):
            for name, sqls in named_questions.items():
                for layout, sql in sqls.items():
                    try:
                        samples[name][layout].append(run(cur, sql))
                    except Exception as error:  # noqa: BLE001 - reported, the other queries still run
                        errors.setdefault(name, {})[layout] = str(error)[:500]
            print(f"named rep {rep + 1} done", file=sys.stderr)
        report = {"started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
                  "finished_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                  "load_average_at_end": list(__import__("os").getloadavg()),
                  "reps": opts.reps, "named_reps": opts.named_reps, "first": f, "last": l, "week": opts.week,
                  "city": opts.city, "freshness_cities": opts.freshness_cities, "only": opts.only, "raw_exclude": opts.raw_exclude, "raw_excluded_files": excluded,
                  "storage": {"raw_json": tree_stats(landing / "weather/raw", ".json"),
                              "refined_daily": tree_stats(daily_root / "weather/hourly", ".parquet"),
                              "refined_monthly": tree_stats(monthly_root / "weather/hourly", ".parquet"),
                              "quarantine_daily": tree_stats(daily_root / "weather/quarantine", ".parquet"),
                              "quarantine_monthly": tree_stats(monthly_root / "weather/quarantine", ".parquet")},
                  "raw_json_without_exclude": unfiltered, "errors": errors, "queries": {}}
        all_sql = {**layout_questions, **named_questions}
        for name, layouts in samples.items():
            report["queries"][name] = {}
            for layout, runs in layouts.items():
                if not runs:
                    continue
                daily = layouts.get("daily")
                ratios = [r["wall_s"] / d["wall_s"] for r, d in zip(runs, daily)] if daily else []
                report["queries"][name][layout] = {
                    "runs": len(runs), "wall_s": [round(r["wall_s"], 3) for r in runs],
                    "median_wall_s": round(statistics.median(r["wall_s"] for r in runs), 3),
                    "median_time_ratio_to_daily": round(statistics.median(ratios), 2) if ratios else None,
                    "physical_input_bytes": runs[-1]["physical_bytes"], "processed_rows": runs[-1]["processed_rows"],
                    "result_rows": runs[-1]["rows"], "first_result_rows": runs[-1]["first_rows"],
                    "sql": all_sql[name][layout]}
        Path(opts.out).parent.mkdir(parents=True, exist_ok=True)
        Path(opts.out).write_text(json.dumps(report, indent=2) + "\n")
        print(json.dumps(report, indent=2))
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
