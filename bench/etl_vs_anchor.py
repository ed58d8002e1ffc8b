"""The Glue script and the DuckDB anchor back to back on the same landing data, whole processes, same-run ratios.

    .venv/bin/python bench/etl_vs_anchor.py --landing /tmp/bench/l100x30 --work /tmp/bench/vs --reps 3 \
        [--manifest_key K | --raw_prefix P] [--contract monthly] [--before /tmp/etl-before/weather_etl.py] \
        [--label NAME] [--out bench/results/etl-anchor.jsonl]

Per repetition, one after the other on the same data, each into an empty refined folder:
- `script`: the Glue script as Glue starts it (`python weather_etl.py --landing_uri … --raw_prefix …`, no awsglue), so
  with its own session settings (`local[2]`, Spark's default 1 GiB driver memory);
- `before` (with `--before`): the same command with another copy of the script, e.g. the one on `main` before a change
  (`git show main:src/etl/script/weather_etl.py`, with its contract.json beside it);
- `anchor`: `bench/anchor_duckdb.py` in `.venv-bench` (scripts/python-env .venv-bench requirements-bench.txt): the
  issue's anchor, the hourly layer only;
- `anchor-all` (unless `--hourly_anchor_only`): the same anchor writing also the staging and daily layers in the
  contract's layout, the same work as the script's three layers;
- `script-fixed` (with `--fixed_cost SMALL_LANDING`): the script of `script` on every raw object of another, small
  landing (e.g. 3 cities x 1 day), with the same contract: what a run costs before its batch's size counts, against
  the anchors of the main landing in the same repetition.
Measured per process: wall time (whole process: interpreter, JVM and Spark start-up included), peak RSS of its
process tree (sampled from /proc every 50 ms), Parquet bytes, files and files per partition, and the load average.
Prints per engine the medians and, per repetition, the ratio of each engine's wall time to the anchor's.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Dict

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
from run_etl import output_stats, tree_rss_pair  # noqa: E402
from spark_jobs import only_log, read_jobs  # noqa: E402

SCRIPT = ROOT / "src" / "etl" / "script" / "weather_etl.py"


def _tree_pids(root_pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    children.setdefault(int(handle.read().rsplit(")", 1)[1].split()[1]), []).append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    pids, stack = [], [root_pid]
    while stack:
        pid = stack.pop()
        pids.append(pid)
        stack.extend(children.get(pid, []))
    return pids


def _cpu_ticks(pid: int) -> int | None:
    """utime + stime + cutime + cstime: the process's CPU and that of the children it reaped (e.g. `chmod`)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return sum(int(x) for x in handle.read().rsplit(")", 1)[1].split()[11:15])
    except (OSError, IndexError, ValueError):
        return None


class TreeSampler(threading.Thread):
    """Peak RSS of the process tree, and its CPU time: per process the last value seen, summed (a process reaped
    after it was sampled can be counted twice, in its parent's children time too; short-lived ones rarely are)."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.peak_with_spawning, self.running = pid, 0, 0, True
        self.cpu: dict[int, int] = {}

    def run(self):
        while self.running:
            alone, with_spawning = tree_rss_pair(self.pid)
            self.peak, self.peak_with_spawning = max(self.peak, alone), max(self.peak_with_spawning, with_spawning)
            for pid in _tree_pids(self.pid):
                ticks = _cpu_ticks(pid)
                if ticks is not None:
                    self.cpu[pid] = ticks
            time.sleep(0.05)


def measure(command: list[str], env: dict, log: Path) -> dict:
    """One process: wall time, peak RSS of its tree, the load average before and after."""
    load = os.getloadavg()[0]
    clock = time.monotonic()
    with open(log, "w", encoding="utf-8") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=str(ROOT))
        sampler = TreeSampler(process.pid)
        sampler.start()
        code = process.wait()
    seconds = time.monotonic() - clock
    sampler.running = False
    sampler.join()
    return {"exit": code, "wall_s": round(seconds, 2), "peak_rss_mib": round(sampler.peak / 2**20),
            "peak_rss_with_spawning_mib": round(sampler.peak_with_spawning / 2**20),
            "cpu_s": round(sum(sampler.cpu.values()) / os.sysconf("SC_CLK_TCK"), 1),
            "load_before": round(load, 2), "load_after": round(os.getloadavg()[0], 2)}


def script_command(script: Path, opts, refined: Path, generated: dict, run_id: str) -> list[str]:
    command = [sys.executable, str(script), "--landing_uri", opts.landing, "--refined_uri", str(refined),
               "--run_id", run_id, "--processed_at", "2026-01-01T00:00:00Z",
               "--cities_json", json.dumps(generated["cities_json"])]
    command += ["--manifest_key", opts.manifest_key] if opts.manifest_key else \
        ["--raw_prefix", opts.raw_prefix or "weather/raw/source=open-meteo/"]
    if opts.contract == "monthly":
        queries = json.loads((ROOT / "test" / "catalog" / "queries.json").read_text(encoding="utf-8"))
        command += ["--contract_json", json.dumps(queries["monthly"]["etlContract"])]
    return command


def layer_stats(refined: Path) -> dict:
    """Per layer (hourly, staging, daily): Parquet files, bytes and the most files in one partition folder."""
    stats = {}
    for layer in ("hourly", "staging", "daily"):
        per_folder: dict[Path, int] = {}
        size = 0
        for file in (refined / "weather" / layer).rglob("*.parquet"):
            per_folder[file.parent] = per_folder.get(file.parent, 0) + 1
            size += file.stat().st_size
        stats[layer] = {"files": sum(per_folder.values()), "bytes": size,
                        "files_per_partition_max": max(per_folder.values(), default=0)}
    return {"layers": stats}


def anchor_command(opts, refined: Path, layers: str = "hourly") -> list[str]:
    command = [str(ROOT / ".venv-bench" / "bin" / "python"), str(BENCH / "anchor_duckdb.py"), "--landing", opts.landing,
               "--refined", str(refined), "--layers", layers]
    command += ["--manifest_key", opts.manifest_key] if opts.manifest_key else \
        (["--raw_prefix", opts.raw_prefix] if opts.raw_prefix else [])
    if opts.contract:
        command += ["--contract", opts.contract]
    return command


def summary_counts(refined: Path, run_id: str) -> Dict[str, object]:
    """`records_in`, `refined`, `reconciled` and `run_s` (the run's own duration) from the run summary the script
    wrote under `refined` for `run_id`; {} when there is none (a failed run)."""
    summary_files = list((refined / "weather" / "run-summaries").glob(f"date=*/{run_id}.json"))
    if not summary_files:
        return {}
    summary = json.loads(summary_files[0].read_text())
    return {"records_in": summary["records_in"], "refined": summary["refined"], "reconciled": summary["reconciled"],
            "run_s": summary["duration_seconds"]}


def add_batch_arguments(parser: argparse.ArgumentParser, work_help: str, reps: int) -> None:
    """The arguments every benchmark that runs the script on a generated batch takes (this one and
    bench/s3_requests.py): the landing zone, the work folder, the repetitions, the batch's source (a manifest or a raw
    prefix), the contract, the script under test and the other copies run beside it (`before_scripts`)."""
    parser.add_argument("--landing", required=True, help="a landing root made by bench/generate_landing.py")
    parser.add_argument("--work", required=True, help=work_help)
    parser.add_argument("--reps", type=int, default=reps)
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--manifest_key")
    source.add_argument("--raw_prefix")
    parser.add_argument("--contract", help="'monthly' or a contract JSON file (default: the script's contract.json)")
    parser.add_argument("--script", default=str(SCRIPT), help="the script run as engine 'script' (default: the worktree's)")
    parser.add_argument("--before", action="append", default=[],
                        help="another copy of weather_etl.py run alternated with 'script' in each repetition (e.g. "
                             "main's); repeatable, NAME=PATH names the engine (default 'before')")


def before_scripts(opts: argparse.Namespace) -> Dict[str, Path]:
    """`--before` as {engine name: script path}, in the order given."""
    scripts: Dict[str, Path] = {}
    for before in opts.before:
        name, _, path = before.rpartition("=") if "=" in before else ("before", "", before)
        scripts[name] = Path(path)
    return scripts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_batch_arguments(parser, work_help="folder for the refined outputs and logs (emptied per run)", reps=3)
    parser.add_argument("--java_options", action="append", default=[],
                        help="NAME=OPTIONS: one more engine, the script of --script with these driver JVM options "
                             "(e.g. c1=-XX:TieredStopAtLevel=1; spark-submit's --driver-java-options, local runs "
                             "only: Glue starts its JVMs with its own options); repeatable. They replace the script's "
                             "own for its local session (weather_etl.local_driver_java_options) whole; empty OPTIONS "
                             "(jvm-defaults=) runs it with the JVM's defaults")
    parser.add_argument("--label", default="run")
    parser.add_argument("--chmod_fs", action="store_true",
                        help="run 'script' on Hadoop's own local file system (a chmod process per file) instead of "
                             "scripts/spark_local_fs.py's; the 'before' engines always run on Hadoop's own")
    parser.add_argument("--local_fs_all", action="store_true",
                        help="run the 'before' engines on scripts/spark_local_fs.py's local file system too, so that "
                             "script / before compares the scripts alone")
    parser.add_argument("--event_log", action="store_true",
                        help="enable Spark's event log for every script run and add its job, stage and task counts "
                             "to the row (bench/spark_jobs.py; the log is kept under --work)")
    parser.add_argument("--hourly_anchor_only", action="store_true",
                        help="run only the issue's anchor (hourly layer), not also 'anchor-all' (hourly, staging, daily)")
    parser.add_argument("--fixed_cost", metavar="SMALL_LANDING",
                        help="one more engine, 'script-fixed': the script of --script on every raw object of this "
                             "(small) landing made by bench/generate_landing.py, in each repetition: the script's "
                             "fixed cost against the anchors of --landing")
    parser.add_argument("--out")
    opts = parser.parse_args()

    env = dict(os.environ, SPARK_MASTER=os.environ.get("SPARK_MASTER", "local[2]"), PYSPARK_PYTHON=sys.executable)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    from java_runtimes import spark_java_home  # noqa: E402  (Java 17 from PyPI in .tools/, or SPARK_JAVA_HOME)
    env["JAVA_HOME"] = str(spark_java_home())
    env.pop("SPARK_CONF_DIR", None)
    script_env = dict(env)
    if not opts.chmod_fs:
        # The configuration scripts/runtime-env gives local runs (tests, scripts/local-run): the local file system
        # that sets permissions in the JVM instead of running chmod per file (scripts/spark_local_fs.py).
        from spark_local_fs import install as local_fs_conf  # noqa: E402
        script_env["SPARK_CONF_DIR"] = str(local_fs_conf())
    generated = json.loads((Path(opts.landing) / "generated.json").read_text())
    work = Path(opts.work)
    work.mkdir(parents=True, exist_ok=True)
    engines = {"script": lambda refined, run_id: script_command(Path(opts.script), opts, refined, generated, run_id)}
    # Engines run on another landing than --landing: {engine: that landing's generated.json}.
    landing_of: Dict[str, dict] = {}
    if opts.fixed_cost:
        small = argparse.Namespace(**{**vars(opts), "landing": opts.fixed_cost, "manifest_key": None, "raw_prefix": None})
        landing_of["script-fixed"] = json.loads((Path(opts.fixed_cost) / "generated.json").read_text())
        engines["script-fixed"] = lambda refined, run_id: script_command(
            Path(opts.script), small, refined, landing_of["script-fixed"], run_id)
    for name, path in before_scripts(opts).items():
        engines[name] = (lambda script: lambda refined, run_id: script_command(script, opts, refined, generated, run_id))(path)
    java_options = {}
    for variant in opts.java_options:
        name, _, options = variant.partition("=")
        java_options[name] = options
        engines[name] = engines["script"]
    engines["anchor"] = lambda refined, run_id: anchor_command(opts, refined)
    if not opts.hourly_anchor_only:
        # The same work as the script's three layers: hourly, staging (one file per city and batch) and daily.
        engines["anchor-all"] = lambda refined, run_id: anchor_command(opts, refined, "all")

    results = []
    for rep in range(1, opts.reps + 1):
        for engine, command in engines.items():
            refined = work / f"refined-{engine}"
            shutil.rmtree(refined, ignore_errors=True)
            run_id = f"{opts.label}-{engine}-{rep}"
            run_env = script_env if engine in ("script", "script-fixed") or engine in java_options or \
                (opts.local_fs_all and not engine.startswith("anchor")) else env
            events = None
            submit = []
            if engine in java_options:
                submit += ["--driver-java-options", f"'{java_options[engine]}'"]
            if opts.event_log and not engine.startswith("anchor"):
                events = work / f"events-{run_id}"
                shutil.rmtree(events, ignore_errors=True)
                events.mkdir(parents=True)
                submit += ["--conf spark.eventLog.enabled=true", f"--conf spark.eventLog.dir=file://{events}"]
            if submit:
                run_env = dict(run_env, PYSPARK_SUBMIT_ARGS=" ".join(submit + ["pyspark-shell"]))
            batch = landing_of.get(engine, generated)
            row = {"label": opts.label, "rep": rep, "engine": engine, "cities": batch["cities"],
                   "days": batch["days"], "raw_files": batch["raw_files"],
                   "source": "manifest" if opts.manifest_key and engine not in landing_of else "raw_prefix",
                   "contract": opts.contract or "daily (contract.json)",
                   "local_fs": "-" if engine.startswith("anchor") else
                   ("in-process" if run_env.get("SPARK_CONF_DIR") else "chmod"),
                   **({"driver_java_options": java_options[engine]} if engine in java_options else {}),
                   **measure(command(refined, run_id), run_env, work / f"{run_id}.log"), **output_stats(refined), **layer_stats(refined)}
            if events is not None:
                jobs = read_jobs(only_log(events))
                row.update(spark_jobs=jobs["jobs"], spark_stages=jobs["stages"], spark_tasks=jobs["tasks"],
                           first_job_at_s=jobs["first_job_at_s"])
            if engine != "anchor":
                row.update(summary_counts(refined, run_id))
            print(json.dumps(row), flush=True)
            results.append(row)
            if opts.out:
                with open(opts.out, "a", encoding="utf-8") as handle:
                    handle.write(json.dumps(row) + "\n")

    print(f"\n{opts.label}: {generated['cities']} cities x {generated['days']} days, {len(engines)} engines, {opts.reps} reps")
    for engine in engines:
        rows = [r for r in results if r["engine"] == engine]
        jobs = f", Spark jobs {sorted({r['spark_jobs'] for r in rows})}" if "spark_jobs" in rows[0] else ""
        print(f"  {engine:7s} median wall {statistics.median(r['wall_s'] for r in rows):7.2f} s, CPU "
              f"{statistics.median(r['cpu_s'] for r in rows):7.1f} s{jobs}, peak RSS "
              f"{statistics.median(r['peak_rss_mib'] for r in rows):6.0f} MiB, {rows[0]['parquet_bytes']:,} bytes, "
              f"{rows[0]['parquet_files']:,} files, files per partition max {max(r['files_per_partition_max'] for r in rows)}")
    references = [e for e in engines if e.startswith("anchor")] + [e for e in engines if e == "before"] + \
        (["script"] if java_options else [])
    for reference in references:
        walls = {r["rep"]: r["wall_s"] for r in results if r["engine"] == reference}
        for engine in engines:
            if engine == reference or engine.startswith("anchor"):
                continue
            ratios = [r["wall_s"] / walls[r["rep"]] for r in results if r["engine"] == engine and r["rep"] in walls]
            if ratios:
                print(f"  {engine} / {reference}, same repetition: median {statistics.median(ratios):.2f}x "
                      f"({', '.join(f'{x:.2f}' for x in ratios)})")
    return 0 if all(r["exit"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
