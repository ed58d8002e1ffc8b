"""The fixed cost of a small batch (issue #15, round h15e): the settings the script sizes to the batch (one shuffle
partition and interpreted expressions for a small one) follow the batch's size, never change what is written, and
leave a setting of the job's own configuration alone; and the batch runs one Spark job fewer (no broadcast of the
manifest's entries). Timings are in bench/fixed_cost_profile.py and docs/PERFORMANCE.md, not here."""

import os
from contextlib import contextmanager

import pytest

from etl_testkit import B1_MANIFEST, B2_MANIFEST, copy_landing, run_batch, session_conf
from test_etl_speed_jobs import job_group
import weather_etl

SHUFFLE = weather_etl.SHUFFLE_PARTITIONS
MODE = "spark.sql.codegen.factoryMode"


@contextmanager
def as_a_job_without_these_settings(spark, monkeypatch, keys):
    """The test session's configuration sets the shuffle partitions and the evaluation mode (as a Glue `--conf`
    would, which the script keeps): for the block, the script sees `keys` as not set by the job's configuration, and
    the session holds Spark's defaults for them; everything is restored after."""
    configured = weather_etl._job_configured  # noqa: SLF001
    monkeypatch.setattr(weather_etl, "_job_configured", lambda session, key: key not in keys and configured(session, key))
    defaults = {SHUFFLE: weather_etl.SPARK_DEFAULT_SHUFFLE_PARTITIONS, MODE: "FALLBACK"}
    try:
        with session_conf(spark, {key: defaults[key] for key in keys}):
            yield
    finally:
        spark.conf.unset(weather_etl.AUTO_SETTINGS)
        monkeypatch.setattr(weather_etl, "_job_configured", configured)


def rows_per_partition_file(spark, refined):
    """Every Parquet file under `refined` (its folder, relative) -> its rows, sorted, as text."""
    files = {}
    for root, _, names in os.walk(refined):
        for name in names:
            if name.endswith(".parquet"):
                folder = os.path.relpath(root, refined)
                assert folder not in files, f"two Parquet files in {folder}"
                rows = spark.read.parquet(os.path.join(root, name)).collect()
                files[folder] = sorted(repr(sorted(row.asDict().items())) for row in rows)
    return files


def test_batch_settings_follow_the_batch_size():
    cores = weather_etl.shuffle_partitions(None, 2)
    small = weather_etl.batch_settings(3, cores)
    assert small == {SHUFFLE: "1", MODE: "NO_CODEGEN"}
    assert weather_etl.batch_settings(weather_etl.SMALL_BATCH_MAX_FILES, cores)[SHUFFLE] == "1"
    medium = weather_etl.batch_settings(weather_etl.SMALL_BATCH_MAX_FILES + 1, cores)
    assert medium[SHUFFLE] == cores == "4"
    assert medium[MODE] == ("NO_CODEGEN" if weather_etl.SMALL_BATCH_MAX_FILES + 1 <= weather_etl.INTERPRETED_MAX_FILES
                            else "FALLBACK")
    assert weather_etl.batch_settings(weather_etl.INTERPRETED_MAX_FILES, cores)[MODE] == "NO_CODEGEN"
    assert weather_etl.batch_settings(weather_etl.INTERPRETED_MAX_FILES + 1, cores) == {SHUFFLE: "4", MODE: "FALLBACK"}


def test_a_run_sizes_the_session_to_its_batch_and_a_later_run_to_its_own(spark, tmp_path, monkeypatch):
    landing = copy_landing(tmp_path / "landing")
    with as_a_job_without_these_settings(spark, monkeypatch, {SHUFFLE, MODE}):
        summary = run_batch(spark, landing, tmp_path / "refined", "sized-1", "--manifest_key", B1_MANIFEST)
        assert summary["reconciled"] and summary["files_read"] <= weather_etl.SMALL_BATCH_MAX_FILES
        assert (spark.conf.get(SHUFFLE), spark.conf.get(MODE)) == ("1", "NO_CODEGEN")
        # The same session, a batch the script takes for a large one: its values are replaced, not kept as if set
        # by someone else.
        monkeypatch.setattr(weather_etl, "SMALL_BATCH_MAX_FILES", 0)
        monkeypatch.setattr(weather_etl, "INTERPRETED_MAX_FILES", 0)
        later = run_batch(spark, landing, tmp_path / "refined", "sized-2", "--manifest_key", B2_MANIFEST)
        assert later["reconciled"]
        assert (spark.conf.get(SHUFFLE), spark.conf.get(MODE)) == ("4", "FALLBACK")


def test_the_job_configuration_wins_over_the_batch_size(spark, tmp_path, monkeypatch):
    # This session's configuration sets both (builder: shuffle partitions 2, interpreted or generated code per
    # ETL_TEST_CODEGEN_FACTORY_MODE), as Glue job parameters `--conf ...` would: kept whatever the batch.
    assert spark.sparkContext.getConf().contains(SHUFFLE) and spark.sparkContext.getConf().contains(MODE)
    mode = spark.conf.get(MODE)
    assert weather_etl.size_session_to_batch(spark, 3) == {}
    assert (spark.conf.get(SHUFFLE), spark.conf.get(MODE)) == ("2", mode)
    # A value set on the session before the run (not by the script) is kept too.
    with as_a_job_without_these_settings(spark, monkeypatch, {SHUFFLE}):
        with session_conf(spark, {SHUFFLE: "3"}):
            weather_etl.configure_session(spark)
            assert weather_etl.size_session_to_batch(spark, 3) == {}
            assert spark.conf.get(SHUFFLE) == "3"


def test_the_small_batch_settings_write_the_same_rows_as_the_defaults(spark, tmp_path, monkeypatch):
    landing = copy_landing(tmp_path / "landing")
    written = {}
    for name, small, large in (("small", 10_000, 10_000), ("default", 0, 0)):
        monkeypatch.setattr(weather_etl, "SMALL_BATCH_MAX_FILES", small)
        monkeypatch.setattr(weather_etl, "INTERPRETED_MAX_FILES", large)
        with as_a_job_without_these_settings(spark, monkeypatch, {SHUFFLE, MODE}):
            refined = tmp_path / name
            run_batch(spark, landing, refined, "same-rows", "--manifest_key", B1_MANIFEST)
            run_batch(spark, landing, refined, "same-rows-2", "--manifest_key", B2_MANIFEST)
            written[name] = (spark.conf.get(SHUFFLE), spark.conf.get(MODE), rows_per_partition_file(spark, refined))
    assert written["small"][:2] == ("1", "NO_CODEGEN") and written["default"][:2] == ("4", "FALLBACK")
    small, default = written["small"][2], written["default"][2]
    assert {folder.split("/")[1] for folder in small} >= {"hourly", "daily", "staging", "quarantine"}
    assert small == default


def test_manifest_entries_and_cities_give_the_same_columns_looked_up_in_a_map_or_joined(spark, monkeypatch):
    root = "/landing"
    key = "weather/raw/source=open-meteo/ingest_date=2026-05-07/city={}/b1.json"
    files = spark.createDataFrame(
        [(f"file:{root}/{key.format(city)}", 0, bytearray()) for city in ("gyor", "lyon", "oslo")] + [("elsewhere", 0, bytearray())],
        "path string, length long, content binary").selectExpr(
        "path", "timestamp_millis(1778130000000) AS modificationTime", "length", "content")
    keyed = weather_etl.with_landing_key(files, root, weather_etl.load_contract())
    manifest = {"written": [
        {"key": key.format("gyor"), "cityName": "Győr", "fetchedAt": "2026-05-07T06:00:00.000Z"},
        {"key": key.format("gyor"), "cityName": "second entry, ignored", "fetchedAt": "2026-05-08T06:00:00.000Z"},
        {"key": key.format("lyon"), "cityName": None, "fetchedAt": "not a time"},
        {"cityName": "no key"}]}
    entries = weather_etl.manifest_entries_of(manifest)
    cities = weather_etl.configured_cities([{"slug": "gyor", "name": "Gyor (configured)"}, {"slug": "oslo", "name": None},
                                            {"slug": "gyor", "name": "second name, ignored"}])

    def provenance():
        out = weather_etl.with_provenance(keyed, entries, cities)
        return sorted(tuple(row) for row in out.select("source_key", "city_name", "fetched_at", "city_configured").collect())

    looked_up = provenance()
    monkeypatch.setattr(weather_etl, "LOOKUP_MAP_MAX_ENTRIES", 0)
    joined = provenance()
    assert looked_up == joined
    by_key = {row[0]: row[1:] for row in looked_up}
    assert by_key[key.format("gyor")][0] == "Győr" and by_key[key.format("gyor")][2] is True
    assert by_key[key.format("lyon")][0] == "lyon" and by_key[key.format("lyon")][2] is False
    assert by_key[key.format("oslo")][0] == "oslo" and by_key[key.format("oslo")][2] is True
    assert by_key["elsewhere"][2] is False


def test_a_manifest_batch_runs_no_broadcast_job(spark, tmp_path):
    # The fixture batch b1 writes all four layers: one job each, plus the partition keys that decide what to read
    # from the lake and the one collect of every count. The manifest's entries (and configured cities) are a literal
    # map looked up per file, not a broadcast join (a job of its own: 7 jobs before this round).
    landing = copy_landing(tmp_path / "landing")
    with job_group(spark) as jobs:
        summary = run_batch(spark, landing, tmp_path / "refined", "jobs-1", "--manifest_key", B1_MANIFEST,
                            extra=("--cities_json", '{"gyor": "Győr", "saint-etienne": "Saint-Étienne"}'))
        count = jobs()
    assert summary["reconciled"] and summary["refined"] > 0
    assert all(summary["partitions"][layer] for layer in ("hourly", "daily", "staging", "quarantine"))
    assert count <= 6, count


@contextmanager
def py4j_calls():
    """Counts the calls from Python to the JVM (py4j commands) made in the block; yields a function returning the
    count so far, or with a method name, the count of calls of that method."""
    import py4j.clientserver
    import py4j.java_gateway

    count = [0]
    by_method = {}
    originals = {}
    for cls in (py4j.clientserver.ClientServerConnection, py4j.java_gateway.GatewayConnection):
        originals[cls] = cls.send_command

        def send_command(self, command, *args, _original=cls.send_command, **kwargs):
            count[0] += 1
            parts = command.split("\n")
            if len(parts) > 2:  # a method call: command, target object, method name, ...
                by_method[parts[2]] = by_method.get(parts[2], 0) + 1
            return _original(self, command, *args, **kwargs)

        cls.send_command = send_command
    try:
        yield lambda method=None: count[0] if method is None else by_method.get(method, 0)
    finally:
        for cls, original in originals.items():
            cls.send_command = original


def test_a_batch_builds_its_plan_with_few_calls_to_the_jvm(spark, tmp_path):
    # Round h15g: the steps' wide per-variable expressions are SQL text, one py4j call per column and one projection
    # per step, where the Column API made a call per function, operator and literal. The fixture batch b1 (all four
    # layers, file- and hour-level quarantine) made 9,079-9,235 calls per run before (main 3bf8de9's script, runs
    # after the first in one session) and 2,008-2,176 after: a count, not a time (each call is a round trip to the
    # driver JVM, and most build or analyse a plan).
    landing = copy_landing(tmp_path / "landing")
    run_batch(spark, landing, tmp_path / "warm-up", "calls-0", "--manifest_key", B1_MANIFEST)  # schemas cached etc.
    with py4j_calls() as calls:
        summary = run_batch(spark, landing, tmp_path / "refined", "calls-1", "--manifest_key", B1_MANIFEST)
        count, checkpoints = calls(), calls("localCheckpoint")
    assert summary["reconciled"] and all(summary["partitions"][layer] for layer in ("hourly", "daily", "staging", "quarantine"))
    assert count <= 3000, count
    # Each local checkpoint plans its query when defined: the parsed files, the validated hours, the ranked hours
    # (a batch into an empty lake; 4 before: the daily recompute's rows had one of their own, for a self-join).
    assert checkpoints <= 3, checkpoints


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__, "-q"]))
