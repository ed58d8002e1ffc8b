"""The per-file cost of the writes (issue #15, round h15f): what a local run does after Spark's writes without the JVM,
with the same outcome as before. Timings are in bench/ and docs/PERFORMANCE.md (section 2), not here."""

import os

import weather_etl


def make_tree(root):
    for batch in ("b1", "b2"):
        folder = root / "ingest_date=2026-05-07" / "city=gyor" / f"staged_batch={batch}"
        folder.mkdir(parents=True)
        (folder / "part-00000.snappy.parquet").write_bytes(b"PAR1")
    return root


def test_a_local_tree_is_deleted_without_the_jvm(tmp_path):
    # spark=None: a local delete must not reach Hadoop's FileSystem through py4j (the staging write's scratch folder
    # holds a folder per partition and batch). Today's code asks Hadoop, so it fails here without a session.
    scratch = make_tree(tmp_path / "_scratch" / "run-1")
    weather_etl._delete_tree(None, str(scratch))
    assert not scratch.exists()
    assert (tmp_path / "_scratch").is_dir()
    weather_etl._delete_tree(None, "file://" + str(tmp_path / "_scratch"), only_if_empty=True)
    assert not (tmp_path / "_scratch").exists()


def test_only_if_empty_keeps_a_folder_with_anything_in_it_and_a_file(tmp_path):
    kept = make_tree(tmp_path / "_scratch")
    weather_etl._delete_tree(None, str(kept), only_if_empty=True)
    assert sorted(p.name for p in kept.rglob("*.parquet")) == ["part-00000.snappy.parquet"] * 2
    single = tmp_path / "b1.parquet"
    single.write_bytes(b"PAR1")
    weather_etl._delete_tree(None, str(single), only_if_empty=True)
    assert single.exists()


def test_a_file_is_deleted_and_a_missing_path_is_no_error(tmp_path):
    single = tmp_path / "ingest_date=2026-05-07" / "city=gyor" / "b1.parquet"
    single.parent.mkdir(parents=True)
    single.write_bytes(b"PAR1")
    weather_etl._delete_tree(None, str(single))
    assert not single.exists() and single.parent.is_dir()
    weather_etl._delete_tree(None, str(tmp_path / "nothing-here"))
    weather_etl._delete_tree(None, str(tmp_path / "nothing-here"), only_if_empty=True)
    assert sorted(os.listdir(tmp_path)) == ["ingest_date=2026-05-07"]


def test_a_symbolic_link_to_a_folder_is_removed_not_followed(tmp_path):
    target = make_tree(tmp_path / "elsewhere")
    link = tmp_path / "scratch-link"
    link.symlink_to(target, target_is_directory=True)
    weather_etl._delete_tree(None, str(link))
    assert not os.path.lexists(link)
    assert len(list(target.rglob("*.parquet"))) == 2
