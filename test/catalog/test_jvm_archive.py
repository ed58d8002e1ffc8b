"""The class-data sharing archives of the JVMs the project starts (jvm_archive.py), on the project's Java runtimes:
dumped by a first run, mapped by the next, never offered to another runtime, installation or set of options, never
left half-written. `java -version` stands for the engine (its JVM loads a few classes and exits like any other)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import jvm_archive  # noqa: E402
from jvm_archive import JvmArchive  # noqa: E402
from java_runtimes import SPARK, TRINO, java_home  # noqa: E402  (scripts/ is on the path: conftest.py)


@pytest.fixture(scope="module")
def java25() -> Path:
    return java_home(TRINO)


class BaseLayers:
    """The base layer (`-Xshare:dump`, about a second of CPU) of each runtime, made once for the module's tests that
    are about the application layer and linked into their archives' folders; the first test below makes its own."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.made: dict = {}

    def seed(self, archive: JvmArchive) -> JvmArchive:
        home = archive.java_home.resolve()
        if home not in self.made:
            base = JvmArchive(f"base-{len(self.made)}", home, [], folder=self.folder)
            assert base._make_base()
            self.made[home] = base.base
        archive.directory.mkdir(parents=True, exist_ok=True)
        os.link(self.made[home], archive.base)
        return archive


@pytest.fixture(scope="module")
def base_layers(tmp_path_factory) -> BaseLayers:
    return BaseLayers(tmp_path_factory.mktemp("cds-base-layers"))


def run_java(home: Path, options: list[str], *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(home / "bin" / "java"), *options, *extra, "-version"], capture_output=True, text=True)


def test_the_first_run_dumps_the_archive_and_the_next_maps_it(java25, tmp_path, monkeypatch):
    monkeypatch.delenv("JVM_ARCHIVES", raising=False)
    monkeypatch.delenv("CI", raising=False)
    archive = JvmArchive("engine-1", java25, ["1.0", "-Xmx1G"], folder=tmp_path)
    first = archive.options()
    assert any(o.startswith("-XX:ArchiveClassesAtExit=") for o in first) and not archive.ready()
    assert run_java(java25, first).returncode == 0
    assert archive.completed(clean_exit=True) and archive.ready()
    assert sorted(p.name for p in archive.directory.iterdir()) == ["app.jsa", "base.jsa"]

    later = JvmArchive("engine-1", java25, ["1.0", "-Xmx1G"], folder=tmp_path).options()
    assert later == [f"-XX:SharedArchiveFile={archive.base}:{archive.app}"]
    # -Xshare:on makes a JVM that cannot map the archive fail instead of running without it.
    mapped = run_java(java25, later, "-Xshare:on")
    assert mapped.returncode == 0, mapped.stderr


def test_a_jvm_that_did_not_exit_when_asked_leaves_no_archive(java25, tmp_path, monkeypatch, base_layers):
    monkeypatch.delenv("JVM_ARCHIVES", raising=False)
    monkeypatch.delenv("CI", raising=False)
    archive = base_layers.seed(JvmArchive("engine-1", java25, ["1.0"], folder=tmp_path))
    assert run_java(java25, archive.options()).returncode == 0  # its dump is complete, but it was not a clean stop
    assert archive.completed(clean_exit=False) is False
    assert not archive.ready() and list(archive.directory.glob("*.part")) == []
    # The next run dumps again.
    assert any(o.startswith("-XX:ArchiveClassesAtExit=") for o in archive.options())


def test_another_runtime_installation_or_option_names_another_archive_and_replaces_the_old_one(java25, tmp_path,
                                                                                                monkeypatch, base_layers):
    monkeypatch.delenv("JVM_ARCHIVES", raising=False)
    monkeypatch.delenv("CI", raising=False)
    old = base_layers.seed(JvmArchive("engine-476", java25, ["476", "installed 1", "-Xmx2G"], folder=tmp_path))
    run_java(java25, old.options())
    assert old.completed(clean_exit=True)
    others = [JvmArchive("engine-476", java_home(SPARK), ["476", "installed 1", "-Xmx2G"], folder=tmp_path),
              JvmArchive("engine-476", java25, ["477", "installed 1", "-Xmx2G"], folder=tmp_path),
              JvmArchive("engine-476", java25, ["476", "installed 2", "-Xmx2G"], folder=tmp_path),
              JvmArchive("engine-476", java25, ["476", "installed 1", "-Xmx1G"], folder=tmp_path)]
    assert len({old.directory, *(o.directory for o in others)}) == 5
    for other in others:
        base_layers.seed(other)
        assert not other.ready() and not any(str(old.directory) in o for o in other.options())
    # The Java 17 runtime gets an archive of its own; completing it removes the Java 25 one, which it may not map.
    java17 = others[0]
    assert run_java(java17.java_home, java17.options()).returncode == 0
    assert java17.completed(clean_exit=True)
    assert not old.directory.exists()
    mapped = run_java(java17.java_home, [f"-XX:SharedArchiveFile={java17.base}:{java17.app}"], "-Xshare:on")
    assert mapped.returncode == 0, mapped.stderr


def test_a_java_updated_in_place_names_another_archive(java25, tmp_path):
    home = tmp_path / "java"  # what identifies a runtime: its path, its release file, its libjvm.so
    (home / "lib" / "server").mkdir(parents=True)
    shutil.copyfile(java25 / "release", home / "release")
    shutil.copyfile(next(java25.glob("lib/*/libjvm.so")), home / "lib" / "server" / "libjvm.so")
    before = JvmArchive("engine", home, ["1"], folder=tmp_path / "cds").directory
    release = home / "release"
    release.write_text(release.read_text() + 'IMPLEMENTOR_VERSION="patched"\n')
    assert JvmArchive("engine", home, ["1"], folder=tmp_path / "cds").directory != before
    libjvm = next(home.glob("lib/*/libjvm.so"))
    os.utime(libjvm, ns=(libjvm.stat().st_atime_ns, libjvm.stat().st_mtime_ns + 10**9))
    after_release = JvmArchive("engine", home, ["1"], folder=tmp_path / "cds").directory
    os.utime(libjvm, ns=(libjvm.stat().st_atime_ns, libjvm.stat().st_mtime_ns + 10**9))
    assert JvmArchive("engine", home, ["1"], folder=tmp_path / "cds").directory != after_release


def test_on_ci_an_archive_is_mapped_but_none_is_dumped_unless_asked(java25, tmp_path, monkeypatch, base_layers):
    monkeypatch.setenv("CI", "true")
    monkeypatch.delenv("JVM_ARCHIVES", raising=False)
    archive = JvmArchive("engine", java25, ["1"], folder=tmp_path)
    assert archive.options() == [] and not archive.directory.exists()
    base_layers.seed(archive)
    monkeypatch.setenv("JVM_ARCHIVES", "on")
    dumping = archive.options()
    assert any(o.startswith("-XX:ArchiveClassesAtExit=") for o in dumping)
    assert run_java(java25, dumping).returncode == 0 and archive.completed(clean_exit=True)
    monkeypatch.delenv("JVM_ARCHIVES")
    assert archive.options() == [f"-XX:SharedArchiveFile={archive.base}:{archive.app}"]


def test_archives_can_be_turned_off(java25, tmp_path, monkeypatch):
    monkeypatch.setenv("JVM_ARCHIVES", "off")
    archive = JvmArchive("engine", java25, ["1"], folder=tmp_path)
    assert archive.options() == [] and not archive.directory.exists()
    assert archive.completed(clean_exit=True) is False


def test_the_shared_trino_runs_with_its_archive(trino):
    """The lane's Trino maps the archive when one was complete at its launch, and dumps one otherwise (not on CI)."""
    trino.wait_ready()
    options = (trino.work_dir / "etc" / "jvm.config").read_text().splitlines()
    if jvm_archive.mode() == "off":
        assert not any(o.startswith("-XX:SharedArchiveFile") for o in options)
    elif trino.archive_ready_at_launch:
        assert f"-XX:SharedArchiveFile={trino.archive.base}:{trino.archive.app}" in options
        assert str(trino.archive.app) in Path(f"/proc/{trino.process.pid}/maps").read_text()
    elif jvm_archive.mode() == "map":
        assert not any(o.startswith("-XX:SharedArchiveFile") for o in options)
    else:
        assert any(o.startswith(f"-XX:ArchiveClassesAtExit={trino.archive.directory}/") for o in options)
