"""Every S3 request one run of the Glue script makes, against a local S3 API (moto), counted by kind and by layer.

    .venv/bin/python bench/s3_requests.py --landing /tmp/bench/l100x5 --work /tmp/bench/s3 [--reps 1] \\
        [--before before=/tmp/main/weather_etl.py] [--manifest_key K | --raw_prefix P] [--contract monthly] \\
        [--label NAME] [--audit] [--out bench/results/s3-requests.jsonl]
    .venv/bin/python bench/s3_requests.py --table bench/results/s3-requests.jsonl   # the rows as Markdown tables
    .venv/bin/python bench/s3_requests.py --recount WORK/RUN.recording.jsonl BUCKET  # one kept recording, counted

The script runs as bench/etl_vs_anchor.py starts it (same command line), but with both URIs on `s3a://`: Hadoop's
S3A file system (`hadoop-aws` 3.3.4, the Hadoop of PySpark 3.5.6, and the `aws-java-sdk-bundle` it depends on,
fetched once from Maven Central into .tools/s3a-jars/, sha256-checked, and given to Spark with `--jars`) and the
script's own boto3 calls both talk to one moto server on a loopback port (path-style requests, no TLS). The landing
zone is uploaded once; each run writes into a new, empty refined bucket. moto's request recorder
(`/moto-api/recorder/...`) records every request from the run's start to its end; each is classified:

- kind: LIST (GET with `list-type`/`prefix`/`delimiter`), GET, HEAD, PUT, COPY (PUT with `x-amz-copy-source`),
  DELETE, MULTI_DELETE (POST `?delete`; the keys it deletes are counted too), MPU (multipart upload calls), BUCKET
  (bucket-level calls: location, create);
- layer and area: the bucket (landing or refined), the layer of the refined key (`weather/<layer>/`) and what part of
  it: `final` (the layer's own keys), `commit` (Spark's commit protocol: `_temporary/`, `.spark-staging-*`, `_SUCCESS`),
  `scratch` (the run's scratch folder `weather/staging/_scratch/<run id>/`, counted for the layer whose folder
  in it the key is in: `…/_scratch/<run id>/weather/hourly/…` is the hourly layer's since round h15k);
- client: `s3a` (the JVM: Spark's tasks and the driver's Hadoop calls) or `boto3` (the script's Python on the driver).

Also per run: wall and CPU time of the process tree and its peak RSS (bench/etl_vs_anchor.measure), and a check of
the output against a local run of the same script with the same run id (once per engine): every Parquet file
downloaded, the same rows in the same order in the same partition folders (DuckDB in .venv-bench reads both), one
file per partition (per partition and batch in staging), and nothing left under `_temporary/`, `.spark-staging-*` or
`_scratch/`.
moto's latency is not S3's (a loopback call to an in-memory store): the request counts are what carry over to S3,
the wall time does not.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT / "scripts"))
from etl_vs_anchor import add_batch_arguments, before_scripts, layer_stats, measure, script_command, summary_counts  # noqa: E402
from moto_s3 import AWS_VARIABLES_REMOVED, MotoS3, aws_env as moto_aws_env  # noqa: E402

MAVEN = os.environ.get("MAVEN_CENTRAL_URL") or "https://repo.maven.apache.org/maven2"
# hadoop-aws matching PySpark 3.5.6's Hadoop client (3.3.4), and the AWS SDK bundle hadoop-aws 3.3.4 depends on.
S3A_JARS = (
    ("org/apache/hadoop/hadoop-aws/3.3.4/hadoop-aws-3.3.4.jar",
     "53f9ae03c681a30a50aa17524bd9790ab596b28481858e54efd989a826ed3a4a"),
    ("com/amazonaws/aws-java-sdk-bundle/1.12.262/aws-java-sdk-bundle-1.12.262.jar",
     "873fe7cf495126619997bec21c44de5d992544aea7e632fdc77adb1a0915bae5"),
)
JAR_FOLDER = ROOT / ".tools" / "s3a-jars"
LANDING_BUCKET = "landing"
KINDS = ("LIST", "GET", "HEAD", "PUT", "COPY", "DELETE", "MULTI_DELETE", "MPU", "BUCKET")


def s3a_jars() -> list[Path]:
    """The two jars, downloaded once into .tools/s3a-jars/ and checked against their pinned sha256."""
    JAR_FOLDER.mkdir(parents=True, exist_ok=True)
    paths = []
    for relative, sha256 in S3A_JARS:
        path = JAR_FOLDER / relative.rsplit("/", 1)[1]
        if not path.exists():
            partial = path.with_suffix(".part")
            print(f"s3_requests: downloading {MAVEN}/{relative}", file=sys.stderr)
            with urllib.request.urlopen(f"{MAVEN}/{relative}", timeout=600) as response, open(partial, "wb") as out:
                shutil.copyfileobj(response, out, 1 << 20)
            partial.rename(path)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != sha256:
            path.unlink()
            raise RuntimeError(f"{path.name}: sha256 {digest}, expected {sha256} (the pinned file); removed")
        paths.append(path)
    return paths


def aws_env(endpoint: str, work: Path) -> dict:
    """This process's environment with boto3 pointed at the endpoint only (as the tests do), no profile, no real account."""
    env = {k: v for k, v in os.environ.items() if k not in AWS_VARIABLES_REMOVED}
    env.update(moto_aws_env(endpoint, work))
    return env


def s3a_submit_args(endpoint: str, jars: list[Path], audit: bool = False) -> list[str]:
    """spark-submit arguments: the S3A jars, and S3A pointed at the endpoint (path style, no TLS, fixed keys); with
    `audit`, S3A's LoggingAuditor, which names the Hadoop operation of each request in its Referer header."""
    conf = {
        **({"fs.s3a.audit.enabled": "true",
            "fs.s3a.audit.service.classname": "org.apache.hadoop.fs.s3a.audit.impl.LoggingAuditor",
            "fs.s3a.audit.referrer.enabled": "true"} if audit else {}),
        "fs.s3a.endpoint": endpoint,
        "fs.s3a.endpoint.region": "us-east-1",
        "fs.s3a.path.style.access": "true",
        "fs.s3a.connection.ssl.enabled": "false",
        "fs.s3a.aws.credentials.provider": "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
        "fs.s3a.access.key": "testing",
        "fs.s3a.secret.key": "testing",
    }
    return ["--jars", ",".join(str(j) for j in jars),
            *[f"--conf spark.hadoop.{k}={v}" for k, v in conf.items()]]


def upload_tree(client, bucket: str, root: Path) -> int:
    files = [p for p in root.rglob("*") if p.is_file() and p.name != "generated.json"]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda p: client.put_object(Bucket=bucket, Key=str(p.relative_to(root)), Body=p.read_bytes()),
                      files))
    return len(files)


def classify(entry: dict, refined_bucket: str) -> dict:
    """kind, bucket role, layer, area and client of one recorded request (path-style URL)."""
    url = urllib.parse.urlsplit(entry["url"])
    query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
    bucket, _, key = urllib.parse.unquote(url.path).lstrip("/").partition("/")
    headers = {k.lower(): v for k, v in entry.get("headers", {}).items()}
    method = entry["method"]
    deleted = 0
    if method == "GET" and not key and ({"list-type", "prefix", "delimiter"} & set(query) or not query):
        kind, key = "LIST", query.get("prefix", [""])[0]
    elif not key:
        kind = "MULTI_DELETE" if method == "POST" and "delete" in query else "BUCKET"
        if kind == "MULTI_DELETE":
            body = entry.get("body") or ""
            text = base64.b64decode(body).decode("utf-8", "replace") if entry.get("body_encoded") else body
            deleted = text.count("<Key>")
            first = text.split("<Key>", 1)[1].split("</Key>", 1)[0] if deleted else ""
            key = first
    elif "uploads" in query or "uploadId" in query:
        kind = "MPU"
    elif method == "PUT":
        kind = "COPY" if "x-amz-copy-source" in headers else "PUT"
    else:
        kind = {"GET": "GET", "HEAD": "HEAD", "DELETE": "DELETE"}.get(method, method)
    # S3A's auditor (LoggingAuditor, --audit) names the Hadoop operation of each request in its Referer header.
    referrer = urllib.parse.parse_qs(urllib.parse.urlsplit(headers.get("referer", "")).query)
    operation = referrer.get("op", [""])[0]
    thread = referrer.get("t0", [""])[0]  # the thread that started the operation (t1: the one sending)
    agent = headers.get("user-agent", "")
    client = "boto3" if "Boto3" in agent or "Botocore" in agent else ("s3a" if "aws-sdk-java" in agent else agent[:30])
    if bucket == refined_bucket:
        parts = key.split("/")
        layer = parts[1] if len(parts) > 1 and parts[0] == "weather" and parts[1] else ("(root)" if not key else parts[0])
        layer = layer if len(parts) > 2 or layer == "(root)" else layer + " (folder)"
        area = "commit" if ("/_temporary" in key or "/.spark-staging-" in key or key.endswith("/_SUCCESS")) else \
            "scratch" if "/_scratch" in key else "final"
        # A run's scratch folder (`weather/staging/_scratch/<run id>/`) holds a folder per layer named by the layer's
        # own prefix (`weather/hourly/`, ... since round h15k): its requests count for that layer.
        inner = (key.split("/_scratch/", 1)[1].split("/", 1)[1:] or [""])[0].split("/") if "/_scratch/" in key else []
        if len(inner) > 2 and inner[0] == "weather" and inner[1]:
            layer = inner[1]
        where = f"refined {layer} {area}"
    else:
        where = "landing" if bucket == LANDING_BUCKET else f"bucket {bucket}"
    return {"kind": kind, "where": where, "client": client, "deleted": deleted,
            "operation": operation or ("boto3" if client == "boto3" else "-"),
            "thread": f"jvm-{thread}" if thread else client,
            # Job commits (Spark's driver): renames of anything but a task attempt's folder.
            "job_commit": operation == "op_rename" and "attempt_" not in referrer.get("p1", [""])[0]}


def parse_recording(text: bytes) -> tuple[list[dict], int]:
    """The recorder's entries, and the number of lines that are no JSON (none with MOTO_LOCKED_RECORDER)."""
    entries, unparsed = [], 0
    for line in text.splitlines():
        try:
            entries.append(json.loads(line))
        except ValueError:
            unparsed += 1
    return entries, unparsed


def count_requests(entries: list[dict], refined_bucket: str) -> dict:
    by_kind, by_where, by_client, by_operation, by_thread = Counter(), {}, Counter(), {}, {}
    committers: Counter = Counter()
    deleted = 0
    phases = []  # consecutive requests of the same place: the run's phases in order
    for entry in entries:
        row = classify(entry, refined_bucket)
        by_kind[row["kind"]] += 1
        by_where.setdefault(row["where"], Counter())[row["kind"]] += 1
        by_client[f"{row['client']} {row['kind']}"] += 1
        by_operation.setdefault(row["where"].replace(" (folder)", ""), Counter())[f"{row['operation']} {row['kind']}"] += 1
        by_thread.setdefault(row["thread"], Counter())[row["operation"]] += 1
        committers[row["thread"]] += row["job_commit"]
        deleted += row["deleted"]
        layer = row["where"].rsplit(" ", 1)[0] if row["where"].startswith("refined") else row["where"]
        layer = layer.replace(" (folder)", "")
        if phases and phases[-1][0] == layer:
            phases[-1][1] += 1
        else:
            phases.append([layer, 1])
    driver = committers.most_common(1)[0][0] if committers and committers.most_common(1)[0][1] else None
    return {"requests": sum(by_kind.values()), "by_kind": dict(by_kind), "multi_deleted_keys": deleted,
            # With --audit: the requests the driver sent itself (its JVM command thread, which runs the job commits
            # and the script's py4j calls, and the script's boto3 calls): one after the other, except boto3's pools.
            "driver_jvm_requests": sum(by_thread[driver].values()) if driver else None,
            "driver_boto3_requests": sum(by_thread.get("boto3", {}).values()),
            "by_where": {w: dict(c) for w, c in sorted(by_where.items())}, "by_client": dict(sorted(by_client.items())),
            "by_operation": {w: dict(sorted(c.items())) for w, c in sorted(by_operation.items())},
            # With --audit: the requests of each JVM thread (S3A's audit header: the driver's py4j thread, Spark's
            # task threads) by Hadoop operation; "boto3" is the script's Python on the driver.
            "by_thread": {t: dict(c.most_common()) for t, c in sorted(by_thread.items(), key=lambda i: -sum(i[1].values()))},
            "phases": [f"{w} x{n}" for w, n in phases][:60]}


def download_parquet(client, bucket: str, into: Path) -> list[str]:
    """Every object of the bucket into `into`; returns the keys of temporary/scratch leftovers."""
    keys = [item["Key"] for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
            for item in page.get("Contents", [])]
    for key in keys:
        path = into / key
        path.parent.mkdir(parents=True, exist_ok=True)
        if not key.endswith("/"):
            client.download_file(bucket, key, str(path))
    return [k for k in keys if "/_temporary" in k or "/.spark-staging-" in k or "/_scratch" in k]


COMPARE = """
import duckdb, json, pathlib, sys
out = {}
for root in sys.argv[1:3]:
    files = {}
    for f in sorted(pathlib.Path(root, "weather").rglob("*.parquet")):
        rel = f.relative_to(root)
        name = f.name if rel.parts[1] == "staging" else ""  # staging files are named by batch; Spark's by job id
        rows = duckdb.sql(f"SELECT COLUMNS(c -> c NOT IN ({sys.argv[3]}))::VARCHAR "
                          f"FROM read_parquet('{f}', hive_partitioning=false)").fetchall()
        files.setdefault(str(rel.parent), []).append((name, [list(r) for r in rows]))
    out[root] = files
a, b = out.values()
print(json.dumps({"same_rows_as_local": a == b,
                  "differing_folders": sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))[:10],
                  "rows_compared": sum(len(r) for v in a.values() for _, r in v)}))
"""


def same_rows(local: Path, downloaded: Path, manifest: bool) -> dict:
    """Each partition folder's Parquet files hold the same rows in the same order (every column as text), compared
    by DuckDB in .venv-bench (bytes are not compared: see docs/PERFORMANCE.md, section 2, round h15j). Without a
    manifest, `fetched_at` is the raw object's modification time (the file's locally, the upload's on S3): it and the
    columns computed from it (`is_forecast`, `lead_time_hours`) are left out."""
    bench_python = ROOT / ".venv-bench" / "bin" / "python"
    derived = [] if manifest else ["fetched_at", "is_forecast", "lead_time_hours"]
    excluded = ", ".join(f"'{c}'" for c in derived) or "'-'"
    done = subprocess.run([str(bench_python), "-c", COMPARE, str(local), str(downloaded), excluded],
                          capture_output=True, text=True, check=True)
    return {**json.loads(done.stdout), "compared_without": derived}


def layer_of(where: str) -> str:
    return "landing" if where == "landing" else where.split(" ")[1]


def print_tables(path: str) -> None:
    """The rows of a results file as two Markdown tables: requests by kind, and by layer."""
    rows = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    print("| run | engine | requests | LIST | HEAD | GET | PUT | COPY | DELETE | DeleteObjects (keys) | wall | CPU "
          "| same rows as local | load |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for r in rows:
        k = r["by_kind"]
        print(f"| {r['label']} | {r['engine']} | {r['requests']:,} | " + " | ".join(
            f"{k.get(kind, 0):,}" for kind in ("LIST", "HEAD", "GET", "PUT", "COPY", "DELETE")) +
            f" | {k.get('MULTI_DELETE', 0):,} ({r['multi_deleted_keys']:,}) | {r['wall_s']} s | {r['cpu_s']} s | "
            f"{r.get('same_rows_as_local', '-')} | {r['load_before']}–{r['load_after']} |")
    layers = ["landing", "hourly", "daily", "staging", "quarantine", "run-summaries"]
    print()
    written = ["hourly", "daily", "staging", "quarantine"]
    print("| run | engine | " + " | ".join(layers) + " | " +
          " | ".join(f"{layer}: commit / scratch / final" for layer in written) + " |")
    print("|---|---|" + "---:|" * (len(layers) + len(written)))
    for r in rows:
        per_layer: Counter = Counter()
        areas: dict = {layer: Counter() for layer in written}
        for where, kinds in r["by_where"].items():
            per_layer[layer_of(where)] += sum(kinds.values())
            if layer_of(where) in areas:
                areas[layer_of(where)][where.rsplit(" ", 1)[1]] += sum(kinds.values())
        print(f"| {r['label']} | {r['engine']} | " + " | ".join(f"{per_layer.get(layer, 0):,}" for layer in layers) +
              " | " + " | ".join(f"{a['commit']:,} / {a['scratch']:,} / {a['final']:,}" for a in areas.values()) + " |")


def main() -> int:
    if sys.argv[1:2] == ["--table"]:
        print_tables(sys.argv[2])
        return 0
    if sys.argv[1:2] == ["--recount"]:
        entries, unparsed = parse_recording(Path(sys.argv[2]).read_bytes())
        print(json.dumps({**count_requests(entries, sys.argv[3]), "unparsed_lines": unparsed}))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_batch_arguments(parser, work_help="folder for logs, the local reference runs and downloads", reps=1)
    parser.add_argument("--script_name", default="script", help="the engine name of --script's rows (default: script)")
    parser.add_argument("--audit", action="store_true",
                        help="S3A's LoggingAuditor on: each row also counts the requests by Hadoop operation")
    parser.add_argument("--no_check", action="store_true", help="skip the local reference run and the output check")
    parser.add_argument("--label", default="s3")
    parser.add_argument("--out")
    opts = parser.parse_args()

    from java_runtimes import spark_java_home  # noqa: E402
    import boto3

    work = Path(opts.work)
    work.mkdir(parents=True, exist_ok=True)
    jars = s3a_jars()
    generated = json.loads((Path(opts.landing) / "generated.json").read_text())
    engines = {opts.script_name: Path(opts.script), **before_scripts(opts)}

    moto = MotoS3(recording=work / "moto-recording.jsonl", log=work / "moto-server.log")
    try:
        env = aws_env(moto.endpoint, work)
        env.update(SPARK_MASTER=os.environ.get("SPARK_MASTER", "local[2]"), PYSPARK_PYTHON=sys.executable,
                   JAVA_HOME=str(spark_java_home()))
        env.pop("SPARK_CONF_DIR", None)
        os.environ.update({k: env[k] for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                                "AWS_DEFAULT_REGION", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")})
        client = boto3.client("s3")
        client.create_bucket(Bucket=LANDING_BUCKET)
        uploaded = upload_tree(client, LANDING_BUCKET, Path(opts.landing))
        print(f"s3_requests: {uploaded} landing objects uploaded to {moto.endpoint}", file=sys.stderr)
        s3_env = dict(env, PYSPARK_SUBMIT_ARGS=" ".join([*s3a_submit_args(moto.endpoint, jars, opts.audit), "pyspark-shell"]))
        s3_opts = argparse.Namespace(landing=f"s3a://{LANDING_BUCKET}", manifest_key=opts.manifest_key,
                                     raw_prefix=opts.raw_prefix, contract=opts.contract)
        local_opts = argparse.Namespace(landing=opts.landing, manifest_key=opts.manifest_key,
                                        raw_prefix=opts.raw_prefix, contract=opts.contract)
        checked: dict = {}
        for rep in range(1, opts.reps + 1):
            for engine, script in engines.items():
                run_id = f"{opts.label}-{engine}"  # as its local run's: the row check compares run_id too
                bucket = f"refined-{uuid.uuid4().hex[:12]}"
                client.create_bucket(Bucket=bucket)
                moto.recorder("reset-recording")
                moto.recorder("start-recording")
                command = script_command(script, s3_opts, f"s3a://{bucket}", generated, run_id)
                row = {"label": opts.label, "rep": rep, "engine": engine, "cities": generated["cities"],
                       "days": generated["days"], "raw_files": generated["raw_files"],
                       "source": "manifest" if opts.manifest_key else "raw_prefix",
                       "contract": opts.contract or "daily (contract.json)",
                       **measure(command, s3_env, work / f"{run_id}-{rep}.log")}
                moto.recorder("stop-recording")
                recording = moto.recorder("download-recording")
                # Kept per run (bodies included), to count again: `--recount FILE BUCKET`.
                (work / f"{run_id}-{rep}.recording.jsonl").write_bytes(recording)
                entries, unparsed = parse_recording(recording)
                row.update(count_requests(entries, bucket), unparsed_lines=unparsed)
                if not opts.no_check:
                    downloaded = work / f"s3-{engine}"
                    shutil.rmtree(downloaded, ignore_errors=True)
                    row["leftovers"] = download_parquet(client, bucket, downloaded)[:10]
                    if engine not in checked:
                        local = work / f"local-{engine}"
                        shutil.rmtree(local, ignore_errors=True)
                        from spark_local_fs import install as local_fs_conf  # noqa: E402
                        local_env = dict(env, SPARK_CONF_DIR=str(local_fs_conf()))
                        local_row = measure(script_command(script, local_opts, local, generated, run_id),
                                            local_env, work / f"{run_id}-local.log")
                        checked[engine] = local_row
                        row["local_wall_s"], row["local_cpu_s"] = local_row["wall_s"], local_row["cpu_s"]
                    row.update(same_rows(work / f"local-{engine}", downloaded, bool(opts.manifest_key)))
                    row["layers"] = layer_stats(downloaded)["layers"]
                    row.update(summary_counts(downloaded, run_id))
                print(json.dumps(row), flush=True)
                if opts.out:
                    with open(opts.out, "a", encoding="utf-8") as out:
                        out.write(json.dumps(row) + "\n")
    finally:
        moto.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
