"""Session fixtures of the catalog's Trino tests: one Trino server and one real ETL lake per pytest run
(see ``catalog_harness.py``)."""
from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalog_harness import Catalog, Lake  # noqa: E402
from trino_local import TrinoServer  # noqa: E402


@pytest.fixture(scope="session")
def lake_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("lake")


@pytest.fixture(scope="session")
def trino(lake_root, tmp_path_factory):
    """Trino, launched first so that its ~30 s start overlaps the ETL runs; `catalog` waits until it is ready."""
    server = TrinoServer(tmp_path_factory.mktemp("trino"), lake_root)
    server.launched_at = time.monotonic()
    server.launch()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def lake(trino, lake_root) -> Lake:
    started = time.monotonic()
    lake = Lake(lake_root)
    lake.build()
    print(f"\ncatalog tests: the ETL runs took {time.monotonic() - started:.1f}s")
    return lake


@pytest.fixture(scope="session")
def catalog(trino, lake) -> Catalog:
    trino.wait_ready()
    print(f"\ncatalog tests: Trino ready {time.monotonic() - trino.launched_at:.1f}s after launch at {trino.url}")
    catalog = Catalog(trino, lake)
    catalog.point_at(lake.refined)
    return catalog


