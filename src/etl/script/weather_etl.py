"""Glue job: refine raw weather responses (Open-Meteo, MET Norway) from the landing zone into the hourly Parquet lake.

Every fact about the data (key layout, prefixes, partition keys, columns and types, weather variables with
their accepted units and physical ranges, quarantine reason codes) comes from the data contract JSON that
``src/contract/weather-contract.ts`` generates; this file only knows how to apply it.

Shape of the code: pure DataFrame-in/DataFrame-out steps (``with_landing_key`` … ``summarize``), then a thin
entry point (``main``) that parses arguments and does the I/O. Runs on Glue 5.1 (Spark 3.5, Python 3.11) and on
a plain local PySpark without ``awsglue``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import reduce
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, TypeVar, Union

from py4j.protocol import Py4JError, Py4JJavaError
from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

CONTRACT_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "contract.json")

# How much of a rejected body a file-level quarantine row keeps in `raw_values`.
RAW_EXCERPT_CHARS = 2000

# Open-Meteo sends times as local ISO minutes (`2026-05-07T00:00`) or, with `timeformat=unixtime`, UTC epoch seconds.
ISO_LOCAL_TIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$"
UNIX_SECONDS = r"^-?\d{1,11}$"
# A URI's scheme and leading slashes; a body that is blank; a byte order mark at the start of a body.
URI_SCHEME_PREFIX = r"^(?:[A-Za-z][A-Za-z0-9+.\-]*:)?/*"
BLANK_BODY = r"^\s*$"
LEADING_BOM = "^\uFEFF"

# Glue / Hive type names used by the contract, as Spark types.
GLUE_TO_SPARK: Dict[str, T.DataType] = {
    "string": T.StringType(),
    "double": T.DoubleType(),
    "int": T.IntegerType(),
    "bigint": T.LongType(),
    "boolean": T.BooleanType(),
    "timestamp": T.TimestampType(),
    "date": T.DateType(),
}

# Reason codes this script assigns; each must exist in the contract (checked when the contract is loaded).
EMPTY_FILE = "EMPTY_FILE"
MALFORMED_JSON = "MALFORMED_JSON"
API_ERROR = "API_ERROR"
MISSING_HOURLY = "MISSING_HOURLY"
LENGTH_MISMATCH = "LENGTH_MISMATCH"
INVALID_KEY = "INVALID_KEY"
UNKNOWN_UNIT = "UNKNOWN_UNIT"
UNPARSABLE_TIME = "UNPARSABLE_TIME"
OUT_OF_RANGE = "OUT_OF_RANGE"
NO_MEASUREMENT = "NO_MEASUREMENT"
CITY_NOT_CONFIGURED = "CITY_NOT_CONFIGURED"
MISSING_INSTANT_DETAILS = "MISSING_INSTANT_DETAILS"
UNKNOWN_SYMBOL_CODE = "UNKNOWN_SYMBOL_CODE"
ASSIGNED_REASONS = (
    EMPTY_FILE, MALFORMED_JSON, API_ERROR, MISSING_HOURLY, LENGTH_MISMATCH,
    INVALID_KEY, UNKNOWN_UNIT, UNPARSABLE_TIME, OUT_OF_RANGE, NO_MEASUREMENT, CITY_NOT_CONFIGURED,
)
# Reasons only some sources' parsers assign: required only when the contract lists such a source.
SOURCE_REASONS = {"MET_NORWAY_TIMESERIES": (MISSING_INSTANT_DETAILS, UNKNOWN_SYMBOL_CODE)}

# Response formats (`sources[].responseFormat`) this script can parse.
OPEN_METEO_FORMAT = "OPEN_METEO_HOURLY_ARRAYS"
MET_NORWAY_FORMAT = "MET_NORWAY_TIMESERIES"
# The provider's own weather code column (MET Norway's symbol code), filled from a source field of that name.
SYMBOL_CODE = "symbol_code"
# MET Norway times are UTC with a `Z`; a time step's symbol code carries a time-of-day suffix the mapping ignores.
MET_TIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"
SYMBOL_SUFFIX = r"_(day|night|polartwilight)$"
# Group numbers of the raw key pattern in a contract document without `landing.rawKeyGroups` (before sources).
LEGACY_RAW_KEY_GROUPS = {"ingestDate": 1, "city": 2, "batchId": 3}

# Contract data types whose values are whole numbers: a fractional value is out of range, never truncated.
INTEGRAL_TYPES = ("int", "bigint")

# Internal column names (prefixed so they never collide with contract columns).
_ORIGIN = "_origin"  # 1 = row of this batch, 0 = row already in the lake
_POS = "_pos"  # index of the hour in the response's `time` array
_RANK = "_rank"


class ContractError(ValueError):
    """The contract JSON is not one this script can apply."""


class ReconciliationError(RuntimeError):
    """The batch's counts do not add up; raised before anything is written, so the lake is left as it was."""

    def __init__(self, summary: Dict[str, Any]):
        problems = []
        if summary["records_in"] != summary["refined"] + summary["quarantined"] + summary["superseded"]:
            problems.append(f"records_in {summary['records_in']} != refined {summary['refined']} + quarantined "
                            f"{summary['quarantined']} + superseded {summary['superseded']}")
        if summary.get("staging_reconciled") is False:
            problems.append(f"staged {summary['staged']} != refined {summary['refined']} + superseded "
                            f"{summary['superseded']}")
        super().__init__("; ".join(problems or ["the counts do not reconcile"]) + ": nothing was written")
        self.summary = summary


# --------------------------------------------------------------------------------------------------------------
# Contract
# --------------------------------------------------------------------------------------------------------------

def load_contract(text: Optional[str] = None) -> Dict[str, Any]:
    """Parses the contract JSON (default: `contract.json` next to this script) and checks it is applicable."""
    if text is None:
        with open(CONTRACT_FILE, encoding="utf-8") as handle:
            text = handle.read()
    contract = json.loads(text)
    try:
        refined = contract["refined"]
        columns = refined["hourlyColumns"] + refined["quarantineColumns"] + contract["variables"]
        for column in columns:
            if column["dataType"] not in GLUE_TO_SPARK:
                raise ContractError(f"unsupported dataType {column['dataType']!r} for {column.get('name') or column.get('column')}")
        re.compile(contract["landing"]["rawKeyPattern"])
        codes = {reason["code"] for reason in contract["quarantineReasons"]}
    except KeyError as missing:
        raise ContractError(f"contract JSON lacks {missing}") from None
    needed = list(ASSIGNED_REASONS)
    for source in contract.get("sources", []):
        if source["responseFormat"] not in (OPEN_METEO_FORMAT, MET_NORWAY_FORMAT):
            raise ContractError(f"source {source['id']!r} has a responseFormat this script cannot parse: {source['responseFormat']!r}")
        needed += SOURCE_REASONS.get(source["responseFormat"], ())
    absent = [code for code in dict.fromkeys(needed) if code not in codes]
    if absent:
        raise ContractError(f"contract quarantineReasons lacks {absent}")
    return contract


def spark_type(glue_type: str) -> T.DataType:
    """The Spark type of a contract (Glue / Hive) data type."""
    return GLUE_TO_SPARK[glue_type]


def table_schema(columns: Sequence[Dict[str, str]], partition_keys: Sequence[str] = ()) -> T.StructType:
    """Spark schema of a contract table: its columns, then its partition keys as strings."""
    fields = [T.StructField(c["name"], spark_type(c["dataType"]), True) for c in columns]
    fields += [T.StructField(key, T.StringType(), True) for key in partition_keys]
    return T.StructType(fields)


def hourly_schema(contract: Dict[str, Any]) -> T.StructType:
    refined = contract["refined"]
    return table_schema(refined["hourlyColumns"], refined["partitionKeys"])


def quarantine_schema(contract: Dict[str, Any]) -> T.StructType:
    refined = contract["refined"]
    return table_schema(refined["quarantineColumns"], refined["quarantinePartitionKeys"])


def _all_variables(contract: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The contract's variables, then the columns only some sources fill (`sourceVariables`, absent before sources)."""
    return list(contract["variables"]) + list(contract.get("sourceVariables", []))


def _var_cols(contract: Dict[str, Any]) -> List[str]:
    return [v["column"] for v in _all_variables(contract)]


def _has_symbol_code(contract: Dict[str, Any]) -> bool:
    return any(c["name"] == SYMBOL_CODE for c in contract["refined"]["hourlyColumns"])


def _hour_extras(contract: Dict[str, Any]) -> List[str]:
    """Per-hour values besides the variables that a parser may fill (`_arr_<name>` arrays, null when it does not)."""
    return ([SYMBOL_CODE] if _has_symbol_code(contract) else []) + ["_step", "_instant_missing"]


def _java_date_to_python(fmt: str) -> str:
    """`yyyy-MM-dd` (the contract's Java pattern) as a strftime pattern."""
    return fmt.replace("yyyy", "%Y").replace("MM", "%m").replace("dd", "%d")


# --------------------------------------------------------------------------------------------------------------
# Expressions as SQL text
# --------------------------------------------------------------------------------------------------------------
# The steps below build their wide, per-variable expressions as Spark SQL text and apply each step as one projection
# (`with_sql`): one py4j call per column, where the Column API made one or more per function, operator and literal
# (about 9,400 calls per run before; docs/PERFORMANCE.md section 2, round h15g). The text is parsed by Spark's own SQL
# parser into the same expressions. String literals rely on Spark's default unescaping of backslashes
# (`spark.sql.parser.escapedStringLiterals` false: `configure_session` pins it).


def sql_str(text: str) -> str:
    """A SQL string literal holding `text` exactly. `$` is written as the escape `\\u0024`: Spark substitutes
    `${name}` in SQL text before parsing it (`spark.sql.variable.substitute`), even inside a string literal, so a
    city name or a path holding `${...}` would otherwise change."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'").replace("$", "\\u0024") + "'"


def sql_double(number: float) -> str:
    """A SQL double literal of `number` (the same double: Python's shortest repr reads back exactly)."""
    value = float(number)
    if value != value or value in (float("inf"), float("-inf")):
        raise ContractError(f"not a finite number: {number!r}")
    return f"({repr(value).upper()}D)"


def sql_name(name: str) -> str:
    """A column name, quoted."""
    return "`" + name.replace("`", "``") + "`"


def sql_type(glue_type: str) -> str:
    """The Spark SQL name of a contract (Glue / Hive) data type."""
    return spark_type(glue_type).simpleString()


def sql_when(*branches: Tuple[str, str], otherwise: Optional[str] = None) -> str:
    """`CASE WHEN c1 THEN v1 ... [ELSE otherwise] END` of (condition, value) pairs."""
    text = "CASE " + " ".join(f"WHEN {cond} THEN {value}" for cond, value in branches)
    return text + (f" ELSE {otherwise}" if otherwise is not None else "") + " END"


def with_sql(frame: DataFrame, columns: Dict[str, str], drop: Sequence[str] = ()) -> DataFrame:
    """`frame.withColumns` for SQL text: each (name, expression) replaces the column of that name in place or is added
    at the end, `drop` names columns left out; one projection."""
    present = frame.columns
    out = [f"{columns[c]} AS {sql_name(c)}" if c in columns else sql_name(c) for c in present if c not in drop]
    out += [f"{text} AS {sql_name(name)}" for name, text in columns.items() if name not in present]
    return frame.selectExpr(*out)


# --------------------------------------------------------------------------------------------------------------
# Pure steps: DataFrame in, DataFrame out
# --------------------------------------------------------------------------------------------------------------

def _strip_scheme(text: str) -> str:
    return re.sub(URI_SCHEME_PREFIX, "", text)


def with_landing_key(files: DataFrame, landing_root: str, contract: Dict[str, Any]) -> DataFrame:
    """Adds `source_key` (key relative to the landing root) and what the contract's key layout says about it.

    In: `path`, … (a `binaryFile` frame). Adds `source_key`, `key_valid`, `source`, `ingest_date`, `city`, `batch_id`
    (group numbers from `landing.rawKeyGroups`; a document without them has one source, the contract's `source`).
    """
    root = _strip_scheme(landing_root).rstrip("/") + "/"
    path = f"regexp_replace(path, {sql_str(URI_SCHEME_PREFIX)}, '')"
    key = sql_when((f"startswith({path}, {sql_str(root)})", f"substring({path}, {len(root) + 1}, {1 << 30})"),
                   otherwise="path")
    pattern = sql_str(contract["landing"]["rawKeyPattern"])
    groups = contract["landing"].get("rawKeyGroups", LEGACY_RAW_KEY_GROUPS)
    group = lambda name: sql_when(("key_valid", f"regexp_extract(source_key, {pattern}, {int(groups[name])})"))  # noqa: E731
    source = group("source") if "source" in groups else sql_when(("key_valid", sql_str(contract["source"])))
    keyed = with_sql(with_sql(files, {"source_key": key}), {"key_valid": f"source_key RLIKE {pattern}"})
    return with_sql(keyed, {"source": source, "ingest_date": group("ingestDate"), "city": group("city"),
                            "batch_id": group("batchId")})


# Manifest entries and configured cities up to this many are looked up in a literal map (an expression Spark folds
# once, no join and no broadcast job); a map lookup scans its keys, so more entries are joined (broadcast) instead.
LOOKUP_MAP_MAX_ENTRIES = 1000
_ENTRY_TYPE = "map<string,struct<city_name:string,fetched_at:string>>"
_CITY_TYPE = "map<string,struct<name:string>>"


def _lookup_map(entries: Dict[str, Dict[str, Any]], map_type: str) -> str:
    """A literal map (SQL: JSON text read with `from_json`, which the optimizer folds into a constant)."""
    return f"from_json({sql_str(json.dumps(entries, ensure_ascii=False, sort_keys=True))}, {sql_str(map_type)})"


def with_provenance(files: DataFrame, manifest_entries: Any, cities: Any) -> DataFrame:
    """Adds `city_name`, `fetched_at` and `city_configured`.

    Name: manifest entry, else configured city, else slug. Fetch time: manifest entry, else the object's
    modification time. `city_configured`: whether the key's city is one of `cities` (null without `cities`).
    `manifest_entries` is a frame with `source_key`, `entry_city_name`, `entry_fetched_at` (timestamp) or a dict
    `{source_key: (city name, fetched-at text)}` (`manifest_entries_of`); `cities` a frame with `city`,
    `configured_name` or a dict `{city: name}` (`configured_cities`). Dicts of at most `LOOKUP_MAP_MAX_ENTRIES`
    are looked up in a literal map, larger ones and frames joined (broadcast).
    """
    spark = files.sparkSession
    if isinstance(manifest_entries, dict) and len(manifest_entries) > LOOKUP_MAP_MAX_ENTRIES:
        manifest_entries = spark.createDataFrame(
            [(k, n, f) for k, (n, f) in manifest_entries.items()],
            "source_key string, entry_city_name string, entry_fetched_at_text string").selectExpr(
            "source_key", "entry_city_name", "try_cast(entry_fetched_at_text AS timestamp) AS entry_fetched_at")
    if isinstance(cities, dict) and len(cities) > LOOKUP_MAP_MAX_ENTRIES:
        cities = spark.createDataFrame(list(cities.items()), "city string, configured_name string")
    out = files
    if isinstance(manifest_entries, dict):
        entry = _lookup_map({k: {"city_name": n, "fetched_at": f} for k, (n, f) in manifest_entries.items()},
                            _ENTRY_TYPE) + "[source_key]"
        out = with_sql(out, {"entry_city_name": f"{entry}.city_name", "_entry_fetched_at_text": f"{entry}.fetched_at"})
        out = with_sql(out, {"entry_fetched_at": "try_cast(_entry_fetched_at_text AS timestamp)"},
                       drop=("_entry_fetched_at_text",))
    elif manifest_entries is not None:
        out = out.join(F.broadcast(manifest_entries), "source_key", "left")
    else:
        out = with_sql(out, {"entry_city_name": "CAST(NULL AS string)", "entry_fetched_at": "CAST(NULL AS timestamp)"})
    if isinstance(cities, dict):
        configured = _lookup_map({city: {"name": name} for city, name in cities.items()}, _CITY_TYPE) + "[city]"
        out = with_sql(out, {"configured_name": f"{configured}.name",
                             "city_configured": f"coalesce({configured} IS NOT NULL, false)"})
    elif cities is not None:
        out = out.join(F.broadcast(cities.withColumn("_configured", F.lit(True))), "city", "left") \
            .withColumn("city_configured", F.coalesce(F.col("_configured"), F.lit(False))).drop("_configured")
    else:
        out = with_sql(out, {"configured_name": "CAST(NULL AS string)", "city_configured": "CAST(NULL AS boolean)"})
    return with_sql(out, {"city_name": "coalesce(entry_city_name, configured_name, city)",
                          "fetched_at": "coalesce(entry_fetched_at, CAST(modificationTime AS timestamp))"},
                    drop=("entry_city_name", "entry_fetched_at", "configured_name"))


def body_checks(contract: Dict[str, Any]) -> List[Tuple[str, str, str]]:
    """The checks every raw body gets first, whatever its source, as (condition, reason, detail) in SQL: a key the
    contract accepts, a body that is not blank, a complete JSON object (`_obj`)."""
    return [
        ("NOT key_valid", INVALID_KEY,
         f"format_string('key does not match %s', {sql_str(contract['landing']['rawKeyPattern'])})"),
        (f"body RLIKE {sql_str(BLANK_BODY)}", EMPTY_FILE, "format_string('%d bytes, no JSON', length)"),
        ("_obj IS NULL", MALFORMED_JSON, sql_str("body is not a complete JSON object (truncated or invalid)")),
    ]


def first_failing_check(checks: List[Tuple[str, str, str]]) -> Dict[str, str]:
    """`file_reason` and `file_detail` (SQL): the reason and detail of the first (condition, reason, detail) check
    whose condition holds, null when none does."""
    return {"file_reason": sql_when(*[(cond, sql_str(reason)) for cond, reason, _ in checks]),
            "file_detail": sql_when(*[(cond, detail) for cond, _, detail in checks])}


def parse_bodies(files: DataFrame, contract: Dict[str, Any]) -> DataFrame:
    """Parses each raw body with Spark's JSON reader and decides whether the file as a whole is usable.

    Adds `body`, the response fields, `_time` (array of the raw time values), per contract variable
    `_arr_<column>` (its raw values as strings) and `_unit_<column>`, `hours` (length of `time`), and
    `file_reason` / `file_detail` (null when the file is usable). Variables outside the contract are ignored.
    """
    variables = contract["variables"]
    body = f"regexp_replace(decode(content, 'UTF-8'), {sql_str(LEADING_BOM)}, '')"
    # Every JSON object parses as map<string,string>: nested values come back as JSON text, numbers as text.
    # One projection per stage (not one withColumn per column): plan analysis stays cheap.
    df = with_sql(with_sql(files, {"body": body}), {"_obj": "from_json(body, 'map<string,string>')"})
    df = with_sql(df, {
        "_hourly": "from_json(_obj['hourly'], 'map<string,string>')",
        "_units": "from_json(_obj['hourly_units'], 'map<string,string>')",
        "latitude": "try_cast(_obj['latitude'] AS double)",
        "longitude": "try_cast(_obj['longitude'] AS double)",
        "elevation": "try_cast(_obj['elevation'] AS double)",
        "utc_offset_seconds": "coalesce(try_cast(_obj['utc_offset_seconds'] AS bigint), 0)",
    })
    per_variable: Dict[str, str] = {"_time": "from_json(_hourly['time'], 'array<string>')"}
    for v in variables:
        api = sql_str(v["apiName"])
        per_variable[f"_present_{v['column']}"] = f"_hourly[{api}] IS NOT NULL"
        per_variable[f"_arr_{v['column']}"] = f"from_json(_hourly[{api}], 'array<string>')"
        per_variable[f"_unit_{v['column']}"] = f"_units[{api}]"
    df = with_sql(with_sql(df, per_variable), {"hours": "size(_time)"})

    def variable_problems(problem: callable) -> str:
        """Semicolon-joined problem texts of the present variables (empty when none)."""
        return f"concat_ws('; ', {', '.join(problem(v) for v in variables)})"

    def length_problem(v: Dict[str, Any]) -> str:
        arr, present = sql_name(f"_arr_{v['column']}"), sql_name(f"_present_{v['column']}")
        return sql_when((
            f"{present} AND ({arr} IS NULL OR size({arr}) != hours)",
            f"format_string('%s has %s values, time has %d', {sql_str(v['apiName'])}, "
            f"{sql_when((f'{arr} IS NULL', sql_str('no array of')), otherwise=f'CAST(size({arr}) AS string)')}, hours)"))

    def unit_problem(v: Dict[str, Any]) -> str:
        labels = [u["label"] for u in v["acceptedUnits"]]
        unit, present = sql_name(f"_unit_{v['column']}"), sql_name(f"_present_{v['column']}")
        return sql_when((
            f"{present} AND ({unit} IS NULL OR NOT {unit} IN ({', '.join(sql_str(label) for label in labels)}))",
            f"format_string('%s unit %s not in %s', {sql_str(v['apiName'])}, "
            f"coalesce(concat({sql_str(chr(39))}, {unit}, {sql_str(chr(39))}), '(no label)'), "
            f"{sql_str(json.dumps(labels, ensure_ascii=False))})"))

    reason_detail = body_checks(contract) + [
        ("lower(_obj['error']) = 'true'", API_ERROR, "coalesce(_obj['reason'], 'error body without a reason')"),
        ("_hourly IS NULL", MISSING_HOURLY, sql_str("no hourly object")),
        ("_time IS NULL OR hours <= 0", MISSING_HOURLY, sql_str("hourly block has no time values")),
        ("_length_problems != ''", LENGTH_MISMATCH, "_length_problems"),
        ("_unit_problems != ''", UNKNOWN_UNIT, "_unit_problems"),
    ]
    checked = with_sql(df, {"_length_problems": variable_problems(length_problem),
                            "_unit_problems": variable_problems(unit_problem)})
    return with_sql(checked, first_failing_check(reason_detail), drop=("_length_problems", "_unit_problems"))


def file_quarantine(parsed: DataFrame) -> DataFrame:
    """One quarantine record per unusable file, keeping the start of its body as the raw values."""
    return parsed.where("file_reason IS NOT NULL").selectExpr(
        "file_reason AS reason", "file_detail AS detail", "source_key", "city", "city_name",
        "CAST(NULL AS string) AS observed_at_raw", f"substring(body, 1, {RAW_EXCERPT_CHARS}) AS raw_values",
        "fetched_at", "ingest_date")


def explode_hours(parsed: DataFrame, contract: Dict[str, Any]) -> DataFrame:
    """One row per hour of each usable file: `_pos`, `observed_at_raw` and `_raw_<column>` (string) per variable
    and per extra hour value (`_hour_extras`: null unless the source's parser fills it)."""
    cols = _var_cols(contract)
    arrays = cols + _hour_extras(contract)
    keep = ["source_key", "source", "city", "city_name", "city_configured", "fetched_at", "ingest_date", "latitude",
            "longitude", "elevation", "utc_offset_seconds"]
    # A parser that does not fill a column leaves it out (`parse_bodies` knows only Open-Meteo's variables): null.
    present = set(parsed.columns)
    arr = lambda c: sql_name(f"_arr_{c}") if f"_arr_{c}" in present else "CAST(NULL AS array<string>)"  # noqa: E731
    unit = lambda c: sql_name(f"_unit_{c}") if f"_unit_{c}" in present else "CAST(NULL AS string)"  # noqa: E731
    exploded = parsed.where("file_reason IS NULL").selectExpr(
        *keep,
        *[f"{arr(c)} AS {sql_name(f'_arr_{c}')}" for c in arrays],
        *[f"{unit(c)} AS {sql_name(f'_unit_{c}')}" for c in cols],
        f"posexplode(_time) AS ({_POS}, observed_at_raw)",
    )
    return exploded.selectExpr(
        *keep, _POS, "observed_at_raw",
        *[sql_name(f"_unit_{c}") for c in cols],
        *[f"try_element_at({sql_name(f'_arr_{c}')}, {_POS} + 1) AS {sql_name(f'_raw_{c}')}" for c in arrays],
    )


def _sources_of_format(contract: Dict[str, Any], response_format: str) -> List[Dict[str, Any]]:
    return [s for s in contract.get("sources", []) if s["responseFormat"] == response_format]


def parse_sources(files: DataFrame, contract: Dict[str, Any]) -> DataFrame:
    """Parses every raw body with its source's parser into one frame of the same shape (`parse_bodies`' columns:
    `_time`, `_arr_<column>` / `_unit_<column>` per variable in contract labels, `hours`, `file_reason`, …).

    Files of a MET Norway source go to `parse_met_norway`; every other file (Open-Meteo's, and those whose key is
    invalid) to `parse_bodies`. Columns one parser does not fill are null (or absent: `explode_hours` reads them as null).
    """
    met_sources = _sources_of_format(contract, MET_NORWAY_FORMAT)
    met_ids = [s["id"] for s in met_sources]
    is_met = F.coalesce(F.col("source").isin(met_ids), F.lit(False)) if met_ids else F.lit(False)
    parsed = parse_bodies(files.where(~is_met), contract)
    for source in met_sources:
        parsed = parsed.unionByName(
            parse_met_norway(files.where(F.col("source") == source["id"]), contract, source), allowMissingColumns=True)
    return parsed


def _step_values(steps: str, dotted_path: str) -> Column:
    """The value at `dotted_path` of each time step (JSON text) of the array column `steps`, as strings."""
    path = "$." + dotted_path
    return F.transform(steps, lambda step: F.get_json_object(step, path))


def parse_met_norway(files: DataFrame, contract: Dict[str, Any], source: Dict[str, Any]) -> DataFrame:
    """Parses MET Norway Locationforecast 2.0 bodies (a GeoJSON feature whose `properties.timeseries` is a list of
    time steps) into `parse_bodies`' shape: one array per mapped column, in step order, with the contract's unit label.

    `source` is the contract's definition of the source: `fields` (column, path in a time step, unit key and label
    translation) and `symbolCodes` (symbol → WMO code). `weather_code` is the WMO code of the step's symbol (null for
    a symbol without one, or none); `_arr_symbol_code` keeps the symbol as sent, `_arr__step` the step's JSON text
    (the raw values of a quarantined hour) and `_arr__instant_missing` whether the step lacks `data.instant.details`.
    """
    known = {v["column"]: v for v in _all_variables(contract)}
    fields = {f["column"]: f for f in source["fields"]}
    unknown = [c for c in fields if c not in known and c != SYMBOL_CODE]
    if unknown:
        raise ContractError(f"source {source['id']!r} maps fields to columns that are no variables: {unknown}")
    body = F.regexp_replace(F.decode(F.col("content"), "UTF-8"), "^\uFEFF", "")
    df = files.withColumn("body", body).withColumn("_obj", F.from_json("body", "map<string,string>"))
    df = df.withColumns({
        "_steps": F.from_json(F.get_json_object("body", "$.properties.timeseries"), "array<string>"),
        "_units": F.from_json(F.get_json_object("body", "$.properties.meta.units"), "map<string,string>"),
        "_coords": F.from_json(F.get_json_object("body", "$.geometry.coordinates"), "array<double>"),
    })
    per_column: Dict[str, Column] = {
        "latitude": F.expr("try_element_at(_coords, 2)"),
        "longitude": F.expr("try_element_at(_coords, 1)"),
        "elevation": F.expr("try_element_at(_coords, 3)"),
        "utc_offset_seconds": F.lit(0).cast("bigint"),
        "_time": F.transform("_steps", lambda step: F.get_json_object(step, "$.time")),
        "_arr__step": F.col("_steps"),
        "_arr__instant_missing": F.transform(
            "_steps", lambda step: F.get_json_object(step, "$.data.instant.details").isNull().cast("string")),
        "hours": F.size("_steps"),
    }
    unit_problems: List[Column] = []
    for column, variable in known.items():
        field = fields.get(column)
        if field is None:  # the source has no such value (e.g. surface pressure): null, never pretended
            per_column[f"_arr_{column}"] = F.lit(None).cast("array<string>")
            per_column[f"_unit_{column}"] = F.lit(None).cast("string")
            continue
        values = _step_values("_steps", field["path"])
        per_column[f"_arr_{column}"] = values
        label = F.col("_units")[field["unitKey"]] if field.get("unitKey") else F.lit(None).cast("string")
        translated = None
        for pair in field.get("unitLabels") or [{"providerLabel": u["label"], "contractLabel": u["label"]}
                                                for u in variable["acceptedUnits"]]:
            step = (label == pair["providerLabel"], F.lit(pair["contractLabel"]))
            translated = F.when(*step) if translated is None else translated.when(*step)
        per_column[f"_unit_{column}"] = translated
        present = F.exists(values, lambda value: value.isNotNull())
        unit_problems.append(F.when(
            present & translated.isNull(),
            F.format_string("%s unit %s not in %s", F.lit(field["unitKey"]),
                            F.coalesce(F.concat(F.lit("'"), label, F.lit("'")), F.lit("(no label)")),
                            F.lit(json.dumps([p["providerLabel"] for p in field.get("unitLabels") or []],
                                             ensure_ascii=False)))))
    symbols = [s for s in source["symbolCodes"]]
    if SYMBOL_CODE in fields:
        symbol_values = _step_values("_steps", fields[SYMBOL_CODE]["path"])
        per_column[f"_arr_{SYMBOL_CODE}"] = symbol_values
        if "weather_code" in known and "weather_code" not in fields:
            mapped = [s for s in symbols if s.get("weatherCode") is not None]
            lookup = F.create_map(*[x for s in mapped for x in (F.lit(s["symbolCode"]), F.lit(str(int(s["weatherCode"]))))]) \
                if mapped else F.create_map().cast("map<string,string>")
            per_column["_arr_weather_code"] = F.transform(
                symbol_values, lambda symbol: F.element_at(lookup, F.regexp_replace(symbol, SYMBOL_SUFFIX, "")))
            per_column["_unit_weather_code"] = F.lit(known["weather_code"]["canonicalUnit"])
    df = df.withColumns(per_column)
    units = F.concat_ws("; ", *unit_problems) if unit_problems else F.lit("")
    reason_detail = body_checks(contract) + [
        ("_steps IS NULL OR hours <= 0", MISSING_HOURLY, sql_str("no properties.timeseries array with time steps")),
        ("_unit_problems != ''", UNKNOWN_UNIT, "_unit_problems"),
    ]
    return with_sql(df.withColumn("_unit_problems", units), first_failing_check(reason_detail),
                    drop=("_unit_problems", "_steps", "_coords"))


def normalize_units(hours: DataFrame, contract: Dict[str, Any]) -> DataFrame:
    """Adds `observed_at` (UTC) and every variable's column in its canonical unit (`value * scale + offset`).

    ISO times are local to the response (`utc_offset_seconds` is subtracted); unix seconds are already UTC.
    Values stay doubles here so the range check sees what conversion produced.
    """
    local_epoch = "unix_timestamp(try_cast(observed_at_raw AS timestamp))"
    converted: Dict[str, str] = {"observed_at": sql_when(
        (f"observed_at_raw RLIKE {sql_str(UNIX_SECONDS)}", "timestamp_seconds(try_cast(observed_at_raw AS bigint))"),
        (f"observed_at_raw RLIKE {sql_str(ISO_LOCAL_TIME)}", f"timestamp_seconds({local_epoch} - utc_offset_seconds)"))}
    for v in _all_variables(contract):
        unit, number = sql_name(f"_unit_{v['column']}"), f"try_cast({sql_name('_raw_' + v['column'])} AS double)"
        converted[v["column"]] = sql_when(*[
            (f"{unit} = {sql_str(accepted['label'])}",
             f"{number} * {sql_double(accepted['scale'])} + {sql_double(accepted['offset'])}")
            for accepted in v["acceptedUnits"]])
    return with_sql(hours, converted)


def normalize_source_times(normalized: DataFrame, contract: Dict[str, Any]) -> DataFrame:
    """`observed_at` of MET Norway hours: their time is UTC with a `Z` (`2026-05-07T06:00:00Z`); any other text is
    unparsable (null), never read as local time."""
    met_ids = [s["id"] for s in _sources_of_format(contract, MET_NORWAY_FORMAT)]
    if not met_ids:
        return normalized
    raw = F.col("observed_at_raw")
    met_time = F.when(raw.rlike(MET_TIME), F.to_timestamp(F.regexp_replace(raw, "Z$", ""), "yyyy-MM-dd'T'HH:mm:ss"))
    return normalized.withColumn(
        "observed_at", F.when(F.col("source").isin(met_ids), met_time).otherwise(F.col("observed_at")))


def validate_hours(normalized: DataFrame, contract: Dict[str, Any]) -> DataFrame:
    """Adds `row_reason` / `row_detail` (null for a good hour).

    Order: CITY_NOT_CONFIGURED (`city_configured` is false: the key's city is not among the configured cities),
    then UNPARSABLE_TIME, then NO_MEASUREMENT (every variable null), then OUT_OF_RANGE (any value outside its range
    after conversion, not a number, or a fractional value of a whole-number variable such as the WMO code).
    A single null variable is fine.
    """
    variables = _all_variables(contract)

    def bad_value(v: Dict[str, Any]) -> str:
        raw, value, name = sql_name(f"_raw_{v['column']}"), sql_name(v["column"]), sql_str(v["column"])
        not_a_number = f"{raw} IS NOT NULL AND ({value} IS NULL OR isnan({value}))"
        outside = f"{value} IS NOT NULL AND ({value} < {sql_double(v['minimum'])} OR {value} > {sql_double(v['maximum'])})"
        branches = [(f"({not_a_number}) OR ({outside})",
                     f"format_string('%s=%s outside [%s, %s]', {name}, "
                     f"coalesce(CAST({value} AS string), to_json(array({raw}))), "
                     f"{sql_str(_num_text(v['minimum']))}, {sql_str(_num_text(v['maximum']))})")]
        if v["dataType"] in INTEGRAL_TYPES:  # the cast to the contract's type would truncate 61.7 to 61
            branches.append((f"{value} != floor({value})",
                             f"format_string('%s=%s is not a whole number', {name}, CAST({value} AS string))"))
        return sql_when(*branches)

    out_of_range = f"concat_ws('; ', {', '.join(bad_value(v) for v in variables)})"
    no_measurement = f"coalesce({', '.join(sql_name('_raw_' + v['column']) for v in variables)}) IS NULL"
    not_configured = "city_configured = false"
    unparsable = "observed_at IS NULL"
    reason = sql_when((not_configured, sql_str(CITY_NOT_CONFIGURED)), (unparsable, sql_str(UNPARSABLE_TIME)),
                      (no_measurement, sql_str(NO_MEASUREMENT)), (f"{out_of_range} != ''", sql_str(OUT_OF_RANGE)))
    detail = sql_when(
        (not_configured, "format_string('city %s is not one of the configured cities (--cities_json)', city)"),
        (unparsable, "format_string('time %s is neither ISO 8601 nor unix seconds', to_json(array(observed_at_raw)))"),
        (no_measurement, sql_str("every weather variable is null")),
        (f"{out_of_range} != ''", out_of_range))
    return with_sql(normalized, {"row_reason": reason, "row_detail": detail})


def validate_source_hours(validated: DataFrame, contract: Dict[str, Any]) -> DataFrame:
    """MET Norway's own hour checks, on `validate_hours`' result: after CITY_NOT_CONFIGURED and UNPARSABLE_TIME and
    before the others, MISSING_INSTANT_DETAILS (the step has no `data.instant.details`), then UNKNOWN_SYMBOL_CODE (a
    symbol code, suffix removed, that the source's `symbolCodes` does not list)."""
    met_sources = _sources_of_format(contract, MET_NORWAY_FORMAT)
    if not met_sources:
        return validated
    first = F.col("row_reason").isin(CITY_NOT_CONFIGURED, UNPARSABLE_TIME)
    reason, detail = F.col("row_reason"), F.col("row_detail")
    for source in met_sources:
        of_source = F.col("source") == source["id"]
        missing = of_source & (F.col("_raw__instant_missing") == "true")
        symbol = F.col(f"_raw_{SYMBOL_CODE}") if _has_symbol_code(contract) else F.lit(None).cast("string")
        base = F.regexp_replace(symbol, SYMBOL_SUFFIX, "")
        known = [s["symbolCode"] for s in source["symbolCodes"]]
        unknown = of_source & symbol.isNotNull() & ~base.isin(known)
        reason = F.when(first, reason).when(missing, F.lit(MISSING_INSTANT_DETAILS)) \
            .when(unknown, F.lit(UNKNOWN_SYMBOL_CODE)).otherwise(reason)
        detail = F.when(first, detail).when(missing, F.lit("time step has no data.instant.details")) \
            .when(unknown, F.format_string("symbol code %s is not in the %s mapping table", F.to_json(F.array(symbol)),
                                           F.lit(source["id"]))).otherwise(detail)
    return validated.withColumns({"row_reason": reason, "row_detail": detail})


def row_quarantine(validated: DataFrame, contract: Dict[str, Any]) -> DataFrame:
    """One quarantine record per rejected hour; `raw_values` holds the hour as the API sent it, with units."""
    variables = contract["variables"]
    fields = ", ".join(f"{sql_str(v['apiName'])}, {sql_name('_raw_' + v['column'])}" for v in variables)
    units = ", ".join(f"{sql_str(v['apiName'])}, {sql_name('_unit_' + v['column'])}" for v in variables)
    raw = (f"named_struct('time', observed_at_raw, {fields}, 'units', named_struct({units}), "
           f"'utc_offset_seconds', utc_offset_seconds)")
    # A time step of a source whose hours are objects (MET Norway) is kept as sent.
    step = "_raw__step" if "_raw__step" in validated.columns else "CAST(NULL AS string)"
    return validated.where("row_reason IS NOT NULL").selectExpr(
        "row_reason AS reason", "row_detail AS detail", "source_key", "city", "city_name", "observed_at_raw",
        f"coalesce({step}, to_json({raw}, map('ignoreNullFields', 'false'))) AS raw_values",
        "fetched_at", "ingest_date")


def to_refined(validated: DataFrame, contract: Dict[str, Any], run_id: str, processed_at: datetime) -> DataFrame:
    """The good hours with exactly the contract's hourly columns and types, then the partition columns.

    The layout is the contract's: `date` (UTC day) and `city` as partition keys, or, with monthly partitions,
    `month` and `city` as partition keys and `date` as a column. Keeps `_pos` (hour index) for the deterministic
    tie-break of `latest_per_hour`.
    """
    refined = contract["refined"]
    day = f"date_format(observed_at, {sql_str(refined['dateFormat'])})"
    known: Dict[str, str] = {name: name for name in (
        "city_name", "latitude", "longitude", "elevation", "observed_at", "fetched_at", "source_key", "source")}
    known.update({
        "is_forecast": "observed_at > fetched_at",
        "processed_at": _timestamp_literal(processed_at),
        "run_id": sql_str(run_id),
        SYMBOL_CODE: f"_raw_{SYMBOL_CODE}" if f"_raw_{SYMBOL_CODE}" in validated.columns else "NULL",
        "date": day,
    })
    known.update({c: sql_name(c) for c in _var_cols(contract)})
    partition_values = {"date": day, "city": "city"}
    if "monthFormat" in refined:
        partition_values[_MONTH_KEY] = f"date_format(observed_at, {sql_str(refined['monthFormat'])})"
    selected = [_contract_column(known, c, "hourlyColumns") for c in refined["hourlyColumns"]]
    selected += [_partition_column(partition_values, key) for key in refined["partitionKeys"]]
    return validated.where("row_reason IS NULL").selectExpr(*selected, _POS)


def to_quarantine(records: DataFrame, contract: Dict[str, Any], run_id: str, processed_at: datetime) -> DataFrame:
    """Quarantine records with exactly the contract's quarantine columns, partitioned by the ingestion date
    from the key (the processing date when the key could not be read)."""
    refined = contract["refined"]
    processing_date = processed_at.strftime(_java_date_to_python(refined["dateFormat"]))
    known: Dict[str, str] = {name: name for name in (
        "reason", "detail", "source_key", "city", "city_name", "observed_at_raw", "raw_values", "fetched_at")}
    known["run_id"] = sql_str(run_id)
    known["quarantined_at"] = _timestamp_literal(processed_at)
    partition_values = {"date": f"coalesce(ingest_date, {sql_str(processing_date)})"}
    selected = [_contract_column(known, c, "quarantineColumns") for c in refined["quarantineColumns"]]
    selected += [_partition_column(partition_values, key) for key in refined["quarantinePartitionKeys"]]
    return records.selectExpr(*selected)


def latest_per_hour(batch: DataFrame, existing: Optional[DataFrame]) -> DataFrame:
    """Ranks every version of a (source, city, observed_at) hour; `_rank == 1` is the one the lake keeps.

    Latest `fetched_at` wins; ties go to the greater `source_key`, then to this batch's row over the lake's,
    then to the later position in the response. Adds `_origin` (1 = batch) and `_rank`.
    """
    rows = with_sql(batch, {_ORIGIN: "1"})
    if existing is not None:
        rows = rows.unionByName(with_sql(existing, {_POS: "CAST(NULL AS int)", _ORIGIN: "0"}))
    order = (f"PARTITION BY source, city, observed_at ORDER BY fetched_at DESC NULLS LAST, "
             f"source_key DESC NULLS LAST, {_ORIGIN} DESC, {_POS} DESC NULLS LAST")
    return with_sql(rows, {_RANK: f"row_number() OVER ({order})"})


# --------------------------------------------------------------------------------------------------------------
# Staging zone and curated daily layer (issue #18)
# --------------------------------------------------------------------------------------------------------------

# `source=<name>/` in a landing key: the weather source of the fetch.
SOURCE_IN_KEY = r"(?:^|/)source=([^/]+)/"
# Internal partition column of the staging write: the batch, which names the file and is not a table column.
_STAGED_BATCH = "staged_batch"
# The partition key of the monthly layout (the contract's `monthFormat`): the name `to_refined` and `daily_from_hourly`
# give it in their partition values, and the hourly write tests for.
_MONTH_KEY = "month"


def source_of_key(source_key: str) -> str:
    """The `source=` value of a landing key (SQL of the key's column or expression; null when the key has none)."""
    value = f"regexp_extract({source_key}, {sql_str(SOURCE_IN_KEY)}, 1)"
    return sql_when((f"{value} != ''", value))


def staging_schema(contract: Dict[str, Any]) -> T.StructType:
    refined = contract["refined"]
    return table_schema(refined["stagingColumns"], refined["stagingPartitionKeys"])


def daily_schema(contract: Dict[str, Any]) -> T.StructType:
    refined = contract["refined"]
    return table_schema(refined["dailyColumns"], refined["dailyPartitionKeys"])


def to_staging(validated: DataFrame, contract: Dict[str, Any], run_id: str, processed_at: datetime) -> DataFrame:
    """Every good hour of every fetch, with the contract's staging columns, then its partition columns, then
    `staged_batch` (the batch id, which names the file the rows go to).

    `lead_time_hours` is `observed_at - fetched_at` in hours (fractional when the fetch was not on the hour): positive
    for a forecast hour, zero or negative for an hour that had begun or passed when the response was fetched (the
    API's past hours, which are observations). Nothing is ranked or dropped here: two fetches of an hour are both kept.
    """
    refined = contract["refined"]
    pattern = sql_str(contract["landing"]["rawKeyPattern"])
    group = int(contract["landing"].get("rawKeyGroups", LEGACY_RAW_KEY_GROUPS)["batchId"])
    batch_id = f"regexp_extract(source_key, {pattern}, {group})"
    known: Dict[str, str] = {name: name for name in (
        "city_name", "latitude", "longitude", "elevation", "observed_at", "fetched_at", "source_key")}
    known.update({
        "source": source_of_key("source_key"),
        "is_forecast": "observed_at > fetched_at",
        "lead_time_hours": f"(CAST(observed_at AS double) - CAST(fetched_at AS double)) / {sql_double(3600.0)}",
        "processed_at": _timestamp_literal(processed_at),
        "run_id": sql_str(run_id),
        "batch_id": batch_id,
        SYMBOL_CODE: f"_raw_{SYMBOL_CODE}" if f"_raw_{SYMBOL_CODE}" in validated.columns else "NULL",
    })
    known.update({c: sql_name(c) for c in _var_cols(contract)})
    partition_values = {"ingest_date": "ingest_date", "city": "city"}
    selected = [_contract_column(known, c, "stagingColumns") for c in refined["stagingColumns"]]
    selected += [_partition_column(partition_values, key) for key in refined["stagingPartitionKeys"]]
    return validated.where("row_reason IS NULL").selectExpr(*selected, f"{batch_id} AS {_STAGED_BATCH}")


def daily_from_hourly(hourly: DataFrame, contract: Dict[str, Any], run_id: str, processed_at: datetime) -> DataFrame:
    """One row per (source, city, UTC day) of refined hourly rows: the contract's daily columns, then its partition
    columns.

    Temperatures, precipitation and wind aggregate the values present (nulls ignored; a day without any value gets
    null); `hours_present` counts hourly rows; a day is complete with 24 of them; `dominant_weather_code` is the most
    frequent code of the day, the highest code on a tie (the more severe weather), null when no hour has one. The
    source is the hourly row's `source` column when the table has one, else the `source=` of its landing key.
    """
    refined = contract["refined"]
    source = "source" if "source" in hourly.columns else source_of_key("source_key")
    rows = hourly.selectExpr(f"{source} AS source", "city", "city_name", "date AS _day", "observed_at",
                             "temperature_c", "precipitation_mm", "wind_speed_kmh", "weather_code", "is_forecast")
    group = ["source", "city", "_day"]
    stats = rows.groupBy(*group).agg(*[F.expr(text) for text in (
        "max(city_name) AS city_name",
        "min(temperature_c) AS temperature_min_c",
        "max(temperature_c) AS temperature_max_c",
        f"{_ordered_sum('temperature_c', mean=True)} AS temperature_mean_c",
        f"{_ordered_sum('precipitation_mm')} AS precipitation_sum_mm",
        "max(wind_speed_kmh) AS wind_speed_max_kmh",
        "count(1) AS hours_present",
        "max(CAST(is_forecast AS int)) AS _forecast_hours",
        "collect_list(weather_code) AS _codes",  # the codes present (collect_list leaves nulls out)
    )])
    # The most frequent code, the highest on a tie: the greatest (count, code) of the day's distinct codes; null when
    # the day has none. In the same aggregation, not a second one joined back to it (one pass, no join: and Spark 3.5
    # could not analyse that self-join over the windows `run` puts above it, "Conflicting attributes").
    daily = with_sql(stats, {"dominant_weather_code": "array_max(transform(array_distinct(_codes), "
                                                      "c -> named_struct('_n', size(filter(_codes, x -> x = c)), "
                                                      "'weather_code', c))).weather_code"})
    day = f"to_date(_day, {sql_str(refined['dateFormat'])})"
    known: Dict[str, str] = {name: name for name in (
        "source", "city_name", "temperature_min_c", "temperature_max_c", "temperature_mean_c", "precipitation_sum_mm",
        "wind_speed_max_kmh", "dominant_weather_code", "hours_present")}
    known.update({
        "day": day,
        "is_complete": "hours_present = 24",
        "has_forecast_hours": "_forecast_hours = 1",
        "processed_at": _timestamp_literal(processed_at),
        "run_id": sql_str(run_id),
    })
    partition_values = {"date": "_day", "city": "city"}
    if "monthFormat" in refined:
        partition_values[_MONTH_KEY] = f"date_format({day}, {sql_str(refined['monthFormat'])})"
    selected = [_contract_column(known, c, "dailyColumns") for c in refined["dailyColumns"]]
    selected += [_partition_column(partition_values, key) for key in refined["dailyPartitionKeys"]]
    return daily.selectExpr(*selected)


def _ordered_sum(column: str, mean: bool = False) -> str:
    """Sum (or mean) of a group's non-null values added in ascending order: a floating-point sum depends on the order
    of its terms, and the order rows reach an aggregate is not fixed, so a plain `sum` can differ in its last bit
    from one run to the next (a rerun would not write the same bytes). Null when the group has no value. (SQL.)"""
    values = f"array_sort(collect_list({sql_name(column)}))"
    total = f"aggregate({values}, {sql_double(0.0)}, (acc, x) -> acc + x)"
    return sql_when((f"size({values}) > 0", f"{total} / size({values})" if mean else total))


def merge_daily(recomputed: DataFrame, existing: Optional[DataFrame], touched_days: DataFrame) -> DataFrame:
    """The daily rows of the partitions being rewritten: the recomputed days, plus the existing rows of days the run
    did not touch (with monthly partitions a partition holds a month of days). `touched_days` has `city`, `day`."""
    if existing is None:
        return recomputed
    kept = existing.join(F.broadcast(touched_days.select("city", "day").distinct()), ["city", "day"], "left_anti")
    return recomputed.unionByName(kept.select(*recomputed.columns))


def reconcile_staging(summary: Dict[str, Any], staged: int) -> Dict[str, Any]:
    """Adds `staged` to a run summary; the run reconciles only if every staged row was refined or superseded."""
    staging_reconciled = staged == summary["refined"] + summary["superseded"]
    return {**summary, "staged": staged, "staging_reconciled": staging_reconciled,
            "reconciled": bool(summary["reconciled"] and staging_reconciled)}


def with_default_source(existing: Optional[DataFrame], contract: Dict[str, Any]) -> Optional[DataFrame]:
    """Lake rows written before refined rows carried a source are the contract's first source's (Open-Meteo's)."""
    if existing is None or "source" not in existing.columns:
        return existing
    return existing.withColumn("source", F.coalesce(F.col("source"), F.lit(contract["source"])))


def merge_quarantine(batch: DataFrame, existing: Optional[DataFrame], replaced_keys: DataFrame) -> DataFrame:
    """The quarantine rows to keep: the batch's, plus earlier ones that did not come from the batch's source keys."""
    if existing is None:
        return batch
    kept = existing.join(F.broadcast(replaced_keys.select("source_key").distinct()), "source_key", "left_anti")
    return batch.unionByName(kept.select(*batch.columns))


def partition_outcomes(ranked: DataFrame, partition_keys: Sequence[str], date_format: str) -> DataFrame:
    """Per partition the ranked rows fall in: what this batch does to it.

    `refined` (batch rows that win their hour), `superseded` (batch rows that lose it), `replaced` (lake rows
    that lose their hour to a batch row: the lake's row count changes by `refined - replaced`), `batch_wins`
    (the partition is rewritten), `hourly_dates` (the UTC days of the winning batch rows) and `hourly_sources`
    (their weather sources).
    """
    batch, lake = f"{_ORIGIN} = 1", f"{_ORIGIN} = 0"
    wins, loses = f"{_RANK} = 1", f"{_RANK} > 1"
    # A lake row loses its hour only to a batch row (the lake holds one row per hour), so it is replaced exactly
    # when it is ranked below 1; counted only where a batch row wins, as only those partitions are rewritten.
    outcomes = ranked.groupBy(*partition_keys).agg(*[F.expr(text) for text in (
        f"count({sql_when((f'{batch} AND {wins}', '1'))}) AS refined",
        f"count({sql_when((f'{batch} AND {loses}', '1'))}) AS superseded",
        f"count({sql_when((f'{lake} AND {loses}', '1'))}) AS replaced",
        f"collect_set({sql_when((f'{batch} AND {wins}', f'date_format(observed_at, {sql_str(date_format)})'))}) "
        "AS hourly_dates",
        f"collect_set({sql_when((f'{batch} AND {wins}', 'source'))}) AS hourly_sources",
    )])
    return with_sql(outcomes, {"batch_wins": "refined > 0"})


def collect_tallies(frames: Dict[str, DataFrame]) -> Dict[str, List[Dict[str, Any]]]:
    """The rows of several small frames (counts, key lists) with one Spark job instead of one job per frame.

    Each frame's rows are tagged with its name and turned into JSON text, the frames are unioned and collected once;
    the result maps each name to its rows as dicts with every column of that frame (None where a value is null).
    """
    union = None
    columns = {name: frame.columns for name, frame in frames.items()}
    for name, frame in frames.items():
        tagged = frame.selectExpr(f"{sql_str(name)} AS _tally",
                                  f"to_json(struct({', '.join(sql_name(c) for c in columns[name])})) AS _row")
        union = tagged if union is None else union.unionByName(tagged)
    result: Dict[str, List[Dict[str, Any]]] = {name: [] for name in frames}
    if union is None:
        return result
    for row in union.collect():
        values = json.loads(row["_row"])
        result[row["_tally"]].append({column: values.get(column) for column in columns[row["_tally"]]})
    return result


def hourly_partitions_by_source(outcomes: Sequence[Any], partition_keys: Sequence[str], hourly_prefix: str) -> Dict[str, List[str]]:
    """Per weather source, the hourly partitions (paths as in the run summary's `partitions.hourly`, sorted) where a
    row of that source from this batch won its hour. `outcomes` are the collected rows of `partition_outcomes`."""
    by_source: Dict[str, List[str]] = {}
    for row in outcomes:
        path = join_uri(hourly_prefix, partition_path(partition_keys, [row[k] for k in partition_keys])) + "/"
        for source in row["hourly_sources"]:
            by_source.setdefault(source, []).append(path)
    return {source: sorted(paths) for source, paths in sorted(by_source.items())}


def file_counts(parsed: DataFrame) -> DataFrame:
    """One row: `files` (raw objects read) and `records` (hours of usable files plus one per unusable file)."""
    return parsed.agg(F.expr("count(1) AS files"),
                      F.expr("sum(CASE WHEN file_reason IS NULL THEN hours ELSE 1 END) AS records"))


def summarize(files: Any, outcomes: Sequence[Any], quarantine_counts: Sequence[Any]) -> Dict[str, Any]:
    """Counts of the run. `records_in` is computed from the inputs (hours of usable files plus one per unusable
    file), independently of the outcome counts, so that `reconciled` checks the pipeline. `files` is the row of
    `file_counts`; `outcomes` are the collected rows of `partition_outcomes`; `quarantine_counts` rows have
    `reason` and `n` (per reason and quarantine partition)."""
    by_reason: Dict[str, int] = {}
    for row in quarantine_counts:
        by_reason[row["reason"]] = by_reason.get(row["reason"], 0) + int(row["n"])
    refined = sum(int(row["refined"]) for row in outcomes)
    superseded = sum(int(row["superseded"]) for row in outcomes)
    replaced = sum(int(row["replaced"]) for row in outcomes if row["batch_wins"])
    quarantined = sum(by_reason.values())
    records_in = int(files["records"] or 0)
    return {
        "files_read": int(files["files"]),
        "records_in": records_in,
        "refined": refined,
        "quarantined": quarantined,
        "quarantined_by_reason": dict(sorted(by_reason.items())),
        "superseded": superseded,
        "replaced": replaced,
        "reconciled": records_in == refined + quarantined + superseded,
    }


# --------------------------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------------------------

def _num_text(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _timestamp_literal(moment: datetime) -> str:
    utc = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return f"CAST({sql_str(utc.strftime('%Y-%m-%d %H:%M:%S.%f'))} AS timestamp)"


def _contract_column(known: Dict[str, str], column: Dict[str, str], table: str) -> str:
    if column["name"] not in known:
        raise ContractError(f"contract {table} column {column['name']!r} is unknown to this script")
    return f"CAST({known[column['name']]} AS {sql_type(column['dataType'])}) AS {sql_name(column['name'])}"


def _partition_column(values: Dict[str, str], key: str) -> str:
    if key not in values:
        raise ContractError(f"contract partition key {key!r} is unknown to this script")
    return f"CAST({values[key]} AS string) AS {sql_name(key)}"


def join_uri(root: str, *parts: str) -> str:
    return "/".join([root.rstrip("/")] + [p.strip("/") for p in parts if p.strip("/")])


def parse_timestamp(text: str) -> datetime:
    """An ISO 8601 instant (naive means UTC) as an aware UTC datetime."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --------------------------------------------------------------------------------------------------------------
# I/O (entry point side)
# --------------------------------------------------------------------------------------------------------------

SHUFFLE_PARTITIONS = "spark.sql.shuffle.partitions"
ADAPTIVE = "spark.sql.adaptive.enabled"
SPARK_DEFAULT_SHUFFLE_PARTITIONS = "200"
SHUFFLE_PARTITIONS_PER_CORE = 2
FILE_OPEN_COST_BYTES = 64 * 1024


def shuffle_partitions(explicit: Optional[str], cores: int) -> str:
    """The shuffle partition count of a run: the explicitly configured one, else twice the cores (at least 2)."""
    if explicit is not None:
        return str(explicit)
    return str(max(2, SHUFFLE_PARTITIONS_PER_CORE * int(cores)))


# Settings the script chooses itself, per run (shuffle partitions, expression evaluation mode): what it set last is
# recorded in the session under this key, so that a later run in the same session recognises its own values (and
# sizes them to its own batch) and keeps any value someone else set (a Glue `--conf`, a value set on the session).
AUTO_SETTINGS = "weather_etl.autoSettings"
CODEGEN_FACTORY_MODE = "spark.sql.codegen.factoryMode"
# A batch of at most this many raw objects is small (one daily ingestion of up to 32 cities): every shuffle of it holds
# at most a few hundred rows, so one shuffle partition (one task per shuffle stage) instead of twice the cores.
# Measured at 3 files (the 3-city batch: docs/PERFORMANCE.md section 2, round h15e); the bound itself is a choice,
# not a measured crossover: larger batches write more files per layer, work that two or more tasks share.
SMALL_BATCH_MAX_FILES = 32
# Up to this many raw objects, expressions are evaluated interpreted instead of compiled to Java (Janino): compiling
# the projections, predicates and orderings of each query cost more CPU than it saved at 3 and 100 files (72 and
# 2,400 hourly rows) and less at 3,000 (72,000 rows), which keep Spark's default (generated code, interpreted
# fallback). Measured: docs/PERFORMANCE.md section 2, round h15e; between 100 and 3,000 files not measured.
INTERPRETED_MAX_FILES = 100


def _job_configured(spark: SparkSession, key: str) -> bool:
    """Whether the job's configuration (SparkConf: a Glue `--conf`, a session builder's setting) sets `key`.
    (The context's own configuration, one py4j call: `getConf()` copies every entry, two calls each.)"""
    return spark.sparkContext._conf.contains(key)  # noqa: SLF001


def _script_may_set(spark: SparkSession, key: str, default: str) -> bool:
    """Whether the script may choose `key`: the job's configuration does not set it (`_job_configured`), and the
    session holds Spark's default or the value the script itself set last."""
    if _job_configured(spark, key):
        return False
    current = spark.conf.get(key, default)
    return current == default or current == _auto_settings(spark).get(key)


def _auto_settings(spark: SparkSession) -> Dict[str, str]:
    return json.loads(spark.conf.get(AUTO_SETTINGS, "{}"))


def _set_auto(spark: SparkSession, values: Dict[str, str]) -> None:
    spark.conf.set(AUTO_SETTINGS, json.dumps({**_auto_settings(spark), **values}, sort_keys=True))
    for key, value in values.items():
        spark.conf.set(key, value)


def batch_settings(raw_files: int, shuffle_partitions_for_cores: str) -> Dict[str, str]:
    """The settings sized to a batch of `raw_files` raw objects: shuffle partitions (one for a small batch, else the
    count for the job's cores) and how expressions are evaluated (`NO_CODEGEN`: interpreted; `FALLBACK`: Spark's
    default, generated code with interpreted fallback)."""
    return {
        SHUFFLE_PARTITIONS: "1" if raw_files <= SMALL_BATCH_MAX_FILES else shuffle_partitions_for_cores,
        CODEGEN_FACTORY_MODE: "NO_CODEGEN" if raw_files <= INTERPRETED_MAX_FILES else "FALLBACK",
    }


def size_session_to_batch(spark: SparkSession, raw_files: int) -> Dict[str, str]:
    """Applies `batch_settings` to the session for each setting the script may choose (`_script_may_set`); returns
    the settings applied. Both settings change how Spark runs a query, never its result (tested: the same Parquet
    rows either way)."""
    cores = shuffle_partitions(None, spark.sparkContext.defaultParallelism)
    defaults = {SHUFFLE_PARTITIONS: SPARK_DEFAULT_SHUFFLE_PARTITIONS, CODEGEN_FACTORY_MODE: "FALLBACK"}
    chosen = {key: value for key, value in batch_settings(raw_files, cores).items()
              if _script_may_set(spark, key, defaults[key])}
    _set_auto(spark, chosen)
    return chosen


# A batch whose raw bodies add up to more than this keeps its lazy local checkpoints on disk only (`local_checkpoint`).
# In Spark's level (memory, then disk) a year of 100 cities (66 MB of bodies) did not fit the default 1 GiB driver:
# Spark gave up caching each block of the parsed checkpoint at 177 MiB of heap (the validated one's at up to 237 MiB)
# and wrote it to disk, and every later read of such a block tried to cache it again, holding that much of the heap
# while it tried. A task that needed memory meanwhile could fail: one run of the year at 1 GiB did
# (`SparkOutOfMemoryError`, on the `createDataFrame` path), and so did the one at a 640 MiB driver (`OutOfMemoryError`),
# where the year on disk completed. On disk, the year took 1.07-1.08x the time at 1 GiB (two repetitions, within the
# 170-215 s spread between runs of one script measured later) and 110-220 MiB less peak memory (docs/PERFORMANCE.md,
# section 2, "Checkpoints on disk"; and "Measured, not kept: the year's ranked checkpoint at Spark's level", which
# failed at 640 MiB). 100 x 30 (5.4 MB) stays in memory. A choice between those two sizes, not a measured crossover.
CHECKPOINT_ON_DISK_MIN_RAW_BYTES = 16 * 1024 * 1024


def checkpoint_on_disk(raw_files: Sequence[Tuple[str, int, int]]) -> bool:
    """Whether a batch of these raw objects (path, length, modification time) keeps its checkpoints on disk only."""
    return batch_raw_bytes(raw_files) > CHECKPOINT_ON_DISK_MIN_RAW_BYTES


# A SparkContext local property (Spark 3.5: `RDD.CHECKPOINT_ALL_MARKED_ANCESTORS`), read when an RDD is made.
CHECKPOINT_ALL_MARKED_ANCESTORS = "spark.checkpoint.checkpointAllMarkedAncestors"


def local_checkpoint(frame: DataFrame, on_disk: bool) -> DataFrame:
    """`frame.localCheckpoint(eager=False)`: the rows are kept by the first job that computes them, and later jobs read
    them instead of the plan. Spark keeps a local checkpoint's blocks in memory, and on disk when they do not fit; with
    `on_disk` (`checkpoint_on_disk`) on disk only, so that reading them never takes memory from the tasks (Spark 3.5's
    `localCheckpoint` takes no storage level: the checkpointed RDD's level is set, PySpark's private API, by
    `_private_api_or`; without it, Spark's level).

    The checkpointed RDD is made with `CHECKPOINT_ALL_MARKED_ANCESTORS` set (then the property is put back): a batch's
    checkpoints are a chain (parsed, validated, ranked) and the first job fills the first two, but Spark, walking up
    from a job's last RDD, truncates the lineage of the first marked RDD it meets only. Without the property the parsed
    checkpoint keeps its blocks and its lineage down to the driver's raw bodies, which every task of the next job that
    reads it carries again (the tallies job's stages; on Glue, sent to the executors again; docs/PERFORMANCE.md,
    section 2, "The parsed checkpoint's lineage cut by the first job")."""
    context = frame.sparkSession.sparkContext
    previous = context.getLocalProperty(CHECKPOINT_ALL_MARKED_ANCESTORS)
    context.setLocalProperty(CHECKPOINT_ALL_MARKED_ANCESTORS, "true")
    try:
        kept = frame.localCheckpoint(eager=False)
    finally:
        context.setLocalProperty(CHECKPOINT_ALL_MARKED_ANCESTORS, previous)
    if on_disk:
        def private() -> None:
            level = context._getJavaStorageLevel(StorageLevel.DISK_ONLY)  # noqa: SLF001
            # Dataset.localCheckpoint's plan is a LogicalRDD of the RDD it marked; persist() on a locally
            # checkpointed RDD replaces the level localCheckpoint() chose.
            kept._jdf.queryExecution().analyzed().rdd().persist(level)  # noqa: SLF001

        _private_api_or(private, lambda: None)
    return kept


def configure_session(spark: SparkSession) -> None:
    """Settings the job relies on: UTC times, microsecond Parquet timestamps, per-partition overwrite, and a
    shuffle partition count sized to the cores (on Glue too, where `main()`'s local session builder is not used)."""
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    spark.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
    spark.conf.set("spark.sql.sources.partitionOverwriteMode", "dynamic")
    spark.conf.set("spark.sql.parquet.compression.codec", "snappy")
    # The steps' expressions are SQL text whose string literals escape backslashes and quotes (`sql_str`).
    spark.conf.set("spark.sql.parser.escapedStringLiterals", "false")
    # A batch is small (cities x hours) and the per-variable expressions are wide: compiling whole-stage code
    # costs more than it saves (measured: the local run takes ~40% less time without it).
    spark.conf.set("spark.sql.codegen.wholeStage", "false")
    # Adaptive query execution plans each shuffle stage as a Spark job of its own, so every collect and write of a
    # batch ran two or three jobs, and a "lazy" local checkpoint ran its shuffles at once; for batches whose shuffles
    # hold a few thousand to a few hundred thousand rows the per-job cost is the run's cost (docs/PERFORMANCE.md,
    # section 2: 36 jobs for a 3-city batch with it). Off unless the job's configuration sets it (a Glue job
    # parameter `--conf spark.sql.adaptive.enabled=true` wins). Joins with small sides are broadcast by hints.
    if not _job_configured(spark, ADAPTIVE):
        spark.conf.set(ADAPTIVE, "false")
    # Every shuffle of a batch holds a few thousand to a few hundred thousand rows: Spark's default 200 shuffle
    # partitions made the run 1.25x slower than 4 on 2 cores (docs/PERFORMANCE.md, section 2). Use twice the
    # cores the job has (Glue: the executors' cores), unless the value was set explicitly, e.g. by a Glue job
    # parameter `--conf spark.sql.shuffle.partitions=N` (or a value set on the session before `run`), which wins.
    # (`size_session_to_batch` then uses one for a small batch, once the batch's size is known.)
    current = spark.conf.get(SHUFFLE_PARTITIONS)
    if _script_may_set(spark, SHUFFLE_PARTITIONS, SPARK_DEFAULT_SHUFFLE_PARTITIONS):
        _set_auto(spark, {SHUFFLE_PARTITIONS: shuffle_partitions(None, spark.sparkContext.defaultParallelism)})
    else:
        spark.conf.set(SHUFFLE_PARTITIONS, shuffle_partitions(current, spark.sparkContext.defaultParallelism))
    # Raw bodies and refined partitions are small files (~2 KB and ~7 KB): at Spark's 4 MB open cost per file a
    # 3,000-file batch became ~100 read tasks of ~30 files; at 64 KB it is about one task per core.
    spark.conf.set("spark.sql.files.openCostInBytes", str(FILE_OPEN_COST_BYTES))
    # Spark lists more than 32 given paths with a distributed job of one task per path (3,000 tasks for a
    # 3,000-file batch); a few tasks per core list them as well.
    spark.conf.set("spark.sql.sources.parallelPartitionDiscovery.parallelism",
                   str(max(2, spark.sparkContext.defaultParallelism)))
    # Hadoop's local file system writes a `.crc` file beside every file (S3 has none): for a 3,000-partition run on
    # local disk that doubled the files and made the write about twice as slow. Only the local file system is
    # affected (its instance is shared by the JVM); reading still verifies any `.crc` file that exists.
    jvm = spark.sparkContext._jvm  # noqa: SLF001
    jvm.org.apache.hadoop.fs.FileSystem.getLocal(spark.sparkContext._jsc.hadoopConfiguration()).setWriteChecksum(False)  # noqa: SLF001


def _hadoop_path(spark: SparkSession, uri: str):
    jvm = spark.sparkContext._jvm  # noqa: SLF001 - the documented way to reach Hadoop's FileSystem from PySpark
    path = jvm.org.apache.hadoop.fs.Path(uri)
    return path, path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())  # noqa: SLF001


S3_URI = r"^s3[an]?://"


def _local_file(uri: str) -> Optional[str]:
    """The local path of a `file:` URI or a plain path; None for any other scheme."""
    if uri.startswith("file:"):
        return re.sub(r"^file:(//)?", "", uri) if not uri.startswith("file:///") else uri[len("file://"):]
    return None if re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:", uri) else uri


def _skipped(name: str) -> bool:
    return name.startswith(("_", "."))  # hidden and marker files, as Spark skips them


def _list_local(path: str) -> List[Tuple[str, int, int]]:
    """Files at or under a local path, one `os.scandir` per folder (no JVM round trip per file)."""
    if os.path.isfile(path):
        stat = os.stat(path)
        return [] if _skipped(os.path.basename(path)) else [("file:" + os.path.abspath(path), stat.st_size, stat.st_mtime_ns // 1_000_000)]
    found, folders = [], [path]
    while folders:
        with os.scandir(folders.pop()) as entries:
            for entry in entries:
                if _skipped(entry.name):
                    continue
                if entry.is_dir():
                    folders.append(entry.path)
                else:
                    stat = entry.stat()
                    found.append(("file:" + os.path.abspath(entry.path), stat.st_size, stat.st_mtime_ns // 1_000_000))
    return found


def _list_s3(uri: str) -> List[Tuple[str, int, int]]:
    """Objects at or under an s3:// URI: one paged ListObjectsV2 (1,000 keys a call), not a request per object."""
    scheme = uri.split("://", 1)[0]
    bucket, key = _s3_bucket_key(uri)
    found = []
    for page in _s3_client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key):
        for item in page.get("Contents", []):
            name = item["Key"]
            # As on local disk: a file named on its own is skipped by its name, a folder's files by the parts below it.
            below = name.rsplit("/", 1)[-1] if name == key else name[len(key):]
            if (name == key or name.startswith(key.rstrip("/") + "/") or not key) and not any(
                    _skipped(part) for part in below.split("/") if part) and not name.endswith("/"):
                found.append((f"{scheme}://{bucket}/{name}", int(item["Size"]), int(item["LastModified"].timestamp() * 1000)))
    return found


def _list_hadoop(spark: SparkSession, uri: str) -> List[Tuple[str, int, int]]:
    """Files at or under a URI of any other scheme, through Hadoop's FileSystem."""
    path, fs = _hadoop_path(spark, uri)
    if not fs.exists(path):
        return []
    status = fs.getFileStatus(path)
    statuses = [status]
    if status.isDirectory():
        statuses, iterator = [], fs.listFiles(path, True)
        while iterator.hasNext():
            statuses.append(iterator.next())
    return [(st.getPath().toString(), int(st.getLen()), int(st.getModificationTime()))
            for st in statuses if not _skipped(st.getPath().getName())]


def list_tree(spark: SparkSession, uri: str) -> List[Tuple[str, int, int]]:
    """(qualified path, length, modification time in ms) of every file at or under `uri`; empty when nothing is."""
    local = _local_file(uri)
    if local is not None:
        return _list_local(local) if os.path.exists(local) else []
    if re.match(S3_URI, uri):
        return _list_s3(uri)
    return _list_hadoop(spark, uri)


def list_files(spark: SparkSession, root: str, keys: Sequence[str]) -> List[Tuple[str, int, int]]:
    """(qualified path, length, modification time in ms) of every file at or under the given keys of `root`.

    One listing per distinct grandparent folder of the keys (a daily manifest's keys share
    `ingest_date=…/`), not one existence check per key: on S3 a few paged LIST calls instead of thousands of HEADs.
    Raises FileNotFoundError naming every key that matches nothing.
    """
    groups: Dict[str, List[str]] = {}
    for key in dict.fromkeys(keys):
        groups.setdefault(posixpath_parent(posixpath_parent(key.strip("/"))), []).append(key.strip("/"))
    found: List[Tuple[str, int, int]] = []
    missing: List[str] = []
    base = _strip_scheme(root).rstrip("/") + "/"
    for folder, wanted in groups.items():
        listed = list_tree(spark, join_uri(root, folder))
        by_key: Dict[str, List[Tuple[str, int, int]]] = {}
        for entry in listed:
            relative = _strip_scheme(entry[0])
            relative = relative[len(base):] if relative.startswith(base) else relative
            # Index under the key itself and under each of its parent folders, so a key may name a folder too.
            parts = relative.split("/")
            for i in range(len(parts), 0, -1):
                by_key.setdefault("/".join(parts[:i]), []).append(entry)
        for key in wanted:
            if key in by_key:
                found.extend(by_key[key])
            else:
                missing.append(join_uri(root, key))
    if missing:
        raise FileNotFoundError(f"no such object: {missing}")
    return list(dict.fromkeys(found))


def posixpath_parent(key: str) -> str:
    return key.rsplit("/", 1)[0] if "/" in key else ""


# A batch's raw bodies are read by the driver (boto3 on S3, plain file reads locally) when the listing's bytes are at
# most this: the bodies are held in the driver's Python process and handed to its JVM once (`_frame_of_raw_rows`), whose
# tasks then carry them (split into the default parallelism's slices; a task must stay below
# `spark.rpc.message.maxSize`, 128 MiB, on a cluster: at most 64 MiB each with 2 or more slices). A year of 100 cities'
# daily forecasts is ~66 MB (36,500 bodies of ~1.8 KB); a batch of larger bodies (long backfills, up to megabytes
# each) is read by Spark's tasks instead. The bound is a choice, not a measured crossover (docs/PERFORMANCE.md,
# section 2, rounds h15l and h15r).
DRIVER_READ_MAX_BYTES = 128 * 1024 * 1024


def batch_raw_bytes(files: Sequence[Tuple[str, int, int]]) -> int:
    """The bytes of the listed raw objects (path, length, modification time) together: what `_read_by_driver` and
    `checkpoint_on_disk` size a batch by."""
    return sum(length for _, length, _ in files)


def _read_by_driver(files: Sequence[Tuple[str, int, int]]) -> bool:
    """Whether the listed raw objects are read by the driver (`_get_bodies`): every path on S3 or every path local,
    their bytes together at most `DRIVER_READ_MAX_BYTES`. On S3 the driver's reads save Spark's `binaryFile` source six
    requests per object (round h15l); locally, that source checks and lists every given path on the driver, ~2 s of a
    3,000-object batch (round h15r). The driver's rows reach the JVM without Spark's Python workers (round h15s), so a
    small local batch reads this way too, at the time `binaryFile` took (0.99x for 3 objects), and a local run reads
    as a Glue run reads S3."""
    if not files or batch_raw_bytes(files) > DRIVER_READ_MAX_BYTES:
        return False
    return all(re.match(S3_URI, path) for path, _, _ in files) or \
        all(_local_file(path) is not None for path, _, _ in files)


def _get_bodies(files: Sequence[Tuple[str, int, int]]) -> List[Tuple[str, int, int, bytearray]]:
    """(path, modification time in ms, length, body) of each listed file, all on S3 (`_get_s3_bodies`) or all local
    (`_get_local_bodies`). Raises FileNotFoundError naming every file gone since the listing."""
    return _get_s3_bodies(files) if files and re.match(S3_URI, files[0][0]) else _get_local_bodies(files)


def _get_local_bodies(files: Sequence[Tuple[str, int, int]]) -> List[Tuple[str, int, int, bytearray]]:
    """`_get_bodies` for local files: one open and read each. The length and time are those of the file read (its
    `fstat`), as Spark's `binaryFile` source takes them from its own status call when it reads a file."""
    got, missing = [], []
    for path, _, _ in files:
        try:
            with open(_local_file(path), "rb") as handle:
                status = os.fstat(handle.fileno())
                body = bytearray(handle.read())
        except FileNotFoundError:
            missing.append(path)
            continue
        got.append((path, status.st_mtime_ns // 1_000_000, len(body), body))
    if missing:
        raise FileNotFoundError(f"no such file: {missing}")
    return got


def _get_s3_bodies(files: Sequence[Tuple[str, int, int]]) -> List[Tuple[str, int, int, bytearray]]:
    """(path, modification time in ms, length, body) of each listed S3 object: one GetObject per object, from a pool
    of `S3_REQUEST_THREADS` threads. The length and time are the response's, as Spark's `binaryFile` source takes
    them from its own status call when it reads a file. Raises FileNotFoundError naming every object gone since the
    listing."""
    client = _s3_client()

    def get(path: str) -> Optional[Tuple[str, int, int, bytearray]]:
        bucket, key = _s3_bucket_key(path)
        try:
            response = client.get_object(Bucket=bucket, Key=key)
        except client.exceptions.NoSuchKey:
            return None
        body = bytearray(response["Body"].read())
        return path, int(round(response["LastModified"].timestamp() * 1000)), len(body), body

    with ThreadPoolExecutor(S3_REQUEST_THREADS) as pool:
        got = list(pool.map(get, [path for path, _, _ in files]))
    missing = [path for (path, _, _), row in zip(files, got) if row is None]
    if missing:
        raise FileNotFoundError(f"no such object: {missing}")
    return got


RAW_ROWS_SCHEMA = T.StructType([T.StructField("path", T.StringType()), T.StructField("mtime_ms", T.LongType()),
                                T.StructField("length", T.LongType()), T.StructField("content", T.BinaryType())])


_Built = TypeVar("_Built")


def _private_api_or(private: Callable[[], _Built], public: Callable[[], _Built]) -> _Built:
    """`private()`, which builds something with PySpark's private API, or `public()` when this Spark build lacks that
    API. A missing method shows before any job runs, as `AttributeError` or `TypeError` on the Python side (a name that
    is not there, a signature that changed) or `Py4JError` on the JVM's (no such method). A `Py4JJavaError`, though a
    `Py4JError`, means the JVM method exists, ran and failed: it is raised, as is any other error. The one rule for
    every use of the private API that has a public route (`_frame_of_raw_rows`, `map_in_arrow`, `local_checkpoint`)."""
    try:
        return private()
    except Py4JJavaError:
        raise
    except (AttributeError, TypeError, Py4JError):
        return public()


def _java_rows_of(spark: SparkSession, rows: List[Tuple[str, int, int, bytearray]]) -> Any:
    """The rows as a JVM `RDD[Array[Any]]`, unpickled by the JVM from the slices `parallelize` ships to it.

    This is what `createDataFrame` does with Python rows, less one step: PySpark re-pickles the slices through an
    identity map in Spark's Python workers first (`RDD._to_java_object_rdd`, because `parallelize`'s batches are not
    its auto-batched format), though the JVM's unpickler reads `parallelize`'s batches as they are. `SerDeUtil` and
    `applySchemaToPythonRDD` are PySpark's private API (Spark 3.5, as on Glue 5.1): a build without them raises
    `Py4JError` (not `Py4JJavaError`, which a method that ran raises), `AttributeError` or `TypeError` here, before any
    job runs (`_frame_of_raw_rows` falls back)."""
    context = spark.sparkContext
    slices = context.parallelize(rows, context.defaultParallelism)
    serde = context._jvm.SerDeUtil  # noqa: SLF001
    return serde.toJavaArray(serde.pythonToJava(slices._jrdd, True)).rdd()  # noqa: SLF001


def _frame_of_raw_rows(spark: SparkSession, rows: List[Tuple[str, int, int, bytearray]]) -> DataFrame:
    """A frame of `RAW_ROWS_SCHEMA` from the driver's rows, handed to the JVM without Spark's Python workers
    (`_java_rows_of`), so that a run starts them for its write only. A 100 x 30 run's peak memory is 100-140 MiB lower
    and its time 0.88-1.02x (the write then pays the workers' start; docs/PERFORMANCE.md, section 2, round h15s and
    the quiet run after it). Without PySpark's private converters (`_private_api_or`), `createDataFrame`
    (`verifySchema=False`: the driver made the rows)."""
    def private() -> DataFrame:
        java_rows = _java_rows_of(spark, rows)
        return DataFrame(spark._jsparkSession.applySchemaToPythonRDD(java_rows, RAW_ROWS_SCHEMA.json()),  # noqa: SLF001
                         spark)

    return _private_api_or(private, lambda: spark.createDataFrame(rows, RAW_ROWS_SCHEMA, verifySchema=False))


def read_raw_files(spark: SparkSession, files: Sequence[Tuple[str, int, int]]) -> DataFrame:
    """The raw objects as `path`, `modificationTime`, `length`, `content`.

    Read by the driver (`_read_by_driver`: all on S3 or all local, up to `DRIVER_READ_MAX_BYTES` in all), each non-empty
    object is read with one boto3 GetObject on S3 (`_get_s3_bodies`, concurrently) or one plain read locally
    (`_get_local_bodies`), and the frame built from those rows. On S3, Spark's `binaryFile` source asks the file system
    for an existence check per path (on the driver), a listing per path (a listing job's tasks, or the driver itself for
    at most 32 paths) and a status and an open per file in its read tasks: six requests per object on S3A
    (docs/PERFORMANCE.md, section 2, round h15l). Locally the same per-path work took ~2 s of a 3,000-object batch's
    driver and ~13 s of a 36,500-object one's (round h15r). Otherwise (mixed or other schemes, larger batches) Spark's
    `binaryFile` source reads them; its file scan skips zero-byte files, so those are added from the listing with an
    empty body, with no request. The driver's rows (its reads, or the zero-byte files) reach the JVM without Spark's
    Python workers (`_frame_of_raw_rows`; docs/PERFORMANCE.md, section 2, rounds h15g, h15n, h15r and h15s).
    """
    by_driver = _read_by_driver(files)
    nonempty = [path for path, length, _ in files if length > 0 and not by_driver]
    rows = [(path, mtime_ms, 0, bytearray()) for path, length, mtime_ms in files if length == 0]
    if by_driver and any(length > 0 for _, length, _ in files):
        rows = _get_bodies([entry for entry in files if entry[1] > 0]) + rows
    frame: Optional[DataFrame] = None
    if nonempty:
        # recursiveFileLookup: no partition inference from the `ingest_date=` / `city=` folders.
        frame = spark.read.format("binaryFile").option("recursiveFileLookup", "true").load(nonempty)
    if rows:
        listed = _frame_of_raw_rows(spark, rows).select(
            "path", F.timestamp_millis("mtime_ms").alias("modificationTime"), "length", "content")
        frame = listed if frame is None else frame.unionByName(listed)
    if frame is None:
        frame = spark.createDataFrame([], "path string, modificationTime timestamp, length long, content binary")
    return frame


def read_manifest(spark: SparkSession, uri: str) -> Dict[str, Any]:
    """The manifest's JSON: read with plain file I/O when local, with one boto3 GetObject on S3 (as on Glue), through
    Spark (a job of its own) for other schemes. A manifest that does not exist raises FileNotFoundError naming it."""
    local = _local_file(uri)
    if local is not None:
        with open(local, encoding="utf-8") as handle:
            text = handle.read()
    elif re.match(S3_URI, uri):
        bucket, key = _s3_bucket_key(uri)
        client = _s3_client()
        try:
            text = client.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
        except client.exceptions.NoSuchKey as error:
            raise FileNotFoundError(f"manifest {uri} does not exist") from error
    else:
        text = spark.read.text(uri, wholetext=True).first()[0]
    manifest = json.loads(text)
    if not isinstance(manifest, dict) or not isinstance(manifest.get("written"), list):
        raise ValueError(f"manifest {uri} has no `written` list")
    return manifest


def manifest_entries_of(manifest: Dict[str, Any]) -> Dict[str, Tuple[Any, Any]]:
    """`{source_key: (city name, fetched-at text)}` of a manifest's `written` entries: one per key, the first (entries
    without a key match no object and are left out)."""
    entries: Dict[str, Tuple[Any, Any]] = {}
    for e in manifest["written"]:
        if e.get("key") is not None:
            entries.setdefault(str(e["key"]), (e.get("cityName"), e.get("fetchedAt")))
    return entries


def configured_cities(cities: Any) -> Optional[Dict[str, Any]]:
    """`--cities_json` (a `{slug: name}` object or a list of `{slug, name}`) as `{city: name}`, the first name of
    each city."""
    if cities is None:
        return None
    pairs = list(cities.items()) if isinstance(cities, dict) else [(c["slug"], c["name"]) for c in cities]
    return {city: name for city, name in reversed(pairs)}


def partition_files(spark: SparkSession, table_root: str, partitions: Iterable[str]) -> Dict[str, List[str]]:
    """Every file at or under each given partition folder (relative to `table_root`, e.g. `date=…/city=…/`), by
    folder; a folder that holds nothing is absent. One listing per distinct first-level partition folder (`date=…/`
    or `month=…/`), not one existence check per partition. Hidden files (`_`, `.`) are not listed (`list_tree`)."""
    wanted = {p.strip("/") for p in partitions}
    found: Dict[str, List[str]] = {}
    base = _strip_scheme(table_root).rstrip("/") + "/"
    for first in sorted({p.split("/", 1)[0] for p in wanted}):
        for path, _, _ in list_tree(spark, join_uri(table_root, first)):
            relative = _strip_scheme(path)[len(base):] if _strip_scheme(path).startswith(base) else path
            folder = posixpath_parent(relative)
            while folder and folder not in wanted:
                folder = posixpath_parent(folder)
            if folder:
                found.setdefault(folder + "/", []).append(path)
    return found


def read_existing(spark: SparkSession, table_root: str, schema: T.StructType, partitions: Iterable[str],
                  found: Optional[Dict[str, List[str]]] = None) -> Optional[DataFrame]:
    """Rows already in the given partition folders (relative to `table_root`), or None when none exists.

    Spark is given the Parquet files of each folder (`found`: `partition_files`' listing, made here when not given),
    not the folders. A partition holds one file, except after a commit interrupted between its moves and its
    deletions (`commit_scratch`), when it may hold its previous file and the one that replaces it, whose rows include
    the previous ones: then exact duplicate rows are read once, so that the merge that repairs it keeps each row once.
    """
    if found is None:
        found = partition_files(spark, table_root, partitions)
    by_folder = {folder: [f for f in files if posixpath_parent(_strip_scheme(f)) + "/" == _strip_scheme(
        join_uri(table_root, folder)) + "/" and f.endswith(".parquet")] for folder, files in found.items()}
    files = [f for folder_files in by_folder.values() for f in folder_files]  # in the listing's order
    if not files:
        return None
    frame = spark.read.schema(schema).option("basePath", table_root).parquet(*files)
    return frame.dropDuplicates() if any(len(f) > 1 for f in by_folder.values()) else frame


def partition_path(keys: Sequence[str], values: Sequence[str]) -> str:
    return "/".join(f"{k}={v}" for k, v in zip(keys, values)) + "/"


# Parquet writer settings (write options: they reach the executors with the write job, on Glue too). Most files hold a
# few dozen rows at most (a city's day of hours, one fetch in staging, a city's days of a month in the daily layer): a
# dictionary page per column costs more to build and write than it saves, and the files are smaller without. A monthly
# partition's hourly file holds up to 744 rows, which the dictionary makes ~35 % smaller: it keeps it (`dictionary`).
# (docs/PERFORMANCE.md, section 2, round h15f.)
PARQUET_WRITE_OPTIONS = {"compression": "snappy"}
# Loggers that build an INFO message for every Parquet file they write (Spark's ParquetWriteSupport prints the whole
# Catalyst schema as JSON; parquet-mr its writer settings). A local session's console filter drops INFO only after the
# message is built: 5-6 % of a local write's CPU. Raised to WARN in this JVM when they are at INFO (a user's own DEBUG
# is kept); on Glue this JVM is the driver, which writes no file, so the executors log as Glue configures them.
PER_FILE_INFO_LOGGERS = ("org.apache.spark.sql.execution.datasources.parquet.ParquetWriteSupport", "org.apache.parquet")


def quiet_per_file_logging(spark: SparkSession) -> None:
    """Raises the loggers of PER_FILE_INFO_LOGGERS from INFO to WARN in this JVM (no change at any other level)."""
    jvm = spark.sparkContext._jvm  # noqa: SLF001
    log4j = jvm.org.apache.logging.log4j
    for name in PER_FILE_INFO_LOGGERS:
        if str(log4j.LogManager.getLogger(name).getLevel()) == "INFO":
            log4j.core.config.Configurator.setLevel(name, log4j.Level.WARN)


def _rows_by_partition(frame: DataFrame, partition_keys: Sequence[str],
                       sort_by: Optional[Sequence[str]] = None) -> DataFrame:
    """`frame` repartitioned on a hash of its partition keys, so that every row of a partition is in one task (the
    reasons are in `write_partitions`' docstring) and, when `sort_by` is given (empty included), sorted within the
    tasks on the keys and then `sort_by`. Both writers' rows go through it: `write_partitions` (Spark's writer, which
    groups a task's rows by partition itself: sorted only for a file's row order) and `written_files` (the Python
    workers, which need a partition's rows consecutive: always sorted)."""
    shuffled = frame.repartition(F.xxhash64(*partition_keys))
    return shuffled if sort_by is None else shuffled.sortWithinPartitions(*partition_keys, *sort_by)


def write_partitions(frame: DataFrame, table_root: str, partition_keys: Sequence[str],
                     sort_by: Sequence[str] = (), dictionary: bool = False, overwrite: str = "dynamic") -> None:
    """Overwrites only the partitions present in `frame`, one snappy Parquet file per partition (`overwrite="static"`:
    replaces everything under `table_root`, for a folder that is the run's own: `write_scratch`, which every layer's
    write of a run goes through since round h15k).

    One file per partition needs every row of a partition in one write task. `repartition(*partition_keys)` alone
    does not guarantee it: when `frame` is already hash-partitioned on those keys (a sort-merge join on them, as
    the hourly `left_semi` join is planned), Spark drops the repartition as redundant, and AQE may then turn that
    join into a broadcast join whose probe side is read locally, one task per *map* partition (issue #3: two files
    per partition at 3,000 partitions). Repartitioning on a hash of the keys is never "already satisfied", and AQE
    leaves a user repartition's shuffle whole (it only merges partitions, it never reads it locally or splits it).
    `maxRecordsPerFile` is pinned to 0 (no limit) so a session or job setting cannot split a partition's file.
    `sort_by` orders the rows inside each file (after the partition keys), so that a rerun writes the same rows in
    the same order (and the same bytes within one JVM: parquet-mr's list of a column chunk's encodings may come in
    another order in another JVM process).
    The cost of a write is per file (a Parquet writer per partition: docs/PERFORMANCE.md, section 2, round h15f):
    PARQUET_WRITE_OPTIONS, `dictionary` (dictionary encoding, for files of hundreds of rows) and
    `quiet_per_file_logging` take what they can of it.
    """
    quiet_per_file_logging(frame.sparkSession)
    (_rows_by_partition(frame, partition_keys, sort_by or None)
     .write.mode("overwrite")
     .option("partitionOverwriteMode", overwrite)
     .options(**PARQUET_WRITE_OPTIONS)
     .option("parquet.enable.dictionary", str(dictionary).lower())
     .option("maxRecordsPerFile", 0)
     .partitionBy(*partition_keys)
     .parquet(table_root))


# The order of the rows in each file, after the partition keys: a total order (the keys of a row within its
# partition), so that a rerun writes the same rows in the same order. Main's script before round h15m sorted the daily
# and staging files so, and left the hourly and quarantine files in the order Spark's write sort left them.
HOURLY_FILE_ORDER = ["source", "observed_at"]
DAILY_FILE_ORDER = ["source", "day"]
STAGING_FILE_ORDER = ["city_name", "observed_at", "source_key"]
QUARANTINE_FILE_ORDER = ["source_key", "observed_at_raw", "reason", "detail", "city", "city_name", "raw_values",
                         "fetched_at", "run_id", "quarantined_at"]


# The folder of a run's scratch files, under the staging prefix (`<staging>/_scratch/<run id>/`): no partition location
# of any table includes it (Athena's tables project `ingest_date=`/`date=`/`month=` folders; `_` names are hidden).
SCRATCH_FOLDER = "_scratch"


def scratch_folder(staging_root: str, run_id: str) -> str:
    """The run's own scratch folder; it holds a folder per layer named by the layer's contract prefix. The Python
    workers write a layer's files flat in it (`<staging>/_scratch/<run id>/weather/hourly/part-….parquet`) and name
    each one's place in the refined bucket (`_arrow_file_writer`); Spark's writer puts each file at its place below it
    (`…/weather/hourly/date=…/city=…/part-….parquet`)."""
    return join_uri(staging_root, SCRATCH_FOLDER, run_id)


def write_scratch(frame: DataFrame, scratch: str, table_prefix: str, partition_keys: Sequence[str],
                  sort_by: Sequence[str] = (), dictionary: bool = False) -> None:
    """Writes a layer's rows into the run's scratch folder (`<scratch>/<table prefix>`), one file per partition, with
    a static overwrite: the folder is the run's own (emptied before the first write), so nothing is lost by
    replacing all of it, and the write needs no dynamic overwrite, which renames every file once more at job commit
    (a copy per file on S3 with Hadoop's FileOutputCommitter). Glue 5.1's S3 connector is S3A (Glue's 5.1 migration
    notes); EMR documents its MagicCommitProtocol as Spark's default commit protocol on S3A, writing a static
    overwrite's files in place at task commit, without renames (Glue's own documentation does not name the protocol
    its jobs get). `commit_scratch` then moves the files to their places."""
    write_partitions(frame, join_uri(scratch, table_prefix), partition_keys, sort_by=sort_by, dictionary=dictionary,
                     overwrite="static")


# ---- The refined layers' files written by pyarrow in Spark's Python workers (round h15m)
#
# Spark's Parquet writer costs per file: parquet-mr's writer set-up (a copy of the ~980 Hadoop configuration entries
# per file), its column writers and footer, FileOutputCommitter's task and job commit, and the JIT compiling all of
# it while the first write of a JVM runs (docs/PERFORMANCE.md, section 2, rounds h15f and h15h). Since round h15k no
# layer needs Spark's committer: every file goes to the run's own scratch folder and `commit_scratch` puts it in
# place. So each layer's rows reach a Python worker as Arrow record batches (`DataFrame.mapInArrow`), which writes each
# partition's one file with pyarrow (locally to disk, on S3 with one PutObject per file) and yields one row per file;
# one Spark job writes every layer, and the commit takes the files' paths from that job instead of listing the
# scratch folder. Other schemes (HDFS, ...) keep Spark's writer (`write_scratch`): boto3 and local I/O are the only
# clients a worker has, and the Hadoop file systems are the JVM's.

# What each write yields per file: the layer's prefix, the file's URI, its place (its path below the scratch folder
# in Spark's layout, `weather/hourly/date=…/city=…/part-….snappy.parquet`: its place in the refined bucket), its rows.
WRITTEN_FILES_SCHEMA = "layer string, path string, place string, rows bigint"


class LayerWrite:
    """One layer's write into the scratch folder: its rows, the contract prefix, the partition keys, the order of the
    rows in each file after the keys (`sort_by`: a total order, so a rerun writes the same rows in the same order)
    and whether the files are dictionary-encoded (PARQUET_WRITE_OPTIONS)."""

    def __init__(self, frame: DataFrame, prefix: str, partition_keys: Sequence[str], sort_by: Sequence[str],
                 dictionary: bool = False):
        self.frame, self.prefix, self.partition_keys = frame, prefix, list(partition_keys)
        self.sort_by, self.dictionary = list(sort_by), dictionary


def arrow_writes_to(scratch: str) -> bool:
    """Whether the Python workers can write the files of this scratch folder: local paths and S3 URIs."""
    return _local_file(scratch) is not None or bool(re.match(S3_URI, scratch))


def _arrow_file_writer(scratch: str, layer: str, partition_keys: Sequence[str], data_columns: Sequence[str],
                       dictionary: bool, write_id: str, s3_pool: int):
    """The function `mapInArrow` ships to the Python workers for one layer: it writes each run of consecutive rows
    with the same partition key values as one snappy Parquet file, every column nullable, dictionary-encoded where
    `dictionary` asks for it and a column's dictionary makes it smaller (as parquet-mr decides), and yields (layer,
    file URI, place, rows) per file. The file's place is `<layer>/<k1=v1>/<k2=v2>/part-<task>-<write id>-<task attempt
    id>-<n>.snappy.parquet` (the keys in the path only, as Hive's layout and Spark's writer have them; values escaped
    as Spark escapes them); the file itself is written flat, at `<scratch>/<layer>/<the place's file name>` (unique:
    the task attempt id is unique in the SparkContext), and `commit_scratch` moves it to its place. So the scratch
    folder holds no folder per partition: a local run made and deleted three folders per staging file and two per
    hourly and daily file (12,090 for a 100 x 30 batch), and deleting them took 1.3-13.7 s of a local run's wall time
    (docs/PERFORMANCE.md, section 2, round h15p); on S3 a folder is only a key prefix.

    It is a closure over plain values and imports what it uses when it runs, so that cloudpickle ships it by value:
    a worker needs pyarrow (and boto3 on S3), never this script (which runs as `__main__` on Glue and with
    scripts/local-run, and is imported as `weather_etl` by the tests; neither is on a worker's path)."""
    keys, columns = list(partition_keys), list(data_columns)
    local_root = _local_file(scratch)
    if local_root is None:
        bucket, key_root = _s3_bucket_key(scratch)
        scheme = scratch.split("://", 1)[0]
    else:
        bucket, key_root, scheme = "", "", ""
    # Spark's `ExternalCatalogUtils.escapePathName`: these characters become %XX in a partition folder's value.
    escaped = set(chr(c) for c in range(0x01, 0x20)) | set("\"#%'*/:=?\\\x7f{[]^")

    def folder(key: str, value: Any) -> str:
        if value is None or value == "":
            return f"{key}=__HIVE_DEFAULT_PARTITION__"
        text = str(value)
        return key + "=" + "".join(f"%{ord(c):02X}" if c in escaped else c for c in text)

    def s3_client():
        # One client per worker process and AWS environment, as the driver's `_s3_client` (workers are reused).
        import sys
        import types

        cache = sys.modules.get("_weather_etl_worker")
        if cache is None:
            cache = sys.modules["_weather_etl_worker"] = types.ModuleType("_weather_etl_worker")
            cache.clients = {}
        import os

        env = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("AWS_")))
        client = cache.clients.get(env)
        if client is None:
            import boto3
            from botocore.config import Config

            client = cache.clients[env] = boto3.client("s3", config=Config(max_pool_connections=s3_pool))
        return client

    def dictionary_columns(table) -> List[str]:
        # The columns whose dictionary makes the column chunk smaller, as parquet-mr decides it (it keeps a column's
        # dictionary only when dictionary + indices are smaller than the plain values; pyarrow would keep every one):
        # a city's month of hours repeats its name, coordinates, fetch times and keys, not its measurements.
        import pyarrow as pa
        import pyarrow.compute as pc

        chosen = []
        for name, column in zip(table.column_names, table.columns):
            if pa.types.is_boolean(column.type) or len(column) == column.null_count:
                continue
            present = len(column) - column.null_count
            if pa.types.is_string(column.type):
                width = (pc.sum(pc.binary_length(column)).as_py() or 0) / present + 4
            else:
                width = column.type.bit_width / 8
            distinct = pc.count_distinct(column).as_py()
            if distinct * width + present * max(1, (distinct - 1).bit_length()) / 8 < present * width:
                chosen.append(name)
        return chosen

    def write(batches):
        import os

        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq
        from pyspark import TaskContext

        context = TaskContext.get()
        # A retried task, or a task of a retried stage, writes files of other names (the job returns one attempt's):
        # the task attempt id is unique in the SparkContext.
        task, attempt = (context.partitionId(), context.taskAttemptId()) if context is not None else (0, 0)
        paths: List[str] = []
        places: List[str] = []
        counts: List[int] = []
        pending: List[Any] = []
        current: Optional[Tuple[Any, ...]] = None

        nullable: Optional[Any] = None  # the files' schema, every column nullable: the same for every file of the task

        def write_file(path: str, body: Any) -> None:
            # open, write, close: no stat, terminal check or seek of Python's `open` (three system calls per file).
            view = memoryview(body)
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0), 0o666)
            try:
                while view:
                    view = view[os.write(handle, view):]
            finally:
                os.close(handle)

        def flush() -> None:
            nonlocal nullable
            table = pa.Table.from_batches(pending).select(columns)
            if nullable is None:
                nullable = pa.schema([pa.field(f.name, f.type, nullable=True) for f in table.schema])
            table = pa.Table.from_arrays(table.columns, schema=nullable)
            name = f"part-{task:05d}-{write_id}-{attempt}-{len(paths):05d}.snappy.parquet"
            flat = layer.strip("/") + "/" + name
            options = dict(compression="snappy", use_dictionary=dictionary_columns(table) if dictionary else False,
                           store_schema=False)
            # Written in memory, then stored with one request: pyarrow's writer makes a write call per page header
            # and page (~50 for an hourly file), which on a local disk cost ~0.1-0.2 ms of system CPU per file
            # (docs/PERFORMANCE.md, section 2, round h15q).
            sink = pa.BufferOutputStream()
            pq.write_table(table, sink, **options)
            body = sink.getvalue()
            if local_root is not None:
                path = os.path.join(local_root, flat)
                if not paths:  # the layer's one folder, once per task
                    os.makedirs(os.path.dirname(path), exist_ok=True)
                write_file(path, body)
                uri = scratch.rstrip("/") + "/" + flat
            else:
                key = "/".join(p for p in (key_root.strip("/"), flat) if p)
                s3_client().put_object(Bucket=bucket, Key=key, Body=body.to_pybytes())
                uri = f"{scheme}://{bucket}/{key}"
            paths.append(uri)
            places.append("/".join([layer.strip("/")] + [folder(k, v) for k, v in zip(keys, current)] + [name]))
            counts.append(table.num_rows)

        def run_starts(key_columns, rows: int) -> List[int]:
            # Every row where a partition key value differs from the row before, found by Arrow's kernels (no Python
            # value per row; round h15q), and row 0. A null beside a null counts as a change here too: the loop
            # below compares the key values of each start with Python's `==`, so such a "run" joins the one before.
            changed = None
            for column in key_columns:
                differs = pc.fill_null(pc.not_equal(column.slice(1), column.slice(0, rows - 1)), True)
                changed = differs if changed is None else pc.or_(changed, differs)
            return [0] + ([i + 1 for i in pc.indices_nonzero(changed).to_pylist()] if changed is not None else [])

        for batch in batches:
            if batch.num_rows == 0:
                continue
            key_columns = [batch.column(batch.schema.get_field_index(k)) for k in keys]
            starts = run_starts(key_columns, batch.num_rows)
            firsts = list(zip(*(pc.take(column, pa.array(starts)).to_pylist() for column in key_columns))) \
                if keys else [()] * len(starts)
            bounds = starts + [batch.num_rows]
            for start, end, value in zip(bounds, bounds[1:], firsts):
                if current is not None and value != current:
                    flush()
                    pending.clear()
                current = value
                pending.append(batch.slice(start, end - start))
        if pending:
            flush()
        if paths:
            yield pa.RecordBatch.from_arrays(
                [pa.array([layer] * len(paths), pa.string()), pa.array(paths, pa.string()),
                 pa.array(places, pa.string()), pa.array(counts, pa.int64())],
                names=["layer", "path", "place", "rows"])

    return write


def map_in_arrow(frame: DataFrame, func: Any, schema: str) -> DataFrame:
    """`frame.mapInArrow(func, schema)` without its check that pandas is installed: Spark 3.5.6's `mapInArrow` goes
    through `pandas_udf`, which imports pandas on the driver (~0.3 s; Glue 5.1 provides it, this project's venv does
    not), though neither the driver nor the worker uses pandas for an Arrow map. The same UDF and plan `mapInArrow`
    makes (a `SQL_MAP_ARROW_ITER_UDF` over every column, `Dataset.pythonMapInArrow`); when this Spark build lacks
    them (they are not public API), the public method."""
    from pyspark.rdd import PythonEvalType
    from pyspark.sql.udf import UserDefinedFunction

    def private() -> DataFrame:
        udf = UserDefinedFunction(func, returnType=schema, evalType=PythonEvalType.SQL_MAP_ARROW_ITER_UDF)
        column = udf(*[frame[name] for name in frame.columns])
        return DataFrame(frame._jdf.pythonMapInArrow(column._jc.expr(), False), frame.sparkSession)  # noqa: SLF001

    return _private_api_or(private, lambda: frame.mapInArrow(func, schema))


def written_files(layers: Sequence[LayerWrite], scratch: str, write_id: str) -> DataFrame:
    """One row per file (layer prefix, file URI, place, rows) of every layer's write into `scratch`, by the Python
    workers (`_arrow_file_writer`), as one frame: collecting it is one Spark job that writes every layer.

    Each layer's frame goes through `_rows_by_partition` (as `write_partitions`': every row of a partition in one
    task, whatever the frame's own partitioning), sorted within the tasks on the keys and `sort_by`, so each
    partition's rows reach one worker consecutively and in order."""
    summaries = []
    for spec in layers:
        frame = spec.frame
        data_columns = [c for c in frame.columns if c not in spec.partition_keys]
        writer = _arrow_file_writer(scratch, spec.prefix, spec.partition_keys, data_columns, spec.dictionary,
                                    write_id, S3_REQUEST_THREADS)
        summaries.append(map_in_arrow(_rows_by_partition(frame, spec.partition_keys, spec.sort_by), writer,
                                      WRITTEN_FILES_SCHEMA))
    return reduce(DataFrame.unionByName, summaries)


def written_files_by_driver(layers: Sequence[LayerWrite], scratch: str, write_id: str) -> List[Tuple[str, str]]:
    """(file URI, place) of every file `written_files` would write, written instead by `_arrow_file_writer` in this
    process, from each layer's rows collected as Arrow record batches (`_rows_by_partition`, then PySpark's
    `_collect_as_arrow`: one Spark job per layer, no Python worker). The same rows in the same order reach the same
    writer, so the files are the same, byte for byte (tested); only their names' task numbers differ. For a small
    batch (`run()`: a local scratch folder and at most DRIVER_WRITE_MAX_FILES raw objects), whose Python daemon and two
    workers, each importing pyarrow (~250 MiB), cost more than its few files (docs/PERFORMANCE.md, section 2, round
    h15p)."""
    files: List[Tuple[str, str]] = []
    for spec in layers:
        data_columns = [c for c in spec.frame.columns if c not in spec.partition_keys]
        writer = _arrow_file_writer(scratch, spec.prefix, spec.partition_keys, data_columns, spec.dictionary,
                                    write_id, S3_REQUEST_THREADS)
        batches = _rows_by_partition(spec.frame, spec.partition_keys, spec.sort_by)._collect_as_arrow()  # noqa: SLF001
        for written in writer(iter(batches)):
            files += zip(written.column("path").to_pylist(), written.column("place").to_pylist())
    return files


# Up to this many raw objects, a local run's files are written by the driver (`written_files_by_driver`), larger
# batches' by the Python workers. Measured at 3 objects (round h15p); the bound is SMALL_BATCH_MAX_FILES' choice.
DRIVER_WRITE_MAX_FILES = SMALL_BATCH_MAX_FILES


class ScratchCommit:
    """What a run's commit does: `moves` (scratch file, its place), `stale` (files it replaces, deleted after every
    move), `replaced` (partition folders whose previous content goes: every file in them but the new one) and
    `staging_partitions` (the staging partition folders written, relative to the staging prefix)."""

    def __init__(self, moves: List[Tuple[str, str]], stale: List[str], replaced: List[str], staging_partitions: List[str]):
        self.moves, self.stale, self.replaced, self.staging_partitions = moves, stale, replaced, staging_partitions


def plan_scratch_commit(scratch_files: Iterable[Union[str, Tuple[str, str]]], scratch: str, refined_root: str,
                        staging_prefix: str, staging_keys: Sequence[str], staging_inputs: Sequence[Tuple[str, str, str]],
                        previous: Iterable[str]) -> ScratchCommit:
    """The moves and deletions that put a run's scratch files in place (no I/O). Each scratch file is its URI, whose
    path below the scratch folder is its place (Spark's writer), or a pair (URI, place below the scratch folder): the
    Python workers write their files flat and name each one's place (`_arrow_file_writer`).

    - A staging file (`<staging prefix>/<partition>/staged_batch=<batch id>/part-….parquet`) goes to
      `<partition>/<batch id>.parquet`: one file per partition and batch. Files of other batches are never touched;
      the files of the `inputs` (ingest date, city, batch id of each raw object read) that the run does not write
      again are stale, so a rerun that stages fewer rows of a city leaves none of the earlier ones behind.
    - Any other file keeps its path below the scratch folder, which is its place in the refined bucket
      (`weather/hourly/date=…/city=…/part-….parquet`), and its name. Its partition folder is replaced: every
      `previous` file at or under it (the listing the run's merge read) is stale, whatever its name, unless it is a
      move's target. `previous` files of partitions the run does not write are left alone: a partition the run does
      not change gets no request at all.
    """
    base = _strip_scheme(scratch).rstrip("/") + "/"
    staging_prefix = staging_prefix.strip("/") + "/"
    moves: Dict[str, str] = {}
    staging_targets: List[str] = []
    replaced: Dict[str, None] = {}
    for item in scratch_files:
        if isinstance(item, str):
            path, relative = item, _strip_scheme(item)[len(base):]
            if not _strip_scheme(path).startswith(base):
                continue
        else:
            path, relative = item[0], item[1].strip("/")
        if not relative.endswith(".parquet"):
            continue
        *folders, name = relative.split("/")
        if relative.startswith(staging_prefix):
            batch = folders[-1].split("=", 1)[1]
            target = join_uri(refined_root, *folders[:-1], f"{batch}.parquet")
            staging_targets.append(target)
        else:
            target = join_uri(refined_root, *folders, name)
            replaced[join_uri(refined_root, *folders)] = None
        moves[path] = target
    staging_root = join_uri(refined_root, staging_prefix)
    wanted = {join_uri(staging_root, partition_path(staging_keys, [day, city]), f"{batch}.parquet")
              for day, city, batch in staging_inputs}
    targets = {_strip_scheme(t) for t in moves.values()}
    folders = {_strip_scheme(f).rstrip("/") + "/" for f in replaced}
    stale = sorted(uri for uri in wanted if _strip_scheme(uri) not in targets)
    for uri in dict.fromkeys(previous):
        stripped = _strip_scheme(uri)
        if stripped not in targets and any(stripped.startswith(folder) for folder in folders):
            stale.append(uri)
    staging_partitions = sorted({posixpath_parent(t[len(staging_root.rstrip("/")) + 1:]) + "/" for t in staging_targets})
    return ScratchCommit(sorted(moves.items()), stale, list(replaced), staging_partitions)


def _discard_scratch(spark: SparkSession, scratch: str) -> None:
    """Deletes a failed run's scratch folder, keeping the error that failed the run if this fails too (the next
    attempt of the run id empties it first, and no table reads it)."""
    try:
        _delete_tree(spark, scratch)
        _delete_tree(spark, join_uri(posixpath_parent(scratch.rstrip("/"))), only_if_empty=True)
    except Exception as error:  # noqa: BLE001 - the run's own error is the one to report
        print(f"weather-etl: could not delete the scratch folder {scratch}: {error}", file=sys.stderr)


def commit_scratch(spark: SparkSession, commit: ScratchCommit) -> None:
    """Moves every scratch file to its place, THEN deletes the stale files: nothing is deleted before every file is in
    place. On S3 with boto3 (`_s3_move`: one CopyObject per file from S3_REQUEST_THREADS threads, then the sources
    and the stale files in DeleteObjects requests of up to 1,000 keys; no existence check, no folder marker, no
    request for a partition the run does not write). Locally with `os.replace` and `os.remove` (a local partition
    folder is then swept of whatever else it holds but the new file: Hadoop's checksum files, hidden files);
    other schemes through Hadoop's FileSystem.

    A crash during the commit leaves duplicates, never gaps: during the moves a replaced partition holds its old
    file, or its old and its new file (the new one a merge of the old rows with the batch's); during the deletions,
    some partitions their new file only, others both. Either way the scratch folder is whole until the deletions
    start (a failed copy deletes nothing and names the file), and a rerun of the batch repairs the lake: its merge
    reads the partition's files (the latest fetch of each hour wins, so the duplicated hours collapse), and its
    commit deletes every previous file of each partition it writes."""
    moved = {_strip_scheme(target) for _, target in commit.moves}
    stale = [uri for uri in commit.stale if _strip_scheme(uri) not in moved]
    uris = [target for _, target in commit.moves] + stale
    if uris and re.match(S3_URI, uris[0]):
        _s3_move(commit.moves, delete_also=stale)
        return
    # Local folders the moves needed, each with whether this commit made it: a folder it made holds nothing but its
    # moves, so it is not swept (a local 100 x 365 run makes 73,000 partition folders; round h15q).
    folders: Dict[str, bool] = {}
    for source, target in commit.moves:
        _move(spark, source, target, folders)
    for uri in stale:
        _delete_tree(spark, uri)
    for folder in commit.replaced:
        local = _local_file(folder)
        if local is None or folders.get(local) or not os.path.isdir(local):
            continue
        with os.scandir(local) as entries:
            leftovers = [e.path for e in entries if _strip_scheme(os.path.abspath(e.path)) not in moved]
        for path in leftovers:
            _delete_tree(spark, path)


# Spark's `SparkSession.internalCreateDataFrame(RDD[InternalRow], StructType, isStreaming)` (Spark 3.5.6: `private[sql]`).
INTERNAL_CREATE_DATAFRAME = "internalCreateDataFrame"


def as_nullable(spark: SparkSession, frame: DataFrame) -> DataFrame:
    """`frame` with every column nullable. Parquet footers record whether a column is required: a daily partition
    written from freshly computed rows (a count, a literal: not null) and the same partition rewritten from those rows
    unioned with the stored ones (read as nullable) would otherwise differ in their bytes, though not in their rows.

    The frame's own rows (Spark's internal rows, `queryExecution().toRdd()`) under the nullable schema
    (`SparkSession.internalCreateDataFrame`, Scala `private[sql]`, public in the bytecode): no conversion to external
    `Row` objects and back, which `createDataFrame(frame.rdd(), schema)` made and which in a small batch's cold driver
    loaded Scala's runtime reflection (~1,000 classes) for the rows' conversion (docs/PERFORMANCE.md, section 2, round
    h15i). The rows are streamed as `createDataFrame` streams its converted rows: the scan of the result projects
    each row into a row of its own, which the write's shuffle serializes before the next is read, so the operators
    below may reuse their row objects (Spark's `Dataset.checkpoint` copies them because it keeps them). A Spark build
    without that method gets the round trip through external rows."""
    nullable = T.StructType([T.StructField(f.name, f.dataType, True) for f in frame.schema.fields])
    jspark = spark._jsparkSession  # noqa: SLF001
    jschema = jspark.parseDataType(nullable.json())
    try:
        jdf = getattr(jspark, INTERNAL_CREATE_DATAFRAME)(frame._jdf.queryExecution().toRdd(), jschema, False)  # noqa: SLF001
    except Py4JError as error:
        if isinstance(error, Py4JJavaError):  # the method ran and failed: not a missing method
            raise
        # A Spark build without the internal method (it is not public API): the round trip through external rows.
        jdf = jspark.createDataFrame(frame._jdf.rdd(), jschema)  # noqa: SLF001
    return DataFrame(jdf, spark)


def _delete_tree(spark: SparkSession, uri: str, only_if_empty: bool = False) -> None:
    """Deletes a file or a folder and everything under it; nothing when it does not exist. With `only_if_empty`, a
    folder is deleted only when it holds nothing.

    Local paths are deleted with plain file I/O: the staging write's scratch folder holds a folder per partition and
    batch (3,000 for a 100 x 30 batch), and Hadoop's recursive delete of it took ~5 s of a local run through py4j
    (docs/PERFORMANCE.md, section 2, round h15f). S3 URIs with boto3 (`_s3_delete_tree`); other schemes through
    Hadoop's FileSystem."""
    local = _local_file(uri)
    if local is not None:
        folder = os.path.isdir(local) and not os.path.islink(local)
        if only_if_empty:
            if folder and not os.listdir(local):
                os.rmdir(local)
        elif folder:
            shutil.rmtree(local)
        elif os.path.lexists(local):
            os.remove(local)
        return
    if re.match(S3_URI, uri):
        _s3_delete_tree(uri, only_if_empty)
        return
    path, fs = _hadoop_path(spark, uri)
    if fs.exists(path):
        if only_if_empty and fs.listStatus(path):
            return
        fs.delete(path, True)


def _move(spark: SparkSession, source: str, target: str, folders: Dict[str, bool]) -> None:
    """Moves one file, replacing the target (a rename on local disk and HDFS, copy and delete on S3).

    Local files are moved with plain file I/O: the staging write moves one file per city and batch, and with four
    py4j calls per file the moves of a local 100 x 30 run took most of the 37 s between its last Spark job and its
    end (at a load of 25; docs/PERFORMANCE.md, section 2). The target's folder is made if it is missing; `folders`
    (one per commit) records each local folder seen, True where a move made it, so that the moves of one commit ask
    for each folder once: one `mkdir` for a new folder, none for a folder already recorded."""
    local_source, local_target = _local_file(source), _local_file(target)
    if local_source is not None and local_target is not None:
        folder = os.path.dirname(local_target)
        if folder not in folders:
            try:
                os.mkdir(folder)
                folders[folder] = True
            except FileExistsError:
                folders[folder] = False
            except FileNotFoundError:  # a parent is missing too
                os.makedirs(folder, exist_ok=True)
                folders[folder] = True
        os.replace(local_source, local_target)
        return
    src, fs = _hadoop_path(spark, source)
    dst, _ = _hadoop_path(spark, target)
    if fs.exists(dst):
        fs.delete(dst, False)
    fs.mkdirs(dst.getParent())
    if not fs.rename(src, dst):
        raise IOError(f"could not move {source} to {target}")


# S3's own limit on the keys of one DeleteObjects request.
S3_DELETE_BATCH = 1000
# Concurrent S3 requests of the staging moves (the boto3 client's connection pool is sized to match): each request
# waits tens of milliseconds for S3, so 3,000 moves one after the other would take minutes of the driver's time.
S3_REQUEST_THREADS = 16
# Folder markers: S3A's `folder/` (Glue 5.1's S3 file system) and EMRFS's `folder_$folder$` (Glue 5.0's) objects.
S3_FOLDER_MARKER = "_$folder$"


def _s3_bucket_key(uri: str) -> Tuple[str, str]:
    bucket, _, key = re.sub(S3_URI, "", uri).partition("/")
    return bucket, key


# One boto3 S3 client per AWS environment (boto3 clients are thread-safe): a run's listings, moves, deletions and
# summary share one, where each call made its own (three per staging write, each loading boto3's service model).
# Keyed on the `AWS_*` environment variables, which are all that point boto3 at an endpoint and credentials here
# (Glue's role, a test's moto server): a process whose environment changes gets a client of its own.
_S3_CLIENTS: Dict[Tuple[Tuple[str, str], ...], Any] = {}
_S3_CLIENTS_LOCK = threading.Lock()


def _s3_client():
    key = tuple(sorted((name, value) for name, value in os.environ.items() if name.startswith("AWS_")))
    with _S3_CLIENTS_LOCK:
        client = _S3_CLIENTS.get(key)
        if client is None:
            import boto3  # present on Glue
            from botocore.config import Config

            client = _S3_CLIENTS[key] = boto3.client("s3", config=Config(max_pool_connections=S3_REQUEST_THREADS))
        return client


def _s3_delete_keys(client: Any, bucket: str, keys: Sequence[str]) -> None:
    """Deletes the keys with DeleteObjects, up to 1,000 a request, concurrently; a key that does not exist is no
    error (S3's own rule). Raises IOError naming the keys S3 reports as not deleted."""
    batches = [list(keys[i:i + S3_DELETE_BATCH]) for i in range(0, len(keys), S3_DELETE_BATCH)]

    def delete(batch: List[str]) -> List[Dict[str, Any]]:
        response = client.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True})
        return response.get("Errors") or []

    with ThreadPoolExecutor(S3_REQUEST_THREADS) as pool:
        errors = [error for found in pool.map(delete, batches) for error in found]
    if errors:
        named = ", ".join(f"s3://{bucket}/{e.get('Key')} ({e.get('Code')}: {e.get('Message')})" for e in errors[:20])
        raise IOError(f"could not delete {len(errors)} object(s): {named}")


def _s3_delete_tree(uri: str, only_if_empty: bool = False) -> None:
    """`_delete_tree` on S3: the object at `uri`, its EMRFS folder marker and every object under `uri/` (S3A's
    folder markers included), found with one paged listing and deleted in DeleteObjects batches. With
    `only_if_empty`, the folder's own markers, and only when nothing else is under it. A bucket's root is refused
    (ValueError naming it): no path the script deletes is one, and a mistaken one must not empty the bucket."""
    bucket, key = _s3_bucket_key(uri)
    key = key.rstrip("/")
    if not key:
        raise ValueError(f"refusing to delete the whole bucket: {uri}")
    client = _s3_client()
    found = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key):
        found.extend(item["Key"] for item in page.get("Contents", []) if item["Key"] in (
            key, key + S3_FOLDER_MARKER) or item["Key"].startswith(key + "/"))
    if only_if_empty and not all(name in (f"{key}/", key + S3_FOLDER_MARKER) for name in found):
        return
    if found:
        _s3_delete_keys(client, bucket, found)


def _s3_move(moves: Sequence[Tuple[str, str]], delete_also: Sequence[str] = ()) -> None:
    """Moves S3 objects, each replacing its target: one CopyObject per object, concurrently, then the sources (and
    the keys of `delete_also`) deleted in DeleteObjects batches; no existence check, no folder marker. A source is
    deleted only once every copy succeeded, so a failed move leaves every source in place. Raises IOError naming the
    source and target of a failed copy. (A staging file is one fetch of one city, far below CopyObject's 5 GiB.)"""
    client = _s3_client()

    def copy(move: Tuple[str, str]) -> None:
        (source_bucket, source_key), (bucket, key) = _s3_bucket_key(move[0]), _s3_bucket_key(move[1])
        try:
            client.copy_object(Bucket=bucket, Key=key, CopySource={"Bucket": source_bucket, "Key": source_key})
        except Exception as error:  # botocore's ClientError and connection errors alike
            raise IOError(f"could not copy {move[0]} to {move[1]}: {error}") from error

    with ThreadPoolExecutor(S3_REQUEST_THREADS) as pool:
        list(pool.map(copy, moves))
    by_bucket: Dict[str, List[str]] = {}
    for uri in [source for source, _ in moves] + list(delete_also):
        bucket, key = _s3_bucket_key(uri)
        by_bucket.setdefault(bucket, []).append(key)
    for bucket, keys in by_bucket.items():
        _s3_delete_keys(client, bucket, keys)


def write_text(uri: str, text: str) -> None:
    """Writes one small text object: plain file I/O locally, boto3 for s3:// URIs."""
    if re.match(S3_URI, uri):
        bucket, key = _s3_bucket_key(uri)
        _s3_client().put_object(Bucket=bucket, Key=key, Body=text.encode("utf-8"), ContentType="application/json")
        return
    path = re.sub(r"^file:(//)?", "", uri)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def _local_or_uri(location: str) -> str:
    """A URI as given, or an absolute local path for a relative one."""
    return location if re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*://", location) or location.startswith("file:") \
        else os.path.abspath(location)


# A batch's input as `batch_input` gives it: (its input for the run summary, its raw files as `list_files` gives them,
# the manifest's entries or None).
BatchInput = Tuple[Dict[str, Any], List[Tuple[str, int, int]], Optional[Dict[str, Tuple[Any, Any]]]]


def batch_input(spark: Optional[SparkSession], args: argparse.Namespace, landing_root: str) -> BatchInput:
    """The batch `args` names (a `BatchInput`), from its manifest, its one key or its prefix. `spark` may be None for
    a local or S3 landing (their listings and manifest reads need no Spark; `local_batch_input`)."""
    manifest_entries = None
    if args.manifest_key:
        input_desc = {"manifest_key": args.manifest_key}
        manifest = read_manifest(spark, join_uri(landing_root, args.manifest_key))
        keys = list(dict.fromkeys(e["key"] for e in manifest["written"]))
        raw_files = list_files(spark, landing_root, keys)
        manifest_entries = manifest_entries_of(manifest)
        input_desc["manifest_failed"] = len(manifest.get("failed") or [])
    elif args.raw_key:
        input_desc = {"raw_key": args.raw_key}
        raw_files = list_files(spark, landing_root, [args.raw_key])
    else:
        input_desc = {"raw_prefix": args.raw_prefix}
        raw_files = list_tree(spark, join_uri(landing_root, args.raw_prefix))
    input_desc["landing_uri"] = args.landing_uri
    return input_desc, raw_files, manifest_entries


def run(spark: SparkSession, args: argparse.Namespace, contract: Dict[str, Any],
        listed: Optional[BatchInput] = None) -> Dict[str, Any]:
    """Runs one ETL batch and returns its run summary (also written next to the refined data). `listed`: the batch's
    input as `batch_input` gives it, when the caller listed it already (`main()` does for a local landing)."""
    started = datetime.now(timezone.utc)
    clock = time.monotonic()
    configure_session(spark)
    refined_cfg = contract["refined"]
    landing_root = _local_or_uri(args.landing_uri)
    refined_root = _local_or_uri(args.refined_uri)
    processed_at = parse_timestamp(args.processed_at) if args.processed_at else started
    processing_date = processed_at.strftime(_java_date_to_python(refined_cfg["dateFormat"]))

    input_desc, raw_files, manifest_entries = listed if listed is not None else batch_input(spark, args, landing_root)
    size_session_to_batch(spark, len(raw_files))
    on_disk = checkpoint_on_disk(raw_files)

    cities_config = json.loads(args.cities_json) if args.cities_json else contract.get("cities")
    files = with_provenance(
        with_landing_key(read_raw_files(spark, raw_files), landing_root, contract),
        manifest_entries, configured_cities(cities_config))
    # Kept once computed (local checkpoints, filled by the first job that reads them, not by a job of their own):
    # every later step and count reads them instead of re-reading the landing zone and re-parsing the bodies.
    parsed = local_checkpoint(parse_sources(files, contract).drop("content"), on_disk)

    validated = local_checkpoint(validate_source_hours(validate_hours(normalize_source_times(
        normalize_units(explode_hours(parsed, contract), contract), contract), contract), contract), on_disk)
    batch_refined = to_refined(validated, contract, args.run_id, processed_at)
    batch_quarantine = to_quarantine(
        file_quarantine(parsed).unionByName(row_quarantine(validated, contract)), contract, args.run_id, processed_at)

    # Hourly: merge with what the touched partitions already hold, then replace only those partitions.
    hourly_root = join_uri(refined_root, refined_cfg["hourlyPrefix"])
    keys = refined_cfg["partitionKeys"]
    candidates = [partition_path(keys, [r[k] for k in keys]) for r in batch_refined.select(*keys).distinct().collect()]
    # The listing the merge reads is also what the commit deletes in the partitions it replaces.
    hourly_found = partition_files(spark, hourly_root, candidates)
    existing = with_default_source(
        read_existing(spark, hourly_root, hourly_schema(contract), candidates, hourly_found), contract)
    # Every write below goes to the run's scratch folder and no partition is replaced before the last Spark job has
    # run (`commit_scratch`), so no job reads a folder whose files are gone. The merge is still materialized once:
    # the outcome counts below read every partition of the checkpoint, and the writes read it again.
    ranked = local_checkpoint(latest_per_hour(batch_refined, existing), on_disk)

    quarantine_root = join_uri(refined_root, refined_cfg["quarantinePrefix"])
    qkeys = refined_cfg["quarantinePartitionKeys"]
    staging_root = join_uri(refined_root, refined_cfg["stagingPrefix"])
    skeys = refined_cfg["stagingPartitionKeys"]
    batch_staging = to_staging(validated, contract, args.run_id, processed_at)
    daily_root = join_uri(refined_root, refined_cfg["dailyPrefix"])
    dkeys = refined_cfg["dailyPartitionKeys"]

    # Hourly rows the lake keeps after this batch (rank 1), in partitions where a batch row wins an hour (only those
    # change; the others are left as they are), and the rows of the (city, UTC day)s where a batch row wins, from
    # which the daily layer is recomputed (all of a touched day's rows are there: its partition is rewritten whole).
    # Window flags, not joins with the keys: no broadcast, so no Spark job of their own.
    batch_win = f"max(CASE WHEN {_ORIGIN} = 1 THEN 1 END)"
    kept = with_sql(ranked.where(f"{_RANK} = 1"), {
        "_partition_won": f"{batch_win} OVER (PARTITION BY {', '.join(sql_name(k) for k in keys)})",
        "_day_won": f"{batch_win} OVER (PARTITION BY city, `date`)"})
    hourly_columns = [sql_name(f.name) for f in hourly_schema(contract).fields]
    winners = kept.where("_partition_won = 1").selectExpr(*hourly_columns)
    touched_rows = kept.where("_day_won = 1").selectExpr(*hourly_columns)
    recomputed = daily_from_hourly(touched_rows, contract, args.run_id, processed_at)

    # Every count the summary and the writes need, from one Spark job: the outcome per hourly partition, the
    # quarantine per partition and reason, the staged rows, the staged batches, the files read and the daily rows per
    # daily partition. The job reads every partition of the checkpoint `ranked`, so it is complete before the first
    # write (the daily rows are recomputed from it at their write).
    tallies = collect_tallies({
        "outcomes": partition_outcomes(ranked, keys, refined_cfg["dateFormat"]),
        "quarantine": batch_quarantine.groupBy(*qkeys, "reason").agg(F.expr("count(1) AS n")),
        "staged": batch_staging.agg(F.expr("count(1) AS n")),
        "staging_inputs": parsed.where("key_valid").select("ingest_date", "city", "batch_id").distinct(),
        "files": file_counts(parsed),
        "daily": recomputed.groupBy(*dkeys).agg(F.expr("count(1) AS n")),
    })
    outcomes = tallies["outcomes"]
    touched = sorted(partition_path(keys, [r[k] for k in keys]) for r in outcomes if r["batch_wins"])
    # The UTC days the run wrote: with monthly partitions the partition paths do not name them, and the
    # orchestrator's validation queries need them (date range).
    hourly_dates = sorted({day for r in outcomes for day in r["hourly_dates"]})
    hourly_sources = sorted({source for r in outcomes for source in r["hourly_sources"]})
    quarantine_counts = tallies["quarantine"]
    q_touched = sorted({partition_path(qkeys, [r[k] for k in qkeys]) for r in quarantine_counts})
    # Staging: every good hour of every fetch, counted independently of the ranking above.
    staged = sum(int(r["n"]) for r in tallies["staged"])
    staging_inputs = [(r["ingest_date"], r["city"], r["batch_id"]) for r in tallies["staging_inputs"]]

    # Reconciled before anything is written: a batch whose counts do not add up leaves the lake as it was.
    summary = reconcile_staging(summarize(tallies["files"][0], outcomes, quarantine_counts), staged)
    if not summary["reconciled"]:
        raise ReconciliationError(summary)

    # The commit, in this order (what a crash at each point leaves, and why a rerun of the batch repairs it):
    # 1. Every layer's rows are written into the run's scratch folder (`scratch_folder`, emptied first), in one Spark
    #    job whose Python workers write the files (`written_files`; Spark's writer for a scratch folder neither local
    #    nor on S3): hourly, daily, staging, quarantine. A failure here leaves the lake exactly as it was (the
    #    scratch folder is deleted on the way out; a crash that leaves it is emptied by the next attempt of the run
    #    id, and no table reads it).
    # 2. `commit_scratch`: every scratch file moved (copied on S3) to its place, in every layer, then the stale files
    #    deleted (the replaced partitions' previous files, the staging files the batch no longer writes), then the
    #    scratch folder. A crash in the moves or the deletions leaves duplicates, never gaps: some partitions hold their
    #    previous file beside the new one until a rerun of the batch replaces them (`read_existing` reads duplicate
    #    rows once, the latest fetch of each hour wins, and the commit deletes every previous file of a partition).
    # 3. The run summary, last: a run without one did not finish.
    scratch = scratch_folder(staging_root, args.run_id)
    _delete_tree(spark, scratch)
    previous: List[str] = [f for files in hourly_found.values() for f in files]
    daily_touched: List[str] = []
    daily_rows = 0
    # Local and S3 scratch folders: the Python workers write the files (`written_files`); other schemes: Spark.
    by_arrow = arrow_writes_to(scratch)
    layers: List[LayerWrite] = []
    try:
        if touched:
            # A monthly partition's file holds a city's month of hours: dictionary-encoded (see PARQUET_WRITE_OPTIONS).
            layers.append(LayerWrite(winners, refined_cfg["hourlyPrefix"], keys, HOURLY_FILE_ORDER,
                                     dictionary=_MONTH_KEY in keys))
            # With monthly partitions a daily partition holds other days too: those are kept as they are.
            daily_partitions = sorted(partition_path(dkeys, [r[k] for k in dkeys]) for r in tallies["daily"])
            daily_rows = sum(int(r["n"]) for r in tallies["daily"])
            daily_found = partition_files(spark, daily_root, daily_partitions)
            previous += [f for files in daily_found.values() for f in files]
            daily_existing = read_existing(spark, daily_root, daily_schema(contract), daily_partitions, daily_found)
            daily_merged = recomputed
            if daily_existing is not None:  # read once, as the hourly merge
                touched_days = (ranked.where((F.col(_ORIGIN) == 1) & (F.col(_RANK) == 1))
                                .select("city", F.to_date("date", refined_cfg["dateFormat"]).alias("day")).distinct())
                daily_merged = merge_daily(recomputed, daily_existing, touched_days).localCheckpoint(eager=True)
            # (pyarrow writes every column nullable; Spark's writer needs the nullable frame: `as_nullable`.)
            layers.append(LayerWrite(daily_merged if by_arrow else as_nullable(spark, daily_merged),
                                     refined_cfg["dailyPrefix"], dkeys, DAILY_FILE_ORDER))
            daily_touched = daily_partitions

        # Staging: one file per partition and batch (`plan_scratch_commit` names it), after the refined data it
        # reconciles with.
        if staged:  # (with no row staged, the commit still deletes the files of the batches read)
            layers.append(LayerWrite(batch_staging, refined_cfg["stagingPrefix"], [*skeys, _STAGED_BATCH],
                                     STAGING_FILE_ORDER))

        # Quarantine: replace earlier rows of the same source keys in the touched date partitions.
        if q_touched:
            q_found = partition_files(spark, quarantine_root, q_touched)
            previous += [f for files in q_found.values() for f in files]
            q_existing = read_existing(spark, quarantine_root, quarantine_schema(contract), q_touched, q_found)
            q_merged = merge_quarantine(batch_quarantine, q_existing, parsed.select("source_key"))
            if q_existing is not None:  # read once, as the hourly merge
                q_merged = q_merged.localCheckpoint(eager=True)
            layers.append(LayerWrite(q_merged, refined_cfg["quarantinePrefix"], qkeys,
                                     [c for c in QUARANTINE_FILE_ORDER if c in q_merged.columns]))

        if by_arrow:
            # One Spark job writes every layer (a small local batch: the driver, a job per layer); the commit takes the
            # files written (no listing of the scratch folder).
            if _local_file(scratch) is not None and len(raw_files) <= DRIVER_WRITE_MAX_FILES \
                    and hasattr(DataFrame, "_collect_as_arrow"):  # (PySpark's own API, not public)
                # A small local batch: its files written by the driver, no Python worker started.
                scratch_files = written_files_by_driver(layers, scratch, uuid.uuid4().hex)
            else:
                written = written_files(layers, scratch, uuid.uuid4().hex).collect() if layers else []
                scratch_files = [(r["path"], r["place"]) for r in written]
        else:
            for layer in layers:
                write_scratch(layer.frame, scratch, layer.prefix, layer.partition_keys, sort_by=layer.sort_by,
                              dictionary=layer.dictionary)
            scratch_files = [path for path, _, _ in list_tree(spark, scratch)]
    except BaseException:
        _discard_scratch(spark, scratch)
        raise

    commit = plan_scratch_commit(scratch_files, scratch, refined_root,
                                 refined_cfg["stagingPrefix"], skeys, staging_inputs, previous)
    commit_scratch(spark, commit)
    _delete_tree(spark, scratch)
    # The staging prefix keeps no empty scratch parent behind.
    _delete_tree(spark, join_uri(staging_root, SCRATCH_FOLDER), only_if_empty=True)
    staging_touched = commit.staging_partitions

    finished = datetime.now(timezone.utc)
    summary = {
        "run_id": args.run_id,
        "started_at": _iso(started),
        "finished_at": _iso(finished),
        "duration_seconds": round(time.monotonic() - clock, 3),
        "processed_at": _iso(processed_at),
        "input": input_desc,
        **summary,
        "partitions_written": len(touched),
        "hourly_dates": hourly_dates,
        "hourly_sources": hourly_sources,
        "partitions": {
            "hourly": [join_uri(refined_cfg["hourlyPrefix"], p) + "/" for p in touched],
            "hourly_by_source": hourly_partitions_by_source(outcomes, keys, refined_cfg["hourlyPrefix"]),
            "quarantine": [join_uri(refined_cfg["quarantinePrefix"], p) + "/" for p in q_touched],
            "staging": [join_uri(refined_cfg["stagingPrefix"], p) + "/" for p in staging_touched],
            "daily": [join_uri(refined_cfg["dailyPrefix"], p) + "/" for p in daily_touched],
        },
        "daily_rows": daily_rows,
    }
    summary_key = join_uri(refined_cfg["runSummaryPrefix"], f"date={processing_date}", f"{args.run_id}.json")
    summary["summary_key"] = summary_key
    write_text(join_uri(refined_root, summary_key), json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    return summary


RUN_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$"


def parse_args(argv: Optional[Sequence[str]] = None) -> Tuple[argparse.Namespace, List[str]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing_uri", required=True, help="landing bucket root: a local folder or s3://bucket")
    parser.add_argument("--refined_uri", required=True, help="refined bucket root: a local folder or s3://bucket")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--manifest_key", help="ingestion batch manifest, key relative to --landing_uri")
    source.add_argument("--raw_key", help="one raw response, key relative to --landing_uri")
    source.add_argument("--raw_prefix", help="every raw response under this prefix of --landing_uri")
    parser.add_argument("--run_id", required=True, help="id of this ETL run (file name of the run summary)")
    parser.add_argument("--contract_json", help="the data contract as JSON text (default: contract.json beside the script)")
    parser.add_argument("--cities_json", help='configured cities, {"slug": "name"} or [{"slug", "name"}], for names without a manifest')
    parser.add_argument("--processed_at", help="ISO 8601 UTC processing time (default: now), for reproducible runs")
    args, unknown = parser.parse_known_args(argv)
    if not re.match(RUN_ID_PATTERN, args.run_id):
        parser.error(f"--run_id must match {RUN_ID_PATTERN}, got {args.run_id!r}")
    return args, unknown


# The driver JVM options of the local session `main()` builds (`python weather_etl.py …` without awsglue: a local
# batch, the benchmarks, scripts/local-run). They change how fast the JVM runs the batch, never what it computes. On
# Glue the script builds no session (GlueContext does): nothing is set there. WEATHER_ETL_JAVA_OPTIONS replaces them
# (empty: the JVM's defaults); driver options of the user's own (`local_driver_java_options`) are used as they are.
# - A local batch of at most LOCAL_C1_MAX_RAW_OBJECTS raw objects: C1 only (`TieredStopAtLevel=1`), no C2 compiles
#   for a run too short to repay them, and the serial collector, no parallel GC threads for a heap of at most the
#   driver's 1 GiB: 100 x 30 files 0.66x the wall time of the serial collector alone, 100 x 120 files 0.90x; the
#   serial collector 0.89-0.93x the CPU of the JVM's defaults on the daily 3 and 100 x 30 batches (rounds h15o and
#   the lead's, docs/PERFORMANCE.md).
# - A larger batch, or a landing that is not local: C2 kept (the year, 36,500 files, was 1.35x slower with C1 only)
#   and the parallel collector. The year's local checkpoints hold ~500-590 MB of the 1 GiB heap, so the serial
#   collector ran 37-56 full collections, 15-22 s of pauses in which no task ran; the parallel one's pauses took
#   7-10 s (round h15q, docs/PERFORMANCE.md).
# The count is taken before the JVM starts (`local_batch_input`).
LOCAL_DRIVER_JAVA_OPTIONS = "-XX:+UseParallelGC"
LOCAL_SMALL_BATCH_JAVA_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
LOCAL_C1_MAX_RAW_OBJECTS = 12_000
LOCAL_DRIVER_JAVA_OPTIONS_VARIABLE = "WEATHER_ETL_JAVA_OPTIONS"
# The Spark settings that hold a driver's JVM options (spark-submit's --driver-java-options sets the first).
DRIVER_JAVA_OPTION_KEYS = ("spark.driver.extraJavaOptions", "spark.driver.defaultJavaOptions")


def _submit_args_settings(tokens: Sequence[str]) -> Tuple[List[str], Optional[str]]:
    """The driver JVM option settings among spark-submit's arguments `tokens` (each as the option that gives it),
    and the properties file they name (`--properties-file`), if any; `--name value` and `--name=value` alike."""
    given, properties = [], None
    for index, token in enumerate(tokens):
        name, joined, value = token.partition("=")
        if not joined:
            value = tokens[index + 1] if index + 1 < len(tokens) else ""
        if name == "--driver-java-options":
            given.append(name)
        elif name == "--properties-file":
            properties = value
        elif name in ("--conf", "-c") and value.split("=", 1)[0].strip() in DRIVER_JAVA_OPTION_KEYS:
            given.append(f"--conf {value.split('=', 1)[0].strip()}")
    return given, properties


def _spark_properties_file(environ: Dict[str, str], named: Optional[str]) -> Optional[str]:
    """The properties file Spark's launcher reads: the one named by `--properties-file`, else spark-defaults.conf
    in SPARK_CONF_DIR, else in SPARK_HOME's conf folder (PySpark's package folder for a pip-installed PySpark)."""
    if named:
        return named
    conf_dir = environ.get("SPARK_CONF_DIR")
    if not conf_dir:
        spark_home = environ.get("SPARK_HOME")
        if not spark_home:
            from pyspark.find_spark_home import _find_spark_home

            spark_home = _find_spark_home()
        conf_dir = os.path.join(spark_home, "conf")
    return os.path.join(conf_dir, "spark-defaults.conf")


def local_driver_java_options(environ: Optional[Dict[str, str]] = None,
                              raw_objects: Optional[int] = None) -> Tuple[str, str]:
    """(the JVM options `main()` gives the driver of the local session it builds, where they come from). The options
    are LOCAL_SMALL_BATCH_JAVA_OPTIONS for a batch of at most LOCAL_C1_MAX_RAW_OBJECTS `raw_objects`, else (more, or
    None: not known) LOCAL_DRIVER_JAVA_OPTIONS; WEATHER_ETL_JAVA_OPTIONS's value instead if it is set (empty: none,
    the JVM's defaults); none when the user gives the driver JVM options of their own, which win whole, never merged with these:
    PYSPARK_SUBMIT_ARGS with `--driver-java-options` or `--conf spark.driver.extraJavaOptions` (or
    `defaultJavaOptions`), either setting in the properties file Spark's launcher reads (spark-defaults.conf), or
    SPARK_SUBMIT_OPTS (which Spark's launcher puts on the driver's command line). Only for the session `main()`
    builds: on Glue GlueContext builds it, and `main()` does not call this."""
    environ = os.environ if environ is None else environ
    given, named = _submit_args_settings(shlex.split(environ.get("PYSPARK_SUBMIT_ARGS", "")))
    if given:
        return "", f"the user's own: PYSPARK_SUBMIT_ARGS {given[-1]}"
    properties = _spark_properties_file(environ, named)
    if properties and os.path.isfile(properties):
        with open(properties, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                key = re.split(r"[\s=:]", line.strip(), maxsplit=1)[0]
                if key in DRIVER_JAVA_OPTION_KEYS:
                    return "", f"the user's own: {key} in {properties}"
    if environ.get("SPARK_SUBMIT_OPTS", "").strip():
        return "", "the user's own: SPARK_SUBMIT_OPTS"
    if LOCAL_DRIVER_JAVA_OPTIONS_VARIABLE in environ:
        return environ[LOCAL_DRIVER_JAVA_OPTIONS_VARIABLE].strip(), LOCAL_DRIVER_JAVA_OPTIONS_VARIABLE
    if raw_objects is not None and raw_objects <= LOCAL_C1_MAX_RAW_OBJECTS:
        return LOCAL_SMALL_BATCH_JAVA_OPTIONS, (f"the script's local session, a batch of {raw_objects:,} raw objects "
                                                f"(at most LOCAL_C1_MAX_RAW_OBJECTS, {LOCAL_C1_MAX_RAW_OBJECTS:,}): "
                                                "LOCAL_SMALL_BATCH_JAVA_OPTIONS")
    size = "of unknown size" if raw_objects is None else f"of {raw_objects:,} raw objects"
    return LOCAL_DRIVER_JAVA_OPTIONS, f"the script's local session, a batch {size}: LOCAL_DRIVER_JAVA_OPTIONS"


def local_batch_input(args: argparse.Namespace) -> Optional[BatchInput]:
    """The batch `args` names, as `batch_input` gives it, listed before the session starts for a local landing (it
    needs no Spark there): `main()` picks the driver's JVM options by its number of raw objects and hands it to
    `run()`, which does not list it again. None for any other landing or when the batch's input cannot be listed
    (`run()` then lists it and reports why)."""
    landing_root = _local_or_uri(args.landing_uri)
    if _local_file(landing_root) is None:
        return None
    try:
        return batch_input(None, args, landing_root)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def driver_class_path(environ: Dict[str, str]) -> Tuple[Optional[Tuple[Optional[str], str, List[str]]], str]:
    """What a class-data sharing archive of a driver that Spark's launcher starts with `environ` depends on:
    ((spark-defaults.conf to give as --properties-file or None, its text, the jars of the driver's class path: Spark's
    then spark.driver.extraClassPath's), "") or (None, why there can be no archive). A dynamic archive is refused while
    a non-empty folder is on the class path, and the launcher puts the configuration folder there: a folder that holds
    spark-defaults.conf alone is replaced by an empty one and the file given as --properties-file (the same
    settings); anything else there (read from the class path), or submit arguments that name a properties file
    already, get no archive. Used by `LocalDriverArchive` and by the tests' drivers' archive (etl_testkit)."""
    tokens = shlex.split(environ.get("PYSPARK_SUBMIT_ARGS", ""))
    if any(token.partition("=")[0] == "--properties-file" for token in tokens):
        return None, "PYSPARK_SUBMIT_ARGS names a properties file"
    from pyspark.find_spark_home import _find_spark_home

    spark_home = environ.get("SPARK_HOME") or _find_spark_home()
    conf = environ.get("SPARK_CONF_DIR") or os.path.join(spark_home, "conf")
    entries = sorted(os.listdir(conf)) if os.path.isdir(conf) else []
    if entries not in ([], ["spark-defaults.conf"]):
        return None, f"{conf} holds more than spark-defaults.conf"
    properties = os.path.join(conf, "spark-defaults.conf") if entries else None
    text = open(properties, encoding="utf-8").read() if properties else ""
    class_path = [line.split(None, 1)[1].strip() for line in text.splitlines()
                  if line.startswith("spark.driver.extraClassPath") and len(line.split(None, 1)) == 2]
    jars_folder = os.path.join(spark_home, "jars")
    jars = sorted(os.path.join(jars_folder, name) for name in os.listdir(jars_folder)
                  if name.endswith(".jar")) if os.path.isdir(jars_folder) else []
    jars += [jar for entry in class_path for jar in entry.split(os.pathsep) if jar]
    return (properties, text, jars), ""


@contextmanager
def environment(changes: Dict[str, str]):
    """Sets the variables of `changes` in this process's environment for a `with` block, then restores them."""
    saved = {key: os.environ.get(key) for key in changes}
    os.environ.update(changes)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def stop_driver(session: SparkSession) -> Optional[int]:
    """Stops the session and its driver JVM, and waits for the JVM's exit (a JVM dumping a class-data sharing archive
    finishes it then). The driver's exit code; None if this process did not start it."""
    from pyspark import SparkContext

    gateway = SparkContext._gateway  # noqa: SLF001
    process = getattr(gateway, "proc", None)
    session.stop()
    if process is None or process.stdin is None:
        return None
    # PySpark's gateway server exits when its standard input closes (how a driver ends with its Python process).
    process.stdin.close()
    code = process.wait(timeout=600)
    gateway.close()
    SparkContext._gateway, SparkContext._jvm = None, None  # noqa: SLF001
    return code


# Class-data sharing (CDS) for the driver JVM of the local session `main()` builds with the script's own options: the
# classes a first run's driver loaded (Spark's, Hadoop's, the JDK's) are dumped into an archive when it exits, and
# every later driver maps them instead of reading, parsing and verifying them again (a 3-city batch: 0.69x the wall
# time; docs/PERFORMANCE.md). Two layers, as the JDK's dynamic archives need: `base.jsa` (the JDK's default class
# list, `-Xshare:dump`; the Java runtimes from PyPI ship none) and `app.jsa` (`-XX:ArchiveClassesAtExit`). Each is
# written under a name of its own and linked into place only once complete, first writer wins. The folder's name is
# a digest of what the archive depends on (the Java runtime, Spark's jars, the driver's options and class path): any
# change names another folder, and the JVM itself refuses an archive that does not match. WEATHER_ETL_CDS_DIR names
# the folder of the archives (default: $XDG_CACHE_HOME or ~/.cache, then weather-etl/cds); `off` turns them off. On
# CI (CI set) an archive is mapped if one exists but never dumped (a fresh clone would never use it). About 130 MB.
LOCAL_CDS_VARIABLE = "WEATHER_ETL_CDS_DIR"


class LocalDriverArchive:
    """The CDS archive of the local session's driver, for the JVM options `java_options` (the script's own). Use:
    `launch()` before the JVM starts (options to add, environment changes for the launch, and a line saying what
    happens), then, after the run, `finish(spark)` (stops the session and, if the driver dumped an archive, waits for
    its JVM to exit and puts the archive in place)."""

    def __init__(self, java_options: str, environ: Optional[Dict[str, str]] = None):
        self.environ = dict(os.environ if environ is None else environ)
        self.directory: Optional[str] = None
        self.dumping: Optional[str] = None
        self.reason = ""
        self.env_changes: Dict[str, str] = {}
        folder = self.environ.get(LOCAL_CDS_VARIABLE)
        if folder is not None and folder.strip().lower() in ("", "off", "0", "false", "no"):
            self.reason = f"off ({LOCAL_CDS_VARIABLE}={folder.strip()})"
            return
        if folder is None:
            cache = self.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
            folder = os.path.join(cache, "weather-etl", "cds")
        self.folder = os.path.abspath(folder)
        java_home = self.environ.get("JAVA_HOME")
        java = os.path.join(java_home, "bin", "java") if java_home else shutil.which("java", path=self.environ.get("PATH"))
        if not java or not os.path.isfile(java):
            self.reason = "none (no Java runtime found)"
            return
        self.java = os.path.realpath(java)
        class_path, why_not = driver_class_path(self.environ)
        if class_path is None:
            self.reason = f"none ({why_not})"
            return
        properties, text, jars = class_path
        # The Java runtime: its path, its release file, its libjvm.so; then the settings, options and jars.
        home = os.path.dirname(os.path.dirname(self.java))
        release = os.path.join(home, "release")
        libjvm = sorted(os.path.join(folder_name, name) for folder_name, _, names in os.walk(os.path.join(home, "lib"))
                        for name in names if name == "libjvm.so")
        stamp = lambda path: f"{path}:{os.stat(path).st_size}:{os.stat(path).st_mtime_ns}" if os.path.isfile(path) \
            else path  # noqa: E731
        inputs = [self.java, open(release, encoding="utf-8", errors="replace").read() if os.path.isfile(release) else "",
                  *map(stamp, libjvm), "--", text, java_options, *map(stamp, jars)]
        digest = hashlib.sha256("\0".join(inputs).encode("utf-8")).hexdigest()[:16]
        # One archive per set of options (a small batch's and a large one's), replaced when anything else changes.
        self.prefix = f"local-driver-{hashlib.sha256(java_options.encode('utf-8')).hexdigest()[:8]}-"
        self.directory = os.path.join(self.folder, f"{self.prefix}{digest}")
        self.base, self.app = os.path.join(self.directory, "base.jsa"), os.path.join(self.directory, "app.jsa")
        if properties:
            self.env_changes = {"SPARK_CONF_DIR": os.path.join(self.folder, "empty-conf"),
                                "PYSPARK_SUBMIT_ARGS": shlex.join(["--properties-file", properties]) + " "
                                + (self.environ.get("PYSPARK_SUBMIT_ARGS") or "pyspark-shell")}

    @staticmethod
    def _link_into_place(part: str, final: str) -> bool:
        try:
            os.link(part, final)
            return True
        except OSError:  # another run's archive is in place
            return False
        finally:
            try:
                os.unlink(part)
            except OSError:
                pass

    def launch(self) -> Tuple[List[str], Dict[str, str], str]:
        """(JVM options to add, environment changes for the JVM's launch, what happens: a line for standard error)."""
        if self.directory is None:
            return [], {}, self.reason
        if os.path.isfile(self.base) and os.path.isfile(self.app):
            return [f"-XX:SharedArchiveFile={self.base}:{self.app}"], self.env_changes, f"mapped from {self.directory}"
        if self.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
            return [], {}, "none yet (CI: archives are mapped, never dumped)"
        os.makedirs(self.directory, exist_ok=True)
        if not os.path.isfile(self.base):
            part = f"{self.base}.{os.getpid()}-{uuid.uuid4().hex[:8]}.part"
            done = subprocess.run([self.java, "-Xshare:dump", f"-XX:SharedArchiveFile={part}"],
                                  capture_output=True, text=True, timeout=600)
            if done.returncode != 0 or not os.path.isfile(part):
                if os.path.isfile(part):
                    os.unlink(part)
                return [], {}, f"none (the JDK's base archive could not be made: {done.stderr.strip()[-300:]})"
            self._link_into_place(part, self.base)
        self.dumping = f"{self.app}.{os.getpid()}-{uuid.uuid4().hex[:8]}.part"
        # The dump names every class it cannot archive (generated proxies and the like): not worth a line each.
        return ([f"-XX:SharedArchiveFile={self.base}", f"-XX:ArchiveClassesAtExit={self.dumping}", "-Xlog:cds=off",
                 "-Xlog:cds+dynamic=off"], self.env_changes,
                f"dumped into {self.directory} when this run's driver exits (the next runs map it)")

    def finish(self, spark: SparkSession) -> Optional[str]:
        """After the run: if this driver dumps an archive, stops the session, waits for the JVM to exit and puts the
        archive in place; returns a line saying so (None when nothing was dumped)."""
        if self.dumping is None:
            return None
        dumping, self.dumping = self.dumping, None
        try:
            clean = stop_driver(spark) == 0  # Spark's gateway server exits (status 0) at the end of its standard input
        except Exception:  # noqa: BLE001  (a JVM that does not exit: no archive)
            clean = False
        placed = clean and os.path.isfile(dumping) and os.path.getsize(dumping) > 0 \
            and self._link_into_place(dumping, self.app)
        if os.path.isfile(dumping):
            os.unlink(dumping)
        if placed:  # the archives of the same options for other runtimes or jars
            for other in os.listdir(self.folder):
                path = os.path.join(self.folder, other)
                if other.startswith(self.prefix) and path != self.directory and os.path.isdir(path):
                    shutil.rmtree(path, ignore_errors=True)
        return f"class-data sharing archive {'placed in ' + self.directory if placed else 'not dumped'}"


def main(argv: Optional[Sequence[str]] = None) -> int:
    args, _glue_args = parse_args(argv)
    contract = load_contract(args.contract_json)
    job, archive, listed = None, None, None
    try:  # On Glue: a GlueContext-backed session and a Job to commit; locally there is no awsglue.
        from awsglue.context import GlueContext  # type: ignore
        from awsglue.job import Job  # type: ignore
        from awsglue.utils import getResolvedOptions  # type: ignore
        from pyspark.context import SparkContext

        glue_context = GlueContext(SparkContext.getOrCreate())
        spark = glue_context.spark_session
        job = Job(glue_context)
        # As Glue documents it: Job.init with the arguments getResolvedOptions resolved from the command line.
        glue_args = getResolvedOptions(sys.argv if argv is None else [sys.argv[0], *argv], ["JOB_NAME"])
        job.init(glue_args["JOB_NAME"], glue_args)
    except ImportError:
        # The Python workers that write the Parquet files (`written_files`) run this interpreter, which has pyarrow
        # (Spark's default is `python3` on the PATH); Glue sets its own.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = (SparkSession.builder.appName("weather-etl")
                   .master(os.environ.get("SPARK_MASTER", "local[2]"))
                   .config("spark.ui.enabled", "false")
                   .config("spark.ui.showConsoleProgress", "false")
                   .config("spark.sql.session.timeZone", "UTC"))
        from pyspark import SparkContext

        launch_env: Dict[str, str] = {}
        if SparkContext._active_spark_context is None:  # noqa: SLF001  (a running driver's JVM has its options)
            listed = local_batch_input(args)
            java_options, origin = local_driver_java_options(None, None if listed is None else len(listed[1]))
            if java_options:
                # Spark's launcher puts it on the driver JVM's command line (client mode, as every local master is).
                # Only the script's own options get an archive (not the user's, nor WEATHER_ETL_JAVA_OPTIONS's).
                if origin.startswith("the script's"):
                    try:
                        archive = LocalDriverArchive(java_options)
                        archive_options, launch_env, said = archive.launch()
                    except (OSError, subprocess.SubprocessError) as error:  # e.g. a cache folder it cannot write
                        archive, archive_options, launch_env, said = None, [], {}, f"none ({error})"
                    java_options = " ".join([java_options, *archive_options])
                    print(f"weather-etl: class-data sharing archive: {said}", file=sys.stderr)
                builder = builder.config("spark.driver.extraJavaOptions", java_options)
            print(f"weather-etl: driver JVM options: {java_options or '(none)'} ({origin})", file=sys.stderr)
        with environment(launch_env):  # for the launch only: the JVM gets them, this process keeps its own
            spark = builder.getOrCreate()
    try:
        try:
            summary = run(spark, args, contract, listed)
        except ReconciliationError as error:
            print(f"weather-etl: run {args.run_id} does not reconcile: {error}", file=sys.stderr)
            return 1
        print(json.dumps(summary, indent=2, ensure_ascii=False), flush=True)
        if job is not None:
            job.commit()
        return 0
    finally:
        if archive is not None:
            said = archive.finish(spark)
            if said:
                print(f"weather-etl: {said}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
