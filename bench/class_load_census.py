"""Which classes a cold run of the Glue script loads, and in which phase: a class-loading census.

    eval "$(scripts/java-env env)"; eval "$(.venv/bin/python scripts/spark_local_fs.py env)"
    .venv/bin/python bench/class_load_census.py --landing /tmp/b15/l3x1 --work /tmp/h15i/census \\
        --manifest_key weather/manifests/ingest_date=2025-01-01/20250101T063000Z.json [--script PATH] [--json OUT]

One process: the session is built as the script's `main()` builds it locally (`local[2]`, no UI), with the driver
JVM's unified logging of class loads (`-Xlog:class+load=info`, each line stamped with the wall clock in ms), then
the script's `run()` once, cold. Every py4j call from Python is stamped with the same clock and attributed to the
line of `run()` (and the script function) that made it, so each class load is attributed to the phase it happened in:
`jvm start` (before the session builder's first py4j call), `session` (the builder), then the line of `run()` whose
call was the last to start before the load (the tasks of a Spark job load their classes inside the call that waits
for the job), `after run`. Per phase: classes loaded, how many from Spark's and the other jars, how many defined at
run time (lambdas, generated code: `source: __JVM_DefineClass__` / `__Lookup_defineClass__`), and the packages that
loaded most. The JSON also keeps the first few class names per package and phase.
"""
from __future__ import annotations

import argparse
import bisect
import collections
import json
import os
import re
import shutil
import sys
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Tuple

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from script_session import add_batch_arguments, load_script, local_session, run_args, script_caller  # noqa: E402

os.environ["TZ"] = "UTC"
time.tzset()

LOAD_LINE = re.compile(r"^\[(\d+)ms\]\s*(?:\[[^\]]*\]\s*)*(\S+) source: (.*)$")


def package_of(name: str, depth: int) -> str:
    parts = name.split("$", 1)[0].split(".")
    return ".".join(parts[:min(depth, len(parts) - 1)]) or name


def source_kind(source: str) -> str:
    if "shared objects file" in source:
        return "CDS archive (JDK)"
    if source.startswith("jrt:"):
        return "JDK modules"
    if "__" in source or "instance of" in source:
        return "defined at run time"
    if "spark-" in source:
        return "Spark jars"
    if ".jar" in source:
        return "other jars"
    return "other"


def read_loads(log: Path) -> List[Tuple[int, str, str]]:
    loads = []
    with open(log, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            m = LOAD_LINE.match(line.strip())
            if m:
                loads.append((int(m.group(1)), m.group(2), m.group(3)))
    return loads


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_batch_arguments(parser)
    parser.add_argument("--depth", type=int, default=6, help="package depth of the per-phase breakdown")
    parser.add_argument("--top", type=int, default=12, help="packages listed per phase")
    parser.add_argument("--json")
    args = parser.parse_args()

    work = Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    log = work / "class-load.log"
    etl, contract = load_script(args.script, "weather_etl_census")

    import py4j.clientserver
    import py4j.java_gateway

    # (epoch ms at the call's start, phase) of every py4j call, in order.
    marks: List[Tuple[int, str]] = []
    phase = {"name": "session"}
    script_file = os.path.abspath(args.script)

    def wrap(cls):
        original = cls.send_command

        def send_command(self, command, *a, **k):
            if threading.current_thread() is not threading.main_thread():  # py4j's own thread releasing objects
                return original(self, command, *a, **k)
            name = phase["name"]
            if name == "run":
                inner, line = script_caller(script_file)
                name = f"run:{line} {inner}"
            marks.append((int(time.time() * 1000), name))
            return original(self, command, *a, **k)
        cls.send_command = send_command

    wrap(py4j.clientserver.ClientServerConnection)
    wrap(py4j.java_gateway.GatewayConnection)

    started_ms = int(time.time() * 1000)
    spark = local_session(args.conf, {"spark.driver.extraJavaOptions": f"-Xlog:class+load=info:file={log}:timemillis"})
    session_end_ms = int(time.time() * 1000)
    phase["name"] = "run"
    summary = etl.run(spark, run_args(args, work / "refined", "census"), contract)
    run_end_ms = int(time.time() * 1000)
    phase["name"] = "after run"
    marks.append((run_end_ms, "after run"))
    spark.stop()

    loads = read_loads(log)
    first_call_ms = marks[0][0] if marks else session_end_ms
    times = [m[0] for m in marks]
    per_phase: Dict[str, Dict[str, Any]] = {}
    order: List[str] = []
    for stamp, name, source in loads:
        i = bisect.bisect_right(times, stamp) - 1
        where = "jvm start" if stamp < first_call_ms or i < 0 else marks[i][1]
        if where not in per_phase:
            order.append(where)
            per_phase[where] = {"classes": 0, "first_ms": stamp, "last_ms": stamp, "sources": collections.Counter(),
                                "packages": collections.Counter(), "examples": collections.defaultdict(list)}
        entry = per_phase[where]
        entry["classes"] += 1
        entry["last_ms"] = stamp
        entry["sources"][source_kind(source)] += 1
        pkg = package_of(name, args.depth)
        entry["packages"][pkg] += 1
        if len(entry["examples"][pkg]) < 5:
            entry["examples"][pkg].append(name)

    phases = []
    for name in order:
        e = per_phase[name]
        phases.append({"phase": name, "classes": e["classes"],
                       "from_s": round((e["first_ms"] - started_ms) / 1000, 2), "to_s": round((e["last_ms"] - started_ms) / 1000, 2),
                       "sources": dict(e["sources"].most_common()),
                       "packages": dict(e["packages"].most_common(args.top)),
                       "examples": {k: e["examples"][k] for k, _ in e["packages"].most_common(args.top)}})
    result = {"script": args.script, "conf": args.conf, "classes_total": len(loads),
              "session_s": round((session_end_ms - started_ms) / 1000, 2),
              "run_s": round((run_end_ms - session_end_ms) / 1000, 2),
              "records_in": summary["records_in"], "refined": summary["refined"], "reconciled": summary["reconciled"],
              "phases": phases}
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"classes {len(loads)}  session {result['session_s']} s  run {result['run_s']} s  "
          f"records {summary['records_in']} refined {summary['refined']} reconciled {summary['reconciled']}")
    # A phase is a (line of run(), innermost script function): its loads are summed wherever they fell in the run.
    for p in phases:
        if p["classes"] >= 20:
            top = ", ".join(f"{k} {v}" for k, v in list(p["packages"].items())[:5])
            print(f"{p['classes']:6d}  {p['from_s']:6.2f}-{p['to_s']:6.2f} s  {p['phase'][:40]:40s}  {top}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
