"""The CPU time of a command's whole process tree split by thread: which of a Spark run's threads use the CPU.

    python3 bench/thread_cpu.py --out threads.json -- .venv/bin/python src/etl/script/weather_etl.py …

Runs the command and, every 0.25 s until it ends, reads the CPU time (user + system) of every thread of every process
descended from it (/proc/<pid>/task/<tid>/stat), keeping the last value seen per thread (a thread's final CPU time is
missed by at most one interval). At the end, prints and writes the totals per kind of thread, from the threads' names
(15 characters in /proc): `task` (Spark's executor task threads, `Executor task launch worker…`), `jit` (HotSpot's C1
and C2 compiler threads), `gc` (G1's and the parallel GC threads), `python` (the Python driver: the command's own
process), `python_workers` (every other Python thread of the tree: PySpark's daemon and the workers it forks, which
run `mapInArrow`'s writes, their pyarrow threads included), `driver` (the JVM's main thread and py4j's `Thread-N`
threads, which plan the queries Python asks for), `other` (scheduler, listeners, JFR, …), and the twenty busiest
thread names. `--timeline S` adds the CPU seconds per kind used in each interval of about S seconds (`timeline` in
the JSON), to see which kind runs when. The command's exit code is returned. Linux only.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")
KINDS = (("task", r"^Executor task"), ("jit", r"^C[12] CompilerThre"), ("gc", r"^(GC Thread|G1 )"),
         ("python", r"^python"), ("driver", r"^(java|Thread-\d+)$"))


def parents() -> dict:
    """{pid: parent pid} of every process."""
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    found[int(entry)] = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="JSON file for the totals")
    parser.add_argument("--timeline", type=float, default=0,
                        help="also record the CPU seconds per kind used in each interval of this many seconds")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    opts = parser.parse_args()
    command = opts.command[1:] if opts.command[:1] == ["--"] else opts.command
    process = subprocess.Popen(command)
    tree, seen = {process.pid}, {}
    started, timeline, last_mark, last_sums = time.monotonic(), [], 0.0, collections.Counter()

    def kind_of(pid: int, name: str) -> str:
        kind = next((kind for kind, pattern in KINDS if re.match(pattern, name)), "other")
        return "python_workers" if kind == "python" and pid != process.pid else kind

    while process.poll() is None:
        for pid, parent in parents().items():
            if parent in tree:
                tree.add(pid)
        for pid in list(tree):
            try:
                tids = os.listdir(f"/proc/{pid}/task")
            except OSError:
                continue
            for tid in tids:
                try:
                    with open(f"/proc/{pid}/task/{tid}/stat") as handle:
                        stat = handle.read()
                except OSError:
                    continue
                fields = stat.rsplit(")", 1)[1].split()
                seen[(pid, int(tid))] = (stat[stat.index("(") + 1:stat.rindex(")")],
                                         (int(fields[11]) + int(fields[12])) / TICK)
        now = time.monotonic() - started
        if opts.timeline and now - last_mark >= opts.timeline:
            sums = collections.Counter()
            for (pid, _), (name, seconds) in seen.items():
                sums[kind_of(pid, name)] += seconds
            timeline.append({"t": round(now, 2), **{k: round(sums[k] - last_sums[k], 2) for k in sorted(sums)}})
            last_mark, last_sums = now, sums
        time.sleep(0.25)
    kinds, names = collections.Counter(), collections.Counter()
    for (pid, _), (name, seconds) in seen.items():
        kinds[kind_of(pid, name)] += seconds
        names[re.sub(r"[#\d]+$", "", name).strip()] += seconds
    total = sum(kinds.values())
    result = {"cpu_s": round(total, 1),
              "by_kind_s": {kind: round(seconds, 1) for kind, seconds in kinds.most_common()},
              "by_kind_share": {kind: round(seconds / total, 3) for kind, seconds in kinds.most_common()} if total else {},
              "busiest_threads_s": {name: round(seconds, 1) for name, seconds in names.most_common(20)}}
    print("thread-cpu " + json.dumps(result), file=sys.stderr)
    if opts.timeline:
        result["timeline"] = timeline
    if opts.out:
        with open(opts.out, "w", encoding="utf-8") as handle:
            json.dump(result, handle, indent=1)
    return process.returncode


if __name__ == "__main__":
    sys.exit(main())
