"""Re-runs and later batches: same rows, no duplicates, latest fetch wins, untouched partitions never rewritten.

One refined lake evolves through the module, in order: b1, b1 again, b2 (newer fetch of Győr's 05-08 hours),
b3 (older fetch of three of those hours, arriving last); then a prefix run over b2 + b3 together.
"""

from datetime import datetime

import pytest

from conftest import B1_MANIFEST, B2_MANIFEST, B3_MANIFEST, copy_landing, parquet_files, read_table, run_batch
import weather_etl

GYOR_0508 = "date=2026-05-08/city=gyor/"
B1_GYOR_0508_00_05 = [13.3, 12.6, 12.1, 11.4, 11.0, 11.8]  # from the real response, hours 24 … 29
B2_GYOR_0508_00_05 = [13.5, 12.9, 12.4, 11.9, 11.6, 12.3]


@pytest.fixture(scope="module")
def lake(spark, tmp_path_factory):
    base = tmp_path_factory.mktemp("lake")
    return {"landing": copy_landing(base / "landing"), "refined": base / "refined", "base": base}


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
def states(spark, lake):
    """Runs the sequence once; every test reads the states it needs."""
    out = {}
    out["s1"] = run_batch(spark, lake["landing"], lake["refined"], "r1", "--manifest_key", B1_MANIFEST)
    out["after_b1"] = snapshot(spark, lake["refined"])
    out["s1_again"] = run_batch(spark, lake["landing"], lake["refined"], "r1-again", "--manifest_key", B1_MANIFEST)
    out["after_b1_again"] = snapshot(spark, lake["refined"])
    out["s2"] = run_batch(spark, lake["landing"], lake["refined"], "r2", "--manifest_key", B2_MANIFEST)
    out["after_b2"] = snapshot(spark, lake["refined"])
    out["s3"] = run_batch(spark, lake["landing"], lake["refined"], "r3", "--manifest_key", B3_MANIFEST)
    out["after_b3"] = snapshot(spark, lake["refined"])
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
    assert states["s1_again"]["reconciled"]
    # Still one file per partition, the old ones replaced.
    assert len(again["hourly_files"]) == len(first["hourly_files"]) == 8
    assert set(again["hourly_files"]).isdisjoint(first["hourly_files"])


def test_newer_fetch_wins_and_only_its_partition_is_rewritten(states):
    before, after = states["after_b1_again"], states["after_b2"]
    summary = states["s2"]
    assert (summary["records_in"], summary["refined"], summary["superseded"], summary["quarantined"]) == (6, 6, 0, 0)
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
    assert (summary["records_in"], summary["refined"], summary["superseded"]) == (3, 0, 3)
    assert summary["reconciled"] and summary["partitions_written"] == 0
    assert after == before


def test_within_batch_duplicates_are_superseded(spark, lake):
    import os

    from conftest import raw_key

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
