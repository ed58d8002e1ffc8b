"""Runs the Glue script (src/etl/script/weather_etl.py) once on local Spark with chosen Spark settings, and measures it.

    .venv/bin/python bench/run_etl.py --landing /tmp/bench/l100x30 --refined /tmp/bench/r1 --variant script \
        [--manifest_key K | --raw_prefix P] [--conf key=value ...] [--contract monthly|PATH] [--out result.json]

The script's own entry point builds its local session (`local[2]`; `configure_session` then sizes the shuffle
partitions at twice the cores unless they are set explicitly), and on Glue it takes the GlueContext's session; so,
to try the settings a Glue user would set (`--conf` job parameter) without editing the script, this runner builds
the session itself and calls the script's `run(spark, args, contract)`, the function `main()` calls. Measured: wall
time of `run` (the job's work, not the JVM start-up), records per second, peak RSS of the whole process tree
(Python driver + JVM, sampled every 100 ms from /proc), and the files written per partition.

`--contract monthly` passes the contract a RefinedLake with `partitionGranularity: MONTH` gives the Glue job
(`monthly.etlContract` of test/catalog/queries.json) as `--contract_json`, so the script writes `month=/city=`
partitions; `--contract PATH` passes any contract file; without it the script's own contract.json (daily).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT_DIR = ROOT / "src" / "etl" / "script"

# Settings per variant. `script`: what the script uses locally (4 shuffle partitions on 2 cores). `glue-default`:
# what the job got on Glue before configure_session() sized the shuffle partitions itself (Spark's default 200, 4 MB
# open cost per file); set explicitly here, it is kept, as a Glue `--conf spark.sql.shuffle.partitions=200` would be.
# `tuned`: few shuffle partitions and small-file grouping.
VARIANTS = {
    "script": {"spark.sql.shuffle.partitions": "4"},
    "glue-default": {"spark.sql.shuffle.partitions": "200"},
    "tuned": {"spark.sql.shuffle.partitions": "4", "spark.sql.files.openCostInBytes": "65536",
              "spark.sql.files.maxPartitionBytes": "268435456"},
}


def _exe(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return ""


def tree_rss_bytes(root_pid: int, count_spawning: bool = False) -> int:
    return tree_rss_pair(root_pid)[1 if count_spawning else 0]


def tree_rss_pair(root_pid: int) -> tuple[int, int]:
    """RSS of `root_pid` and its descendants: (without, with) the children a JVM is spawning, one pass.

    A child of a JVM that still runs the JVM's own executable has not reached `exec` yet: Java starts processes
    with posix_spawn (clone with CLONE_VM), so until then the child *is* the JVM's memory and /proc shows the
    JVM's whole RSS for it a second time. The first figure counts such children 0; the second is the old sum,
    which counts them. Without Hadoop's native library its local file system runs `chmod` in a child process to
    set permissions, so a run writing thousands of local partition folders spawns often, and a 50 ms sampler can
    land in that window (seen: a child of ~1 GiB at the peak of a 100 x 30 run, rss_breakdown.py).
    """
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    total = total_with = 0
    stack = [(root_pid, "")]
    while stack:
        pid, parent_exe = stack.pop()
        exe = _exe(pid)
        spawning = parent_exe.endswith("/java") and exe == parent_exe
        try:
            with open(f"/proc/{pid}/statm") as handle:
                rss = int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            rss = 0
        total_with += rss
        total += 0 if spawning else rss
        stack.extend((child, exe) for child in children.get(pid, []))
    return total, total_with


class PeakRss(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.peak, self.running = 0, True

    def run(self):
        while self.running:
            self.peak = max(self.peak, tree_rss_bytes(os.getpid()))
            time.sleep(0.1)


def output_stats(refined: Path) -> dict:
    hourly = refined / "weather" / "hourly"
    per_partition, sizes = [], []
    for part in [*hourly.glob("date=*/city=*"), *hourly.glob("month=*/city=*")]:
        files = [f for f in part.iterdir() if f.name.endswith(".parquet")]
        per_partition.append(len(files))
        sizes.extend(f.stat().st_size for f in files)
    return {"partitions": len(per_partition), "parquet_files": len(sizes), "parquet_bytes": sum(sizes),
            "files_per_partition_max": max(per_partition, default=0),
            "files_per_partition_min": min(per_partition, default=0),
            "mean_file_bytes": round(sum(sizes) / len(sizes)) if sizes else 0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", required=True)
    parser.add_argument("--refined", required=True)
    parser.add_argument("--variant", default="script", choices=sorted(VARIANTS))
    parser.add_argument("--conf", action="append", default=[], help="extra Spark setting key=value")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--manifest_key")
    source.add_argument("--raw_prefix")
    parser.add_argument("--contract", help="'monthly' (the MONTH contract from test/catalog/queries.json) or a contract JSON file")
    parser.add_argument("--run_id", default="bench")
    parser.add_argument("--out")
    opts = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    from java_runtimes import spark_java_home  # noqa: E402  (Java 17 from PyPI in .tools/, or SPARK_JAVA_HOME)
    os.environ["JAVA_HOME"] = str(spark_java_home())
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    sys.path.insert(0, str(SCRIPT_DIR))
    import weather_etl  # noqa: E402
    from pyspark.sql import SparkSession  # noqa: E402

    conf = dict(VARIANTS[opts.variant])
    conf.update(dict(c.split("=", 1) for c in opts.conf))
    generated = json.loads((Path(opts.landing) / "generated.json").read_text())
    argv = ["--landing_uri", opts.landing, "--refined_uri", opts.refined, "--run_id", opts.run_id,
            "--processed_at", "2026-01-01T00:00:00Z", "--cities_json", json.dumps(generated["cities_json"])]
    argv += ["--manifest_key", opts.manifest_key] if opts.manifest_key else \
        ["--raw_prefix", opts.raw_prefix or "weather/raw/source=open-meteo/"]
    if opts.contract == "monthly":
        queries = json.loads((ROOT / "test" / "catalog" / "queries.json").read_text(encoding="utf-8"))
        argv += ["--contract_json", json.dumps(queries["monthly"]["etlContract"])]
    elif opts.contract:
        argv += ["--contract_json", Path(opts.contract).read_text(encoding="utf-8")]
    args, _ = weather_etl.parse_args(argv)
    contract = weather_etl.load_contract(args.contract_json)

    sampler = PeakRss()
    sampler.start()
    clock = time.monotonic()
    builder = (SparkSession.builder.appName("weather-etl-bench").master(os.environ.get("SPARK_MASTER", "local[2]"))
               .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.session.timeZone", "UTC").config("spark.driver.memory", "2g"))
    for key, value in conf.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    startup = time.monotonic() - clock
    clock = time.monotonic()
    summary = weather_etl.run(spark, args, contract)
    seconds = time.monotonic() - clock
    spark.stop()
    sampler.running = False
    sampler.join()
    result = {
        "variant": opts.variant, "run_id": opts.run_id, "contract": opts.contract or "daily (contract.json)", "conf": conf, "cities": generated["cities"], "days": generated["days"],
        "source": "manifest" if opts.manifest_key else "raw_prefix",
        "raw_files": summary.get("files_read"), "records_in": summary.get("records_in"),
        "refined": summary.get("refined"), "quarantined": summary.get("quarantined"),
        "reconciled": summary.get("reconciled"), "spark_startup_s": round(startup, 2), "run_s": round(seconds, 2),
        "records_per_s": round((summary.get("records_in") or 0) / seconds), "peak_rss_mib": round(sampler.peak / 2**20),
        **output_stats(Path(opts.refined)),
    }
    print(json.dumps(result))
    if opts.out:
        with open(opts.out, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(result) + "\n")
    return 0 if summary.get("reconciled") else 1


if __name__ == "__main__":
    sys.exit(main())
