"""The driver JVM options of the local session `main()` builds (`python weather_etl.py …` without awsglue, as the
benchmarks and scripts/local-run start it): the script's own (LOCAL_DRIVER_JAVA_OPTIONS) reach the driver's JVM,
WEATHER_ETL_JAVA_OPTIONS replaces them, driver options of the user's own win whole, and on Glue nothing is set.

The JVM tests start the script in a process of its own with the benchmark's environment (bench/etl_vs_anchor.py:
no PYSPARK_SUBMIT_ARGS of the tests, the event log's settings as submit arguments) and read the driver's input
arguments and HotSpot's flags through py4j once `main()` returned."""

import json
import os
import shlex
import subprocess
import sys
import types

import pytest

import weather_etl
from etl_testkit import B1_MANIFEST, ROOT, SCRIPT, copy_landing

# Runs the script (`run`: as `python weather_etl.py ARGS` does, through runpy; `session`: `main(ARGS)` with the ETL
# stubbed, for the tests that need the session only), then writes the driver JVM's input arguments and flags.
PROBE = """
import json, runpy, sys
out, mode, script, *argv, flag_names = sys.argv[1:]
code = None
if mode == "run":
    sys.argv = [script, *argv]
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as exit_:
        code = exit_.code
else:
    sys.path.insert(0, script.rsplit("/", 1)[0])
    import weather_etl
    weather_etl.run = lambda spark, args, contract: {"stubbed": True}
    code = weather_etl.main(argv)
from pyspark import SparkContext
jvm = SparkContext._jvm
management = jvm.java.lang.management.ManagementFactory
flags = management.getPlatformMXBean(jvm.java.lang.Class.forName("com.sun.management.HotSpotDiagnosticMXBean"))
with open(out, "w") as handle:
    json.dump({"exit": code, "arguments": list(management.getRuntimeMXBean().getInputArguments()),
               "flags": {name: flags.getVMOption(name).getValue()
                         for name in flag_names.split(",")}}, handle)
"""
# The HotSpot flags the probe reads: those of the script's options, and the ones the tests below set.
FLAGS = ("TieredStopAtLevel", "UseSerialGC", "UseG1GC", "UseParallelGC")
# The variable that replaces the script's options (a name users type: spelled out here, not read from the script).
VARIABLE = "WEATHER_ETL_JAVA_OPTIONS"
# What a user, or the tests' own drivers, may have set for the driver; the benchmark's environment has none of them.
DRIVER_SETTINGS = ("PYSPARK_SUBMIT_ARGS", "SPARK_SUBMIT_OPTS", VARIABLE)


def benchmark_env(tmp_path, **changes):
    """The environment bench/etl_vs_anchor.py gives a script run: this one (runtime-env's SPARK_CONF_DIR, the
    in-process local file system) without driver settings, Java 17, local[2], the event log as submit arguments."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from java_runtimes import spark_java_home

    env = {key: value for key, value in os.environ.items() if key not in DRIVER_SETTINGS}
    events = tmp_path / "events"
    events.mkdir()
    env.update(JAVA_HOME=str(spark_java_home()), SPARK_MASTER="local[2]", PYSPARK_PYTHON=sys.executable,
               PYSPARK_SUBMIT_ARGS=f"--conf spark.eventLog.enabled=true --conf spark.eventLog.dir=file://{events} "
                                   "pyspark-shell")
    env.update(changes)
    return env


def probe(tmp_path, mode, env):
    landing = copy_landing(tmp_path / "landing")
    out = tmp_path / "driver.json"
    argv = ["--landing_uri", landing, "--refined_uri", str(tmp_path / "refined"), "--manifest_key", B1_MANIFEST,
            "--run_id", "jvm-1", "--processed_at", "2026-05-09T12:00:00Z"]
    # A guard against a hung run, not a speed check (a fresh JVM on a busy 2-core machine).
    done = subprocess.run([sys.executable, "-c", PROBE, str(out), mode, SCRIPT, *argv, ",".join(FLAGS)],
                          cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0 and out.is_file(), done.stderr[-4000:]
    return {**json.loads(out.read_text()), "stderr": done.stderr, "stdout": done.stdout}


def test_the_script_process_driver_runs_with_the_script_options(tmp_path):
    driver = probe(tmp_path, "run", benchmark_env(tmp_path))
    assert driver["exit"] == 0, driver["stderr"][-3000:]
    assert '"reconciled": true' in driver["stdout"]
    options = shlex.split(weather_etl.LOCAL_DRIVER_JAVA_OPTIONS)
    assert options and [option for option in options if option not in driver["arguments"]] == [], driver["arguments"]
    # Each -XX option took effect in HotSpot (a flag the probe does not read fails here: add it to FLAGS).
    for option in options:
        if option.startswith("-XX:") and "Unlock" not in option:
            name, _, value = option[4:].partition("=")
            if not value:
                name, value = name[1:], ("true" if name[0] == "+" else "false")
            assert driver["flags"][name] == value, option
    assert f"driver JVM options: {weather_etl.LOCAL_DRIVER_JAVA_OPTIONS} (the script's" in driver["stderr"]


@pytest.mark.parametrize("way", ["submit-args", "spark-defaults"])
def test_driver_options_of_the_user_win_whole(tmp_path, way):
    user = "-Dweather.etl.user=1"
    if way == "submit-args":
        env = benchmark_env(tmp_path)
        env["PYSPARK_SUBMIT_ARGS"] = f"--driver-java-options {user} {env['PYSPARK_SUBMIT_ARGS']}"
        origin = "PYSPARK_SUBMIT_ARGS --driver-java-options"
    else:
        conf = tmp_path / "conf"
        conf.mkdir()
        local_fs = os.path.join(os.environ.get("SPARK_CONF_DIR", ""), "spark-defaults.conf")
        text = open(local_fs, encoding="utf-8").read() if os.path.isfile(local_fs) else ""
        (conf / "spark-defaults.conf").write_text(f"{text}\nspark.driver.extraJavaOptions {user}\n", encoding="utf-8")
        env = benchmark_env(tmp_path, SPARK_CONF_DIR=str(conf))
        origin = f"spark.driver.extraJavaOptions in {conf / 'spark-defaults.conf'}"
    driver = probe(tmp_path, "session", env)
    assert driver["exit"] == 0
    assert user in driver["arguments"]
    assert [a for a in driver["arguments"] if a in shlex.split(weather_etl.LOCAL_DRIVER_JAVA_OPTIONS)] == []
    assert (driver["flags"]["TieredStopAtLevel"], driver["flags"]["UseSerialGC"]) == ("4", "false")
    # The run says whose options the driver has.
    assert f"driver JVM options: (none) (the user's own: {origin})" in driver["stderr"]


def test_the_variable_replaces_the_script_options(tmp_path):
    # Options none of the script's: the driver gets these alone, not merged with the script's.
    env = benchmark_env(tmp_path, **{VARIABLE: " -XX:+UseParallelGC -Dweather.etl.variable=1 "})
    driver = probe(tmp_path, "session", env)
    assert "-Dweather.etl.variable=1" in driver["arguments"]
    assert [a for a in driver["arguments"] if a in shlex.split(weather_etl.LOCAL_DRIVER_JAVA_OPTIONS)] == []
    assert (driver["flags"]["UseParallelGC"], driver["flags"]["UseSerialGC"], driver["flags"]["TieredStopAtLevel"]) == \
        ("true", "false", "4")
    assert f"driver JVM options: -XX:+UseParallelGC -Dweather.etl.variable=1 ({VARIABLE})" in driver["stderr"]


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in DRIVER_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    conf = tmp_path / "conf"
    conf.mkdir()
    monkeypatch.setenv("SPARK_CONF_DIR", str(conf))
    return conf


def test_the_decision(clean_env, monkeypatch):
    ours = weather_etl.LOCAL_DRIVER_JAVA_OPTIONS
    assert weather_etl.local_driver_java_options()[0] == ours
    variable = VARIABLE
    assert weather_etl.local_driver_java_options({**os.environ, variable: ""}) == ("", variable)
    assert weather_etl.local_driver_java_options({**os.environ, variable: " -Xss4m "}) == ("-Xss4m", variable)
    # Submit arguments without driver options leave ours; with them (every spelling), the user's win, the variable too.
    for submit in ("--conf spark.eventLog.enabled=true pyspark-shell", "--master local[1] pyspark-shell"):
        assert weather_etl.local_driver_java_options({**os.environ, "PYSPARK_SUBMIT_ARGS": submit})[0] == ours
    for submit in ("--driver-java-options -Xss4m pyspark-shell", "--driver-java-options='' pyspark-shell",
                   "--conf spark.driver.extraJavaOptions=-Xss4m pyspark-shell",
                   "-c spark.driver.defaultJavaOptions=-Xss4m pyspark-shell",
                   "--conf=spark.driver.extraJavaOptions=-Xss4m pyspark-shell"):
        options, origin = weather_etl.local_driver_java_options({**os.environ, "PYSPARK_SUBMIT_ARGS": submit,
                                                                 variable: "-Xmx1g"})
        assert (options, origin.startswith("the user's own: PYSPARK_SUBMIT_ARGS")) == ("", True), submit
    assert weather_etl.local_driver_java_options({**os.environ, "SPARK_SUBMIT_OPTS": "-Xss4m"})[0] == ""
    # The properties file Spark's launcher reads: spark-defaults.conf of SPARK_CONF_DIR, or the one named instead.
    (clean_env / "spark-defaults.conf").write_text("spark.driver.memory 2g\n", encoding="utf-8")
    assert weather_etl.local_driver_java_options()[0] == ours
    (clean_env / "spark-defaults.conf").write_text("spark.driver.defaultJavaOptions=-Xss4m\n", encoding="utf-8")
    assert weather_etl.local_driver_java_options()[0] == ""
    named = clean_env / "other.conf"
    named.write_text("spark.driver.memory 2g\n", encoding="utf-8")
    submit = f"--properties-file {named} pyspark-shell"
    assert weather_etl.local_driver_java_options({**os.environ, "PYSPARK_SUBMIT_ARGS": submit})[0] == ours


class _Stop(Exception):
    pass


def test_only_the_session_main_builds_gets_them_never_glue(clean_env, monkeypatch):
    """Locally `main()` hands the options to its builder; on Glue (stand-in awsglue modules, as test_glue_entry)
    GlueContext builds the session and `main()` neither decides nor sets any driver option."""
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    decided, built = [], []
    decide = weather_etl.local_driver_java_options
    monkeypatch.setattr(weather_etl, "local_driver_java_options", lambda *a: decided.append(a) or decide(*a))

    def get_or_create(builder):
        built.append(dict(builder._options))  # noqa: SLF001
        raise _Stop

    monkeypatch.setattr(SparkSession.Builder, "getOrCreate", get_or_create)
    monkeypatch.setattr(SparkContext, "_active_spark_context", None)
    argv = ["--landing_uri", "l", "--refined_uri", "r", "--manifest_key", "m.json", "--run_id", "r1"]
    with pytest.raises(_Stop):
        weather_etl.main(argv)
    assert len(decided) == 1 and built[0]["spark.driver.extraJavaOptions"] == weather_etl.LOCAL_DRIVER_JAVA_OPTIONS

    decided.clear()
    glue_env = dict(os.environ)

    class GlueContext:
        def __init__(self, spark_context):
            self.spark_session = "glue-spark-session"

    class Job:
        def __init__(self, glue_context):
            pass

        def init(self, name, args):
            pass

        def commit(self):
            pass

    glue = {"awsglue": types.ModuleType("awsglue"),
            "awsglue.context": types.SimpleNamespace(GlueContext=GlueContext),
            "awsglue.job": types.SimpleNamespace(Job=Job),
            "awsglue.utils": types.SimpleNamespace(getResolvedOptions=lambda argv, names: {"JOB_NAME": "j"}),
            "pyspark.context": types.SimpleNamespace(SparkContext=types.SimpleNamespace(getOrCreate=lambda: "sc"))}
    for name, module in glue.items():
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setattr(weather_etl, "run", lambda spark, args, contract: {"spark": spark})
    assert weather_etl.main([*argv, "--JOB_NAME", "j"]) == 0
    assert decided == [] and len(built) == 1 and dict(os.environ) == glue_env
