"""How many Spark jobs a batch runs (issue #15): the run's time is per job, not per row, so the count is the
load-independent measure of the driver's path. Timings are in bench/ and docs/PERFORMANCE.md, not here."""

import os

import pytest

from etl_testkit import B1_MANIFEST, copy_landing, job_group, run_batch  # noqa: F401  (job_group: test_etl_fixed_cost)
import weather_etl


def files_per_folder(folder):
    counts = {}
    for root, _, files in os.walk(folder):
        parquet = [name for name in files if name.endswith(".parquet")]
        if parquet:
            counts[root] = len(parquet)
    return counts


def test_a_batch_runs_one_job_per_write_plus_three(b1_lake, b1_sequence):
    # The fixture batch b1 writes all four layers (hourly, daily, staging, quarantine): one job each, plus the
    # partition keys that decide what to read from the lake, the one collect of every count, and the broadcast of
    # the manifest's entries. Before issue #15 the same batch ran 39 jobs (a collect per count, AQE's job per shuffle
    # stage, broadcast joins with the touched keys). That run into an empty lake is the session's
    # (etl_testkit.b1_lake, which counts the jobs of its run).
    summary, first = b1_lake["summary"], b1_lake["jobs"]
    assert summary["reconciled"] and summary["refined"] == 65 and summary["quarantined"] > 0
    assert all(summary["partitions"][layer] for layer in ("hourly", "daily", "staging", "quarantine"))
    assert 0 < first <= 7, first
    # A later batch over a lake holding b1 also reads what the touched partitions hold: the daily and quarantine
    # merges are materialized before their writes replace the folders they read (one job each, plus the broadcast of
    # the touched days for the daily merge). That run is the session's too (etl_testkit.b1_sequence: b2 over b1's
    # partitions, which counts the jobs of each run).
    later, second = b1_sequence["b2"]["summary"], b1_sequence["b2"]["jobs"]
    assert later["run_id"] == "r2" and later["reconciled"] and later["refined"] == 6
    assert 0 < second <= 10, second


def test_adaptive_execution_is_off_unless_the_job_configuration_sets_it(spark, tmp_path):
    # The test session's configuration does not set it, as a Glue job without `--conf spark.sql.adaptive.enabled`.
    assert not spark.sparkContext.getConf().contains(weather_etl.ADAPTIVE)
    with_it = spark.conf.get(weather_etl.ADAPTIVE)
    try:
        spark.conf.set(weather_etl.ADAPTIVE, "true")
        weather_etl.configure_session(spark)
        assert spark.conf.get(weather_etl.ADAPTIVE) == "false"
    finally:
        spark.conf.set(weather_etl.ADAPTIVE, with_it)


def test_one_parquet_file_per_partition_with_adaptive_execution_on(spark, tmp_path, monkeypatch):
    # A Glue job may turn adaptive execution back on (`--conf spark.sql.adaptive.enabled=true`): the writes still
    # give one file per partition, with AQE's local shuffle read condition of issue #3 (coalescing off).
    original = weather_etl.configure_session

    def with_adaptive(session):
        original(session)
        session.conf.set(weather_etl.ADAPTIVE, "true")
        session.conf.set("spark.sql.adaptive.coalescePartitions.enabled", "false")

    monkeypatch.setattr(weather_etl, "configure_session", with_adaptive)
    landing = copy_landing(tmp_path / "landing")
    try:
        summary = run_batch(spark, landing, tmp_path / "refined", "aqe-on", "--manifest_key", B1_MANIFEST)
    finally:
        spark.conf.unset("spark.sql.adaptive.coalescePartitions.enabled")
        spark.conf.set(weather_etl.ADAPTIVE, "false")
    assert summary["reconciled"] and summary["refined"] == 65 and summary["partitions_written"] == 8
    for layer in ("hourly", "daily", "staging", "quarantine"):
        counts = files_per_folder(tmp_path / "refined" / "weather" / layer)
        assert counts and set(counts.values()) == {1}, (layer, counts)


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__, "-q"]))
