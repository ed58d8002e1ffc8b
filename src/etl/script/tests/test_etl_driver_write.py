"""Round h15p: a small local batch's files written by the driver's own Python (`written_files_by_driver`: each layer's
rows collected as Arrow record batches and written by the same `_arrow_file_writer`), with no Python daemon or worker;
larger batches, and scratch folders on S3, by the workers (`written_files`) as before. The same files either way,
byte for byte."""

import os

import weather_etl
from etl_testkit import B1_MANIFEST, copy_landing, file_bytes, run_batch, session_conf, small_frame


def by_folder(root):
    """Partition folder (or staging file) relative to `root` -> the bytes of its one file."""
    found = {}
    for relative, content in file_bytes(root).items():
        folder = os.path.dirname(relative)
        key = relative if "/staging/" in f"/{folder}/" else folder
        assert key not in found, key
        found[key] = content
    return found


def test_the_driver_writes_the_same_files_as_the_workers(spark, tmp_path):
    """Two days of three cities (one Spark escapes, one without a value) over three input partitions, in record
    batches of 5 rows (a partition spans five): the driver's files and the workers' are the same bytes at the same
    places; only the task number in their names differs."""
    layer = weather_etl.LayerWrite(small_frame(spark), "weather/hourly/", ["date", "city"], ["hour"])
    with session_conf(spark, {"spark.sql.execution.arrow.maxRecordsPerBatch": "5"}):
        workers = weather_etl.written_files([layer], str(tmp_path / "workers"), "w1").collect()
        driver = weather_etl.written_files_by_driver([layer], str(tmp_path / "driver"), "w1")
    assert len(driver) == len(workers) == 6
    assert sorted(os.path.dirname(place) for _, place in driver) == sorted(
        os.path.dirname(r["place"]) for r in workers)
    assert all(os.path.basename(path) == os.path.basename(place) for path, place in driver)
    written = {os.path.dirname(place): path for path, place in driver}
    for row in workers:
        with open(row["path"], "rb") as mine, open(written[os.path.dirname(row["place"])], "rb") as theirs:
            assert mine.read() == theirs.read(), row["place"]


def test_a_small_local_batch_is_written_by_the_driver_with_the_same_bytes_as_by_the_workers(spark, tmp_path,
                                                                                          monkeypatch):
    """b1 (a few raw objects) into two empty lakes, the same run id and processing time: with the workers' write made
    to fail, the run still writes every layer (the driver wrote them; main's script fails); with the bound at 0, the
    workers write it. Every partition's file, and every staging file, is the same bytes in both lakes."""
    landing = copy_landing(tmp_path / "landing")

    def no_workers(*args, **kwargs):
        raise AssertionError("a small local batch must not start the Python workers")

    with monkeypatch.context() as patch:
        patch.setattr(weather_etl, "written_files", no_workers)
        by_driver = run_batch(spark, landing, tmp_path / "driver", "r1", "--manifest_key", B1_MANIFEST)
    with monkeypatch.context() as patch:
        patch.setattr(weather_etl, "DRIVER_WRITE_MAX_FILES", 0)
        patch.setattr(weather_etl, "written_files_by_driver", no_workers)
        by_workers = run_batch(spark, landing, tmp_path / "workers", "r1", "--manifest_key", B1_MANIFEST)
    assert by_driver["reconciled"] and by_driver["partitions"] == by_workers["partitions"]
    driver, workers = by_folder(tmp_path / "driver" / "weather"), by_folder(tmp_path / "workers" / "weather")
    layers = {key.split("/")[0] for key in driver}
    assert {"hourly", "daily", "staging", "quarantine"} <= layers
    assert driver.keys() == workers.keys()
    assert [k for k in driver if driver[k] != workers[k]] == []
