"""Class-data sharing (CDS) archives for the JVMs the project starts, first Trino's: a JVM that maps an archive of the
classes a previous run loaded skips reading, parsing and verifying them again (Trino's start: about a quarter less CPU).

An archive belongs to one Java runtime, one set of jars and one set of JVM options: ``JvmArchive`` keys its folder,
``.tools/cds/<name>-<key>/``, on the Java home (its path, its ``release`` file, the size and time of its ``libjvm.so``)
and on the caller's inputs (the engine's version and installation stamp, the JVM options). A change of any of them
names another folder, so a stale archive is never offered to a JVM (and the JVM itself refuses one that does not
match its runtime or class path, and runs without). Folders of the same name under another key are removed when a
new archive is completed.

Two layers, as the JDK's dynamic archives need: ``base.jsa``, the JDK's default class list (``-Xshare:dump``; the
runtimes from PyPI ship none), and ``app.jsa``, the classes the application loaded, dumped by the first run's JVM when
it exits (``-XX:ArchiveClassesAtExit``). Both are written to a file of their own and linked into place only once
complete, first writer wins: concurrent first runs, or a run killed before its JVM exited, never leave a partial
archive where a JVM would map it.

``JVM_ARCHIVES``: ``auto`` (the default) maps an archive and dumps a missing one, except on CI (``CI`` set), where
every run starts from a fresh clone and a dump (about 10 s of CPU, once per clone) would never be used; ``on`` dumps
there too; ``off`` adds no option at all.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path
from typing import Sequence

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / ".tools" / "cds"


def mode() -> str:
    """``off``, ``map`` (use an archive, never dump one) or ``on`` (use or dump), from JVM_ARCHIVES and CI."""
    setting = os.environ.get("JVM_ARCHIVES", "auto").lower()
    if setting in ("off", "0", "false", "no"):
        return "off"
    if setting == "auto" and os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
        return "map"
    return "on"


def java_identity(java_home: Path) -> list[str]:
    """What makes a Java runtime the one an archive was dumped with: its path, its release file, its libjvm.so."""
    home = Path(java_home).resolve()
    parts = [str(home)]
    release = home / "release"
    parts.append(release.read_text(encoding="utf-8", errors="replace") if release.is_file() else "")
    for libjvm in sorted(home.glob("lib/*/libjvm.so")):
        stat = libjvm.stat()
        parts.append(f"{libjvm.relative_to(home)}:{stat.st_size}:{stat.st_mtime_ns}")
    return parts


def _link_into_place(part: Path, final: Path) -> bool:
    """Links the completed `part` to `final` unless `final` exists (first writer wins); removes `part`."""
    try:
        os.link(part, final)
        return True
    except OSError:  # FileExistsError: another run's archive is in place (or its folder was replaced meanwhile)
        return False
    finally:
        part.unlink(missing_ok=True)


class JvmArchive:
    """The CDS archive of one JVM configuration: ``options()`` before the JVM starts, ``completed(clean)`` after it
    exited."""

    def __init__(self, name: str, java_home: Path, inputs: Sequence[str], folder: Path = FOLDER):
        self.name = name
        self.java_home = Path(java_home)
        self.folder = Path(folder)
        digest = hashlib.sha256("\0".join([*java_identity(self.java_home), "--", *inputs]).encode())
        self.directory = self.folder / f"{name}-{digest.hexdigest()[:16]}"
        self.base = self.directory / "base.jsa"
        self.app = self.directory / "app.jsa"
        self._dumping: Path | None = None

    def ready(self) -> bool:
        return self.base.is_file() and self.app.is_file()

    def options(self) -> list[str]:
        """The JVM options: map the archive if it is complete, else dump one when the JVM exits (after making the base
        layer). Empty when archives are turned off, when only mapping is allowed (CI) and there is none, or when the base
        layer cannot be made."""
        self._dumping = None
        if mode() == "off":
            return []
        if self.ready():
            return [f"-XX:SharedArchiveFile={self.base}:{self.app}"]
        if mode() == "map" or not self._make_base():
            return []
        self._dumping = self.directory / f"app.jsa.{os.getpid()}-{uuid.uuid4().hex[:8]}.part"
        # The dump names every class it cannot archive (generated proxies and the like): not worth a log line each.
        return [f"-XX:SharedArchiveFile={self.base}", f"-XX:ArchiveClassesAtExit={self._dumping}", "-Xlog:cds=off",
                "-Xlog:cds+dynamic=off"]

    def _make_base(self) -> bool:
        if self.base.is_file():
            return True
        self.directory.mkdir(parents=True, exist_ok=True)
        part = self.directory / f"base.jsa.{os.getpid()}-{uuid.uuid4().hex[:8]}.part"
        done = subprocess.run([str(self.java_home / "bin" / "java"), "-Xshare:dump", f"-XX:SharedArchiveFile={part}"],
                              capture_output=True, text=True)
        if done.returncode != 0 or not part.is_file():
            part.unlink(missing_ok=True)
            return False
        _link_into_place(part, self.base)
        return True

    def completed(self, clean_exit: bool) -> bool:
        """After the JVM exited: puts the archive it dumped into place if it exited cleanly (a JVM killed during the
        dump leaves a partial file, dropped here). Returns True if an archive was put into place."""
        dumping, self._dumping = self._dumping, None
        if dumping is None:
            return False
        if not (clean_exit and dumping.is_file() and dumping.stat().st_size > 0):
            dumping.unlink(missing_ok=True)
            return False
        placed = _link_into_place(dumping, self.app)
        if placed:
            # Dumps of runs killed meanwhile (their parent gone), and the archives of other runtimes and installations.
            for stale in self.directory.glob("*.part"):
                if time.time() - stale.stat().st_mtime > 3600:
                    stale.unlink(missing_ok=True)
            for other in self.folder.glob(f"{self.name}-*"):
                if other != self.directory and other.is_dir():
                    shutil.rmtree(other, ignore_errors=True)
        return placed
