"""The README's first command, on recorded responses: ingestion → landing → ETL on Spark → Trino → validation.

Expected counts are computed here from the recorded bodies, independently of the pipeline's code.
Each run calls `local_run.main` with the command's arguments, on the Trino and the Spark process the lane shares
(test/conftest.py) instead of its own: `main(argv, trino=server, spark_etl=runner)` skips only the server's launch
and stop and the Glue script's process start (the script's entry point `weather_etl.main` gets the same arguments),
and runs every stage, the run's own Trino catalog included, as the command does.
The run with Open-Meteo alone is the README command's own (test_readme_command.py checks its summary and report): a
second run of the same batch here cost a whole local run of CPU for the same outputs.
"""
from __future__ import annotations

import json
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

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


def run_folder(trino) -> Path:
    """A fresh output folder for one run, under the directory the shared Trino sees."""
    return Path(tempfile.mkdtemp(prefix="local-run-", dir=trino.data_root)) / "run"


def shown(trino, sql: str) -> set[str]:
    cursor = trino.connect().cursor()
    cursor.execute(sql)
    return {row[0] for row in cursor.fetchall()}


def days_of(summary: dict) -> list[str]:
    """The UTC days of the run's plan, first to last."""
    first = date.fromisoformat(summary["validation"]["plan"]["firstDate"])
    last = date.fromisoformat(summary["validation"]["plan"]["lastDate"])
    return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def test_local_run_refuses_an_output_folder_the_given_trino_cannot_see(tmp_path):
    server = SimpleNamespace(data_root=tmp_path / "trino-data")  # checked before anything starts
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "kept.txt").write_text("not the run's to delete")
    with pytest.raises(ValueError, match=r"--out must be under the data root of the given Trino server \(.*trino-data\), "
                                         r"got .*/run$"):
        local_run.main(["--offline", "--skip-synth", "--out", str(tmp_path / "run")], trino=server)
    assert (tmp_path / "run" / "kept.txt").exists()


def test_local_run_with_both_sources_shows_them_side_by_side(trino, spark_etl):
    out = run_folder(trino)
    trino.wait_ready()
    before = shown(trino, "SHOW CATALOGS"), shown(trino, "SHOW SCHEMAS FROM hive")
    summary = local_run.main(["--offline", "--skip-synth", "--sources", "open-meteo,met-norway", "--out", str(out)],
                             trino=trino, spark_etl=spark_etl)
    # The run's tables were in a catalog of its own, dropped at the end: the next run (or a catalog test) sees none,
    # and the run saw none of theirs.
    assert (shown(trino, "SHOW CATALOGS"), shown(trino, "SHOW SCHEMAS FROM hive")) == before
    assert (out / "metastore" / "weather" / "hourly").is_dir()
    hours, empty_hours = expected_counts()
    met_steps = sum(len(json.loads(p.read_text())["properties"]["timeseries"]) for p in sorted((RECORDED / "met-norway").glob("*.json")))
    assert met_steps == 3 * 47

    etl = summary["etl"]
    assert etl["files_read"] == 6
    assert etl["records_in"] == hours + met_steps
    assert etl["quarantined_by_reason"] == {"NO_MEASUREMENT": empty_hours}
    assert etl["refined"] == hours - empty_hours + met_steps
    assert etl["reconciled"] is True

    checks = {c["id"]: c for c in summary["validation"]["checks"]}
    assert all(c["passed"] for c in checks.values()), checks
    assert summary["validation"]["plan"]["sourceIds"] == "met-norway,open-meteo"
    # Every expected (day, city) partition holds both sources: the run's days x the three local cities x 2 sources.
    days = days_of(summary)
    assert checks["partitions-not-empty"]["row"]["expected_partitions"] == len(days) * 3 * 2
    assert checks["partitions-not-empty"]["row"]["empty_partitions"] == 0
    assert summary["catalog"]["dataFreshnessCities"] == ["marseille", "nice", "paris"]
    assert checks["no-duplicate-hours"]["row"]["duplicated_hours"] == 0

    assert summary["analytics"]["daily-temperature"] == 3 * 2 * 2  # three cities, two UTC days, two sources
    assert summary["analytics"]["compare-sources"] == 47  # the first city's hours both sources have
    report = (out / "report.html").read_text()
    assert "<h2>Sources side by side</h2>" in report
    for city in ("Paris", "Marseille", "Nice"):
        assert f"<h3>{city} · open-meteo " in report and f"<h3>{city} · met-norway " in report
        assert f"<h3>{city} <span class=\"note\">met-norway vs open-meteo: mean absolute difference" in report
    # Per city: Open-Meteo's three charts and MET Norway's temperature and wind (its precipitation_mm is null: the
    # chart says "No values"), then temperature and wind per source in the side-by-side section.
    assert report.count("<svg") == 3 * (3 + 2) + 3 * 2 * 2
    assert report.count("<p>No values.</p>") == 3
