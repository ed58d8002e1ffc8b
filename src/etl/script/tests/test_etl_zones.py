"""Staging zone (every fetch, typed, append-only) and curated daily layer (issue #18), on the fixture batches:
b1 (13 files, Győr fetched 2026-05-07T06:00 with 48 hours), b1 again, b2 (Győr 2026-05-08 00-05 fetched a day
later) and b3 (Győr 2026-05-08 00-02 fetched before b2, arriving after it)."""

import os
import shutil
from datetime import date, datetime

import pytest

import weather_etl
from etl_testkit import (B1_MANIFEST, B2_MANIFEST, by_partition_folder, copy_lake, copy_landing, file_bytes,
                         monthly_contract_text, read_table, run_batch)

GYOR_0507 = "date=2026-05-07/city=gyor/"
GYOR_0508 = "date=2026-05-08/city=gyor/"


def rows(spark, root, schema):
    if not os.path.exists(root):
        return []
    return [r.asDict() for r in read_table(spark, root, schema).collect()]


def snapshot(spark, refined, contract):
    return {
        "staging": rows(spark, refined / "weather/staging", weather_etl.staging_schema(contract)),
        "daily": rows(spark, refined / "weather/daily", weather_etl.daily_schema(contract)),
        "hourly": rows(spark, refined / "weather/hourly", weather_etl.hourly_schema(contract)),
        "quarantine": rows(spark, refined / "weather/quarantine", weather_etl.quarantine_schema(contract)),
        "staging_files": file_bytes(refined / "weather/staging"),
        "daily_files": by_partition_folder(file_bytes(refined / "weather/daily")),
    }


@pytest.fixture(scope="module")
def runs(spark, contract, b1_sequence):
    # The sequence is the session's (etl_testkit.b1_sequence, shared with test_etl_batch): b1's r1, b1 again as r1
    # (the same run id and processing time), b1 again as r1-again, then b2 and b3, each state a frozen copy of the lake.
    out = {"refined": b1_sequence["b3"]["refined"]}
    out["s1"] = b1_sequence["b1"]["summary"]
    out["after_b1"] = snapshot(spark, b1_sequence["b1"]["refined"], contract)
    # The same batch again, same run id and processing time: nothing may change, byte for byte.
    out["s1_again"] = b1_sequence["b1_same_id"]["summary"]
    out["after_b1_again"] = snapshot(spark, b1_sequence["b1_same_id"]["refined"], contract)
    # The state b2 continues from: b1 rerun once more with a new run id (r1-again), every row replaced.
    assert b1_sequence["b1_new_id"]["summary"]["run_id"] == "r1-again"
    out["before_b2"] = snapshot(spark, b1_sequence["b1_new_id"]["refined"], contract)
    out["s2"] = b1_sequence["b2"]["summary"]
    out["after_b2"] = snapshot(spark, b1_sequence["b2"]["refined"], contract)
    out["s3"] = b1_sequence["b3"]["summary"]
    out["after_b3"] = snapshot(spark, b1_sequence["b3"]["refined"], contract)
    return out


def day_row(state, city, day):
    found = [r for r in state["daily"] if r["city"] == city and r["day"] == day]
    assert len(found) == 1, found
    return found[0]


# ---- Staging

def test_staging_keeps_every_validated_hour_with_its_lead_time(runs):
    staging = runs["after_b1"]["staging"]
    assert len(staging) == runs["s1"]["staged"] == 65  # every refined hour of b1, no superseded one
    gyor = sorted((r for r in staging if r["city"] == "gyor"), key=lambda r: r["observed_at"])
    assert len(gyor) == 48
    assert {(r["source"], r["batch_id"], r["ingest_date"]) for r in gyor} == {("open-meteo", "b1", "2026-05-07")}
    # Fetched 2026-05-07T06:00: the first hour is 6 hours in the past, 06:00 is lead 0 (not a forecast), the last +41.
    assert [r["lead_time_hours"] for r in gyor[:8]] == [-6.0, -5.0, -4.0, -3.0, -2.0, -1.0, 0.0, 1.0]
    assert gyor[-1]["lead_time_hours"] == 41.0
    assert [r["is_forecast"] for r in gyor[5:8]] == [False, False, True]
    assert all((r["lead_time_hours"] > 0) == r["is_forecast"] for r in staging)


def test_staging_is_one_file_per_partition_named_after_the_batch(runs):
    files = sorted(runs["after_b1"]["staging_files"])
    assert "ingest_date=2026-05-07/city=gyor/b1.parquet" in files
    assert all(f.endswith("/b1.parquet") for f in files)
    assert len(files) == len({os.path.dirname(f) for f in files}) == len(runs["s1"]["partitions"]["staging"])
    assert not os.path.exists(runs["refined"] / "weather/staging/_scratch")


def test_a_second_fetch_of_the_same_hours_is_kept_in_staging_and_wins_in_refined(runs):
    after = runs["after_b2"]
    hour = datetime(2026, 5, 8, 3)
    staged = sorted((r for r in after["staging"] if r["city"] == "gyor" and r["observed_at"] == hour),
                    key=lambda r: r["fetched_at"])
    assert [(r["batch_id"], r["temperature_c"], r["lead_time_hours"]) for r in staged] == [
        ("b1", 11.4, 21.0),  # forecast a day ahead
        ("b2", 11.9, -3.0),  # observed, three hours after
    ]
    refined = [r for r in after["hourly"] if r["city"] == "gyor" and r["observed_at"] == hour]
    assert [(r["temperature_c"], r["run_id"]) for r in refined] == [(11.9, "r2")]
    # b2's file sits beside b1's: b1's staged bytes were not rewritten.
    before = runs["before_b2"]["staging_files"]
    assert set(after["staging_files"]) == set(before) | {"ingest_date=2026-05-08/city=gyor/b2.parquet"}
    assert all(after["staging_files"][f] == content for f, content in before.items())
    assert runs["s2"]["partitions"]["staging"] == ["weather/staging/ingest_date=2026-05-08/city=gyor/"]


def test_an_older_fetch_arriving_later_is_staged_but_superseded(runs):
    s3 = runs["s3"]
    assert (s3["staged"], s3["refined"], s3["superseded"]) == (3, 0, 3)
    after = runs["after_b3"]
    assert len([r for r in after["staging"] if r["batch_id"] == "b3"]) == 3
    assert after["hourly"] == runs["after_b2"]["hourly"]
    assert after["daily_files"] == runs["after_b2"]["daily_files"]  # no hour changed, no day recomputed
    assert s3["partitions"]["daily"] == [] and s3["daily_rows"] == 0


def test_rerunning_a_batch_changes_nothing_byte_for_byte(runs):
    first, again = runs["after_b1"], runs["after_b1_again"]
    key = lambda r: (r["city"], str(r.get("day") or r.get("observed_at")), r.get("batch_id") or "")  # noqa: E731
    assert sorted(again["staging"], key=key) == sorted(first["staging"], key=key)
    assert sorted(again["daily"], key=key) == sorted(first["daily"], key=key)
    assert again["staging_files"] == first["staging_files"]
    assert again["daily_files"] == first["daily_files"]
    assert runs["s1_again"]["staged"] == 65


def test_reconciliation_holds_across_staging_refined_and_quarantine(runs):
    for name in ("s1", "s1_again", "s2", "s3"):
        s = runs[name]
        assert s["reconciled"] and s["staging_reconciled"], name
        assert s["staged"] == s["refined"] + s["superseded"], name
        assert s["records_in"] == s["staged"] + s["quarantined"], name
    final = runs["after_b3"]
    # On disk: staging holds each batch once (b1's rerun replaced its files), refined the winners, quarantine b1's.
    assert len(final["staging"]) == 65 + 6 + 3
    assert len(final["hourly"]) == 65
    assert len(final["quarantine"]) == 10
    staged_runs = {}
    for r in final["staging"]:
        staged_runs[r["batch_id"]] = staged_runs.get(r["batch_id"], 0) + 1
    assert staged_runs == {"b1": runs["s1_again"]["staged"], "b2": runs["s2"]["staged"], "b3": runs["s3"]["staged"]}


# ---- Daily

def mean(values):
    return sum(values) / len(values)


# Győr, from fixtures/landing/.../city=gyor/b1.json (the real 48-hour GMT response), by hand.
GYOR_0507_TEMPERATURES = [17.4, 16.9, 16.2, 15.4, 14.9, 15.2, 15.9, 17.1, 17.8, 19.0, 19.5, 20.0,
                          19.1, 18.4, 18.5, 19.3, 19.3, 18.0, 17.2, 15.9, 14.7, 14.0, 13.6, 13.6]
GYOR_0508_B1_TEMPERATURES = [13.3, 12.6, 12.1, 11.4, 11.0, 11.8, 13.3, 15.2, 17.1, 18.8, 20.2, 21.1,
                             21.9, 21.9, 22.6, 22.1, 21.9, 21.5, 20.5, 19.0, 17.2, 16.0, 14.9, 14.2]
B2_0508_00_05_TEMPERATURES = [13.5, 12.9, 12.4, 11.9, 11.6, 12.3]


def test_daily_matches_the_hand_computed_day_that_is_part_forecast(runs):
    row = day_row(runs["after_b1"], "gyor", date(2026, 5, 7))
    # Fetched at 06:00: hours 00-06 observed, 07-23 forecast.
    assert row["temperature_min_c"] == 13.6 and row["temperature_max_c"] == 20.0
    assert row["temperature_mean_c"] == pytest.approx(406.9 / 24)
    assert row["precipitation_sum_mm"] == pytest.approx(1.1)  # 0.1 + 0.8 + 0.1 + 0.1, 12:00-15:00
    assert row["wind_speed_max_kmh"] == 18.8
    assert row["dominant_weather_code"] == 3  # 16 hours of 3, 4 of 61, 3 of 1, 1 of 2
    assert (row["hours_present"], row["is_complete"], row["has_forecast_hours"]) == (24, True, True)
    assert (row["source"], row["city_name"], row["date"], row["run_id"]) == ("open-meteo", "Győr", "2026-05-07", "r1")
    assert mean(GYOR_0507_TEMPERATURES) == pytest.approx(406.9 / 24)


def test_daily_is_recomputed_for_the_day_a_newer_fetch_touched_only(runs):
    before, after = runs["before_b2"], runs["after_b2"]
    old = day_row(before, "gyor", date(2026, 5, 8))
    assert (old["temperature_min_c"], old["temperature_mean_c"]) == (11.0, pytest.approx(411.6 / 24))
    new = day_row(after, "gyor", date(2026, 5, 8))
    merged = B2_0508_00_05_TEMPERATURES + GYOR_0508_B1_TEMPERATURES[6:]
    assert new["temperature_min_c"] == min(merged) == 11.6
    assert new["temperature_max_c"] == 22.6
    assert new["temperature_mean_c"] == pytest.approx(414.0 / 24) == pytest.approx(mean(merged))
    assert new["wind_speed_max_kmh"] == 15.6
    # Codes: b2's 3,2,2,1,1,1 then b1's 06-23: 3 wins 9 to 8 over 1.
    assert new["dominant_weather_code"] == 3
    assert (new["hours_present"], new["is_complete"], new["has_forecast_hours"], new["run_id"]) == (24, True, True, "r2")
    assert runs["s2"]["partitions"]["daily"] == ["weather/daily/" + GYOR_0508]
    assert runs["s2"]["daily_rows"] == 1
    # Every other day: the same file, byte for byte.
    assert {k: v for k, v in after["daily_files"].items() if k != GYOR_0508.rstrip("/")} == \
        {k: v for k, v in before["daily_files"].items() if k != GYOR_0508.rstrip("/")}


def test_daily_has_one_row_per_city_and_day_consistent_with_hourly(runs):
    state = runs["after_b3"]
    hourly = {}
    for r in state["hourly"]:
        hourly.setdefault((r["city"], r["date"]), []).append(r)
    assert {(r["city"], r["date"]) for r in state["daily"]} == set(hourly)
    assert len(state["daily"]) == len(hourly)
    for r in state["daily"]:
        hours = hourly[(r["city"], r["date"])]
        temperatures = [h["temperature_c"] for h in hours if h["temperature_c"] is not None]
        assert r["hours_present"] == len(hours)
        assert r["is_complete"] == (len(hours) == 24)
        assert r["has_forecast_hours"] == any(h["is_forecast"] for h in hours)
        assert r["day"].isoformat() == r["date"]
        if temperatures:
            assert r["temperature_min_c"] <= r["temperature_mean_c"] <= r["temperature_max_c"]
            assert r["temperature_mean_c"] == pytest.approx(mean(temperatures))


def test_partial_days_are_not_complete(runs):
    # Salt Lake City's b1 response has 6 hours (local Denver time), all on one UTC day.
    slc = [r for r in runs["after_b1"]["daily"] if r["city"] == "salt-lake-city"]
    assert [(r["hours_present"], r["is_complete"]) for r in slc] == [(6, False)]


def test_dominant_weather_code_ties_go_to_the_highest_code(spark, contract):
    rows_in = [("weather/raw/source=open-meteo/ingest_date=2026-05-07/city=nice/x.json", "nice", "Nice", "2026-05-07",
                datetime(2026, 5, 7, h), t, 0.0, 5.0, code, False)
               for h, (t, code) in enumerate([(10.0, 1), (12.0, 61), (14.0, 61), (None, 1), (11.0, None)])]
    frame = spark.createDataFrame(rows_in, "source_key string, city string, city_name string, date string, "
                                           "observed_at timestamp, temperature_c double, precipitation_mm double, "
                                           "wind_speed_kmh double, weather_code int, is_forecast boolean")
    [row] = weather_etl.daily_from_hourly(frame, contract, "t", datetime(2026, 5, 9)).collect()
    assert row["dominant_weather_code"] == 61
    assert (row["temperature_min_c"], row["temperature_max_c"], row["temperature_mean_c"]) == (10.0, 14.0, 11.75)
    assert (row["hours_present"], row["is_complete"], row["has_forecast_hours"]) == (5, False, False)
    assert row["source"] == "open-meteo" and row["precipitation_sum_mm"] == 0.0 and row["wind_speed_max_kmh"] == 5.0


def test_staging_mismatch_fails_the_run_before_anything_is_written(spark, tmp_path, monkeypatch):
    landing = copy_landing(tmp_path / "landing")
    refined = tmp_path / "refined"
    real = weather_etl.to_staging
    monkeypatch.setattr(weather_etl, "to_staging", lambda *a, **k: real(*a, **k).limit(1))
    with pytest.raises(weather_etl.ReconciliationError, match=r"staged 1 != refined 6 \+ superseded 0"):
        run_batch(spark, landing, refined, "bad", "--manifest_key", B2_MANIFEST)
    assert not os.path.exists(refined / "weather")


# ---- Monthly partitions: a daily partition holds a month of days; only the touched days are recomputed.

def test_monthly_daily_partitions_recompute_only_the_touched_days(spark, tmp_path, b1_monthly_lake):
    monthly_text = monthly_contract_text()
    monthly = weather_etl.load_contract(monthly_text)
    assert monthly["refined"]["dailyPartitionKeys"] == ["month", "city"]
    # b1 with the monthly contract (m1) is the session's (etl_testkit.b1_monthly_lake): continue on a copy of it.
    lake = copy_lake(b1_monthly_lake, tmp_path)
    landing, refined = lake["landing"], lake["refined"]
    extra = ("--contract_json", monthly_text)
    assert (lake["summary"]["run_id"], lake["summary"]["input"]["manifest_key"]) == ("m1", B1_MANIFEST)
    before = snapshot(spark, refined, monthly)
    s2 = run_batch(spark, landing, refined, "m2", "--manifest_key", B2_MANIFEST, extra=extra)
    after = snapshot(spark, refined, monthly)
    assert s2["partitions"]["daily"] == ["weather/daily/month=2026-05/city=gyor/"] and s2["daily_rows"] == 1
    gyor = {r["day"]: r for r in after["daily"] if r["city"] == "gyor"}
    assert set(gyor) == {date(2026, 5, 7), date(2026, 5, 8)}
    assert {r["month"] for r in gyor.values()} == {"2026-05"}
    # 05-07 kept as it was, 05-08 recomputed with b2's hours.
    old = {r["day"]: r for r in before["daily"] if r["city"] == "gyor"}
    assert gyor[date(2026, 5, 7)] == old[date(2026, 5, 7)]
    assert gyor[date(2026, 5, 8)]["run_id"] == "m2"
    assert gyor[date(2026, 5, 8)]["temperature_min_c"] == 11.6
    assert gyor[date(2026, 5, 8)]["temperature_mean_c"] == pytest.approx(414.0 / 24)
    assert len(after["daily"]) == len(before["daily"])
    assert len([f for f in after["daily_files"] if "city=gyor" in f]) == 1


def test_a_rerun_replaces_only_its_batch_files_in_a_shared_partition(spark, tmp_path, contract, b1_lake, b1_sequence):
    # b2 and b3 land in the same staging partition (ingest_date=2026-05-08/city=gyor): the sequence's last state
    # (etl_testkit.b1_sequence: b1, then b2 as r2 and b3 as r3) holds both; this test continues on a copy of it.
    landing = b1_lake["landing"]
    refined = shutil.copytree(b1_sequence["b3"]["refined"], tmp_path / "refined")
    partition = refined / "weather/staging/ingest_date=2026-05-08/city=gyor"
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in partition.glob("*.parquet")}
    assert sorted(before) == ["b2.parquet", "b3.parquet"]
    # b2 again, processed later: its file is rewritten, b3's is not touched.
    run_batch(spark, landing, refined, "r2-again", "--manifest_key", B2_MANIFEST, processed_at="2026-05-10T00:00:00Z")
    after = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in partition.glob("*.parquet")}
    assert after["b3.parquet"] == before["b3.parquet"]
    assert after["b2.parquet"][0] != before["b2.parquet"][0]
    staged = [r for r in rows(spark, refined / "weather/staging", weather_etl.staging_schema(contract))
              if (str(r["ingest_date"]), r["city"]) == ("2026-05-08", "gyor")]
    assert sorted((r["batch_id"], r["run_id"]) for r in staged) == [("b2", "r2-again")] * 6 + [("b3", "r3")] * 3
    # b2 again with Győr no longer configured: every hour is quarantined, and b2's staged rows go with it.
    summary = run_batch(spark, landing, refined, "r2-unconfigured", "--manifest_key", B2_MANIFEST,
                        extra=("--cities_json", '{"nice": "Nice"}'))
    assert (summary["staged"], summary["quarantined"], summary["reconciled"]) == (0, 6, True)
    assert sorted(p.name for p in partition.glob("*.parquet")) == ["b3.parquet"]
