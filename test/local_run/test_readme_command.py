"""The README's first command exactly as a user types it: `scripts/local-run --offline`, a process of its own that
starts its own Trino and runs the Glue script as its own Python process (the other local-run tests share the lane's
Trino and Spark process, test/conftest.py). It runs in the bindings lane, which has the most idle time.

Expected counts are computed from the recorded bodies (test_local_run.expected_counts), not by the pipeline's code.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_local_run import expected_counts  # noqa: E402


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


def test_the_readme_local_run_command_runs_end_to_end(tmp_path):
    out = tmp_path / "run"
    env = {k: v for k, v in os.environ.items() if k not in ("PYSPARK_SUBMIT_ARGS",)}
    process = subprocess.Popen([str(ROOT / "scripts" / "local-run"), "--offline", "--out", str(out)], cwd=ROOT,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output, _ = process.communicate(timeout=1500)
    assert process.returncode == 0, output[-6000:]

    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
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
