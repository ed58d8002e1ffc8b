"""The test kit's own promises: the tests' Spark drivers run with the lean JVM options and Spark settings of
etl_testkit (the in-process session and the script processes the tests start), with the class-data sharing archive
of the tests' drivers where one can be used, and its session fixtures are set up once per pytest process."""

import ast
import os
import shlex
from pathlib import Path

import pytest

import etl_testkit
import jvm_archive
from etl_testkit import SparkDriverArchive
from java_runtimes import spark_java_home


def test_the_in_process_session_runs_with_the_test_java_options_and_spark_settings(spark):
    jvm = spark.sparkContext._jvm  # noqa: SLF001
    arguments = list(jvm.java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments())
    options = shlex.split(etl_testkit.TEST_JAVA_OPTIONS)
    assert [option for option in options if option not in arguments] == [], arguments
    if etl_testkit.TEST_JAVA_OPTIONS == etl_testkit.DEFAULT_TEST_JAVA_OPTIONS:
        flags = jvm.java.lang.management.ManagementFactory.getPlatformMXBean(
            jvm.java.lang.Class.forName("com.sun.management.HotSpotDiagnosticMXBean"))
        assert flags.getVMOption("TieredStopAtLevel").getValue() == "1"
        assert flags.getVMOption("UseSerialGC").getValue() == "true"
        # A driver that dumps the class-data sharing archive verifies what it archives (the JVM turns verification
        # on); a driver mapping the archive loads those classes verified already.
        dumping = any(argument.startswith("-XX:ArchiveClassesAtExit=") for argument in arguments)
        assert flags.getVMOption("BytecodeVerificationRemote").getValue() == ("true" if dumping else "false")
    for key, value in etl_testkit.TEST_SPARK_CONF.items():
        assert spark.conf.get(key) == value


def test_script_processes_get_them_through_pyspark_submit_args(monkeypatch):
    monkeypatch.setattr(etl_testkit, "TEST_JAVA_OPTIONS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
    monkeypatch.setattr(etl_testkit, "TEST_SPARK_CONF", {"spark.sql.codegen.factoryMode": "NO_CODEGEN"})
    monkeypatch.delenv("PYSPARK_SUBMIT_ARGS", raising=False)
    monkeypatch.setenv("JVM_ARCHIVES", "off")  # the archive's options: test_script_processes_map_the_archive_...
    env = etl_testkit.script_env(SPARK_MASTER="local[2]")
    assert env["SPARK_MASTER"] == "local[2]"
    ours = ["--driver-java-options", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
            "--conf", "spark.sql.codegen.factoryMode=NO_CODEGEN"]
    assert shlex.split(env["PYSPARK_SUBMIT_ARGS"]) == [*ours, "pyspark-shell"]
    # Submit arguments already set are kept, after ours (a later --driver-java-options wins in spark-submit).
    monkeypatch.setenv("PYSPARK_SUBMIT_ARGS", "--driver-java-options -Xmx2g pyspark-shell")
    assert shlex.split(etl_testkit.script_env()["PYSPARK_SUBMIT_ARGS"]) == \
        [*ours, "--driver-java-options", "-Xmx2g", "pyspark-shell"]
    # ETL_TEST_JAVA_OPTIONS="" (the JVM's defaults): only the Spark settings are added.
    monkeypatch.setattr(etl_testkit, "TEST_JAVA_OPTIONS", "")
    assert shlex.split(etl_testkit.script_env()["PYSPARK_SUBMIT_ARGS"]) == \
        ["--conf", "spark.sql.codegen.factoryMode=NO_CODEGEN", "--driver-java-options", "-Xmx2g", "pyspark-shell"]


def _fixture_names(tree):
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef)
            and any("fixture" in ast.unparse(decorator) for decorator in node.decorator_list)}


def test_no_test_module_imports_a_fixture_of_the_kit():
    # pytest registers a fixture imported into a test module as a fixture of that module: a session fixture imported so
    # is set up a second time in the process (the b1 lake refined again, ~7 s of CPU). conftest.py provides them to every
    # module of this folder.
    kit = _fixture_names(ast.parse(Path(etl_testkit.__file__).read_text(encoding="utf-8")))
    assert {"spark", "b1_lake", "b1_sequence", "b1_monthly_lake"} <= kit
    imported = {}
    for module in sorted(Path(etl_testkit.TESTS_DIR).glob("test_*.py")):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "etl_testkit":
                names = sorted(kit & {alias.name for alias in node.names})
                if names:
                    imported[module.name] = names
    assert imported == {}


# ---- The tests' drivers' class-data sharing archive (etl_testkit.SparkDriverArchive)

@pytest.fixture
def archive_folder(tmp_path, monkeypatch):
    """An archive folder of the test's own, archives allowed (not CI's map-only mode)."""
    monkeypatch.setattr(jvm_archive, "FOLDER", tmp_path / "cds")
    monkeypatch.setenv("JVM_ARCHIVES", "on")
    return tmp_path / "cds"


def conf_folder(parent, *others, extra_jar="/nowhere/extra.jar"):
    """A Spark configuration folder as scripts/spark_local_fs.py writes it (spark-defaults.conf only), plus `others`."""
    conf = parent / "conf"
    conf.mkdir(exist_ok=True)
    (conf / "spark-defaults.conf").write_text(f"spark.driver.extraClassPath {extra_jar}\nspark.hadoop.fs.file.impl a.B\n")
    for name in others:
        (conf / name).write_text("")
    return conf


def driver_env(conf, **more):
    return {"JAVA_HOME": str(spark_java_home()), "SPARK_CONF_DIR": str(conf), **more}


def test_a_configuration_folder_of_spark_defaults_only_becomes_a_properties_file_and_an_empty_folder(
        tmp_path, archive_folder, monkeypatch):
    conf = conf_folder(tmp_path)
    env = driver_env(conf, PYSPARK_SUBMIT_ARGS="--master local[1] pyspark-shell")
    driver = SparkDriverArchive(env)
    archive = driver.archive
    assert archive.directory.parent == archive_folder
    # No archive yet: a script process (never dumps) gets nothing; the in-process driver dumps one at its exit.
    assert driver.launch(dump=False) == ([], {})
    archive.directory.mkdir(parents=True)
    archive.base.write_bytes(b"base layer")  # as JvmArchive makes it (java -Xshare:dump), not made again
    options, changes = driver.launch(dump=True)
    assert options[0] == f"-XX:SharedArchiveFile={archive.base}"
    assert [option for option in options if option.startswith("-XX:ArchiveClassesAtExit=")]
    properties = ["--properties-file", str(conf / "spark-defaults.conf")]
    assert shlex.split(changes["PYSPARK_SUBMIT_ARGS"]) == [*properties, "--master", "local[1]", "pyspark-shell"]
    empty = Path(changes["SPARK_CONF_DIR"])
    assert empty.is_dir() and list(empty.iterdir()) == [] and empty.parent == archive_folder
    archive.app.write_bytes(b"top layer")  # as completed() links a clean dump into place
    mapped = [f"-XX:SharedArchiveFile={archive.base}:{archive.app}"]
    assert driver.launch(dump=True) == driver.launch(dump=False) == (mapped, changes)
    # A script process the tests start maps it too, with the tests' JVM options.
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    script = etl_testkit.script_env()
    submit = shlex.split(script["PYSPARK_SUBMIT_ARGS"])
    assert submit[:2] == ["--driver-java-options", shlex.join([*shlex.split(etl_testkit.TEST_JAVA_OPTIONS), *mapped])]
    assert submit[-5:] == [*properties, "--master", "local[1]", "pyspark-shell"]
    assert script["SPARK_CONF_DIR"] == str(empty)


def test_no_archive_where_a_driver_could_not_use_one_or_archives_are_off(tmp_path, archive_folder, monkeypatch):
    # Files Spark reads from its class path (log4j2.properties, hive-site.xml) keep the folder there: no archive.
    (tmp_path / "user").mkdir()
    with_log4j = conf_folder(tmp_path / "user", "log4j2.properties")
    assert SparkDriverArchive(driver_env(with_log4j)).launch(dump=True) == ([], {})
    # Submit arguments that name a properties file of their own.
    conf = conf_folder(tmp_path)
    named = driver_env(conf, PYSPARK_SUBMIT_ARGS="--properties-file my.conf pyspark-shell")
    assert SparkDriverArchive(named).launch(dump=True) == ([], {})
    # Archives turned off, and CI (a fresh clone each time: no dump that would never be used).
    monkeypatch.setenv("JVM_ARCHIVES", "off")
    assert SparkDriverArchive(driver_env(conf)).launch(dump=True) == ([], {})
    monkeypatch.setenv("JVM_ARCHIVES", "auto")
    monkeypatch.setenv("CI", "true")
    assert SparkDriverArchive(driver_env(conf)).launch(dump=True) == ([], {})
    assert not archive_folder.exists()


def test_the_archive_follows_the_java_options_the_jars_and_the_properties(tmp_path, archive_folder, monkeypatch):
    jar = tmp_path / "extra.jar"
    jar.write_bytes(b"PK")
    conf = conf_folder(tmp_path, extra_jar=str(jar))
    first = SparkDriverArchive(driver_env(conf)).archive.directory
    assert SparkDriverArchive(driver_env(conf)).archive.directory == first
    directories = {first}
    options = etl_testkit.TEST_JAVA_OPTIONS
    monkeypatch.setattr(etl_testkit, "TEST_JAVA_OPTIONS", "-XX:+UseSerialGC")
    directories.add(SparkDriverArchive(driver_env(conf)).archive.directory)
    monkeypatch.setattr(etl_testkit, "TEST_JAVA_OPTIONS", options)
    os.utime(jar, (1_700_000_000, 1_700_000_000))  # another build of a jar on the driver's class path
    directories.add(SparkDriverArchive(driver_env(conf)).archive.directory)
    (conf / "spark-defaults.conf").write_text(f"spark.driver.extraClassPath {jar}\n")  # other settings
    directories.add(SparkDriverArchive(driver_env(conf)).archive.directory)
    assert len(directories) == 4


def test_the_in_process_driver_maps_the_archive_or_dumps_it_at_its_exit(spark):
    jvm = spark.sparkContext._jvm  # noqa: SLF001
    arguments = list(jvm.java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments())
    shared = [argument for argument in arguments if argument.startswith("-XX:SharedArchiveFile=")]
    dumping = [argument for argument in arguments if argument.startswith("-XX:ArchiveClassesAtExit=")]
    archive = SparkDriverArchive(os.environ).archive
    if archive is None or jvm_archive.mode() == "off":
        assert (shared, dumping) == ([], [])
    elif dumping:
        assert jvm_archive.mode() == "on" and shared == [f"-XX:SharedArchiveFile={archive.base}"]
    elif shared:
        assert shared == [f"-XX:SharedArchiveFile={archive.base}:{archive.app}"]
        # The driver kept the archive mapped: a JVM unmaps one that does not match its class path or runtime.
        from pyspark import SparkContext

        driver = SparkContext._gateway.proc.pid  # noqa: SLF001  (PySpark's spark-submit execs the driver's JVM)
        assert str(archive.app) in Path(f"/proc/{driver}/maps").read_text()
    else:
        assert jvm_archive.mode() == "map"  # CI without an archive: nothing dumped, nothing mapped
