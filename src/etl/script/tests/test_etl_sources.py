"""Two sources in one lake: Open-Meteo and MET Norway Locationforecast 2.0 bodies refined by one run into one hourly
table (rows side by side, `source` on each), exact reconciliation, MET Norway's edge cases quarantined with their
reasons, reruns idempotent, latest fetch wins per (source, city, hour), and Open-Meteo output unchanged by the
second source.

The MET Norway bodies are fixtures/met-norway (see its README); expected values are worked out by hand from them
(m/s × 3.6 = km/h).
"""

import json
import os
import shutil
from datetime import datetime

import pytest

from etl_testkit import B1_MANIFEST, copy_lake, read_table, run_batch
from two_source_landing import ALL_SOURCES_CONTRACT, DAY, MS_TO_KMH, later_met_oslo, raw_key, two_source_landing
import weather_etl


def contract_args():
    with open(ALL_SOURCES_CONTRACT, encoding="utf-8") as handle:
        return ("--contract_json", handle.read())


def hourly_rows(spark, refined, contract):
    frame = read_table(spark, refined / "weather/hourly", weather_etl.hourly_schema(contract))
    return {(r["source"], r["city"], r["observed_at"]): r.asDict() for r in frame.collect()}, frame.count()


@pytest.fixture(scope="module")
def lake(spark, tmp_path_factory):
    base = tmp_path_factory.mktemp("sources")
    landing = str(base / "landing")
    m1 = two_source_landing(landing)
    refined = base / "refined"
    contract = weather_etl.load_contract(contract_args()[1])
    first = run_batch(spark, landing, refined, "r1", "--manifest_key", m1, extra=contract_args())
    rows1, count1 = hourly_rows(spark, refined, contract)
    staged = [r.asDict() for r in read_table(spark, refined / "weather/staging", weather_etl.staging_schema(contract)).collect()]
    quarantine = [r.asDict() for r in read_table(spark, refined / "weather/quarantine", weather_etl.quarantine_schema(contract)).collect()]
    rerun = run_batch(spark, landing, refined, "r1", "--manifest_key", m1, extra=contract_args())
    rows_rerun, count_rerun = hourly_rows(spark, refined, contract)
    m2 = later_met_oslo(landing)
    later = run_batch(spark, landing, refined, "r2", "--manifest_key", m2, extra=contract_args())
    rows2, count2 = hourly_rows(spark, refined, contract)
    return {"first": first, "rows1": rows1, "count1": count1, "staged": staged, "quarantine": quarantine, "rerun": rerun,
            "rows_rerun": rows_rerun, "count_rerun": count_rerun, "later": later, "rows2": rows2, "count2": count2}


def test_first_run_reconciles_exactly(lake):
    summary = lake["first"]
    # 7 files: Open-Meteo Oslo 7 hours; MET Oslo 7, Bergen 3, Tromsø 6 steps; 3 MET files rejected whole (1 each).
    assert summary["files_read"] == 7
    assert summary["records_in"] == 7 + 7 + 3 + 6 + 3
    # Tromsø keeps 2 of its 6 steps (the good one, the one without next_1_hours).
    assert summary["refined"] == 7 + 7 + 3 + 2
    assert summary["quarantined_by_reason"] == {
        "MALFORMED_JSON": 1, "MISSING_HOURLY": 1, "UNKNOWN_UNIT": 1,
        "MISSING_INSTANT_DETAILS": 1, "UNKNOWN_SYMBOL_CODE": 1, "OUT_OF_RANGE": 1, "UNPARSABLE_TIME": 1}
    assert summary["quarantined"] == 7
    assert summary["superseded"] == 0
    assert summary["reconciled"] is True
    assert summary["hourly_sources"] == ["met-norway", "open-meteo"]
    assert summary["partitions"]["hourly"] == [
        f"weather/hourly/date={DAY}/city=bergen/", f"weather/hourly/date={DAY}/city=oslo/",
        f"weather/hourly/date={DAY}/city=tromso/"]


def test_hourly_partitions_are_listed_per_source(lake):
    """`partitions.hourly_by_source`: per source, the hourly partitions where a row of that source from this batch won
    its hour (the monitoring's freshness per source and city reads it)."""
    oslo, bergen, tromso = (f"weather/hourly/date={DAY}/city={c}/" for c in ("oslo", "bergen", "tromso"))
    assert lake["first"]["partitions"]["hourly_by_source"] == {"met-norway": [bergen, oslo, tromso], "open-meteo": [oslo]}
    # A rerun of the same batch rewrites the same partitions; the later MET Norway fetch of Oslo touches only MET Norway.
    assert lake["rerun"]["partitions"]["hourly_by_source"] == lake["first"]["partitions"]["hourly_by_source"]
    assert lake["later"]["partitions"]["hourly_by_source"] == {"met-norway": [oslo]}
    assert lake["later"]["partitions"]["hourly"] == [oslo]


# The monitoring's freshness test (test/monitoring/freshness-sources.test.ts) reads this run's summary from there.
MONITORING_SUMMARY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..",
                                  "test", "monitoring", "fixtures", "run-summary-two-sources.json")


def test_the_monitoring_tests_read_this_runs_summary(lake):
    """The fixture is the first run's summary as the ETL wrote it; only the clock times and the landing folder differ."""
    def stable(summary):
        kept = {k: v for k, v in summary.items() if k not in ("started_at", "finished_at", "duration_seconds")}
        return {**kept, "input": {k: v for k, v in summary["input"].items() if k != "landing_uri"}}
    with open(MONITORING_SUMMARY, encoding="utf-8") as handle:
        assert stable(lake["first"]) == stable(json.load(handle))


def test_both_sources_side_by_side_in_one_partition(lake):
    rows, count = lake["rows1"], lake["count1"]
    assert count == 19 == len(rows)
    oslo = sorted(k for k in rows if k[1] == "oslo")
    hours = [datetime(2026, 5, 7, h) for h in range(6, 13)]
    assert oslo == sorted([("met-norway", "oslo", h) for h in hours] + [("open-meteo", "oslo", h) for h in hours])
    assert {r["source"] for r in rows.values()} == {"open-meteo", "met-norway"}


def test_met_norway_values_are_mapped_and_converted(lake):
    rows = lake["rows1"]
    first = rows[("met-norway", "oslo", datetime(2026, 5, 7, 6))]
    assert first["temperature_c"] == 9.4
    assert first["wind_speed_kmh"] == pytest.approx(3.1 * MS_TO_KMH, abs=1e-9)
    assert first["wind_direction_deg"] == 201.6
    assert first["relative_humidity_pct"] == 71.3
    assert first["cloud_cover_pct"] == 78.1
    assert first["sea_level_pressure_hpa"] == 1016.2
    assert first["precipitation_next_1h_mm"] == 0.0
    assert first["symbol_code"] == "partlycloudy_day"
    assert first["weather_code"] == 2
    # Not pretended: MET Norway has neither surface pressure nor the preceding hour's precipitation.
    assert first["surface_pressure_hpa"] is None and first["precipitation_mm"] is None
    assert (first["latitude"], first["longitude"], first["elevation"]) == (59.9139, 10.7522, 6.0)
    assert first["city_name"] == "Oslo"
    assert first["fetched_at"] == datetime(2026, 5, 7, 5, 40)
    assert first["is_forecast"] is True
    assert first["source_key"] == raw_key("met-norway", "oslo", "m1")
    by_hour = {k[2].hour: r for k, r in rows.items() if k[:2] == ("met-norway", "oslo")}
    assert [by_hour[h]["weather_code"] for h in range(6, 13)] == [2, 3, 61, 63, None, 95, None]
    assert [by_hour[h]["symbol_code"] for h in range(6, 13)] == [
        "partlycloudy_day", "cloudy", "lightrain", "rain", "lightsleet", "rainshowersandthunder_day", None]
    assert [by_hour[h]["precipitation_next_1h_mm"] for h in range(6, 13)] == [0.0, 0.0, 0.3, 1.2, 0.4, 0.2, None]
    # The complete product's extra fields are ignored; heavy rain and fog map to 65 and 45.
    bergen = sorted((k[2], r) for k, r in rows.items() if k[1] == "bergen")
    assert [r["weather_code"] for _, r in bergen] == [65, 63, 45]
    assert [r["wind_speed_kmh"] for _, r in bergen] == pytest.approx([6.2 * MS_TO_KMH, 7.9 * MS_TO_KMH, 8.5 * MS_TO_KMH], abs=1e-9)


def test_open_meteo_rows_keep_their_meaning(lake):
    row = lake["rows1"][("open-meteo", "oslo", datetime(2026, 5, 7, 9))]
    assert (row["temperature_c"], row["precipitation_mm"], row["surface_pressure_hpa"], row["weather_code"]) == (12.0, 0.8, 1012.3, 63)
    assert row["sea_level_pressure_hpa"] is None and row["precipitation_next_1h_mm"] is None and row["symbol_code"] is None


def test_met_norway_edge_cases_are_refined_or_quarantined_with_reasons(lake):
    tromso = {k[2].hour: r for k, r in lake["rows1"].items() if k[1] == "tromso"}
    assert sorted(tromso) == [6, 8]
    assert tromso[6]["symbol_code"] == "snowshowers_polartwilight" and tromso[6]["weather_code"] is None
    # No next_1_hours in mid-series: the instant values are refined, the hour-ahead ones are null.
    assert tromso[8]["temperature_c"] == 2.9
    assert tromso[8]["precipitation_next_1h_mm"] is None and tromso[8]["symbol_code"] is None
    by_reason = {q["reason"]: q for q in lake["quarantine"]}
    assert by_reason["MISSING_INSTANT_DETAILS"]["observed_at_raw"] == "2026-05-07T07:00:00Z"
    assert by_reason["MISSING_INSTANT_DETAILS"]["detail"] == "time step has no data.instant.details"
    # The raw values of a rejected hour are the time step as MET Norway sent it.
    assert json.loads(by_reason["MISSING_INSTANT_DETAILS"]["raw_values"]) == {
        "time": "2026-05-07T07:00:00Z", "data": {"instant": {}, "next_1_hours": {
            "summary": {"symbol_code": "snow"}, "details": {"precipitation_amount": 0.8}}}}
    assert by_reason["UNKNOWN_SYMBOL_CODE"]["detail"] == 'symbol code ["sandstorm_day"] is not in the met-norway mapping table'
    assert by_reason["OUT_OF_RANGE"]["detail"] == "wind_speed_kmh=900.0 outside [0, 500]"
    assert by_reason["UNPARSABLE_TIME"]["observed_at_raw"] == "2026-05-07T11:00:00"
    assert by_reason["UNKNOWN_UNIT"]["city"] == "drammen"
    assert by_reason["UNKNOWN_UNIT"]["detail"] == "wind_speed unit 'knots' not in [\"m/s\"]"
    assert by_reason["MISSING_HOURLY"]["city"] == "hamar"
    assert by_reason["MALFORMED_JSON"]["city"] == "stavanger"


def test_rerun_is_idempotent(lake):
    assert lake["count_rerun"] == lake["count1"]
    strip = lambda rows: {k: {c: v for c, v in r.items() if c != "processed_at"} for k, r in rows.items()}  # noqa: E731
    assert strip(lake["rows_rerun"]) == strip(lake["rows1"])
    assert lake["rerun"]["reconciled"] is True
    assert lake["rerun"]["refined"] == 19 and lake["rerun"]["replaced"] == 19


def test_latest_fetch_wins_per_source(lake):
    later = lake["later"]
    assert (later["records_in"], later["refined"], later["superseded"], later["replaced"]) == (7, 7, 0, 7)
    assert later["reconciled"] is True
    rows = lake["rows2"]
    assert lake["count2"] == 19
    met = rows[("met-norway", "oslo", datetime(2026, 5, 7, 6))]
    assert (met["temperature_c"], met["run_id"], met["fetched_at"]) == (10.4, "r2", datetime(2026, 5, 7, 6, 40))
    # The Open-Meteo rows of the same city and hours are untouched by the newer MET Norway fetch.
    for h in range(6, 13):
        assert rows[("open-meteo", "oslo", datetime(2026, 5, 7, h))] == lake["rows_rerun"][("open-meteo", "oslo", datetime(2026, 5, 7, h))]


def test_open_meteo_output_is_the_same_with_both_sources_configured(spark, tmp_path, b1_lake):
    """Batch b1 (Open-Meteo only) refined with the default and with the two-source contract: the same rows. The
    default run is the session's (etl_testkit.b1_lake: r1 of b1 into a fresh lake); the other reads its landing."""
    landing = b1_lake["landing"]
    results = []
    for name, extra in (("default", ()), ("both", contract_args())):
        if name == "default":
            refined, summary = b1_lake["refined"], b1_lake["summary"]
        else:
            refined = tmp_path / name
            summary = run_batch(spark, landing, refined, "r1", "--manifest_key", B1_MANIFEST, extra=extra)
        contract = weather_etl.load_contract(extra[1] if extra else None)
        frame = read_table(spark, refined / "weather/hourly", weather_etl.hourly_schema(contract))
        results.append(({k: v for k, v in summary.items() if k not in ("started_at", "finished_at", "duration_seconds")},
                        sorted(tuple(r) for r in frame.collect())))
    assert results[0] == results[1]
    rows = results[0][1]
    assert len(rows) == 65
    schema = weather_etl.hourly_schema(weather_etl.load_contract())
    source = schema.fieldNames().index("source")
    assert {r[source] for r in rows} == {"open-meteo"}
    partitions = results[0][0]["partitions"]
    assert len(partitions["hourly"]) > 1
    assert partitions["hourly_by_source"] == {"open-meteo": partitions["hourly"]}


def test_lake_rows_written_before_sources_count_as_open_meteo(spark, tmp_path, b1_lake):
    """A partition written before refined rows had a `source` column: its rows are Open-Meteo's, so a new
    Open-Meteo fetch of the same hours replaces them instead of adding a second row per hour."""
    lake = copy_lake(b1_lake, tmp_path)  # b1's r1, the session's; this test rewrites its hourly table
    landing, refined = lake["landing"], lake["refined"]
    contract = weather_etl.load_contract()
    hourly = refined / "weather/hourly"
    legacy = read_table(spark, hourly, weather_etl.hourly_schema(contract)).drop("source")
    old = tmp_path / "old"
    legacy.write.partitionBy("date", "city").parquet(str(old))
    shutil.rmtree(hourly)
    shutil.move(str(old), str(hourly))
    summary = run_batch(spark, landing, refined, "r2", "--manifest_key", B1_MANIFEST)
    rows = read_table(spark, hourly, weather_etl.hourly_schema(contract))
    assert rows.count() == 65
    assert {r["source"] for r in rows.select("source").distinct().collect()} == {"open-meteo"}
    assert summary["replaced"] == 65


def test_a_source_the_contract_does_not_list_is_quarantined_as_an_invalid_key(spark, tmp_path):
    """The same two-source batch with the default (Open-Meteo only) contract: MET Norway's keys do not match the raw
    key pattern, so its six files are quarantined whole, and the Open-Meteo hours are refined as before."""
    landing = str(tmp_path / "landing")
    manifest = two_source_landing(landing)
    summary = run_batch(spark, landing, tmp_path / "refined", "r1", "--manifest_key", manifest)
    assert (summary["records_in"], summary["refined"], summary["quarantined_by_reason"]) == (7 + 6, 7, {"INVALID_KEY": 6})
    assert summary["hourly_sources"] == ["open-meteo"] and summary["reconciled"] is True


def test_staging_keeps_each_source_with_its_own_columns(lake):
    staged = {(r["source"], r["city"], r["observed_at"]): r for r in lake["staged"]}
    assert len(staged) == len(lake["staged"]) == 19  # one fetch of each refined hour
    met = staged[("met-norway", "oslo", datetime(2026, 5, 7, 6))]
    assert (met["batch_id"], met["symbol_code"], met["sea_level_pressure_hpa"], met["precipitation_next_1h_mm"]) == (
        "m1", "partlycloudy_day", 1016.2, 0.0)
    om = staged[("open-meteo", "oslo", datetime(2026, 5, 7, 6))]
    assert (om["batch_id"], om["symbol_code"], om["surface_pressure_hpa"]) == ("m1", None, 1013.4)
