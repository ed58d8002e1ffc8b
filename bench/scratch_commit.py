"""The local file work of a run's scratch folder, with the script's own commit, for two layouts of the scratch folder.

    .venv/bin/python bench/scratch_commit.py --work /tmp/sc --reps 3 [--cities 100 --days 30] [--script S] [--out F]

Builds, in each repetition and for each layout in turn, the scratch folder a local run of `--cities` x `--days` leaves
before its commit (the hourly, daily and staging layers, one file of `--file_bytes` bytes per partition; the staging
files under `staged_batch=` folders), then runs the script's `plan_scratch_commit`, `commit_scratch` and the deletion
of the scratch folder into an empty refined folder, as `run()` does after its last Spark job. Layouts:
- `nested`: each file at its place in the scratch folder (`weather/hourly/date=…/city=…/part-….parquet`), as the
  Python workers wrote it before round h15p, and the commit given the paths;
- `flat`: each file in its layer's folder (`weather/hourly/part-….parquet`), as they write it since, and the commit
  given (path, place) pairs.
Per layout and repetition: wall and CPU (user + system of this process) of the `write` (folders and files made as the
workers make them) and of the `commit` (plan, moves, deletions, the scratch folder's deletion), the folders the
scratch folder held, and the 1-minute load average. The refined folders of the two layouts must come out the same
(checked every repetition).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = (("weather/hourly", ("date", "city")), ("weather/daily", ("date", "city")),
          ("weather/staging", ("ingest_date", "city", "staged_batch")))


def load_script(path: Path):
    spec = importlib.util.spec_from_file_location("weather_etl_bench", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def places(cities: int, days: int):
    """(layer, place below the scratch folder) of every file of the batch."""
    for layer, keys in LAYERS:
        n = 0
        for day in range(days):
            for city in range(cities):
                values = [f"2025-{1 + day // 28:02d}-{1 + day % 28:02d}", f"city-{city:04d}"]
                if "staged_batch" in keys:
                    values.append(f"20250101T{day:06d}Z")
                folders = "/".join(f"{k}={v}" for k, v in zip(keys, values))
                yield layer, f"{layer}/{folders}/part-{n % 4:05d}-w-{n // 750}-{n:05d}.snappy.parquet"
                n += 1


def one(script, layout: str, work: Path, cities: int, days: int, body: bytes) -> dict:
    refined = work / f"refined-{layout}"
    shutil.rmtree(refined, ignore_errors=True)
    scratch = str(refined / "weather" / "staging" / "_scratch" / "r1")
    files = []
    wall, cpu = time.perf_counter(), time.process_time()
    made = set()
    for layer, place in places(cities, days):
        if layout == "nested":
            path = os.path.join(scratch, place)
            os.makedirs(os.path.dirname(path), exist_ok=True)  # as the workers did, per file
            files.append(path)
        else:
            path = os.path.join(scratch, layer, os.path.basename(place))
            if layer not in made:  # once per task in the workers: once per layer here
                os.makedirs(os.path.dirname(path), exist_ok=True)
                made.add(layer)
            files.append((path, place))
        with open(path, "wb") as handle:
            handle.write(body)
    write = (time.perf_counter() - wall, time.process_time() - cpu)
    folders = sum(len(d) for _, d, _ in os.walk(scratch))
    wall, cpu = time.perf_counter(), time.process_time()
    commit = script.plan_scratch_commit(files, scratch, str(refined), "weather/staging/", ["ingest_date", "city"], [], [])
    script.commit_scratch(None, commit)
    script._delete_tree(None, scratch)  # noqa: SLF001 - as run() does
    script._delete_tree(None, str(refined / "weather" / "staging" / "_scratch"), only_if_empty=True)  # noqa: SLF001
    done = (time.perf_counter() - wall, time.process_time() - cpu)
    result = sorted(str(p.relative_to(refined)) for p in refined.rglob("*") if p.is_file())
    return {"layout": layout, "files": len(files), "scratch_folders": folders,
            "write_wall_s": round(write[0], 2), "write_cpu_s": round(write[1], 2),
            "commit_wall_s": round(done[0], 2), "commit_cpu_s": round(done[1], 2),
            "load": round(os.getloadavg()[0], 2), "_result": result}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", required=True)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--cities", type=int, default=100)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--file_bytes", type=int, default=5000)
    parser.add_argument("--script", default=str(ROOT / "src" / "etl" / "script" / "weather_etl.py"))
    parser.add_argument("--label", default="run")
    parser.add_argument("--out")
    opts = parser.parse_args()
    script = load_script(Path(opts.script))
    work = Path(opts.work)
    work.mkdir(parents=True, exist_ok=True)
    body = os.urandom(opts.file_bytes)
    rows = []
    for rep in range(1, opts.reps + 1):
        order = ("nested", "flat") if rep % 2 else ("flat", "nested")
        results = {layout: one(script, layout, work, opts.cities, opts.days, body) for layout in order}
        if results["nested"]["_result"] != results["flat"]["_result"]:
            raise SystemExit(f"repetition {rep}: the two layouts' refined folders differ")
        for layout in order:
            row = {"label": opts.label, "rep": rep, "cities": opts.cities, "days": opts.days,
                   **{k: v for k, v in results[layout].items() if not k.startswith("_")},
                   "refined_files": len(results[layout]["_result"])}
            rows.append(row)
            print(json.dumps(row), flush=True)
        shutil.rmtree(work / "refined-nested", ignore_errors=True)
        shutil.rmtree(work / "refined-flat", ignore_errors=True)
    if opts.out:
        with open(opts.out, "a", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row) + "\n")
    for key in ("write_wall_s", "write_cpu_s", "commit_wall_s", "commit_cpu_s"):
        ratios = [f"{r['flat'] / r['nested']:.2f}" if r["nested"] else "-" for r in (
            {row["layout"]: row[key] for row in rows if row["rep"] == rep} for rep in range(1, opts.reps + 1))]
        print(f"flat / nested {key}: {', '.join(ratios)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
