"""Peak RSS of one Glue-script run, split by process: the Python driver, the JVM, any Python workers.

Runs the script as `etl_vs_anchor.py` does (the same command and environment), samples every process of the tree
from /proc every 50 ms, and prints one JSON line: the tree's peak, when it happened and each kind of process's
share at that moment, and each process's own peak. `--submit_args` sets PYSPARK_SUBMIT_ARGS (e.g.
"--driver-memory 512m pyspark-shell") to try a JVM setting without editing the script.

    .venv/bin/python bench/rss_breakdown.py --landing /tmp/b15/l100x30 --work /tmp/rss --label base
"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
from etl_vs_anchor import SCRIPT, script_command  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")


def _read(path: str, mode: str = "r"):
    with open(path, mode) as handle:
        return handle.read()


def _tree(root_pid: int, with_pss: bool) -> dict:
    """{pid: (kind, rss bytes, pss bytes or 0, argv0)} of `root_pid` and its descendants.

    A child of the JVM that still shows the JVM's command line is `jvm-spawning`: between posix_spawn and exec it
    shares the JVM's memory, and /proc shows the JVM's resident pages for it a second time.
    """
    children: dict = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(_read(f"/proc/{entry}/stat").rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    found, stack = {}, [(root_pid, None)]
    while stack:
        pid, parent_kind = stack.pop()
        try:
            rss = int(_read(f"/proc/{pid}/statm").split()[1]) * PAGE
            argv = _read(f"/proc/{pid}/cmdline", "rb").split(b"\0")
            pss = 0
            if with_pss:
                for line in _read(f"/proc/{pid}/smaps_rollup").splitlines():
                    if line.startswith("Pss:"):
                        pss = int(line.split()[1]) * 1024
        except (OSError, ValueError):
            continue
        if parent_kind == "jvm" and argv and argv[0].endswith(b"java"):
            kind = "jvm-spawning"  # not yet exec'd: shares the JVM's memory (see run_etl.tree_rss_pair)
        elif parent_kind == "jvm":
            kind = "jvm-child"
        elif argv and argv[0].endswith(b"java"):
            kind = "jvm"
        elif pid == root_pid:
            kind = "python-driver"
        else:
            kind = "python-worker" if b"pyspark" in b" ".join(argv) else "other"
        found[pid] = (kind, rss, pss, os.path.basename(argv[0]).decode(errors="replace") if argv else "")
        stack.extend((child, kind) for child in children.get(pid, []))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--label", default="rss")
    parser.add_argument("--script", default=str(SCRIPT))
    parser.add_argument("--manifest_key")
    parser.add_argument("--raw_prefix")
    parser.add_argument("--contract")
    parser.add_argument("--submit_args")
    parser.add_argument("--pss", action="store_true", help="also sum PSS (/proc/<pid>/smaps_rollup; slower sampling)")
    parser.add_argument("--out")
    opts = parser.parse_args()
    env = dict(os.environ, SPARK_MASTER=os.environ.get("SPARK_MASTER", "local[2]"), PYSPARK_PYTHON=sys.executable)
    sys.path.insert(0, str(BENCH.parent / "scripts"))
    from java_runtimes import spark_java_home  # noqa: E402  (Java 17 from PyPI in .tools/, or SPARK_JAVA_HOME)
    env["JAVA_HOME"] = str(spark_java_home())
    if opts.submit_args:
        env["PYSPARK_SUBMIT_ARGS"] = opts.submit_args
    generated = json.loads((Path(opts.landing) / "generated.json").read_text())
    work = Path(opts.work)
    work.mkdir(parents=True, exist_ok=True)
    refined = work / f"refined-{opts.label}"
    subprocess.run(["rm", "-rf", str(refined)], check=True)
    command = script_command(Path(opts.script), opts, refined, generated, opts.label)
    load = os.getloadavg()[0]
    started = time.monotonic()
    peak = {"total": 0, "pss": 0}
    own: dict = {}
    spawned: dict = {}
    with open(work / f"{opts.label}.log", "w", encoding="utf-8") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=str(ROOT))
        running = [True]

        def sample():
            while running[0]:
                tree = _tree(process.pid, opts.pss)
                for pid, (kind, rss, _, argv0) in tree.items():
                    key = f"{kind}:{pid}"
                    own[key] = max(own.get(key, 0), rss)
                    if kind in ("jvm-child", "jvm-spawning"):
                        spawned.setdefault(pid, set()).add(argv0)
                for metric, index in (("total", 1), ("pss", 2)):
                    total = sum(entry[index] for entry in tree.values())
                    if total > peak[metric]:
                        by_kind: dict = {}
                        for entry in tree.values():
                            by_kind[entry[0]] = by_kind.get(entry[0], 0) + entry[index]
                        peak[metric] = total
                        peak[f"{metric}_at_s"] = round(time.monotonic() - started, 1)
                        peak[f"{metric}_by_kind"] = {k: round(v / 2**20) for k, v in by_kind.items()}
                time.sleep(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        code = process.wait()
        running[0] = False
        sampler.join()
    row = {"label": opts.label, "submit_args": opts.submit_args, "exit": code, "wall_s": round(time.monotonic() - started, 1),
           "load_before": round(load, 2), "load_after": round(os.getloadavg()[0], 2),
           "peak_rss_tree_mib": round(peak["total"] / 2**20), "peak_rss_at_s": peak.get("total_at_s"),
           "peak_rss_by_kind_mib": peak.get("total_by_kind"),
           "peak_pss_tree_mib": round(peak["pss"] / 2**20) if opts.pss else None,
           "peak_pss_by_kind_mib": peak.get("pss_by_kind"),
           "jvm_children_seen": len(spawned),
           "jvm_children_exec": sorted({name for names in spawned.values() for name in names}),
           "own_peak_rss_mib": {k: round(v / 2**20) for k, v in sorted(own.items(), key=lambda kv: -kv[1])[:6]}}
    print(json.dumps(row), flush=True)
    if opts.out:
        with open(opts.out, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(row) + "\n")
    return code


if __name__ == "__main__":
    sys.exit(main())
