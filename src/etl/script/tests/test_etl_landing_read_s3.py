"""The raw files' read on S3 (`read_raw_files` with an S3 listing: the path that runs on Glue) over real S3 API calls
against a local moto server, every request counted by moto's request recorder: one GetObject per non-empty raw
object and no other request (Spark's `binaryFile` source made six per object on S3A: an existence check, a listing
and a status and an open, docs/PERFORMANCE.md section 2, round h15l), the same rows as the local read, zero-byte
objects from the listing, objects gone since the listing named, and a whole batch read from an S3 landing zone
refining the same rows as from the local one. No S3A in the suite: Spark is never asked to open an S3 path."""

import json
import os
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from etl_testkit import B1_MANIFEST, LANDING_FIXTURES, PROCESSED_AT, new_bucket, run_batch
import weather_etl

pytest.importorskip("boto3")


@pytest.fixture
def landing(s3_client):
    """The fixture landing zone uploaded to a fresh bucket of the module's moto server (`s3_client`: boto3 pointed at
    it through the environment only, as on Glue). Returns (client, bucket, the landing root URI)."""
    client = s3_client
    bucket = new_bucket(client, "landing")
    files = [os.path.join(folder, name) for folder, _, names in os.walk(LANDING_FIXTURES) for name in names]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda path: client.upload_file(
            path, bucket, "landing/" + os.path.relpath(path, LANDING_FIXTURES).replace(os.sep, "/")), files))
    return client, bucket, f"s3://{bucket}/landing"


def requests_of(moto, call):
    """Runs `call` with the recorder on; returns (its result, the requests it made by kind, the keys of its GETs)."""
    result, requests = moto.record(call)
    return result, dict(Counter(r.kind for r in requests)), [r.key for r in requests if r.kind == "GetObject"]


def b1_keys():
    with open(os.path.join(LANDING_FIXTURES, B1_MANIFEST), encoding="utf-8") as handle:
        return list(dict.fromkeys(e["key"] for e in json.load(handle)["written"]))


def rows_by_key(frame, root):
    """{key relative to root: (length, content, modificationTime)} of a raw-files frame."""
    base = weather_etl._strip_scheme(root).rstrip("/") + "/"  # noqa: SLF001
    out = {}
    for row in frame.collect():
        stripped = weather_etl._strip_scheme(row["path"])  # noqa: SLF001
        assert stripped.startswith(base), (row["path"], root)
        out[stripped[len(base):]] = (row["length"], bytes(row["content"]), row["modificationTime"])
    return out


def test_the_read_makes_one_get_per_nonempty_object_and_no_other_request(spark, moto, landing):
    client, bucket, root = landing
    files = weather_etl.list_files(spark, root, b1_keys())
    nonempty = sorted(weather_etl._s3_bucket_key(path)[1] for path, length, _ in files if length > 0)  # noqa: SLF001
    assert 0 < len(nonempty) < len(files), "the fixture batch has a zero-byte object"

    frame, kinds, got = requests_of(moto, lambda: weather_etl.read_raw_files(spark, files))

    # The bodies are fetched before the frame exists; Spark reads no S3 path when the frame is used.
    assert kinds == {"GetObject": len(nonempty)}
    assert sorted(got) == nonempty
    _, later, _ = requests_of(moto, lambda: frame.count())
    assert later == {}


def test_the_rows_are_the_local_reads_with_the_objects_times(spark, moto, landing):
    client, bucket, root = landing
    keys = b1_keys()
    local = rows_by_key(weather_etl.read_raw_files(spark, weather_etl.list_files(spark, LANDING_FIXTURES, keys)),
                        LANDING_FIXTURES)
    listed = weather_etl.list_files(spark, root, keys)
    on_s3 = rows_by_key(weather_etl.read_raw_files(spark, listed), root)

    assert {k: v[:2] for k, v in on_s3.items()} == {k: v[:2] for k, v in local.items()}
    listing_mtime = {weather_etl._s3_bucket_key(path)[1]: mtime for path, _, mtime in listed}  # noqa: SLF001
    for key, (length, content, modified) in on_s3.items():
        # Non-empty: the object's Last-Modified (what Spark's status call gave); zero-byte: the listing's time.
        head = client.head_object(Bucket=bucket, Key=f"landing/{key}")
        expected_ms = int(head["LastModified"].timestamp() * 1000) if length else listing_mtime[f"landing/{key}"]
        assert int(modified.timestamp() * 1000) == expected_ms, key
        assert length == head["ContentLength"] == len(content)
    assert any(length == 0 for length, _, _ in on_s3.values())


def test_objects_gone_since_the_listing_are_named(spark, moto, landing):
    client, bucket, root = landing
    files = weather_etl.list_files(spark, root, b1_keys())
    gone = sorted(path for path, length, _ in files if length > 0)[:2]
    for path in gone:
        client.delete_object(Bucket=bucket, Key=weather_etl._s3_bucket_key(path)[1])  # noqa: SLF001

    with pytest.raises(FileNotFoundError) as error:
        weather_etl.read_raw_files(spark, files)
    for path in gone:
        assert path in str(error.value)


def table_rows(spark, folder):
    """Every row of every Parquet file under `folder`, by file's folder, as text, sorted."""
    out = {}
    for dirpath, _, names in os.walk(folder):
        for name in names:
            if name.endswith(".parquet"):
                rows = spark.read.parquet(os.path.join(dirpath, name)).collect()
                out.setdefault(os.path.relpath(dirpath, folder), []).extend(sorted(repr(r) for r in rows))
    return out


def assert_refines_the_b1_lake(spark, summary, refined, b1_lake):
    """The run that returned `summary` and wrote `refined` refined the fixture batch b1 as `b1_lake`'s run did: the
    same summary but for its times and its input, the same rows in every file of every layer."""
    local = b1_lake["summary"]
    differing = sorted(k for k in set(summary) | set(local) if summary.get(k) != local.get(k))
    assert differing == ["duration_seconds", "finished_at", "input", "started_at"], (differing, summary, local)
    assert table_rows(spark, refined / "weather") == table_rows(spark, b1_lake["refined"] / "weather")


def test_a_batch_from_an_s3_landing_zone_refines_the_rows_of_the_local_one(spark, moto, landing, b1_lake, tmp_path):
    client, bucket, root = landing
    refined = tmp_path / "refined"

    summary, kinds, got = requests_of(moto, lambda: run_batch(spark, root, refined, "r1", "--manifest_key", B1_MANIFEST))

    # The manifest's GetObject, one listing page, and a GetObject per non-empty raw object: no HEAD, no other request.
    nonempty = [key for key in b1_keys() if os.path.getsize(os.path.join(LANDING_FIXTURES, key)) > 0]
    assert kinds == {"GetObject": 1 + len(nonempty), "ListObjectsV2": 1}
    assert sorted(got) == sorted(["landing/" + B1_MANIFEST] + ["landing/" + key for key in nonempty])
    # With the manifest, fetch times come from its entries: every layer holds the same rows as the local run's.
    assert_refines_the_b1_lake(spark, summary, refined, b1_lake)
    assert summary["input"] == dict(b1_lake["summary"]["input"], landing_uri=root)


def test_s3_and_local_batches_within_the_byte_bound_are_read_by_the_driver():
    bound = weather_etl.DRIVER_READ_MAX_BYTES
    s3 = [("s3://b/landing/a.json", bound - 10, 1), ("s3a://b/landing/b.json", 10, 1)]
    assert weather_etl._read_by_driver(s3)  # noqa: SLF001
    assert not weather_etl._read_by_driver(s3 + [("s3://b/landing/c.json", 1, 1)])  # noqa: SLF001
    # Local: any number of objects, one as well (round h15s).
    local = [(f"file:/tmp/landing/{i}.json", 10, 1) for i in range(40)]
    assert weather_etl._read_by_driver(local) and weather_etl._read_by_driver(local[:1])  # noqa: SLF001
    assert not weather_etl._read_by_driver(local + [("file:/tmp/landing/big.json", bound, 1)])  # noqa: SLF001
    # Mixed schemes, other schemes, nothing: Spark's source.
    assert not weather_etl._read_by_driver(local + s3[1:])  # noqa: SLF001
    assert not weather_etl._read_by_driver([(f"hdfs://nn/landing/{i}.json", 10, 1) for i in range(3)])  # noqa: SLF001
    assert not weather_etl._read_by_driver([])  # noqa: SLF001


def test_a_batch_above_the_byte_bound_is_left_to_spark_with_no_request(spark, moto, landing, monkeypatch):
    client, bucket, root = landing
    files = weather_etl.list_files(spark, root, b1_keys())
    monkeypatch.setattr(weather_etl, "DRIVER_READ_MAX_BYTES", weather_etl.batch_raw_bytes(files) - 1)

    def read():
        # The suite's Spark has no S3 file system (no S3A): Spark's `binaryFile` source is asked and fails.
        with pytest.raises(Exception, match="No FileSystem for scheme"):
            weather_etl.read_raw_files(spark, files)

    _, kinds, _ = requests_of(moto, read)
    assert kinds == {}
