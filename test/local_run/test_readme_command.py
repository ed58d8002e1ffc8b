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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_local_run import expected_counts  # noqa: E402


def _descendants_alive(pid: int) -> list[str]:
    """Processes (command lines) whose parent chain leads to `pid`, from /proc."""
    parents: dict[int, int] = {}
    commands: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            parents[int(entry.name)] = int(fields[1])
            commands[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError, ValueError):
            continue
    found = []
    for child, _ in parents.items():
        ancestor = parents.get(child)
        while ancestor:
            if ancestor == pid:
                found.append(commands.get(child, "?"))
                break
            ancestor = parents.get(ancestor)
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
    # Its own Trino and Spark are gone when it returns.
    assert _descendants_alive(process.pid) == []
