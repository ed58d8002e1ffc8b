"""The script as Glue would start it, without awsglue (`python weather_etl.py …` in a subprocess), and the
contract test: what it wrote has the columns, types and paths contract.json declares."""

import importlib.util
import json
import re
import subprocess
import sys

import pytest

from etl_testkit import B1_MANIFEST, CONTRACT_PATH, SCRIPT, copy_landing, parquet_files, read_table, script_env

# Glue type names as Spark prints them (DataType.simpleString): independent of the script's own mapping.
SPARK_SIMPLE_STRING = {"string": "string", "double": "double", "int": "int", "boolean": "boolean",
                       "timestamp": "timestamp", "bigint": "bigint"}


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    assert importlib.util.find_spec("awsglue") is None, "this test proves the script runs without awsglue"
    base = tmp_path_factory.mktemp("cli")
    landing = copy_landing(base / "landing")
    refined = base / "refined"
    with open(CONTRACT_PATH, encoding="utf-8") as handle:
        contract_text = handle.read()
    # Arguments as Glue passes them, including the ones the script does not use.
    command = [sys.executable, SCRIPT, "--JOB_NAME", "weather-etl", "--job-bookmark-option", "job-bookmark-disable",
               "--landing_uri", landing, "--refined_uri", str(refined), "--manifest_key", B1_MANIFEST,
               "--run_id", "cli-1", "--contract_json", contract_text, "--processed_at", "2026-05-09T12:00:00Z"]
    env = script_env(SPARK_MASTER="local[2]")
    # A guard against a hung run, not a speed check: a fresh JVM and a full run take minutes on a busy 2-core machine.
    result = subprocess.run(command, cwd=str(base), env=env, capture_output=True, text=True, timeout=1200)
    return {"result": result, "refined": refined, "contract": json.loads(contract_text)}


def printed_summary(stdout):
    start = stdout.index("{\n")
    return json.loads(stdout[start:stdout.rindex("}") + 1])


def test_cli_runs_end_to_end_without_awsglue_and_prints_the_summary(cli_run):
    result = cli_run["result"]
    assert result.returncode == 0, result.stderr[-3000:]
    summary = printed_summary(result.stdout)
    assert (summary["records_in"], summary["refined"], summary["quarantined"], summary["superseded"]) == (75, 65, 10, 0)
    assert summary["reconciled"] is True
    with open(cli_run["refined"] / "weather/run-summaries/date=2026-05-09/cli-1.json", encoding="utf-8") as handle:
        assert json.load(handle) == summary


def test_cli_rejects_two_inputs_and_exits_non_zero(tmp_path):
    result = subprocess.run([sys.executable, SCRIPT, "--landing_uri", str(tmp_path), "--refined_uri", str(tmp_path),
                             "--raw_key", "a.json", "--raw_prefix", "weather/", "--run_id", "x"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "not allowed with argument" in result.stderr


def template_regex(template):
    """`weather/hourly/date=${date}/city=${city}/` as a regex with one named group per placeholder."""
    parts = re.split(r"\$\{(\w+)\}", template)
    pattern = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>[^/]+)" for i, p in enumerate(parts))
    return re.compile("^" + pattern)


def resolve(template, values):
    return re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)], template)


def test_hourly_output_matches_the_contract(spark, cli_run):
    contract, refined = cli_run["contract"], cli_run["refined"]
    prefix = contract["refined"]["hourlyPrefix"]
    table_root = refined / prefix
    # Types as stored in the Parquet files (no schema given to the reader), partition folders aside.
    files = parquet_files(table_root)
    stored = spark.read.parquet(*[str(table_root / f) for f in files])
    declared = [(c["name"], SPARK_SIMPLE_STRING[c["dataType"]]) for c in contract["refined"]["hourlyColumns"]]
    assert [(f.name, f.dataType.simpleString()) for f in stored.schema.fields] == declared
    # Every file sits under the location template, the partition keys in contract order, dates in dateFormat.
    template = contract["refined"]["hourlyLocationTemplate"]
    assert template.startswith(prefix)
    keys = contract["refined"]["partitionKeys"]
    assert re.findall(r"\$\{(\w+)\}", template) == keys == ["date", "city"]
    regex = template_regex(template)
    for relative in files:
        match = regex.match(prefix + relative)
        assert match, relative
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", match["date"])  # yyyy-MM-dd
        assert re.fullmatch(contract["slugPattern"], match["city"])
    # The template resolves, for every row's partition values, to the folder the row was read from.
    rows = spark.read.parquet(str(table_root)).selectExpr(
        "input_file_name() AS file", "date_format(observed_at, 'yyyy-MM-dd') AS utc_day", "source_key").collect()
    key_regex = re.compile(contract["landing"]["rawKeyPattern"])
    for row in rows:
        city = key_regex.match(row["source_key"]).group(contract["landing"]["rawKeyGroups"]["city"])
        folder = str(refined / resolve(template, {"date": row["utc_day"], "city": city}))
        assert row["file"].replace("file://", "").replace("file:", "").startswith(folder), (row["file"], folder)
    assert len(rows) == 65


def test_quarantine_output_matches_the_contract(spark, cli_run):
    contract, refined = cli_run["contract"], cli_run["refined"]
    prefix = contract["refined"]["quarantinePrefix"]
    files = parquet_files(refined / prefix)
    stored = spark.read.parquet(*[str(refined / prefix / f) for f in files])
    declared = [(c["name"], SPARK_SIMPLE_STRING[c["dataType"]]) for c in contract["refined"]["quarantineColumns"]]
    assert [(f.name, f.dataType.simpleString()) for f in stored.schema.fields] == declared
    template = contract["refined"]["quarantineLocationTemplate"]
    assert re.findall(r"\$\{(\w+)\}", template) == contract["refined"]["quarantinePartitionKeys"]
    folders = sorted({template_regex(template).match(prefix + f)["date"] for f in files})
    assert folders == ["2026-05-07", "2026-05-09"]
    # Every reason but CITY_NOT_CONFIGURED (b1 runs without --cities_json) and MET Norway's own two.
    assert {r["reason"] for r in stored.collect()} == \
        {r["code"] for r in contract["quarantineReasons"]} - {"CITY_NOT_CONFIGURED", "MISSING_INSTANT_DETAILS", "UNKNOWN_SYMBOL_CODE"}


def test_run_summary_sits_under_the_contract_prefix(cli_run):
    contract, refined = cli_run["contract"], cli_run["refined"]
    summary = printed_summary(cli_run["result"].stdout)
    assert summary["summary_key"] == f"{contract['refined']['runSummaryPrefix']}date=2026-05-09/cli-1.json"
    assert (refined / summary["summary_key"]).is_file()
    for folder in summary["partitions"]["hourly"]:
        assert template_regex(contract["refined"]["hourlyLocationTemplate"]).fullmatch(folder)
        assert (refined / folder).is_dir()
