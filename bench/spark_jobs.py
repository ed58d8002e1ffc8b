"""The Spark jobs of one run, read from Spark's event log: what each job was for, how long it took, its stages and tasks.

    .venv/bin/python bench/spark_jobs.py EVENT_LOG_FILE [--json]

Enable the log for a whole-process run of the script with the submit arguments PySpark reads at session start:

    PYSPARK_SUBMIT_ARGS="--conf spark.eventLog.enabled=true --conf spark.eventLog.dir=file:///tmp/ev pyspark-shell" \\
        .venv/bin/python src/etl/script/weather_etl.py --landing_uri … --refined_uri … --raw_prefix … --run_id …

(`bench/etl_vs_anchor.py --event_log` does this for every script run and stores the counts in its rows.)
Per job: its id, the call site Spark recorded (the line of the script that ran the action: `collect at
weather_etl.py:1307`), its start relative to the application's start, its duration, its stages (skipped ones, whose
shuffle output was reused, apart) and its tasks. The gaps between jobs are driver time (Python, planning, py4j calls).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Dict, List


def read_jobs(event_log: Path) -> Dict[str, Any]:
    """Jobs, stages and tasks of one event log (one JSON event per line)."""
    app_start = app_end = None
    jobs: Dict[int, Dict[str, Any]] = {}
    stage_tasks: Dict[int, int] = {}
    stages_run: set = set()
    # Per stage, summed over its tasks: run time (a task's wall time) and CPU time of the task thread, in ms.
    stage_task_ms: Dict[int, List[float]] = {}
    tasks = 0
    with open(event_log, encoding="utf-8") as handle:
        for line in handle:
            event = json.loads(line)
            kind = event.get("Event")
            if kind == "SparkListenerApplicationStart":
                app_start = event["Timestamp"]
            elif kind == "SparkListenerApplicationEnd":
                app_end = event["Timestamp"]
            elif kind == "SparkListenerJobStart":
                props = event.get("Properties") or {}
                jobs[event["Job ID"]] = {
                    "job": event["Job ID"],
                    "call_site": props.get("callSite.short") or "",
                    "description": props.get("spark.job.description") or "",
                    "start_ms": event["Submission Time"],
                    "stage_ids": [s["Stage ID"] for s in event.get("Stage Infos", [])],
                }
            elif kind == "SparkListenerJobEnd":
                job = jobs.get(event["Job ID"])
                if job is not None:
                    job["end_ms"] = event["Completion Time"]
                    job["result"] = (event.get("Job Result") or {}).get("Result")
            elif kind == "SparkListenerStageCompleted":
                info = event["Stage Info"]
                stages_run.add(info["Stage ID"])
                stage_tasks[info["Stage ID"]] = info.get("Number of Tasks", 0)
            elif kind == "SparkListenerTaskEnd":
                tasks += 1
                metrics = event.get("Task Metrics") or {}
                sums = stage_task_ms.setdefault(event["Stage ID"], [0.0, 0.0])
                sums[0] += metrics.get("Executor Run Time", 0)
                sums[1] += metrics.get("Executor CPU Time", 0) / 1e6
    rows = []
    previous_end = app_start
    for job in sorted(jobs.values(), key=lambda j: j["job"]):
        run = [s for s in job["stage_ids"] if s in stages_run]
        gap = (job["start_ms"] - previous_end) / 1000 if previous_end else None
        previous_end = job.get("end_ms", job["start_ms"])
        rows.append({
            "job": job["job"], "call_site": job["call_site"],
            "at_s": round((job["start_ms"] - app_start) / 1000, 2) if app_start else None,
            "seconds": round((job.get("end_ms", job["start_ms"]) - job["start_ms"]) / 1000, 2),
            "stages": len(run), "stages_skipped": len(job["stage_ids"]) - len(run),
            "tasks": sum(stage_tasks.get(s, 0) for s in run), "result": job.get("result"),
            # Driver time before the job (since the previous job's end, or the application's start), and its tasks'
            # run and CPU time: a task's run time beyond its CPU time is waiting (for a core, for I/O).
            "gap_before_s": round(gap, 2) if gap is not None else None,
            "task_run_s": round(sum(stage_task_ms.get(s, [0, 0])[0] for s in run) / 1000, 2),
            "task_cpu_s": round(sum(stage_task_ms.get(s, [0, 0])[1] for s in run) / 1000, 2),
        })
    return {"jobs": len(rows), "stages": len(stages_run), "tasks": tasks,
            "jobs_seconds": round(sum(r["seconds"] for r in rows), 2),
            "app_seconds": round((app_end - app_start) / 1000, 2) if app_start and app_end else None,
            "first_job_at_s": rows[0]["at_s"] if rows else None,
            "after_last_job_s": round((app_end - previous_end) / 1000, 2) if app_end and previous_end else None,
            "per_job": rows}


def only_log(folder: Path) -> Path:
    """The one event log a fresh `spark.eventLog.dir` holds after one application."""
    logs = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")]
    if len(logs) != 1:
        raise RuntimeError(f"{folder}: expected one event log, found {len(logs)}")
    return logs[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("event_log", help="an event log file, or a folder holding exactly one")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    opts = parser.parse_args()
    path = Path(opts.event_log)
    result = read_jobs(only_log(path) if path.is_dir() else path)
    if opts.json:
        print(json.dumps(result, indent=1))
        return 0
    print(f"{result['jobs']} jobs, {result['stages']} stages run, {result['tasks']} tasks; jobs' own time "
          f"{result['jobs_seconds']} s of {result['app_seconds']} s; first job at {result['first_job_at_s']} s")
    print("| job | call site | starts at | driver gap before | seconds | stages (skipped) | tasks | task run / CPU s |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for row in result["per_job"]:
        print(f"| {row['job']} | {row['call_site']} | {row['at_s']} s | {row['gap_before_s']} s | {row['seconds']} | "
              f"{row['stages']} ({row['stages_skipped']}) | {row['tasks']} | {row['task_run_s']} / {row['task_cpu_s']} |")
    print(f"after the last job: {result['after_last_job_s']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
