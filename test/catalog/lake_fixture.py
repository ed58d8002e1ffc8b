"""Landing-zone fixtures for the catalog's Trino tests, and the refined rows they must produce.

The raw bodies are shaped like Open-Meteo responses (see ``/fixtures/open-meteo`` in the design notes): one per
city, with ``hourly_units`` and ``hourly`` arrays, local ISO times and ``utc_offset_seconds``. They are generated
around *today* (UTC) so that the "as of now" queries (last 48 hours, freshness) have data to find, and the
expected rows are computed here, from the values written, with this file's own unit and time conversions: they
are never read back from the ETL or from a query.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

RAW_PREFIX = "weather/raw/source=open-meteo"
MANIFEST_PREFIX = "weather/manifests"

# Variable order of the API body; columns come from the contract (variables[].apiName -> column).
API_VARIABLES = [
    "temperature_2m", "relative_humidity_2m", "precipitation", "wind_speed_10m",
    "wind_direction_10m", "surface_pressure", "cloud_cover", "weather_code",
]


@dataclass
class FixtureCity:
    slug: str
    name: str
    latitude: float
    longitude: float
    elevation: float
    timezone: str
    utc_offset_seconds: int
    temperature_unit: str  # °C or °F
    wind_unit: str  # km/h or mp/h
    base_temperature_c: float
    # Hour indexes whose temperature is sent out of the physical range (quarantined as OUT_OF_RANGE).
    out_of_range_hours: tuple = ()


CITIES = [
    FixtureCity("paris", "Paris", 48.86, 2.35, 43.0, "GMT", 0, "°C", "km/h", 8.0),
    FixtureCity("saint-etienne", "Saint-Étienne", 45.44, 4.39, 520.0, "GMT", 0, "°C", "km/h", 5.0),
    FixtureCity("gyor", "Győr", 47.68, 17.66, 117.0, "GMT", 0, "°C", "km/h", 3.0, out_of_range_hours=(30,)),
    FixtureCity("salt-lake-city", "Salt Lake City", 40.76, -111.89, 1288.0, "America/Denver", -7 * 3600, "°F",
                "mp/h", -2.0),
]
MALFORMED_CITY = ("lyon", "Lyon")
HOURS = 96  # two past days, today and tomorrow, local time
WEATHER_CODES = [0, 1, 2, 3, 45, 61, 63, 71]


@dataclass
class Batch:
    """One ingestion batch laid out in a landing root, with the refined rows and quarantine it must produce."""
    landing_root: Path
    batch_id: str
    ingest_date: date
    fetched_at: datetime  # naive UTC
    manifest_key: str
    rows: list = field(default_factory=list)  # expected refined rows (dicts)
    quarantined: list = field(default_factory=list)  # expected (reason, city) pairs


def canonical_values(k: int, i: int, city: FixtureCity) -> dict:
    """The canonical (°C, km/h) values of hour `i` of city number `k`."""
    temperature = round(city.base_temperature_c + 7 * math.sin(2 * math.pi * ((i % 24) - 9) / 24) + 0.4 * (i // 24) + 0.1 * k, 1)
    return {
        "temperature_c": temperature,
        "relative_humidity_pct": float(55 + (i * 7 + k * 3) % 40),
        "precipitation_mm": round(((i * 3 + k) % 11) * 0.2, 1) if i % 5 == 0 else 0.0,
        "wind_speed_kmh": round(4.5 + (i * 13 + k * 7) % 30, 1),
        "wind_direction_deg": float((i * 37 + k * 11) % 360),
        "surface_pressure_hpa": float(995 + (i + k) % 25),
        "cloud_cover_pct": float((i * 17 + k * 5) % 101),
        "weather_code": WEATHER_CODES[(i + k) % len(WEATHER_CODES)],
    }


def _body(k: int, city: FixtureCity, first_local: datetime, hours: int, hot_hours: tuple, temperature_offset: float = 0.0):
    """The raw body, and the expected canonical values of each hour as this module converts them."""
    times, series, expected = [], {name: [] for name in API_VARIABLES}, []
    for i in range(hours):
        local = first_local + timedelta(hours=i)
        values = canonical_values(k, i, city)
        values["temperature_c"] = round(values["temperature_c"] + temperature_offset, 1)
        temperature_api = values["temperature_c"]
        wind_api = values["wind_speed_kmh"]
        if city.temperature_unit == "°F":
            temperature_api = round(values["temperature_c"] * 9 / 5 + 32, 2)
        if city.wind_unit == "mp/h":
            wind_api = round(values["wind_speed_kmh"] / 1.609344, 2)
        if i in hot_hours:
            temperature_api = 99.0 if city.temperature_unit == "°C" else 210.2
        times.append(local.strftime("%Y-%m-%dT%H:%M"))
        for name, value in zip(API_VARIABLES, [temperature_api, values["relative_humidity_pct"], values["precipitation_mm"],
                                               wind_api, values["wind_direction_deg"], values["surface_pressure_hpa"],
                                               values["cloud_cover_pct"], values["weather_code"]]):
            series[name].append(value)
        # Expected canonical values: converted back from what the body says.
        got = dict(values)
        got["temperature_c"] = (temperature_api - 32) * 5 / 9 if city.temperature_unit == "°F" else temperature_api
        got["wind_speed_kmh"] = wind_api * 1.609344 if city.wind_unit == "mp/h" else wind_api
        observed_at = local - timedelta(seconds=city.utc_offset_seconds)
        expected.append((i in hot_hours, observed_at, got))
    body = {
        "latitude": city.latitude, "longitude": city.longitude, "generationtime_ms": 0.12,
        "utc_offset_seconds": city.utc_offset_seconds, "timezone": city.timezone,
        "timezone_abbreviation": "GMT" if city.utc_offset_seconds == 0 else "MST", "elevation": city.elevation,
        "hourly_units": {"time": "iso8601", "temperature_2m": city.temperature_unit, "relative_humidity_2m": "%",
                         "precipitation": "mm", "wind_speed_10m": city.wind_unit, "wind_direction_10m": "°",
                         "surface_pressure": "hPa", "cloud_cover": "%", "weather_code": "wmo code"},
        "hourly": {"time": times, **series},
    }
    return body, expected


def lay_out_batch(landing_root: Path, batch_id: str, fetched_at: datetime, cities: list, first_day_offset: int,
                  hours: int, hot_hours: dict, malformed: bool, temperature_offset: float = 0.0) -> Batch:
    """Writes raw bodies and the manifest of one batch; returns the batch with its expected output."""
    ingest_date = fetched_at.date()
    batch = Batch(landing_root, batch_id, ingest_date, fetched_at,
                  f"{MANIFEST_PREFIX}/ingest_date={ingest_date}/{batch_id}.json")
    fetched_iso = fetched_at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    written = []

    def put(slug: str, name: str, text: str, city: FixtureCity | None):
        key = f"{RAW_PREFIX}/ingest_date={ingest_date}/city={slug}/{batch_id}.json"
        path = landing_root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append({
            "key": key, "city": slug, "cityName": name,
            "latitude": city.latitude if city else 45.76, "longitude": city.longitude if city else 4.84,
            **({"timezone": city.timezone} if city else {}),
            "requestUrl": f"https://api.open-meteo.com/v1/forecast?latitude={city.latitude if city else 45.76}",
            "fetchedAt": fetched_iso, "bytes": len(text.encode("utf-8")), "attempts": 1,
        })
        return key

    for k, city in enumerate(cities):
        # The city's own today: in Salt Lake City it is still yesterday until 07:00 UTC, and its hours must reach
        # back as far as every other city's (the last 48 hours are full at any time of day).
        local_today = (fetched_at + timedelta(seconds=city.utc_offset_seconds)).date()
        first_local = datetime.combine(local_today + timedelta(days=first_day_offset), datetime.min.time())
        body, expected = _body(k, city, first_local, hours, hot_hours.get(city.slug, ()), temperature_offset)
        key = put(city.slug, city.name, json.dumps(body, ensure_ascii=False), city)
        for rejected, observed_at, values in expected:
            if rejected:
                batch.quarantined.append(("OUT_OF_RANGE", city.slug))
                continue
            batch.rows.append({
                "city": city.slug, "city_name": city.name, "latitude": city.latitude, "longitude": city.longitude,
                "elevation": city.elevation, "observed_at": observed_at, "date": observed_at.strftime("%Y-%m-%d"),
                "is_forecast": observed_at > fetched_at, "fetched_at": fetched_at, "source_key": key, **values,
            })
    if malformed:
        slug, name = MALFORMED_CITY
        put(slug, name, '{"latitude":45.76,"longitude":4.84,"hourly":{"time":["2026-', None)
        batch.quarantined.append(("MALFORMED_JSON", slug))

    manifest = {
        "contractVersion": 1, "batchId": batch_id, "ingestDate": str(ingest_date), "source": "open-meteo",
        "bucket": "landing-bucket", "startedAt": fetched_iso, "finishedAt": fetched_iso,
        "written": written, "failed": [],
    }
    path = landing_root / batch.manifest_key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    return batch


def good_batch(landing_root: Path, fetched_at: datetime) -> Batch:
    """Four cities (one in °F and mp/h on Denver time), 96 hours each from two days ago; one out-of-range hour
    in Győr and one truncated body: a quarantine share well under 5 %."""
    return lay_out_batch(landing_root, "catalog-good", fetched_at, CITIES, -2, HOURS,
                         {c.slug: c.out_of_range_hours for c in CITIES}, malformed=True)


# The earlier fetch of the forecast lake: a day before the good batch, the same hours, every temperature 1.5 °C warmer.
EARLY_FETCH = timedelta(days=1)
EARLY_TEMPERATURE_OFFSET = 1.5


def early_batch(landing_root: Path, good_fetched_at: datetime) -> Batch:
    """The good batch's cities and hours, fetched a day earlier with temperatures 1.5 °C higher: run before the good
    batch, its hours are all superseded in the hourly table and all kept in the staging table."""
    return lay_out_batch(landing_root, "catalog-early", good_fetched_at - EARLY_FETCH, CITIES, -1, HOURS,
                         {c.slug: c.out_of_range_hours for c in CITIES}, malformed=False,
                         temperature_offset=EARLY_TEMPERATURE_OFFSET)


def high_quarantine_batch(landing_root: Path, fetched_at: datetime) -> Batch:
    """Paris only, 48 hours of which 30 are out of range: a quarantine share of 30/48."""
    return lay_out_batch(landing_root, "catalog-bad-share", fetched_at, CITIES[:1], -1, 48,
                         {"paris": tuple(range(30))}, malformed=False)


def now_utc() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)
