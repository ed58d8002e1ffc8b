"""Generates a landing zone of realistic raw Open-Meteo responses for N cities x D days.

    python3 bench/generate_landing.py --out /tmp/bench/landing --cities 100 --days 30 [--start 2025-01-01] [--seed 7] \
        [--bad 6]

Layout as the daily ingestion writes it: one body per city per day under
``weather/raw/source=open-meteo/ingest_date=YYYY-MM-DD/city=<slug>/<batch>.json`` and one manifest per day
(``weather/manifests/ingest_date=YYYY-MM-DD/<batch>.json``, the shape of ``src/contract/manifest.ts``). Each body is
what ``/v1/forecast?...&hourly=<the 8 contract variables>&timezone=GMT`` returns for one day: 24 hours, GMT,
``hourly_units`` with the API's own labels, values rounded as the API rounds them (1 decimal, integers for %,
degrees, WMO code). Values follow a seasonal and daily cycle per latitude with seeded noise, so Parquet compresses
them as it would real data (not constant columns). Standard library only; ~36,500 files in well under a minute.

``--bad N`` adds N bad bodies for the quarantine (none by default): on the last N days, one extra body each for a
city, as a second batch of that day (``<yyyymmdd>T183000Z``, with its own manifest), alternately an API error document
(``{"error":true,"reason":...}``, API_ERROR) and a good body cut in half (MALFORMED_JSON). The good bodies are all
kept, so every (date, city) partition still has its data. A manifest's ``fetchedAt`` that would lie in the future
(days at or after today) is the generation time instead, so the hours after it are forecasts (a run over the raw
prefix, without manifests, takes the files' modification time, also the generation time).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import time
from datetime import date, datetime, timedelta, timezone

RAW_PREFIX = "weather/raw/source=open-meteo"
MANIFEST_PREFIX = "weather/manifests"
VARIABLES = ["temperature_2m", "relative_humidity_2m", "precipitation", "wind_speed_10m",
             "wind_direction_10m", "surface_pressure", "cloud_cover", "weather_code"]
UNITS = {"time": "iso8601", "temperature_2m": "°C", "relative_humidity_2m": "%", "precipitation": "mm",
         "wind_speed_10m": "km/h", "wind_direction_10m": "°", "surface_pressure": "hPa", "cloud_cover": "%",
         "weather_code": "wmo code"}


def cities(n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        lat = round(rng.uniform(-55, 65), 2)
        lon = round(rng.uniform(-170, 175), 2)
        out.append({"slug": f"city-{i + 1:04d}", "name": f"City {i + 1:04d}", "latitude": lat, "longitude": lon,
                    "elevation": float(round(rng.uniform(0, 1500))), "seed": rng.random()})
    return out


def body(city: dict, day: date, rng: random.Random) -> str:
    lat, elev = city["latitude"], city["elevation"]
    doy = day.timetuple().tm_yday
    season = math.cos(2 * math.pi * (doy - 196) / 365.25) * (1 if lat >= 0 else -1)
    base_t = 27 - 0.45 * abs(lat) + 12 * season * min(abs(lat), 60) / 60 - elev * 0.0065
    pressure0 = 1013.25 * (1 - 2.25577e-5 * elev) ** 5.25588
    wet = rng.random() < 0.3
    clouds0 = rng.uniform(40, 100) if wet else rng.uniform(0, 60)
    wind0, dir0 = rng.uniform(3, 25), rng.uniform(0, 360)
    lon_shift = city["longitude"] / 15.0  # local solar hour = GMT hour + lon/15
    hours = {v: [] for v in VARIABLES}
    times = []
    for h in range(24):
        times.append(f"{day.isoformat()}T{h:02d}:00")
        solar = (h + lon_shift) % 24
        t = base_t + 5 * math.sin(2 * math.pi * (solar - 9) / 24) + rng.gauss(0, 0.6)
        rh = max(5, min(100, 70 - 2.2 * (t - base_t) + (15 if wet else 0) + rng.gauss(0, 4)))
        precip = round(max(0.0, rng.gauss(0.4, 0.9)), 1) if wet and rng.random() < 0.45 else 0.0
        clouds = max(0, min(100, clouds0 + rng.gauss(0, 12)))
        code = (61 if precip >= 0.5 else 51) if precip > 0 else (3 if clouds > 80 else 2 if clouds > 50 else 1 if clouds > 20 else 0)
        hours["temperature_2m"].append(round(t, 1))
        hours["relative_humidity_2m"].append(int(round(rh)))
        hours["precipitation"].append(precip)
        hours["wind_speed_10m"].append(round(max(0.0, wind0 + rng.gauss(0, 2.5)), 1))
        hours["wind_direction_10m"].append(int(round((dir0 + rng.gauss(0, 20)) % 360)))
        hours["surface_pressure"].append(round(pressure0 + rng.gauss(0, 1.5) + 4 * season, 1))
        hours["cloud_cover"].append(int(round(clouds)))
        hours["weather_code"].append(code)
    doc = {"latitude": city["latitude"], "longitude": city["longitude"], "generationtime_ms": round(rng.uniform(0.05, 0.4), 6),
           "utc_offset_seconds": 0, "timezone": "GMT", "timezone_abbreviation": "GMT", "elevation": city["elevation"],
           "hourly_units": UNITS, "hourly": {"time": times, **hours}}
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


def request_url(city: dict, day: date) -> str:
    return (f"https://api.open-meteo.com/v1/forecast?latitude={city['latitude']}&longitude={city['longitude']}"
            f"&hourly={','.join(VARIABLES)}&timezone=GMT&start_date={day.isoformat()}&end_date={day.isoformat()}")


def iso_z(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def bad_body(city: dict, day: date, rng: random.Random, k: int) -> str:
    if k % 2 == 0:
        return json.dumps({"error": True, "reason": "Cannot initialize WeatherVariable from invalid String value "
                           "tempeture_2m for key hourly"}, separators=(",", ":"))
    good = body(city, day, rng)
    return good[:len(good) // 2]


def write_manifest(out: str, day: date, batch: str, fetched: datetime, written: list) -> None:
    manifest = {"contractVersion": 1, "batchId": batch, "ingestDate": day.isoformat(), "source": "open-meteo",
                "bucket": "landing-bucket", "startedAt": iso_z(fetched), "finishedAt": iso_z(fetched + timedelta(seconds=20)),
                "written": written, "failed": []}
    mpath = os.path.join(out, MANIFEST_PREFIX, f"ingest_date={day.isoformat()}", f"{batch}.json")
    os.makedirs(os.path.dirname(mpath), exist_ok=True)
    with open(mpath, "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=1)


def generate(out: str, n_cities: int, n_days: int, start: date, seed: int, n_bad: int = 0) -> dict:
    rng = random.Random(seed)
    city_list = cities(n_cities, seed)
    files = raw_bytes = bad_files = bad_bytes = 0
    now = datetime.now(timezone.utc).replace(microsecond=0)
    for d in range(n_days):
        day = start + timedelta(days=d)
        batch = f"{day.strftime('%Y%m%d')}T063000Z"
        fetched = datetime.combine(day + timedelta(days=1), datetime.min.time(), timezone.utc) + timedelta(hours=6, minutes=30)
        fetched = min(fetched, now)
        written = []
        for c in city_list:
            key = f"{RAW_PREFIX}/ingest_date={day.isoformat()}/city={c['slug']}/{batch}.json"
            text = body(c, day, rng).encode("utf-8")
            path = os.path.join(out, key)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(text)
            files += 1
            raw_bytes += len(text)
            written.append({"key": key, "city": c["slug"], "cityName": c["name"], "latitude": c["latitude"],
                            "longitude": c["longitude"], "timezone": "GMT", "requestUrl": request_url(c, day),
                            "fetchedAt": iso_z(fetched), "bytes": len(text), "attempts": 1})
        write_manifest(out, day, batch, fetched, written)
        k = d - (n_days - n_bad)
        if k >= 0:  # one bad body on each of the last n_bad days, as a second batch of the day
            c = city_list[(7 * k + 3) % n_cities]
            bad_batch = f"{day.strftime('%Y%m%d')}T183000Z"
            bad_fetched = min(fetched + timedelta(hours=12), now)
            key = f"{RAW_PREFIX}/ingest_date={day.isoformat()}/city={c['slug']}/{bad_batch}.json"
            text = bad_body(c, day, rng, k).encode("utf-8")
            path = os.path.join(out, key)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(text)
            bad_files += 1
            bad_bytes += len(text)
            write_manifest(out, day, bad_batch, bad_fetched, [
                {"key": key, "city": c["slug"], "cityName": c["name"], "latitude": c["latitude"],
                 "longitude": c["longitude"], "timezone": "GMT", "requestUrl": request_url(c, day),
                 "fetchedAt": iso_z(bad_fetched), "bytes": len(text), "attempts": 1}])
    return {"cities": n_cities, "days": n_days, "start": start.isoformat(), "raw_files": files, "raw_bytes": raw_bytes,
            "bad_files": bad_files, "bad_bytes": bad_bytes,
            "hourly_rows": files * 24, "manifests": n_days + bad_files,
            "cities_json": {c["slug"]: c["name"] for c in city_list}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="landing root to create (must not exist)")
    parser.add_argument("--cities", type=int, default=100)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--start", default="2025-01-01")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--bad", type=int, default=0, help="bad bodies to add (API error, truncated), one a day at the end")
    args = parser.parse_args()
    if os.path.exists(args.out):
        parser.error(f"{args.out} exists; remove it first")
    clock = time.monotonic()
    stats = generate(args.out, args.cities, args.days, date.fromisoformat(args.start), args.seed, args.bad)
    stats["seconds"] = round(time.monotonic() - clock, 1)
    with open(os.path.join(args.out, "generated.json"), "w", encoding="utf-8") as handle:
        json.dump(stats, handle, indent=1)
    print(json.dumps({k: v for k, v in stats.items() if k != "cities_json"}))


if __name__ == "__main__":
    main()
