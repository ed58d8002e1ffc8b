"""`_rows_by_partition`: the one shuffle (and sort) both writers' rows go through (`write_partitions`, Spark's writer;
`written_files`, the Python workers). Round h15p's review mend: the two writers repeated it; the plans are the same."""

from pyspark.sql import types as T

import weather_etl

SCHEMA = T.StructType([T.StructField("date", T.StringType()), T.StructField("city", T.StringType()),
                       T.StructField("hour", T.IntegerType())])


def plan(frame):
    return frame._jdf.queryExecution().optimizedPlan().toString()  # noqa: SLF001


def expected(frame, sort_by):
    shuffled = frame.repartition(weather_etl.F.xxhash64("date", "city"))
    return shuffled if sort_by is None else shuffled.sortWithinPartitions("date", "city", *sort_by)


def test_the_helper_gives_the_plans_the_writers_built_before(spark):
    """No sort without `sort_by` (Spark's writer groups a task's rows itself), a sort on the keys alone with an empty
    `sort_by` (the workers need a partition's rows consecutive), the keys then `sort_by` otherwise: the same optimized
    plans as the repartition and sort each writer wrote out before."""
    frame = spark.createDataFrame([("2025-01-01", "gyor", h) for h in range(3)], SCHEMA)
    for sort_by in (None, [], ["hour"]):
        got = weather_etl._rows_by_partition(frame, ["date", "city"], sort_by)  # noqa: SLF001
        assert plan(got) == plan(expected(frame, sort_by)), sort_by
    assert "Sort " not in plan(weather_etl._rows_by_partition(frame, ["date", "city"]))  # noqa: SLF001
    assert "Sort [date" in plan(weather_etl._rows_by_partition(frame, ["date", "city"], []))  # noqa: SLF001
