"""Where the fixed cost of a small batch goes: one run of the Glue script's `run()` in this process, profiled.

    eval "$(scripts/java-env env)"; eval "$(.venv/bin/python scripts/spark_local_fs.py env)"
    .venv/bin/python bench/fixed_cost_profile.py --landing /tmp/b15/l3x1 --work /tmp/x15e/prof \\
        --manifest_key weather/manifests/ingest_date=2025-01-01/20250101T063000Z.json [--script PATH] [--jfr] \\
        [--conf KEY=VALUE ...]  (or --raw_prefix weather/raw/source=open-meteo/ instead of --manifest_key) [--warm N] [--json OUT]

The session is built as the script's `main()` builds it locally (`local[2]`, no UI), plus `--conf` settings and
Spark's event log. Measured in one process:
- session creation (the JVM's start included) and the wall time of `run()`;
- every py4j call from Python to the JVM: count and time, by the script function and the line of `run()` that made
  it (a call's time includes the Spark job it waits for, if any);
- every Spark job: its call site and duration (`bench/spark_jobs.py` over the event log), so that per line of `run()`
  the py4j time minus the jobs' time is the driver's own time (analysis, optimization, planning, code generation);
- with `--jfr`, the driver JVM's CPU samples (Java Flight Recorder, `settings=profile`) grouped by what the sampled
  stack is doing: Janino compilation, code generation, Catalyst analysis / optimization / physical planning, task
  execution, Parquet, class loading, py4j, other;
- with `--warm N`, N more runs of the same batch (each into an empty refined folder) in the same session: the first
  run pays the JVM's warm-up (class loading, JIT), the later ones what a warm driver pays.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from script_session import add_batch_arguments, load_script, local_session, run_args, script_caller  # noqa: E402
from spark_jobs import read_jobs  # noqa: E402

os.environ["TZ"] = "UTC"
time.tzset()

# Stack categories for the JVM samples: the first pattern found in a sample's frames (top frame first) names it.
CATEGORIES = [
    ("janino compile", ("org.codehaus.janino", "org.codehaus.commons.compiler")),
    ("codegen (Spark generating source)", ("catalyst.expressions.codegen", "execution.WholeStageCodegen")),
    ("catalyst analysis", ("catalyst.analysis",)),
    ("catalyst optimizer", ("catalyst.optimizer", "execution.SparkOptimizer", "sql.execution.adaptive")),
    ("physical planning", ("execution.SparkStrategies", "execution.QueryExecution$.prepare",
                           "catalyst.planning", "execution.exchange", "execution.SparkPlanner")),
    ("parquet / file write", ("org.apache.parquet", "execution.datasources")),
    ("json parsing (task)", ("catalyst.json", "com.fasterxml")),
    ("task execution (other)", ("org.apache.spark.executor", "org.apache.spark.scheduler.Task")),
    ("scheduler / rpc", ("org.apache.spark.scheduler", "org.apache.spark.rpc", "io.netty")),
    ("py4j", ("py4j.",)),
    ("class loading (jar reads)", ("java.util.zip", "java.util.jar", "jdk.internal.loader", "java.lang.ClassLoader")),
]


def categorize(frames: List[str]) -> str:
    """The category of a stack (frames top first): the first category whose pattern any frame contains, scanning
    from the top of the stack (so Janino inside planning is Janino)."""
    for frame in frames:
        for name, patterns in CATEGORIES:
            if any(p in frame for p in patterns):
                return name
    return "other (JVM, class loading, JIT, GC)"


def java_tool(name: str) -> Path:
    java_home = os.environ.get("SPARK_JAVA_HOME") or os.environ.get("JAVA_HOME") or ""
    return Path(java_home, "bin", name)


def jfr_summary(jfr_file: Path) -> Dict[str, Any]:
    out = subprocess.run([str(java_tool("jfr")), "print", "--json", "--stack-depth", "64", "--events", "jdk.ExecutionSample",
                          str(jfr_file)], capture_output=True, text=True, check=True).stdout
    events = json.loads(out)["recording"]["events"]
    by_category: Dict[str, int] = collections.Counter()
    by_thread: Dict[str, int] = collections.Counter()
    for event in events:
        values = event["values"]
        frames = [f"{fr['method']['type']['name'].replace('/', '.')}.{fr['method']['name']}" for fr in (values.get("stackTrace") or {}).get("frames", [])]
        by_category[categorize(frames)] += 1
        thread = (values.get("sampledThread") or {}).get("javaName") or "?"
        by_thread["executor task" if thread.startswith("Executor task") else thread if "py4j" not in thread.lower() and "Thread-" not in thread else "py4j / driver"] += 1
    return {"samples": len(events), "by_category": dict(by_category.most_common()),
            "by_thread": dict(by_thread.most_common(12))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_batch_arguments(parser)
    parser.add_argument("--java_options", default="", help="driver JVM options")
    parser.add_argument("--jfr", action="store_true")
    parser.add_argument("--jfr_settings", default="profile",
                        help="JFR settings of --jfr: a name (profile) or a .jfc file, e.g. one with jdk.ClassLoad enabled "
                             "(each class load with its stack: `jfr print --events jdk.ClassLoad` on WORK/driver.jfr)")
    parser.add_argument("--warm", type=int, default=0)
    parser.add_argument("--json")
    args = parser.parse_args()

    work = Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    (work / "ev").mkdir(parents=True)
    java_options = args.java_options
    if args.jfr:
        java_options += f" -XX:StartFlightRecording=filename={work / 'driver.jfr'},settings={args.jfr_settings},dumponexit=true"
    etl, contract = load_script(args.script, "weather_etl_profiled")

    import py4j.clientserver
    import py4j.java_gateway

    clock = time.monotonic()
    settings = {"spark.eventLog.enabled": "true", "spark.eventLog.dir": f"file://{work / 'ev'}"}
    if java_options.strip():
        settings["spark.driver.extraJavaOptions"] = java_options.strip()
    spark = local_session(args.conf, settings)
    session_s = time.monotonic() - clock

    # Every py4j call, attributed to the innermost frame of the script and to the line of `run()` on the stack.
    calls: Dict[str, List[float]] = collections.defaultdict(lambda: [0, 0.0])
    run_lines: Dict[int, List[float]] = collections.defaultdict(lambda: [0, 0.0])
    script_file = os.path.abspath(args.script)

    def wrap(cls):
        original = cls.send_command

        def send_command(self, command, *a, **k):
            start = time.perf_counter()
            try:
                return original(self, command, *a, **k)
            finally:
                spent = time.perf_counter() - start
                inner, run_line = script_caller(script_file)
                entry = calls[inner or "(outside the script)"]
                entry[0] += 1
                entry[1] += spent
                if run_line is not None:
                    run_lines[run_line][0] += 1
                    run_lines[run_line][1] += spent
        cls.send_command = send_command

    wrap(py4j.clientserver.ClientServerConnection)
    wrap(py4j.java_gateway.GatewayConnection)

    runs = []
    for rep in range(1 + args.warm):
        if rep == 1:
            calls.clear()
            run_lines.clear()
        refined = work / f"refined-{rep}"
        clock = time.monotonic()
        summary = etl.run(spark, run_args(args, refined, f"prof{rep}"), contract)
        runs.append({"rep": rep, "run_s": round(time.monotonic() - clock, 3), "records_in": summary["records_in"],
                     "refined": summary["refined"], "reconciled": summary["reconciled"]})
        print(json.dumps(runs[-1]), flush=True)
    jvm_pid = spark.sparkContext._jvm.ProcessHandle.current().pid()  # noqa: SLF001
    if args.jfr:  # the recording up to here (it is otherwise written only when the JVM exits)
        subprocess.run([str(java_tool("jcmd")), str(jvm_pid), "JFR.dump", "name=1", f"filename={work / 'driver.jfr'}"],
                       check=True, capture_output=True)
    spark.stop()

    logs = sorted((work / "ev").iterdir())
    jobs = read_jobs(logs[0]) if logs else {}
    result: Dict[str, Any] = {
        "script": args.script, "conf": args.conf, "java_options": java_options.strip(),
        "session_s": round(session_s, 3), "runs": runs,
        "py4j_calls_by_function (last run)": {k: {"calls": v[0], "s": round(v[1], 3)}
                                              for k, v in sorted(calls.items(), key=lambda kv: -kv[1][1])},
        "py4j_by_run_line (last run)": {str(k): {"calls": v[0], "s": round(v[1], 3)}
                                        for k, v in sorted(run_lines.items())},
        "py4j_total (last run)": {"calls": sum(v[0] for v in calls.values()),
                                  "s": round(sum(v[1] for v in calls.values()), 3)},
        "jobs": jobs,
    }
    if args.jfr:
        result["jfr"] = jfr_summary(work / "driver.jfr")
    text = json.dumps(result, indent=1, default=str)
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
