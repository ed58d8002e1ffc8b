"""The full suite (`npx projen test:all`) runs pytest in lanes selected by marker: together they must select every
test exactly once, so that running side by side drops nothing."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def collected(*args: str) -> list[str]:
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode in (0, 5), done.stdout[-3000:] + done.stderr[-3000:]
    return [line for line in done.stdout.splitlines() if "::" in line]


def test_the_pytest_lanes_of_the_full_suite_select_every_test_once():
    steps = json.loads((ROOT / ".projen" / "tasks.json").read_text())["tasks"]["test:all"]["steps"]
    lanes = next(step["exec"] for step in steps if step.get("name") == "lanes")
    expressions = [m.group(1) or m.group(2) for m in re.finditer(r'test:python -m (?:"([^"]+)"|(\w+))', lanes)]
    assert expressions == ["bindings", "not bindings and not trino", "trino"], lanes
    everything = collected()
    assert len(everything) > 50
    by_lane = {expression: collected("-m", expression) for expression in expressions}
    selected = Counter(test for tests in by_lane.values() for test in tests)
    assert sorted(selected) == sorted(everything)
    assert [test for test, times in selected.items() if times > 1] == []
    # The markers follow the folders (conftest.py): the binding tests in their lane, the SQL and the local run in Trino's.
    assert sorted(by_lane["bindings"]) == sorted(t for t in everything if t.startswith("test/bindings/"))
    assert sorted(by_lane["trino"]) == sorted(t for t in everything if t.startswith(("test/catalog/", "test/local_run/test_local_run.py")))
