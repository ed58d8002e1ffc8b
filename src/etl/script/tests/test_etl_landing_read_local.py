"""The raw files' read on a local landing zone (`read_raw_files`, rounds h15r and h15s): a local batch is read by the
driver with plain file reads, with the same rows as Spark's `binaryFile` source gives (path, length, body,
modification time), files gone since the listing named, and a whole batch refined into the same lake either way. The
driver's rows reach the JVM without Python workers, or through `createDataFrame` when PySpark's private converters
are missing."""

import os
import re
from pathlib import Path

import pytest
from py4j.protocol import Py4JError, Py4JJavaError

from etl_testkit import B1_MANIFEST, PROCESSED_AT, copy_landing, run_batch
from test_etl_landing_read_s3 import assert_refines_the_b1_lake, b1_keys, rows_by_key
import weather_etl


def scans_binary_files(frame):
    """Whether the frame's physical plan reads files with Spark's `binaryFile` source."""
    return "binaryFile" in frame._jdf.queryExecution().executedPlan().toString()  # noqa: SLF001


@pytest.fixture
def landing(tmp_path):
    return Path(copy_landing(tmp_path / "landing"))


def test_a_local_batch_is_read_by_the_driver_with_the_rows_of_sparks_source(spark, landing, monkeypatch):
    files = weather_etl.list_files(spark, str(landing), b1_keys())
    assert 0 < len([f for f in files if f[1] == 0]) < len(files), "the fixture batch has a zero-byte file"
    by_driver = weather_etl.read_raw_files(spark, files)
    assert not scans_binary_files(by_driver)
    # Above the byte bound: Spark's source.
    monkeypatch.setattr(weather_etl, "DRIVER_READ_MAX_BYTES", 0)
    by_spark = weather_etl.read_raw_files(spark, files)
    assert scans_binary_files(by_spark)

    assert by_driver.columns == by_spark.columns == ["path", "modificationTime", "length", "content"]
    assert by_driver.schema == by_spark.schema
    driver_rows = rows_by_key(by_driver, str(landing))
    assert driver_rows == rows_by_key(by_spark, str(landing))
    # Each file's length and time are those of the file read (as Spark's status call gives them).
    for key, (length, content, modified) in driver_rows.items():
        status = os.stat(landing / key)
        assert length == status.st_size == len(content)
        assert int(modified.timestamp() * 1000) == status.st_mtime_ns // 1_000_000, key


def test_local_files_gone_since_the_listing_are_named(spark, landing, monkeypatch):
    files = weather_etl.list_files(spark, str(landing), b1_keys())
    gone = sorted(path for path, length, _ in files if length > 0)[:2]
    for path in gone:
        os.remove(weather_etl._local_file(path))  # noqa: SLF001

    with pytest.raises(FileNotFoundError) as error:
        weather_etl.read_raw_files(spark, files)
    for path in gone:
        assert path in str(error.value)


def test_a_batch_read_by_sparks_source_refines_the_lake_of_the_drivers_read(spark, landing, b1_lake, tmp_path,
                                                                            monkeypatch):
    # Only the read changes (b1_lake's run read its files with the driver); the files are written by the driver in both.
    monkeypatch.setattr(weather_etl, "DRIVER_READ_MAX_BYTES", 0)
    refined = tmp_path / "refined"
    summary = run_batch(spark, landing, refined, "r1", "--manifest_key", B1_MANIFEST, processed_at=PROCESSED_AT)

    assert_refines_the_b1_lake(spark, summary, refined, b1_lake)


def test_run_reads_the_listing_it_is_handed_and_lists_nothing(spark, landing, b1_lake, tmp_path, monkeypatch):
    """`main()` lists a local batch before its session starts (`local_batch_input`) and hands that listing to `run()`,
    which reads its files without listing the batch again, and refines the lake of a run that lists."""
    refined = tmp_path / "refined"
    args, _ = weather_etl.parse_args(["--landing_uri", str(landing), "--refined_uri", str(refined), "--manifest_key",
                                      B1_MANIFEST, "--run_id", "r1", "--processed_at", PROCESSED_AT])
    listed = weather_etl.local_batch_input(args)
    assert listed is not None and len(listed[1]) == len(b1_keys())

    def listing(*_):
        raise AssertionError("run() listed the batch it was handed")

    monkeypatch.setattr(weather_etl, "batch_input", listing)
    monkeypatch.setattr(weather_etl, "list_files", listing)  # a manifest's keys' listing
    summary = weather_etl.run(spark, args, weather_etl.load_contract(args.contract_json), listed)
    assert_refines_the_b1_lake(spark, summary, refined, b1_lake)


def runs_python_code(frame):
    """Whether computing the frame runs Python code in Spark's Python workers: a `PythonRDD` in its RDD lineage (each
    line of Spark's debug string names an RDD's class and id, then its call site, which may be in PythonRDD.scala)."""
    lineage = frame._jdf.queryExecution().toRdd().toDebugString()  # noqa: SLF001
    return re.search(r"\bPythonRDD\[\d+\]", lineage) is not None


def test_the_driver_read_bodies_reach_the_jvm_without_python_workers(spark, landing, monkeypatch):
    files = weather_etl.list_files(spark, str(landing), b1_keys())
    by_driver = weather_etl.read_raw_files(spark, files)
    assert not runs_python_code(by_driver)
    # PySpark's own route from Python rows (what the hand-over falls back to) runs an identity map in Python workers.
    assert runs_python_code(spark.createDataFrame([("a", 1)], "path string, length long"))
    monkeypatch.setattr(weather_etl, "DRIVER_READ_MAX_BYTES", 0)
    assert not runs_python_code(weather_etl.read_raw_files(spark, [f for f in files if f[1] > 0]))  # binaryFile


def test_without_the_hand_over_the_rows_go_through_pysparks_own_route(spark, landing, monkeypatch):
    files = weather_etl.list_files(spark, str(landing), b1_keys())
    direct = rows_by_key(weather_etl.read_raw_files(spark, files), str(landing))

    def missing(*_args):  # as a PySpark build without the private converters would answer
        raise Py4JError("SerDeUtil.pythonToJava does not exist in the JVM")

    monkeypatch.setattr(weather_etl, "_java_rows_of", missing)
    fallen_back = weather_etl.read_raw_files(spark, files)
    assert runs_python_code(fallen_back)
    assert rows_by_key(fallen_back, str(landing)) == direct


def test_a_failure_in_the_jvm_is_raised_not_taken_for_a_missing_method(spark, landing, monkeypatch):
    files = weather_etl.list_files(spark, str(landing), b1_keys())
    monkeypatch.setattr(weather_etl, "_java_rows_of", lambda *_args: None)  # the JVM method gets no RDD and throws
    with pytest.raises(Py4JJavaError):
        weather_etl.read_raw_files(spark, files)


def test_the_private_api_rule_falls_back_only_for_a_missing_method(spark):
    """`_private_api_or`, the rule of both uses of PySpark's private API (`_frame_of_raw_rows`, `map_in_arrow`): the
    public route for a method that is not there, on either side of py4j; an error of a method that ran is raised."""
    jvm_session = spark._jsparkSession  # noqa: SLF001

    def public():
        return "public"

    assert weather_etl._private_api_or(lambda: "private", public) == "private"  # noqa: SLF001
    missing = [
        (Py4JError, lambda: jvm_session.noSuchMethodInThisSparkBuild()),  # the JVM has no such method
        (AttributeError, lambda: spark.sparkContext.no_such_private_helper),  # the Python name is gone
        (TypeError, lambda: weather_etl._java_rows_of(spark)),  # the signature changed  # noqa: SLF001
    ]
    for kind, private in missing:
        with pytest.raises(kind) as raised:
            private()
        assert not isinstance(raised.value, Py4JJavaError)
        assert weather_etl._private_api_or(private, public) == "public"  # noqa: SLF001

    def throws():  # the method exists and throws: not a missing method
        return jvm_session.applySchemaToPythonRDD(None, "not json")

    with pytest.raises(Py4JJavaError):
        weather_etl._private_api_or(throws, public)  # noqa: SLF001
    with pytest.raises(ValueError):  # nor is any other error
        weather_etl._private_api_or(lambda: int("61.7"), public)  # noqa: SLF001
