"""Session fixtures the Trino lane's folders share (test/catalog and test/local_run): one Trino and one Spark process
per pytest process.

A Trino or Spark start costs tens of seconds of CPU on two cores; the catalog tests and each local run used to start
their own. The server's ``hive`` catalog sees ``trino_data_root``: the catalog tests' lake and every local run's
output folder live under it. A local run keeps its tables apart in a catalog of its own (``local_run.main``).
Fixtures are lazy: a test slice that uses none of them starts neither.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "catalog"))

from trino_local import TrinoServer  # noqa: E402


@pytest.fixture(scope="session")
def trino_data_root(tmp_path_factory) -> Path:
    """The directory the shared Trino sees as ``local:///``."""
    return tmp_path_factory.mktemp("trino-data")


@pytest.fixture(scope="session")
def trino(trino_data_root, tmp_path_factory):
    """The shared Trino, launched without waiting (its start overlaps the first ETL runs): call ``wait_ready()``
    before the first query."""
    server = TrinoServer(tmp_path_factory.mktemp("trino"), trino_data_root)
    server.launched_at = time.monotonic()
    server.launch()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def spark_etl(tmp_path_factory):
    """The Glue script's entry point on one local Spark session for the whole run (``catalog_harness.SparkEtl``):
    call it with the script's CLI arguments."""
    from catalog_harness import SparkEtl

    etl = SparkEtl(tmp_path_factory.mktemp("spark-etl") / "etl.log")
    try:
        yield etl
    finally:
        etl.close()
