"""The raw files' read on local disk (`read_raw_files` with a local listing): within the driver-read bound the driver
reads the files itself and builds the frame from their rows, as it does with S3 objects (the path a Glue run takes,
docs/PERFORMANCE.md section 2, rounds h15l and h15n), with the rows Spark's `binaryFile` source gives for the same
files (path, modification time to the millisecond, length, body; zero-byte files from the listing); a file gone since
the listing is named; a batch above the bound is still read by `binaryFile`."""

import os

import pytest

from etl_testkit import B1_MANIFEST, copy_landing, job_group, run_batch
import weather_etl


def b1_files(spark, landing):
    manifest = weather_etl.read_manifest(spark, weather_etl.join_uri(landing, B1_MANIFEST))
    return weather_etl.list_files(spark, landing, list(dict.fromkeys(e["key"] for e in manifest["written"])))


@pytest.fixture
def landing(tmp_path):
    """A copy of the fixture landing zone whose non-empty raw files have modification times with sub-millisecond
    digits (the fixture's copies have whole seconds), each its own."""
    root = copy_landing(tmp_path / "landing")
    for i, (folder, _, names) in enumerate(os.walk(root)):
        for j, name in enumerate(names):
            os.utime(os.path.join(folder, name), ns=(0, 1_778_130_000_123_456_789 + i * 1_000_001_003 + j * 7_654_321))
    return root


def plan_of(frame):
    return frame._jdf.queryExecution().optimizedPlan().toString()  # noqa: SLF001


def binary_file_rows(spark, files):
    """What Spark's `binaryFile` source gives for the listed files (the non-empty ones: its scan skips zero-byte
    files), by path."""
    frame = spark.read.format("binaryFile").option("recursiveFileLookup", "true").load(
        [path for path, length, _ in files if length > 0])
    return {r["path"]: (r["modificationTime"], r["length"], bytes(r["content"])) for r in frame.collect()}


def test_a_local_batch_is_read_by_the_driver_with_no_binary_file_scan(spark, landing):
    files = b1_files(spark, landing)
    assert all(path.startswith("file:/") for path, _, _ in files)

    with job_group(spark) as jobs:
        frame = weather_etl.read_raw_files(spark, files)
        assert jobs() == 0  # no listing job: Spark's file index is not asked
    plan = plan_of(frame)
    assert "binaryFile" not in plan and "BinaryFile" not in plan, plan
    assert frame.count() == len(files)


def test_the_driver_reads_the_rows_binary_file_gives(spark, landing):
    files = b1_files(spark, landing)
    assert any(length == 0 for _, length, _ in files) and any(length > 0 for _, length, _ in files)

    rows = {r["path"]: (r["modificationTime"], r["length"], bytes(r["content"]))
            for r in weather_etl.read_raw_files(spark, files).collect()}

    expected = binary_file_rows(spark, files)
    # Paths (`file:` URIs), times to the millisecond (the files' have sub-millisecond digits), lengths and bodies.
    assert {p: v for p, v in rows.items() if v[1] > 0} == expected
    assert len({v[0] for v in expected.values()}) == len(expected)
    assert all(v[0].microsecond % 1000 == 0 and v[0].microsecond > 0 for v in expected.values())
    # Zero-byte files (which that scan skips): the listing's time, an empty body.
    listed = {path: mtime_ms for path, length, mtime_ms in files if length == 0}
    empty = {p: v for p, v in rows.items() if v[1] == 0}
    assert sorted(empty) == sorted(listed) and listed
    for path, (modified, length, content) in empty.items():
        assert content == b""
        assert round(modified.timestamp() * 1000) == listed[path]


def test_files_gone_since_the_listing_are_named(spark, landing):
    files = b1_files(spark, landing)
    gone = sorted(path for path, length, _ in files if length > 0)[:2]
    for path in gone:
        os.remove(weather_etl._local_file(path))  # noqa: SLF001

    with pytest.raises(FileNotFoundError) as error:
        weather_etl.read_raw_files(spark, files)
    for path in gone:
        assert path in str(error.value)


def test_a_local_batch_above_the_byte_bound_is_read_by_binary_file(spark, landing, monkeypatch):
    files = b1_files(spark, landing)
    monkeypatch.setattr(weather_etl, "DRIVER_READ_MAX_BYTES", sum(length for _, length, _ in files) - 1)
    assert not weather_etl._read_by_driver(files)  # noqa: SLF001

    def no_driver_read(batch):
        raise AssertionError(f"the driver read {len(batch)} files")

    monkeypatch.setattr(weather_etl, "_get_local_bodies", no_driver_read)
    frame = weather_etl.read_raw_files(spark, files)
    assert "binaryFile" in plan_of(frame)
    rows = {r["path"]: (r["modificationTime"], r["length"], bytes(r["content"])) for r in frame.collect()}
    assert {p: v for p, v in rows.items() if v[1] > 0} == binary_file_rows(spark, files)
    assert len(rows) == len(files)


def test_local_batches_within_the_byte_bound_are_read_by_the_driver():
    bound = weather_etl.DRIVER_READ_MAX_BYTES
    local = [("file:/tmp/landing/a.json", bound - 10, 1), ("file:/tmp/landing/b.json", 10, 1)]
    assert weather_etl._read_by_driver(local)  # noqa: SLF001
    assert not weather_etl._read_by_driver(local + [("file:/tmp/landing/c.json", 1, 1)])  # noqa: SLF001
    # One scheme for a whole batch; other schemes (Spark's file systems) are Spark's to read.
    assert not weather_etl._read_by_driver([local[1], ("s3://b/landing/a.json", 10, 1)])  # noqa: SLF001
    assert not weather_etl._read_by_driver([("hdfs://nn/landing/a.json", 10, 1)])  # noqa: SLF001
    assert not weather_etl._read_by_driver([])  # noqa: SLF001


def test_a_local_run_reads_its_batch_without_binary_file(spark, landing, b1_lake, tmp_path, monkeypatch):
    """A whole b1 run from the local landing zone: no `binaryFile` read, and the session's b1 lake's summary and
    rows (the landing times differ: only the fetch times from the manifest are used)."""
    def no_binary_file(*args, **kwargs):
        raise AssertionError("binaryFile asked")

    reads = []
    real = weather_etl._get_local_bodies  # noqa: SLF001
    monkeypatch.setattr(weather_etl, "_get_local_bodies", lambda batch: reads.append(len(batch)) or real(batch))
    real_format = type(spark.read).format

    def checked_format(reader, source):
        if source == "binaryFile":
            no_binary_file()
        return real_format(reader, source)

    monkeypatch.setattr(type(spark.read), "format", checked_format)
    refined = tmp_path / "refined"
    summary = run_batch(spark, landing, refined, "r1", "--manifest_key", B1_MANIFEST)
    assert reads == [sum(1 for _, length, _ in b1_files(spark, landing) if length > 0)]
    local = b1_lake["summary"]
    differing = sorted(k for k in set(summary) | set(local) if summary.get(k) != local.get(k))
    assert differing == ["duration_seconds", "finished_at", "input", "started_at"], (differing, summary, local)
