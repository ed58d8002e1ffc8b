"""The full suite (`npx projen test:all`) runs pytest in lanes selected by marker: together they must select every
test exactly once, so that running side by side drops nothing."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def collected(*args: str) -> list[str]:
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode in (0, 5), done.stdout[-3000:] + done.stderr[-3000:]
    return [line for line in done.stdout.splitlines() if "::" in line]


def lanes_of_the_full_suite() -> list[str]:
    steps = json.loads((ROOT / ".projen" / "tasks.json").read_text())["tasks"]["test:all"]["steps"]
    lanes = next(step["exec"] for step in steps if step.get("name") == "lanes")
    return [m.group(1) or m.group(2) for m in re.finditer(r'test:python -m (?:"([^"]+)"|(\w+))', lanes)]


def test_the_pytest_lanes_of_the_full_suite_select_every_test_once(tmp_path):
    """Four lanes run pytest: after jest in the TypeScript lane, and in the bindings, Spark and Trino lanes."""
    expressions = lanes_of_the_full_suite()
    assert expressions == ["tooling or spark_side", "bindings or checkers or own_process",
                           "not bindings and not checkers and not trino and not own_process and not tooling"
                           " and not spark_side",
                           "trino and not own_process"], expressions
    # One collection (each one imports PySpark and the test modules: seconds on a busy machine), with a plugin that
    # evaluates every lane's expression as `-m` would; its list of tests must be the plain collection's.
    out = tmp_path / "selection.json"
    env = {**os.environ, "PYTHONPATH": str(HERE), "LANE_SELECTION_EXPRESSIONS": json.dumps(expressions),
           "LANE_SELECTION_OUT": str(out)}
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                           "-p", "lane_selection"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    everything = [line for line in done.stdout.splitlines() if "::" in line]
    selection = json.loads(out.read_text())
    assert len(everything) > 50
    assert sorted(selection) == sorted(everything)
    by_lane = {expression: [test for test, lanes in selection.items() if expression in lanes] for expression in expressions}
    selected = Counter(test for tests in by_lane.values() for test in tests)
    assert sorted(selected) == sorted(everything)
    assert [test for test, times in selected.items() if times > 1] == []
    # The markers follow the folders (conftest.py): the binding tests, the template checkers and the tests that start
    # their own processes (the Glue script's command, the README's local-run command) in one lane, the SQL and the
    # local runs on the shared Trino in Trino's.
    own = ("src/etl/script/tests/test_etl_cli_contract.py", "src/etl/script/tests/test_etl_local_jvm.py",
           "test/local_run/test_readme_command.py")
    assert sorted(by_lane["bindings or checkers or own_process"]) == sorted(
        t for t in everything if t.startswith(("test/bindings/", "test/compliance/", *own)))
    assert all(any(t.startswith(path) for t in everything) for path in own)
    assert sorted(by_lane["trino and not own_process"]) == sorted(
        t for t in everything if t.startswith(("test/catalog/", "test/local_run/test_local_run.py")))
    # The tests of the project's scripts (no JVM) run after jest, in the TypeScript lane, and the Glue script tests
    # marked spark_side after them, in a Spark process of that lane's own.
    side = "src/etl/script/tests/test_etl_fixed_cost.py"
    assert sorted(by_lane["tooling or spark_side"]) == sorted(t for t in everything if t.startswith(("test/tooling/", side)))
    assert any(t.startswith(side) for t in everything)


def test_the_lane_plugin_selects_what_pytest_m_selects(tmp_path):
    """The plugin's evaluation is `-m`'s: for one lane, the tests it selects are the ones `pytest -m` collects."""
    expression = "trino"
    out = tmp_path / "selection.json"
    env = {**os.environ, "PYTHONPATH": str(HERE), "LANE_SELECTION_EXPRESSIONS": json.dumps([expression]),
           "LANE_SELECTION_OUT": str(out)}
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                           "-p", "lane_selection", "test/catalog", "test/local_run"],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    by_plugin = sorted(test for test, lanes in json.loads(out.read_text()).items() if expression in lanes)
    assert by_plugin == sorted(collected("-m", expression, "test/catalog", "test/local_run"))
    assert any(t.startswith("test/local_run/test_report.py") for t in json.loads(out.read_text()))  # not selected
    assert not any(t.startswith("test/local_run/test_report.py") for t in by_plugin)
