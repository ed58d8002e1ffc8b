"""The harness of the catalog's Trino tests: the ETL lake, the Trino tables, running the shipped SQL.

The fixtures are in ``conftest.py``:

- ``trino``: Trino 476 (Athena engine v3 is Trino-based) from the cache, started once, stopped at the end.
- ``lake``: the real ETL script (``src/etl/script/weather_etl.py``) run on local Spark over the landing fixtures of
  ``lake_fixture.py``; its refined output is what the SQL runs on.
- ``catalog``: the tables created in Trino from ``queries.json`` (the Glue table definitions the AthenaCatalog
  synthesizes), pointed at a refined root; partitions registered with ``system.sync_partition_metadata``,
  because Trino has no partition projection.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

import lake_fixture  # noqa: E402

sys.path.insert(0, str(ROOT / "src" / "etl" / "script" / "tests"))
import two_source_landing  # noqa: E402
from trino_local import TrinoServer  # noqa: E402
from java_runtimes import spark_java_home  # noqa: E402  (trino_local puts scripts/ on the path)

ETL_SCRIPT = ROOT / "src" / "etl" / "script" / "weather_etl.py"
QUERIES = json.loads((HERE / "queries.json").read_text(encoding="utf-8"))

GLUE_TO_TRINO = {"string": "varchar", "double": "double", "int": "integer", "bigint": "bigint",
                 "boolean": "boolean", "timestamp": "timestamp(3)", "date": "date"}


def run_etl(runs: list) -> None:
    """Runs the Glue script's entry point, ``weather_etl.main(argv)`` with the CLI arguments, on local Spark, once
    per (landing root, refined root, batch, run id, processed at[, contract JSON]); one Python process, so one
    Spark session. Without a contract JSON the script uses its contract.json (daily partitions)."""
    if not ETL_SCRIPT.exists():
        pytest.skip(f"the ETL script {ETL_SCRIPT} is not in this tree yet")
    env = dict(os.environ)
    env["JAVA_HOME"] = str(spark_java_home())  # Spark 3.5 runs on Java 17, Trino on 24+ (scripts/java_runtimes.py)
    env.setdefault("PYSPARK_PYTHON", sys.executable)
    argvs = [["--landing_uri", str(landing), "--refined_uri", str(refined), "--manifest_key", batch.manifest_key,
              "--run_id", run_id, "--processed_at", processed_at, *(["--contract_json", extra[0]] if extra else [])]
             for landing, refined, batch, run_id, processed_at, *extra in runs]
    driver = ("import json, sys; sys.path.insert(0, sys.argv[1]); import weather_etl\n"
              "for argv in json.loads(sys.argv[2]):\n"
              "    code = weather_etl.main(argv)\n"
              "    if code: sys.exit(code)\n")
    done = subprocess.run([sys.executable, "-c", driver, str(ETL_SCRIPT.parent), json.dumps(argvs)],
                          env=env, capture_output=True, text=True, timeout=1200)
    if done.returncode != 0:
        raise RuntimeError(f"ETL failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}")


def run_summary(refined_root: Path, run_id: str) -> dict:
    paths = list((refined_root / "weather" / "run-summaries").glob(f"date=*/{run_id}.json"))
    assert len(paths) == 1, paths
    return json.loads(paths[0].read_text(encoding="utf-8"))


class Lake:
    """The landing fixtures and the ETL's refined output for them."""

    def __init__(self, root: Path):
        self.root = root
        self.fetched_at = lake_fixture.now_utc().replace(microsecond=0)
        if self.fetched_at.minute == 0 and self.fetched_at.second == 0:
            self.fetched_at -= timedelta(seconds=1)  # never exactly on an hour: is_forecast stays unambiguous
        self.processed_at = self.fetched_at + timedelta(seconds=5)
        self.landing = root / "landing"
        self.refined = root / "refined"
        self.good = lake_fixture.good_batch(self.landing, self.fetched_at)
        self.good_run_id = "catalog-good-run"
        self.bad_landing = root / "landing-bad-share"
        self.bad_refined = root / "refined-bad-share"
        self.bad = lake_fixture.high_quarantine_batch(self.bad_landing, self.fetched_at)
        self.bad_run_id = "catalog-bad-share-run"
        # The good batch again, into a lake with monthly partitions (RefinedLake partitionGranularity MONTH), with
        # the contract the GlueEtlJob synthesizes for it.
        self.monthly_refined = root / "refined-monthly"
        self.monthly_contract = QUERIES["monthly"]["etlContract"]
        # The forecast lake (issue 18): an earlier fetch of the same hours, then the good batch; staging keeps both.
        self.early = lake_fixture.early_batch(self.landing, self.fetched_at)
        self.early_run_id = "catalog-early-run"
        self.forecast_refined = root / "refined-forecast"
        # The two-source lake (test_catalog_sources.py): Open-Meteo and MET Norway bodies in one batch, refined with
        # the contract listing both sources; and a lake where Oslo has MET Norway's hours only.
        self.two_sources = TwoSourceLakes(root / "two-sources")

    def build(self) -> None:
        """All the ETL runs of the catalog tests, in one Spark process (one JVM start and warm-up, not one per lake)."""
        processed = self.processed_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        run_etl([(self.landing, self.refined, self.good, self.good_run_id, processed),
                 (self.bad_landing, self.bad_refined, self.bad, self.bad_run_id, processed),
                 (self.landing, self.monthly_refined, self.good, self.good_run_id, processed, json.dumps(self.monthly_contract)),
                 (self.landing, self.forecast_refined, self.early, self.early_run_id, processed),
                 (self.landing, self.forecast_refined, self.good, self.good_run_id, processed),
                 *self.two_sources.runs()])
        self.good_summary = run_summary(self.refined, self.good_run_id)
        self.bad_summary = run_summary(self.bad_refined, self.bad_run_id)
        self.monthly_summary = run_summary(self.monthly_refined, self.good_run_id)


class TwoSourceLakes:
    """The landing of src/etl/script/tests/two_source_landing.py (Open-Meteo and MET Norway for Oslo in one batch)
    and its refined lake; plus a landing and lake where Oslo has MET Norway's hours only."""

    RUN_ID = "catalog-two-sources"
    PROCESSED_AT = "2026-05-07T07:00:00Z"

    def __init__(self, root: Path):
        self.root = root
        self.landing, self.refined = root / "landing", root / "refined"
        self.met_landing, self.met_refined = root / "landing-met-only", root / "refined-met-only"
        self.manifest = two_source_landing.two_source_landing(str(self.landing))
        met_key = two_source_landing.raw_key("met-norway", "oslo", "m1")
        two_source_landing.write(str(self.met_landing), met_key, (self.landing / met_key).read_text(encoding="utf-8"))
        self.met_manifest = two_source_landing.write_manifest(
            str(self.met_landing), "m1", [(met_key, "oslo", "Oslo", f"{two_source_landing.DAY}T05:40:00.000Z")])
        with open(two_source_landing.ALL_SOURCES_CONTRACT, encoding="utf-8") as handle:
            self.contract = handle.read()

    def runs(self) -> list:
        """The two ETL runs, as `run_etl` takes them."""
        return [(self.landing, self.refined, SimpleNamespace(manifest_key=self.manifest), self.RUN_ID,
                 self.PROCESSED_AT, self.contract),
                (self.met_landing, self.met_refined, SimpleNamespace(manifest_key=self.met_manifest), self.RUN_ID,
                 self.PROCESSED_AT, self.contract)]


def execute(connection, sql: str, parameters: list | None = None) -> list:
    """Runs `sql` as Athena would with execution parameters: PREPARE, then EXECUTE ... USING the SQL literals."""
    cursor = connection.cursor()
    if parameters is None:
        cursor.execute(sql)
        return cursor.fetchall()
    cursor.execute(f"PREPARE shipped FROM\n{sql}")
    cursor.fetchall()
    try:
        using = f" USING {', '.join(parameters)}" if parameters else ""
        cursor.execute(f"EXECUTE shipped{using}")
        rows = cursor.fetchall()
        columns = [d[0] for d in cursor.description]
    finally:
        cursor.execute("DEALLOCATE PREPARE shipped")
        cursor.fetchall()
    return [dict(zip(columns, row)) for row in rows]


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class Catalog:
    """The `weather` schema in Trino, its tables defined from queries.json, pointed at one refined root or another."""

    def __init__(self, server: TrinoServer, lake: Lake):
        self.server = server
        self.lake = lake
        self.connection = server.connect()
        self.database = QUERIES["database"]
        self.bucket_url = f"s3://{QUERIES['bucket']}/"
        self.current = None
        execute(self.connection, f"CREATE SCHEMA IF NOT EXISTS hive.{self.database}")
        execute(self.connection, "CREATE SCHEMA IF NOT EXISTS hive.fixture")

    def local_path(self, refined_root: Path, s3_url: str) -> Path:
        assert s3_url.startswith(self.bucket_url), s3_url
        return refined_root / s3_url[len(self.bucket_url):]

    def create_table(self, schema: str, name: str, refined_root: Path, tables: dict | None = None) -> None:
        """Creates `schema.name` from its Glue definition in `tables` (default: the daily tables of queries.json)."""
        table = (tables or QUERIES["tables"])[name]
        storage = table["StorageDescriptor"]
        columns = [f'"{c["Name"]}" {GLUE_TO_TRINO[c["Type"]]}' for c in storage["Columns"]]
        columns += [f'"{p["Name"]}" {GLUE_TO_TRINO[p["Type"]]}' for p in table["PartitionKeys"]]
        assert storage["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe")
        location = self.local_path(refined_root, storage["Location"])
        location.mkdir(parents=True, exist_ok=True)
        partitioned_by = ", ".join(f"'{p['Name']}'" for p in table["PartitionKeys"])
        execute(self.connection, f'DROP TABLE IF EXISTS hive.{schema}."{table["Name"]}"')
        execute(self.connection, (
            f'CREATE TABLE hive.{schema}."{table["Name"]}" ({", ".join(columns)}) WITH ('
            f"format = 'PARQUET', partitioned_by = ARRAY[{partitioned_by}], "
            f"external_location = '{self.server.location(location)}')"))
        execute(self.connection, f"CALL system.sync_partition_metadata('{schema}', '{table['Name']}', 'FULL')")

    def point_at(self, refined_root: Path, variant: str = "daily") -> None:
        """(Re)creates the weather tables over `refined_root` (dropping an external table keeps its files), with
        the daily table definitions or (`variant="monthly"`) the monthly ones."""
        if self.current == (refined_root, variant):
            return
        tables = QUERIES["tables"] if variant == "daily" else QUERIES[variant]["tables"]
        for name in ("hourly", "quarantine", "staging", "daily"):
            self.create_table(self.database, name, refined_root, tables)
        self.current = (refined_root, variant)

    @contextmanager
    def over(self, refined_root: Path, variant: str = "daily"):
        """Points the tables at `refined_root` for the block, then back at the good (daily) lake."""
        self.point_at(refined_root, variant)
        try:
            yield self
        finally:
            self.point_at(self.lake.refined)

    def copy_of_good_lake(self, name: str) -> Path:
        """A copy of the good refined root, under the directory Trino sees, to break on purpose."""
        target = self.lake.root / "crafted" / name
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(self.lake.refined, target)
        return target

    def copy_of_lake(self, source: Path, name: str) -> Path:
        """A copy of a refined root, under the directory Trino sees, to break on purpose."""
        target = self.lake.root / "crafted" / name
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target)
        return target

    def run(self, query: dict, values: dict) -> list:
        return execute(self.connection, query["queryString"], [literal(values[name]) for name in query["parameters"]])


def query(kind: str, query_id: str, variant: str = "daily") -> dict:
    queries = QUERIES[kind] if variant == "daily" else QUERIES[variant][kind]
    return next(q for q in queries if q["id"] == query_id)
