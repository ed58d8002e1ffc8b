"""The fixed cost of a small batch in a cold driver (issue #15, round h15i): what a small batch makes Spark load or
build that it does not need, counted (RDD lineage, plans, footers), not timed. Timings: bench/fixed_cost_profile.py,
bench/class_load_census.py and docs/PERFORMANCE.md, section 2."""

import os
import re

import pytest

from etl_testkit import B1_MANIFEST, copy_landing, parquet_footer_schema, run_batch
import weather_etl


def daily_footers(spark, refined):
    """Daily partition folder (relative) -> the Parquet schema its one file's footer declares."""
    daily = os.path.join(refined, "weather", "daily")
    footers = {}
    for root, _, names in os.walk(daily):
        for name in names:
            if name.endswith(".parquet"):
                footers[os.path.relpath(root, daily)] = parquet_footer_schema(spark, os.path.join(root, name))[0]
    return footers


def test_the_daily_columns_are_optional_in_a_batch_into_an_empty_lake(spark, tmp_path):
    # A new daily partition is written from freshly computed rows, whose counts and literals Spark knows are never
    # null: written as they are, their columns would be `required` in the footer, and the same partition rewritten
    # later (its rows unioned with the stored ones, read as nullable) would differ in its bytes (test_etl_zones
    # checks a rerun's bytes). Every column of every daily file is `optional`, as the stored rows read back.
    landing = copy_landing(tmp_path / "landing")
    summary = run_batch(spark, landing, str(tmp_path / "refined"), "nullable-1", "--manifest_key", B1_MANIFEST)
    assert summary["reconciled"] and summary["partitions"]["daily"]
    footers = daily_footers(spark, str(tmp_path / "refined"))
    assert len(footers) == len(summary["partitions"]["daily"])
    contract = weather_etl.load_contract()
    columns = [f.name for f in weather_etl.daily_schema(contract).fields if f.name not in contract["refined"]["dailyPartitionKeys"]]
    for folder, schema in footers.items():
        assert "required " not in schema, (folder, schema)
        for column in columns:
            assert re.search(rf"^\s*optional \S+ {re.escape(column)}\b", schema, re.M), (folder, column, schema)


def rdd_call_sites(rdd):
    """The call site of every RDD in the lineage of `rdd` (a JVM RDD), e.g. 'rdd at ...', 'toRdd at ...'."""
    sites = []
    for line in str(rdd.toDebugString()).splitlines():
        found = re.search(r"\]\s+at\s+(\S+)\s+at\s", line)  # "MapPartitionsRDD[15] at rdd at Native...java:0 []"
        if found:
            sites.append(found.group(1))
    return sites


def test_as_nullable_keeps_the_rows_internal_and_makes_every_column_nullable(spark):
    # Round h15i: `as_nullable` gives the frame's own internal rows a nullable schema; before, it converted them to
    # external Rows (`Dataset.rdd`) and back (`createDataFrame`), whose deserializer loaded Scala's runtime reflection in
    # a cold driver (~1,000 classes: the largest part of the 3-city batch's daily write).
    frame = spark.range(3).selectExpr("id", "'open-meteo' AS source", "count(1) OVER () AS n", "date'2026-05-07' AS day")
    assert not any(f.nullable for f in frame.schema.fields)
    out = weather_etl.as_nullable(spark, frame)
    assert [(f.name, f.dataType, f.nullable) for f in out.schema.fields] == \
        [(f.name, f.dataType, True) for f in frame.schema.fields]
    assert sorted(map(tuple, out.collect())) == sorted(map(tuple, frame.collect()))
    # Nullable in the plan the write gets, not only in the schema Python sees.
    assert all(a.nullable() for a in _seq(out._jdf.queryExecution().optimizedPlan().output()))  # noqa: SLF001
    sites = rdd_call_sites(out._jdf.queryExecution().toRdd())  # noqa: SLF001
    assert sites and "rdd" not in sites and "createDataFrame" not in sites, sites


def test_as_nullable_without_the_internal_method_falls_back_to_the_row_round_trip(spark, monkeypatch):
    # `internalCreateDataFrame` is Spark's internal API (Scala `private[sql]`): a Spark build without it gets the
    # conversion through external rows, with the same rows and schema.
    frame = spark.range(3).selectExpr("id", "'open-meteo' AS source")
    monkeypatch.setattr(weather_etl, "INTERNAL_CREATE_DATAFRAME", "noSuchMethodInThisSparkBuild")
    out = weather_etl.as_nullable(spark, frame)
    assert [(f.name, f.nullable) for f in out.schema.fields] == [("id", True), ("source", True)]
    assert sorted(map(tuple, out.collect())) == [(0, "open-meteo"), (1, "open-meteo"), (2, "open-meteo")]
    assert "createDataFrame" in rdd_call_sites(out._jdf.queryExecution().toRdd())  # noqa: SLF001


def _seq(scala_seq):
    return [scala_seq.apply(i) for i in range(scala_seq.size())]


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__, "-q"]))
