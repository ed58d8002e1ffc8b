"""Where a batch keeps its lazy local checkpoints (`local_checkpoint`, `checkpoint_on_disk`): in memory and on disk
(Spark's level) for a batch of small raw bodies, on disk only for one above CHECKPOINT_ON_DISK_MIN_RAW_BYTES, whose
checkpoints would not fit the driver's memory and would take it from the tasks each time they are read. Where they
are kept never changes what a batch writes."""

from pathlib import Path

import pytest

from etl_testkit import B1_MANIFEST, PROCESSED_AT, copy_landing, run_batch
from test_etl_landing_read_s3 import assert_refines_the_b1_lake
import weather_etl

MIB = 1024 * 1024


def checkpointed_rdd(frame):
    """The RDD a local checkpoint marked: the LogicalRDD that `localCheckpoint`'s frame is made of."""
    return frame._jdf.queryExecution().analyzed().rdd()  # noqa: SLF001


def kept_blocks(spark, rdd):
    """(bytes in memory, bytes on disk) of the RDD's kept blocks, as Spark's block managers report them."""
    for info in spark.sparkContext._jsc.sc().getRDDStorageInfo():  # noqa: SLF001
        if info.id() == rdd.id():
            return info.memSize(), info.diskSize()
    return 0, 0


def test_a_batch_of_more_raw_bytes_than_the_bound_keeps_its_checkpoints_on_disk():
    bound = weather_etl.CHECKPOINT_ON_DISK_MIN_RAW_BYTES
    assert bound == 16 * MIB
    assert not weather_etl.checkpoint_on_disk([])
    assert not weather_etl.checkpoint_on_disk([("a", bound, 0)])
    assert weather_etl.checkpoint_on_disk([("a", bound, 0), ("b", 1, 0)])
    # A year of 100 cities' forecasts (36,500 bodies of ~1.8 KB) and 100 x 30 (3,000 of them): disk, memory.
    assert weather_etl.checkpoint_on_disk([(str(i), 1_800, 0) for i in range(36_500)])
    assert not weather_etl.checkpoint_on_disk([(str(i), 1_800, 0) for i in range(3_000)])


@pytest.mark.parametrize("on_disk, level, where", [(False, "MEMORY_AND_DISK", "memory"), (True, "DISK_ONLY", "disk")])
def test_the_checkpoints_blocks_are_kept_where_the_batch_says(spark, on_disk, level, where):
    frame = spark.range(0, 50_000, numPartitions=2).selectExpr("id", "cast(id AS string) AS text")
    kept = weather_etl.local_checkpoint(frame, on_disk)
    rdd = checkpointed_rdd(kept)
    expected = getattr(spark.sparkContext._jvm.org.apache.spark.storage.StorageLevel, level)()  # noqa: SLF001
    assert rdd.getStorageLevel().equals(expected), rdd.getStorageLevel().description()
    assert kept.count() == 50_000  # the first job fills the checkpoint
    in_memory, on_disk_bytes = kept_blocks(spark, rdd)
    assert (in_memory > 0, on_disk_bytes > 0) == ((where == "memory"), (where == "disk")), (in_memory, on_disk_bytes)
    assert sorted(kept.collect()) == sorted(frame.collect())  # later jobs read the kept rows


def test_without_the_private_api_the_checkpoint_keeps_sparks_level(spark, monkeypatch):
    def missing(*_args):  # as a PySpark build without this private helper would answer
        raise AttributeError("'SparkContext' object has no attribute '_getJavaStorageLevel'")

    monkeypatch.setattr(type(spark.sparkContext), "_getJavaStorageLevel", missing)
    frame = spark.range(0, 10, numPartitions=2)
    kept = weather_etl.local_checkpoint(frame, True)
    assert checkpointed_rdd(kept).getStorageLevel().useMemory()  # Spark's own level: memory and disk
    assert kept.count() == 10


def test_a_batch_with_its_checkpoints_on_disk_refines_the_same_lake(spark, b1_lake, tmp_path, monkeypatch):
    used = []
    checkpoint = weather_etl.local_checkpoint
    monkeypatch.setattr(weather_etl, "local_checkpoint", lambda frame, on_disk: used.append(on_disk) or
                        checkpoint(frame, on_disk))
    monkeypatch.setattr(weather_etl, "CHECKPOINT_ON_DISK_MIN_RAW_BYTES", 0)
    landing = Path(copy_landing(tmp_path / "landing"))
    refined = tmp_path / "refined"
    summary = run_batch(spark, landing, refined, "r1", "--manifest_key", B1_MANIFEST, processed_at=PROCESSED_AT)

    assert used == [True, True, True]  # parsed, validated, ranked
    assert_refines_the_b1_lake(spark, summary, refined, b1_lake)


def test_the_first_job_truncates_every_checkpoint_of_a_chain(spark):
    """A batch's checkpoints form a chain (parsed, then validated, then ranked), and the first job fills the first two.
    Spark's `RDD.doCheckpoint` stops at the first marked RDD it meets walking up from the job's last RDD, so without
    `spark.checkpoint.checkpointAllMarkedAncestors` the parsed checkpoint kept its blocks but not its truncated
    lineage: every task of the next job that read it carried the driver's raw bodies again (the tallies job's stages,
    "task of very large size"; on Glue, shipped again to the executors)."""
    context = spark.sparkContext
    rows = [(i, "x" * 100) for i in range(2_000)]
    raw = spark.createDataFrame(context.parallelize(rows, 2), "id long, body string")
    first = weather_etl.local_checkpoint(raw.selectExpr("id", "length(body) AS size"), False)
    second = weather_etl.local_checkpoint(first.where("id % 2 = 0"), False)
    assert context.getLocalProperty(weather_etl.CHECKPOINT_ALL_MARKED_ANCESTORS) is None  # the setting is not left on

    assert second.count() == 1_000  # one job fills both
    for kept in (first, second):
        rdd = checkpointed_rdd(kept)
        assert rdd.isCheckpointed(), rdd.toDebugString()
        assert "ParallelCollectionRDD" not in rdd.toDebugString()
    assert first.where("size = 100").count() == 2_000  # a later job reads the first one's kept rows
