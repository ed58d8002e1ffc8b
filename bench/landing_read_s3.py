"""The raw files' read on S3, script against script in one JVM: requests, CPU and rows of `read_raw_files`.

    .venv/bin/python bench/landing_read_s3.py --landing /tmp/b15/l100x30 --before before=/tmp/main/weather_etl.py \\
        [--script PATH] [--raw_prefix weather/raw/source=open-meteo/] [--reps 3] [--label NAME] [--out FILE]

The landing zone's raw objects are uploaded once to a local moto S3 server (scripts/moto_s3.py); one session is
started as the script's `main()` builds it locally (`local[2]`, no UI, UTC), with Hadoop's S3A (the jars of
bench/s3_requests.py, path-style, its LoggingAuditor on) and boto3 both pointed at moto. The raw objects are listed
once (`list_tree`, boto3), then, `--reps` times, each engine in turn (the order alternates per repetition; the first
round pays the JVM's warm-up: class loading, JIT):
- `read`: the engine's `read_raw_files` over the listing, then one job summing the bodies' lengths and hashing
  every row (`path`, `modificationTime`, `length`, `content`);
- `parse`: the same read, then the steps `run()` chains up to its second local checkpoint (as bench/read_cost.py),
  every column of the validated rows hashed in one job.
Per step: wall time, the JVM's CPU time split by thread kind (bench/read_cost.thread_cpu), this Python process's
CPU, the peak RSS so far of the JVM and of this process, every S3 request moto served during the step by kind and by Hadoop operation and thread (S3A's audit header;
`boto3` = the script's own calls), and the rows' hash (the same for every engine: the same rows). moto answers on
loopback in about a millisecond: the request counts carry over to S3, the times do not.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "scripts"))
from read_cost import thread_cpu  # noqa: E402
from s3_requests import LANDING_BUCKET, aws_env, classify, parse_recording, s3a_jars  # noqa: E402
from script_session import load_script  # noqa: E402
from moto_s3 import MotoS3  # noqa: E402


def peak_rss(pid: int) -> dict:
    """The peak resident set so far (MiB) of the JVM (VmHWM) and of this Python process (ru_maxrss): since the
    process started, so a step's own peak only when it is the largest so far."""
    import resource

    jvm = next((int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                if line.startswith("VmHWM:")), 0)
    return {"jvm": round(jvm / 1024), "python": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def session(endpoint: str, jars):
    from pyspark.sql import SparkSession

    conf = {"spark.jars": ",".join(str(j) for j in jars), "spark.hadoop.fs.s3a.endpoint": endpoint,
            "spark.hadoop.fs.s3a.endpoint.region": "us-east-1", "spark.hadoop.fs.s3a.path.style.access": "true",
            "spark.hadoop.fs.s3a.connection.ssl.enabled": "false",
            "spark.hadoop.fs.s3a.aws.credentials.provider": "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
            "spark.hadoop.fs.s3a.access.key": "testing", "spark.hadoop.fs.s3a.secret.key": "testing",
            "spark.hadoop.fs.s3a.audit.enabled": "true",
            "spark.hadoop.fs.s3a.audit.service.classname": "org.apache.hadoop.fs.s3a.audit.impl.LoggingAuditor",
            "spark.hadoop.fs.s3a.audit.referrer.enabled": "true"}
    builder = (SparkSession.builder.appName("landing-read-s3").master("local[2]").config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false").config("spark.sql.session.timeZone", "UTC"))
    for key, value in conf.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", required=True, help="a landing root made by bench/generate_landing.py")
    parser.add_argument("--raw_prefix", default="weather/raw/source=open-meteo/")
    parser.add_argument("--script", default=str(ROOT / "src" / "etl" / "script" / "weather_etl.py"))
    parser.add_argument("--before", action="append", default=[], help="NAME=PATH of another weather_etl.py")
    parser.add_argument("--steps", default="read,parse")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--work", default="/tmp/landing-read-s3")
    parser.add_argument("--label", default="landing-read-s3")
    parser.add_argument("--out")
    opts = parser.parse_args()

    from java_runtimes import spark_java_home
    import boto3
    from pyspark.sql import functions as F

    work = Path(opts.work)
    work.mkdir(parents=True, exist_ok=True)
    engines = {"script": opts.script, **{b.split("=", 1)[0]: b.split("=", 1)[1] for b in opts.before}}
    modules = {name: load_script(path, f"weather_etl_{name}")[0] for name, path in engines.items()}
    moto = MotoS3(recording=work / "recording.jsonl", log=work / "moto.log")
    try:
        os.environ.update(aws_env(moto.endpoint, work))
        os.environ.update(JAVA_HOME=str(spark_java_home()), PYSPARK_PYTHON=sys.executable)
        os.environ.pop("PYSPARK_SUBMIT_ARGS", None)
        os.environ.pop("SPARK_CONF_DIR", None)
        client = boto3.client("s3")
        client.create_bucket(Bucket=LANDING_BUCKET)
        raw_root = Path(opts.landing) / opts.raw_prefix
        files = [p for p in raw_root.rglob("*") if p.is_file()]
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(lambda p: client.put_object(Bucket=LANDING_BUCKET, Key=str(p.relative_to(opts.landing)),
                                                      Body=p.read_bytes()), files))
        print(f"landing_read_s3: {len(files)} raw objects uploaded", file=sys.stderr, flush=True)
        spark = session(moto.endpoint, s3a_jars())
        pid = spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid()  # noqa: SLF001
        landing = f"s3a://{LANDING_BUCKET}"
        first = next(iter(modules.values()))
        first.configure_session(spark)
        listing = first.list_tree(spark, first.join_uri(landing, opts.raw_prefix))
        first.size_session_to_batch(spark, len(listing))
        cities = json.loads((Path(opts.landing) / "generated.json").read_text())["cities_json"]

        def read(etl):
            frame = etl.read_raw_files(spark, listing)
            row = frame.agg(F.sum(F.length("content")), F.sum(F.xxhash64("path", "modificationTime", "length",
                                                                         "content")), F.count(F.lit(1))).first()
            return [row[0], row[1], row[2]]

        def parse(etl):
            contract = etl.load_contract()
            raw = etl.with_provenance(etl.with_landing_key(etl.read_raw_files(spark, listing), landing, contract),
                                      None, etl.configured_cities(cities))
            parsed = etl.parse_sources(raw, contract).drop("content").localCheckpoint(eager=False)
            validated = etl.validate_source_hours(etl.validate_hours(etl.normalize_source_times(etl.normalize_units(
                etl.explode_hours(parsed, contract), contract), contract), contract), contract) \
                .localCheckpoint(eager=False)
            row = validated.agg(F.sum(F.xxhash64(*validated.columns)), F.count(F.lit(1))).first()
            return [row[0], row[1]]

        steps = {"read": read, "parse": parse}
        for rep in range(1, opts.reps + 1):
            order = list(modules.items()) if rep % 2 else list(reversed(modules.items()))
            for engine, etl in order:
                for step in opts.steps.split(","):
                    moto.recorder("reset-recording")
                    moto.recorder("start-recording")
                    threads_before, began, own_before = thread_cpu(pid), time.monotonic(), time.process_time()
                    result = steps[step](etl)
                    wall = time.monotonic() - began
                    threads_after = thread_cpu(pid)
                    own = time.process_time() - own_before
                    moto.recorder("stop-recording")
                    entries, _ = parse_recording(moto.recorder("download-recording"))
                    kinds, operations = Counter(), Counter()
                    for entry in entries:
                        row = classify(entry, "-")
                        kinds[row["kind"]] += 1
                        operations[f"{row['operation']} {row['kind']} {row['thread']}"] += 1
                    used = {k: round(threads_after[k] - threads_before[k], 2) for k in threads_after}
                    out = {"label": opts.label, "rep": rep, "engine": engine, "step": step, "files": len(listing),
                           "result": result, "wall_s": round(wall, 2), "jvm_cpu_s": round(sum(used.values()), 2),
                           "jvm_cpu_by_thread_s": used, "python_cpu_s": round(own, 2),
                           "cpu_s": round(sum(used.values()) + own, 2), "requests": sum(kinds.values()),
                           "by_kind": dict(kinds), "by_operation_thread": dict(operations.most_common()),
                           "peak_rss_mib": peak_rss(pid), "load": round(os.getloadavg()[0], 1)}
                    print(json.dumps(out), flush=True)
                    if opts.out:
                        with open(opts.out, "a", encoding="utf-8") as handle:
                            handle.write(json.dumps(out) + "\n")
        spark.stop()
    finally:
        moto.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
