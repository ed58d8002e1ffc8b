"""A Spark configuration folder for local runs (tests, benchmarks, scripts/local-run) whose local file system does
not start a `chmod` process per file it creates.

Without Hadoop's native library (PyPI's PySpark ships none, and no package registry ships one), Hadoop's local file
system sets the permission of every file it creates by running `chmod` in a child process of the JVM: a local ETL
run writing the hourly, staging and daily layers of 100 cities x 30 days creates ~9,000 Parquet files, so ~9,000
processes (docs/PERFORMANCE.md, section 2). `scripts/spark-local-fs/` holds a subclass of Hadoop's local file system
that sets the same permission bits in the JVM; this script compiles it once (the Eclipse Compiler for Java from
Maven Central, scripts/build_tools.py, on the project's Java 17 runtime, against PySpark's own Hadoop jar) into
`.tools/spark-local-fs-<hash>/`, and writes there a `conf/spark-defaults.conf` that puts the jar on the driver's
class path and maps `file:` to it. Spark reads that file when `SPARK_CONF_DIR` names the folder:

    eval "$(.venv/bin/python scripts/spark_local_fs.py env)"   # export SPARK_CONF_DIR=... (nothing if it cannot build)
    .venv/bin/python scripts/spark_local_fs.py install          # builds what is missing, prints the folder

Only local sessions started with that environment are concerned; Glue (S3, its own configuration) is not. A user's
own SPARK_CONF_DIR is kept as it is (nothing is printed).
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import build_tools  # noqa: E402
import java_runtimes  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "scripts" / "spark-local-fs"
FILE_SYSTEM_CLASS = "weatherpipeline.localfs.InProcessPermissionsFileSystem"


def hadoop_jar() -> Path:
    import pyspark

    jars = sorted((Path(pyspark.__file__).parent / "jars").glob("hadoop-client-api-*.jar"))
    if not jars:
        raise RuntimeError("PySpark's hadoop-client-api jar was not found")
    return jars[-1]


def sources() -> list[Path]:
    return sorted(SOURCES.rglob("*.java"))


def folder() -> Path:
    digest = hashlib.sha256()
    for source in sources():
        digest.update(source.relative_to(SOURCES).as_posix().encode() + b"\0" + source.read_bytes())
    digest.update(hadoop_jar().name.encode())
    return build_tools.TOOLS / f"spark-local-fs-{digest.hexdigest()[:12]}"


def install() -> Path:
    """The configuration folder (`<folder>/conf`), building the jar first if this source has not been built."""
    target = folder()
    conf = target / "conf"
    if (conf / "spark-defaults.conf").is_file():
        return conf
    ecj = build_tools.install(build_tools.ECJ) / f"ecj-{build_tools.ECJ.version}.jar"
    java = java_runtimes.java_home(java_runtimes.SPARK) / "bin" / "java"
    build_tools.TOOLS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=build_tools.TOOLS, prefix=".spark-local-fs-") as work:
        work_path = Path(work)
        classes = work_path / "classes"
        subprocess.run([str(java), "-jar", str(ecj), "-17", "-nowarn", "-cp", str(hadoop_jar()),
                        "-d", str(classes), *map(str, sources())], check=True, stdout=sys.stderr)
        staged = work_path / "out"
        (staged / "conf").mkdir(parents=True)
        jar = staged / "spark-local-fs.jar"
        with zipfile.ZipFile(jar, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n\n")
            for compiled in sorted(classes.rglob("*.class")):
                archive.write(compiled, compiled.relative_to(classes).as_posix())
        final_jar = target / "spark-local-fs.jar"
        (staged / "conf" / "spark-defaults.conf").write_text(
            "# Written by scripts/spark_local_fs.py: local runs only (SPARK_CONF_DIR).\n"
            f"spark.driver.extraClassPath {final_jar}\n"
            f"spark.hadoop.fs.file.impl {FILE_SYSTEM_CLASS}\n", encoding="utf-8")
        if target.exists() and not (conf / "spark-defaults.conf").is_file():
            shutil.rmtree(target)  # an incomplete folder of an earlier version of this script
        try:
            staged.rename(target)
        except OSError:
            if not (conf / "spark-defaults.conf").is_file():  # else another process built it meanwhile
                raise
    return conf


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "install"
    if command == "install":
        print(install())
        return 0
    if command == "env":
        if os.environ.get("SPARK_CONF_DIR"):
            return 0
        try:
            conf = install()
        except Exception as error:  # noqa: BLE001 - a local speed-up only: Spark's own file system still works
            print(f"spark-local-fs: not used ({error}); Hadoop's local file system will run chmod per file", file=sys.stderr)
            return 0
        print(f"export SPARK_CONF_DIR={conf}")
        return 0
    print(f"usage: {Path(__file__).name} [install|env]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
