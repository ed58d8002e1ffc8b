"""What a Parquet writer setting saves per file: the same partitioned write, settings alternated in one JVM, CPU time.

    .venv/bin/python bench/write_settings.py --hourly /tmp/run/refined/weather/hourly [--partitions 1000] [--reps 3] \
        [--out FILE]

Reads the hourly layer a run of the Glue script wrote (date=/city= partitions of 24 rows), keeps `--partitions` of
them cached, and writes them again as the script does (`write_partitions`: repartition on a hash of the keys, one
snappy file per partition, dynamic partition overwrite) into an emptied folder, once per variant per repetition, the
variants alternated (their order rotating). Runs on scripts/spark_local_fs.py's local file system (as the tests and local runs do), no `.crc`
files. Measured per write: wall time and the JVM's CPU time (from /proc; on a loaded machine the CPU time is the
figure to read), files written, and whether the rows read back equal the baseline's.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WRITE_SUPPORT_LOGGER = "org.apache.spark.sql.execution.datasources.parquet.ParquetWriteSupport"
VARIANTS = {
    "baseline": {},
    "no-dictionary": {"parquet.enable.dictionary": "false"},
    "quiet-write-support": {"_log": "WARN"},
    "no-dictionary+quiet": {"parquet.enable.dictionary": "false", "_log": "WARN"},
    # The script's writer (round h15f) with a static overwrite: one job commit, no delete + mkdirs + rename per
    # partition (round h15h: the staging layer's scratch write, whose folder is always new).
    "script-dynamic": {"parquet.enable.dictionary": "false", "_log": "WARN"},
    "script-static": {"parquet.enable.dictionary": "false", "_log": "WARN", "partitionOverwriteMode": "static"},
}


def child(hourly: str, partitions: int, reps: int, out: str, variants: list[str]) -> None:
    sys.path.insert(0, str(ROOT / "src" / "etl" / "script"))
    from pyspark.sql import SparkSession, functions as F

    spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false").getOrCreate())
    import weather_etl

    weather_etl.configure_session(spark)
    jvm = spark.sparkContext._jvm  # noqa: SLF001
    pid = jvm.java.lang.ProcessHandle.current().pid()
    configurator = jvm.org.apache.logging.log4j.core.config.Configurator
    level = jvm.org.apache.logging.log4j.Level

    def cpu() -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")

    frame = spark.read.parquet(hourly)
    chosen = frame.select("date", "city").distinct().orderBy("date", "city").limit(partitions)
    frame = frame.join(F.broadcast(chosen), ["date", "city"]).cache()
    rows = frame.count()
    reference = None
    for rep in range(1, reps + 1):
        # The order rotates per repetition: the JIT warms up over the first writes, which favours later variants.
        for name in variants[rep % len(variants):] + variants[:rep % len(variants)]:
            settings = dict(VARIANTS[name])
            configurator.setLevel(WRITE_SUPPORT_LOGGER, level.getLevel(settings.pop("_log", "INFO")))
            target = str(Path(out) / name)
            shutil.rmtree(target, ignore_errors=True)
            writer_frame = frame.repartition(F.xxhash64("date", "city"))
            began, cpu_before = time.monotonic(), cpu()
            writer = (writer_frame.write.mode("overwrite").option("partitionOverwriteMode", "dynamic")
                      .option("compression", "snappy").option("maxRecordsPerFile", 0))
            for key, value in settings.items():
                writer = writer.option(key, value)
            writer.partitionBy("date", "city").parquet(target)
            wall, used = time.monotonic() - began, cpu() - cpu_before
            files = list(Path(target).rglob("*.parquet"))
            back = spark.read.parquet(target)
            digest = back.select(F.sum(F.xxhash64(*back.columns))).first()[0]
            reference = digest if reference is None else reference
            print(json.dumps({"rep": rep, "variant": name, "settings": VARIANTS[name], "rows": rows,
                              "files": len(files), "bytes": sum(f.stat().st_size for f in files),
                              "wall_s": round(wall, 2), "jvm_cpu_s": round(used, 2),
                              "rows_equal_baseline": digest == reference, "load": round(os.getloadavg()[0], 1)}),
                  flush=True)
    spark.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hourly", required=True)
    parser.add_argument("--partitions", type=int, default=1000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--out")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    variants = opts.variants.split(",")
    if opts.child:
        child(opts.hourly, opts.partitions, opts.reps, opts.folder, variants)
        return 0
    sys.path.insert(0, str(ROOT / "scripts"))
    from java_runtimes import spark_java_home  # noqa: E402
    from spark_local_fs import install  # noqa: E402
    from child_process import run_child  # noqa: E402

    env = dict(os.environ, JAVA_HOME=str(spark_java_home()), PYSPARK_PYTHON=sys.executable,
               SPARK_CONF_DIR=str(install()))
    with tempfile.TemporaryDirectory(prefix="write-settings-") as work:
        return run_child([sys.executable, __file__, "--child", "--hourly", opts.hourly, "--partitions",
                          str(opts.partitions), "--reps", str(opts.reps), "--variants", opts.variants,
                          "--folder", work], env, opts.out)


if __name__ == "__main__":
    sys.exit(main())
