"""The harness of the catalog's Trino tests: the ETL lake, the Trino tables, running the shipped SQL.

The fixtures are in ``conftest.py`` (and, shared with the local-run tests, in ``test/conftest.py``):

- ``trino``: Trino 476 (Athena engine v3 is Trino-based) from the cache, started once, stopped at the end.
- ``spark_etl``: the ETL script's entry point on one local Spark session (``SparkEtl``), started once.
- ``lake``: the real ETL script (``src/etl/script/weather_etl.py``) run on local Spark over the landing fixtures of
  ``lake_fixture.py``; its refined output is what the SQL runs on.
- ``catalog``: the tables created in Trino from ``queries.json`` (the Glue table definitions the AthenaCatalog
  synthesizes) over a refined root, a Trino catalog per lake (``Catalog.over``); partitions registered with
  ``system.sync_partition_metadata``, because Trino has no partition projection.
"""
from __future__ import annotations

import itertools
import json
import os
import select
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


class SparkEtl:
    """One Python process that runs the Glue script's entry point, ``weather_etl.main(argv)`` with the CLI arguments,
    on local Spark whenever asked: one Spark session (one JVM start and warm-up) for every ETL run of a pytest
    process, the catalog lake's and the local runs'. Stop it with ``close()``."""

    DRIVER = ("import json, os, sys; sys.path.insert(0, sys.argv[1]); import weather_etl\n"
              "replies = os.fdopen(int(sys.argv[2]), 'w')\n"
              "for line in sys.stdin:\n"
              "    code = 0\n"
              "    for argv in json.loads(line):\n"
              "        code = weather_etl.main(argv)\n"
              "        if code: break\n"
              "    replies.write(f'{code}\\n'); replies.flush()\n")

    def __init__(self, log_path: Path):
        if not ETL_SCRIPT.exists():
            pytest.skip(f"the ETL script {ETL_SCRIPT} is not in this tree yet")
        # Spark 3.5 runs on Java 17, Trino on 24+ (scripts/java_runtimes.py). The driver gets the JVM options and
        # Spark settings of the Glue script's own tests (etl_testkit: C1 only, serial collector, no code generation).
        import etl_testkit  # imports PySpark: not at module level, which the local-run command imports too

        env = etl_testkit.script_env(JAVA_HOME=str(spark_java_home()))
        env.setdefault("PYSPARK_PYTHON", sys.executable)
        self.log_path = Path(log_path)
        read_end, write_end = os.pipe()
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", self.DRIVER, str(ETL_SCRIPT.parent), str(write_end)], cwd=ROOT, env=env,
                stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT, pass_fds=(write_end,), text=True)
        os.close(write_end)
        self.replies = os.fdopen(read_end)

    def __call__(self, argv: list) -> None:
        """Runs the script once with the CLI arguments `argv` (as ``python weather_etl.py *argv`` would)."""
        self.run_all([argv])

    def run_all(self, argvs: list, timeout: float = 1200.0) -> None:
        """Runs the script once per argument list, in order; raises if a run fails."""
        try:
            self.process.stdin.write(json.dumps([[str(a) for a in argv] for argv in argvs]) + "\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            raise RuntimeError(f"the ETL process has exited; see {self.log_path}:\n{self._tail()}") from None
        ready, _, _ = select.select([self.replies], [], [], timeout)
        reply = self.replies.readline() if ready else None
        if reply is None or reply.strip() != "0":
            failure = "timed out" if reply is None else ("exited" if reply == "" else f"returned {reply.strip()}")
            raise RuntimeError(f"ETL {failure}; see {self.log_path}:\n{self._tail()}")

    def _tail(self, characters: int = 6000) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-characters:]

    def close(self) -> None:
        self.process.stdin.close()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.replies.close()


def etl_argv(landing: Path, refined: Path, manifest_key: str, run_id: str, processed_at: str,
             contract_json: str | None = None) -> list:
    return ["--landing_uri", str(landing), "--refined_uri", str(refined), "--manifest_key", manifest_key,
            "--run_id", run_id, "--processed_at", processed_at, *(["--contract_json", contract_json] if contract_json else [])]


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

    def build(self, etl: SparkEtl) -> None:
        """All the ETL runs of the catalog tests, in the lane's Spark process (one JVM start and warm-up)."""
        processed = self.processed_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        runs = [(self.landing, self.refined, self.good, self.good_run_id, processed),
                (self.bad_landing, self.bad_refined, self.bad, self.bad_run_id, processed),
                (self.landing, self.monthly_refined, self.good, self.good_run_id, processed, json.dumps(self.monthly_contract)),
                (self.landing, self.forecast_refined, self.early, self.early_run_id, processed),
                (self.landing, self.forecast_refined, self.good, self.good_run_id, processed),
                *self.two_sources.runs()]
        etl.run_all([etl_argv(landing, refined, batch.manifest_key, run_id, processed_at, *extra)
                     for landing, refined, batch, run_id, processed_at, *extra in runs])
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
        """The two ETL runs: (landing, refined, batch, run id, processed at, contract JSON)."""
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
    """The `weather` schema in Trino over one refined root or another, with the tables defined from queries.json.

    The good (daily) lake's tables are in the server's ``hive`` catalog; every other lake gets a Trino catalog of its
    own (``TrinoServer.add_catalog``), made the first time a test asks for that lake and kept for the session, with
    its four tables and their partitions. Switching lakes (``over``) is then a change of connection: the shipped SQL
    names ``"weather"."hourly"``, which resolves in the connection's catalog. (Re-creating the four tables over the
    other lake on entry and over the good lake on exit, as this did before, cost ~19 x 24 statements.)"""

    TABLES = ("hourly", "quarantine", "staging", "daily")

    def __init__(self, server: TrinoServer, lake: Lake):
        self.server = server
        self.lake = lake
        self.database = QUERIES["database"]
        self.bucket_url = f"s3://{QUERIES['bucket']}/"
        self._connections: dict = {}  # (refined root, variant) -> connection to the lake's catalog
        self._catalog_names: dict = {}  # (refined root, variant) -> Trino catalog name
        self._copies: dict = {}  # refined root of a copy -> (the root it copies, the tables copied)
        self._numbers = itertools.count()
        self.connection = self._connection(lake.refined, "daily")

    def local_path(self, refined_root: Path, s3_url: str) -> Path:
        assert s3_url.startswith(self.bucket_url), s3_url
        return refined_root / s3_url[len(self.bucket_url):]

    def table_folder(self, refined_root: Path, name: str, variant: str = "daily") -> Path:
        """The folder of table `name` (its Glue location) in `refined_root`."""
        tables = QUERIES["tables"] if variant == "daily" else QUERIES[variant]["tables"]
        return self.local_path(refined_root, tables[name]["StorageDescriptor"]["Location"])

    def create_table(self, connection, name: str, refined_root: Path, tables: dict) -> None:
        """Creates `weather.name` in the connection's catalog from its Glue definition in `tables`, over its folder in
        `refined_root`, and registers the partitions found there."""
        table = tables[name]
        storage = table["StorageDescriptor"]
        columns = [f'"{c["Name"]}" {GLUE_TO_TRINO[c["Type"]]}' for c in storage["Columns"]]
        columns += [f'"{p["Name"]}" {GLUE_TO_TRINO[p["Type"]]}' for p in table["PartitionKeys"]]
        assert storage["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe")
        location = self.local_path(refined_root, storage["Location"])
        location.mkdir(parents=True, exist_ok=True)
        partitioned_by = ", ".join(f"'{p['Name']}'" for p in table["PartitionKeys"])
        execute(connection, (
            f'CREATE TABLE {self.database}."{table["Name"]}" ({", ".join(columns)}) WITH ('
            f"format = 'PARQUET', partitioned_by = ARRAY[{partitioned_by}], "
            f"external_location = '{self.server.location(location)}')"))
        execute(connection, f"CALL system.sync_partition_metadata('{self.database}', '{table['Name']}', 'FULL')")

    def _connection(self, refined_root: Path, variant: str):
        """The connection to the catalog of the lake `refined_root` with the `variant` table definitions: made on first
        use (the good lake's in ``hive``, any other in a catalog of its own)."""
        key = (Path(refined_root).resolve(), variant)
        if key in self._connections:
            return self._connections[key]
        if key == (self.lake.refined.resolve(), "daily"):
            name = "hive"
        else:
            name = f"lake_{next(self._numbers)}"
            self.server.add_catalog(name, self.lake.root / "metastores" / name)
        connection = self.server.connect(catalog=name)
        execute(connection, f"CREATE SCHEMA IF NOT EXISTS {self.database}")
        tables = QUERIES["tables"] if variant == "daily" else QUERIES[variant]["tables"]
        # A copy made for one table holds that table's folder only: the others are the lake it copies.
        source, copied = self._copies.get(key[0], (refined_root, self.TABLES))
        for table in self.TABLES:
            self.create_table(connection, table, refined_root if table in copied else source, tables)
        self._connections[key], self._catalog_names[key] = connection, name
        return connection

    @contextmanager
    def over(self, refined_root: Path, variant: str = "daily"):
        """Runs the block on the lake `refined_root` (`variant="monthly"`: with the monthly table definitions), then
        goes back to the lake it was on."""
        previous = self.connection
        self.connection = self._connection(refined_root, variant)
        try:
            yield self
        finally:
            self.connection = previous

    def copy_of_good_lake(self, name: str, tables: tuple = TABLES) -> Path:
        """A copy of the good refined root, under the directory Trino sees, to break on purpose (see `copy_of_lake`)."""
        return self.copy_of_lake(self.lake.refined, name, tables)

    def copy_of_lake(self, source: Path, name: str, tables: tuple = TABLES) -> Path:
        """A copy of the folders of `tables` (default: every table) of the refined root `source`, under the directory
        Trino sees, to break on purpose; ``over`` the copy reads the other tables from `source`."""
        target = self.lake.root / "crafted" / name
        for key in [k for k in self._connections if k[0] == target.resolve()]:  # a copy made again: a new catalog
            self.server.drop_catalog(self._catalog_names.pop(key))
            del self._connections[key]
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for table in tables:
            # Every variant keeps a table in the same folder (queries.json): the daily definitions name it.
            folder = self.table_folder(source, table)
            if folder.exists():
                shutil.copytree(folder, self.table_folder(target, table))
        self._copies[target.resolve()] = (Path(source), tuple(tables))
        return target

    def run(self, query: dict, values: dict) -> list:
        return execute(self.connection, query["queryString"], [literal(values[name]) for name in query["parameters"]])


def query(kind: str, query_id: str, variant: str = "daily") -> dict:
    queries = QUERIES[kind] if variant == "daily" else QUERIES[variant][kind]
    return next(q for q in queries if q["id"] == query_id)
