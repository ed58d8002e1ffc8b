"""The pure steps on small in-memory frames: file reasons, time handling, ranges, contract-driven units,
the tie-break of the merge, quarantine replacement, and the argument and contract checks."""

import copy
import json
from datetime import datetime, timezone

import pytest

from etl_testkit import load_contract, session_conf
import weather_etl

ROOT = "/landing"
KEY = "weather/raw/source=open-meteo/ingest_date=2026-05-07/city=testville/t1.json"
MTIME = datetime(2026, 5, 7, 5)


def body(units, hourly, offset=0):
    return json.dumps({"latitude": 1.0, "longitude": 2.0, "elevation": 3.0, "utc_offset_seconds": offset,
                       "hourly_units": units, "hourly": hourly})


def process(spark, contract, files):
    """files: {key: text}. Returns (file rows by key, hour rows) after parse → explode → normalize → validate."""
    weather_etl.configure_session(spark)
    rows = [(f"file:{ROOT}/{key}", MTIME, len(text.encode()), bytearray(text.encode())) for key, text in files.items()]
    frame = spark.createDataFrame(rows, "path string, modificationTime timestamp, length long, content binary")
    parsed = weather_etl.parse_bodies(
        weather_etl.with_provenance(weather_etl.with_landing_key(frame, ROOT, contract), None, None), contract)
    hours = weather_etl.validate_hours(weather_etl.normalize_units(weather_etl.explode_hours(parsed, contract), contract),
                                       contract)
    by_key = {r["source_key"]: r.asDict() for r in parsed.select("source_key", "file_reason", "file_detail", "city_name").collect()}
    return by_key, sorted((r.asDict() for r in hours.collect()), key=lambda r: (r["source_key"], r["_pos"]))


def key_of(city):
    return f"weather/raw/source=open-meteo/ingest_date=2026-05-07/city={city}/t1.json"


ODD_FILES = {
        key_of("blank"): "  \n\t ",
        key_of("array"): "[1, 2]",
        key_of("hourly-string"): '{"hourly": "oops"}',
        key_of("no-time"): '{"hourly": {"temperature_2m": [1.0]}}',
        key_of("empty-time"): '{"hourly": {"time": []}}',
        key_of("no-label"): body({"time": "iso8601"}, {"time": ["2026-05-07T00:00"], "temperature_2m": [1.0]}),
        key_of("not-array"): body({"temperature_2m": "°C"}, {"time": ["2026-05-07T00:00"], "temperature_2m": 1.0}),
        "weather/raw/source=open-meteo/ingest_date=2026-05-07/city=Bad/t1.json": "",
        "elsewhere/file.json": body({}, {"time": ["2026-05-07T00:00"]}),
        key_of("paris"): body({"temperature_2m": "°C"}, {
            "time": ["2026-05-07T00:00", "2026-05-07T00:30:00", "2026-02-30T00:00", "2026-05-07"],
            "temperature_2m": [1.0, 2.0, 3.0, 4.0]}, offset=3600),
        key_of("unix"): body({"temperature_2m": "°C"}, {"time": [1778112000, "1778115600"], "temperature_2m": [1.0, 2.0]},
                             offset=-18000),
        key_of("kelvin"): body({"temperature_2m": "K"}, {"time": ["2026-05-07T00:00"], "temperature_2m": [290.15]}),
        key_of("edges"): body({"relative_humidity_2m": "%", "weather_code": "wmo code"}, {
            "time": [f"2026-05-07T0{h}:00" for h in range(5)],
            "relative_humidity_2m": [100, 100.5, "abc", None, 0], "weather_code": [99, 1, 1, 100, None]}),
        key_of("fractional"): body({"weather_code": "wmo code"}, {
            "time": [f"2026-05-07T0{h}:00" for h in range(4)], "weather_code": [61.7, 61.0, 61, 0.5]}),
}


@pytest.fixture(scope="module")
def odd(spark, contract):
    """One pipeline pass over every small body of this module (one pass keeps the suite fast)."""
    return process(spark, contract, ODD_FILES)


def test_file_reasons_for_odd_bodies(odd):
    by_key, _ = odd
    reasons = {k: v["file_reason"] for k, v in by_key.items()}
    assert reasons == {
        key_of("blank"): "EMPTY_FILE",
        key_of("array"): "MALFORMED_JSON",
        key_of("hourly-string"): "MISSING_HOURLY",
        key_of("no-time"): "MISSING_HOURLY",
        key_of("empty-time"): "MISSING_HOURLY",
        key_of("no-label"): "UNKNOWN_UNIT",
        key_of("not-array"): "LENGTH_MISMATCH",
        # The key is checked first: a file under a bad key is INVALID_KEY whatever its body.
        "weather/raw/source=open-meteo/ingest_date=2026-05-07/city=Bad/t1.json": "INVALID_KEY",
        "elsewhere/file.json": "INVALID_KEY",
        key_of("paris"): None, key_of("unix"): None, key_of("edges"): None, key_of("kelvin"): "UNKNOWN_UNIT",
        key_of("fractional"): None,
    }
    assert by_key[key_of("no-label")]["file_detail"] == 'temperature_2m unit (no label) not in ["°C", "°F"]'
    assert by_key[key_of("blank")]["city_name"] == "blank"  # no manifest, no configured cities: the slug


def test_times_local_iso_unix_and_unparsable(odd):
    _, hours = odd
    paris = [h for h in hours if "paris" in h["source_key"]]
    assert [h["observed_at"] for h in paris[:2]] == [datetime(2026, 5, 6, 23), datetime(2026, 5, 6, 23, 30)]
    assert [h["row_reason"] for h in paris] == [None, None, "UNPARSABLE_TIME", "UNPARSABLE_TIME"]
    unix = [h for h in hours if "unix" in h["source_key"]]
    assert [h["observed_at"] for h in unix] == [datetime(2026, 5, 7, 0), datetime(2026, 5, 7, 1)]


def test_ranges_are_inclusive_and_non_numbers_are_rejected(odd):
    hours = [h for h in odd[1] if "edges" in h["source_key"]]
    assert [h["row_reason"] for h in hours] == [None, "OUT_OF_RANGE", "OUT_OF_RANGE", "OUT_OF_RANGE", None]
    assert hours[1]["row_detail"] == "relative_humidity_pct=100.5 outside [0, 100]"
    assert hours[2]["row_detail"] == 'relative_humidity_pct=["abc"] outside [0, 100]'
    assert hours[3]["row_detail"] == "weather_code=100.0 outside [0, 99]"


def test_a_fractional_weather_code_is_out_of_range_not_truncated(odd):
    hours = [h for h in odd[1] if "fractional" in h["source_key"]]
    assert [h["row_reason"] for h in hours] == ["OUT_OF_RANGE", None, None, "OUT_OF_RANGE"]
    assert hours[0]["row_detail"] == "weather_code=61.7 is not a whole number"
    assert hours[3]["row_detail"] == "weather_code=0.5 is not a whole number"
    assert [h["weather_code"] for h in hours[1:3]] == [61.0, 61.0]


def test_hours_of_a_city_not_configured_are_quarantined_when_cities_are_given(spark, contract):
    weather_etl.configure_session(spark)
    text = body({"temperature_2m": "°C"}, {"time": ["2026-05-07T00:00", "2026-05-07T01:00"], "temperature_2m": [1.0, None]})
    rows = [(f"file:{ROOT}/{key_of(city)}", MTIME, len(text), bytearray(text.encode())) for city in ("paris", "lyon")]
    frame = spark.createDataFrame(rows, "path string, modificationTime timestamp, length long, content binary")
    cities = spark.createDataFrame([("paris", "Paris")], "city string, configured_name string")

    def reasons(configured):
        files = weather_etl.with_provenance(weather_etl.with_landing_key(frame, ROOT, contract), None, configured)
        hours = weather_etl.validate_hours(weather_etl.normalize_units(
            weather_etl.explode_hours(weather_etl.parse_bodies(files, contract), contract), contract), contract)
        return sorted((h["city"], h["_pos"], h["row_reason"], h["row_detail"]) for h in hours.collect())

    detail = "city lyon is not one of the configured cities (--cities_json)"
    # The city check comes first: lyon's second hour has no measurement, but the city is what is wrong.
    assert reasons(cities) == [("lyon", 0, "CITY_NOT_CONFIGURED", detail), ("lyon", 1, "CITY_NOT_CONFIGURED", detail),
                               ("paris", 0, None, None), ("paris", 1, "NO_MEASUREMENT", "every weather variable is null")]
    # Without configured cities every city is accepted.
    assert [r[2] for r in reasons(None)] == [None, "NO_MEASUREMENT", None, "NO_MEASUREMENT"]


def test_units_and_conversions_come_from_the_contract(spark, contract, odd):
    files = {key_of("kelvin"): ODD_FILES[key_of("kelvin")]}
    assert odd[0][key_of("kelvin")]["file_reason"] == "UNKNOWN_UNIT"  # with the contract as generated

    with_kelvin = copy.deepcopy(contract)
    temperature = next(v for v in with_kelvin["variables"] if v["apiName"] == "temperature_2m")
    temperature["acceptedUnits"].append({"label": "K", "scale": 1, "offset": -273.15})
    by_key, hours = process(spark, with_kelvin, files)
    assert by_key[key_of("kelvin")]["file_reason"] is None
    assert hours[0]["temperature_c"] == pytest.approx(17.0, abs=1e-9)


def hourly_rows(spark, contract, rows):
    """rows: (city, hour, fetched hour, source key, run id, temperature) → frame with the contract's columns + _pos."""
    schema = weather_etl.hourly_schema(contract)
    full = []
    for city, hour, fetched, key, run_id, temperature in rows:
        values = {f.name: None for f in schema.fields}
        values.update(city=city, date="2026-05-07", observed_at=datetime(2026, 5, 7, hour),
                      fetched_at=datetime(2026, 5, 7, fetched), source_key=key, run_id=run_id, temperature_c=temperature)
        full.append(tuple(values[f.name] for f in schema.fields))
    return spark.createDataFrame(full, schema)


def test_latest_fetch_wins_then_greater_source_key_then_the_batch(spark, contract):
    existing = hourly_rows(spark, contract, [
        ("a", 0, 9, "k1", "old", 1.0),   # newer fetch than the batch's: stays
        ("a", 1, 5, "k1", "old", 1.0),   # same fetch, greater source key than the batch's k0: stays
        ("a", 2, 5, "k1", "old", 1.0),   # same fetch, same key: the batch's row replaces it
        ("a", 3, 5, "k1", "old", 1.0),   # older fetch: replaced
    ])
    from pyspark.sql import functions as F

    batch = hourly_rows(spark, contract, [
        ("a", 0, 5, "k1", "new", 2.0), ("a", 1, 5, "k0", "new", 2.0), ("a", 2, 5, "k1", "new", 2.0),
        ("a", 3, 6, "k1", "new", 2.0), ("a", 3, 6, "k1", "new", 3.0),
    ]).withColumn("_pos", F.monotonically_increasing_id().cast("int"))
    ranked = weather_etl.latest_per_hour(batch, existing).collect()
    winners = {r["observed_at"].hour: (r["run_id"], r["temperature_c"]) for r in ranked if r["_rank"] == 1}
    assert winners == {0: ("old", 1.0), 1: ("old", 1.0), 2: ("new", 2.0), 3: ("new", 3.0)}
    lost = sorted((r["observed_at"].hour, r["temperature_c"]) for r in ranked if r["_rank"] > 1 and r["_origin"] == 1)
    assert lost == [(0, 2.0), (1, 2.0), (3, 2.0)]  # superseded batch records, incl. the duplicate within the batch


def test_quarantine_merge_replaces_rows_of_the_same_source_keys_only(spark, contract):
    schema = weather_etl.quarantine_schema(contract)

    def rows(items):
        out = []
        for reason, key, run_id in items:
            values = {f.name: None for f in schema.fields}
            values.update(reason=reason, source_key=key, run_id=run_id, date="2026-05-07")
            out.append(tuple(values[f.name] for f in schema.fields))
        return spark.createDataFrame(out, schema)

    existing = rows([("EMPTY_FILE", "k1", "old"), ("OUT_OF_RANGE", "k1", "old"), ("API_ERROR", "k2", "old")])
    batch = rows([("OUT_OF_RANGE", "k1", "new")])
    merged = weather_etl.merge_quarantine(batch, existing, spark.createDataFrame([("k1",), ("k3",)], "source_key string"))
    assert sorted((r["reason"], r["source_key"], r["run_id"]) for r in merged.collect()) == [
        ("API_ERROR", "k2", "old"), ("OUT_OF_RANGE", "k1", "new")]


def test_arguments_tolerate_glue_extras_and_demand_one_input():
    args, unknown = weather_etl.parse_args([
        "--JOB_NAME", "j", "--landing_uri", "s3://l", "--refined_uri", "s3://r", "--raw_key", "k.json",
        "--run_id", "jr_0123", "--job-bookmark-option", "job-bookmark-disable"])
    assert (args.raw_key, args.run_id, args.manifest_key) == ("k.json", "jr_0123", None)
    assert unknown == ["--JOB_NAME", "j", "--job-bookmark-option", "job-bookmark-disable"]
    with pytest.raises(SystemExit):
        weather_etl.parse_args(["--landing_uri", "a", "--refined_uri", "b", "--run_id", "r"])  # no input
    with pytest.raises(SystemExit):
        weather_etl.parse_args(["--landing_uri", "a", "--refined_uri", "b", "--raw_key", "k", "--run_id", "../x"])


def test_contract_that_the_script_cannot_apply_is_refused(spark):
    contract = load_contract()
    no_reason = copy.deepcopy(contract)
    no_reason["quarantineReasons"] = [r for r in no_reason["quarantineReasons"] if r["code"] != "OUT_OF_RANGE"]
    with pytest.raises(weather_etl.ContractError, match="OUT_OF_RANGE"):
        weather_etl.load_contract(json.dumps(no_reason))
    odd_type = copy.deepcopy(contract)
    odd_type["refined"]["hourlyColumns"][0]["dataType"] = "uniontype"
    with pytest.raises(weather_etl.ContractError, match="uniontype"):
        weather_etl.load_contract(json.dumps(odd_type))
    extra_column = copy.deepcopy(contract)
    extra_column["refined"]["hourlyColumns"].append({"name": "dew_point_c", "dataType": "double", "comment": "x"})
    frame = spark.createDataFrame([], "x int")
    with pytest.raises(weather_etl.ContractError, match="dew_point_c"):
        weather_etl.to_refined(frame, extra_column, "r", datetime(2026, 5, 9, tzinfo=timezone.utc))


def test_shuffle_partitions_are_twice_the_cores_unless_set_explicitly(spark):
    # Nothing set (Glue without a `--conf`): twice the cores, not Spark's 200.
    assert weather_etl.shuffle_partitions(None, 2) == "4"
    assert weather_etl.shuffle_partitions(None, 40) == "80"
    assert weather_etl.shuffle_partitions(None, 0) == "2"
    assert weather_etl.shuffle_partitions("7", 40) == "7"
    # This session's builder sets 2, as a Glue job parameter `--conf spark.sql.shuffle.partitions=2` would: kept.
    weather_etl.configure_session(spark)
    assert spark.conf.get("spark.sql.shuffle.partitions") == "2"
    # So is a value set on the session before the run.
    with session_conf(spark, {"spark.sql.shuffle.partitions": "3"}):
        weather_etl.configure_session(spark)
        assert spark.conf.get("spark.sql.shuffle.partitions") == "3"


def test_listing_finds_manifest_keys_folders_and_empty_files_and_names_every_missing_key(tmp_path):
    root = tmp_path / "landing"
    present = {key_of("paris"): b"{}", key_of("lyon"): b"", "weather/raw/source=open-meteo/ingest_date=2026-05-08/city=oslo/t1.json": b"[]"}
    for key, data in present.items():
        (root / key).parent.mkdir(parents=True, exist_ok=True)
        (root / key).write_bytes(data)
    (root / key_of("paris")).with_name("_SUCCESS").write_bytes(b"")  # marker files are skipped, as Spark skips them
    found = weather_etl.list_files(None, str(root), [key_of("paris"), key_of("lyon"), key_of("paris")])
    assert sorted((path, length) for path, length, _ in found) == [
        (f"file:{root}/{key_of('lyon')}", 0), (f"file:{root}/{key_of('paris')}", 2)]  # the empty file too, once each
    # A key may name a folder: every file under it.
    folder = weather_etl.list_files(None, str(root), ["weather/raw/source=open-meteo/ingest_date=2026-05-08"])
    assert [path for path, _, _ in folder] == [f"file:{root}/weather/raw/source=open-meteo/ingest_date=2026-05-08/city=oslo/t1.json"]
    with pytest.raises(FileNotFoundError) as missing:
        weather_etl.list_files(None, str(root), [key_of("paris"), key_of("lima"), "elsewhere/x.json"])
    assert key_of("lima") in str(missing.value) and "elsewhere/x.json" in str(missing.value)
    assert weather_etl.list_tree(None, str(root / "nothing-here")) == []


def test_raw_files_are_read_with_empty_bodies_added_and_no_python_rows_unless_needed(spark, tmp_path, monkeypatch):
    root = tmp_path / "landing"
    for key, data in {key_of("paris"): b"{}", key_of("lyon"): b""}.items():
        (root / key).parent.mkdir(parents=True, exist_ok=True)
        (root / key).write_bytes(data)
    files = weather_etl.list_files(None, str(root), [key_of("paris"), key_of("lyon")])
    made = []
    from_rows = weather_etl._frame_of_raw_rows  # noqa: SLF001
    monkeypatch.setattr(weather_etl, "_frame_of_raw_rows", lambda *args: made.append(args) or from_rows(*args))

    def rows(listed):
        frame = weather_etl.read_raw_files(spark, listed)
        assert frame.columns == ["path", "modificationTime", "length", "content"]
        return sorted((r["path"].rsplit("/", 2)[-2], r["length"], bytes(r["content"])) for r in frame.collect())

    # Read by the driver: one frame of its rows, the zero-byte file's empty body among them.
    assert rows(files) == [("city=lyon", 0, b""), ("city=paris", 2, b"{}")] and len(made) == 1
    # Read by Spark's source (above the driver's byte bound): files with a body by Spark's scan alone, no frame built
    # from the driver's rows (a job's set-up each); a zero-byte file (which Spark's scan skips) from the listing.
    monkeypatch.setattr(weather_etl, "DRIVER_READ_MAX_BYTES", 0)
    nonempty = [f for f in files if f[1] > 0]
    assert rows(nonempty) == [("city=paris", 2, b"{}")] and len(made) == 1
    assert rows(files) == [("city=lyon", 0, b""), ("city=paris", 2, b"{}")] and len(made) == 2
    assert rows([f for f in files if f[1] == 0]) == [("city=lyon", 0, b"")]
    assert rows([]) == []


def test_sql_string_literals_hold_their_text_exactly(spark):
    # City names, landing roots and the contract's patterns reach the plan as SQL text (round h15g): a quote, a
    # backslash (the key pattern's `\d`), the `\%` and `\_` pairs Spark's unescaping keeps, a line break or a `\u`
    # sequence must come back as written, never end the literal early or be unescaped.
    texts = ["N'Djamena", "Ouagadougou \\ 'x' \\'", r"^weather/raw/(\d{4})\.json$", "50\\% \\_ %_", "a\nb\tc",
             "\\u0041 \\n", "Saint-Étienne \"quoted\" `tick` ${x}", "", "'", "\\"]
    exprs = [f"{weather_etl.sql_str(text)} AS c{i}" for i, text in enumerate(texts)]
    row = spark.range(1).selectExpr(*exprs).first()
    assert [row[f"c{i}"] for i in range(len(texts))] == texts
