"""The README's first command, on recorded responses: ingestion → landing → ETL on Spark → Trino → validation.

Expected counts are computed here from the recorded bodies, independently of the pipeline's code.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RECORDED = ROOT / "examples" / "local-run" / "recorded"
sys.path.insert(0, str(ROOT / "examples" / "local-run"))

import local_run  # noqa: E402

VARIABLES = [v["apiName"] for v in json.loads((ROOT / "src" / "etl" / "script" / "contract.json").read_text())["variables"]]


def expected_counts() -> tuple[int, int]:
    cities = {c["name"] for c in json.loads((ROOT / "examples" / "local-run" / "cities.json").read_text())}
    hours = empty_hours = 0
    for path in sorted(RECORDED.glob("*.json")):
        hourly = json.loads(path.read_text())["hourly"]
        for i in range(len(hourly["time"])):
            hours += 1
            if all(hourly.get(v, [None] * (i + 1))[i] is None for v in VARIABLES):
                empty_hours += 1
    assert len(cities) == len(list(RECORDED.glob("*.json")))
    return hours, empty_hours


def test_local_run_reconciles_and_validates(tmp_path):
    summary = local_run.main(["--offline", "--skip-synth", "--out", str(tmp_path / "run")])
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

    assert summary["analytics"]["daily-temperature"] == 3 * 2  # three cities, two UTC days
    # Issue 18: every refined hour is staged (one fetch each), the daily layer has a row per city and UTC day.
    assert etl["staged"] == etl["refined"]
    assert summary["zones"]["stagingRows"] == etl["refined"]
    assert summary["zones"]["dailyRows"] == etl["daily_rows"] == 3 * 2
    assert summary["zones"]["dailyCities"] == ["Marseille", "Nice", "Paris"]
    assert checks["daily-consistent"]["row"]["days_checked"] == 3 * 2
    assert summary["analytics"]["monthly-climate-summary"] >= 3
    assert summary["analytics"]["forecast-evolution"] == 1  # one fetch of the hour so far
    report = (tmp_path / "run" / "report.html").read_text()
    # Three charts (temperature, precipitation, wind) per city, each with value and time axis ticks.
    assert report.count("<svg") == 3 * 3
    for city in ("Paris", "Marseille", "Nice"):
        assert f"<h3>{city} " in report
    assert report.count('class="tick" text-anchor="end"') >= 9 * 3
    assert "NO_MEASUREMENT" in report and "✔ passed" in report and "✘ FAILED" not in report
    assert "<h2>Daily weather per city</h2>" in report and report.count('<table class="data daily">') == 3
    # No absolute path of the checkout or of the run's folder: the page is shared, and the README shows a screenshot.
    assert str(ROOT) not in report and str(tmp_path) not in report
    assert "recorded responses (examples/local-run/recorded)" in report
    assert set(summary["timings"]) == {"Ingestion", "ETL", "Catalog", "Validation", "Analytics", "Report"}
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["etl"] == etl
