"""Monthly partitions (`PartitionGranularity.MONTH`): the script writes `month=yyyy-MM/city=<slug>/` with `date` as a
column when the contract it is given says so, one file per partition, merging a batch into the month's existing
rows. The monthly contract is the one the GlueEtlJob synthesizes for a RefinedLake with monthly partitions
(`monthly.etlContract` in test/catalog/queries.json, kept up to date by `npx projen queries` and checked by jest)."""

import json
import os
import re
from pathlib import Path

import pytest
from pyspark.sql import functions as F

import weather_etl
from etl_testkit import B1_MANIFEST, LANDING_MTIME, copy_lake, monthly_contract_text, parquet_files, raw_key, run_batch

GYOR_B1 = Path(__file__).resolve().parent / "fixtures" / "landing" / raw_key("2026-05-07", "gyor", "b1")


@pytest.fixture(scope="module")
def monthly_text():
    return monthly_contract_text()


@pytest.fixture(scope="module")
def monthly(monthly_text):
    return weather_etl.load_contract(monthly_text)


def table_rows(spark, contract, table_root):
    """Every row of the hourly table as a dict, partition values included, keyed by (city, observed_at)."""
    frame = spark.read.schema(weather_etl.hourly_schema(contract)).option("basePath", str(table_root)).parquet(str(table_root))
    return {(r["city"], r["observed_at"]): r.asDict() for r in frame.collect()}


def partition_dirs(table_root):
    """Relative partition folder -> number of Parquet files in it."""
    dirs = {}
    for rel in parquet_files(table_root):
        folder = os.path.dirname(rel) + "/"
        dirs[folder] = dirs.get(folder, 0) + 1
    return dirs


@pytest.fixture(scope="module")
def lakes(spark, tmp_path_factory, monthly_text, b1_lake, b1_monthly_lake):
    """The b1 fixture batch refined into a daily and a monthly lake, then b1 again into the monthly one. The daily
    lake is the session's (etl_testkit.b1_lake: r1 of b1, read only), and so is the monthly lake's first run
    (etl_testkit.b1_monthly_lake: m1 of b1 with the monthly contract); the second run goes into a copy of it."""
    lake = copy_lake(b1_monthly_lake, tmp_path_factory.mktemp("monthly"))
    landing = lake["landing"]
    daily_root, monthly_root = b1_lake["refined"], lake["refined"]
    daily = b1_lake["summary"]
    first = lake["summary"]
    hourly = monthly_root / "weather" / "hourly"
    state = {"files": parquet_files(hourly), "rows": table_rows(spark, weather_etl.load_contract(monthly_text), hourly)}
    again = run_batch(spark, landing, monthly_root, "m1", "--manifest_key", B1_MANIFEST, extra=("--contract_json", monthly_text))
    return {"daily_root": daily_root, "monthly_root": monthly_root, "daily": daily, "first": first, "again": again,
            "before": state}


def test_monthly_contract_differs_from_the_daily_one_only_in_the_hourly_layout(contract, monthly):
    assert monthly["refined"]["partitionKeys"] == ["month", "city"]
    assert [c["name"] for c in monthly["refined"]["hourlyColumns"]] == [c["name"] for c in contract["refined"]["hourlyColumns"]] + ["date"]
    assert monthly["refined"]["quarantinePartitionKeys"] == contract["refined"]["quarantinePartitionKeys"] == ["date"]
    assert {k: v for k, v in monthly.items() if k != "refined"} == {k: v for k, v in contract.items() if k != "refined"}


def test_files_sit_under_month_and_city_one_per_partition(spark, lakes, monthly):
    hourly = lakes["monthly_root"] / "weather" / "hourly"
    dirs = partition_dirs(hourly)
    assert dirs and all(count == 1 for count in dirs.values()), dirs
    template = monthly["refined"]["hourlyLocationTemplate"][len(monthly["refined"]["hourlyPrefix"]):]
    pattern = re.escape(template).replace(re.escape("${month}"), r"(\d{4}-\d{2})").replace(re.escape("${city}"), r"([a-z0-9-]+)")
    assert all(re.fullmatch(pattern, d) for d in dirs), sorted(dirs)
    rows = table_rows(spark, monthly, hourly)
    assert set(dirs) == {f"month={r['month']}/city={r['city']}/" for r in rows.values()}
    # The stored files hold the contract's columns, `date` included, and not the partition keys.
    stored = spark.read.parquet(*[str(hourly / f) for f in parquet_files(hourly)]).schema
    assert [f.name for f in stored.fields] == [c["name"] for c in monthly["refined"]["hourlyColumns"]]
    # The quarantine keeps its ingestion-date partitions.
    quarantine = partition_dirs(lakes["monthly_root"] / "weather" / "quarantine")
    assert quarantine and all(re.fullmatch(r"date=\d{4}-\d{2}-\d{2}/", d) for d in quarantine), quarantine


def test_monthly_rows_are_the_daily_rows_with_date_as_a_column(spark, lakes, contract, monthly):
    daily = table_rows(spark, contract, lakes["daily_root"] / "weather" / "hourly")
    monthly_rows = table_rows(spark, monthly, lakes["monthly_root"] / "weather" / "hourly")
    assert len(monthly_rows) == len(daily) == lakes["first"]["refined"] == 65
    drop = {"run_id", "month"}
    for key, row in monthly_rows.items():
        assert row["date"] == row["observed_at"].strftime("%Y-%m-%d") and row["month"] == row["date"][:7]
        assert {k: v for k, v in row.items() if k not in drop} == {k: v for k, v in daily[key].items() if k != "run_id"}


def test_the_summary_names_month_partitions_and_the_days_written(lakes):
    first, daily = lakes["first"], lakes["daily"]
    assert first["reconciled"] is True
    assert (first["records_in"], first["refined"], first["quarantined"], first["superseded"]) == \
        (daily["records_in"], daily["refined"], daily["quarantined"], daily["superseded"])
    assert first["partitions"]["hourly"] and all(re.fullmatch(r"weather/hourly/month=\d{4}-\d{2}/city=[a-z0-9-]+/", p)
                                                 for p in first["partitions"]["hourly"])
    assert first["hourly_dates"] == daily["hourly_dates"] == sorted({p.split("/")[2][5:] for p in daily["partitions"]["hourly"]})
    assert first["partitions"]["quarantine"] == daily["partitions"]["quarantine"]


def test_a_second_run_of_the_batch_changes_nothing(spark, lakes, monthly):
    hourly = lakes["monthly_root"] / "weather" / "hourly"
    assert set(parquet_files(hourly)) != set() and partition_dirs(hourly) == {
        os.path.dirname(f) + "/": 1 for f in lakes["before"]["files"]}
    assert table_rows(spark, monthly, hourly) == lakes["before"]["rows"]
    again = lakes["again"]
    assert again["reconciled"] is True and again["refined"] == lakes["first"]["refined"]


def write_day(landing, ingest_date, batch, day, mtime):
    """One raw Győr body of 24 hours on `day` (the b1 fixture's first 24 hours, re-dated), under the contract key."""
    body = json.loads(GYOR_B1.read_text(encoding="utf-8"))
    hourly = body["hourly"]
    for name in list(hourly):
        hourly[name] = hourly[name][:24]
    hourly["time"] = [f"{day}T{h:02d}:00" for h in range(24)]
    key = raw_key(ingest_date, "gyor", batch)
    path = Path(landing) / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(body), encoding="utf-8")
    os.utime(path, (mtime, mtime))
    return key


def test_two_batches_on_different_days_of_one_month_keep_each_other(spark, tmp_path, monthly, monthly_text):
    landing, refined = tmp_path / "landing", tmp_path / "refined"
    first = write_day(landing, "2026-05-07", "m1", "2026-05-07", LANDING_MTIME)
    second = write_day(landing, "2026-05-20", "m2", "2026-05-20", LANDING_MTIME + 13 * 86400)
    run_batch(spark, landing, refined, "r1", "--raw_key", first, extra=("--contract_json", monthly_text))
    summary = run_batch(spark, landing, refined, "r2", "--raw_key", second, extra=("--contract_json", monthly_text))
    hourly = refined / "weather" / "hourly"
    assert partition_dirs(hourly) == {"month=2026-05/city=gyor/": 1}
    rows = table_rows(spark, monthly, hourly)
    days = {}
    for row in rows.values():
        days.setdefault(row["date"], set()).add((row["run_id"], row["source_key"]))
    # The second batch rewrote the month's file with the first batch's day kept as it was.
    assert {d: len([r for r in rows.values() if r["date"] == d]) for d in days} == {"2026-05-07": 24, "2026-05-20": 24}
    assert days == {"2026-05-07": {("r1", first)}, "2026-05-20": {("r2", second)}}
    assert summary["hourly_dates"] == ["2026-05-20"]
    assert summary["partitions"]["hourly"] == ["weather/hourly/month=2026-05/city=gyor/"]
    assert (summary["refined"], summary["superseded"], summary["reconciled"]) == (24, 0, True)
