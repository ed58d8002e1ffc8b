"""The README's first command exactly as a user types it: `scripts/local-run --offline`, a process of its own that
starts its own Trino and runs the Glue script as its own Python process (the other local-run test shares the lane's
Trino and Spark process, test/conftest.py). It runs in the bindings lane, which has the most idle time.

The command runs once for this module (`readme_run`): one test checks what the command leaves behind (its exit, the
synthesized templates, no process left), the other what the run computed (counts, validation, analytics, report).

Expected counts are computed from the recorded bodies (test_local_run.expected_counts), not by the pipeline's code.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_local_run import days_of, expected_counts  # noqa: E402


def _processes_using(folder: Path) -> list[str]:
    """Command lines of running processes that name `folder` (the run's Trino names its work folder under --out, the
    Glue script its landing and refined folders), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if str(folder) in command:
                found.append(command)
    return found


@pytest.fixture(scope="module")
def readme_run(tmp_path_factory) -> SimpleNamespace:
    """`scripts/local-run --offline`, run once: its output folder, exit code, printed output and summary."""
    out = tmp_path_factory.mktemp("readme-command") / "run"
    env = {k: v for k, v in os.environ.items() if k not in ("PYSPARK_SUBMIT_ARGS",)}
    process = subprocess.Popen([str(ROOT / "scripts" / "local-run"), "--offline", "--out", str(out)], cwd=ROOT,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output, _ = process.communicate(timeout=1500)
    summary_path = out / "summary.json"
    summary = json.loads(summary_path.read_text(encoding="utf-8")) if summary_path.is_file() else None
    return SimpleNamespace(out=out, returncode=process.returncode, output=output, summary=summary)


def test_the_readme_local_run_command_runs_end_to_end(readme_run):
    out = readme_run.out
    assert readme_run.returncode == 0, readme_run.output[-6000:]

    summary = readme_run.summary
    hours, empty_hours = expected_counts()
    etl = summary["etl"]
    assert etl["records_in"] == hours
    assert etl["refined"] == hours - empty_hours
    assert etl["quarantined_by_reason"] == {"NO_MEASUREMENT": empty_hours}
    assert etl["reconciled"] is True
    checks = summary["validation"]["checks"]
    assert len(checks) == 5 and all(c["passed"] for c in checks), checks
    # Without --skip-synth the command synthesized the examples app too: its templates are listed and on disk.
    templates = [Path(t) for t in summary["templates"]]
    assert templates and all(t.is_file() and t.parent == out / "cdk.out" for t in templates), summary["templates"]
    assert (out / "report.html").stat().st_size > 10_000
    # Its own Trino and Spark are gone once it has returned (a process that is exiting gets a few seconds). Children
    # of an exited process are re-parented, so they are found by the folder they name, not by their parent.
    deadline = time.monotonic() + 15
    while _processes_using(out) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _processes_using(out) == []


def test_local_run_reconciles_and_validates(readme_run):
    assert readme_run.returncode == 0, readme_run.output[-6000:]
    out, summary = readme_run.out, readme_run.summary
    # The run's tables were in a catalog of its own, its metastore in the output folder.
    assert (out / "metastore" / "weather" / "hourly").is_dir()
    hours, empty_hours = expected_counts()

    assert summary["ingestion"]["source"].startswith("recorded responses")
    assert summary["ingestion"]["written"] == summary["ingestion"]["citiesRequested"] == 3
    assert summary["ingestion"]["partialFailure"] is False

    etl = summary["etl"]
    assert etl["records_in"] == hours
    assert etl["quarantined_by_reason"] == {"NO_MEASUREMENT": empty_hours}
    assert etl["refined"] == hours - empty_hours
    assert etl["superseded"] == 0
    assert etl["reconciled"] is True

    checks = {c["id"]: c for c in summary["validation"]["checks"]}
    assert set(checks) == {"partitions-not-empty", "no-duplicate-hours", "values-in-range", "quarantine-share",
                           "daily-consistent"}
    assert all(c["passed"] for c in checks.values()), checks
    assert checks["values-in-range"]["row"]["rows_checked"] == hours - empty_hours
    assert summary["validation"]["plan"]["citySlugs"] == "marseille,nice,paris"
    # The catalog is synthesized for the local run's own cities (cities.json), not for the Trino tests' fixtures:
    # partitions-not-empty expects every local city on each day of the run, and data-freshness lists them alone.
    days = days_of(summary)
    assert len(days) == 2
    assert checks["partitions-not-empty"]["row"]["expected_partitions"] == 3 * len(days)
    assert checks["partitions-not-empty"]["row"]["empty_partitions"] == 0
    assert summary["catalog"]["cities"] == ["marseille", "nice", "paris"]
    assert summary["catalog"]["dataFreshnessCities"] == ["marseille", "nice", "paris"]
    assert summary["analytics"]["data-freshness"] == 3

    assert summary["analytics"]["daily-temperature"] == 3 * 2  # three cities, two UTC days
    # Issue 18: every refined hour is staged (one fetch each), the daily layer has a row per city and UTC day.
    assert etl["staged"] == etl["refined"]
    assert summary["zones"]["stagingRows"] == etl["refined"]
    assert summary["zones"]["dailyRows"] == etl["daily_rows"] == 3 * 2
    assert summary["zones"]["dailyCities"] == ["Marseille", "Nice", "Paris"]
    assert checks["daily-consistent"]["row"]["days_checked"] == 3 * 2
    assert summary["analytics"]["monthly-climate-summary"] >= 3
    assert summary["analytics"]["forecast-evolution"] == 1  # one fetch of the hour so far
    report = (out / "report.html").read_text()
    # Three charts (temperature, precipitation, wind) per city, each with value and time axis ticks.
    assert report.count("<svg") == 3 * 3
    for city in ("Paris", "Marseille", "Nice"):
        assert f"<h3>{city} " in report
    assert report.count('class="tick" text-anchor="end"') >= 9 * 3
    assert "NO_MEASUREMENT" in report and "✔ passed" in report and "✘ FAILED" not in report
    assert "<h2>Daily weather per city</h2>" in report and report.count('<table class="data daily">') == 3
    # No absolute path of the checkout or of the run's folder: the page is shared, and the README shows a screenshot.
    assert str(ROOT) not in report and str(out.parent) not in report
    assert "recorded responses (examples/local-run/recorded)" in report
    assert set(summary["timings"]) == {"Ingestion", "ETL", "Catalog", "Validation", "Analytics", "Report"}
    # The command printed the counts it wrote to summary.json.
    assert (f"records in {etl['records_in']} / refined {etl['refined']} / quarantined {etl['quarantined']} / "
            f"superseded {etl['superseded']}; validations passed 5/5") in readme_run.output
