"""Round h15q: a local commit (`commit_scratch`) asks for each partition folder once, and sweeps only the replaced
partition folders that existed before it: a folder the commit made holds nothing but its own moves. A local
100 x 365 run makes 73,000 hourly and daily partition folders, each listed after its move before this round."""

import os

import weather_etl


def scratch_with(tmp_path, places):
    """A scratch folder holding one flat file per place, and the (path, place) pairs the workers would return."""
    scratch = tmp_path / "refined" / "weather" / "staging" / "_scratch" / "r1"
    pairs = []
    for n, place in enumerate(places):
        layer_folder = scratch / os.path.dirname(os.path.dirname(os.path.dirname(place)))
        layer_folder.mkdir(parents=True, exist_ok=True)
        path = layer_folder / os.path.basename(place)
        path.write_bytes(b"file %d" % n)
        pairs.append((str(path), place))
    return scratch, pairs


def test_new_partition_folders_are_made_once_and_not_swept_existing_ones_are(tmp_path, monkeypatch):
    refined = tmp_path / "refined"
    existing = refined / "weather" / "hourly" / "date=2025-01-01" / "city=a"
    existing.mkdir(parents=True)
    (existing / "part-old.parquet").write_bytes(b"old")
    (existing / ".stray.crc").write_bytes(b"stray")
    places = ["weather/hourly/date=2025-01-01/city=a/part-1.parquet",
              "weather/hourly/date=2025-01-01/city=b/part-2.parquet",
              "weather/hourly/date=2025-01-02/city=a/part-3.parquet",
              "weather/daily/date=2025-01-02/city=a/part-4.parquet"]
    scratch, pairs = scratch_with(tmp_path, places)
    commit = weather_etl.plan_scratch_commit(pairs, str(scratch), str(refined), "weather/staging", ["ingest_date", "city"],
                                             [], [str(existing / "part-old.parquet")])
    listed, made = [], []
    real_scandir, real_mkdir = os.scandir, os.mkdir
    monkeypatch.setattr(os, "scandir", lambda path=".": listed.append(os.fspath(path)) or real_scandir(path))
    monkeypatch.setattr(os, "mkdir", lambda path, *a, **k: made.append(os.fspath(path)) or real_mkdir(path, *a, **k))

    weather_etl.commit_scratch(None, commit)

    # Only the folder that held files before the commit is listed, and its stray file and old file are gone.
    assert listed == [str(existing)]
    assert sorted(os.listdir(existing)) == ["part-1.parquet"]
    for place in places:
        assert (refined / place).is_file()
    # Each new folder is asked for once (its missing parent too, for the first file of a new day).
    assert made.count(str(refined / "weather" / "hourly" / "date=2025-01-02" / "city=a")) <= 2
    assert sorted(set(made)) == sorted({str(refined / os.path.dirname(p)) for p in places}
                                       | {str(refined / "weather" / "hourly" / "date=2025-01-02"),
                                          str(refined / "weather" / "daily"),
                                          str(refined / "weather" / "daily" / "date=2025-01-02")})


def test_a_second_file_into_a_folder_the_commit_made_asks_for_the_folder_no_more(tmp_path, monkeypatch):
    """Staging: several files of one partition folder (one per batch) go to the same new folder."""
    refined = tmp_path / "refined"
    folder = refined / "weather" / "hourly" / "date=2025-01-01" / "city=a"
    (refined / "weather" / "hourly" / "date=2025-01-01").mkdir(parents=True)
    moves = []
    for n in range(3):
        source = tmp_path / f"s{n}"
        source.write_bytes(b"x")
        moves.append((str(source), str(folder / f"part-{n}.parquet")))
    made = []
    real_mkdir = os.mkdir
    monkeypatch.setattr(os, "mkdir", lambda path, *a, **k: made.append(os.fspath(path)) or real_mkdir(path, *a, **k))
    weather_etl.commit_scratch(None, weather_etl.ScratchCommit(moves, [], [str(folder)], []))
    assert made == [str(folder)]
    assert sorted(os.listdir(folder)) == ["part-0.parquet", "part-1.parquet", "part-2.parquet"]
