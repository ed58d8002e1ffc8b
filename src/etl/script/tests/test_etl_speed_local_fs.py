"""The local file system of local Spark runs (scripts/spark_local_fs.py, issue #15): Hadoop's local file system, but
setting permissions in the JVM instead of running a `chmod` process per file created.

It must leave exactly the permission bits Hadoop's own local file system leaves, for files and folders created with
Hadoop's defaults (the umask applied) and with explicit permissions, and it must be what a local session started
with the configuration folder it writes (SPARK_CONF_DIR, as scripts/runtime-env exports it) uses for `file:`.
"""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(ROOT / "scripts"))

import spark_local_fs  # noqa: E402  (needs the path above)


@pytest.fixture(scope="module")
def conf_dir():
    return spark_local_fs.install()


def _jar(conf_dir: Path) -> Path:
    return conf_dir.parent / "spark-local-fs.jar"


def _file_systems(spark, conf_dir):
    """Hadoop's raw local file system and ours, each initialized on file:/// with the session's Hadoop settings; ours
    loaded from the built jar (whether or not this session has it on its class path)."""
    jvm, gateway = spark.sparkContext._jvm, spark.sparkContext._gateway  # noqa: SLF001
    urls = gateway.new_array(jvm.java.net.URL, 1)
    urls[0] = jvm.java.io.File(str(_jar(conf_dir))).toURI().toURL()
    loader = jvm.java.net.URLClassLoader(urls, jvm.java.lang.Thread.currentThread().getContextClassLoader())
    ours_class = loader.loadClass(spark_local_fs.FILE_SYSTEM_CLASS + "$Raw")
    ours = ours_class.getDeclaredConstructor(gateway.new_array(jvm.java.lang.Class, 0)) \
        .newInstance(gateway.new_array(jvm.java.lang.Object, 0))
    hadoop = jvm.org.apache.hadoop.fs.RawLocalFileSystem()
    conf = spark.sparkContext._jsc.hadoopConfiguration()  # noqa: SLF001
    for fs in (hadoop, ours):
        fs.initialize(jvm.java.net.URI("file:///"), conf)
    return jvm, hadoop, ours


def _mode(path: Path) -> str:
    return oct(stat.S_IMODE(os.stat(path).st_mode))


def test_the_same_permissions_as_hadoops_local_file_system(spark, conf_dir, tmp_path):
    jvm, hadoop, ours = _file_systems(spark, conf_dir)
    assert ours.getClass().getName() == spark_local_fs.FILE_SYSTEM_CLASS + "$Raw"
    permission = jvm.org.apache.hadoop.fs.permission.FsPermission
    results = {}
    for name, fs in (("hadoop", hadoop), ("ours", ours)):
        root = tmp_path / name
        made = {}
        # Hadoop's defaults, the umask applied: how Spark's writers create their files and folders.
        out = fs.create(jvm.org.apache.hadoop.fs.Path(str(root / "default" / "part-0.parquet")), True)
        out.write(b"x")
        out.close()
        made["file, default"] = root / "default" / "part-0.parquet"
        assert fs.mkdirs(jvm.org.apache.hadoop.fs.Path(str(root / "dirs" / "a" / "b")), permission("750"))
        made["folder, 750"] = root / "dirs" / "a" / "b"
        for octal in ("640", "604", "777", "000", "421"):
            target = root / f"file-{octal}"
            target.write_text("x")
            fs.setPermission(jvm.org.apache.hadoop.fs.Path(str(target)), permission(octal))
            made[f"file, {octal}"] = target
        results[name] = {label: _mode(path) for label, path in made.items()}
    assert results["ours"] == results["hadoop"]
    # Not vacuous: the explicit permissions were applied as given.
    assert results["ours"]["file, 604"] == "0o604" and results["ours"]["file, 000"] == "0o0"


def test_the_configuration_maps_file_to_it(conf_dir):
    text = (conf_dir / "spark-defaults.conf").read_text(encoding="utf-8")
    assert f"spark.hadoop.fs.file.impl {spark_local_fs.FILE_SYSTEM_CLASS}\n" in text
    assert f"spark.driver.extraClassPath {_jar(conf_dir)}\n" in text
    assert _jar(conf_dir).is_file()
    env = {k: v for k, v in os.environ.items() if k != "SPARK_CONF_DIR"}
    printed = subprocess.run([sys.executable, str(ROOT / "scripts" / "spark_local_fs.py"), "env"], env=env,
                             capture_output=True, text=True, check=True).stdout
    assert printed == f"export SPARK_CONF_DIR={conf_dir}\n"
    # A user's own configuration folder is left alone.
    kept = subprocess.run([sys.executable, str(ROOT / "scripts" / "spark_local_fs.py"), "env"],
                          env={**env, "SPARK_CONF_DIR": "/somewhere/else"}, capture_output=True, text=True, check=True)
    assert kept.stdout == ""


def test_a_session_started_with_it_writes_through_it(spark, conf_dir):
    """The session of this module: started by scripts/test (scripts/runtime-env) with the configuration folder, it
    must use the file system for `file:`; started without it (e.g. plain pytest), Hadoop's own is expected."""
    jvm = spark.sparkContext._jvm  # noqa: SLF001
    local = jvm.org.apache.hadoop.fs.FileSystem.getLocal(spark.sparkContext._jsc.hadoopConfiguration())  # noqa: SLF001
    if os.environ.get("SPARK_CONF_DIR") == str(conf_dir):
        assert local.getClass().getName() == spark_local_fs.FILE_SYSTEM_CLASS
        assert local.getRawFileSystem().getClass().getName() == spark_local_fs.FILE_SYSTEM_CLASS + "$Raw"
    else:
        assert local.getRawFileSystem().getClass().getName() == "org.apache.hadoop.fs.RawLocalFileSystem"
