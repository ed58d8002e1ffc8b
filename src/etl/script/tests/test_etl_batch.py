"""One ingestion batch (manifest b1) end to end: refined rows, unit conversions, UTC times, quarantine, summary;
then re-runs and later batches on the same lake (idempotency, latest fetch wins, untouched partitions).

Expected values are worked out by hand from the fixture bodies (textbook formulas, not the contract's numbers).
"""

import json
import os
from datetime import datetime

import pytest

from etl_testkit import (B1_MANIFEST, PROCESSED_AT, copy_lake, copy_landing, parquet_files,
                      parquet_footer_schema, raw_key,
                      read_table, run_batch, session_conf)
import weather_etl

D1 = "2026-05-07"


def f_to_c(fahrenheit):
    return (fahrenheit - 32) * 5 / 9


MPH_TO_KMH = 1.609344
KN_TO_KMH = 1.852
INCH_TO_MM = 25.4


@pytest.fixture(scope="module")
def batch(spark, tmp_path_factory, b1_lake):
    # b1's first run (r1) is the session's (etl_testkit.b1_lake); this module continues on a copy of that lake, and
    # of its landing (test_within_batch_duplicates_are_superseded changes the landing files' times).
    lake = copy_lake(b1_lake, tmp_path_factory.mktemp("batch"), with_landing=True)
    landing, refined, summary = lake["landing"], lake["refined"], lake["summary"]
    contract = weather_etl.load_contract()
    hourly = read_table(spark, refined / "weather/hourly", weather_etl.hourly_schema(contract))
    quarantine = read_table(spark, refined / "weather/quarantine", weather_etl.quarantine_schema(contract))
    return {
        "landing": landing,
        "refined": refined,
        "summary": summary,
        "hourly": {(r["city"], r["observed_at"]): r.asDict() for r in hourly.collect()},
        "hourly_count": hourly.count(),
        "quarantine": [r.asDict() for r in quarantine.collect()],
    }


def rows_of(batch, city):
    return [row for (c, _), row in sorted(batch["hourly"].items()) if c == city]


def test_summary_reconciles_with_exact_numbers(batch, contract):
    summary = batch["summary"]
    # 13 files: 6 usable (48 + 6 + 3 + 3 + 3 + 5 hours = 68 records) and 7 rejected whole (1 record each).
    assert summary["files_read"] == 13
    assert summary["records_in"] == 75
    # Houston loses 3 of its 5 hours (unparsable time, no measurement, out of range).
    assert summary["refined"] == 65
    assert summary["quarantined"] == 10
    # Every reason once, but CITY_NOT_CONFIGURED: b1 runs without --cities_json (see test_cities_not_configured…),
    # and MET Norway's own two (test_etl_sources.py).
    assert summary["quarantined_by_reason"] == {
        reason["code"]: 1 for reason in contract["quarantineReasons"]
        if reason["code"] not in ("CITY_NOT_CONFIGURED", "MISSING_INSTANT_DETAILS", "UNKNOWN_SYMBOL_CODE")}
    assert summary["superseded"] == 0
    assert summary["replaced"] == 0  # the lake was empty
    assert summary["reconciled"] is True
    assert summary["partitions_written"] == 8
    assert summary["partitions"]["quarantine"] == ["weather/quarantine/date=2026-05-07/", "weather/quarantine/date=2026-05-09/"]
    assert summary["input"]["manifest_key"] == B1_MANIFEST
    assert summary["input"]["manifest_failed"] == 1
    assert summary["run_id"] == "r1"
    assert summary["processed_at"] == "2026-05-09T12:00:00.000Z"
    assert summary["duration_seconds"] >= 0


def test_summary_file_is_written_where_the_contract_says(batch):
    path = batch["refined"] / "weather/run-summaries/date=2026-05-09/r1.json"
    with open(path, encoding="utf-8") as handle:
        assert json.load(handle) == batch["summary"]


def test_one_row_per_city_and_hour(batch):
    assert batch["hourly_count"] == 65 == len(batch["hourly"])
    counts = {}
    for city, _ in batch["hourly"]:
        counts[city] = counts.get(city, 0) + 1
    assert counts == {"gyor": 48, "salt-lake-city": 6, "saint-etienne": 3, "tokyo": 3, "phoenix": 3, "houston": 2}


def test_hourly_partitions_on_disk_hold_exactly_one_parquet_file_each(batch):
    files = parquet_files(batch["refined"] / "weather/hourly")
    folders = sorted(os.path.dirname(path) + "/" for path in files)
    expected = [
        "date=2024-05-08/city=salt-lake-city/",
        "date=2026-05-06/city=saint-etienne/",
        "date=2026-05-07/city=gyor/",
        "date=2026-05-07/city=houston/",
        "date=2026-05-07/city=phoenix/",
        "date=2026-05-07/city=saint-etienne/",
        "date=2026-05-07/city=tokyo/",
        "date=2026-05-08/city=gyor/",
    ]
    assert folders == expected  # one file per folder, since the list has no repeats
    assert batch["summary"]["partitions"]["hourly"] == ["weather/hourly/" + f for f in expected]
    quarantine = parquet_files(batch["refined"] / "weather/quarantine")
    assert sorted(os.path.dirname(p) for p in quarantine) == ["date=2026-05-07", "date=2026-05-09"]


def test_parquet_is_snappy_with_microsecond_utc_timestamps(spark, batch):
    for relative in parquet_files(batch["refined"] / "weather/hourly"):
        schema, codecs = parquet_footer_schema(spark, str(batch["refined"] / "weather/hourly" / relative))
        assert codecs == {"SNAPPY"}
        assert "int96" not in schema
        assert "int64 observed_at (TIMESTAMP(MICROS,true))" in schema
        assert "int64 fetched_at (TIMESTAMP(MICROS,true))" in schema
        assert "int32 weather_code" in schema


def test_denver_local_times_become_utc_and_fahrenheit_mph_are_converted(batch):
    rows = rows_of(batch, "salt-lake-city")
    # The body says 2024-05-07T20:00 … 2024-05-08T01:00 at utc_offset_seconds=-21600 (MDT): six hours later in UTC.
    assert [r["observed_at"] for r in rows] == [datetime(2024, 5, 8, h) for h in range(2, 8)]
    assert [r["date"] for r in rows] == ["2024-05-08"] * 6
    fahrenheit = [42.8, 41.1, 40.9, 40.0, 39.6, 39.8]
    mph = [8.8, 9.4, 9.1, 5.9, 2.5, 5.3]
    assert [r["temperature_c"] for r in rows] == pytest.approx([f_to_c(t) for t in fahrenheit], abs=1e-9)
    assert rows[0]["temperature_c"] == pytest.approx(6.0, abs=1e-9)
    assert [r["wind_speed_kmh"] for r in rows] == pytest.approx([v * MPH_TO_KMH for v in mph], abs=1e-9)
    assert [r["wind_direction_deg"] for r in rows] == [302.0, 301.0, 308.0, 323.0, 225.0, 348.0]
    # Variables the body lacks are null; variables outside the contract (cape, wind_gusts_10m, …) leave no trace.
    assert all(r["relative_humidity_pct"] is None and r["surface_pressure_hpa"] is None for r in rows)
    assert (rows[0]["latitude"], rows[0]["longitude"], rows[0]["elevation"]) == (40.764416, -111.98126, 1288.0)
    # Fetched at 2024-05-08T03:30Z (manifest): 02:00 and 03:00 were observations, the rest forecasts.
    assert [r["is_forecast"] for r in rows] == [False, False, True, True, True, True]
    assert rows[0]["fetched_at"] == datetime(2024, 5, 8, 3, 30)
    assert rows[0]["city_name"] == "Salt Lake City"


def test_synthetic_fahrenheit_mph_inch(batch):
    rows = rows_of(batch, "phoenix")
    assert [r["observed_at"] for r in rows] == [datetime(2026, 5, 7, h) for h in (17, 18, 19)]  # MST = UTC-7
    assert [r["temperature_c"] for r in rows] == pytest.approx([0.0, 10.0, 40.0], abs=1e-9)
    assert [r["wind_speed_kmh"] for r in rows] == pytest.approx([16.09344, 0.0, 40.2336], abs=1e-9)
    assert [r["precipitation_mm"] for r in rows] == pytest.approx([0.0, 25.4, 12.7], abs=1e-9)
    assert [r["relative_humidity_pct"] for r in rows] == [10.0, 12.0, 8.0]


def test_unix_seconds_are_utc_whatever_the_offset(batch):
    rows = rows_of(batch, "tokyo")
    # 1778112000 = 2026-05-07T00:00Z; the body's utc_offset_seconds=32400 must not be applied to unix times.
    assert [r["observed_at"] for r in rows] == [datetime(2026, 5, 7, h) for h in (0, 1, 2)]
    assert [r["precipitation_mm"] for r in rows] == pytest.approx([0.0, 0.1 * INCH_TO_MM, 0.25 * INCH_TO_MM], abs=1e-9)
    assert [r["wind_speed_kmh"] for r in rows] == pytest.approx([10 * KN_TO_KMH, 12 * KN_TO_KMH, 0.0], abs=1e-9)
    assert [r["weather_code"] for r in rows] == [1, 2, 3]


def test_local_time_crossing_midnight_lands_in_two_utc_date_partitions(batch):
    rows = rows_of(batch, "saint-etienne")
    assert [(r["observed_at"], r["date"]) for r in rows] == [
        (datetime(2026, 5, 6, 23), "2026-05-06"), (datetime(2026, 5, 7, 0), D1), (datetime(2026, 5, 7, 1), D1)]
    assert {r["city_name"] for r in rows} == {"Saint-Étienne"}
    first, second = rows[0], rows[1]
    assert (first["temperature_c"], first["relative_humidity_pct"], first["precipitation_mm"], first["wind_speed_kmh"],
            first["wind_direction_deg"], first["surface_pressure_hpa"], first["cloud_cover_pct"],
            first["weather_code"]) == (11.2, 81.0, 0.0, 5.4, 180.0, 950.1, 100.0, 3)
    assert second["relative_humidity_pct"] is None  # a single null is kept as null
    assert second["temperature_c"] == 10.8
    # Fetched at 2026-05-07T00:00Z: the hour starting then is not after the fetch.
    assert [r["is_forecast"] for r in rows] == [False, False, True]


def test_real_gmt_response_is_refined_as_sent(batch):
    rows = rows_of(batch, "gyor")
    with open(os.path.join(os.path.dirname(__file__), "fixtures", "landing", raw_key(D1, "gyor", "b1")), encoding="utf-8") as handle:
        body = json.load(handle)
    assert [r["temperature_c"] for r in rows] == body["hourly"]["temperature_2m"]
    assert [r["weather_code"] for r in rows] == body["hourly"]["weather_code"]
    assert [r["precipitation_mm"] for r in rows] == body["hourly"]["precipitation"]
    assert rows[0]["observed_at"] == datetime(2026, 5, 7, 0) and rows[-1]["observed_at"] == datetime(2026, 5, 8, 23)
    assert sum(r["is_forecast"] for r in rows) == 48 - 7  # 00:00 … 06:00 are not after the 06:00Z fetch
    assert {r["city_name"] for r in rows} == {"Győr"}
    assert {r["source_key"] for r in rows} == {raw_key(D1, "gyor", "b1")}
    assert {r["run_id"] for r in rows} == {"r1"}
    assert {r["processed_at"] for r in rows} == {datetime(2026, 5, 9, 12)}
    assert {r["fetched_at"] for r in rows} == {datetime(2026, 5, 7, 6)}


def test_houston_keeps_its_good_hours_only(batch):
    rows = rows_of(batch, "houston")
    assert [r["observed_at"] for r in rows] == [datetime(2026, 5, 7, 5), datetime(2026, 5, 7, 6)]  # CDT = UTC-5
    # 95 °F is above the 60 °C maximum as a number, but 35 °C once converted: the range check runs after conversion.
    assert [r["temperature_c"] for r in rows] == pytest.approx([35.0, 25.0], abs=1e-9)
    assert [r["relative_humidity_pct"] for r in rows] == [60.0, None]


def quarantined(batch, reason):
    rows = [r for r in batch["quarantine"] if r["reason"] == reason]
    assert len(rows) == 1, (reason, rows)
    return rows[0]


def fixture_text(key):
    with open(os.path.join(os.path.dirname(__file__), "fixtures", "landing", key), encoding="utf-8") as handle:
        return handle.read()


@pytest.mark.parametrize("reason,city,detail_part", [
    ("EMPTY_FILE", "oslo", "0 bytes"),
    ("MALFORMED_JSON", "lyon", "not a complete JSON object"),
    ("API_ERROR", "lima", "Cannot initialize WeatherVariable from invalid String value tempeture_2m"),
    ("MISSING_HOURLY", "cairo", "no hourly"),
    ("LENGTH_MISMATCH", "quito", "temperature_2m has 2 values, time has 3"),
    ("UNKNOWN_UNIT", "nairobi", "temperature_2m unit 'K'"),
])
def test_file_level_quarantine_keeps_source_and_raw_body(batch, reason, city, detail_part):
    row = quarantined(batch, reason)
    key = raw_key(D1, city, "b1")
    assert row["source_key"] == key
    assert row["city"] == city
    assert row["city_name"] == city.capitalize()
    assert detail_part in row["detail"]
    assert row["raw_values"] == fixture_text(key)  # short bodies are kept whole
    assert row["observed_at_raw"] is None
    assert row["date"] == D1
    assert row["fetched_at"] == datetime(2026, 5, 7, 6)
    assert row["run_id"] == "r1"
    assert row["quarantined_at"] == datetime(2026, 5, 9, 12)


def test_invalid_key_is_quarantined_under_the_processing_date(batch):
    row = quarantined(batch, "INVALID_KEY")
    assert row["source_key"] == f"{weather_etl_raw_prefix()}ingest_date={D1}/city=Bad_City/b1.json"
    assert row["city"] is None
    assert row["city_name"] == "Bad City"  # from the manifest entry
    assert row["date"] == PROCESSED_AT[:10]
    assert row["raw_values"] == fixture_text(row["source_key"])


def weather_etl_raw_prefix():
    return weather_etl.load_contract()["landing"]["rawPrefix"]


def test_row_level_quarantine_names_the_hour_and_keeps_its_raw_values(batch):
    key = raw_key(D1, "houston", "b1")
    unparsable = quarantined(batch, "UNPARSABLE_TIME")
    assert (unparsable["source_key"], unparsable["observed_at_raw"], unparsable["city"]) == (key, "yesterday", "houston")
    assert json.loads(unparsable["raw_values"])["temperature_2m"] == "80.0"

    empty = quarantined(batch, "NO_MEASUREMENT")
    assert (empty["source_key"], empty["observed_at_raw"]) == (key, "2026-05-07T03:00")

    out = quarantined(batch, "OUT_OF_RANGE")
    assert (out["source_key"], out["observed_at_raw"]) == (key, "2026-05-07T04:00")
    assert "temperature_c" in out["detail"]
    assert str(f_to_c(150.0))[:8] in out["detail"]  # 65.555… °C
    raw = json.loads(out["raw_values"])
    assert raw["temperature_2m"] == "150.0" and raw["units"]["temperature_2m"] == "°F"
    assert all(r["date"] == D1 and r["city_name"] == "Houston" for r in (unparsable, empty, out))


# ---- Re-runs and later batches on the same lake: same rows, no duplicates, latest fetch wins, untouched
# partitions never rewritten. In order: b1 (above), b1 again, b2 (newer fetch of Győr's 05-08 hours), b3 (older
# fetch of three of those hours, arriving last); then a prefix run over b2 + b3 together into a new lake.

GYOR_0508 = "date=2026-05-08/city=gyor/"
B1_GYOR_0508_00_05 = [13.3, 12.6, 12.1, 11.4, 11.0, 11.8]  # from the real response, hours 24 … 29
B2_GYOR_0508_00_05 = [13.5, 12.9, 12.4, 11.9, 11.6, 12.3]


@pytest.fixture(scope="module")
def lake(batch):
    return {"landing": batch["landing"], "refined": batch["refined"], "base": batch["refined"].parent}


def snapshot(spark, refined):
    contract = weather_etl.load_contract()
    hourly = read_table(spark, refined / "weather/hourly", weather_etl.hourly_schema(contract))
    quarantine_root = refined / "weather/quarantine"
    quarantine = read_table(spark, quarantine_root, weather_etl.quarantine_schema(contract)) \
        if quarantine_root.exists() else spark.createDataFrame([], weather_etl.quarantine_schema(contract))
    return {
        "hourly": sorted((tuple(sorted(r.asDict().items())) for r in hourly.collect()), key=repr),
        "quarantine": sorted((tuple(sorted(r.asDict().items())) for r in quarantine.collect()), key=repr),
        "hourly_files": parquet_files(refined / "weather/hourly"),
        "quarantine_files": parquet_files(refined / "weather/quarantine"),
    }


def without(rows, *names):
    return sorted((tuple((k, v) for k, v in row if k not in names) for row in rows), key=repr)


def gyor_temperatures(state, day="2026-05-08", hours=range(6)):
    by_hour = {}
    for row in state["hourly"]:
        r = dict(row)
        if r["city"] == "gyor" and r["date"] == day:
            by_hour[r["observed_at"]] = r
    return [by_hour[datetime(2026, 5, 8, h)]["temperature_c"] for h in hours], by_hour


@pytest.fixture(scope="module")
def states(spark, b1_sequence):
    """The sequence's states (etl_testkit.b1_sequence, shared with test_etl_zones: b1's r1, b1 again as r1 with
    nothing changed, b1 again as r1-again, b2, b3, each a frozen copy of the lake); every test reads the ones it needs."""
    out = {"after_b1": snapshot(spark, b1_sequence["b1"]["refined"])}
    for state, name in (("b1_new_id", "1_again"), ("b2", "2"), ("b3", "3")):
        out["s" + name] = b1_sequence[state]["summary"]
        out["after_b" + name] = snapshot(spark, b1_sequence[state]["refined"])
    # r1-again follows a rerun with the same run id, which changed nothing, byte for byte (test_etl_zones).
    assert b1_sequence["b1_same_id"]["summary"]["run_id"] == "r1" and out["s1_again"]["run_id"] == "r1-again"
    return out


def test_rerunning_a_batch_yields_the_same_rows_and_no_duplicates(states):
    first, again = states["after_b1"], states["after_b1_again"]
    assert len(again["hourly"]) == len(first["hourly"]) == 65
    # Identical apart from the run that wrote them.
    assert without(again["hourly"], "run_id") == without(first["hourly"], "run_id")
    assert {dict(r)["run_id"] for r in again["hourly"]} == {"r1-again"}
    assert len(again["quarantine"]) == len(first["quarantine"]) == 10  # replaced, not appended
    assert without(again["quarantine"], "run_id") == without(first["quarantine"], "run_id")
    assert states["s1_again"]["refined"] == 65 and states["s1_again"]["superseded"] == 0
    assert states["s1_again"]["replaced"] == 65  # every row of b1's first run, each by its own rerun
    assert states["s1_again"]["reconciled"]
    # Still one file per partition, the old ones replaced.
    assert len(again["hourly_files"]) == len(first["hourly_files"]) == 8
    assert set(again["hourly_files"]).isdisjoint(first["hourly_files"])


def test_newer_fetch_wins_and_only_its_partition_is_rewritten(states):
    before, after = states["after_b1_again"], states["after_b2"]
    summary = states["s2"]
    assert (summary["records_in"], summary["refined"], summary["superseded"], summary["quarantined"]) == (6, 6, 0, 0)
    assert summary["replaced"] == 6  # b1's six hours of Győr on 05-08
    assert summary["partitions"]["hourly"] == ["weather/hourly/" + GYOR_0508]
    temperatures, rows = gyor_temperatures(after)
    assert before != after
    assert temperatures == B2_GYOR_0508_00_05
    assert gyor_temperatures(before)[0] == B1_GYOR_0508_00_05
    assert {rows[datetime(2026, 5, 8, h)]["run_id"] for h in range(6)} == {"r2"}
    # The rest of that day still comes from b1, and nothing was lost or duplicated.
    assert {rows[datetime(2026, 5, 8, h)]["run_id"] for h in range(6, 24)} == {"r1-again"}
    assert len(after["hourly"]) == 65
    # Untouched partitions: same files, same modification times.
    untouched = {p: m for p, m in before["hourly_files"].items() if not p.startswith(GYOR_0508)}
    assert len(untouched) == 7
    assert {p: m for p, m in after["hourly_files"].items() if not p.startswith(GYOR_0508)} == untouched
    assert [p for p in after["hourly_files"] if p.startswith(GYOR_0508)] != \
        [p for p in before["hourly_files"] if p.startswith(GYOR_0508)]
    assert after["quarantine_files"] == before["quarantine_files"]  # b2 quarantined nothing


def test_an_older_fetch_arriving_later_is_superseded_and_rewrites_nothing(states):
    before, after = states["after_b2"], states["after_b3"]
    summary = states["s3"]
    assert (summary["records_in"], summary["refined"], summary["superseded"], summary["replaced"]) == (3, 0, 3, 0)
    assert summary["reconciled"] and summary["partitions_written"] == 0
    assert after == before


def test_the_lake_row_count_reconciles_with_the_run_summaries(states):
    # Each run changes the lake by refined - replaced rows: the lake's count is the sum over its summaries.
    runs = [("after_b1", "r1"), ("after_b1_again", "s1_again"), ("after_b2", "s2"), ("after_b3", "s3")]
    summaries = {"r1": {"refined": 65, "replaced": 0}, **{name: states[name] for _, name in runs[1:]}}
    total = 0
    for state, name in runs:
        total += summaries[name]["refined"] - summaries[name]["replaced"]
        assert len(states[state]["hourly"]) == total, (state, total)
    # Refined alone over-counts: 65 + 65 + 6 + 0 rows refined, 65 in the lake.
    assert sum(summaries[name]["refined"] for _, name in runs) == 136 and total == 65


def test_within_batch_duplicates_are_superseded(spark, lake):
    import os

    from etl_testkit import raw_key

    # No manifest: fetch times fall back to the objects' modification times.
    fetched = {"b2": datetime(2026, 5, 8, 6), "b3": datetime(2026, 5, 7, 12)}
    for batch, moment in fetched.items():
        seconds = (moment - datetime(1970, 1, 1)).total_seconds()
        os.utime(os.path.join(lake["landing"], raw_key("2026-05-08", "gyor", batch)), (seconds, seconds))
    refined = lake["base"] / "refined-prefix"
    summary = run_batch(spark, lake["landing"], refined, "p1", "--raw_prefix",
                        "weather/raw/source=open-meteo/ingest_date=2026-05-08/",
                        extra=("--cities_json", '{"gyor": "Győr"}'))
    # b2 (6 hours) and b3 (3 of those hours, fetched earlier) read together.
    assert (summary["files_read"], summary["records_in"], summary["refined"], summary["superseded"]) == (2, 9, 6, 3)
    assert summary["reconciled"]
    state = snapshot(spark, refined)
    assert gyor_temperatures(state)[0] == B2_GYOR_0508_00_05
    assert len(state["hourly"]) == 6
    assert {dict(r)["fetched_at"] for r in state["hourly"]} == {fetched["b2"]}
    assert {dict(r)["city_name"] for r in state["hourly"]} == {"Győr"}  # from --cities_json


# ---- One Parquet file per partition per run, whatever the session's AQE and file settings (issue #3).

def files_per_folder(folder):
    counts = {}
    for path in parquet_files(folder):
        counts[os.path.dirname(path)] = counts.get(os.path.dirname(path), 0) + 1
    return counts


@pytest.mark.parametrize("settings", [
    # What made the 100 cities x 30 days run write two files per partition: the hourly write's frame comes out of a
    # left-semi join on (date, city), planned as a sort-merge join, so Spark dropped `repartition(date, city)` as
    # redundant; AQE then made the join a broadcast join and read its probe side locally, one write task per map
    # partition of the ranked rows. There, AQE had coalesced those to 2 (the 2 cores); with coalescing off, the
    # fixture batch is enough to get the session's 2 shuffle partitions.
    {"spark.sql.adaptive.coalescePartitions.enabled": "false"},
    # A session or job setting that caps rows per file must not split a partition's file either.
    {"spark.sql.files.maxRecordsPerFile": "5"},
], ids=["aqe-local-shuffle-read", "max-records-per-file"])
def test_one_parquet_file_per_partition_whatever_the_session_settings(spark, tmp_path, settings):
    landing = copy_landing(tmp_path / "landing")
    with session_conf(spark, settings):
        summary = run_batch(spark, landing, tmp_path / "refined", "one-file", "--manifest_key", B1_MANIFEST)
    assert summary["reconciled"] and summary["refined"] == 65 and summary["partitions_written"] == 8
    hourly = files_per_folder(tmp_path / "refined/weather/hourly")
    assert len(hourly) == 8 and hourly == {folder: 1 for folder in hourly}, hourly
    quarantine = files_per_folder(tmp_path / "refined/weather/quarantine")
    assert quarantine == {"date=2026-05-07": 1, "date=2026-05-09": 1}


# ---- Reconciliation is checked before anything is written.

def test_a_batch_that_does_not_reconcile_writes_nothing(spark, tmp_path, monkeypatch):
    landing = copy_landing(tmp_path / "landing")
    refined = tmp_path / "refined"
    # A pipeline bug that loses the row-level quarantine (3 Houston hours): the counts no longer add up.
    original = weather_etl.row_quarantine
    monkeypatch.setattr(weather_etl, "row_quarantine", lambda validated, contract: original(validated, contract).limit(0))
    with pytest.raises(weather_etl.ReconciliationError, match=r"records_in 75 != refined 65 \+ quarantined 7 \+ superseded 0"):
        run_batch(spark, landing, refined, "bad", "--manifest_key", B1_MANIFEST)
    assert not refined.exists() or parquet_files(refined) == {}
    assert not (refined / "weather/run-summaries").exists()


# ---- --cities_json: the hours of a city that is not configured are quarantined, counted and reconciled.

def test_cities_not_configured_are_quarantined_counted_and_reconciled(spark, tmp_path):
    landing = copy_landing(tmp_path / "landing")
    refined = tmp_path / "refined"
    configured = {"gyor": "Győr", "salt-lake-city": "Salt Lake City", "saint-etienne": "Saint-Étienne",
                  "phoenix": "Phoenix", "houston": "Houston", "oslo": "Oslo", "lyon": "Lyon", "lima": "Lima",
                  "cairo": "Cairo", "quito": "Quito", "nairobi": "Nairobi"}  # every city of b1 but tokyo
    summary = run_batch(spark, landing, refined, "c1", "--manifest_key", B1_MANIFEST,
                        extra=("--cities_json", json.dumps(configured)))
    assert (summary["records_in"], summary["refined"], summary["quarantined"], summary["superseded"]) == (75, 62, 13, 0)
    assert summary["quarantined_by_reason"]["CITY_NOT_CONFIGURED"] == 3  # tokyo's three hours
    assert summary["reconciled"] is True
    assert "weather/hourly/date=2026-05-07/city=tokyo/" not in summary["partitions"]["hourly"]
    contract = weather_etl.load_contract()
    quarantine = read_table(spark, refined / "weather/quarantine", weather_etl.quarantine_schema(contract))
    tokyo = [r.asDict() for r in quarantine.where("reason = 'CITY_NOT_CONFIGURED'").collect()]
    assert sorted(r["observed_at_raw"] for r in tokyo) == ["1778112000", "1778115600", "1778119200"]
    assert {(r["city"], r["source_key"], r["date"]) for r in tokyo} == {("tokyo", raw_key(D1, "tokyo", "b1"), D1)}
    assert {r["detail"] for r in tokyo} == {"city tokyo is not one of the configured cities (--cities_json)"}
