"""The catalog with monthly partitions (RefinedLake ``partitionGranularity: MONTH``) on Trino: the tables, the
projection and the SQL the AthenaCatalog ships for them (``monthly`` in queries.json), over Parquet the real ETL
wrote with the contract the GlueEtlJob hands it. The monthly lake holds the same good batch as the daily one, so
every query must answer exactly what it answers on the daily lake; the validation queries must still fail on
crafted bad data, and the ``month`` filter derived from the date parameters must prune partitions."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from catalog_harness import QUERIES, execute, query
import lake_fixture

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
MONTHLY = QUERIES["monthly"]


def ymd(day) -> str:
    return day.strftime("%Y-%m-%d")


@pytest.fixture(scope="module")
def window(lake) -> dict:
    d = lake.good.ingest_date
    return {"firstDate": ymd(d - timedelta(days=2)), "lastDate": ymd(d + timedelta(days=1)),
            "citySlugs": ",".join(c.slug for c in lake_fixture.CITIES), "runId": lake.good_run_id,
            "sourceIds": "open-meteo"}


@pytest.fixture(scope="module")
def everything(lake) -> dict:
    d = lake.good.ingest_date
    return {"firstDate": ymd(d - timedelta(days=3)), "lastDate": ymd(d + timedelta(days=3))}


def run_both(catalog, lake, kind: str, query_id: str, values: dict) -> tuple[list, list]:
    """The query on the daily lake (daily SQL) and on the monthly lake (monthly SQL)."""
    with catalog.over(lake.refined):
        daily = catalog.run(query(kind, query_id), values)
    with catalog.over(lake.monthly_refined, "monthly"):
        monthly = catalog.run(query(kind, query_id, "monthly"), values)
    return daily, monthly


def test_the_monthly_table_and_projection_match_the_etl_output(catalog, lake):
    table = MONTHLY["tables"]["hourly"]
    params = table["Parameters"]
    assert [p["Name"] for p in table["PartitionKeys"]] == ["month", "city"]
    assert "date" in [c["Name"] for c in table["StorageDescriptor"]["Columns"]]
    assert (params["projection.month.type"], params["projection.month.format"], params["projection.month.interval"],
            params["projection.month.interval.unit"]) == ("date", "yyyy-MM", "1", "MONTHS")
    start, end = params["projection.month.range"].split(",")
    horizon = re.fullmatch(r"NOW\+(\d+)DAYS", end)
    assert re.fullmatch(r"\d{4}-\d{2}", start) and horizon
    latest = (lake_fixture.now_utc().date() + timedelta(days=int(horizon.group(1)))).strftime("%Y-%m")
    template = params["storage.location.template"][len(catalog.bucket_url):]
    assert template == "weather/hourly/month=${month}/city=${city}/"
    pattern = re.escape(template).replace(re.escape("${month}"), "(?P<month>[^/]+)").replace(re.escape("${city}"), "(?P<city>[^/]+)")
    folders = {}
    for path in (lake.monthly_refined / "weather" / "hourly").rglob("*.parquet"):
        directory = path.parent.relative_to(lake.monthly_refined).as_posix() + "/"
        match = re.fullmatch(pattern, directory)
        assert match, f"{directory} does not follow {template}"
        month = match.group("month")
        assert datetime.strptime(month, "%Y-%m").strftime("%Y-%m") == month and start <= month <= latest
        assert match.group("city") in params["projection.city.values"].split(",")
        folders[directory] = folders.get(directory, 0) + 1
    assert folders and set(folders.values()) == {1}, folders  # one file per partition
    assert set(folders) == {f"weather/hourly/month={r['date'][:7]}/city={r['city']}/" for r in lake.good.rows}
    with catalog.over(lake.monthly_refined, "monthly"):
        rows = execute(catalog.connection, 'SELECT "$path", "month", city, "date", observed_at FROM weather.hourly')
    assert len(rows) == len(lake.good.rows)
    for path, month, city, day, observed_at in rows:
        assert f"/weather/hourly/month={month}/city={city}/" in path
        assert day == observed_at.strftime("%Y-%m-%d") and month == day[:7]


@pytest.mark.parametrize("query_id", ["daily-temperature", "monthly-precipitation", "temperature-extremes"])
def test_named_queries_answer_as_on_the_daily_lake(catalog, lake, everything, query_id):
    daily, monthly = run_both(catalog, lake, "analytics", query_id, everything)
    assert daily and monthly == daily


def test_quarantine_by_reason_is_unchanged(catalog, lake):
    d = ymd(lake.good.ingest_date)
    daily, monthly = run_both(catalog, lake, "analytics", "quarantine-by-reason", {"firstDate": d, "lastDate": d})
    assert daily and monthly == daily


def test_validation_queries_pass_with_the_same_numbers(catalog, lake, window):
    for q in QUERIES["validation"]:
        daily, monthly = run_both(catalog, lake, "validation", q["id"], window)
        assert len(monthly) == 1 and monthly[0]["passed"] is True, (q["id"], monthly)
        assert monthly == daily, q["id"]


def test_the_validation_planner_window_comes_from_the_monthly_summary(lake, window):
    summary = lake.monthly_summary
    assert summary["reconciled"] is True and summary["refined"] == len(lake.good.rows)
    assert summary["hourly_dates"] == sorted({r["date"] for r in lake.good.rows})
    assert summary["hourly_dates"] == lake.good_summary["hourly_dates"]
    assert all(re.fullmatch(r"weather/hourly/month=\d{4}-\d{2}/city=[a-z0-9-]+/", p) for p in summary["partitions"]["hourly"])


def test_no_duplicate_hours_and_partitions_not_empty_fail_on_crafted_monthly_data(catalog, lake, window):
    day = ymd(lake.good.ingest_date)
    bad = catalog.copy_of_lake(lake.monthly_refined, "monthly-duplicates", ("hourly",))
    target = bad / "weather" / "hourly" / f"month={day[:7]}" / "city=paris"
    part = sorted(target.glob("*.parquet"))[0]
    (target / ("copy-" + part.name)).write_bytes(part.read_bytes())
    with catalog.over(bad, "monthly"):
        result = catalog.run(query("validation", "no-duplicate-hours", "monthly"), window)[0]
    in_window = [r for r in lake.good.rows if r["city"] == "paris" and r["date"][:7] == day[:7]
                 and window["firstDate"] <= r["date"] <= window["lastDate"]]
    assert not result["passed"] and result["duplicated_hours"] == len(in_window)

    empty = catalog.copy_of_lake(lake.monthly_refined, "monthly-empty", ("hourly",))
    for part in (empty / "weather" / "hourly" / f"month={day[:7]}" / "city=gyor").glob("*"):
        part.unlink()
    with catalog.over(empty, "monthly"):
        result = catalog.run(query("validation", "partitions-not-empty", "monthly"), window)[0]
    expected_empty = sorted(d for d in {r["date"] for r in lake.good.rows if r["city"] == "gyor"}
                            if d[:7] == day[:7] and window["firstDate"] <= d <= window["lastDate"])
    assert not result["passed"] and result["empty_partitions"] == len(expected_empty)
    assert result["empty_partition_list"] == ",".join(f"{d}/gyor/open-meteo" for d in expected_empty)


def test_the_month_filter_prunes_partitions(catalog, lake, window):
    """A partition of another month holding a file that is not Parquet: a query that prunes on month never opens
    it; the same question filtered on the date column alone has to open every partition, and fails."""
    pruned = catalog.copy_of_lake(lake.monthly_refined, "monthly-pruning", ("hourly",))
    junk = pruned / "weather" / "hourly" / "month=2020-01" / "city=paris"
    junk.mkdir(parents=True)
    (junk / "part-00000-junk.snappy.parquet").write_bytes(b"not a parquet file")
    with catalog.over(pruned, "monthly"):
        result = catalog.run(query("validation", "values-in-range", "monthly"), window)[0]
        assert result["passed"] and result["rows_checked"] == sum(
            1 for r in lake.good.rows if window["firstDate"] <= r["date"] <= window["lastDate"])
        with pytest.raises(Exception):
            execute(catalog.connection, 'SELECT count(*) FROM "weather"."hourly" WHERE "date" BETWEEN ? AND ?',
                    [f"'{window['firstDate']}'", f"'{window['lastDate']}'"])
