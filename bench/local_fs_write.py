"""What Hadoop's `chmod` per file costs a local Spark write, and what scripts/spark_local_fs.py's file system saves.

    .venv/bin/python bench/local_fs_write.py [--partitions 1000] [--writes 3] [--reps 1] [--out FILE]

Per repetition, two processes one after the other: `chmod` (Hadoop's own local file system: a `chmod` child process
per file created, as without Hadoop's native library) and `in-process` (SPARK_CONF_DIR from
scripts/spark_local_fs.py). Each starts a local[2] session and writes, `--writes` times into an emptied folder, a
frame of 24 rows per partition key partitioned into `--partitions` folders (one Parquet file each, the script's
repartition on a hash of the key, dynamic partition overwrite, no `.crc` files as in the script). Measured per write:
wall time and the JVM's CPU time including the children it reaped (the `chmod` processes), from /proc.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def child(partitions: int, writes: int, out: str) -> None:
    from pyspark.sql import SparkSession, functions as F

    spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false").config("spark.sql.shuffle.partitions", "4").getOrCreate())
    jvm = spark.sparkContext._jvm  # noqa: SLF001
    local = jvm.org.apache.hadoop.fs.FileSystem.getLocal(spark.sparkContext._jsc.hadoopConfiguration())  # noqa: SLF001
    local.setWriteChecksum(False)
    pid = jvm.java.lang.ProcessHandle.current().pid()

    def cpu() -> float:  # utime + stime + cutime + cstime of the JVM, seconds
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")

    frame = spark.range(partitions * 24).select((F.col("id") % partitions).alias("k"), F.col("id").alias("v"),
                                                F.rand(7).alias("x"))
    for write in range(1, writes + 1):
        shutil.rmtree(out, ignore_errors=True)
        began, cpu_before = time.monotonic(), cpu()
        (frame.repartition(F.xxhash64("k")).write.mode("overwrite").option("partitionOverwriteMode", "dynamic")
         .partitionBy("k").parquet(out))
        files = sum(1 for _ in Path(out).rglob("*.parquet"))
        print(json.dumps({"write": write, "wall_s": round(time.monotonic() - began, 2),
                          "jvm_cpu_s": round(cpu() - cpu_before, 2), "files": files,
                          "file_system": local.getRawFileSystem().getClass().getName()}), flush=True)
    spark.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partitions", type=int, default=1000)
    parser.add_argument("--writes", type=int, default=3)
    parser.add_argument("--reps", type=int, default=1)
    parser.add_argument("--out")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.child:
        child(opts.partitions, opts.writes, opts.folder)
        return 0
    sys.path.insert(0, str(ROOT / "scripts"))
    from java_runtimes import spark_java_home  # noqa: E402
    from spark_local_fs import install  # noqa: E402

    base = {k: v for k, v in os.environ.items() if k != "SPARK_CONF_DIR"}
    base.update(JAVA_HOME=str(spark_java_home()), PYSPARK_PYTHON=sys.executable)
    modes = {"chmod": base, "in-process": {**base, "SPARK_CONF_DIR": str(install())}}
    with tempfile.TemporaryDirectory(prefix="local-fs-write-") as work:
        for rep in range(1, opts.reps + 1):
            for mode, env in modes.items():
                load = os.getloadavg()[0]
                result = subprocess.run([sys.executable, __file__, "--child", "--partitions", str(opts.partitions),
                                         "--writes", str(opts.writes), "--folder", str(Path(work) / mode)],
                                        env=env, capture_output=True, text=True, check=True)
                for line in result.stdout.splitlines():
                    if line.startswith("{"):
                        row = {"rep": rep, "mode": mode, "partitions": opts.partitions, "load_before": round(load, 2),
                               **json.loads(line)}
                        print(json.dumps(row), flush=True)
                        if opts.out:
                            with open(opts.out, "a", encoding="utf-8") as handle:
                                handle.write(json.dumps(row) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
