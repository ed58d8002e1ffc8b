"""The local run's report: one self-contained HTML page (inline CSS and SVG, no script, nothing fetched) that a data
engineer can open offline and show a colleague.

- at the top, the run's counts (records in, refined, quarantined, superseded, reconciled) and the time of each stage;
- the validation checks the state machine runs after the ETL, one readable row each;
- per city, hourly charts of temperature, precipitation and wind with time and value axes;
- the quarantine by reason, with example rows (where the record came from and its raw values);
- the named queries' results;
- with more than one weather source, the sources side by side per city: each one's temperature and wind charts and
  how far apart they are over the hours both have.

Pure functions of the run's data: local_run.py gathers it, test/local_run/test_report.py renders made-up runs.
"""
from __future__ import annotations

import html
import math
from datetime import datetime, timedelta

# (column, title, unit, colour, kind) for each chart of a city.
VARIABLES = [
    ("temperature_c", "Temperature", "°C", "#d9534f", "line"),
    ("precipitation_mm", "Precipitation", "mm", "#2a7ab9", "bars"),
    ("wind_speed_kmh", "Wind speed", "km/h", "#4c9a2a", "line"),
]
EXAMPLES_PER_REASON = 3


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high] (1, 2, 2.5 or 5 times a power of ten apart)."""
    if high <= low:
        high = low + 1.0
    raw = (high - low) / max(1, count - 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value < high + step * 0.999:
        ticks.append(round(value, 10))
        value += step
    return ticks


def tick_label(value: float) -> str:
    return f"{value:g}" if abs(value) >= 1 or value == 0 else f"{value:.2g}"


def time_ticks(start: datetime, end: datetime) -> list[datetime]:
    """Every 6 hours (every 12 or 24 over longer spans), on round UTC hours."""
    hours = max(1.0, (end - start).total_seconds() / 3600)
    step = 6 if hours <= 72 else 12 if hours <= 168 else 24
    first = start.replace(minute=0, second=0, microsecond=0)
    first += timedelta(hours=(-first.hour) % step)
    ticks = []
    tick = first
    while tick <= end:
        ticks.append(tick)
        tick += timedelta(hours=step)
    return ticks


def svg_chart(points: list[tuple[datetime, float | None]], title: str, unit: str, colour: str, kind: str,
              width: int = 360, height: int = 190) -> str:
    """A chart of hourly (UTC time, value) points with a time axis (ticks every 6 h, day labels) and a value axis."""
    values = [v for _, v in points if v is not None]
    if not points or not values:
        return f'<div class="chart empty"><h4>{esc(title)}</h4><p>No values.</p></div>'
    left, right, top, bottom = 44, 12, 10, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    start, end = points[0][0], points[-1][0]
    span = max(1.0, (end - start).total_seconds())
    low = 0.0 if kind == "bars" else min(values)
    high = max(values)
    if kind == "bars" and high <= 0:
        high = 1.0
    ticks = nice_ticks(low, high)
    low, high = ticks[0], ticks[-1]

    def x(t: datetime) -> float:
        return left + (t - start).total_seconds() / span * plot_w

    def y(v: float) -> float:
        return top + plot_h - (v - low) / (high - low) * plot_h

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
           f'role="img" aria-label="{esc(title)} ({esc(unit)}), {esc(start.strftime("%Y-%m-%d %H:%M"))} to '
           f'{esc(end.strftime("%Y-%m-%d %H:%M"))} UTC">']
    for tick in ticks:
        ty = y(tick)
        out.append(f'<line x1="{left}" y1="{ty:.1f}" x2="{left + plot_w}" y2="{ty:.1f}" class="grid"/>')
        out.append(f'<text x="{left - 6}" y="{ty + 4:.1f}" class="tick" text-anchor="end">{esc(tick_label(tick))}</text>')
    out.append(f'<text x="10" y="{top + plot_h / 2:.1f}" class="unit" transform="rotate(-90 10 {top + plot_h / 2:.1f})" '
               f'text-anchor="middle">{esc(unit)}</text>')
    for tick in time_ticks(start, end):
        tx = x(tick)
        out.append(f'<line x1="{tx:.1f}" y1="{top + plot_h}" x2="{tx:.1f}" y2="{top + plot_h + 4}" class="axis"/>')
        out.append(f'<text x="{tx:.1f}" y="{top + plot_h + 15}" class="tick" text-anchor="middle">{tick.strftime("%H:%M")}</text>')
        if tick.hour == 0:
            out.append(f'<line x1="{tx:.1f}" y1="{top}" x2="{tx:.1f}" y2="{top + plot_h}" class="day"/>')
            out.append(f'<text x="{tx:.1f}" y="{top + plot_h + 28}" class="tick day-label" text-anchor="middle">'
                       f'{tick.strftime("%a %d %b")}</text>')
    out.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" class="axis"/>')
    out.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" class="axis"/>')
    if kind == "bars":
        bar = max(1.0, plot_w / max(1, len(points)) * 0.8)
        for t, v in points:
            if v is not None and v > 0:
                out.append(f'<rect x="{x(t) - bar / 2:.1f}" y="{y(v):.1f}" width="{bar:.1f}" height="{y(low) - y(v):.1f}" '
                           f'fill="{colour}"><title>{esc(t.strftime("%Y-%m-%d %H:%M"))} UTC: {v:g} {esc(unit)}</title></rect>')
    else:
        # A gap where an hour has no value, rather than a line drawn across it.
        segments, current = [], []
        for t, v in points:
            if v is None:
                if current:
                    segments.append(current)
                current = []
            else:
                current.append(f"{x(t):.1f},{y(v):.1f}")
        if current:
            segments.append(current)
        for segment in segments:
            out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.8" points="{" ".join(segment)}"/>')
    out.append("</svg>")
    lo, hi = min(values), max(values)
    summary = (f"total {sum(values):.1f} {unit}, max {hi:g}" if kind == "bars" else f"min {lo:g}, max {hi:g} {unit}")
    return f'<div class="chart"><h4>{esc(title)} <span>({esc(unit)}; {esc(summary)})</span></h4>{"".join(out)}</div>'


def describe_row(row: dict) -> str:
    """A validation query's result row as readable `name: value` pairs (its verdict column aside)."""
    parts = []
    for key, value in row.items():
        if key == "passed":
            continue
        if isinstance(value, float):
            value = f"{value:.4g}"
        elif value is None or value == "":
            value = "—"
        parts.append(f'<span class="kv"><b>{esc(key.replace("_", " "))}</b> {esc(value)}</span>')
    return " ".join(parts)


def counts_block(etl: dict, ingestion: dict, timings: list[tuple[str, float]]) -> str:
    reasons = ", ".join(f"{esc(r)} {n}" for r, n in sorted(etl.get("quarantined_by_reason", {}).items())) or "none"
    cards = [
        ("cities written", f'{ingestion["written"]} / {ingestion["citiesRequested"]}', f'{ingestion["failed"]} failed'),
        ("records in", etl["records_in"], f'{etl["files_read"]} landing files'),
        ("refined", etl["refined"], "rows in the hourly table"),
        ("quarantined", etl["quarantined"], reasons),
        ("superseded", etl["superseded"], "by a newer fetch of the same hour"),
        ("reconciled", "yes" if etl["reconciled"] else "NO", "in = refined + quarantined + superseded"),
    ]
    html_cards = "".join(f'<div class="card{" bad" if label == "reconciled" and not etl["reconciled"] else ""}">'
                         f'<div class="label">{esc(label)}</div><div class="value">{esc(value)}</div>'
                         f'<div class="note">{note if label == "quarantined" else esc(note)}</div></div>'
                         for label, value, note in cards)
    total = sum(seconds for _, seconds in timings)
    steps = "".join(f'<tr><td>{esc(stage)}</td><td class="num">{seconds:.1f} s</td>'
                    f'<td><div class="bar" style="width:{(seconds / total * 100) if total else 0:.1f}%"></div></td></tr>'
                    for stage, seconds in timings)
    timing = (f'<table class="timing"><tr><th>stage</th><th class="num">time</th><th></th></tr>{steps}'
              f'<tr class="total"><td>total</td><td class="num">{total:.1f} s</td><td></td></tr></table>') if timings else ""
    return f'<div class="cards">{html_cards}</div>{timing}'


def validation_table(validations: list[dict]) -> str:
    rows = "".join(
        f'<tr class="{"pass" if v["passed"] else "fail"}"><td class="verdict">{"✔ passed" if v["passed"] else "✘ FAILED"}</td>'
        f'<td><b>{esc(v["id"])}</b><div class="note">{esc(v.get("description", ""))}</div></td>'
        f'<td>{describe_row(v["row"])}</td></tr>' for v in validations)
    return f'<table class="checks"><tr><th>verdict</th><th>check</th><th>measured</th></tr>{rows}</table>'


def quarantine_table(quarantine: list[dict], by_reason: dict) -> str:
    if not by_reason:
        return "<p>Nothing was quarantined.</p>"
    blocks = []
    for reason, count in sorted(by_reason.items(), key=lambda item: (-item[1], item[0])):
        examples = [q for q in quarantine if q["reason"] == reason][:EXAMPLES_PER_REASON]
        rows = "".join(
            f'<tr><td>{esc(q.get("city_name") or q.get("city") or "—")}</td><td>{esc(q.get("observed_at_raw") or "—")}</td>'
            f'<td>{esc(q.get("detail") or "")}</td><td><code>{esc(q.get("raw_values") or "")}</code></td>'
            f'<td><code>{esc(q.get("source_key") or "")}</code></td></tr>' for q in examples)
        more = count - len(examples)
        blocks.append(
            f'<tr class="reason"><td colspan="5"><b>{esc(reason)}</b> — {count} record{"s" if count != 1 else ""}'
            f'{f" (first {len(examples)} shown)" if more > 0 else ""}</td></tr>{rows}')
    return ('<table class="quarantine"><tr><th>city</th><th>hour (raw)</th><th>detail</th><th>raw values</th>'
            f'<th>landing object</th></tr>{"".join(blocks)}</table>')


def analytics_tables(analytics: dict, descriptions: dict) -> str:
    out = []
    for query_id, result in analytics.items():
        head = "".join(f"<th>{esc(c)}</th>" for c in result["columns"])
        body = "".join("<tr>" + "".join(f"<td>{esc(v if not isinstance(v, float) else f'{v:.2f}')}</td>" for v in row) + "</tr>"
                       for row in result["rows"][:12])
        shown = f" (first 12 of {len(result['rows'])})" if len(result["rows"]) > 12 else ""
        out.append(f'<h3>{esc(query_id)}{shown}</h3><p class="note">{esc(descriptions.get(query_id, ""))}</p>'
                   f'<table class="data"><tr>{head}</tr>{body}</table>')
    return "".join(out)


# The daily layer's columns the report shows, in order: (column, header).
DAILY_COLUMNS = [
    ("day", "day (UTC)"), ("temperature_min_c", "min °C"), ("temperature_max_c", "max °C"),
    ("temperature_mean_c", "mean °C"), ("precipitation_sum_mm", "precipitation mm"), ("wind_speed_max_kmh", "max wind km/h"),
    ("dominant_weather_code", "weather code"), ("hours_present", "hours"), ("is_complete", "complete"),
    ("has_forecast_hours", "forecast hours"),
]


def daily_tables(daily: dict[str, list[dict]]) -> str:
    """One table per city of the curated daily layer (rows in day order)."""
    if not daily:
        return "<p>No daily rows.</p>"

    def cell(column: str, value: object) -> str:
        if value is None:
            return '<td class="num">—</td>'
        if isinstance(value, bool):
            return f"<td>{'yes' if value else 'no'}</td>"
        if isinstance(value, float):
            return f'<td class="num">{value:.1f}</td>'
        return f'<td class="num">{esc(value)}</td>' if column != "day" else f"<td>{esc(value)}</td>"

    head = "".join(f"<th>{esc(title)}</th>" for _, title in DAILY_COLUMNS)
    out = []
    for city, rows in daily.items():
        body = "".join("<tr>" + "".join(cell(c, r.get(c)) for c, _ in DAILY_COLUMNS) + "</tr>" for r in rows)
        out.append(f'<h3>{esc(city)} <span class="note">{len(rows)} day{"s" if len(rows) != 1 else ""}</span></h3>'
                   f'<table class="data daily"><tr>{head}</tr>{body}</table>')
    return "".join(out)


STYLE = """
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:24px auto;max-width:1160px;color:#1f2328;padding:0 16px}
h1{margin:0 0 4px;font-size:24px}h2{margin:28px 0 10px;font-size:19px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
h3{font-size:15px;margin:16px 0 6px}h4{font-size:13px;margin:0 0 2px}h4 span{font-weight:normal;color:#57606a}
.sub{color:#57606a;font-size:13px;margin:0 0 14px}code{font-size:12px}
.cards{display:flex;gap:10px;flex-wrap:wrap}.card{border:1px solid #d0d7de;border-radius:6px;padding:8px 12px;min-width:150px;flex:1}
.card .label{font-size:12px;color:#57606a;text-transform:uppercase;letter-spacing:.04em}.card .value{font-size:24px;font-weight:600}
.card.bad{border-color:#cf222e;background:#ffebe9}.note{font-size:12px;color:#57606a}
table{border-collapse:collapse;margin:8px 0 4px;font-size:13px}td,th{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}.num{text-align:right;white-space:nowrap}
table.timing{min-width:420px}.timing td:last-child{width:220px}.bar{height:10px;background:#8c959f;border-radius:2px}
.timing tr.total td{font-weight:600}
.checks .verdict{white-space:nowrap;font-weight:600}.checks tr.pass .verdict{color:#1a7f37}.checks tr.fail .verdict{color:#cf222e}
.checks tr.fail{background:#ffebe9}.kv{display:inline-block;margin-right:12px;white-space:nowrap}.kv b{font-weight:normal;color:#57606a}
.quarantine tr.reason td{background:#fff8c5}.quarantine code{word-break:break-all}.quarantine td:nth-child(2){white-space:nowrap}
.city{display:flex;gap:8px;flex-wrap:wrap}.chart{border:1px solid #eaeef2;border-radius:6px;padding:6px}
.chart svg{display:block}.grid{stroke:#eaeef2}.axis{stroke:#8c959f}.day{stroke:#d0d7de;stroke-dasharray:3 3}
.tick{font-size:10px;fill:#57606a}.day-label{font-weight:600}.unit{font-size:11px;fill:#57606a}
.data td{font-variant-numeric:tabular-nums}footer{margin-top:28px;font-size:12px;color:#57606a}
"""


# The variables the side-by-side section compares: both sources fill them with the same meaning.
COMPARED = [v for v in VARIABLES if v[0] in ("temperature_c", "wind_speed_kmh")]


def sources_by_city(rows: list[dict]) -> dict[str, dict[str, list[dict]]]:
    """Hourly rows (with `city_name`, `source`, `observed_at`) as city → source → rows in time order, for the cities
    that more than one source covers."""
    cities: dict[str, dict[str, list[dict]]] = {}
    for row in sorted(rows, key=lambda r: (r["city_name"], r["source"], r["observed_at"])):
        cities.setdefault(row["city_name"], {}).setdefault(row["source"], []).append(row)
    return {city: by_source for city, by_source in cities.items() if len(by_source) > 1}


def mean_abs_difference(first: list[dict], second: list[dict], column: str) -> tuple[float | None, int]:
    """Mean |a - b| of `column` over the hours both row lists have a value for, and how many hours that is."""
    other = {r["observed_at"]: r.get(column) for r in second}
    pairs = [(r[column], other[r["observed_at"]]) for r in first
             if r.get(column) is not None and other.get(r["observed_at"]) is not None]
    if not pairs:
        return None, 0
    return sum(abs(a - b) for a, b in pairs) / len(pairs), len(pairs)


def side_by_side_section(by_city: dict[str, dict[str, list[dict]]]) -> str:
    """Per city, each source's charts next to each other, and how far apart the first two sources are."""
    blocks = []
    for city, by_source in by_city.items():
        names = list(by_source)
        gaps = []
        for column, title, unit, *_ in COMPARED:
            mean, hours = mean_abs_difference(by_source[names[0]], by_source[names[1]], column)
            gaps.append(f"{esc(title.lower())}: {'n/a' if mean is None else f'{mean:.2f} {esc(unit)}'} over {hours} shared hours")
        charts = "".join(
            svg_chart([(r["observed_at"], r.get(column)) for r in rows], f"{title} · {source}", unit, colour, kind)
            for column, title, unit, colour, kind in COMPARED for source, rows in by_source.items())
        blocks.append(f'<h3>{esc(city)} <span class="note">{esc(" vs ".join(names))}: mean absolute difference, '
                      f'{"; ".join(gaps)}</span></h3><div class="city">{charts}</div>')
    return "".join(blocks)


def render_report(summary: dict, series: dict[str, list[dict]], quarantine: list[dict], validations: list[dict],
                  analytics: dict, timings: list[tuple[str, float]], descriptions: dict | None = None,
                  daily: dict[str, list[dict]] | None = None,
                  side_by_side: dict[str, dict[str, list[dict]]] | None = None) -> str:
    """The whole page. `series`: city display name → hourly rows (observed_at as datetime, one key per VARIABLES
    column); `quarantine`: rows of the quarantine table; `validations`: {id, description, passed, row}; `analytics`:
    query id → {columns, rows}; `timings`: (stage, seconds) in run order; `daily`: city display name → rows of the
    daily table (one key per DAILY_COLUMNS column), shown when given; `side_by_side`: `sources_by_city` of the
    hourly rows when the run had more than one source (the section is left out otherwise)."""
    etl, ingestion = summary["etl"], summary["ingestion"]
    all_passed = all(v["passed"] for v in validations)
    first = min((rows[0]["observed_at"] for rows in series.values() if rows), default=None)
    last = max((rows[-1]["observed_at"] for rows in series.values() if rows), default=None)
    span = f'{first:%Y-%m-%d %H:%M} → {last:%Y-%m-%d %H:%M} UTC' if first and last else "no hours"
    cities = []
    for city, rows in series.items():
        charts = "".join(svg_chart([(r["observed_at"], r.get(column)) for r in rows], title, unit, colour, kind)
                         for column, title, unit, colour, kind in VARIABLES)
        cities.append(f'<h3>{esc(city)} <span class="note">{len(rows)} hours</span></h3><div class="city">{charts}</div>')
    daily_section = "" if daily is None else (
        '<h2>Daily weather per city</h2>\n<p class="note">From the curated daily table (one row per source, city and UTC day),'
        f' recomputed by each run for the days it touched.</p>\n{daily_tables(daily)}\n')
    sources_section = ""
    if side_by_side:
        sources_section = (
            '<h2>Sources side by side</h2>\n<p class="note">The same cities and UTC hours from each weather source '
            f'({esc(", ".join(summary.get("sources", [])))}), each refined through the same contract; the named query '
            f'compare-sources lists them hour by hour.</p>\n{side_by_side_section(side_by_side)}')
    verdict = ("all validation checks passed" if all_passed
               else f'{sum(not v["passed"] for v in validations)} validation check(s) FAILED')
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Weather pipeline — local run {esc(summary["runId"])}</title>
<style>{STYLE}</style></head><body>
<h1>Weather pipeline — local run</h1>
<p class="sub">Run <code>{esc(summary["runId"])}</code> of batch <code>{esc(summary["batchId"])}</code> · {esc(span)} ·
ingestion source: {esc(ingestion["source"])} · {esc(verdict)}</p>
{counts_block(etl, ingestion, timings)}
<h2>Validation checks</h2>
<p class="note">The queries the state machine runs on Athena after each ETL run, here on Trino over the refined Parquet.</p>
{validation_table(validations)}
<h2>Hourly weather per city</h2>
<p class="note">From the refined table (one row per city and UTC hour); gaps are hours with no value.</p>
{"".join(cities) or "<p>No refined rows.</p>"}
{daily_section}{sources_section}
<h2>Quarantine by reason</h2>
<p class="note">Every rejected record keeps its reason, its raw values and the landing object it came from.</p>
{quarantine_table(quarantine, etl.get("quarantined_by_reason", {}))}
<h2>Named queries</h2>
{analytics_tables(analytics, descriptions or {})}
<footer>Generated by examples/local-run/local_run.py on {esc(summary.get("date", ""))}. This page loads nothing from the
network. Weather data by Open-Meteo.com (CC BY 4.0).</footer>
</body></html>
"""
