"""The per-file cost of the writes (issue #15, round h15f): the Parquet writer's settings and logging, and what a
local run does after Spark's writes without the JVM, each with the same outcome as before. Timings are in bench/ and
docs/PERFORMANCE.md (section 2), not here."""

import datetime
import os


import weather_etl

WRITE_SUPPORT = "org.apache.spark.sql.execution.datasources.parquet.ParquetWriteSupport"


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


# --- The Parquet writer's per-file work ---------------------------------------------------------------------------

def column_chunks(spark, file_path):
    """(column path, has a dictionary page, encodings) of every column chunk of a Parquet file, read with parquet-mr."""
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    reader = jvm.org.apache.parquet.hadoop.ParquetFileReader.open(
        jvm.org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(jvm.org.apache.hadoop.fs.Path(file_path), conf))
    try:
        return [(str(column.getPath().toDotString()), bool(column.getEncodingStats().hasDictionaryPages()),
                 sorted(str(e) for e in column.getEncodings()))
                for block in reader.getFooter().getBlocks() for column in block.getColumns()]
    finally:
        reader.close()


def lake_files(refined):
    return sorted(str(p) for p in refined.rglob("*.parquet"))


def dictionary_layers(spark, refined):
    """Layer -> (files, files with a dictionary page in some column chunk) of a lake."""
    found = {}
    for f in lake_files(refined):
        layer = f.split("/weather/", 1)[1].split("/", 1)[0]
        files, with_dictionary = found.get(layer, (0, 0))
        found[layer] = (files + 1, with_dictionary + any(d for _, d, _ in column_chunks(spark, f)))
    return found


def test_no_layer_of_daily_partitions_writes_dictionary_pages(spark, b1_lake):
    # A partition's file holds a few dozen rows: no column chunk of any layer (hourly, staging, daily, quarantine)
    # has a dictionary page. Today's writer builds one per column (the test fails on it).
    layers = dictionary_layers(spark, b1_lake["refined"])
    assert set(layers) == {"hourly", "staging", "daily", "quarantine"}
    assert {layer: with_dictionary for layer, (_, with_dictionary) in layers.items()} == \
        {"hourly": 0, "staging": 0, "daily": 0, "quarantine": 0}


def test_monthly_hourly_files_keep_the_dictionary_and_the_other_layers_do_not(spark, b1_monthly_lake):
    # A monthly partition's hourly file holds a city's month of hours (up to 744 rows): dictionary-encoded, as before;
    # staging (one fetch), daily (a city's days of a month) and quarantine files are not.
    layers = dictionary_layers(spark, b1_monthly_lake["refined"])
    files, with_dictionary = layers.pop("hourly")
    assert with_dictionary == files > 0
    assert {layer: with_dictionary for layer, (_, with_dictionary) in layers.items()} == \
        {"staging": 0, "daily": 0, "quarantine": 0}


def sample_frame(spark):
    from pyspark.sql import functions as F

    rows = [(f"2026-05-0{d}", city, h, f"name {city}", 20.5 + h / 10, datetime.datetime(2026, 5, d, h))
            for d in (7, 8) for city in ("gyor", "pecs", "szeged") for h in range(24)]
    return spark.createDataFrame(rows, "date string, city string, hour int, city_name string, t double, at timestamp") \
        .withColumn("t", F.when(F.col("hour") % 5 == 0, None).otherwise(F.col("t")))


def read_rows(spark, root):
    return sorted(tuple(r) for r in spark.read.parquet(str(root)).collect())


def test_a_rewrite_gives_the_same_rows_and_the_same_bytes(spark, tmp_path):
    frame = sample_frame(spark)
    first, second = tmp_path / "first", tmp_path / "second"
    weather_etl.write_partitions(frame, str(first), ["date", "city"], sort_by=["hour"])
    weather_etl.write_partitions(frame, str(second), ["date", "city"], sort_by=["hour"])
    files = sorted(p.relative_to(first).parent for p in first.rglob("*.parquet"))
    assert len(files) == len(set(files)) == 6  # one file per partition
    # (Spark reads the `date=` folders back as dates.)
    expected = sorted((r["hour"], r["city_name"], r["t"], r["at"], datetime.date.fromisoformat(r["date"]), r["city"])
                      for r in frame.collect())
    assert read_rows(spark, first) == read_rows(spark, second) == expected
    contents = {p.relative_to(first).parent: p.read_bytes() for p in first.rglob("*.parquet")}
    assert contents == {p.relative_to(second).parent: p.read_bytes() for p in second.rglob("*.parquet")}
    # PLAIN values, RLE/BIT_PACKED levels: no dictionary encoding in any column chunk.
    encodings = {e for f in first.rglob("*.parquet") for _, _, found in column_chunks(spark, str(f)) for e in found}
    assert not encodings & {"PLAIN_DICTIONARY", "RLE_DICTIONARY"}


class log_level:
    """Sets a log4j logger's level for a `with` block, then restores it."""

    def __init__(self, spark, name, level):
        self.jvm, self.name, self.level = spark.sparkContext._jvm, name, level

    def __enter__(self):
        log4j = self.jvm.org.apache.logging.log4j
        self.saved = log4j.LogManager.getLogger(self.name).getLevel()
        log4j.core.config.Configurator.setLevel(self.name, log4j.Level.getLevel(self.level))
        return lambda: str(log4j.LogManager.getLogger(self.name).getLevel())

    def __exit__(self, *exc):
        self.jvm.org.apache.logging.log4j.core.config.Configurator.setLevel(self.name, self.saved)


def test_a_write_raises_the_per_file_info_loggers_to_warn(spark, tmp_path):
    # Spark's ParquetWriteSupport builds the schema as JSON for an INFO message per file written, which a local
    # session's console filter then drops: at INFO a write raises it to WARN (today's code leaves it at INFO).
    with log_level(spark, WRITE_SUPPORT, "INFO") as level, log_level(spark, "org.apache.parquet", "INFO") as parquet:
        weather_etl.write_partitions(sample_frame(spark), str(tmp_path / "t"), ["date", "city"])
        assert (level(), parquet()) == ("WARN", "WARN")


def test_a_debug_level_set_by_the_user_is_kept(spark, tmp_path):
    with log_level(spark, WRITE_SUPPORT, "DEBUG") as level:
        weather_etl.write_partitions(sample_frame(spark), str(tmp_path / "t"), ["date", "city"])
        assert level() == "DEBUG"
