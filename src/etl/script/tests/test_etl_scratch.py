"""Every layer's commit through the run's scratch folder (issue #15, round h15k): all of a batch's Spark writes go to
`<staging>/_scratch/<run id>/<layer prefix>/`, then every file is moved to its place and only then are the replaced
partitions' previous files deleted. On the local path (Spark, the fixture batches): a failing Spark write of a later
layer leaves every layer as it was, a crash between the moves and the deletions leaves duplicates (never gaps) that
a rerun repairs, untouched partitions keep their very files. On S3 (moto + boto3, no Spark: the commit is the
script's own requests, the path that runs on Glue): one CopyObject per file and one DeleteObjects per 1,000 keys,
no request about a partition the batch does not write."""

import os
import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

import weather_etl
from etl_testkit import B1_MANIFEST, B2_MANIFEST, copy_lake, new_bucket, read_table, run_batch, tree_fingerprint

LAYERS = ("hourly", "daily", "staging", "quarantine")


def layer_files(refined):
    """Layer -> {partition folder: [file names]} of a local lake (every file, hidden ones too)."""
    found = {}
    for layer in LAYERS:
        root = refined / "weather" / layer
        for folder, _, names in os.walk(root):
            if names:
                found.setdefault(layer, {})[os.path.relpath(folder, root)] = sorted(names)
    return found


def identities(refined):
    """Relative path -> (inode, mtime_ns) of every Parquet file of the lake's layers."""
    out = {}
    for layer in LAYERS:
        for path in (refined / "weather" / layer).rglob("*.parquet"):
            stat = path.stat()
            out[str(path.relative_to(refined))] = (stat.st_ino, stat.st_mtime_ns)
    return out


def table_rows(spark, refined, layer, schema):
    root = refined / "weather" / layer
    return sorted((tuple(sorted(r.asDict().items())) for r in read_table(spark, root, schema).collect()), key=repr)


def all_rows(spark, refined, contract):
    return {layer: table_rows(spark, refined, layer, schema(contract)) for layer, schema in (
        ("hourly", weather_etl.hourly_schema), ("daily", weather_etl.daily_schema),
        ("staging", weather_etl.staging_schema), ("quarantine", weather_etl.quarantine_schema))}


# ---- The local path, whole runs

def test_a_failing_spark_write_of_the_last_layer_leaves_every_layer_as_it_was(spark, tmp_path, b1_lake, monkeypatch):
    """b1 again (every layer touched) with the quarantine write failing: before round h15k the hourly, daily and
    staging layers were already replaced when it failed (the layers out of step); now nothing of the lake changes.
    Since round h15m the Python workers write every layer in one Spark job: the quarantine layer's worker fails after
    writing its files, and the other layers' files are in the scratch folder by then."""
    lake = copy_lake(b1_lake, tmp_path)
    before = tree_fingerprint(lake["refined"])
    real = weather_etl._arrow_file_writer

    def failing(scratch, layer, *args, **kwargs):
        write = real(scratch, layer, *args, **kwargs)
        if "quarantine" not in layer:
            return write

        def write_then_fail(batches):  # a nested function: shipped to the worker by value
            yield from write(batches)
            raise RuntimeError("the quarantine write failed")

        return write_then_fail

    monkeypatch.setattr(weather_etl, "_arrow_file_writer", failing)
    with pytest.raises(Exception, match="the quarantine write failed"):
        run_batch(spark, lake["landing"], lake["refined"], "r1-failed", "--manifest_key", B1_MANIFEST)
    assert tree_fingerprint(lake["refined"]) == before
    assert not (lake["refined"] / "weather/staging/_scratch").exists()


def test_a_failing_spark_writer_write_leaves_every_layer_as_it_was(spark, tmp_path, b1_lake, monkeypatch):
    """The same with Spark's writer (`write_scratch`, the writer of a scratch folder the Python workers cannot write
    to: neither local nor S3): the quarantine layer's write fails after the other layers' writes."""
    lake = copy_lake(b1_lake, tmp_path)
    before = tree_fingerprint(lake["refined"])
    real = weather_etl.write_partitions

    def failing(frame, table_root, *args, **kwargs):
        if "/weather/quarantine" in str(table_root):
            raise RuntimeError("the quarantine write failed")
        return real(frame, table_root, *args, **kwargs)

    monkeypatch.setattr(weather_etl, "write_partitions", failing)
    monkeypatch.setattr(weather_etl, "arrow_writes_to", lambda scratch: False)
    with pytest.raises(RuntimeError, match="the quarantine write failed"):
        run_batch(spark, lake["landing"], lake["refined"], "r1-failed", "--manifest_key", B1_MANIFEST)
    assert tree_fingerprint(lake["refined"]) == before
    assert not (lake["refined"] / "weather/staging/_scratch").exists()


def test_a_touched_partition_keeps_only_its_new_file_and_the_others_their_very_files(spark, tmp_path, b1_lake,
                                                                                       b1_sequence):
    """b2 (a newer fetch of Győr's 05-08 hours) on the lake after b1's rerun: the touched hourly and daily partitions
    hold exactly one file, the new one (a stray file of another name placed there beforehand goes too, as with the
    dynamic overwrite), and every other file of every layer is the same file (inode and modification time)."""
    refined = shutil.copytree(b1_sequence["b1_new_id"]["refined"], tmp_path / "refined")
    landing = b1_lake["landing"]
    gyor = "date=2026-05-08/city=gyor"
    stray = refined / "weather/hourly" / gyor / "part-99999-stray.c000.snappy.parquet"
    shutil.copy2(next((refined / "weather/hourly" / gyor).glob("part-*.parquet")), stray)
    before_files, before_ids = layer_files(refined), identities(refined)

    summary = run_batch(spark, landing, refined, "r2", "--manifest_key", B2_MANIFEST)

    after_files, after_ids = layer_files(refined), identities(refined)
    assert summary["partitions"]["hourly"] == [f"weather/hourly/{gyor}/"]
    assert summary["partitions"]["daily"] == [f"weather/daily/{gyor}/"]
    for layer in ("hourly", "daily"):
        [new] = after_files[layer][gyor]
        assert new.startswith("part-") and new.endswith(".parquet") and new not in before_files[layer][gyor]
    # Every other file: the same inode and modification time (no request, no rewrite), and nothing else appeared.
    changed = {f"weather/{layer}/{gyor}" for layer in ("hourly", "daily")}
    kept = {p: i for p, i in before_ids.items() if os.path.dirname(p) not in changed}
    assert {p: i for p, i in after_ids.items() if os.path.dirname(p) not in changed and p in kept} == kept
    assert set(after_ids) - set(kept) == {f"weather/{layer}/{gyor}/{after_files[layer][gyor][0]}"
                                          for layer in ("hourly", "daily")} | {
        "weather/staging/ingest_date=2026-05-08/city=gyor/b2.parquet"}
    # One file per partition in every refined layer; no scratch folder left.
    for layer in ("hourly", "daily", "quarantine"):
        assert all(len([n for n in names if n.endswith(".parquet")]) == 1 for names in after_files[layer].values()), layer
    assert not (refined / "weather/staging/_scratch").exists()


def test_a_crash_between_the_moves_and_the_deletions_leaves_duplicates_that_a_rerun_repairs(
        spark, tmp_path, contract, b1_lake, b1_sequence, monkeypatch):
    """b1 rerun as r1-again on b1's lake, its commit stopped after the moves (as a crash would): every replaced
    partition holds its previous file beside the new one (no gap: no row is missing), the other layers' files are in
    place. Running r1-again again repairs it: the lake is then the one a clean r1-again made, row for row, one file
    per partition."""
    refined = shutil.copytree(b1_sequence["b1"]["refined"], tmp_path / "refined")
    landing = b1_lake["landing"]
    before_rows = all_rows(spark, refined, contract)
    real_commit = weather_etl.commit_scratch

    def crash_after_moves(spark_session, commit):
        real_commit(spark_session, weather_etl.ScratchCommit(commit.moves, [], [], commit.staging_partitions))
        raise SystemExit("crashed before the deletions")

    monkeypatch.setattr(weather_etl, "commit_scratch", crash_after_moves)
    with pytest.raises(SystemExit):
        run_batch(spark, landing, refined, "r1-again", "--manifest_key", B1_MANIFEST)
    monkeypatch.undo()
    crashed = layer_files(refined)
    for layer in ("hourly", "daily"):
        assert crashed[layer] and all(len([n for n in names if n.endswith(".parquet")]) == 2
                                      for names in crashed[layer].values()), layer
    # No gap: every row of the lake before is still there (the duplicates beside it).
    crashed_rows = all_rows(spark, refined, contract)
    for layer in ("hourly", "daily", "quarantine"):
        assert set(before_rows[layer]) <= set(crashed_rows[layer]), layer

    run_batch(spark, landing, refined, "r1-again", "--manifest_key", B1_MANIFEST)
    clean = b1_sequence["b1_new_id"]["refined"]
    assert all_rows(spark, refined, contract) == all_rows(spark, clean, contract)
    repaired, expected = layer_files(refined), layer_files(clean)
    for layer in LAYERS:
        assert {folder: len([n for n in names if n.endswith(".parquet")]) for folder, names in repaired[layer].items()} \
            == {folder: len([n for n in names if n.endswith(".parquet")]) for folder, names in expected[layer].items()}, layer
    assert not (refined / "weather/staging/_scratch").exists()


# ---- The commit's plan (no I/O)

def test_the_plan_moves_each_layer_to_its_place_and_deletes_only_the_replaced_partitions_previous_files():
    scratch = "s3://lake/weather/staging/_scratch/r9"
    files = [f"{scratch}/weather/hourly/date=2026-05-07/city=gyor/part-00000-n.c000.snappy.parquet",
             f"{scratch}/weather/daily/date=2026-05-07/city=gyor/part-00001-n.c000.snappy.parquet",
             f"{scratch}/weather/quarantine/date=2026-05-07/part-00000-n.c000.snappy.parquet",
             f"{scratch}/weather/staging/ingest_date=2026-05-07/city=gyor/staged_batch=b1/part-00000-n.c000.snappy.parquet",
             f"{scratch}/weather/hourly/_SUCCESS.json"]
    previous = ["s3://lake/weather/hourly/date=2026-05-07/city=gyor/part-00003-old.c000.snappy.parquet",
                "s3://lake/weather/hourly/date=2026-05-07/city=gyor/stray-name.parquet",
                "s3://lake/weather/hourly/date=2026-05-07/city=gyor/sub/folder.parquet",
                "s3://lake/weather/hourly/date=2026-05-07/city=gyor-2/part-00000-untouched.c000.snappy.parquet",
                "s3://lake/weather/hourly/date=2026-05-08/city=gyor/part-00000-untouched.c000.snappy.parquet",
                "s3://lake/weather/daily/date=2026-05-07/city=gyor/part-00000-old.c000.snappy.parquet",
                "s3://lake/weather/quarantine/date=2026-05-07/part-00000-old.c000.snappy.parquet",
                # A previous file of the same name as the new one is replaced by the move, not deleted after it.
                "s3://lake/weather/daily/date=2026-05-07/city=gyor/part-00001-n.c000.snappy.parquet"]
    inputs = [("2026-05-07", "gyor", "b1"), ("2026-05-07", "pecs", "b1")]
    plan = weather_etl.plan_scratch_commit(files, scratch, "s3://lake", "weather/staging/", ["ingest_date", "city"],
                                           inputs, previous)
    assert plan.moves == sorted([
        (files[0], "s3://lake/weather/hourly/date=2026-05-07/city=gyor/part-00000-n.c000.snappy.parquet"),
        (files[1], "s3://lake/weather/daily/date=2026-05-07/city=gyor/part-00001-n.c000.snappy.parquet"),
        (files[2], "s3://lake/weather/quarantine/date=2026-05-07/part-00000-n.c000.snappy.parquet"),
        (files[3], "s3://lake/weather/staging/ingest_date=2026-05-07/city=gyor/b1.parquet")])
    assert sorted(plan.stale) == sorted([
        "s3://lake/weather/staging/ingest_date=2026-05-07/city=pecs/b1.parquet",  # no longer staged by the rerun
        previous[0], previous[1], previous[2], previous[5], previous[6]])
    assert sorted(plan.replaced) == ["s3://lake/weather/daily/date=2026-05-07/city=gyor",
                                     "s3://lake/weather/hourly/date=2026-05-07/city=gyor",
                                     "s3://lake/weather/quarantine/date=2026-05-07"]
    assert plan.staging_partitions == ["ingest_date=2026-05-07/city=gyor/"]


# ---- On S3: the script's own requests (moto's recorder), no Hadoop call

@pytest.fixture
def s3(s3_client):
    """A fresh bucket on the module's moto server (`s3_client`: boto3 pointed at it through the environment only)."""
    return s3_client, new_bucket(s3_client, "refined")


def recorded(moto, call):
    """Runs `call` with the recorder on; returns its requests as (kind, [keys it names])."""
    _, requests = moto.record(call)
    named = {"DeleteObjects": lambda r: r.deleted_keys, "CopyObject": lambda r: [r.key, r.copy_source],
             "ListObjectsV2": lambda r: [r.query.get("prefix", [""])[0]]}
    return [(r.kind, named[r.kind](r)) if r.kind in named else (r.method, [r.key]) for r in requests]


def test_a_batch_commit_on_s3_is_a_copy_per_file_and_a_delete_request_per_thousand_keys(s3, moto):
    """A 100 x 5 batch's refined layers as the scratch folder holds them after the Spark writes (500 files each in
    hourly and daily, 5 in quarantine), over a lake with the previous files of 300 of those partitions (some of two
    files, one of another name) and 200 partitions the batch does not write: the commit is 1,005 CopyObject and 2
    DeleteObjects requests (1,005 sources + 305 previous files), nothing else: no HEAD, no LIST, no rename through
    Hadoop. No request names a key of an untouched partition; each touched partition ends with its new file only."""
    client, bucket = s3
    scratch = "weather/staging/_scratch/r1"
    objects, previous, untouched = {}, [], {}
    for i in range(500):
        day, city = f"2025-01-{1 + i % 5:02d}", f"c{i // 5:03d}"
        for layer in ("hourly", "daily"):
            objects[f"{scratch}/weather/{layer}/date={day}/city={city}/part-{i:05d}-new.c000.snappy.parquet"] = b"new"
            if i < 150:
                old = f"weather/{layer}/date={day}/city={city}/part-00000-old.c000.snappy.parquet"
                objects[old] = b"old"
                previous.append(old)
            # 200 partitions (100 per layer) the batch does not write, beside the ones it does.
            if i < 100:
                kept = f"weather/{layer}/date=2024-12-{1 + i % 5:02d}/city={city}/part-00000-kept.c000.snappy.parquet"
                untouched[kept] = b"kept"
    for d in range(5):
        objects[f"{scratch}/weather/quarantine/date=2025-01-{1 + d:02d}/part-00000-new.c000.snappy.parquet"] = b"q"
    objects["weather/quarantine/date=2025-01-01/part-00007-old.c000.snappy.parquet"] = b"old q"
    objects["weather/hourly/date=2025-01-01/city=c000/other-name.parquet"] = b"a second previous file"
    previous += ["weather/quarantine/date=2025-01-01/part-00007-old.c000.snappy.parquet",
                 "weather/hourly/date=2025-01-01/city=c000/other-name.parquet"]
    objects.update(untouched)
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda item: client.put_object(Bucket=bucket, Key=item[0], Body=item[1]), objects.items()))
    root = f"s3://{bucket}"
    scratch_files = [f"{root}/{k}" for k in objects if k.startswith(scratch)]
    # The listing the merges read covers the first-level folders of the touched partitions: untouched ones too.
    listed = [f"{root}/{k}" for k in previous] + [f"{root}/{k}" for k in untouched]
    plan = weather_etl.plan_scratch_commit(scratch_files, f"{root}/{scratch}", root, "weather/staging/",
                                           ["ingest_date", "city"], [], listed)

    requests = recorded(moto, lambda: weather_etl.commit_scratch(None, plan))

    kinds = {}
    for kind, _ in requests:
        kinds[kind] = kinds.get(kind, 0) + 1
    assert kinds == {"CopyObject": 1_005, "DeleteObjects": 2}
    deleted = [key for kind, keys in requests if kind == "DeleteObjects" for key in keys]
    assert sorted(deleted) == sorted([k for k in objects if k.startswith(scratch)] + previous)
    named = {key for _, keys in requests for key in keys}
    assert not named & set(untouched)
    # Every copy was made before any delete: the DeleteObjects requests are the last ones.
    assert [kind for kind, _ in requests[-2:]] == ["DeleteObjects", "DeleteObjects"]
    after = {item["Key"]: item for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
             for item in page.get("Contents", [])}
    assert not [k for k in after if k.startswith(scratch)]
    assert not set(previous) & set(after)
    for key in untouched:
        assert client.get_object(Bucket=bucket, Key=key)["Body"].read() == b"kept"
    by_folder = {}
    for key in after:
        by_folder.setdefault(key.rsplit("/", 1)[0], []).append(key)
    assert all(len(keys) == 1 for keys in by_folder.values())
    assert len([k for k in after if "-new." in k]) == 1_005
