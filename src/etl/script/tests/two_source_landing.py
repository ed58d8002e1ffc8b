"""A landing zone with both sources' raw responses, for the ETL's and the catalog's two-source tests: Open-Meteo
for Oslo and the MET Norway bodies of fixtures/met-norway (see its README), in one ingestion batch with a manifest."""

import json
import os

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
MET_FIXTURES = os.path.join(TESTS_DIR, "fixtures", "met-norway")
ALL_SOURCES_CONTRACT = os.path.join(TESTS_DIR, "fixtures", "contract-all-sources.json")
DAY = "2026-05-07"
MS_TO_KMH = 3.6

# Open-Meteo's answer for Oslo over the same hours as oslo-compact.json (GMT, the contract's eight variables).
OSLO_OPEN_METEO = {
    "latitude": 59.9, "longitude": 10.75, "generationtime_ms": 0.05, "utc_offset_seconds": 0, "timezone": "GMT",
    "timezone_abbreviation": "GMT", "elevation": 23.0,
    "hourly_units": {"time": "iso8601", "temperature_2m": "°C", "relative_humidity_2m": "%", "precipitation": "mm",
                     "wind_speed_10m": "km/h", "wind_direction_10m": "°", "surface_pressure": "hPa", "cloud_cover": "%",
                     "weather_code": "wmo code"},
    "hourly": {
        "time": [f"{DAY}T{h:02d}:00" for h in range(6, 13)],
        "temperature_2m": [9.0, 10.1, 11.5, 12.0, 12.2, 12.9, 13.1],
        "relative_humidity_2m": [73, 68, 63, 66, 72, 69, 64],
        "precipitation": [0.0, 0.0, 0.1, 0.8, 0.6, 0.1, 0.0],
        "wind_speed_10m": [10.4, 12.2, 14.8, 17.3, 19.1, 16.6, 15.5],
        "wind_direction_10m": [199, 205, 210, 214, 221, 226, 229],
        "surface_pressure": [1013.4, 1013.2, 1012.9, 1012.3, 1012.0, 1011.8, 1011.5],
        "cloud_cover": [75, 88, 100, 100, 97, 58, 40],
        "weather_code": [2, 3, 61, 63, 61, 95, 1],
    },
}

MET_FILES = {  # city slug -> (fixture, city name)
    "oslo": ("oslo-compact.json", "Oslo"),
    "bergen": ("bergen-complete.json", "Bergen"),
    "tromso": ("tromso-edge-cases.json", "Tromsø"),
    "drammen": ("unknown-unit.json", "Drammen"),
    "hamar": ("no-timeseries.json", "Hamar"),
    "stavanger": ("truncated.json", "Stavanger"),
}


def raw_key(source, city, batch, day=DAY):
    return f"weather/raw/source={source}/ingest_date={day}/city={city}/{batch}.json"


def write(landing, key, text):
    path = os.path.join(landing, key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def write_manifest(landing, batch, entries):
    key = f"weather/manifests/ingest_date={DAY}/{batch}.json"
    written = [{"key": k, "city": c, "cityName": n, "fetchedAt": f} for k, c, n, f in entries]
    write(landing, key, json.dumps({"batchId": batch, "ingestDate": DAY, "written": written, "failed": []}))
    return key


def two_source_landing(landing):
    """Batch m1: Open-Meteo for Oslo (fetched 05:00Z) and the six MET Norway bodies (fetched 05:40Z)."""
    write(landing, raw_key("open-meteo", "oslo", "m1"), json.dumps(OSLO_OPEN_METEO))
    entries = [(raw_key("open-meteo", "oslo", "m1"), "oslo", "Oslo", f"{DAY}T05:00:00.000Z")]
    for city, (fixture, name) in MET_FILES.items():
        with open(os.path.join(MET_FIXTURES, fixture), encoding="utf-8") as handle:
            write(landing, raw_key("met-norway", city, "m1"), handle.read())
        entries.append((raw_key("met-norway", city, "m1"), city, name, f"{DAY}T05:40:00.000Z"))
    return write_manifest(landing, "m1", entries)


def later_met_oslo(landing):
    """Batch m2: a later MET Norway fetch for Oslo (06:40Z) whose temperatures are one degree higher."""
    with open(os.path.join(MET_FIXTURES, "oslo-compact.json"), encoding="utf-8") as handle:
        body = json.load(handle)
    for step in body["properties"]["timeseries"]:
        step["data"]["instant"]["details"]["air_temperature"] = round(step["data"]["instant"]["details"]["air_temperature"] + 1, 1)
    write(landing, raw_key("met-norway", "oslo", "m2"), json.dumps(body))
    return write_manifest(landing, "m2", [(raw_key("met-norway", "oslo", "m2"), "oslo", "Oslo", f"{DAY}T06:40:00.000Z")])
