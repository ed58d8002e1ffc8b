"""Round h15m: the refined layers' Parquet files written by pyarrow in Spark's Python workers (`written_files`).

What the files must keep from Spark's writer: one file per partition, at the path Spark's writer gives a partition
(Hive layout, values escaped as Spark escapes them), the contract's Parquet types with every column nullable,
timestamps INT64 microseconds adjusted to UTC, snappy, dictionary encoding only in a monthly partition's hourly file,
and the rows in a defined order; a lake written by Spark's writer and then by the workers reads and merges as one;
on S3 the write is one PutObject per file and no other request."""

import glob
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import weather_etl
from etl_testkit import (B1_MANIFEST, B2_MANIFEST, copy_landing, new_bucket, read_table, run_batch, session_conf,
                         small_frame)

# Each layer's columns in the contract, and the order of the rows in its files (a total order within a partition).
LAYERS = {"hourly": ("hourlyColumns", ["source", "observed_at"]),
          "daily": ("dailyColumns", ["source", "day"]),
          "staging": ("stagingColumns", ["city_name", "observed_at", "source_key"]),
          "quarantine": ("quarantineColumns", ["source_key", "observed_at_raw", "reason", "detail", "city", "city_name",
                                               "raw_values", "fetched_at", "run_id", "quarantined_at"])}
# Contract type -> (Parquet physical type, logical type) as Spark writes them with TIMESTAMP_MICROS.
PARQUET_TYPES = {"string": ("BYTE_ARRAY", "String"), "double": ("DOUBLE", "None"), "int": ("INT32", "None"),
                 "bigint": ("INT64", "None"), "boolean": ("BOOLEAN", "None"), "date": ("INT32", "Date"),
                 "timestamp": ("INT64", "Timestamp(isAdjustedToUTC=true, timeUnit=microseconds, "
                                        "is_from_converted_type=false, force_set_converted_type=false)")}


def layer_files(refined, layer):
    return sorted(glob.glob(os.path.join(str(refined), "weather", layer, "**", "*.parquet"), recursive=True))


def column_facts(path):
    """(name, physical type, logical type, optional?, dictionary-encoded?, codec) of every column of a file."""
    metadata = pq.read_metadata(path)
    schema = metadata.schema
    facts = []
    for i in range(metadata.num_columns):
        column = schema.column(i)
        chunk = metadata.row_group(0).column(i)
        facts.append((column.name, column.physical_type, str(column.logical_type), column.max_definition_level == 1,
                      any("DICTIONARY" in e for e in chunk.encodings), chunk.compression))
    return facts


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_every_file_has_the_contract_types_every_column_nullable_snappy_and_no_dictionary(b1_lake, contract, layer):
    """b1's files in a daily lake: each column of the contract's table (the partition keys in the path only) with
    the Parquet type Spark writes for it, optional, snappy, plain-encoded. Main's script wrote the hourly and staging
    files' `run_id` (and staging's `processed_at`) as required columns, from a literal."""
    columns_key, _ = LAYERS[layer]
    expected = [(c["name"], *PARQUET_TYPES[c["dataType"]], True, False, "SNAPPY")
                for c in contract["refined"][columns_key]]
    files = layer_files(b1_lake["refined"], layer)
    assert files
    for path in files:
        assert column_facts(path) == expected, path


def test_a_monthly_partitions_hourly_file_is_dictionary_encoded_where_it_pays_and_its_daily_file_is_not(
        b1_monthly_lake):
    """As parquet-mr decides it in main's files: the columns whose values repeat in the city's month (name,
    coordinates, fetch and processing times, keys) dictionary-encoded, the hours not (a dictionary of all-distinct
    values is larger than the values; measurements that repeat in the month may be); no dictionary in the daily
    layer."""
    repeated = {"city_name", "latitude", "longitude", "elevation", "fetched_at", "processed_at", "run_id",
                "source_key", "source", "date"}
    hourly = layer_files(b1_monthly_lake["refined"], "hourly")
    daily = layer_files(b1_monthly_lake["refined"], "daily")
    assert hourly and daily
    for path in hourly:
        assert pq.read_metadata(path).num_rows > 1
        encoded = {name for name, *_, dictionary, _ in column_facts(path) if dictionary}
        # Every repeated column; never the hours (all distinct: their dictionary would be larger) nor a boolean.
        assert repeated <= encoded and not encoded & {"observed_at", "is_forecast"}, path
    for path in daily:
        assert not any(dictionary for *_, dictionary, _ in column_facts(path))


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_every_file_holds_its_rows_in_the_layers_order(b1_lake, layer):
    """One file per partition folder (staging: per batch), its rows sorted on the layer's order (a total order)."""
    _, order = LAYERS[layer]
    files = layer_files(b1_lake["refined"], layer)
    assert len({os.path.dirname(p) for p in files}) == len(files)
    for path in files:
        rows = pq.ParquetFile(path).read().to_pylist()
        keys = [tuple((row[c] is not None, row[c]) for c in order) for row in rows]
        assert keys == sorted(keys), path
        assert len(set(keys)) == len(keys), path  # no two rows tie on the order


def test_one_file_per_partition_when_a_partition_spans_record_batches_at_the_path_spark_gives_it(spark, tmp_path):
    """Record batches of 5 rows (a partition's 24 rows span five of them): still one file per partition, its rows
    in order, its place in the folder Spark's own writer gives the partition; one summary row per file with its rows.
    The files themselves lie flat in the layer's scratch folder (round h15p: no folder per partition to make and
    delete), each under the name its place ends with."""
    frame = small_frame(spark)
    layer = weather_etl.LayerWrite(frame, "weather/hourly/", ["date", "city"], ["hour"])
    with session_conf(spark, {"spark.sql.execution.arrow.maxRecordsPerBatch": "5"}):
        written = weather_etl.written_files([layer], str(tmp_path / "scratch"), "w1").collect()
    weather_etl.write_partitions(frame, str(tmp_path / "spark"), ["date", "city"], sort_by=["hour"])
    spark_folders = sorted(os.path.relpath(os.path.dirname(p), tmp_path / "spark")
                           for p in glob.glob(str(tmp_path / "spark" / "**" / "*.parquet"), recursive=True))
    files = sorted(r["path"] for r in written)
    assert sorted(os.path.relpath(os.path.dirname(r["place"]), "weather/hourly") for r in written) == spark_folders
    assert len(spark_folders) == 6 and "date=2025-01-01/city=a b%3Ac%3Dd%2Fe" in spark_folders
    assert "date=2025-01-02/city=__HIVE_DEFAULT_PARTITION__" in spark_folders
    assert {r["layer"] for r in written} == {"weather/hourly/"} and all(r["rows"] == 24 for r in written)
    layer_folder = tmp_path / "scratch" / "weather" / "hourly"
    assert sorted(os.listdir(layer_folder)) == sorted(os.path.basename(p) for p in files)
    assert all(os.path.dirname(p) == str(layer_folder) for p in files)
    assert all(os.path.basename(r["place"]) == os.path.basename(r["path"]) for r in written)
    for path in files:
        table = pq.ParquetFile(path).read()
        assert table.column_names == ["hour", "value"]
        assert table.column("hour").to_pylist() == list(range(24))
        assert all(field.nullable for field in table.schema)


def test_a_lake_written_by_sparks_writer_then_by_the_workers_reads_and_merges_as_one(spark, tmp_path, monkeypatch,
                                                                                     contract):
    """b1 by Spark's writer (as main's script wrote it), then b2 by the workers: every layer holds the same rows as
    when both batches were written by the workers, and every partition one file."""
    mixed, workers = tmp_path / "mixed", tmp_path / "workers"
    with monkeypatch.context() as patch:
        patch.setattr(weather_etl, "arrow_writes_to", lambda scratch: False)
        landing = copy_landing(tmp_path / "landing")
        run_batch(spark, landing, mixed / "refined", "r1", "--manifest_key", B1_MANIFEST)
    spark_files = layer_files(mixed / "refined", "hourly")
    assert all(os.path.basename(p).endswith(".c000.snappy.parquet") for p in spark_files)  # Spark's writer's names
    run_batch(spark, landing, mixed / "refined", "r2", "--manifest_key", B2_MANIFEST)
    run_batch(spark, landing, workers / "refined", "r1", "--manifest_key", B1_MANIFEST)
    run_batch(spark, landing, workers / "refined", "r2", "--manifest_key", B2_MANIFEST)
    assert set(layer_files(mixed / "refined", "hourly")) != set(spark_files)  # b2 replaced some partitions
    for layer, schema in (("hourly", weather_etl.hourly_schema), ("daily", weather_etl.daily_schema),
                          ("staging", weather_etl.staging_schema), ("quarantine", weather_etl.quarantine_schema)):
        rows = [sorted(map(repr, read_table(spark, lake / "refined" / "weather" / layer, schema(contract)).collect()))
                for lake in (mixed, workers)]
        assert rows[0] == rows[1], layer
        files = layer_files(mixed / "refined", layer)
        assert len({os.path.dirname(p) for p in files}) == len(files) or layer == "staging"


# ---- On S3 (moto): one PutObject per file

@pytest.fixture
def s3(s3_client, spark, monkeypatch):
    """A fresh bucket on the module's moto server; the Python workers get the same AWS environment as the driver
    (`SparkContext.environment`: the executors' environment; on Glue each executor has its own role's)."""
    for name, value in os.environ.items():
        if name.startswith("AWS_"):
            monkeypatch.setitem(spark.sparkContext.environment, name, value)
    return s3_client, new_bucket(s3_client, "refined")


def test_the_write_on_s3_is_one_put_per_file_and_nothing_else(spark, s3, moto, tmp_path):
    client, bucket = s3
    frame = small_frame(spark)
    layer = weather_etl.LayerWrite(frame, "weather/hourly/", ["date", "city"], ["hour"])
    scratch = f"s3://{bucket}/weather/staging/_scratch/r1"
    written, requests = moto.record(lambda: weather_etl.written_files([layer], scratch, "w1").collect())
    paths = sorted(r["path"] for r in written)
    assert len(paths) == 6
    assert sorted((r.method, r.key) for r in requests) == sorted(
        ("PUT", p[len(f"s3://{bucket}/"):]) for p in paths)
    local = weather_etl.written_files([layer], str(tmp_path / "scratch"), "w1").collect()
    assert all(p.startswith(f"{scratch}/weather/hourly/part-") for p in paths)  # flat, as locally
    by_folder = {os.path.dirname(r["place"]): r["path"] for r in written}
    for row in local:
        body = client.get_object(Bucket=bucket, Key=by_folder[os.path.dirname(row["place"])]
                                 [len(f"s3://{bucket}/"):])["Body"].read()
        assert pq.read_table(pa.BufferReader(body)).equals(pq.ParquetFile(row["path"]).read())
