"""The test kit's own promises: the tests' Spark drivers run with the lean JVM options of etl_testkit (the
in-process session and the script processes the tests start), and nowhere else."""

import shlex

import etl_testkit


def test_the_in_process_session_runs_with_the_test_java_options(spark):
    arguments = list(spark.sparkContext._jvm.java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments())  # noqa: SLF001
    options = shlex.split(etl_testkit.TEST_JAVA_OPTIONS)
    assert [option for option in options if option not in arguments] == [], arguments
    if etl_testkit.TEST_JAVA_OPTIONS == etl_testkit.DEFAULT_TEST_JAVA_OPTIONS:
        flags = spark.sparkContext._jvm.java.lang.management.ManagementFactory.getPlatformMXBean(  # noqa: SLF001
            spark.sparkContext._jvm.java.lang.Class.forName("com.sun.management.HotSpotDiagnosticMXBean"))  # noqa: SLF001
        assert flags.getVMOption("TieredStopAtLevel").getValue() == "1"
        assert flags.getVMOption("UseSerialGC").getValue() == "true"


def test_script_processes_get_the_options_through_pyspark_submit_args(monkeypatch):
    monkeypatch.setattr(etl_testkit, "TEST_JAVA_OPTIONS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
    monkeypatch.delenv("PYSPARK_SUBMIT_ARGS", raising=False)
    env = etl_testkit.script_env(SPARK_MASTER="local[2]")
    assert env["SPARK_MASTER"] == "local[2]"
    assert shlex.split(env["PYSPARK_SUBMIT_ARGS"]) == \
        ["--driver-java-options", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC", "pyspark-shell"]
    # Submit arguments already set are kept, after ours (a later --driver-java-options wins in spark-submit).
    monkeypatch.setenv("PYSPARK_SUBMIT_ARGS", "--driver-java-options -Xmx2g pyspark-shell")
    assert shlex.split(etl_testkit.script_env()["PYSPARK_SUBMIT_ARGS"]) == \
        ["--driver-java-options", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC", "--driver-java-options", "-Xmx2g", "pyspark-shell"]
    # ETL_TEST_JAVA_OPTIONS="" (the JVM's defaults): the environment is left as it is.
    monkeypatch.setattr(etl_testkit, "TEST_JAVA_OPTIONS", "")
    assert etl_testkit.script_env()["PYSPARK_SUBMIT_ARGS"] == "--driver-java-options -Xmx2g pyspark-shell"
