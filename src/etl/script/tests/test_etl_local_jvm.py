"""The driver JVM options of the local session `main()` builds (`python weather_etl.py …` without awsglue, as the
benchmarks and scripts/local-run start it): the script's own reach the driver's JVM (LOCAL_SMALL_BATCH_JAVA_OPTIONS
for a local batch of at most LOCAL_C1_MAX_RAW_OBJECTS raw objects, counted before the JVM starts, else
LOCAL_DRIVER_JAVA_OPTIONS), WEATHER_ETL_JAVA_OPTIONS replaces them, driver options of the user's own win whole, and on Glue nothing is set.

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
from etl_testkit import B1_MANIFEST, ROOT, SCRIPT, by_partition_folder, copy_landing, file_bytes

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
    weather_etl.run = lambda spark, args, contract, listed=None: {"stubbed": True}
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
FLAGS = ("TieredStopAtLevel", "UseSerialGC", "UseG1GC", "UseParallelGC", "SharedArchiveFile")
# The variable that replaces the script's options (a name users type: spelled out here, not read from the script).
VARIABLE = "WEATHER_ETL_JAVA_OPTIONS"
# What a user, or the tests' own drivers, may have set for the driver; the benchmark's environment has none of them.
DRIVER_SETTINGS = ("PYSPARK_SUBMIT_ARGS", "SPARK_SUBMIT_OPTS", VARIABLE)
# The folder of the class-data sharing archives of the script's local driver (`off`: none). The probes read the
# driver's flags after `main()` returned, so their drivers dump no archive (a dumping driver is stopped by `main()`).
CDS_VARIABLE = "WEATHER_ETL_CDS_DIR"


def benchmark_env(tmp_path, **changes):
    """The environment bench/etl_vs_anchor.py gives a script run: this one (runtime-env's SPARK_CONF_DIR, the
    in-process local file system) without driver settings, Java 17, local[2], the event log as submit arguments."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from java_runtimes import spark_java_home

    env = {key: value for key, value in os.environ.items() if key not in DRIVER_SETTINGS}
    events = tmp_path / "events"
    events.mkdir()
    env.pop("CI", None)
    env.update(JAVA_HOME=str(spark_java_home()), SPARK_MASTER="local[2]", PYSPARK_PYTHON=sys.executable,
               **{CDS_VARIABLE: "off"},
               PYSPARK_SUBMIT_ARGS=f"--conf spark.eventLog.enabled=true --conf spark.eventLog.dir=file://{events} "
                                   "pyspark-shell")
    env.update(changes)
    return env


def probe(tmp_path, mode, env, refined="refined"):
    landing = str(tmp_path / "landing") if (tmp_path / "landing").is_dir() else copy_landing(tmp_path / "landing")
    out = tmp_path / "driver.json"
    argv = ["--landing_uri", landing, "--refined_uri", str(tmp_path / refined), "--manifest_key", B1_MANIFEST,
            "--run_id", "jvm-1", "--processed_at", "2026-05-09T12:00:00Z"]
    # A guard against a hung run, not a speed check (a fresh JVM on a busy 2-core machine).
    done = subprocess.run([sys.executable, "-c", PROBE, str(out), mode, SCRIPT, *argv, ",".join(FLAGS)],
                          cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0 and out.is_file(), done.stderr[-4000:]
    return {**json.loads(out.read_text()), "stderr": done.stderr, "stdout": done.stdout}


# The fixture batch b1: its manifest names 13 raw objects, all present.
B1_RAW_OBJECTS = 13
# Every option the script may give its driver, of either set.
SCRIPT_OPTIONS = set(shlex.split(weather_etl.LOCAL_DRIVER_JAVA_OPTIONS)) | set(
    shlex.split(weather_etl.LOCAL_SMALL_BATCH_JAVA_OPTIONS))


def test_the_script_process_driver_runs_with_the_script_options(tmp_path):
    driver = probe(tmp_path, "run", benchmark_env(tmp_path))
    assert driver["exit"] == 0, driver["stderr"][-3000:]
    assert '"reconciled": true' in driver["stdout"]
    # b1 is a small batch: C1 only and the serial collector.
    options = shlex.split(weather_etl.LOCAL_SMALL_BATCH_JAVA_OPTIONS)
    assert options and [option for option in options if option not in driver["arguments"]] == [], driver["arguments"]
    # Each -XX option took effect in HotSpot (a flag the probe does not read fails here: add it to FLAGS).
    for option in options:
        if option.startswith("-XX:") and "Unlock" not in option:
            name, _, value = option[4:].partition("=")
            if not value:
                name, value = name[1:], ("true" if name[0] == "+" else "false")
            assert driver["flags"][name] == value, option
    assert (driver["flags"]["TieredStopAtLevel"], driver["flags"]["UseSerialGC"]) == ("1", "true")
    assert (f"driver JVM options: {weather_etl.LOCAL_SMALL_BATCH_JAVA_OPTIONS} (the script's local session, a batch "
            f"of {B1_RAW_OBJECTS} raw objects") in driver["stderr"]


def test_a_batch_above_the_c1_bound_keeps_c2(tmp_path, monkeypatch):
    """The same batch with the bound below its size: the serial collector alone, C2 on (`main()` as the process runs
    it, the bound lowered through the module the probe imports)."""
    env = benchmark_env(tmp_path)
    helper = tmp_path / "bound"
    helper.mkdir()
    (helper / "sitecustomize.py").write_text(
        "import sys\nsys.path.insert(0, %r)\nimport weather_etl\nweather_etl.LOCAL_C1_MAX_RAW_OBJECTS = %d\n"
        % (os.path.dirname(SCRIPT), B1_RAW_OBJECTS - 1), encoding="utf-8")
    env["PYTHONPATH"] = os.pathsep.join([str(helper), env.get("PYTHONPATH", "")])
    driver = probe(tmp_path, "session", env)
    assert driver["exit"] == 0
    assert "-XX:TieredStopAtLevel=1" not in driver["arguments"]
    assert (driver["flags"]["TieredStopAtLevel"], driver["flags"]["UseParallelGC"], driver["flags"]["UseSerialGC"]) == \
        ("4", "true", "false")
    assert (f"driver JVM options: {weather_etl.LOCAL_DRIVER_JAVA_OPTIONS} (the script's local session, a batch of "
            f"{B1_RAW_OBJECTS} raw objects: LOCAL_DRIVER_JAVA_OPTIONS)") in driver["stderr"]


def test_the_batch_is_counted_before_the_session(tmp_path):
    """`local_batch_input` lists what `run()` would (manifest keys present, one key, a prefix's files without hidden
    ones), with no Spark session; None where it cannot (not local, a missing manifest)."""
    landing = copy_landing(tmp_path / "landing")
    args = lambda **given: weather_etl.parse_args(  # noqa: E731
        ["--landing_uri", given.pop("landing", landing), "--refined_uri", "r", "--run_id", "c1",
         *[a for k, v in given.items() for a in (f"--{k}", v)]])[0]

    def count(given):
        listed = weather_etl.local_batch_input(given)
        return None if listed is None else len(listed[1])

    assert count(args(manifest_key=B1_MANIFEST)) == B1_RAW_OBJECTS
    assert count(args(manifest_key=B1_MANIFEST, landing="file://" + landing)) == B1_RAW_OBJECTS
    gyor = "weather/raw/source=open-meteo/ingest_date=2026-05-08/city=gyor/"
    assert count(args(raw_prefix=gyor)) == 2
    assert count(args(raw_prefix="weather/raw/")) == 15
    (tmp_path / "landing" / gyor / "_SUCCESS").write_text("", encoding="utf-8")
    assert count(args(raw_prefix="weather/raw/")) == 15
    one = gyor + sorted(n for n in os.listdir(os.path.join(landing, gyor)) if not n.startswith("_"))[0]
    assert count(args(raw_key=one)) == 1
    assert count(args(manifest_key="weather/manifests/none.json")) is None
    assert count(args(manifest_key=B1_MANIFEST, landing="s3a://bucket/landing")) is None


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
    assert [a for a in driver["arguments"] if a in SCRIPT_OPTIONS] == []
    assert (driver["flags"]["TieredStopAtLevel"], driver["flags"]["UseSerialGC"]) == ("4", "false")
    # The run says whose options the driver has.
    assert f"driver JVM options: (none) (the user's own: {origin})" in driver["stderr"]


def test_the_variable_replaces_the_script_options(tmp_path):
    # Options none of the script's: the driver gets these alone, not merged with the script's.
    env = benchmark_env(tmp_path, **{VARIABLE: " -XX:+UseG1GC -Dweather.etl.variable=1 "})
    driver = probe(tmp_path, "session", env)
    assert "-Dweather.etl.variable=1" in driver["arguments"]
    assert [a for a in driver["arguments"] if a in SCRIPT_OPTIONS] == []
    assert (driver["flags"]["UseG1GC"], driver["flags"]["UseParallelGC"], driver["flags"]["UseSerialGC"],
            driver["flags"]["TieredStopAtLevel"]) == ("true", "false", "false", "4")
    assert f"driver JVM options: -XX:+UseG1GC -Dweather.etl.variable=1 ({VARIABLE})" in driver["stderr"]
    assert "class-data sharing" not in driver["stderr"]  # an archive only for the script's own options


def test_the_first_run_dumps_the_class_archive_and_the_next_maps_it(tmp_path):
    """With the script's own options: the first run's driver dumps the archive when it exits (`main()` waits for it
    and puts it in place), the next run's driver maps it (HotSpot's SharedArchiveFile); both write the same files."""
    env = benchmark_env(tmp_path, **{CDS_VARIABLE: str(tmp_path / "cds")})
    landing = copy_landing(tmp_path / "landing")
    argv = ["--landing_uri", landing, "--refined_uri", str(tmp_path / "first"), "--manifest_key", B1_MANIFEST,
            "--run_id", "jvm-1", "--processed_at", "2026-05-09T12:00:00Z"]
    # A guard against a hung run, not a speed check.
    first = subprocess.run([sys.executable, SCRIPT, *argv], cwd=str(tmp_path), env=env, capture_output=True,
                           text=True, timeout=900)
    assert first.returncode == 0 and '"reconciled": true' in first.stdout, first.stderr[-3000:]
    folders = list((tmp_path / "cds").glob("local-driver-*"))
    assert len(folders) == 1 and sorted(p.name for p in folders[0].iterdir()) == ["app.jsa", "base.jsa"]
    assert f"class-data sharing archive: dumped into {folders[0]}" in first.stderr
    assert f"class-data sharing archive placed in {folders[0]}" in first.stderr

    env["WEATHER_ETL_CDS_DIR"] = str(tmp_path / "cds")
    driver = probe(tmp_path, "run", env, refined="second")
    assert driver["exit"] == 0, driver["stderr"][-3000:]
    assert driver["flags"]["SharedArchiveFile"] == f"{folders[0] / 'base.jsa'}:{folders[0] / 'app.jsa'}"
    assert f"class-data sharing archive: mapped from {folders[0]}" in driver["stderr"]
    # The same files (their names carry each write's id): one per partition folder, the same bytes.
    assert by_partition_folder(file_bytes(tmp_path / "first")) == by_partition_folder(file_bytes(tmp_path / "second"))
    assert file_bytes(tmp_path / "first") != {}


def test_when_the_class_archive_is_used(tmp_path):
    """The archive's conditions, without a JVM: off by the variable; none when the configuration folder holds more than
    spark-defaults.conf or the submit arguments name a properties file; spark-defaults.conf alone given as
    --properties-file with an empty configuration folder; another folder for other options; on CI mapped, never
    dumped (nothing made)."""
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "spark-defaults.conf").write_text("spark.driver.memory 1g\n", encoding="utf-8")
    base = {key: value for key, value in os.environ.items() if key not in (*DRIVER_SETTINGS, "CI", CDS_VARIABLE)}
    base.update(SPARK_CONF_DIR=str(conf), **{CDS_VARIABLE: str(tmp_path / "cds")})
    sys.path.insert(0, str(ROOT / "scripts"))
    from java_runtimes import spark_java_home

    base["JAVA_HOME"] = str(spark_java_home())
    archive = weather_etl.LocalDriverArchive
    options = weather_etl.LOCAL_SMALL_BATCH_JAVA_OPTIONS

    assert archive(options, {**base, CDS_VARIABLE: "off"}).launch() == ([], {}, f"off ({CDS_VARIABLE}=off)")
    named = archive(options, {**base, "PYSPARK_SUBMIT_ARGS": "--properties-file x.conf pyspark-shell"})
    assert named.launch() == ([], {}, "none (PYSPARK_SUBMIT_ARGS names a properties file)")
    one = archive(options, base)
    assert one.env_changes == {"SPARK_CONF_DIR": str(tmp_path / "cds" / "empty-conf"),
                               "PYSPARK_SUBMIT_ARGS": f"--properties-file {conf / 'spark-defaults.conf'} pyspark-shell"}
    other = archive(weather_etl.LOCAL_DRIVER_JAVA_OPTIONS, base)
    assert other.directory != one.directory and other.prefix != one.prefix  # both kept: one per set of options
    assert archive(options, base).directory == one.directory
    # CI: no archive yet, none dumped, nothing made.
    assert archive(options, {**base, "CI": "true"}).launch() == ([], {}, "none yet (CI: archives are mapped, never "
                                                                         "dumped)")
    assert not (tmp_path / "cds").exists()
    # A folder it cannot make: the run goes on without an archive (main() says why).
    blocked = tmp_path / "file"
    blocked.write_text("", encoding="utf-8")
    with pytest.raises(OSError):
        archive(options, {**base, CDS_VARIABLE: str(blocked / "cds")}).launch()
    (conf / "log4j2.properties").write_text("", encoding="utf-8")
    assert archive(options, base).launch() == ([], {}, f"none ({conf} holds more than spark-defaults.conf)")


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in DRIVER_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(CDS_VARIABLE, "off")
    conf = tmp_path / "conf"
    conf.mkdir()
    monkeypatch.setenv("SPARK_CONF_DIR", str(conf))
    return conf


def test_the_decision(clean_env, monkeypatch):
    ours = weather_etl.LOCAL_DRIVER_JAVA_OPTIONS
    assert weather_etl.local_driver_java_options()[0] == ours
    # By the batch's size: C1 only up to the bound, the serial collector alone above it and when it is not known.
    bound, small = weather_etl.LOCAL_C1_MAX_RAW_OBJECTS, weather_etl.LOCAL_SMALL_BATCH_JAVA_OPTIONS
    assert "-XX:TieredStopAtLevel=1" in small.split() and "-XX:TieredStopAtLevel=1" not in ours.split()
    assert [weather_etl.local_driver_java_options(None, n)[0] for n in (0, 3, bound, bound + 1, 36_500, None)] == \
        [small, small, small, ours, ours, ours]
    assert weather_etl.local_driver_java_options({**os.environ, VARIABLE: "-Xss4m"}, 3) == ("-Xss4m", VARIABLE)
    assert weather_etl.local_driver_java_options(
        {**os.environ, "SPARK_SUBMIT_OPTS": "-Xss4m"}, 3) == ("", "the user's own: SPARK_SUBMIT_OPTS")
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


def test_a_class_archive_that_cannot_be_made_leaves_the_run_without_one(clean_env, monkeypatch, tmp_path, capsys):
    """`main()` with the archives' folder under a file: the driver gets the script's options alone, and a line says
    why there is no archive."""
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    sys.path.insert(0, str(ROOT / "scripts"))
    from java_runtimes import spark_java_home

    blocked = tmp_path / "file"
    blocked.write_text("", encoding="utf-8")
    monkeypatch.setenv(CDS_VARIABLE, str(blocked / "cds"))
    monkeypatch.setenv("JAVA_HOME", str(spark_java_home()))
    monkeypatch.delenv("CI", raising=False)
    built = []

    def get_or_create(builder):
        built.append(dict(builder._options))  # noqa: SLF001
        raise _Stop

    monkeypatch.setattr(SparkSession.Builder, "getOrCreate", get_or_create)
    monkeypatch.setattr(SparkContext, "_active_spark_context", None)
    with pytest.raises(_Stop):
        weather_etl.main(["--landing_uri", "l", "--refined_uri", "r", "--manifest_key", "m.json", "--run_id", "r1"])
    assert built[0]["spark.driver.extraJavaOptions"] == weather_etl.LOCAL_DRIVER_JAVA_OPTIONS
    assert "weather-etl: class-data sharing archive: none (" in capsys.readouterr().err


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
    handed = []
    monkeypatch.setattr(weather_etl, "run",
                        lambda spark, args, contract, listed=None: handed.append((spark, listed)) or {})
    assert weather_etl.main([*argv, "--JOB_NAME", "j"]) == 0
    assert decided == [] and len(built) == 1 and dict(os.environ) == glue_env
    assert handed == [("glue-spark-session", None)]  # nothing listed before the session: run() lists the batch


def test_main_lists_a_local_batch_once_and_hands_the_listing_to_run(clean_env, monkeypatch, tmp_path):
    """Locally `main()` lists the batch before the session starts, picks the driver's options by its size, and hands
    that listing to `run()` (which then lists nothing: test_etl_landing_read_local.py): one listing per run."""
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    landing = copy_landing(tmp_path / "landing")
    argv = ["--landing_uri", landing, "--refined_uri", str(tmp_path / "refined"), "--manifest_key", B1_MANIFEST,
            "--run_id", "r1"]
    listings, decided, handed = [], [], []
    listing, decide = weather_etl.batch_input, weather_etl.local_driver_java_options
    monkeypatch.setattr(weather_etl, "batch_input", lambda *a: listings.append(a[1:]) or listing(*a))
    monkeypatch.setattr(weather_etl, "local_driver_java_options", lambda *a: decided.append(a) or decide(*a))
    monkeypatch.setattr(SparkSession.Builder, "getOrCreate", lambda builder: "local-session")
    monkeypatch.setattr(SparkContext, "_active_spark_context", None)
    monkeypatch.setattr(weather_etl, "run",
                        lambda spark, args, contract, listed=None: handed.append((spark, listed)) or {})
    assert weather_etl.main(argv) == 0
    assert len(listings) == 1 and decided == [(None, B1_RAW_OBJECTS)]
    args = weather_etl.parse_args(argv)[0]
    assert handed == [("local-session", listing(None, args, landing))]
