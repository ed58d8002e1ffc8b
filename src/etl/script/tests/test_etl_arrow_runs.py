"""Round h15q: how the Python workers' writer (`_arrow_file_writer`) splits its record batches into files, and how it
stores them. Outside Spark: the writer is a plain function of an iterator of Arrow record batches.

A file holds one run of consecutive rows with the same partition key values, nulls equal to each other, across
record batches; the runs are found by Arrow's kernels (round h15q) where a Python loop compared every row's values
before. Each file is written in memory and stored with one write, and its bytes are pyarrow's for the same table."""

import os

import pyarrow as pa
import pyarrow.parquet as pq

import weather_etl

KEYS = ["date", "city"]


def reference_runs(rows):
    """(key values, [values of v]) per run of consecutive rows with equal keys: the plain-Python reading."""
    runs = []
    for date, city, value in rows:
        if runs and runs[-1][0] == (date, city):
            runs[-1][1].append(value)
        else:
            runs.append(((date, city), [value]))
    return runs


def batches_of(rows, size):
    batches = []
    for start in range(0, len(rows), size):
        chunk = rows[start:start + size]
        batches.append(pa.RecordBatch.from_arrays(
            [pa.array([r[0] for r in chunk], pa.string()), pa.array([r[1] for r in chunk], pa.string()),
             pa.array([r[2] for r in chunk], pa.int64())], names=["date", "city", "v"]))
    return batches


def write(tmp_path, batches):
    writer = weather_etl._arrow_file_writer(str(tmp_path / "scratch"), "weather/hourly/", KEYS, ["v"], False, "w1", 4)
    written = pa.Table.from_batches(list(writer(iter(batches))))
    return written.to_pylist()


# Nulls in either key, a null city after a named one and before it again, runs that span batches, a batch that is
# one run, a run of one row, and the same keys again after another run (a file of its own: the rows come sorted, so
# a partition's rows are consecutive, and the writer does not look back).
ROWS = ([("2025-01-01", "a", i) for i in range(7)] + [("2025-01-01", None, i) for i in range(3)]
        + [("2025-01-01", "a", 100)] + [(None, None, i) for i in range(4)] + [(None, "b", 5)]
        + [("2025-01-02", "b", i) for i in range(11)] + [("2025-01-02", "c", 0)] + [("2025-01-02", "b", 42)])


def test_each_run_of_equal_keys_is_one_file_whatever_the_batch_size(tmp_path):
    expected = reference_runs(ROWS)
    assert len(expected) == 8
    for size in (1, 2, 3, 5, 7, len(ROWS)):
        folder = tmp_path / f"size{size}"
        written = write(folder, batches_of(ROWS, size))
        assert [r["rows"] for r in written] == [len(values) for _, values in expected], size
        for row, (key_values, values) in zip(written, expected):
            table = pq.read_table(row["path"])
            assert table.column("v").to_pylist() == values
            place_folders = row["place"].split("/")[2:4]
            assert place_folders == [f"{k}={v if v is not None else '__HIVE_DEFAULT_PARTITION__'}"
                                     for k, v in zip(KEYS, key_values)], size


def test_the_stored_file_has_the_bytes_pyarrow_writes_for_the_table(tmp_path):
    """One write of the whole file: the same bytes as pyarrow writing the nullable table to a path, and nothing else
    in the layer's folder (no temporary file)."""
    written = write(tmp_path, batches_of(ROWS[:7], 7))
    assert len(written) == 1
    table = pa.table({"v": pa.array(range(7), pa.int64())})
    pq.write_table(table, str(tmp_path / "direct.parquet"), compression="snappy", use_dictionary=False,
                   store_schema=False)
    with open(written[0]["path"], "rb") as stored, open(tmp_path / "direct.parquet", "rb") as direct:
        assert stored.read() == direct.read()
    assert os.listdir(tmp_path / "scratch" / "weather" / "hourly") == [os.path.basename(written[0]["path"])]
