"""The local run: the whole weather pipeline on this machine, with no AWS account.

Each stage runs the library's own code on a local stand-in of the AWS engine it targets:

1. ingestion  - the WeatherIngestion handler's code (Node.js) against live Open-Meteo, or recorded responses on a
                loopback server when the API cannot be reached; writes a landing folder laid out exactly as the bucket
2. ETL        - the Glue script (src/etl/script/weather_etl.py) on local Spark 3.5.6, the Spark of Glue 5.1: refined
                hourly table, staging zone (every fetch) and curated daily layer
3. catalog    - Trino (Athena engine v3 is Trino-based) with the tables an AthenaCatalog synthesized for the local
                run's own cities (cities.json) and sources defines (catalog.ts)
4. validation - the orchestrator's planner (given the configured cities and sources, as the state machine gives
                them), then the validation queries the state machine runs after each ETL run
5. analytics  - the named queries users open in the Athena console
6. report     - a printed summary, summary.json and report.html (a temperature chart per city, the daily layer)
7. synth      - the examples app (examples/app.ts), as `cdk deploy` would create it

With `--sources open-meteo,met-norway` the batch also holds MET Norway Locationforecast 2.0 responses (recorded,
recorded/met-norway/) for the same cities, the ETL runs with the contract of both sources, and the report shows the
sources side by side.

Usage: python examples/local-run/local_run.py [--offline] [--out DIR] [--sources open-meteo,met-norway]

From Python, `main(argv, trino=server, spark_etl=runner)` runs on a Trino that is already running, and runs the
Glue script's entry point through `runner`, instead of starting a Trino and a Spark process of its own (the test
suite shares one of each between its Trino tests); everything else is the same. Either way the run's tables live in
a Trino catalog of the run's own (its metastore in the output folder), dropped at the end.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "test" / "catalog"))

from catalog_harness import GLUE_TO_TRINO, execute, literal  # noqa: E402
from java_runtimes import spark_java_home  # noqa: E402  (trino_local puts scripts/ on the path)
from trino_local import TrinoServer  # noqa: E402

sys.path.insert(0, str(HERE))
from report import DAILY_COLUMNS, VARIABLES, render_report, sources_by_city  # noqa: E402

ETL_SCRIPT = ROOT / "src" / "etl" / "script" / "weather_etl.py"
# The contract document of every known source, generated from the TypeScript contract (`npx projen contract`).
ALL_SOURCES_CONTRACT = ROOT / "src" / "etl" / "script" / "tests" / "fixtures" / "contract-all-sources.json"
RECORDED_MET_NORWAY = HERE / "recorded" / "met-norway"
SOURCES = ("open-meteo", "met-norway")
# The TypeScript steps run in Node.js with each module transpiled by esbuild as it loads (ts-register.js): about half
# the CPU of ts-node, which loads the TypeScript compiler for each of them. `npx projen typecheck` checks their types.
TS_RUN = ["node", "-r", str(HERE / "ts-register.js")]


class Progress:
    def __init__(self, total: int):
        self.total = total
        self.index = 0
        self.started = time.monotonic()
        self.timings: list[tuple[str, float]] = []  # (stage, seconds) of each finished stage
        self._stage: tuple[str, float] | None = None

    def step(self, title: str) -> None:
        self.end_stage()
        self.index += 1
        self._stage = (title.split(":")[0], time.monotonic())
        print(f"\n[{self.index}/{self.total}] {title}  (+{time.monotonic() - self.started:.0f}s)", flush=True)

    def end_stage(self) -> None:
        if self._stage:
            self.timings.append((self._stage[0], time.monotonic() - self._stage[1]))
            self._stage = None

    @staticmethod
    def say(text: str) -> None:
        print(f"      {text}", flush=True)


def node(script: Path, args: list[str], stdin: str | None = None) -> dict:
    done = subprocess.run(TS_RUN + [str(script), *args], cwd=ROOT, input=stdin, capture_output=True, text=True,
                          timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"{script.name} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def add_recorded_met_norway(landing: Path, manifest_key: str) -> list[str]:
    """Adds MET Norway's recorded response of every city of the batch that has one to the landing folder, under its
    own `source=met-norway` key, and lists it in the batch manifest (fetched a minute after the city's Open-Meteo
    response), as an ingestion of both sources writes one batch. Returns the cities added."""
    manifest_path = landing / manifest_key
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    added = []
    for entry in list(manifest["written"]):
        recorded = RECORDED_MET_NORWAY / f"{entry['city']}.json"
        if not entry["key"].startswith("weather/raw/source=open-meteo/") or not recorded.is_file():
            continue
        key = entry["key"].replace("source=open-meteo/", "source=met-norway/", 1)
        (landing / key).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(recorded, landing / key)
        fetched = datetime.fromisoformat(entry["fetchedAt"].replace("Z", "+00:00")) + timedelta(minutes=1)
        manifest["written"].append({**entry, "key": key, "bytes": recorded.stat().st_size,
                                    "requestUrl": f"recorded/met-norway/{recorded.name}",
                                    "fetchedAt": fetched.isoformat(timespec="milliseconds").replace("+00:00", "Z")})
        added.append(entry["city"])
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return added


def run_etl(landing: Path, refined: Path, manifest_key: str, run_id: str, contract_json: str | None = None,
            spark_etl=None) -> dict:
    """Runs the Glue script with its CLI arguments in a Python process of its own, or as `spark_etl(argv)` if given."""
    argv = ["--landing_uri", str(landing), "--refined_uri", str(refined), "--manifest_key", manifest_key,
            "--run_id", run_id, *(["--contract_json", contract_json] if contract_json else [])]
    if spark_etl is not None:
        spark_etl(argv)
    else:
        env = dict(os.environ)
        env["JAVA_HOME"] = str(spark_java_home())  # Spark 3.5 runs on Java 17, Trino on 24+ (scripts/java_runtimes.py)
        env.setdefault("PYSPARK_PYTHON", sys.executable)
        # The driver's JVM options are the script's own for the local session it builds (weather_etl.py: C1 only and
        # the serial collector for a batch this small, LOCAL_SMALL_BATCH_JAVA_OPTIONS; WEATHER_ETL_JAVA_OPTIONS
        # replaces them, driver options of your own win).
        done = subprocess.run([sys.executable, str(ETL_SCRIPT), *argv], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=1800)
        if done.returncode != 0:
            raise RuntimeError(f"the ETL failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}")
    summaries = list((refined / "weather" / "run-summaries").glob(f"date=*/{run_id}.json"))
    if len(summaries) != 1:
        raise RuntimeError(f"expected one run summary for {run_id}, found {summaries}")
    return json.loads(summaries[0].read_text(encoding="utf-8"))


def catalog_document(sources: list[str]) -> dict:
    """The tables, validation and analytics SQL an AthenaCatalog synthesizes for the local run's own cities
    (cities.json) and `sources` (examples/local-run/catalog.ts), in the shape of test/catalog/queries.json."""
    return node(HERE / "catalog.ts", [",".join(sources)])


def create_tables(connection, server: TrinoServer, trino_catalog: str, refined: Path, catalog: dict) -> str:
    """The AthenaCatalog's tables (from its synthesized Glue TableInputs) as Trino external tables over `refined`, in
    the Trino catalog `trino_catalog` (the connection's)."""
    database = catalog["database"]
    bucket_url = f"s3://{catalog['bucket']}/"
    execute(connection, f"CREATE SCHEMA IF NOT EXISTS {trino_catalog}.{database}")
    for table in catalog["tables"].values():
        storage = table["StorageDescriptor"]
        columns = [f'"{c["Name"]}" {GLUE_TO_TRINO[c["Type"]]}' for c in storage["Columns"]]
        columns += [f'"{p["Name"]}" {GLUE_TO_TRINO[p["Type"]]}' for p in table["PartitionKeys"]]
        location = refined / storage["Location"][len(bucket_url):]
        location.mkdir(parents=True, exist_ok=True)
        partitioned_by = ", ".join(f"'{p['Name']}'" for p in table["PartitionKeys"])
        execute(connection, f'DROP TABLE IF EXISTS {trino_catalog}.{database}."{table["Name"]}"')
        execute(connection, (
            f'CREATE TABLE {trino_catalog}.{database}."{table["Name"]}" ({", ".join(columns)}) WITH ('
            f"format = 'PARQUET', partitioned_by = ARRAY[{partitioned_by}], "
            f"external_location = '{server.location(location)}')"))
        # Trino has no partition projection: register the partitions the ETL wrote.
        execute(connection, f"CALL system.sync_partition_metadata('{database}', '{table['Name']}', 'FULL')")
    return database


def sql_value(value) -> object:
    return value if isinstance(value, (int, float, bool, str)) or value is None else str(value)


def synth_examples(out: Path) -> list[Path]:
    cdk_out = out / "cdk.out"
    shutil.rmtree(cdk_out, ignore_errors=True)
    # The app of examples/cdk.json (ts-node, which type-checks the app and the library first: twice the CPU), loaded
    # as the other TypeScript steps are; the templates are the same.
    app = shlex.join([*TS_RUN, "app.ts"])
    done = subprocess.run(["npx", "cdk", "synth", "--quiet", "--app", app, "--output", str(cdk_out)], cwd=ROOT / "examples",
                          capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(f"cdk synth failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return sorted(cdk_out.glob("*.template.json"))


def main(argv: list[str] | None = None, trino: TrinoServer | None = None, spark_etl=None) -> dict:
    """Runs the pipeline locally with the command line's arguments (`argv`; default: `sys.argv`) and returns the
    summary. For callers that run many: `trino`, a server already launched whose data root holds `--out`, used
    instead of starting one (and left running); `spark_etl`, a callable that runs the Glue script's entry point
    (`weather_etl.main`) with the script's CLI arguments, instead of a Python process (and Spark) of its own."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--offline", action="store_true", help="use the recorded responses even if the API is reachable")
    parser.add_argument("--out", default=str(ROOT / ".local-run"), help="output folder (replaced)")
    parser.add_argument("--skip-synth", action="store_true", help="do not synthesize the examples app")
    parser.add_argument("--sources", default="open-meteo",
                        help=f"comma-separated weather sources of the batch, among {', '.join(SOURCES)} (MET Norway from recorded responses)")
    args = parser.parse_args(argv)
    sources = [s for s in args.sources.split(",") if s]
    unknown = [s for s in sources if s not in SOURCES]
    if unknown or "open-meteo" not in sources:
        parser.error(f"--sources must list open-meteo and may add met-norway, got {args.sources!r}")

    out = Path(args.out).resolve()
    if trino is not None and not out.is_relative_to(trino.data_root.resolve()):
        raise ValueError(f"--out must be under the data root of the given Trino server ({trino.data_root}), got {out}")
    shutil.rmtree(out, ignore_errors=True)
    landing, refined = out / "landing", out / "refined"
    progress = Progress(6 if args.skip_synth else 7)

    progress.step("Ingestion: the WeatherIngestion code fetches the cities into the landing folder")
    ingestion = node(HERE / "ingest.ts", [str(landing)] + (["--offline"] if args.offline else []))
    ingestion["source"] = ingestion["source"].replace(f"{ROOT}/", "")  # paths in the repository, as in the README
    result = ingestion["result"]
    progress.say(f"source: {ingestion['source']}")
    progress.say(f"batch {result['batchId']}: {result['written']} of {result['citiesRequested']} cities written, "
                 f"{result['failed']} failed; manifest {result['manifestKey']}")
    contract_json = None
    if "met-norway" in sources:
        added = add_recorded_met_norway(landing, result["manifestKey"])
        progress.say(f"met-norway: recorded responses for {', '.join(added) or 'no city'} added to the batch "
                     f"({RECORDED_MET_NORWAY.relative_to(ROOT)})")
        contract_json = ALL_SOURCES_CONTRACT.read_text(encoding="utf-8")

    # Trino takes ~30 s to start: launch it now and let it come up while Spark works.
    server = trino or TrinoServer(work_dir=out / "trino", data_root=out).launch()
    trino_catalog = None
    try:
        run_id = f"local-{result['batchId']}"
        progress.step("ETL: the Glue script on local Spark 3.5.6 (Glue 5.1), landing → refined Parquet")
        etl = run_etl(landing, refined, result["manifestKey"], run_id, contract_json, spark_etl)
        progress.say(f"files read {etl['files_read']}, records in {etl['records_in']}: refined {etl['refined']}, "
                     f"quarantined {etl['quarantined']} {etl['quarantined_by_reason']}, superseded {etl['superseded']}"
                     f" — reconciled: {etl['reconciled']}")
        partitions = sorted({p for p in (etl.get("partitions") or {}).get("hourly", [])})
        progress.say(f"{len(partitions)} hourly partitions written under {refined / 'weather' / 'hourly'}")

        progress.step("Catalog: Trino (Athena engine v3 is Trino-based) with the AthenaCatalog's tables")
        # The AthenaCatalog synthesized for the local run's own cities and sources (a CDK synth in Node.js).
        catalog = catalog_document(sources)
        server.wait_ready()
        # A catalog of the run's own: the shipped SQL names "weather"."hourly" unqualified, and on a shared server
        # another catalog may hold a `weather` schema of its own.
        trino_catalog = server.add_catalog(f"local_run_{uuid.uuid4().hex[:12]}", out / "metastore")
        connection = server.connect(catalog=trino_catalog)
        database = create_tables(connection, server, trino_catalog, refined, catalog)
        progress.say(f"tables {database}.{', '.join(t['Name'] for t in catalog['tables'].values())} over {refined}, "
                     f"for the cities {', '.join(catalog['cities'])}")

        progress.step("Validation: the orchestrator's planner and validation queries")
        # As the state machine does: the configured cities and sources are expected, whether the run wrote them or not.
        plan = node(HERE / "plan.ts", [], stdin=json.dumps({"runId": run_id, "summary": etl,
                                                              "expectedCities": ",".join(catalog["cities"]),
                                                              "expectedSources": ",".join(sources)}))
        validations = []
        for query in catalog["validation"]:
            rows = execute(connection, query["queryString"], [plan["executionParameters"][p] for p in query["parameters"]])
            row = {k: sql_value(v) for k, v in rows[0].items()}
            validations.append({"id": query["id"], "passed": bool(row["passed"]), "row": row})
            progress.say(f"{'PASS' if row['passed'] else 'FAIL'}  {query['id']}  {json.dumps(row, default=str)}")

        progress.step("Analytics: the named queries")
        dates = {"firstDate": literal(plan["firstDate"]), "lastDate": literal(plan["lastDate"]),
                 # compare-sources is for one city: the first of the run.
                 "city": literal(plan["citySlugs"].split(",")[0])}
        # The staging queries: the batch's ingestion date, and the last hour of the first city (a forecast hour
        # on a live run; recorded responses are all in the past).
        ingest_date = result["manifestKey"].split("ingest_date=", 1)[1].split("/", 1)[0]
        dates.update(firstIngestDate=literal(ingest_date), lastIngestDate=literal(ingest_date))
        followed = execute(connection, f"SELECT city, observed_at FROM {trino_catalog}.{database}.staging "
                                       f"WHERE ingest_date = {literal(ingest_date)} "
                                       f"ORDER BY city, observed_at DESC LIMIT 1", [])
        if followed:
            dates.update(citySlug=literal(followed[0]["city"]),
                         observedAt=literal(followed[0]["observed_at"].strftime("%Y-%m-%d %H:%M:%S")))
        analytics = {}
        for query in catalog["analytics"]:
            if any(p not in dates for p in query["parameters"]):
                progress.say(f"{query['id']}: skipped (nothing staged)")
                continue
            cursor = connection.cursor()
            rows = execute(connection, query["queryString"], [dates[p] for p in query["parameters"]])
            analytics[query["id"]] = {"columns": list(rows[0].keys()) if rows else [],
                                      "rows": [[sql_value(v) for v in r.values()] for r in rows]}
            progress.say(f"{query['id']}: {len(rows)} rows")
            del cursor
        # The report's charts (one row per city and hour) and the quarantine's rows, from the tables themselves.
        columns = ", ".join(column for column, *_ in VARIABLES)
        series: dict[str, list[dict]] = {}
        # One chart set per city and source; the first source keeps the city's plain name.
        hourly_rows = execute(connection, f'SELECT city_name, source, observed_at, {columns} FROM {trino_catalog}.{database}.hourly '
                                          f'WHERE "date" BETWEEN {dates["firstDate"]} AND {dates["lastDate"]} '
                                          f'ORDER BY city_name, source DESC, observed_at', [])
        for row in hourly_rows:
            label = row["city_name"] if len(sources) == 1 else f'{row["city_name"]} · {row["source"]}'
            series.setdefault(label, []).append(row)
        side_by_side = sources_by_city(hourly_rows) if len(sources) > 1 else None
        # The curated daily layer, a table per city, and the staging zone's size.
        daily: dict[str, list[dict]] = {}
        daily_columns = ", ".join(column for column, _ in DAILY_COLUMNS)
        for row in execute(connection, f'SELECT city_name, {daily_columns} FROM {trino_catalog}.{database}.daily '
                                       f'WHERE "date" BETWEEN {dates["firstDate"]} AND {dates["lastDate"]} '
                                       f'ORDER BY city_name, source, day', []):
            daily.setdefault(row.pop("city_name"), []).append({k: sql_value(v) for k, v in row.items()})
        staged_rows = execute(connection, f"SELECT count(*) AS n FROM {trino_catalog}.{database}.staging "
                                          f"WHERE ingest_date = {literal(ingest_date)}", [])[0]["n"]
        progress.say(f"daily layer: {sum(len(r) for r in daily.values())} rows for {len(daily)} cities; "
                     f"staging: {staged_rows} rows for ingestion date {ingest_date}")
        quarantine = execute(connection, f"SELECT reason, detail, city, city_name, observed_at_raw, raw_values, source_key "
                                         f"FROM {trino_catalog}.{database}.quarantine WHERE run_id = {literal(run_id)} "
                                         f"ORDER BY reason, source_key, observed_at_raw", [])
    finally:
        try:
            if trino_catalog is not None:
                server.drop_catalog(trino_catalog)
        finally:
            if trino is None:
                server.stop()

    progress.step("Report")
    summary = {
        "batchId": result["batchId"],
        "runId": run_id,
        "ingestion": {"source": ingestion["source"], **{k: result[k] for k in ("citiesRequested", "written", "failed", "partialFailure")}},
        "sources": sources,
        "etl": {k: etl[k] for k in ("files_read", "records_in", "refined", "quarantined", "quarantined_by_reason",
                                    "superseded", "staged", "daily_rows", "reconciled")},
        "zones": {"stagingRows": staged_rows, "dailyRows": sum(len(r) for r in daily.values()),
                  "dailyCities": sorted(daily)},
        "validation": {"plan": {k: plan[k] for k in ("firstDate", "lastDate", "citySlugs", "sourceIds")},
                       "checks": validations, "allPassed": all(v["passed"] for v in validations)},
        "analytics": {k: len(v["rows"]) for k, v in analytics.items()},
        # The cities the catalog is synthesized for, and those the data-freshness query lists.
        "catalog": {"cities": catalog["cities"], "sources": catalog["sources"],
                    "dataFreshnessCities": sorted({row[analytics["data-freshness"]["columns"].index("city")]
                                                   for row in analytics["data-freshness"]["rows"]})
                    if "data-freshness" in analytics else []},
        "date": date.today().isoformat(),
    }
    report = out / "report.html"
    progress.end_stage()
    descriptions = {q["id"]: q.get("description", "") for q in catalog["validation"] + catalog["analytics"]}
    for check in validations:
        check["description"] = descriptions.get(check["id"], "")
    summary["timings"] = {stage: round(seconds, 1) for stage, seconds in progress.timings}
    report.write_text(render_report(summary, series, quarantine, validations, analytics, progress.timings, descriptions,
                                    daily=daily, side_by_side=side_by_side), encoding="utf-8")
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
    e = summary["etl"]
    passed = sum(1 for v in validations if v["passed"])
    progress.say(f"records in {e['records_in']} / refined {e['refined']} / quarantined {e['quarantined']} / "
                 f"superseded {e['superseded']}; validations passed {passed}/{len(validations)}")
    progress.say(f"report: {report}")
    progress.say(f"summary: {out / 'summary.json'}")

    if not args.skip_synth:
        progress.step("Synthesizing the examples app (examples/app.ts)")
        templates = synth_examples(out)
        for template in templates:
            resources = json.loads(template.read_text(encoding="utf-8")).get("Resources", {})
            progress.say(f"{template}  ({len(resources)} resources)")
        summary["templates"] = [str(t) for t in templates]
        (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
        progress.say("These CloudFormation templates are what `cdk deploy` would create.")

    if not (e["reconciled"] and summary["validation"]["allPassed"]):
        raise SystemExit("the local run did not reconcile or a validation failed: see the summary above")
    return summary


if __name__ == "__main__":
    main()
