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
# Java date patterns of the contract as DuckDB strftime patterns.
JAVA_TO_STRFTIME = {"yyyy-MM-dd": "%Y-%m-%d", "yyyy-MM": "%Y-%m"}


def load_contract(option: str | None) -> dict:
    if option == "monthly":
        return json.loads((ROOT / "test" / "catalog" / "queries.json").read_text(encoding="utf-8"))["monthly"]["etlContract"]
    path = Path(option) if option else ROOT / "src" / "etl" / "script" / "contract.json"
    return json.loads(path.read_text(encoding="utf-8"))


def sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def transform_sql(contract: dict, files: list[str], out: str, names: dict[str, str]) -> str:
    variables = contract["variables"]
    refined = contract["refined"]
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
        sql_type = "INTEGER" if v["dataType"] == "int" else "DOUBLE"
        converted.append(f"CAST(CASE hourly_units[{sql_text(v['apiName'])}] {cases} END AS {sql_type}) AS {v['column']}")
    name_map = "MAP {" + ", ".join(f"{sql_text(k)}: {sql_text(v)}" for k, v in names.items()) + "}" if names else None
    city_name = f"coalesce({name_map}[city], city)" if name_map else "city"
    partition_values = {"date": f"strftime(observed_at, {sql_text(JAVA_TO_STRFTIME[refined['dateFormat']])})",
                        "city": "city"}
    if "monthFormat" in refined:
        partition_values["month"] = f"strftime(observed_at, {sql_text(JAVA_TO_STRFTIME[refined['monthFormat']])})"
    known = {"city_name": city_name, "latitude": "latitude", "longitude": "longitude", "elevation": "elevation",
             "observed_at": "observed_at", "is_forecast": "observed_at > fetched_at", "fetched_at": "fetched_at",
             "processed_at": "TIMESTAMP '2026-01-01 00:00:00'", "run_id": "'anchor'", "source_key": "source_key",
             "date": partition_values["date"], **{v["column"]: v["column"] for v in variables}}
    selected = [f"{known[c['name']]} AS {c['name']}" for c in refined["hourlyColumns"]]
    selected += [f"{partition_values[k]} AS {k}" for k in refined["partitionKeys"] if k not in {c["name"] for c in refined["hourlyColumns"]}]
    return f"""
COPY (
  WITH bodies AS (
    SELECT filename, latitude, longitude, elevation, coalesce(utc_offset_seconds, 0) AS utc_offset_seconds,
           hourly_units, hourly
    FROM read_json({file_list}, format = 'auto', columns = {columns_sql}, filename = true, ignore_errors = true,
                   hive_partitioning = false)
    WHERE hourly.time IS NOT NULL
  ), hours AS (
    SELECT regexp_extract(filename, {sql_text(KEY_PATTERN)}, 1) AS city, filename AS source_key,
           latitude, longitude, elevation, utc_offset_seconds, hourly_units,
           unnest(hourly.time) AS observed_at_raw, {exploded}
    FROM bodies
  ), converted AS (
    SELECT *, strptime(observed_at_raw, '%Y-%m-%dT%H:%M') - to_seconds(utc_offset_seconds) AS observed_at,
           TIMESTAMP '2026-01-01 00:00:00' AS fetched_at, {", ".join(converted)}
    FROM hours
  )
  SELECT {", ".join(selected)} FROM converted
) TO {sql_text(out)} (FORMAT parquet, COMPRESSION snappy, PARTITION_BY ({", ".join(refined["partitionKeys"])}),
                     OVERWRITE_OR_IGNORE true)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", required=True)
    parser.add_argument("--refined", required=True)
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--manifest_key")
    source.add_argument("--raw_prefix")
    parser.add_argument("--contract", help="'monthly' (test/catalog/queries.json) or a contract JSON file (default: the script's)")
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
    out = str(Path(opts.refined).resolve() / contract["refined"]["hourlyPrefix"].strip("/"))
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect()
    connection.execute(transform_sql(contract, files, out, names))
    rows = connection.execute(f"SELECT count(*) FROM read_parquet({sql_text(out + '/**/*.parquet')})").fetchone()[0]
    print(json.dumps({"engine": f"duckdb {duckdb.__version__}", "rows": rows, "seconds": round(time.monotonic() - clock, 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
