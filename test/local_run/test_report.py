"""The local run's report page, rendered from a made-up run (no Spark, no Trino): what a reader must find on it."""
from __future__ import annotations

import re
import sys
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "examples" / "local-run"))

import report  # noqa: E402

START = datetime(2026, 5, 7, 0, 0)
HOURS = 48


def hourly(offset: float) -> list[dict]:
    rows = []
    for h in range(HOURS):
        rows.append({"observed_at": START + timedelta(hours=h), "temperature_c": offset + 8 * ((h % 24) / 24),
                     "precipitation_mm": 0.4 if h % 7 == 0 else 0.0, "wind_speed_kmh": 10 + h % 5})
    rows[30]["temperature_c"] = None  # an hour without a value leaves a gap
    return rows


def made_up_run(passed: bool = True) -> dict:
    summary = {
        "batchId": "b-20260507", "runId": "local-b-20260507", "date": "2026-05-09",
        "ingestion": {"source": "recorded responses", "citiesRequested": 2, "written": 2, "failed": 0},
        "etl": {"files_read": 2, "records_in": 100, "refined": 95, "quarantined": 5, "superseded": 0, "reconciled": True,
                "quarantined_by_reason": {"NO_MEASUREMENT": 4, "OUT_OF_RANGE": 1}},
    }
    quarantine = [{"reason": "NO_MEASUREMENT", "detail": "every variable is null", "city": "paris", "city_name": "Paris",
                   "observed_at_raw": f"2026-05-08T{h:02d}:00", "raw_values": '{"temperature_2m": null}',
                   "source_key": "weather/raw/source=open-meteo/ingest_date=2026-05-07/city=paris/b.json"} for h in range(4)]
    quarantine.append({"reason": "OUT_OF_RANGE", "detail": "temperature_2m 99.0 outside [-90, 60]", "city": "nice",
                       "city_name": "Nice", "observed_at_raw": "2026-05-07T13:00", "raw_values": '{"temperature_2m": 99.0}',
                       "source_key": "weather/raw/source=open-meteo/ingest_date=2026-05-07/city=nice/b.json"})
    validations = [
        {"id": "no-duplicate-hours", "description": "No (city, hour) appears more than once", "passed": True,
         "row": {"passed": True, "duplicated_hours": 0, "extra_rows": 0}},
        {"id": "quarantine-share", "description": "At most 0.05 quarantined", "passed": passed,
         "row": {"passed": passed, "quarantined": 5, "refined": 95, "share": 0.05}},
    ]
    analytics = {"daily-temperature": {"columns": ["city", "date", "min_c"], "rows": [["paris", "2026-05-07", 8.25]]}}
    timings = [("Ingestion", 3.2), ("ETL", 41.0), ("Catalog", 12.5), ("Validation", 4.1), ("Analytics", 2.0), ("Report", 0.1)]
    series = {"Paris": hourly(10), "Nice": hourly(15)}
    return dict(summary=summary, series=series, quarantine=quarantine, validations=validations, analytics=analytics,
                timings=timings)


def render(**changes) -> str:
    run = {**made_up_run(), **changes}
    return report.render_report(run["summary"], run["series"], run["quarantine"], run["validations"], run["analytics"],
                                run["timings"], {"daily-temperature": "Daily minimum per city"}, daily=run.get("daily"))


def test_counts_and_timing_come_first():
    page = render()
    top = page[: page.index("<h2>")]
    for label, value in (("records in", "100"), ("refined", "95"), ("quarantined", "5"), ("superseded", "0")):
        assert re.search(rf'<div class="label">{label}</div><div class="value">{value}</div>', top), label
    assert "<td>ETL</td><td class=\"num\">41.0 s</td>" in top
    assert "<td>total</td><td class=\"num\">62.9 s</td>" in top
    assert "2026-05-07 00:00 → 2026-05-08 23:00 UTC" in top and "all validation checks passed" in top


def test_each_city_has_temperature_precipitation_and_wind_charts_with_both_axes():
    page = render()
    charts = re.findall(r'<div class="chart"><h4>(\w[\w ]*) <span>\(([^;]+);', page)
    assert charts == [("Temperature", "°C"), ("Precipitation", "mm"), ("Wind speed", "km/h")] * 2
    svgs = re.findall(r"<svg.*?</svg>", page, re.S)
    assert len(svgs) == 6
    for svg in svgs:
        value_ticks = re.findall(r'class="tick" text-anchor="end">([^<]+)<', svg)
        time_ticks = re.findall(r'class="tick" text-anchor="middle">(\d\d:\d\d)<', svg)
        assert len(value_ticks) >= 3, value_ticks
        assert time_ticks[:5] == ["00:00", "06:00", "12:00", "18:00", "00:00"], time_ticks
        assert "Thu 07 May" in svg and "Fri 08 May" in svg  # day labels under the time axis
    # The temperature line breaks at the hour without a value.
    assert svgs[0].count("<polyline") == 2
    # Precipitation as bars, one per wet hour (every 7th of 48).
    assert svgs[1].count("<rect") == len(range(0, HOURS, 7))


def test_value_axis_ticks_are_round_numbers_covering_the_values():
    assert report.nice_ticks(10.0, 17.7) == [10.0, 12.0, 14.0, 16.0, 18.0]
    assert report.nice_ticks(0.0, 0.4) == [0.0, 0.1, 0.2, 0.3, 0.4]
    assert report.nice_ticks(-3.2, 4.1)[0] <= -3.2 and report.nice_ticks(-3.2, 4.1)[-1] >= 4.1


def test_the_quarantine_is_a_table_by_reason_with_example_rows():
    page = render()
    section = page[page.index("<h2>Quarantine by reason</h2>"): page.index("<h2>Named queries</h2>")]
    assert re.findall(r'<tr class="reason"><td colspan="5"><b>(\w+)</b> — (\d+) records?', section) == [
        ("NO_MEASUREMENT", "4"), ("OUT_OF_RANGE", "1")]
    assert "(first 3 shown)" in section
    assert section.count("city=paris/b.json") == report.EXAMPLES_PER_REASON
    assert "temperature_2m 99.0 outside [-90, 60]" in section and "{&quot;temperature_2m&quot;: 99.0}" in section


def test_validation_checks_read_as_rows_not_json():
    page = render(validations=made_up_run(passed=False)["validations"])
    section = page[page.index("<h2>Validation checks</h2>"): page.index("<h2>Hourly weather per city</h2>")]
    assert '<td class="verdict">✔ passed</td><td><b>no-duplicate-hours</b>' in section
    assert '<tr class="fail"><td class="verdict">✘ FAILED</td><td><b>quarantine-share</b>' in section
    assert '<span class="kv"><b>duplicated hours</b> 0</span>' in section
    assert "{&quot;" not in section and '{"' not in section
    assert "1 validation check(s) FAILED" in page


def test_the_page_opens_offline():
    page = render()
    assert not re.search(r"<script|<link|<img|<iframe|@import|url\(", page, re.I)
    assert not re.search(r'\s(src|href)="(https?:)?//', page)


def test_the_daily_layer_is_a_table_per_city():
    daily = {
        "Paris": [{"day": "2026-05-07", "temperature_min_c": 10.0, "temperature_max_c": 17.66, "temperature_mean_c": 13.8,
                   "precipitation_sum_mm": 1.2, "wind_speed_max_kmh": 14.0, "dominant_weather_code": 3, "hours_present": 24,
                   "is_complete": True, "has_forecast_hours": False},
                  {"day": "2026-05-08", "temperature_min_c": 9.0, "temperature_max_c": None, "temperature_mean_c": 12.0,
                   "precipitation_sum_mm": 0.0, "wind_speed_max_kmh": 11.0, "dominant_weather_code": 61, "hours_present": 20,
                   "is_complete": False, "has_forecast_hours": True}],
        "Nice": [],
    }
    page = render(daily=daily)
    section = page[page.index("<h2>Daily weather per city</h2>"):page.index("<h2>Quarantine by reason</h2>")]
    assert re.findall(r"<h3>(\w+) <span", section) == ["Paris", "Nice"]
    tables = re.findall(r'<table class="data daily">(.*?)</table>', section, re.S)
    assert len(tables) == 2
    paris_rows = re.findall(r"<tr>(<td.*?)</tr>", tables[0])
    assert len(paris_rows) == 2
    assert "<td>2026-05-07</td>" in paris_rows[0] and '<td class="num">17.7</td>' in paris_rows[0]
    assert "<td>yes</td><td>no</td>" in paris_rows[0]
    assert '<td class="num">—</td>' in paris_rows[1] and "<td>no</td><td>yes</td>" in paris_rows[1]
    # Without the daily layer the section is absent.
    assert "Daily weather per city" not in render()


def test_two_sources_are_shown_side_by_side_with_their_mean_difference():
    rows = []
    for source, offset in (("open-meteo", 10.0), ("met-norway", 10.5)):
        for row in hourly(offset):
            rows.append({**row, "city_name": "Paris", "source": source})
    rows += [{**row, "city_name": "Nice", "source": "open-meteo"} for row in hourly(15)]  # one source only: not compared
    by_city = report.sources_by_city(rows)
    assert list(by_city) == ["Paris"] and list(by_city["Paris"]) == ["met-norway", "open-meteo"]
    run = made_up_run()
    page = report.render_report({**run["summary"], "sources": ["open-meteo", "met-norway"]}, run["series"],
                                run["quarantine"], run["validations"], run["analytics"], run["timings"], {}, side_by_side=by_city)
    section = page[page.index("<h2>Sources side by side</h2>"):page.index("<h2>Quarantine by reason</h2>")]
    # 47 shared hours with a temperature (hour 30 is null in both), 0.5 °C apart; wind identical over 48.
    assert "met-norway vs open-meteo: mean absolute difference, temperature: 0.50 °C over 47 shared hours; " \
           "wind speed: 0.00 km/h over 48 shared hours" in section
    assert section.count("<svg") == 2 * 2  # temperature and wind, per source
    assert "Temperature · met-norway" in section and "Temperature · open-meteo" in section
    # Without a second source the section is left out.
    assert "Sources side by side" not in render()
