"""The SQL the AthenaCatalog ships, executed by Trino (Athena engine v3's engine) over Parquet the real ETL wrote.

Each analytics query is compared with values computed in ``lake_fixture.py`` from the raw bodies; each
validation query passes on the good lake and fails on a copy of it crafted to break exactly that check.
"""
from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from catalog_harness import QUERIES, execute, query
import lake_fixture

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def ymd(day) -> str:
    return day.strftime("%Y-%m-%d")


@pytest.fixture(scope="module")
def window(lake) -> dict:
    """The validation parameters of the good run: the dates every city has data for, the cities, the run id."""
    d = lake.good.ingest_date
    return {"firstDate": ymd(d - timedelta(days=2)), "lastDate": ymd(d + timedelta(days=1)),
            "citySlugs": ",".join(c.slug for c in lake_fixture.CITIES), "runId": lake.good_run_id,
            "sourceIds": "open-meteo"}


@pytest.fixture(scope="module")
def everything(lake) -> dict:
    """A date range covering every row of the good lake (Salt Lake City reaches into D+2 in UTC)."""
    d = lake.good.ingest_date
    return {"firstDate": ymd(d - timedelta(days=3)), "lastDate": ymd(d + timedelta(days=3))}


def close(actual, expected, tolerance=1e-6) -> bool:
    return actual is not None and abs(float(actual) - float(expected)) <= tolerance


# ---------------------------------------------------------------------------------------------------------------
# The ETL output, the contract's columns and the projection agree
# ---------------------------------------------------------------------------------------------------------------

def java_to_strptime(fmt: str) -> str:
    return fmt.replace("yyyy", "%Y").replace("MM", "%m").replace("dd", "%d")


@pytest.mark.parametrize("name", ["hourly", "quarantine"])
def test_projection_and_location_template_match_the_etl_output(catalog, lake, name):
    table = QUERIES["tables"][name]
    params = table["Parameters"]
    template = params["storage.location.template"]
    keys = [p["Name"] for p in table["PartitionKeys"]]
    assert params["projection.enabled"] == "true"
    assert all(f"${{{k}}}" in template for k in keys), template
    assert template.startswith(table["StorageDescriptor"]["Location"])
    # The template as a pattern: every directory holding ETL Parquet must match it.
    pattern = re.escape(template[len(catalog.bucket_url):])
    for key in keys:
        pattern = pattern.replace(re.escape(f"${{{key}}}"), f"(?P<{key}>[^/]+)")
    files = sorted(p for p in (lake.refined / table["StorageDescriptor"]["Location"][len(catalog.bucket_url):]).rglob("*.parquet"))
    assert files, f"the ETL wrote no {name} Parquet"
    start, end = params["projection.date.range"].split(",")
    horizon = re.fullmatch(r"NOW\+(\d+)DAYS", end)
    assert horizon, end
    latest = lake_fixture.now_utc().date() + timedelta(days=int(horizon.group(1)))
    seen = set()
    for path in files:
        directory = path.parent.relative_to(lake.refined).as_posix() + "/"
        match = re.fullmatch(pattern, directory)
        assert match, f"{directory} does not follow {template}"
        values = match.groupdict()
        seen.add(tuple(values[k] for k in keys))
        day = datetime.strptime(values["date"], java_to_strptime(params["projection.date.format"])).date()
        assert values["date"] == day.strftime(java_to_strptime(params["projection.date.format"]))
        assert datetime.strptime(start, "%Y-%m-%d").date() <= day <= latest, f"{day} outside {params['projection.date.range']}"
        if "city" in values:
            assert params["projection.city.type"] == "enum"
            assert values["city"] in params["projection.city.values"].split(","), values["city"]
    # What Trino reads back: each row's partition values spell the location of the file it came from.
    columns = ", ".join(f'"{k}"' for k in keys)
    rows = execute(catalog.connection, f'SELECT DISTINCT "$path", {columns} FROM weather."{name}"')
    assert rows
    for path, *partition in rows:
        expected = template
        for key, value in zip(keys, partition):
            expected = expected.replace(f"${{{key}}}", value)
        assert path.startswith(catalog.server.location(catalog.local_path(lake.refined, expected))), (path, expected)
    if name == "hourly":
        assert seen == {(r["date"], r["city"]) for r in lake.good.rows}


def test_every_contract_column_is_filled_by_the_etl(catalog, lake):
    columns = [c["Name"] for c in QUERIES["tables"]["hourly"]["StorageDescriptor"]["Columns"]]
    counts = execute(catalog.connection, "SELECT count(*), " + ", ".join(f'count("{c}")' for c in columns)
                     + " FROM weather.hourly")[0]
    assert counts[0] == len(lake.good.rows)
    # The columns only MET Norway fills stay null in this Open-Meteo lake (test_catalog_sources.py sees them filled).
    source_only = {"sea_level_pressure_hpa", "precipitation_next_1h_mm", "symbol_code"}
    assert dict(zip(columns, counts[1:])) == {c: 0 if c in source_only else len(lake.good.rows) for c in columns}


def test_rows_are_the_fixture_hours_converted_to_utc_and_canonical_units(catalog, lake):
    rows = execute(catalog.connection, "SELECT city, observed_at, temperature_c, wind_speed_kmh, is_forecast, fetched_at "
                                       "FROM weather.hourly")
    actual = {(r[0], r[1]): r[2:] for r in rows}
    assert len(actual) == len(rows) == len(lake.good.rows)
    for row in lake.good.rows:
        temperature, wind, is_forecast, fetched_at = actual[(row["city"], row["observed_at"])]
        assert close(temperature, row["temperature_c"]) and close(wind, row["wind_speed_kmh"])
        assert is_forecast == row["is_forecast"] and fetched_at == row["fetched_at"]


# ---------------------------------------------------------------------------------------------------------------
# Analytics (named) queries
# ---------------------------------------------------------------------------------------------------------------

def by_city_date(rows):
    groups = defaultdict(list)
    for row in rows:
        groups[(row["city"], row["date"])].append(row)
    return groups


def test_daily_temperature(catalog, lake, everything):
    result = catalog.run(query("analytics", "daily-temperature"), everything)
    groups = by_city_date(lake.good.rows)
    assert [(r["city"], r["date"]) for r in result] == sorted(groups)
    for row in result:
        hours = groups[(row["city"], row["date"])]
        temperatures = [h["temperature_c"] for h in hours]
        assert close(row["min_temperature_c"], min(temperatures))
        assert close(row["max_temperature_c"], max(temperatures))
        assert close(row["mean_temperature_c"], round(sum(temperatures) / len(temperatures), 2), 0.0051)
        assert row["hours"] == len(hours)
        assert row["forecast_hours"] == sum(h["is_forecast"] for h in hours)


def test_daily_temperature_prunes_to_the_requested_dates(catalog, lake):
    d = ymd(lake.good.ingest_date)
    result = catalog.run(query("analytics", "daily-temperature"), {"firstDate": d, "lastDate": d})
    assert {r["date"] for r in result} == {d}
    assert {r["city"] for r in result} == {c.slug for c in lake_fixture.CITIES}


def test_last_48_hours(catalog, lake):
    sql = query("analytics", "last-48-hours")
    assert sql["parameters"] == []

    def expected(now):
        rows = [r for r in lake.good.rows if now - timedelta(hours=48) < r["observed_at"] <= now]
        return sorted(((r["city"], r["observed_at"]) for r in rows), key=lambda k: (k[0], -k[1].timestamp()))

    before = lake_fixture.now_utc()
    result = catalog.run(sql, {})
    after = lake_fixture.now_utc()
    got = [(r["city"], r["observed_at"]) for r in result]
    assert got in (expected(before), expected(after))
    assert len(got) >= 4 * 47
    values = {(r["city"], r["observed_at"]): r for r in lake.good.rows}
    for row in result:
        want = values[(row["city"], row["observed_at"])]
        assert row["city_name"] == want["city_name"]
        for column in ("temperature_c", "precipitation_mm", "wind_speed_kmh", "weather_code"):
            assert close(row[column], want[column]), column


def test_monthly_precipitation_counts_observed_hours_only(catalog, lake, everything):
    result = catalog.run(query("analytics", "monthly-precipitation"), everything)
    totals = defaultdict(lambda: [0.0, 0])
    for r in lake.good.rows:
        if not r["is_forecast"]:
            totals[(r["city"], r["date"][:7])][0] += r["precipitation_mm"]
            totals[(r["city"], r["date"][:7])][1] += 1
    assert [(r["city"], r["month"]) for r in result] == sorted(totals)
    for row in result:
        total, hours = totals[(row["city"], row["month"])]
        assert close(row["precipitation_mm"], round(total, 2), 0.0051)
        assert row["hours"] == hours
    assert any(float(r["precipitation_mm"]) > 0 for r in result)


def test_temperature_extremes(catalog, lake, everything):
    result = catalog.run(query("analytics", "temperature-extremes"), everything)
    daily = defaultdict(list)
    for (city, day), hours in by_city_date(lake.good.rows).items():
        temps = [h["temperature_c"] for h in hours]
        daily[city].append((day, max(temps), min(temps)))
    assert [r["city"] for r in result] == sorted(daily)
    for row in result:
        days = daily[row["city"]]
        hottest = sorted(days, key=lambda d: (-d[1], d[0]))[0]
        coldest = sorted(days, key=lambda d: (d[2], d[0]))[0]
        assert (row["hottest_date"], row["coldest_date"]) == (hottest[0], coldest[0])
        assert close(row["hottest_temperature_c"], hottest[1]) and close(row["coldest_temperature_c"], coldest[2])


def test_data_freshness_lists_every_configured_city(catalog, lake):
    sql = query("analytics", "data-freshness")
    # Trino takes current_timestamp when the query starts; on a loaded machine the query can run for minutes, so the
    # expected age is bracketed by the clock read before and after it, not read once afterwards.
    before = lake_fixture.now_utc()
    result = catalog.run(sql, {})
    after = lake_fixture.now_utc()
    configured = QUERIES["tables"]["hourly"]["Parameters"]["projection.city.values"].split(",")
    assert sorted(r["city"] for r in result) == sorted(configured)
    # The configured city without data comes first (NULLs first): the stalest possible.
    assert result[0]["city"] == "oslo" and result[0]["last_fetched_at"] is None and result[0]["minutes_since_fetch"] is None
    earliest = int((before - lake.fetched_at).total_seconds() // 60)
    latest = int((after - lake.fetched_at).total_seconds() // 60)
    for row in result[1:]:
        rows = [r for r in lake.good.rows if r["city"] == row["city"]]
        assert row["city_name"] == rows[0]["city_name"]
        assert row["latest_observed_hour"] == max(r["observed_at"] for r in rows if not r["is_forecast"])
        assert row["last_fetched_at"] == lake.fetched_at
        assert row["last_processed_at"] == lake.processed_at
        assert earliest <= row["minutes_since_fetch"] <= latest


def test_quarantine_by_reason(catalog, lake):
    d = ymd(lake.good.ingest_date)
    result = catalog.run(query("analytics", "quarantine-by-reason"), {"firstDate": d, "lastDate": d})
    expected = defaultdict(set)
    for reason, city in lake.good.quarantined:
        expected[reason].add(city)
    counts = {reason: sum(1 for r, _ in lake.good.quarantined if r == reason) for reason in expected}
    order = sorted(expected, key=lambda reason: (-counts[reason], reason))
    assert [r["reason"] for r in result] == order
    for row in result:
        assert row["records"] == counts[row["reason"]]
        assert row["cities"] == len(expected[row["reason"]])
        assert row["source_files"] == len(expected[row["reason"]])
        assert row["first_quarantined_at"] is not None


def test_every_shipped_query_filters_a_partition_column():
    for q in QUERIES["analytics"] + QUERIES["validation"]:
        for select in re.split(r"\bFROM\b", q["queryString"])[1:]:
            if select.lstrip().startswith('"weather"'):
                # The staging table prunes on its ingestion date (issue 18).
                assert re.search(r'WHERE\s+("date"\s+(BETWEEN|>=)|[^\n]*\bingest_date\s+BETWEEN)', select), (q["id"], select[:200])


# ---------------------------------------------------------------------------------------------------------------
# Validation queries: pass on the good lake, fail on crafted bad data
# ---------------------------------------------------------------------------------------------------------------

def verdict(catalog, query_id: str, values: dict) -> dict:
    rows = catalog.run(query("validation", query_id), values)
    assert len(rows) == 1, rows
    assert isinstance(rows[0]["passed"], bool)
    return rows[0]


def test_validation_queries_pass_on_the_good_run(catalog, lake, window):
    results = {q["id"]: verdict(catalog, q["id"], window) for q in QUERIES["validation"]}
    assert {k: v["passed"] for k, v in results.items()} == {q["id"]: True for q in QUERIES["validation"]}
    assert results["partitions-not-empty"]["expected_partitions"] == 4 * len(lake_fixture.CITIES)
    assert results["values-in-range"]["rows_checked"] == sum(
        1 for r in lake.good.rows if window["firstDate"] <= r["date"] <= window["lastDate"])
    share = results["quarantine-share"]
    refined = sum(1 for r in lake.good.rows if window["firstDate"] <= r["date"] <= window["lastDate"])
    assert (share["refined_records"], share["quarantined_records"]) == (refined, len(lake.good.quarantined))
    assert close(share["quarantine_share"], len(lake.good.quarantined) / (refined + len(lake.good.quarantined)))


def partition_dir(root: Path, day: str, city: str) -> Path:
    return root / "weather" / "hourly" / f"date={day}" / f"city={city}"


def test_no_duplicate_hours_fails_when_a_partition_holds_a_second_copy(catalog, lake, window):
    bad = catalog.copy_of_good_lake("duplicates", ("hourly",))
    day = ymd(lake.good.ingest_date)
    target = partition_dir(bad, day, "paris")
    part = sorted(target.glob("*.parquet"))[0]
    (target / ("copy-" + part.name)).write_bytes(part.read_bytes())  # e.g. an append where an overwrite was due
    with catalog.over(bad):
        result = verdict(catalog, "no-duplicate-hours", window)
        assert not result["passed"]
        assert result["duplicated_hours"] == sum(1 for r in lake.good.rows if r["city"] == "paris" and r["date"] == day)
        assert verdict(catalog, "values-in-range", window)["passed"]
        assert verdict(catalog, "partitions-not-empty", window)["passed"]


def test_partitions_not_empty_fails_when_a_partition_is_empty(catalog, lake, window):
    bad = catalog.copy_of_good_lake("empty-partition", ("hourly",))
    day = ymd(lake.good.ingest_date)
    for part in partition_dir(bad, day, "gyor").glob("*"):
        part.unlink()  # the folder stays, its files are gone: an interrupted overwrite
    with catalog.over(bad):
        result = verdict(catalog, "partitions-not-empty", window)
        assert not result["passed"]
        assert (result["empty_partitions"], result["empty_partition_list"]) == (1, f"{day}/gyor/open-meteo")
        assert verdict(catalog, "no-duplicate-hours", window)["passed"]
    # A city the run should have fetched but did not write at all.
    missing = dict(window, citySlugs=window["citySlugs"] + ",oslo")
    result = verdict(catalog, "partitions-not-empty", missing)
    assert not result["passed"] and result["empty_partitions"] == 4


def test_values_in_range_fails_on_an_out_of_range_value(catalog, lake, window):
    bad = catalog.copy_of_good_lake("out-of-range", ("hourly",))
    day = ymd(lake.good.ingest_date)
    for part in partition_dir(bad, day, "saint-etienne").glob("*"):
        part.unlink()
    columns = [c["Name"] for c in QUERIES["tables"]["hourly"]["StorageDescriptor"]["Columns"]]
    select = ", ".join(
        f"CASE WHEN hour(observed_at) = 12 THEN 61.5 ELSE temperature_c END" if c == "temperature_c" else f'"{c}"'
        for c in columns)
    with catalog.over(bad):
        # The good rows to copy from: the good lake's table, in the `hive` catalog.
        execute(catalog.connection, f'INSERT INTO weather.hourly ({", ".join(chr(34) + c + chr(34) for c in columns)}, "date", city) '
                                    f"SELECT {select}, \"date\", city FROM hive.weather.hourly "
                                    f"WHERE \"date\" = '{day}' AND city = 'saint-etienne'")
        result = verdict(catalog, "values-in-range", window)
        assert not result["passed"]
        assert (result["rows_out_of_range"], result["temperature_c_out_of_range"]) == (1, 1)
        assert result["relative_humidity_pct_out_of_range"] == 0
        assert verdict(catalog, "no-duplicate-hours", window)["passed"]
        assert verdict(catalog, "partitions-not-empty", window)["passed"]


def test_quarantine_share_fails_on_a_run_that_quarantined_most_records(catalog, lake):
    d = lake.bad.ingest_date
    values = {"firstDate": ymd(d - timedelta(days=1)), "lastDate": ymd(d), "runId": lake.bad_run_id}
    with catalog.over(lake.bad_refined):
        result = verdict(catalog, "quarantine-share", values)
    assert not result["passed"]
    assert (result["refined_records"], result["quarantined_records"]) == (len(lake.bad.rows), len(lake.bad.quarantined)) == (18, 30)
    assert close(result["quarantine_share"], 30 / 48)
    assert close(result["max_quarantine_share"], 0.05)  # the construct default


def test_the_etl_runs_reconcile_with_the_fixture(lake):
    for summary, batch in ((lake.good_summary, lake.good), (lake.bad_summary, lake.bad)):
        assert summary["reconciled"] is True
        assert summary["refined"] == len(batch.rows)
        assert summary["quarantined"] == len(batch.quarantined)
