"""Session fixtures of the catalog's Trino tests: one real ETL lake per pytest run, on the Trino server the lane
shares (``trino`` in test/conftest.py; see ``catalog_harness.py``)."""
from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalog_harness import Catalog, Lake  # noqa: E402


@pytest.fixture(scope="session")
def lake_root(trino_data_root) -> Path:
    """The catalog tests' lake, under the directory the shared Trino sees."""
    root = trino_data_root / "catalog-lake"
    root.mkdir()
    return root


@pytest.fixture(scope="session")
def lake(trino, spark_etl, lake_root) -> Lake:
    # Depends on `trino` so that the server is launched first and its start overlaps the ETL runs; `catalog` waits.
    started = time.monotonic()
    lake = Lake(lake_root)
    lake.build(spark_etl)
    print(f"\ncatalog tests: the ETL runs took {time.monotonic() - started:.1f}s")
    return lake


@pytest.fixture(scope="session")
def catalog(trino, lake) -> Catalog:
    trino.wait_ready()
    print(f"\ncatalog tests: Trino ready {time.monotonic() - trino.launched_at:.1f}s after launch at {trino.url}")
    return Catalog(trino, lake)


