"""The catalog's SQL over a lake holding two weather sources, executed by Trino over the Parquet the real ETL wrote
from Open-Meteo and MET Norway bodies (src/etl/script/tests/two_source_landing.py): the comparison query returns
the hours both sources have, side by side; the named queries keep the sources apart; the validation checks hold
per source and name a configured source that has no data.
"""
from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import pytest

from catalog_harness import QUERIES, TwoSourceLakes, execute, query

ETL_TESTS = Path(__file__).resolve().parents[2] / "src" / "etl" / "script" / "tests"
sys.path.insert(0, str(ETL_TESTS))

import two_source_landing as landing_fixture  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

DAY = landing_fixture.DAY
RUN_ID = TwoSourceLakes.RUN_ID
# The values of oslo-compact.json, 06:00Z to 12:00Z (m/s in the body).
MET_TEMPERATURE = [9.4, 10.6, 11.9, 12.3, 12.0, 12.8, 13.5]
MET_WIND_MS = [3.1, 3.6, 4.2, 5.0, 5.4, 4.8, 4.4]
MET_WEATHER_CODE = [2, 3, 61, 63, None, 95, None]
MET_SYMBOL = ["partlycloudy_day", "cloudy", "lightrain", "rain", "lightsleet", "rainshowersandthunder_day", None]


@pytest.fixture(scope="module")
def two_sources(lake, catalog):
    """The two-source batch refined by the ETL (with the contract listing both sources) into a lake Trino sees; the
    session's `lake` fixture runs it with the other lakes' runs (catalog_harness.TwoSourceLakes)."""
    with catalog.over(lake.two_sources.refined):
        yield catalog


def test_compare_sources_returns_each_hour_both_sources_have(two_sources):
    rows = two_sources.run(query("analytics", "compare-sources"), {"firstDate": DAY, "lastDate": DAY, "city": "oslo"})
    om = landing_fixture.OSLO_OPEN_METEO["hourly"]
    assert [r["observed_at"] for r in rows] == [datetime(2026, 5, 7, h) for h in range(6, 13)]
    # Pairs are ordered by id: met-norway (a) before open-meteo (b).
    assert {(r["source_a"], r["source_b"]) for r in rows} == {("met-norway", "open-meteo")}
    assert [r["temperature_c_a"] for r in rows] == MET_TEMPERATURE
    assert [r["temperature_c_b"] for r in rows] == om["temperature_2m"]
    assert [r["temperature_c_diff"] for r in rows] == [round(b - a, 2) for a, b in zip(MET_TEMPERATURE, om["temperature_2m"])]
    assert [r["wind_speed_kmh_a"] for r in rows] == pytest.approx([v * 3.6 for v in MET_WIND_MS], abs=1e-9)
    assert [r["wind_speed_kmh_diff"] for r in rows] == [round(b - a * 3.6, 2) for a, b in zip(MET_WIND_MS, om["wind_speed_10m"])]
    assert [r["weather_code_a"] for r in rows] == MET_WEATHER_CODE
    assert [r["weather_code_b"] for r in rows] == om["weather_code"]
    assert [r["symbol_code_a"] for r in rows] == MET_SYMBOL
    assert [r["symbol_code_b"] for r in rows] == [None] * 7
    assert {r["fetched_at_a"] for r in rows} == {datetime(2026, 5, 7, 5, 40)}
    assert {r["fetched_at_b"] for r in rows} == {datetime(2026, 5, 7, 5, 0)}


def test_compare_sources_has_no_row_for_a_city_one_source_covers(two_sources):
    assert two_sources.run(query("analytics", "compare-sources"), {"city": "bergen", "firstDate": DAY, "lastDate": DAY}) == []


def test_daily_temperature_keeps_the_sources_apart(two_sources):
    rows = two_sources.run(query("analytics", "daily-temperature"), {"firstDate": DAY, "lastDate": DAY})
    oslo = {r["source"]: r for r in rows if r["city"] == "oslo"}
    assert sorted(oslo) == ["met-norway", "open-meteo"]
    assert (oslo["met-norway"]["min_temperature_c"], oslo["met-norway"]["max_temperature_c"], oslo["met-norway"]["hours"]) == (9.4, 13.5, 7)
    om = landing_fixture.OSLO_OPEN_METEO["hourly"]["temperature_2m"]
    assert (oslo["open-meteo"]["min_temperature_c"], oslo["open-meteo"]["max_temperature_c"], oslo["open-meteo"]["hours"]) == (min(om), max(om), 7)
    assert {(r["city"], r["source"]) for r in rows} == {
        ("bergen", "met-norway"), ("oslo", "met-norway"), ("oslo", "open-meteo"), ("tromso", "met-norway")}


def test_quarantine_by_reason_names_the_source(two_sources):
    rows = two_sources.run(query("analytics", "quarantine-by-reason"), {"firstDate": DAY, "lastDate": DAY})
    assert {(r["source"], r["reason"], r["records"]) for r in rows} == {
        ("met-norway", reason, 1) for reason in ("MALFORMED_JSON", "MISSING_HOURLY", "UNKNOWN_UNIT", "MISSING_INSTANT_DETAILS",
                                                 "UNKNOWN_SYMBOL_CODE", "OUT_OF_RANGE", "UNPARSABLE_TIME")}


def test_no_duplicate_hours_counts_one_row_per_source(two_sources):
    # Oslo has two rows per hour, one per source: not a duplicate.
    [row] = two_sources.run(query("validation", "no-duplicate-hours"), {"firstDate": DAY, "lastDate": DAY})
    assert row["passed"] is True and row["duplicated_hours"] == 0


def test_partitions_not_empty_checks_each_expected_source(two_sources, lake):
    check = query("validation", "partitions-not-empty")
    # The catalog's configured cities (queries.json) include Oslo, not Bergen or Tromsø: Oslo is the expected city.
    values = {"firstDate": DAY, "lastDate": DAY, "citySlugs": "oslo"}
    [both] = two_sources.run(check, {**values, "sourceIds": "met-norway,open-meteo"})
    assert (both["passed"], both["expected_partitions"], both["empty_partitions"]) == (True, 2, 0)
    with two_sources.over(lake.two_sources.met_refined):
        [met_only] = two_sources.run(check, {**values, "sourceIds": "met-norway"})
        [missing] = two_sources.run(check, {**values, "sourceIds": "met-norway,open-meteo"})
    assert (met_only["passed"], met_only["expected_partitions"]) == (True, 1)
    assert (missing["passed"], missing["expected_partitions"], missing["empty_partitions"]) == (False, 2, 1)
    assert missing["empty_partition_list"] == f"{DAY}/oslo/open-meteo"


def test_values_in_range_checks_the_source_only_columns(two_sources):
    [row] = two_sources.run(query("validation", "values-in-range"), {"firstDate": DAY, "lastDate": DAY})
    assert row["passed"] is True
    assert row["rows_checked"] == 19
    assert row["sea_level_pressure_hpa_out_of_range"] == 0


def test_the_etl_summary_names_the_sources_it_wrote(lake, two_sources):
    summaries = list((lake.two_sources.refined / "weather" / "run-summaries").glob(f"date=*/{RUN_ID}.json"))
    assert len(summaries) == 1
    assert json.loads(summaries[0].read_text(encoding="utf-8"))["hourly_sources"] == ["met-norway", "open-meteo"]


def test_every_contract_column_is_filled_by_one_source_or_the_other(two_sources):
    columns = [c["Name"] for c in QUERIES["tables"]["hourly"]["StorageDescriptor"]["Columns"]]
    counts = execute(two_sources.connection, "SELECT " + ", ".join(f'count("{c}")' for c in columns) + " FROM weather.hourly")[0]
    assert [c for c, n in zip(columns, counts) if n == 0] == []
