"""A local, single-node Trino for proving the SQL the library ships (Athena engine v3 is built on Trino).

Trino comes from Maven Central (the server core tarball plus the Hive connector plugin zip), checked against
Maven Central's .sha1 files and cached outside the repository in
``${XDG_CACHE_HOME:-$HOME/.cache}/cdk-weather-pipeline/trino/``, so a machine downloads it once.
The ``hive`` catalog uses a file metastore and the native local file system: tables are external tables over
the Parquet the ETL script wrote on local disk.

Used by ``test/conftest.py`` (one server per pytest run, shared by the catalog tests and the local runs), by
``examples/local-run/local_run.py`` and by ``scripts/trino-server``
(``install`` to fill the cache, ``run`` to start a server by hand).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

# Trino 476 needs Java 24 or newer: the project's own (scripts/java_runtimes.py), or TRINO_JAVA_HOME.
from java_runtimes import trino_java_home  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from jvm_archive import JvmArchive  # noqa: E402

TRINO_VERSION = os.environ.get("TRINO_VERSION", "476")
MAVEN_BASE = os.environ.get("TRINO_MAVEN_BASE", "https://repo1.maven.org/maven2/io/trino")
HEAP = os.environ.get("TRINO_HEAP", "2G")


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "cdk-weather-pipeline" / "trino"


def _artifacts(version: str) -> list[tuple[str, str]]:
    return [
        (f"{MAVEN_BASE}/trino-server-core/{version}/trino-server-core-{version}.tar.gz", f"trino-server-core-{version}.tar.gz"),
        (f"{MAVEN_BASE}/trino-hive/{version}/trino-hive-{version}.zip", f"trino-hive-{version}.zip"),
    ]


def _sha1(path: Path) -> str:
    digest = hashlib.sha1()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _download(url: str, target: Path) -> None:
    expected = urllib.request.urlopen(url + ".sha1", timeout=60).read().decode().split()[0].strip().lower()
    if target.exists() and _sha1(target) == expected:
        return
    partial = target.with_name(target.name + ".part")
    if not (partial.exists() and _sha1(partial) == expected):
        print(f"trino-local: downloading {url}", file=sys.stderr)
        with urllib.request.urlopen(url, timeout=600) as response, open(partial, "wb") as out:
            shutil.copyfileobj(response, out, 1 << 20)
        actual = _sha1(partial)
        if actual != expected:
            partial.unlink()
            raise RuntimeError(f"checksum mismatch for {url}: expected sha1 {expected}, got {actual}")
    partial.rename(target)


def install(version: str = TRINO_VERSION) -> Path:
    """Downloads (once) and unpacks Trino with the Hive plugin; returns the installation directory."""
    root = cache_dir()
    home = root / f"trino-server-{version}"
    marker = home / ".installed"
    if marker.exists():
        return home
    downloads = root / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    (core_url, core_name), (hive_url, hive_name) = _artifacts(version)
    _download(core_url, downloads / core_name)
    _download(hive_url, downloads / hive_name)
    staging = Path(tempfile.mkdtemp(prefix=f"trino-{version}-", dir=root))
    try:
        with tarfile.open(downloads / core_name) as archive:
            archive.extractall(staging, filter="tar")
        server = staging / f"trino-server-core-{version}"
        with zipfile.ZipFile(downloads / hive_name) as archive:
            archive.extractall(staging)
        (staging / f"trino-hive-{version}").rename(server / "plugin" / "hive")
        for launcher in (server / "bin").rglob("launcher"):
            launcher.chmod(0o755)
        if home.exists():
            shutil.rmtree(home)
        server.rename(home)
        marker.write_text(version + "\n")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return home


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:
    """Linux: Trino gets SIGTERM when the process that started it dies, so a killed test run leaves no server."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class TrinoServer:
    """One Trino coordinator on 127.0.0.1 whose ``hive`` catalog sees the local directory ``data_root``.

    Table and schema locations are ``local:///<path relative to data_root>``.
    """

    def __init__(self, work_dir: Path, data_root: Path, port: int | None = None, heap: str = HEAP):
        self.work_dir = Path(work_dir)
        self.data_root = Path(data_root)
        self.port = port or free_port()
        self.heap = heap
        self.process: subprocess.Popen | None = None
        self.log_path = self.work_dir / "server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def location(self, path: Path) -> str:
        """The Trino location of a directory under ``data_root``."""
        relative = Path(path).resolve().relative_to(self.data_root.resolve())
        return "local:///" + relative.as_posix()

    def jvm_options(self) -> list[str]:
        """Trino's JVM options, but for the class-data sharing archive's (``jvm_archive``)."""
        return [
            "-server",
            f"-Xmx{self.heap}",
            "-XX:+UseG1GC",
            "-XX:+ExitOnOutOfMemoryError",
            "-XX:TieredStopAtLevel=1",  # C1 only: faster start, enough for test-sized data on 2 shared cores
            "-Djdk.attach.allowAttachSelf=true",
            # The object-layout library Trino sizes its memory accounting with otherwise tries to attach HotSpot's
            # Serviceability Agent through helper JVMs, which fails without privileges; it falls back to the same
            # estimates as when the attach is skipped.
            "-Djol.skipHotspotSAAttach=true",
            "-Dfile.encoding=UTF-8",
        ]

    def _configure(self, jvm_options: list[str]) -> Path:
        etc = self.work_dir / "etc"
        (etc / "catalog").mkdir(parents=True, exist_ok=True)
        (self.work_dir / "data").mkdir(exist_ok=True)
        self.data_root.mkdir(parents=True, exist_ok=True)
        (self.data_root / "_metastore").mkdir(exist_ok=True)
        (etc / "node.properties").write_text(
            "node.environment=test\nnode.id=cdk-weather-pipeline-test\n"
            "node.bind-ip=127.0.0.1\nnode.internal-address=127.0.0.1\n"
            f"node.data-dir={self.work_dir / 'data'}\n")
        (etc / "jvm.config").write_text("\n".join([*jvm_options, ""]))
        (etc / "config.properties").write_text("\n".join([
            "coordinator=true",
            "node-scheduler.include-coordinator=true",
            f"http-server.http.port={self.port}",
            f"discovery.uri=http://127.0.0.1:{self.port}",
            "query.max-memory=1GB",
            "query.max-memory-per-node=1GB",
            "task.concurrency=2",
            "task.max-worker-threads=4",
            # CREATE CATALOG / DROP CATALOG (add_catalog): a local run on a shared server keeps its tables apart.
            "catalog.management=dynamic",
            "",
        ]))
        (etc / "log.properties").write_text("io.trino=WARN\n")
        hive = {"connector.name": "hive", **self._hive_properties(self.data_root / "_metastore")}
        (etc / "catalog" / "hive.properties").write_text("".join(f"{key}={value}\n" for key, value in hive.items()))
        return etc

    def _hive_properties(self, metastore: Path) -> dict:
        """The properties of a ``hive`` connector catalog over ``data_root`` whose file metastore is ``metastore``."""
        return {
            "hive.metastore": "file",
            "hive.metastore.catalog.dir": self.location(metastore),
            "fs.native-local.enabled": "true",
            "local.location": str(self.data_root.resolve()),
            # Athena reads Parquet timestamps as written; keep Trino from shifting them to a zone.
            "hive.parquet.time-zone": "UTC",
            "hive.timestamp-precision": "MILLISECONDS",
            # The tests craft bad data by inserting into copies of the external tables.
            "hive.non-managed-table-writes-enabled": "true",
        }

    def add_catalog(self, name: str, metastore: Path) -> str:
        """Creates the catalog ``name`` on the running server: the ``hive`` catalog's settings over the same
        ``data_root``, with a file metastore of its own in ``metastore`` (a directory under ``data_root``), so its
        schemas and tables are apart from every other catalog's. Returns ``name``; ``drop_catalog`` removes it."""
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise ValueError(f"name must match [a-z][a-z0-9_]*, got {name!r}")
        Path(metastore).mkdir(parents=True, exist_ok=True)
        properties = ", ".join(f'"{key}" = ' + "'" + value.replace("'", "''") + "'"
                               for key, value in self._hive_properties(Path(metastore)).items())
        self._run(f"CREATE CATALOG {name} USING hive WITH ({properties})")
        return name

    def drop_catalog(self, name: str) -> None:
        """Drops a catalog ``add_catalog`` created (its metastore files stay where they are)."""
        self._run(f"DROP CATALOG IF EXISTS {name}")

    def _run(self, sql: str) -> None:
        cursor = self.connect().cursor()
        cursor.execute(sql)
        cursor.fetchall()

    def start(self, timeout: float = 240.0) -> "TrinoServer":
        """Launches the server and waits until it accepts queries."""
        return self.launch().wait_ready(timeout)

    def launch(self) -> "TrinoServer":
        """Launches the server without waiting (it takes ~30 s to start: overlap it with other work)."""
        home = install()
        java = trino_java_home()
        options = self.jvm_options()
        # A class-data sharing archive of the classes Trino loads at start: dumped by the first server's JVM when it
        # exits, mapped by every later one (jvm_archive.py). Keyed on the Java runtime, this installation and the options.
        self.archive = JvmArchive(f"trino-{TRINO_VERSION}", java,
                                  [TRINO_VERSION, str(home), str((home / ".installed").stat().st_mtime_ns), *options])
        self.archive_ready_at_launch = self.archive.ready()
        etc = self._configure(options + self.archive.options())
        env = dict(os.environ)
        env["JAVA_HOME"] = str(java)
        env["PATH"] = f"{java / 'bin'}:{env.get('PATH', '')}"
        env["TZ"] = "UTC"
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [str(home / "bin" / "launcher"), "run", f"--etc-dir={etc}", f"--data-dir={self.work_dir / 'data'}",
             "-Duser.timezone=UTC"],
            cwd=self.work_dir, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=_die_with_parent)
        return self

    def wait_ready(self, timeout: float = 240.0) -> "TrinoServer":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Trino exited with {self.process.returncode}; see {self.log_path}:\n{self._tail()}")
            try:
                with urllib.request.urlopen(self.url + "/v1/info", timeout=2) as response:
                    if not json.load(response).get("starting", True):
                        return self
            except OSError:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"Trino did not start within {timeout:.0f}s; see {self.log_path}:\n{self._tail()}")

    def _tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is not None:
            self.archive.completed(clean_exit=False)  # it did not exit because it was asked to: keep no archive of it
            return
        # The launcher runs Java in its own session: end that process group only. A JVM that dumps the class-data
        # sharing archive at exit takes a few seconds more, once.
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
            clean = True
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
            clean = False
        self.archive.completed(clean_exit=clean)

    def connect(self, schema: str | None = None, catalog: str = "hive"):
        """A connection whose unqualified names resolve in ``catalog`` (and ``schema``, if given)."""
        import trino  # pinned in requirements-dev.txt

        return trino.dbapi.connect(host="127.0.0.1", port=self.port, user="test", catalog=catalog, schema=schema,
                                   http_scheme="http", request_timeout=120)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="trino-server", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("install", help="download (once), verify and unpack Trino into the cache; print its directory")
    run = sub.add_parser("run", help="start a server in the foreground until Ctrl-C")
    run.add_argument("--data-root", required=True, help="local directory the hive catalog sees as local:///")
    run.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    if args.command == "install":
        print(install())
        return 0
    work = Path(tempfile.mkdtemp(prefix="trino-run-"))

    def interrupt(_signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)  # `kill` or `timeout` stops Trino too, not only Ctrl-C
    server = TrinoServer(work, Path(args.data_root), port=args.port).start()
    print(f"Trino {TRINO_VERSION} ready at {server.url} (catalog hive, data root {args.data_root}); Ctrl-C stops it")
    try:
        server.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
