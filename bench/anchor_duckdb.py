"""The ETL benchmark's anchor: the same landing objects refined by a single-process columnar engine (DuckDB).

    .venv-bench/bin/python bench/anchor_duckdb.py --landing /tmp/bench/l100x30 --refined /tmp/bench/anchor \
        [--raw_prefix P | --manifest_key K] [--contract monthly|PATH]

Bench only (requirements-bench.txt, its own virtualenv `.venv-bench`): never shipped, never used by the Glue job.
What it does is the core of the Glue script's work, on the same input and into the same layout: read the raw JSON
bodies, explode the hourly arrays, convert each variable to its canonical unit with the contract's scale and offset
(chosen by the body's own unit label), turn local ISO times into UTC with `utc_offset_seconds`, and write snappy
Parquet partitioned as the contract says (`date=/city=` or `month=/city=`) under the contract's hourly prefix.
What it does not do, so the comparison flatters the anchor: no quarantine (bodies it cannot read are skipped), no
range checks, no merge with rows already in the lake (latest fetch wins), no run summary. Layout facts (prefix,
partition keys, columns, units) come from the same contract the script receives.
Memory: a partitioned COPY keeps a Parquet writer open per partition, so partitions are written at most
`--max_open_partitions` per COPY (grouped by the first partition key's values: a day, a month, an ingest date), the same
files as one COPY: 100 cities x a year (36,500 partitions per layer) completes in under 2 GiB.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
KEY_PATTERN = r"city=([a-z0-9-]+)/[^/]+\.json$"
INGEST_PATTERN = r"ingest_date=([0-9-]+)/city="
BATCH_PATTERN = r"/([^/]+)\.json$"
# Java date patterns of the contract as DuckDB strftime patterns.
JAVA_TO_STRFTIME = {"yyyy-MM-dd": "%Y-%m-%d", "yyyy-MM": "%Y-%m"}
# Most partitions (open Parquet writers) per COPY: a 100 x 30 batch's 3,000 fit in one (under 1.2 GiB of resident memory);
# 36,500 did not (docs/PERFORMANCE.md, section 2).
MAX_OPEN_PARTITIONS = 4000


def load_contract(option: str | None) -> dict:
    if option == "monthly":
        return json.loads((ROOT / "test" / "catalog" / "queries.json").read_text(encoding="utf-8"))["monthly"]["etlContract"]
    path = Path(option) if option else ROOT / "src" / "etl" / "script" / "contract.json"
    return json.loads(path.read_text(encoding="utf-8"))


def sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


SQL_TYPES = {"double": "DOUBLE", "int": "INTEGER", "bigint": "BIGINT", "string": "VARCHAR", "boolean": "BOOLEAN",
             "timestamp": "TIMESTAMP", "date": "DATE"}
PROCESSED_AT = "TIMESTAMP '2026-01-01 00:00:00'"


def _select(columns: list[dict], known: dict[str, str]) -> list[str]:
    """The contract's columns in its order; a column this anchor has no value for (another source's) is a typed null."""
    return [f"{known[c['name']]} AS {c['name']}" if c["name"] in known
            else f"CAST(NULL AS {SQL_TYPES[c['dataType']]}) AS {c['name']}" for c in columns]


def hours_sql(contract: dict, files: list[str], names: dict[str, str]) -> str:
    """The batch's hours, converted: one row per city and hour, kept as a table for the writes."""
    variables = contract["variables"]
    hourly = ", ".join([f"{json.dumps('time')} VARCHAR[]"] + [f"{json.dumps(v['apiName'])} DOUBLE[]" for v in variables])
    columns = {
        "latitude": "DOUBLE", "longitude": "DOUBLE", "elevation": "DOUBLE", "utc_offset_seconds": "BIGINT",
        "hourly_units": "MAP(VARCHAR, VARCHAR)", "hourly": f"STRUCT({hourly})",
    }
    columns_sql = "{" + ", ".join(f"{sql_text(k)}: {sql_text(v)}" for k, v in columns.items()) + "}"
    file_list = "[" + ", ".join(sql_text(f) for f in files) + "]"
    exploded = ", ".join(f"unnest(hourly.{json.dumps(v['apiName'])}) AS {json.dumps('_raw_' + v['column'])}" for v in variables)
    converted = []
    for v in variables:
        cases = " ".join(f"WHEN {sql_text(u['label'])} THEN _raw_{v['column']} * {float(u['scale'])!r} + {float(u['offset'])!r}"
                         for u in v["acceptedUnits"])
        converted.append(f"CAST(CASE hourly_units[{sql_text(v['apiName'])}] {cases} END AS {SQL_TYPES[v['dataType']]}) "
                         f"AS {v['column']}")
    name_map = "MAP {" + ", ".join(f"{sql_text(k)}: {sql_text(v)}" for k, v in names.items()) + "}" if names else None
    city_name = f"coalesce({name_map}[city], city)" if name_map else "city"
    return f"""
CREATE TEMP TABLE hours AS
  WITH bodies AS (
    SELECT filename, latitude, longitude, elevation, coalesce(utc_offset_seconds, 0) AS utc_offset_seconds,
           hourly_units, hourly
    FROM read_json({file_list}, format = 'auto', columns = {columns_sql}, filename = true, ignore_errors = true,
                   hive_partitioning = false)
    WHERE hourly.time IS NOT NULL
  ), exploded AS (
    SELECT regexp_extract(filename, {sql_text(KEY_PATTERN)}, 1) AS city,
           regexp_extract(filename, {sql_text(INGEST_PATTERN)}, 1) AS ingest_date,
           regexp_extract(filename, {sql_text(BATCH_PATTERN)}, 1) AS batch_id, filename AS source_key,
           latitude, longitude, elevation, utc_offset_seconds, hourly_units,
           unnest(hourly.time) AS observed_at_raw, {exploded}
    FROM bodies
  )
  SELECT city, {city_name} AS city_name, ingest_date, batch_id, source_key, latitude, longitude, elevation,
         strptime(observed_at_raw, '%Y-%m-%dT%H:%M') - to_seconds(utc_offset_seconds) AS observed_at,
         {PROCESSED_AT} AS fetched_at, {", ".join(converted)}
  FROM exploded
"""


def partition_values(refined: dict, timestamp: str) -> dict[str, str]:
    values = {"date": f"strftime({timestamp}, {sql_text(JAVA_TO_STRFTIME[refined['dateFormat']])})", "city": "city"}
    if "monthFormat" in refined:
        values["month"] = f"strftime({timestamp}, {sql_text(JAVA_TO_STRFTIME[refined['monthFormat']])})"
    return values


def copy_sql(select: str, out: str, keys: list[str]) -> str:
    return (f"COPY ({select}) TO {sql_text(out)} (FORMAT parquet, COMPRESSION snappy, PARTITION_BY ({', '.join(keys)}), "
            f"OVERWRITE_OR_IGNORE true)")


def partition_groups(counts: list[tuple[str, int]], limit: int) -> list[list[str]]:
    """Values of the first partition key, in order, grouped so that no group holds more than `limit` partitions
    (a value holding more than `limit` on its own is a group of its own)."""
    groups: list[list[str]] = []
    current: list[str] = []
    held = 0
    for value, count in counts:
        if current and held + count > limit:
            groups.append(current)
            current, held = [], 0
        current.append(value)
        held += count
    return groups + ([current] if current else [])


def copy_statements(connection, select: str, out: str, keys: list[str], limit: int) -> list[str]:
    """The COPY statements that write `select` partitioned by `keys`, each opening at most `limit` partitions.

    A partitioned COPY keeps a Parquet writer open per partition until its end: at 36,500 partitions (100 cities x a
    year) DuckDB ran out of its memory limit (18.8 GiB) though its resident memory was below 3 GiB. Writing the
    partitions in groups of values of the first partition key (a date, a month, an ingest date) gives the same files,
    one per partition, with a bounded number open at once. Up to `limit` partitions it is the one COPY it always was.
    """
    counts = connection.execute(
        f"SELECT {keys[0]}, count(*) FROM (SELECT DISTINCT {', '.join(keys)} FROM ({select})) GROUP BY 1 ORDER BY 1").fetchall()
    groups = partition_groups([(str(value), int(n)) for value, n in counts], limit)
    if len(groups) <= 1:
        return [copy_sql(select, out, keys)]
    return [copy_sql(f"SELECT * FROM ({select}) WHERE {keys[0]} IN ({', '.join(sql_text(v) for v in group)})", out, keys)
            for group in groups]


def hourly_sql(contract: dict, out: str) -> tuple[str, str, list[str]]:
    refined = contract["refined"]
    known = {"city_name": "city_name", "latitude": "latitude", "longitude": "longitude", "elevation": "elevation",
             "observed_at": "observed_at", "is_forecast": "observed_at > fetched_at", "fetched_at": "fetched_at",
             "processed_at": PROCESSED_AT, "run_id": "'anchor'", "source_key": "source_key",
             "source": sql_text(contract["source"]), **{v["column"]: v["column"] for v in contract["variables"]}}
    values = partition_values(refined, "observed_at")
    selected = _select(refined["hourlyColumns"], known)
    names = {c["name"] for c in refined["hourlyColumns"]}
    selected += [f"{values[k]} AS {k}" for k in refined["partitionKeys"] if k not in names]
    return f"SELECT {', '.join(selected)} FROM hours", out, list(refined["partitionKeys"])


def staging_sql(contract: dict, out: str) -> tuple[str, str, list[str]]:
    """Every hour of every fetch under `ingest_date=/city=`, one folder per batch (renamed to `<batch>.parquet` after)."""
    refined = contract["refined"]
    known = {"source": sql_text(contract["source"]), "city_name": "city_name", "latitude": "latitude",
             "longitude": "longitude", "elevation": "elevation", "observed_at": "observed_at",
             "is_forecast": "observed_at > fetched_at",
             "lead_time_hours": "(epoch(observed_at) - epoch(fetched_at)) / 3600.0", "fetched_at": "fetched_at",
             "processed_at": PROCESSED_AT, "run_id": "'anchor'", "source_key": "source_key", "batch_id": "batch_id",
             **{v["column"]: v["column"] for v in contract["variables"]}}
    keys = list(refined["stagingPartitionKeys"])
    selected = _select(refined["stagingColumns"], known) + [f"{k} AS {k}" for k in keys] + ["batch_id AS staged_batch"]
    return f"SELECT {', '.join(selected)} FROM hours", out, [*keys, "staged_batch"]


def daily_sql(contract: dict, out: str) -> tuple[str, str, list[str]]:
    """One row per city and UTC day, the script's aggregates (the most frequent code, the highest on a tie)."""
    refined = contract["refined"]
    date_format = sql_text(JAVA_TO_STRFTIME[refined["dateFormat"]])
    known = {"source": sql_text(contract["source"]), "city_name": "city_name", "day": "day",
             "temperature_min_c": "temperature_min_c", "temperature_max_c": "temperature_max_c",
             "temperature_mean_c": "temperature_mean_c", "precipitation_sum_mm": "precipitation_sum_mm",
             "wind_speed_max_kmh": "wind_speed_max_kmh", "dominant_weather_code": "dominant_weather_code",
             "hours_present": "hours_present", "is_complete": "hours_present = 24",
             "has_forecast_hours": "forecast_hours > 0", "processed_at": PROCESSED_AT, "run_id": "'anchor'"}
    values = partition_values(refined, "day")
    keys = list(refined["dailyPartitionKeys"])
    selected = _select(refined["dailyColumns"], known) + [f"{values[k]} AS {k}" for k in keys]
    return f"""
SELECT {', '.join(selected)} FROM (
  SELECT city, CAST(observed_at AS DATE) AS day, max(city_name) AS city_name,
         min(temperature_c) AS temperature_min_c, max(temperature_c) AS temperature_max_c,
         avg(temperature_c) AS temperature_mean_c, sum(precipitation_mm) AS precipitation_sum_mm,
         max(wind_speed_kmh) AS wind_speed_max_kmh, CAST(count(*) AS INTEGER) AS hours_present,
         count(*) FILTER (WHERE observed_at > fetched_at) AS forecast_hours,
         arg_max(weather_code, (code_n, weather_code)) AS dominant_weather_code
  FROM (SELECT *, count(*) OVER (PARTITION BY city, CAST(observed_at AS DATE), weather_code) AS code_n FROM hours)
  GROUP BY city, day
)""", out, keys


def name_staging_files(root: Path) -> int:
    """DuckDB names its files `data_0.parquet`: move each batch's file to `<partition>/<batch id>.parquet`."""
    moved = 0
    for folder in sorted(root.glob("*/*/staged_batch=*")):
        batch = folder.name.split("=", 1)[1]
        for file in folder.glob("*.parquet"):
            file.rename(folder.parent / f"{batch}.parquet")
            moved += 1
        folder.rmdir()
    return moved


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", required=True)
    parser.add_argument("--refined", required=True)
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--manifest_key")
    source.add_argument("--raw_prefix")
    parser.add_argument("--contract", help="'monthly' (test/catalog/queries.json) or a contract JSON file (default: the script's)")
    parser.add_argument("--layers", choices=["hourly", "all"], default="hourly",
                        help="'hourly' (the issue's anchor) or 'all': also the staging and daily layers, as the script writes them")
    parser.add_argument("--max_open_partitions", type=int, default=MAX_OPEN_PARTITIONS,
                        help="most partitions one COPY writes at once (more are written in groups of the first "
                             f"partition key's values; default {MAX_OPEN_PARTITIONS})")
    opts = parser.parse_args()
    clock = time.monotonic()
    contract = load_contract(opts.contract)
    landing = Path(opts.landing).resolve()
    if opts.manifest_key:
        manifest = json.loads((landing / opts.manifest_key).read_text(encoding="utf-8"))
        files = [str(landing / entry["key"]) for entry in manifest["written"]]
    else:
        prefix = opts.raw_prefix or contract["landing"]["rawPrefix"]
        files = [str(landing / prefix.rstrip("/") / "**" / "*.json")]
    generated = landing / "generated.json"
    names = json.loads(generated.read_text())["cities_json"] if generated.exists() else {}
    refined_root = Path(opts.refined).resolve()
    out = str(refined_root / contract["refined"]["hourlyPrefix"].strip("/"))
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect()
    steps: dict[str, float] = {}
    copies: dict[str, int] = {}

    def step(name: str, sql: str) -> None:
        began = time.monotonic()
        connection.execute(sql)
        steps[name] = round(time.monotonic() - began, 2)

    def write(name: str, layer: tuple[str, str, list[str]]) -> None:
        began = time.monotonic()
        statements = copy_statements(connection, *layer, opts.max_open_partitions)
        for sql in statements:
            connection.execute(sql)
        steps[name] = round(time.monotonic() - began, 2)
        copies[name] = len(statements)

    step("read", hours_sql(contract, files, names))
    write("hourly", hourly_sql(contract, out))
    result = {"engine": f"duckdb {duckdb.__version__}", "layers": opts.layers,
              "rows": connection.execute(f"SELECT count(*) FROM read_parquet({sql_text(out + '/**/*.parquet')})").fetchone()[0]}
    if opts.layers == "all":
        staging = refined_root / contract["refined"]["stagingPrefix"].strip("/")
        write("staging", staging_sql(contract, str(staging)))
        result["staging_files"] = name_staging_files(staging)
        daily = str(refined_root / contract["refined"]["dailyPrefix"].strip("/"))
        write("daily", daily_sql(contract, daily))
        result["daily_rows"] = connection.execute(
            f"SELECT count(*) FROM read_parquet({sql_text(daily + '/**/*.parquet')})").fetchone()[0]
    print(json.dumps({**result, "steps_s": steps, "copies": copies, "seconds": round(time.monotonic() - clock, 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
