"""The raw files' read against their parse: the script's own functions, one JVM, CPU time per step and per thread kind.

    .venv/bin/python bench/read_cost.py --landing /tmp/b15/l100x30 [--raw_prefix weather/raw/source=open-meteo/] \
        [--script PATH] [--reps 2] [--out FILE]

Starts a session as the script's `main()` does locally (`local[2]`, no UI, UTC) on scripts/spark_local_fs.py's local
file system, sized to the batch as `run()` sizes it, then runs in turn, `--reps` times (the first round pays the JVM's
warm-up: class loading, JIT, Janino):
- `read`: `read_raw_files` over the listed files (Spark's `binaryFile` source), the bodies' lengths summed: opening
  and reading every file, nothing parsed;
- `parse`: the same read, then `with_landing_key`, `with_provenance`, `parse_sources`, `explode_hours`,
  `normalize_units`, `normalize_source_times`, `validate_hours`, `validate_source_hours` as `run()` chains them (with
  its two local checkpoints), every column of the validated rows hashed and summed in one job (no column pruned away);
- `python-read`: the same files opened and read by this Python process (what reading them costs without a JVM).
Per step: wall time, the JVM's CPU time (from /proc, all its threads) and that CPU split by thread: Spark's task
threads, the JIT compilers (C1, C2), garbage collection, the rest (driver, py4j, scheduler). On a loaded machine the
CPU figures are the ones to read.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TICK = os.sysconf("SC_CLK_TCK")
# Thread kinds by the thread's name in /proc (15 characters at most).
KINDS = (("task", r"^Executor task"), ("jit", r"^C[12] CompilerThre"), ("gc", r"^(GC Thread|G1 )"))


def thread_cpu(pid: int) -> dict:
    """CPU seconds of every thread of `pid` so far, summed per kind (KINDS, else `other`)."""
    totals = {kind: 0.0 for kind, _ in KINDS} | {"other": 0.0}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            stat = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat.rsplit(")", 1)[1].split()
        seconds = (int(fields[11]) + int(fields[12])) / TICK
        kind = next((k for k, pattern in KINDS if re.match(pattern, name)), "other")
        totals[kind] += seconds
    return totals


def load_script(path: str):
    spec = importlib.util.spec_from_file_location("weather_etl_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def child(opts) -> None:
    from pyspark.sql import SparkSession, functions as F

    etl = load_script(opts.script)
    spark = (SparkSession.builder.appName("read-cost").master("local[2]").config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false").config("spark.sql.session.timeZone", "UTC").getOrCreate())
    pid = spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid()  # noqa: SLF001
    contract = etl.load_contract()
    landing = os.path.abspath(opts.landing)
    etl.configure_session(spark)
    files = etl.list_tree(spark, etl.join_uri(landing, opts.raw_prefix))
    etl.size_session_to_batch(spark, len(files))
    cities = json.loads((Path(landing) / "generated.json").read_text())["cities_json"]

    def read() -> int:
        return etl.read_raw_files(spark, files).select(F.sum(F.length("content"))).first()[0]

    def parse() -> int:
        raw = etl.with_provenance(etl.with_landing_key(etl.read_raw_files(spark, files), landing, contract),
                                  None, etl.configured_cities(cities))
        # Checkpointed as `run()` does (filled by the job below): without them the optimizer collapses the projections
        # and parses each body once per reference to its parsed columns (measured: ~3x the task CPU).
        parsed = etl.parse_sources(raw, contract).drop("content").localCheckpoint(eager=False)
        validated = etl.validate_source_hours(etl.validate_hours(etl.normalize_source_times(etl.normalize_units(
            etl.explode_hours(parsed, contract), contract), contract), contract), contract).localCheckpoint(eager=False)
        return validated.agg(F.sum(F.xxhash64(*validated.columns)), F.count(F.lit(1))).first()[1]

    def python_read() -> int:
        total = 0
        for path, _, _ in files:
            with open(etl._local_file(path), "rb") as handle:  # noqa: SLF001
                total += len(handle.read())
        return total

    for rep in range(1, opts.reps + 1):
        for step, action in (("read", read), ("parse", parse), ("python-read", python_read)):
            threads_before, began = thread_cpu(pid), time.monotonic()
            own_before = time.process_time()
            result = action()
            wall = time.monotonic() - began
            threads_after = thread_cpu(pid)
            used = {kind: round(threads_after[kind] - threads_before[kind], 2) for kind in threads_after}
            print(json.dumps({"label": opts.label, "rep": rep, "step": step, "files": len(files), "result": result,
                              "wall_s": round(wall, 2), "jvm_cpu_s": round(sum(used.values()), 2),
                              "jvm_cpu_by_thread_s": used,
                              "python_cpu_s": round(time.process_time() - own_before, 2),
                              "load": round(os.getloadavg()[0], 1)}), flush=True)
    spark.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", required=True)
    parser.add_argument("--raw_prefix", default="weather/raw/source=open-meteo/")
    parser.add_argument("--script", default=str(ROOT / "src" / "etl" / "script" / "weather_etl.py"))
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--label", default="read-cost")
    parser.add_argument("--out")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.child:
        child(opts)
        return 0
    sys.path.insert(0, str(ROOT / "scripts"))
    from java_runtimes import spark_java_home  # noqa: E402
    from spark_local_fs import install  # noqa: E402
    from child_process import run_child  # noqa: E402

    env = dict(os.environ, JAVA_HOME=str(spark_java_home()), PYSPARK_PYTHON=sys.executable,
               SPARK_CONF_DIR=str(install()))
    env.pop("PYSPARK_SUBMIT_ARGS", None)
    return run_child([sys.executable, __file__, "--child", *sys.argv[1:]], env, opts.out)


if __name__ == "__main__":
    sys.exit(main())
