"""The staging write's S3 file operations (`_s3_move`, `_delete_tree` on S3: the path that runs on Glue) over real S3
API calls against a local moto server, every request counted by moto's request recorder: one CopyObject per file and
one DeleteObjects per 1,000 keys, no existence check, no folder marker, no request per file through Hadoop."""

import json
import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

import weather_etl
from etl_testkit import new_bucket

pytest.importorskip("boto3")


@pytest.fixture
def s3(s3_client):
    """A fresh bucket on the module's moto server (`s3_client`: boto3 pointed at it through the environment only)."""
    return s3_client, new_bucket(s3_client, "refined")


def put(s3, objects):
    client, name = s3
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda item: client.put_object(Bucket=name, Key=item[0], Body=item[1]), objects.items()))


def keys(s3, prefix=""):
    client, name = s3
    return {item["Key"]: client.get_object(Bucket=name, Key=item["Key"])["Body"].read()
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=name, Prefix=prefix)
            for item in page.get("Contents", [])}


def requests_of(moto, call):
    """Runs `call` with the recorder on; returns (the requests it made by kind, keys deleted by DeleteObjects)."""
    _, requests = moto.record(call)
    return dict(Counter(r.kind for r in requests)), sum(len(r.deleted_keys) for r in requests)


SCRATCH = "weather/staging/_scratch/run-1"


def staged(n):
    """n scratch files as Spark writes them, and the staging names they move to (date/city/batch, as write_staging)."""
    sources = {f"{SCRATCH}/ingest_date=2026-05-{1 + i % 28:02d}/city=c{i % 50:02d}/staged_batch=b{i:05d}/"
               f"part-00000-x.c000.snappy.parquet": f"rows of {i}".encode() for i in range(n)}
    moves = {}
    for key in sources:
        day, city, batch = key.split("/")[4:7]
        moves[key] = f"weather/staging/{day}/{city}/{batch.split('=', 1)[1]}.parquet"
    return sources, moves


def test_n_files_move_with_one_copy_each_and_a_delete_request_per_thousand(s3, moto):
    client, name = s3
    sources, moves = staged(1_234)
    put(s3, sources)
    # Some targets exist already (an earlier run of the same batches), with other bytes: they are replaced.
    replaced = sorted(moves.values())[::100]
    put(s3, {key: b"an earlier run" for key in replaced})
    put(s3, {"weather/staging/ingest_date=2026-05-01/city=c00/other-batch.parquet": b"another batch"})
    uri = lambda key: f"s3://{name}/{key}"  # noqa: E731

    kinds, deleted = requests_of(moto, lambda: weather_etl._s3_move(  # noqa: SLF001
        [(uri(source), uri(target)) for source, target in moves.items()]))

    # 1,234 copies and 2 DeleteObjects requests: no HEAD, no LIST, no marker PUT, no per-file DELETE.
    assert kinds == {"CopyObject": 1_234, "DeleteObjects": 2}
    assert deleted == 1_234
    after = keys(s3)
    assert not any(key.startswith(SCRATCH) for key in after)
    for source, target in moves.items():
        assert after[target] == sources[source]
    assert after["weather/staging/ingest_date=2026-05-01/city=c00/other-batch.parquet"] == b"another batch"
    assert len(after) == 1_235


def test_stale_targets_are_deleted_in_the_same_batched_requests(s3, moto):
    client, name = s3
    sources, moves = staged(3)
    put(s3, sources)
    stale = "weather/staging/ingest_date=2026-05-01/city=c00/b-stale.parquet"
    put(s3, {stale: b"a fetch this rerun no longer stages"})
    uri = lambda key: f"s3://{name}/{key}"  # noqa: E731

    kinds, deleted = requests_of(moto, lambda: weather_etl._s3_move(  # noqa: SLF001
        [(uri(source), uri(target)) for source, target in moves.items()], delete_also=[uri(stale)]))

    assert kinds == {"CopyObject": 3, "DeleteObjects": 1}
    assert deleted == 4
    assert set(keys(s3)) == set(moves.values())


def test_a_failed_copy_names_the_key_and_deletes_no_source(s3, moto):
    client, name = s3
    sources, moves = staged(20)
    put(s3, sources)
    missing = f"{SCRATCH}/ingest_date=2026-05-09/city=c99/staged_batch=gone/part-00000-x.c000.snappy.parquet"
    pairs = [(f"s3://{name}/{s}", f"s3://{name}/{t}") for s, t in moves.items()]
    pairs.insert(7, (f"s3://{name}/{missing}", f"s3://{name}/weather/staging/ingest_date=2026-05-09/city=c99/gone.parquet"))

    with pytest.raises(IOError) as failed:
        weather_etl._s3_move(pairs)  # noqa: SLF001
    assert f"s3://{name}/{missing}" in str(failed.value)
    assert "gone.parquet" in str(failed.value)
    # Every source is still there: a rerun starts from a whole scratch folder (it deletes it first).
    assert set(sources) <= set(keys(s3, SCRATCH))


def test_objects_s3_does_not_delete_are_named(s3, moto, monkeypatch):
    client, name = s3
    sources, moves = staged(3)
    put(s3, sources)
    real = weather_etl._s3_client  # noqa: SLF001

    def refusing_client():
        s3_client = real()
        s3_client.delete_objects = lambda **kwargs: {"Errors": [
            {"Key": kwargs["Delete"]["Objects"][1]["Key"], "Code": "AccessDenied", "Message": "Access Denied"}]}
        return s3_client

    monkeypatch.setattr(weather_etl, "_s3_client", refusing_client)
    with pytest.raises(IOError) as failed:
        weather_etl._s3_move([(f"s3://{name}/{s}", f"s3://{name}/{t}") for s, t in moves.items()])  # noqa: SLF001
    second_source = list(moves)[1]
    assert f"s3://{name}/{second_source} (AccessDenied: Access Denied)" in str(failed.value)
    assert "could not delete 1 object(s)" in str(failed.value)


def test_a_tree_is_deleted_with_one_listing_and_a_delete_request_per_thousand(s3, moto):
    client, name = s3
    tree = {f"{SCRATCH}/d={i % 30}/f{i}.parquet": b"x" for i in range(2_345)}
    markers = {f"{SCRATCH}/": b"", f"{SCRATCH}/d=1/": b"", f"{SCRATCH}_$folder$": b""}
    kept = {f"{SCRATCH}-2/f.parquet": b"a sibling whose name the folder prefixes", "weather/staging/_scratch/x": b"k"}
    put(s3, {**tree, **markers, **kept})

    kinds, deleted = requests_of(moto, lambda: weather_etl._delete_tree(None, f"s3a://{name}/{SCRATCH}"))  # noqa: SLF001

    # One paged listing (3 pages of up to 1,000 keys) and 3 DeleteObjects requests (2,345 files and 3 markers: S3A's
    # `folder/` of the folder and of one below it, EMRFS's `folder_$folder$`).
    assert kinds == {"ListObjectsV2": 3, "DeleteObjects": 3}
    assert deleted == 2_345 + 3
    assert set(keys(s3)) == set(kept)


def test_deleting_what_does_not_exist_is_one_listing(s3, moto):
    client, name = s3
    kinds, _ = requests_of(moto, lambda: weather_etl._delete_tree(None, f"s3://{name}/{SCRATCH}"))  # noqa: SLF001
    assert kinds == {"ListObjectsV2": 1}


def test_a_bucket_root_is_never_deleted(s3, moto):
    """A bucket's root (with or without a slash) is refused before any request, and nothing in the bucket goes."""
    put(s3, {"weather/hourly/a.parquet": b"a", "other/b.txt": b"b"})
    def refused(root):
        with pytest.raises(ValueError, match=f"whole bucket: {re.escape(root)}$"):
            weather_etl._delete_tree(None, root)  # noqa: SLF001

    for root in (f"s3://{s3[1]}", f"s3://{s3[1]}/", f"s3a://{s3[1]}//"):
        kinds, _ = requests_of(moto, lambda: refused(root))
        assert kinds == {}
    assert set(keys(s3)) == {"weather/hourly/a.parquet", "other/b.txt"}


def test_only_if_empty_deletes_a_folder_holding_nothing_but_its_markers(s3, moto):
    client, name = s3
    scratch = "weather/staging/_scratch"
    put(s3, {f"{scratch}/": b"", f"{scratch}_$folder$": b"", f"{scratch}/run-2/part.parquet": b"another run's"})
    weather_etl._delete_tree(None, f"s3://{name}/{scratch}", only_if_empty=True)  # noqa: SLF001
    assert set(keys(s3)) == {f"{scratch}/", f"{scratch}_$folder$", f"{scratch}/run-2/part.parquet"}

    client.delete_object(Bucket=name, Key=f"{scratch}/run-2/part.parquet")
    kinds, deleted = requests_of(moto, lambda: weather_etl._delete_tree(  # noqa: SLF001
        None, f"s3://{name}/{scratch}", only_if_empty=True))
    assert (kinds, deleted) == ({"ListObjectsV2": 1, "DeleteObjects": 1}, 2)
    assert keys(s3) == {}
    # Nothing there: one listing, no delete request.
    kinds, _ = requests_of(moto, lambda: weather_etl._delete_tree(  # noqa: SLF001
        None, f"s3://{name}/{scratch}", only_if_empty=True))
    assert kinds == {"ListObjectsV2": 1}


def test_a_lone_emrfs_marker_is_deleted_with_its_folder(s3, moto):
    client, name = s3
    put(s3, {f"{SCRATCH}_$folder$": b"", f"{SCRATCH}-2_$folder$": b""})
    weather_etl._delete_tree(None, f"s3://{name}/{SCRATCH}")  # noqa: SLF001
    assert set(keys(s3)) == {f"{SCRATCH}-2_$folder$"}


def test_a_manifest_on_s3_is_one_get_request_without_a_spark_job(s3, moto):
    """read_manifest on S3 reads the object with boto3 (no Spark session is given: a Spark job would fail), and a
    missing manifest is named in the error."""
    manifest = {"written": [{"key": "weather/raw/a.json", "cityName": "Zürich", "fetchedAt": "2026-05-01T06:00:00Z"}]}
    put(s3, {"weather/manifests/m.json": json.dumps(manifest, ensure_ascii=False).encode("utf-8")})
    uri = f"s3://{s3[1]}/weather/manifests/m.json"
    read, requests = moto.record(lambda: weather_etl.read_manifest(None, uri))
    assert read == manifest
    assert [(r.kind, r.bucket, r.key) for r in requests] == [("GetObject", s3[1], "weather/manifests/m.json")]
    with pytest.raises(FileNotFoundError, match=f"s3://{s3[1]}/weather/manifests/missing.json"):
        weather_etl.read_manifest(None, f"s3://{s3[1]}/weather/manifests/missing.json")


def test_a_text_object_written_to_s3_reads_back_as_a_manifest(s3):
    """write_text and read_manifest agree on S3 URIs of each scheme the script accepts (s3, s3a, s3n)."""
    for scheme in ("s3", "s3a", "s3n"):
        uri = f"{scheme}://{s3[1]}/summaries/{scheme}.json"
        weather_etl.write_text(uri, json.dumps({"written": [], "scheme": scheme}))
        assert weather_etl.read_manifest(None, uri) == {"written": [], "scheme": scheme}


def test_one_boto3_client_serves_a_run_and_a_new_environment_gets_its_own(s3, monkeypatch):
    """The S3 helpers share one client per AWS environment (each call built its own: three per staging write); a
    test's or a process's changed endpoint or credentials give a client of their own, pointed at them."""
    first = weather_etl._s3_client()  # noqa: SLF001
    assert weather_etl._s3_client() is first  # noqa: SLF001
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    other = weather_etl._s3_client()  # noqa: SLF001
    assert other is not first and other.meta.endpoint_url == "http://127.0.0.1:9"
