"""The test kit's own promises: the tests' Spark drivers run with the lean JVM options and Spark settings of
etl_testkit (the in-process session and the script processes the tests start), and its session fixtures are set up
once per pytest process."""

import ast
import shlex
from pathlib import Path

import etl_testkit


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
        assert flags.getVMOption("BytecodeVerificationRemote").getValue() == "false"
    for key, value in etl_testkit.TEST_SPARK_CONF.items():
        assert spark.conf.get(key) == value


def test_script_processes_get_them_through_pyspark_submit_args(monkeypatch):
    monkeypatch.setattr(etl_testkit, "TEST_JAVA_OPTIONS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
    monkeypatch.setattr(etl_testkit, "TEST_SPARK_CONF", {"spark.sql.codegen.factoryMode": "NO_CODEGEN"})
    monkeypatch.delenv("PYSPARK_SUBMIT_ARGS", raising=False)
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
