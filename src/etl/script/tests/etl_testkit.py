"""Shared helpers for the Glue script's tests: one local SparkSession per pytest process, fixture landing zones, runs."""

import copy
import hashlib
import json
import os
import shlex
import shutil
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

# PySpark turns timestamps into naive datetimes in the process's local zone: make that UTC, as on Glue.
os.environ["TZ"] = "UTC"
time.tzset()

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
SCRIPT_DIR = os.path.dirname(TESTS_DIR)
SCRIPT = os.path.join(SCRIPT_DIR, "weather_etl.py")
CONTRACT_PATH = os.path.join(SCRIPT_DIR, "contract.json")
LANDING_FIXTURES = os.path.join(TESTS_DIR, "fixtures", "landing")
QUERIES_JSON = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(SCRIPT_DIR))), "test", "catalog", "queries.json")
ROOT = Path(SCRIPT_DIR).parents[2]
sys.path.insert(0, SCRIPT_DIR)
# The class-data sharing archives of the JVMs the project starts (test/catalog/jvm_archive.py, Trino's first), and the
# project's Java runtimes (scripts/java_runtimes.py); appended, so that no module of those folders shadows another.
for folder in (ROOT / "test" / "catalog", ROOT / "scripts"):
    if str(folder) not in sys.path:
        sys.path.append(str(folder))

import jvm_archive  # noqa: E402  (needs the path above)
import weather_etl  # noqa: E402  (needs the path above)

RAW = "weather/raw/source=open-meteo"
B1_MANIFEST = "weather/manifests/ingest_date=2026-05-07/b1.json"
B2_MANIFEST = "weather/manifests/ingest_date=2026-05-08/b2.json"
B3_MANIFEST = "weather/manifests/ingest_date=2026-05-08/b3.json"
PROCESSED_AT = "2026-05-09T12:00:00Z"
# A fixed modification time for the copied landing files (2026-05-07T05:00:00Z), for the fetched_at fallback.
LANDING_MTIME = 1778130000


# The JVM options of the tests' Spark drivers: the in-process session (`spark`) and the script processes some tests
# start (`script_env`). The tests' runs are short and their data tiny, so the JVM's defaults for long-running
# servers cost CPU the suite does not win back on 2 shared cores:
# - C1 only (`TieredStopAtLevel=1`): no C2 compiler thread recompiling hot Spark/Catalyst code for peak speed;
# - the serial collector: no parallel or concurrent G1 threads for a heap of a few hundred MB;
# - no bytecode verification of the classes loaded from the classpath (`-BytecodeVerificationRemote`, a diagnostic
#   option): the thousands of classes of Spark's and Hadoop's jars a driver loads, each verified as it loads (the
#   JDK's own classes are not verified anyway). ~0.6 s of CPU per driver (a session with three small jobs: 6.1 s
#   instead of 6.7 s, medians of three alternated runs).
# Test sessions only: Glue keeps the JVM's defaults (GlueContext builds the session); the local session the script's
# `main()` builds (the benchmarks, `scripts/local-run`) has the script's own (weather_etl.local_driver_java_options),
# which the tests' script processes never get (`script_env`). ETL_TEST_JAVA_OPTIONS replaces these (empty: the JVM's
# defaults), e.g. to measure what they save.
DEFAULT_TEST_JAVA_OPTIONS = ("-XX:TieredStopAtLevel=1 -XX:+UseSerialGC "
                             "-XX:+UnlockDiagnosticVMOptions -XX:-BytecodeVerificationRemote")
TEST_JAVA_OPTIONS = os.environ.get("ETL_TEST_JAVA_OPTIONS", DEFAULT_TEST_JAVA_OPTIONS).strip()
# Spark settings of the same sessions: evaluate expressions interpreted instead of generating and compiling Java
# (Janino) for the projections, filters and orderings of every query: on a few hundred rows the compilation is
# most of a query's CPU. `spark.sql.codegen.factoryMode` is an internal setting Spark's own tests use; both modes
# must give the same results, and Glue, the local run and the benchmarks keep code generation (Spark's FALLBACK).
# ETL_TEST_CODEGEN_FACTORY_MODE=FALLBACK runs the tests with code generation.
TEST_SPARK_CONF = {"spark.sql.codegen.factoryMode": os.environ.get("ETL_TEST_CODEGEN_FACTORY_MODE", "NO_CODEGEN")}


class SparkDriverArchive:
    """The class-data sharing archive (jvm_archive.JvmArchive) of the tests' Spark drivers: a driver that maps the
    classes an earlier test driver loaded skips reading, parsing and verifying them again (~2.5-3 s of CPU less per
    driver: its start and its first ETL run). The in-process session (`spark`) dumps one when it exits if there is none
    (never on CI, jvm_archive.mode()); the script processes the tests start (`script_env`) map it when it exists.

    A dynamic archive is refused while a non-empty folder is on the class path, and Spark's launcher puts the
    configuration folder (SPARK_CONF_DIR) there. A folder that holds only spark-defaults.conf (scripts/spark_local_fs.py
    writes one) is replaced by an empty folder and the file given as `--properties-file`: the driver gets the same
    settings. A folder with anything else (log4j2.properties, hive-site.xml: read from the class path), or submit
    arguments that name a properties file already, get no archive. The archive's key: the Java runtime, PySpark's jars
    and the jars and settings of the properties file, the tests' JVM options (another of any, another archive)."""

    NAME = "spark-test-driver"

    def __init__(self, env):
        self.env = env
        self.archive, self.properties = None, None
        if jvm_archive.mode() == "off":
            return
        import pyspark

        # The script's own reading of what the driver's class path holds (the same conditions as its local archive).
        class_path, _ = weather_etl.driver_class_path(env)
        if class_path is None:
            return
        properties, text, jar_paths = class_path
        self.properties = Path(properties) if properties else None
        jars = [Path(jar) for jar in jar_paths]
        inputs = [f"pyspark {pyspark.__version__}", text, TEST_JAVA_OPTIONS,
                  *(f"{jar}:{jar.stat().st_size}:{jar.stat().st_mtime_ns}" if jar.is_file() else str(jar) for jar in jars)]
        from java_runtimes import spark_java_home

        java_home = Path(env["JAVA_HOME"]) if env.get("JAVA_HOME") else spark_java_home()
        self.folder = jvm_archive.FOLDER
        self.archive = jvm_archive.JvmArchive(self.NAME, java_home, inputs, folder=self.folder)

    def launch(self, dump):
        """(JVM options, environment changes) for a driver: map the archive if it is complete, else dump one when the
        driver exits if `dump` (call `completed` after it exited). ([], {}) when there is no archive to use."""
        if self.archive is None:
            return [], {}
        if dump:
            options = self.archive.options()
        else:
            options = [f"-XX:SharedArchiveFile={self.archive.base}:{self.archive.app}"] if self.archive.ready() else []
        if not options:
            return [], {}
        # An empty configuration folder of the archives' own (removed with no archive folder).
        empty = self.folder / "spark-empty-conf"
        empty.mkdir(parents=True, exist_ok=True)
        submit = self.env.get("PYSPARK_SUBMIT_ARGS", "pyspark-shell")
        if self.properties:
            submit = f"{shlex.join(['--properties-file', str(self.properties)])} {submit}"
        return options, {"SPARK_CONF_DIR": str(empty), "PYSPARK_SUBMIT_ARGS": submit}

    def completed(self, exit_code):
        return self.archive is not None and self.archive.completed(exit_code == 0)


def script_env(**overrides):
    """The environment for a test that starts the script as a process (`python weather_etl.py ...`): the current
    one, `overrides` set, and TEST_JAVA_OPTIONS and TEST_SPARK_CONF for the driver PySpark starts
    (PYSPARK_SUBMIT_ARGS, ahead of any submit arguments already set, which win), with the drivers' class-data sharing
    archive if there is one (SparkDriverArchive; these drivers never dump one: nobody waits for their JVM's exit)."""
    env = dict(os.environ, **overrides)
    # Not the script's own options for its local session either (weather_etl.local_driver_java_options).
    env["WEATHER_ETL_JAVA_OPTIONS"] = ""
    archive_options, changes = SparkDriverArchive(env).launch(dump=False)
    env.update(changes)
    ours = [arg for key, value in TEST_SPARK_CONF.items() for arg in ("--conf", f"{key}={value}")]
    java_options = shlex.join([*shlex.split(TEST_JAVA_OPTIONS), *archive_options])
    if java_options:
        ours = ["--driver-java-options", java_options, *ours]
    if ours:
        submit = env.get("PYSPARK_SUBMIT_ARGS", "pyspark-shell")
        env["PYSPARK_SUBMIT_ARGS"] = f"{shlex.join(ours)} {submit}"
    return env


# The script's own: a variable set for a `with` block, and a driver stopped and waited for.
environment = weather_etl.environment
stop_driver = weather_etl.stop_driver


def raw_key(ingest_date, city, batch):
    return f"{RAW}/ingest_date={ingest_date}/city={city}/{batch}.json"


def load_contract():
    with open(CONTRACT_PATH, encoding="utf-8") as handle:
        return json.load(handle)


@pytest.fixture(scope="session")
def spark():
    """One small local session for the whole pytest process (the suite must stay fast on 2 shared cores): a new
    SparkContext per module cost a context start and a cold planner each time. Tests that change a setting restore
    it (`session_conf`); the script's own settings (`configure_session`) are applied by every run anyway, and once
    here so that no test sees a different session depending on which module ran first. Its driver maps the class-data
    sharing archive of the tests' drivers, or dumps one when it exits at the end of the session (SparkDriverArchive)."""
    from pyspark.sql import SparkSession

    # The Python workers (the refined files' writes, round h15m) run this interpreter, which has pyarrow.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    archive = SparkDriverArchive(os.environ)
    archive_options, changes = archive.launch(dump=True)
    java_options = shlex.join([*shlex.split(TEST_JAVA_OPTIONS), *archive_options])
    builder = SparkSession.builder.master("local[2]").appName("weather-etl-tests")
    if java_options:
        builder = builder.config("spark.driver.extraJavaOptions", java_options)
    for key, value in TEST_SPARK_CONF.items():
        builder = builder.config(key, value)
    builder = (builder
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.default.parallelism", "2")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.driver.memory", "1g"))
    # The driver's class-data sharing archive: mapped, or dumped when the driver exits (SparkDriverArchive).
    with environment(changes):
        session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    weather_etl.configure_session(session)
    yield session
    if archive_options:
        archive.completed(stop_driver(session))
    else:
        session.stop()


@pytest.fixture(scope="session")
def b1_lake(spark, tmp_path_factory):
    """Batch b1 refined once per pytest process (run r1, the default contract, PROCESSED_AT) into a fresh lake:
    several modules start from that state. Tests read it and never change it; one that continues from it works on
    `copy_lake`. The session's end checks that no file of it changed."""
    base = tmp_path_factory.mktemp("b1-lake")
    landing = copy_landing(base / "landing")
    refined = base / "refined"
    # The Spark jobs the run starts are counted, for test_etl_speed_jobs (a batch into an empty lake).
    with job_group(spark) as jobs:
        summary = run_batch(spark, landing, refined, "r1", "--manifest_key", B1_MANIFEST)
        job_count = jobs()
    before = tree_fingerprint(base)
    yield {"landing": landing, "refined": refined, "summary": summary, "jobs": job_count}
    assert tree_fingerprint(base) == before, "a test changed the shared b1 lake: work on copy_lake(b1_lake, ...)"


# The runs of `b1_sequence`, in order, each continuing on the lake the one before left: (state, run id, manifest).
B1_SEQUENCE = (("b1_same_id", "r1", B1_MANIFEST), ("b1_new_id", "r1-again", B1_MANIFEST), ("b2", "r2", B2_MANIFEST),
               ("b3", "r3", B3_MANIFEST))


@pytest.fixture(scope="session")
def b1_sequence(spark, b1_lake, tmp_path_factory):
    """The session's b1 lake (run r1) continued on a copy, once per pytest process, for test_etl_batch and
    test_etl_zones: b1 again with the same run id (r1; nothing may change), b1 again with a new one (r1-again;
    every row replaced), b2 (r2; a newer fetch of six Győr hours), b3 (r3; an older fetch of three of them,
    arriving last). After each run the lake is copied, files with their bytes and modification times, to a folder
    of that state. {state: {"refined": folder, "summary": the run's summary, "jobs": the Spark jobs it ran}}, "b1"
    being b1_lake's. Read only, as
    b1_lake: the session's end checks that no file of it changed."""
    base = tmp_path_factory.mktemp("b1-sequence")
    work = copy_lake(b1_lake, base / "work")
    states = {"b1": {"refined": b1_lake["refined"], "summary": b1_lake["summary"], "jobs": b1_lake["jobs"]}}
    for state, run_id, manifest in B1_SEQUENCE:
        with job_group(spark) as jobs:  # counted, for test_etl_speed_jobs (a batch over a lake that has data)
            summary = run_batch(spark, work["landing"], work["refined"], run_id, "--manifest_key", manifest)
            job_count = jobs()
        frozen = shutil.copytree(work["refined"], base / state)  # shutil.copy2: bytes and modification times
        states[state] = {"refined": type(work["refined"])(frozen), "summary": summary, "jobs": job_count}
    shutil.rmtree(base / "work")
    before = tree_fingerprint(base)
    yield states
    assert tree_fingerprint(base) == before, "a test changed a state of b1_sequence: work on a copy"


def monthly_contract_text():
    """The contract the GlueEtlJob synthesizes for a RefinedLake with monthly partitions (queries.json), as JSON text."""
    with open(QUERIES_JSON, encoding="utf-8") as handle:
        return json.dumps(json.load(handle)["monthly"]["etlContract"])


@pytest.fixture(scope="session")
def b1_monthly_lake(spark, tmp_path_factory):
    """Batch b1 refined once per pytest process with the monthly contract (run m1, PROCESSED_AT) into a fresh lake:
    test_etl_monthly and test_etl_zones both start from that state. Read only, as `b1_lake`: a test that continues
    from it works on `copy_lake`; the session's end checks that no file of it changed."""
    base = tmp_path_factory.mktemp("b1-monthly-lake")
    landing = copy_landing(base / "landing")
    refined = base / "refined"
    summary = run_batch(spark, landing, refined, "m1", "--manifest_key", B1_MANIFEST,
                        extra=("--contract_json", monthly_contract_text()))
    before = tree_fingerprint(base)
    yield {"landing": landing, "refined": refined, "summary": summary}
    assert tree_fingerprint(base) == before, "a test changed the shared monthly b1 lake: work on copy_lake(...)"


@contextmanager
def job_group(spark):
    """Tags the jobs started from this thread; yields a function returning how many ran in the group so far."""
    group = f"etl-tests-{uuid.uuid4().hex}"
    context = spark.sparkContext
    context.setJobGroup(group, "etl_testkit.job_group")
    try:
        yield lambda: len(context.statusTracker().getJobIdsForGroup(group))
    finally:
        context.setLocalProperty("spark.jobGroup.id", None)
        context.setLocalProperty("spark.job.description", None)


def tree_fingerprint(folder):
    """Relative path -> (modification time, content hash) of every file under `folder`."""
    found = {}
    for root, _, files in os.walk(folder):
        for name in files:
            full = os.path.join(root, name)
            with open(full, "rb") as handle:
                found[os.path.relpath(full, folder)] = (os.stat(full).st_mtime_ns, hashlib.sha256(handle.read()).hexdigest())
    return found


def copy_lake(lake, dest, with_landing=False):
    """A copy of `lake`'s refined folder (files, bytes and modification times) under `dest`, to change; its landing
    too if `with_landing` (a test that changes landing files), else the same landing, read only."""
    os.makedirs(dest, exist_ok=True)
    refined = shutil.copytree(lake["refined"], os.path.join(dest, "refined"))
    landing = shutil.copytree(lake["landing"], os.path.join(dest, "landing")) if with_landing else lake["landing"]
    return {"landing": str(landing), "refined": type(lake["refined"])(refined), "summary": copy.deepcopy(lake["summary"]),
            "jobs": lake.get("jobs")}


@pytest.fixture(scope="module")
def contract():
    return weather_etl.load_contract()


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    """moto's S3 server (scripts/moto_s3.py) on a free loopback port for the whole module, its recorder ready
    (`moto.record(call)`: the requests `call` makes)."""
    pytest.importorskip("boto3")
    from moto_s3 import MotoS3

    server = MotoS3(recording=tmp_path_factory.mktemp("moto") / "recording.jsonl")
    yield server
    server.stop()


@pytest.fixture
def s3_client(moto, monkeypatch, tmp_path):
    """A boto3 S3 client of the `moto` server, which the test's code reaches through the environment only, as on Glue
    (no endpoint in the code): the variables of `aws_env` set, those that would name a real account removed."""
    from moto_s3 import AWS_VARIABLES_REMOVED, aws_env
    import boto3

    for name in AWS_VARIABLES_REMOVED:
        monkeypatch.delenv(name, raising=False)
    for name, value in aws_env(moto.endpoint, tmp_path).items():
        monkeypatch.setenv(name, value)
    return boto3.client("s3")


def new_bucket(client, prefix):
    """Creates a bucket named `<prefix>-<12 random hex digits>` and returns its name."""
    name = f"{prefix}-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    return name


def copy_landing(dest):
    """Copies the fixture landing zone to `dest`, every file with the same fixed modification time."""
    shutil.copytree(LANDING_FIXTURES, dest)
    for folder, _, files in os.walk(dest):
        for name in files:
            os.utime(os.path.join(folder, name), (LANDING_MTIME, LANDING_MTIME))
    return str(dest)


def run_batch(spark, landing, refined, run_id, *source, processed_at=PROCESSED_AT, extra=()):
    """Runs the ETL in-process as the entry point would; `source` is e.g. ("--manifest_key", key)."""
    argv = ["--landing_uri", str(landing), "--refined_uri", str(refined), *source, "--run_id", run_id,
            "--processed_at", processed_at, *extra]
    args, _ = weather_etl.parse_args(argv)
    return weather_etl.run(spark, args, weather_etl.load_contract(args.contract_json))


def small_frame(spark):
    """Two days of three cities' 24 hours, in reverse order over three input partitions: one city whose slug Spark
    escapes in a folder name, and one without a value (Spark's `__HIVE_DEFAULT_PARTITION__`); for the writers' tests."""
    from pyspark.sql import types as T

    schema = T.StructType([T.StructField("date", T.StringType()), T.StructField("city", T.StringType()),
                           T.StructField("hour", T.IntegerType(), False), T.StructField("value", T.DoubleType())])
    rows = [(day, city, hour, hour / 2) for day in ("2025-01-01", "2025-01-02")
            for city in ("gyor", "a b:c=d/e", None) for hour in range(24)]
    return spark.createDataFrame(list(reversed(rows)), schema).repartition(3)


def file_bytes(folder):
    """Relative path -> bytes of every Parquet file under `folder`."""
    found = {}
    for base, _, names in os.walk(folder):
        for name in names:
            if name.endswith(".parquet"):
                with open(os.path.join(base, name), "rb") as handle:
                    found[os.path.relpath(os.path.join(base, name), folder)] = handle.read()
    return found


def by_partition_folder(files):
    """Partition folder -> bytes of its only file (the file name of a Spark write is random)."""
    out = {}
    for rel, content in files.items():
        folder = os.path.dirname(rel)
        assert folder not in out, f"two files in {folder}"
        out[folder] = content
    return out


def parquet_files(folder):
    """Relative path -> (size, mtime_ns) of every Parquet file under `folder`."""
    found = {}
    for root, _, files in os.walk(folder):
        for name in files:
            if name.endswith(".parquet"):
                full = os.path.join(root, name)
                found[os.path.relpath(full, folder)] = os.stat(full).st_mtime_ns
    return found


def read_table(spark, table_root, schema):
    return spark.read.schema(schema).option("basePath", str(table_root)).parquet(str(table_root))


def parquet_footer_schema(spark, file_path):
    """The Parquet schema a file's footer declares, read with parquet-mr (not through Spark SQL)."""
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    input_file = jvm.org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(jvm.org.apache.hadoop.fs.Path(file_path), conf)
    reader = jvm.org.apache.parquet.hadoop.ParquetFileReader.open(input_file)
    try:
        footer = reader.getFooter()
        codecs = {str(column.getCodec().toString()) for block in footer.getBlocks() for column in block.getColumns()}
        return str(footer.getFileMetaData().getSchema().toString()), codecs
    finally:
        reader.close()


class session_conf:
    """Sets Spark SQL settings on a session for a `with` block, then restores the previous values."""

    def __init__(self, spark, settings):
        self.spark, self.settings, self.saved = spark, dict(settings), {}

    def __enter__(self):
        for key, value in self.settings.items():
            self.saved[key] = self.spark.conf.get(key, None)
            self.spark.conf.set(key, value)
        return self.spark

    def __exit__(self, *exc):
        for key, value in self.saved.items():
            if value is None:
                self.spark.conf.unset(key)
            else:
                self.spark.conf.set(key, value)
        return False
