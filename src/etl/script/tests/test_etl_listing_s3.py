"""The S3 listing (`_list_s3`, the path that runs on Glue) over real S3 API calls against a local moto server,
compared with the local-folder listing of the same tree: same relative keys, same sizes, same errors."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from etl_testkit import new_bucket, raw_key
import weather_etl

pytest.importorskip("boto3")


@pytest.fixture
def bucket(s3_client):
    """A fresh bucket on the module's moto server (`s3_client`: boto3 pointed at it through the environment only, as
    on Glue)."""
    return s3_client, new_bucket(s3_client, "landing")


def put_tree(s3, local_root, files, prefix="landing"):
    """Writes {key: bytes} under `local_root` and under s3://bucket/prefix. Returns (local root, S3 root URI)."""
    client, name = s3
    for key, data in files.items():
        path = local_root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda item: client.put_object(Bucket=name, Key=f"{prefix}/{item[0]}", Body=item[1]),
                      files.items()))
    return str(local_root), f"s3://{name}/{prefix}"


def relative(listing, root):
    """(key relative to `root`, size) of each listed file, sorted; checks every path is qualified."""
    base = weather_etl._strip_scheme(root).rstrip("/") + "/"  # noqa: SLF001
    out = []
    for path, size, mtime_ms in listing:
        assert path.startswith(("file:", "s3://")) and isinstance(mtime_ms, int) and mtime_ms > 0
        stripped = weather_etl._strip_scheme(path)  # noqa: SLF001
        assert stripped.startswith(base), (path, root)
        out.append((stripped[len(base):], size))
    return sorted(out)


def both_files(local, s3_root, keys):
    """list_files on the local tree and on S3, as relative (key, size); asserts they agree."""
    on_disk = relative(weather_etl.list_files(None, local, keys), local)
    on_s3 = relative(weather_etl.list_files(None, s3_root, keys), s3_root)
    assert on_s3 == on_disk
    return on_s3


def both_trees(local, s3_root, folder):
    on_disk = relative(weather_etl.list_tree(None, weather_etl.join_uri(local, folder)), local)
    on_s3 = relative(weather_etl.list_tree(None, weather_etl.join_uri(s3_root, folder)), s3_root)
    assert on_s3 == on_disk
    return on_s3


D7 = "weather/raw/source=open-meteo/ingest_date=2026-05-07"
D8 = "weather/raw/source=open-meteo/ingest_date=2026-05-08"

LANDING = {
    raw_key("2026-05-07", "paris", "b1"): b'{"a": 1}',
    raw_key("2026-05-07", "paris-2", "b1"): b'{"bb": 22}',
    raw_key("2026-05-07", "lyon", "b1"): b"",  # an empty body is listed (Spark's scan skips it; the script adds it)
    raw_key("2026-05-07", "oslo", "b1"): b"[1, 2, 3]",
    raw_key("2026-05-07", "oslo", "b2"): b"[]",
    raw_key("2026-05-08", "paris", "b3"): b'{"c": 333}',
    raw_key("2026-05-08", "lima", "b3"): b"{}",
    f"{D7}/city=paris/_SUCCESS": b"",  # marker, hidden and temporary files are skipped, as Spark skips them
    f"{D7}/city=paris/.t1.json.crc": b"crc",
    f"{D7}/city=oslo/_temporary/0/part-0.json": b"{}",
    f"{D7}/_SUCCESS": b"",
}


def test_manifest_keys_across_cities_and_dates_match_the_local_listing(bucket, tmp_path):
    local, s3_root = put_tree(bucket, tmp_path / "landing", LANDING)
    keys = [raw_key("2026-05-07", "paris", "b1"), raw_key("2026-05-07", "lyon", "b1"),
            raw_key("2026-05-07", "oslo", "b2"), raw_key("2026-05-08", "lima", "b3"),
            raw_key("2026-05-07", "paris", "b1")]  # a repeated key is listed once
    assert both_files(local, s3_root, keys) == sorted([
        (raw_key("2026-05-07", "paris", "b1"), 8), (raw_key("2026-05-07", "lyon", "b1"), 0),
        (raw_key("2026-05-07", "oslo", "b2"), 2), (raw_key("2026-05-08", "lima", "b3"), 2)])
    # The S3 paths are the objects' own URIs, ready for Spark.
    client, name = bucket
    paths = {path for path, _, _ in weather_etl.list_files(None, s3_root, keys)}
    assert f"s3://{name}/landing/{raw_key('2026-05-08', 'lima', 'b3')}" in paths


def test_a_key_naming_a_folder_lists_every_file_under_it_and_skips_markers(bucket, tmp_path):
    local, s3_root = put_tree(bucket, tmp_path / "landing", LANDING)
    assert both_files(local, s3_root, [D7]) == sorted([
        (raw_key("2026-05-07", "paris", "b1"), 8), (raw_key("2026-05-07", "paris-2", "b1"), 10),
        (raw_key("2026-05-07", "lyon", "b1"), 0), (raw_key("2026-05-07", "oslo", "b1"), 9),
        (raw_key("2026-05-07", "oslo", "b2"), 2)])
    assert both_files(local, s3_root, [f"{D7}/city=oslo/"]) == [
        (raw_key("2026-05-07", "oslo", "b1"), 9), (raw_key("2026-05-07", "oslo", "b2"), 2)]
    assert both_trees(local, s3_root, "weather/raw") == sorted(
        (key, len(data)) for key, data in LANDING.items()
        if not any(part.startswith(("_", ".")) for part in key.split("/")))
    assert both_trees(local, s3_root, "") == both_trees(local, s3_root, "weather/raw")


def test_a_folder_does_not_take_in_a_sibling_whose_name_it_prefixes(bucket, tmp_path):
    local, s3_root = put_tree(bucket, tmp_path / "landing", LANDING)
    paris = f"{D7}/city=paris"
    assert both_trees(local, s3_root, paris) == [(raw_key("2026-05-07", "paris", "b1"), 8)]
    assert both_trees(local, s3_root, paris + "/") == [(raw_key("2026-05-07", "paris", "b1"), 8)]
    assert both_files(local, s3_root, [paris]) == [(raw_key("2026-05-07", "paris", "b1"), 8)]
    assert both_files(local, s3_root, [f"{D7}/city=paris-2"]) == [(raw_key("2026-05-07", "paris-2", "b1"), 10)]
    # A file key is not a prefix of a longer one either.
    assert both_trees(local, s3_root, raw_key("2026-05-07", "oslo", "b1")[:-len(".json")]) == []
    with pytest.raises(FileNotFoundError):
        weather_etl.list_files(None, s3_root, [f"{D7}/city=par"])


def test_a_marker_file_named_on_its_own_is_skipped_as_on_local_disk(bucket, tmp_path):
    local, s3_root = put_tree(bucket, tmp_path / "landing", LANDING)
    assert both_trees(local, s3_root, f"{D7}/city=paris/_SUCCESS") == []
    assert both_trees(local, s3_root, f"{D7}/city=paris/.t1.json.crc") == []
    for root in (local, s3_root):
        with pytest.raises(FileNotFoundError):
            weather_etl.list_files(None, root, [f"{D7}/_SUCCESS"])


def test_missing_keys_are_all_named_in_the_error(bucket, tmp_path):
    local, s3_root = put_tree(bucket, tmp_path / "landing", LANDING)
    keys = [raw_key("2026-05-07", "paris", "b1"), raw_key("2026-05-07", "quito", "b1"),
            raw_key("2026-05-09", "paris", "b1"), "elsewhere/x.json"]
    for root in (local, s3_root):
        with pytest.raises(FileNotFoundError) as missing:
            weather_etl.list_files(None, root, keys)
        for key in keys[1:]:
            assert weather_etl.join_uri(root, key) in str(missing.value)
        assert raw_key("2026-05-07", "paris", "b1") not in str(missing.value)
    assert weather_etl.list_tree(None, weather_etl.join_uri(s3_root, "nothing-here")) == []


def test_more_than_a_thousand_objects_are_listed_across_pages(bucket, tmp_path):
    files = {raw_key("2026-05-07", f"city{i % 40:02d}", f"b{i:04d}"): b"x" * (i % 7) for i in range(1_234)}
    files[f"{D7}/city00/_SUCCESS"] = b""
    local, s3_root = put_tree(bucket, tmp_path / "landing", files)
    listed = both_trees(local, s3_root, D7)
    assert len(listed) == 1_234
    keys = sorted(k for k in files if not k.endswith("_SUCCESS"))
    assert len(both_files(local, s3_root, keys)) == 1_234
