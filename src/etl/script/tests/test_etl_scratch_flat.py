"""Round h15p: the Python workers write a run's files flat in the scratch folder, one folder per layer, and name each
file's place (its partition folders in Spark's layout); the commit moves each file to its place. A local run no longer
makes and deletes a folder per partition in the scratch folder (12,090 for a 100 x 30 batch, whose deletion took
1.3-13.7 s of wall time on this machine: docs/PERFORMANCE.md, section 2, round h15p). The lake is the same:
the same files at the same places with the same rows."""

import os

import weather_etl
from etl_testkit import B1_MANIFEST, B2_MANIFEST, copy_landing, run_batch


def scratch_tree(monkeypatch, scratch):
    """Records, when the commit starts, every folder and file of the run's scratch folder (relative to it)."""
    seen = {"folders": [], "files": []}
    real = weather_etl.commit_scratch

    def recording(spark, commit):
        for folder, folders, files in os.walk(scratch):
            relative = os.path.relpath(folder, scratch)
            seen["folders"].extend(os.path.normpath(os.path.join(relative, f)) for f in folders)
            seen["files"].extend(os.path.normpath(os.path.join(relative, f)) for f in files)
        return real(spark, commit)

    monkeypatch.setattr(weather_etl, "commit_scratch", recording)
    return seen


def lake_files(refined):
    """Relative path of every file of the lake's four layers."""
    found = []
    for layer in ("hourly", "daily", "staging", "quarantine"):
        root = refined / "weather" / layer
        for folder, _, files in os.walk(root):
            found.extend(os.path.relpath(os.path.join(folder, f), refined) for f in files)
    return sorted(found)


def test_a_runs_scratch_folder_holds_a_folder_per_layer_and_no_folder_per_partition(spark, tmp_path, monkeypatch):
    """b1 into an empty lake, then b2 over it (merges of stored partitions): when the commit starts, the scratch
    folder holds the layers' folders (`weather/<layer>`) and their files, flat; every file lands at a partition folder
    of its layer, one file per partition (a batch's one file per staging partition and batch). Main's script wrote
    each file at its partition folder in the scratch folder (`weather/hourly/date=…/city=…/part-…`)."""
    landing = copy_landing(tmp_path / "landing")
    refined = tmp_path / "refined"
    for run_id, manifest in (("r1", B1_MANIFEST), ("r2", B2_MANIFEST)):
        seen = scratch_tree(monkeypatch, refined / "weather" / "staging" / "_scratch" / run_id)
        run_batch(spark, landing, refined, run_id, "--manifest_key", manifest)
        layers = ["weather/daily", "weather/hourly", "weather/quarantine", "weather/staging"]
        assert seen["folders"][0] == "weather" and set(seen["folders"][1:]) <= set(layers), run_id
        if run_id == "r1":  # b1 writes every layer (b2 quarantines nothing)
            assert sorted(seen["folders"]) == ["weather", *layers]
        assert seen["files"] and all(os.path.dirname(f).count("/") == 1 for f in seen["files"]), run_id
        assert not os.path.exists(refined / "weather" / "staging" / "_scratch")
    files = lake_files(refined)
    assert files
    # One file per partition folder (the staging layer: one per partition and batch, named by the batch).
    for layer in ("hourly", "daily", "quarantine"):
        folders = [os.path.dirname(f) for f in files if f.startswith(f"weather/{layer}/")]
        assert folders and len(folders) == len(set(folders)), layer
        assert all("=" in os.path.basename(folder) for folder in folders), layer
    staging = [f for f in files if f.startswith("weather/staging/")]
    assert staging and all(os.path.basename(os.path.dirname(f)).startswith("city=") for f in staging)
    assert all(f.endswith(".parquet") and not os.path.basename(f).startswith("part-") for f in staging)


def test_the_plan_takes_each_workers_file_to_the_place_it_names():
    """Files written flat (`<scratch>/<layer>/part-….parquet`) with their places: each goes to its place, a staging
    file to `<partition>/<batch id>.parquet`; the replaced partitions and the stale files are those of the places, as
    for Spark's writer's files (whose path below the scratch folder is their place). Main's plan took paths only."""
    scratch = "s3://lake/weather/staging/_scratch/r9"
    hourly = "weather/hourly/date=2026-05-07/city=gyor/part-00000-w-7-00000.snappy.parquet"
    staging = "weather/staging/ingest_date=2026-05-07/city=gyor/staged_batch=b1/part-00004-w-9-00000.snappy.parquet"
    files = [(f"{scratch}/weather/hourly/part-00000-w-7-00000.snappy.parquet", hourly),
             (f"{scratch}/weather/staging/part-00004-w-9-00000.snappy.parquet", staging)]
    previous = ["s3://lake/weather/hourly/date=2026-05-07/city=gyor/part-00003-old.c000.snappy.parquet",
                "s3://lake/weather/hourly/date=2026-05-08/city=gyor/part-00000-untouched.c000.snappy.parquet"]
    inputs = [("2026-05-07", "gyor", "b1"), ("2026-05-07", "pecs", "b1")]
    flat = weather_etl.plan_scratch_commit(files, scratch, "s3://lake", "weather/staging/", ["ingest_date", "city"],
                                           inputs, previous)
    assert flat.moves == sorted([
        (files[0][0], f"s3://lake/{hourly}"),
        (files[1][0], "s3://lake/weather/staging/ingest_date=2026-05-07/city=gyor/b1.parquet")])
    assert sorted(flat.stale) == sorted(["s3://lake/weather/staging/ingest_date=2026-05-07/city=pecs/b1.parquet",
                                         previous[0]])
    assert flat.replaced == ["s3://lake/weather/hourly/date=2026-05-07/city=gyor"]
    assert flat.staging_partitions == ["ingest_date=2026-05-07/city=gyor/"]
    # The same plan as for the same files at their places in the scratch folder (Spark's writer's paths).
    nested = weather_etl.plan_scratch_commit([f"{scratch}/{place}" for _, place in files], scratch, "s3://lake",
                                             "weather/staging/", ["ingest_date", "city"], inputs, previous)
    assert [target for _, target in nested.moves] == [target for _, target in flat.moves]
    assert (nested.stale, nested.replaced, nested.staging_partitions) == (
        flat.stale, flat.replaced, flat.staging_partitions)
