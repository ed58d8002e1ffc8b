"""The Glue script and the DuckDB anchor back to back on the same landing data, whole processes, same-run ratios.

    .venv/bin/python bench/etl_vs_anchor.py --landing /tmp/bench/l100x30 --work /tmp/bench/vs --reps 3 \
        [--manifest_key K | --raw_prefix P] [--contract monthly] [--before /tmp/etl-before/weather_etl.py] \
        [--label NAME] [--out bench/results/etl-anchor.jsonl]

Per repetition, one after the other on the same data, each into an empty refined folder:
- `script`: the Glue script as Glue starts it (`python weather_etl.py --landing_uri … --raw_prefix …`, no awsglue), so
  with its own session settings (`local[2]`, Spark's default 1 GiB driver memory);
- `before` (with `--before`): the same command with another copy of the script, e.g. the one on `main` before a change
  (`git show main:src/etl/script/weather_etl.py`, with its contract.json beside it);
- `anchor`: `bench/anchor_duckdb.py` in `.venv-bench` (scripts/python-env .venv-bench requirements-bench.txt).
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

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
from run_etl import output_stats, tree_rss_pair  # noqa: E402

SCRIPT = ROOT / "src" / "etl" / "script" / "weather_etl.py"


class TreeSampler(threading.Thread):
    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.peak_with_spawning, self.running = pid, 0, 0, True

    def run(self):
        while self.running:
            alone, with_spawning = tree_rss_pair(self.pid)
            self.peak, self.peak_with_spawning = max(self.peak, alone), max(self.peak_with_spawning, with_spawning)
            time.sleep(0.05)


def measure(command: list[str], env: dict, log: Path) -> dict:
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


def anchor_command(opts, refined: Path) -> list[str]:
    command = [str(ROOT / ".venv-bench" / "bin" / "python"), str(BENCH / "anchor_duckdb.py"), "--landing", opts.landing,
               "--refined", str(refined)]
    command += ["--manifest_key", opts.manifest_key] if opts.manifest_key else \
        (["--raw_prefix", opts.raw_prefix] if opts.raw_prefix else [])
    if opts.contract:
        command += ["--contract", opts.contract]
    return command


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", required=True)
    parser.add_argument("--work", required=True, help="folder for the refined outputs and logs (emptied per run)")
    parser.add_argument("--reps", type=int, default=3)
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--manifest_key")
    source.add_argument("--raw_prefix")
    parser.add_argument("--contract", help="'monthly' or a contract JSON file (default: the script's contract.json)")
    parser.add_argument("--before", help="another copy of weather_etl.py to run in each repetition (e.g. main's)")
    parser.add_argument("--label", default="run")
    parser.add_argument("--out")
    opts = parser.parse_args()

    env = dict(os.environ, SPARK_MASTER=os.environ.get("SPARK_MASTER", "local[2]"), PYSPARK_PYTHON=sys.executable)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    from java_runtimes import spark_java_home  # noqa: E402  (Java 17 from PyPI in .tools/, or SPARK_JAVA_HOME)
    env["JAVA_HOME"] = str(spark_java_home())
    generated = json.loads((Path(opts.landing) / "generated.json").read_text())
    work = Path(opts.work)
    work.mkdir(parents=True, exist_ok=True)
    engines = {"script": lambda refined, run_id: script_command(SCRIPT, opts, refined, generated, run_id)}
    if opts.before:
        engines["before"] = lambda refined, run_id: script_command(Path(opts.before), opts, refined, generated, run_id)
    engines["anchor"] = lambda refined, run_id: anchor_command(opts, refined)

    results = []
    for rep in range(1, opts.reps + 1):
        for engine, command in engines.items():
            refined = work / f"refined-{engine}"
            shutil.rmtree(refined, ignore_errors=True)
            run_id = f"{opts.label}-{engine}-{rep}"
            row = {"label": opts.label, "rep": rep, "engine": engine, "cities": generated["cities"],
                   "days": generated["days"], "raw_files": generated["raw_files"],
                   "source": "manifest" if opts.manifest_key else "raw_prefix",
                   "contract": opts.contract or "daily (contract.json)",
                   **measure(command(refined, run_id), env, work / f"{run_id}.log"), **output_stats(refined)}
            if engine != "anchor":
                summary_files = list((refined / "weather" / "run-summaries").glob(f"date=*/{run_id}.json"))
                if summary_files:
                    summary = json.loads(summary_files[0].read_text())
                    row.update(records_in=summary["records_in"], refined=summary["refined"],
                               reconciled=summary["reconciled"], run_s=summary["duration_seconds"])
            print(json.dumps(row), flush=True)
            results.append(row)
            if opts.out:
                with open(opts.out, "a", encoding="utf-8") as handle:
                    handle.write(json.dumps(row) + "\n")

    print(f"\n{opts.label}: {generated['cities']} cities x {generated['days']} days, {len(engines)} engines, {opts.reps} reps")
    for engine in engines:
        rows = [r for r in results if r["engine"] == engine]
        print(f"  {engine:7s} median wall {statistics.median(r['wall_s'] for r in rows):7.2f} s, peak RSS "
              f"{statistics.median(r['peak_rss_mib'] for r in rows):6.0f} MiB, {rows[0]['parquet_bytes']:,} bytes, "
              f"{rows[0]['parquet_files']:,} files, files per partition max {max(r['files_per_partition_max'] for r in rows)}")
    anchor = {r["rep"]: r["wall_s"] for r in results if r["engine"] == "anchor"}
    for engine in engines:
        if engine == "anchor":
            continue
        ratios = [r["wall_s"] / anchor[r["rep"]] for r in results if r["engine"] == engine]
        print(f"  {engine} / anchor, same repetition: median {statistics.median(ratios):.1f}x ({', '.join(f'{x:.1f}' for x in ratios)})")
    return 0 if all(r["exit"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
