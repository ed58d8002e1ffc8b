"""Suite-wide pytest set-up: the markers of each folder's tests, and the Java the in-process Spark sessions run on.

Markers (registered in pytest.ini) select a slice, e.g. `pytest -m "not trino and not bindings"`:
- spark: runs the Glue script on local Spark (src/etl/script/tests, test/catalog, test/local_run/test_local_run.py)
- trino: runs SQL on a local Trino (test/catalog, test/local_run/test_local_run.py)
- bindings: builds on the jsii-pacmak packages (test/bindings; `npx projen package:bindings` first)
- local_run: the README's local-run command, end to end (test/local_run/test_local_run.py)
- checkers: cfn-lint, checkov and the IAM audit on the synthesized examples app (test/compliance)
- own_process: starts the Glue script or the local-run command as a process of its own, with its own JVMs
  (test_etl_cli_contract.py, test_etl_local_jvm.py, test/local_run/test_readme_command.py): the full suite runs them
  in the bindings lane, which is otherwise idle for most of the run
- tooling: the project's own scripts and build helpers, no Spark, no Trino (test/tooling): the full suite runs them
  after jest, in the TypeScript lane, which has the least CPU of the four
- spark_side: Glue script tests that need no ETL run another module shares (test_etl_fixed_cost.py): the full suite
  runs them in a second Spark process after the tooling tests, so that the Spark lane, the longest, ends sooner
A test folder added later gets its markers here, next to the others.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "scripts"))

from java_runtimes import spark_java_home  # noqa: E402

# As scripts/runtime-env does for the README commands: the apps that synthesize through the Python/Java bindings
# print no jsii banner about the Node.js release they run on (jsii's documented switches).
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
_node_major = subprocess.run(["node", "-p", "process.versions.node.split('.')[0]"], capture_output=True, text=True).stdout.strip()
if _node_major.isdigit() and int(_node_major) >= 20:
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", _node_major)

MARKERS_BY_FOLDER = {
    "src/etl/script/tests": ("spark",),
    "test/catalog": ("spark", "trino"),
    "src/etl/script/tests/test_etl_cli_contract.py": ("own_process",),
    "src/etl/script/tests/test_etl_local_jvm.py": ("own_process",),
    "src/etl/script/tests/test_etl_fixed_cost.py": ("spark_side",),
    "test/local_run/test_local_run.py": ("spark", "trino", "local_run"),
    "test/local_run/test_readme_command.py": ("spark", "trino", "local_run", "own_process"),
    "test/bindings": ("bindings",),
    "test/compliance": ("checkers",),
    "test/tooling": ("tooling",),
}


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(config, items):
    for item in items:
        relative = Path(str(item.fspath)).resolve().relative_to(ROOT).as_posix()
        for folder, markers in MARKERS_BY_FOLDER.items():
            if relative == folder or relative.startswith(folder + "/"):
                for marker in markers:
                    item.add_marker(marker)


def pytest_collection_finish(session):
    # The ETL tests start Spark in this process: on the project's Java 17 (or SPARK_JAVA_HOME), never on whatever
    # `java` the PATH has. Resolved after deselection, so a slice without Spark installs nothing.
    if any(item.get_closest_marker("spark") for item in session.items):
        os.environ["JAVA_HOME"] = str(spark_java_home())
