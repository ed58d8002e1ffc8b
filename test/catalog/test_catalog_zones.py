"""The staging and daily tables (issue 18) and their queries, executed by Trino over the ETL's real output.

The forecast lake holds two fetches of the same hours: ``lake_fixture.early_batch`` (a day earlier, every temperature
1.5 °C warmer) and then the good batch; the good lake holds the good batch alone. Expected rows are computed here
from the fixture values (``lake_fixture``), never read back from the ETL.
"""
from __future__ import annotations

import math
import re
from collections import defaultdict
from datetime import timedelta

import pytest

from catalog_harness import QUERIES, execute, query
import lake_fixture

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def ymd(day) -> str:
    return day.strftime("%Y-%m-%d")


def close(actual, expected, tolerance=1e-6) -> bool:
    return actual is not None and abs(float(actual) - float(expected)) <= tolerance


@pytest.fixture(scope="module")
def everything(lake) -> dict:
    d = lake.good.ingest_date
    return {"firstDate": ymd(d - timedelta(days=3)), "lastDate": ymd(d + timedelta(days=3)),
            "firstIngestDate": ymd(lake.early.ingest_date), "lastIngestDate": ymd(d)}


def verdict(catalog, query_id: str, values: dict, variant: str = "daily") -> dict:
    rows = catalog.run(query("validation", query_id, variant), values)
    assert len(rows) == 1, rows
    return rows[0]


def daily_expectation(rows):
    """(city, date) -> the daily row the ETL must write, from the hourly fixture rows."""
    groups = defaultdict(list)
    for row in rows:
        groups[(row["city"], row["date"])].append(row)
    out = {}
    for key, hours in groups.items():
        temperatures = [h["temperature_c"] for h in hours]
        out[key] = {
            "min": min(temperatures), "max": max(temperatures), "mean": sum(temperatures) / len(temperatures),
            "precipitation": sum(h["precipitation_mm"] for h in hours), "wind": max(h["wind_speed_kmh"] for h in hours),
            "hours": len(hours), "complete": len(hours) == 24, "forecast": any(h["is_forecast"] for h in hours),
        }
    return out


# ---- The tables

@pytest.mark.parametrize("name", ["staging", "daily"])
def test_location_template_matches_the_etl_output(catalog, lake, name):
    table = QUERIES["tables"][name]
    template = table["Parameters"]["storage.location.template"][len(catalog.bucket_url):]
    keys = [p["Name"] for p in table["PartitionKeys"]]
    pattern = re.escape(template)
    for key in keys:
        pattern = pattern.replace(re.escape(f"${{{key}}}"), f"(?P<{key}>[^/]+)")
    root = lake.forecast_refined
    files = sorted((root / table["StorageDescriptor"]["Location"][len(catalog.bucket_url):]).rglob("*.parquet"))
    assert files
    for path in files:
        directory = path.parent.relative_to(root).as_posix() + "/"
        assert re.fullmatch(pattern, directory), f"{directory} does not follow {template}"
        assert table["Parameters"]["projection.city.type"] == "enum"
        assert re.fullmatch(pattern, directory)["city"] in table["Parameters"]["projection.city.values"].split(",")


def test_staging_keeps_both_fetches_and_hourly_the_newer(catalog, lake):
    with catalog.over(lake.forecast_refined):
        staged = execute(catalog.connection, "SELECT batch_id, count(*), count(DISTINCT source) FROM weather.staging GROUP BY batch_id ORDER BY batch_id")
        hourly = execute(catalog.connection, "SELECT count(*), count_if(run_id = 'catalog-good-run') FROM weather.hourly")
    assert staged == [["catalog-early", len(lake.early.rows), 1], ["catalog-good", len(lake.good.rows), 1]]
    assert hourly == [[len(lake.good.rows), len(lake.good.rows)]]


def test_daily_rows_match_the_fixture_hours(catalog, lake):
    rows = execute(catalog.connection, 'SELECT city, "date", temperature_min_c, temperature_max_c, temperature_mean_c, '
                                       'precipitation_sum_mm, wind_speed_max_kmh, hours_present, is_complete, '
                                       'has_forecast_hours, source, CAST(day AS varchar) FROM weather.daily')
    expected = daily_expectation(lake.good.rows)
    assert sorted((r[0], r[1]) for r in rows) == sorted(expected)
    for city, day, tmin, tmax, tmean, rain, wind, hours, complete, forecast, source, day_text in rows:
        e = expected[(city, day)]
        assert close(tmin, e["min"]) and close(tmax, e["max"]) and close(tmean, e["mean"], 1e-9)
        assert close(rain, e["precipitation"], 1e-9) and close(wind, e["wind"])
        assert (hours, complete, forecast, source, day_text) == (e["hours"], e["complete"], e["forecast"], "open-meteo", day)


# ---- Named queries

def test_forecast_evolution_lists_every_fetch_of_the_hour(catalog, lake, everything):
    good = next(r for r in lake.good.rows if r["city"] == "gyor" and r["is_forecast"])
    early = next(r for r in lake.early.rows if r["city"] == "gyor" and r["observed_at"] == good["observed_at"])
    values = dict(everything, citySlug="gyor", observedAt=good["observed_at"].strftime("%Y-%m-%d %H:%M:%S"))
    with catalog.over(lake.forecast_refined):
        rows = catalog.run(query("analytics", "forecast-evolution"), values)
    assert [(r["batch_id"], r["fetched_at"]) for r in rows] == [
        ("catalog-early", lake.early.fetched_at), ("catalog-good", lake.good.fetched_at)]
    for row, fixture in zip(rows, (early, good)):
        lead = (fixture["observed_at"] - fixture["fetched_at"]).total_seconds() / 3600
        assert close(row["lead_time_hours"], lead) and close(row["temperature_c"], fixture["temperature_c"])
        assert row["is_forecast"] is True and row["source"] == "open-meteo" and row["city_name"] == "Győr"
    assert close(rows[0]["temperature_c"] - rows[1]["temperature_c"], lake_fixture.EARLY_TEMPERATURE_OFFSET, 1e-6)


def test_forecast_error_by_lead_time_against_the_final_value(catalog, lake, everything):
    finals = {(r["city"], r["observed_at"]): r["temperature_c"] for r in lake.good.rows if not r["is_forecast"]}
    errors = defaultdict(list)
    for batch in (lake.early, lake.good):
        for r in batch.rows:
            if r["is_forecast"] and (r["city"], r["observed_at"]) in finals:
                lead_days = math.floor((r["observed_at"] - r["fetched_at"]).total_seconds() / 3600 / 24)
                errors[lead_days].append(r["temperature_c"] - finals[(r["city"], r["observed_at"])])
    assert errors, "the fixture has no forecast with a final value"
    with catalog.over(lake.forecast_refined):
        rows = catalog.run(query("analytics", "forecast-error-by-lead-time"), everything)
    assert [(r["source"], r["lead_days"]) for r in rows] == [("open-meteo", d) for d in sorted(errors)]
    for row in rows:
        values = errors[row["lead_days"]]
        assert row["forecasts"] == len(values)
        assert close(row["mean_absolute_error_c"], round(sum(abs(v) for v in values) / len(values), 3), 0.0011)
        assert close(row["bias_c"], round(sum(values) / len(values), 3), 0.0011)
        assert close(row["rmse_c"], round(math.sqrt(sum(v * v for v in values) / len(values)), 3), 0.0011)
        assert close(row["bias_c"], lake_fixture.EARLY_TEMPERATURE_OFFSET, 0.01)  # the early fetch ran 1.5 °C warm
    # On the good lake alone no forecast has a final value yet.
    assert catalog.run(query("analytics", "forecast-error-by-lead-time"), everything) == []


def test_monthly_climate_summary_from_the_daily_table(catalog, lake, everything):
    days = daily_expectation(lake.good.rows)
    months = defaultdict(list)
    for (city, day), e in days.items():
        months[(city, day[:7])].append(e)
    rows = catalog.run(query("analytics", "monthly-climate-summary"), everything)
    assert [(r["source"], r["city"], r["month"]) for r in rows] == [("open-meteo", c, m) for c, m in sorted(months)]
    for row in rows:
        month = months[(row["city"], row["month"])]
        assert row["days"] == len(month)
        assert row["complete_days"] == sum(e["complete"] for e in month)
        assert row["days_with_forecast_hours"] == sum(e["forecast"] for e in month)
        assert close(row["min_temperature_c"], min(e["min"] for e in month))
        assert close(row["max_temperature_c"], max(e["max"] for e in month))
        assert close(row["mean_temperature_c"], round(sum(e["mean"] for e in month) / len(month), 2), 0.0051)
        assert close(row["precipitation_mm"], round(sum(e["precipitation"] for e in month), 2), 0.0051)
        assert row["wet_days"] == sum(e["precipitation"] >= 1.0 for e in month)
        assert close(row["max_wind_speed_kmh"], max(e["wind"] for e in month))


def test_monthly_climate_summary_on_monthly_partitions(catalog, lake, everything):
    with catalog.over(lake.monthly_refined, "monthly"):
        monthly = catalog.run(query("analytics", "monthly-climate-summary", "monthly"), everything)
    assert monthly == catalog.run(query("analytics", "monthly-climate-summary"), everything)


# ---- The daily validation query

def test_daily_consistent_passes_on_every_lake(catalog, lake, everything):
    result = verdict(catalog, "daily-consistent", everything)
    assert result["passed"] and result["days_checked"] == len(daily_expectation(lake.good.rows))
    with catalog.over(lake.forecast_refined):
        assert verdict(catalog, "daily-consistent", everything)["passed"]
    with catalog.over(lake.monthly_refined, "monthly"):
        monthly = verdict(catalog, "daily-consistent", everything, "monthly")
        assert monthly["passed"] and monthly["days_checked"] == result["days_checked"]


def test_daily_consistent_fails_on_a_missing_or_stale_day(catalog, lake, everything):
    day = ymd(lake.good.ingest_date)
    bad = catalog.copy_of_good_lake("daily-missing", ("daily",))
    for part in (bad / "weather" / "daily" / f"date={day}" / "city=paris").glob("*"):
        part.unlink()
    with catalog.over(bad):
        result = verdict(catalog, "daily-consistent", everything)
    assert not result["passed"] and result["inconsistent_days"] == 1
    assert result["inconsistent_day_list"] == f"{day}/paris: no daily row"
    # A day's file replaced by another day's (a write to the wrong partition): the day is missing, the other doubled.
    wrong = catalog.copy_of_good_lake("daily-wrong-partition", ("daily",))
    target = wrong / "weather" / "daily" / f"date={day}" / "city=gyor"
    other = sorted((wrong / "weather" / "daily").glob("date=*/city=gyor"))[0]
    assert other != target
    for part in target.glob("*"):
        part.unlink()
    for part in other.glob("*.parquet"):
        (target / part.name).write_bytes(part.read_bytes())
    other_day = other.parent.name.split("=", 1)[1]
    with catalog.over(wrong):
        result = verdict(catalog, "daily-consistent", everything)
    assert not result["passed"] and result["inconsistent_days"] == 2
    assert result["inconsistent_day_list"] == ", ".join(sorted(
        [f"{day}/gyor: no daily row", f"{other_day}/gyor: duplicated daily row"]))
