"""Monthly cost of the examples app (WeatherPipeline) on paper, from the measured ETL run times.

    python3 bench/cost_model.py [--etl bench/results/etl.jsonl] [--trino bench/results/trino.json]

Prices: AWS list prices, us-east-1, as published in 2025 (check https://aws.amazon.com/<service>/pricing/):
Glue Spark $0.44 per DPU-hour, Flex $0.29, billed per second with a 1-minute minimum (Glue 2.0+); Athena $5 per TB
scanned, at least 10 MB per query; Step Functions Standard $0.025 per 1,000 state transitions; Lambda arm64
$0.0000133334 per GB-second and $0.20 per million requests; S3 Standard $0.023 per GB-month, PUT/LIST $0.005 per
1,000, GET $0.0004 per 1,000; CloudWatch alarms $0.10 each per month. Free tiers are ignored (a worst case).
Assumptions (each one stated in docs/PERFORMANCE.md): see ASSUMPTIONS below.
"""
from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRICES = {"glue_dpu_hour": 0.44, "glue_flex_dpu_hour": 0.29, "athena_tb": 5.0, "athena_min_bytes": 10 * 2**20,
          "sfn_transition": 0.025 / 1000, "lambda_gb_s_arm": 0.0000133334, "lambda_request": 0.20 / 1e6,
          "s3_gb_month": 0.023, "s3_put": 0.005 / 1000, "s3_get": 0.0004 / 1000, "alarm_month": 0.10}
ASSUMPTIONS = {
    "glue_dpus": 2,                  # 2 x G.1X, the GlueEtlJob default
    "glue_startup_billed_s": 0,      # Glue 5 start-up is not billed; the 1-minute minimum is
    "hours_per_fetch": 192,          # pastDays 1 + forecastDays 7: each fetch rewrites 8 (to 9) UTC dates per city
    "dates_touched_per_run": 9,
    "raw_bytes_per_fetch": 8 * 1766,  # the generator's 24-hour body is 1,766 B on average; 192 hours ~ 8x
    "sfn_transitions_per_run": 22,   # scheduled happy path of the synthesized state machine (see PERFORMANCE.md)
    "validation_queries_per_run": 4,
    "ingest_lambda_gb": 0.25, "ingest_s_per_city": 0.5, "ingest_concurrency": 3,
    "planner_lambda_gb": 0.25, "planner_s": 0.3, "metrics_lambda_gb": 0.25, "metrics_s": 0.3, "metrics_invocations": 2,
    "fixed_alarms": 10,              # PipelineMonitoring's fixed alarms (synth: 10 alarms at 1 city, + 1 per city)
}


def glue_seconds_model(etl_rows: list) -> tuple:
    """Least-squares line run_s = a + b * partitions_written over the measured `script`-setting runs."""
    pts = [(r["partitions"], r["run_s"]) for r in etl_rows if r["variant"] == "script"]
    by = {}
    for p, s in pts:
        by.setdefault(p, []).append(s)
    xs, ys = zip(*[(p, statistics.median(v)) for p, v in sorted(by.items())])
    if len(xs) == 1:
        return 0.0, ys[0] / xs[0], by
    mx, my = statistics.mean(xs), statistics.mean(ys)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    return my - b * mx, b, by


def monthly(cities: int, runs_per_month: float, a: float, b: float, flex: bool = False) -> dict:
    A, P = ASSUMPTIONS, PRICES
    partitions = cities * A["dates_touched_per_run"]
    glue_s = max(60.0, A["glue_startup_billed_s"] + a + b * partitions)
    rate = P["glue_flex_dpu_hour"] if flex else P["glue_dpu_hour"]
    glue = runs_per_month * A["glue_dpus"] * glue_s / 3600 * rate
    athena = runs_per_month * A["validation_queries_per_run"] * P["athena_min_bytes"] / 1e12 * P["athena_tb"]
    sfn = runs_per_month * A["sfn_transitions_per_run"] * P["sfn_transition"]
    ingest_s = max(1.0, cities / A["ingest_concurrency"] * A["ingest_s_per_city"])
    lam = runs_per_month * ((A["ingest_lambda_gb"] * ingest_s + A["planner_lambda_gb"] * A["planner_s"]
                             + A["metrics_invocations"] * A["metrics_lambda_gb"] * A["metrics_s"]) * P["lambda_gb_s_arm"]
                            + (2 + A["metrics_invocations"]) * P["lambda_request"])
    # S3 requests: raw PUT per city + manifest; refined: one PUT per touched partition (+ the run summary);
    # reads: raw GETs and the existing partitions merged (GET) by the ETL.
    puts = runs_per_month * (cities + 1 + partitions + 1)
    gets = runs_per_month * (cities + partitions)
    s3_req = puts * P["s3_put"] + gets * P["s3_get"]
    # Storage after one year: raw bodies kept forever, refined one file per city and date (~6.5 KB measured).
    raw_gb_year = runs_per_month * 12 * cities * A["raw_bytes_per_fetch"] / 1e9
    refined_gb_year = cities * 365 * 6565 / 1e9
    s3_store = (raw_gb_year + refined_gb_year) * P["s3_gb_month"]
    alarms = (A["fixed_alarms"] + cities) * P["alarm_month"]
    total = glue + athena + sfn + lam + s3_req + s3_store + alarms
    return {"cities": cities, "runs_per_month": runs_per_month, "glue_s_per_run": round(glue_s, 1),
            "glue": glue, "athena_validation": athena, "step_functions": sfn, "lambda": lam,
            "s3_requests": s3_req, "s3_storage_after_1y": s3_store, "alarms": alarms, "total": total}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--etl", default=str(ROOT / "bench" / "results" / "etl.jsonl"))
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "cost.json"))
    opts = parser.parse_args()
    rows = [json.loads(line) for line in Path(opts.etl).read_text().splitlines() if line.strip()]
    a, b, points = glue_seconds_model(rows)
    table = []
    for schedule, runs in (("daily", 30.4), ("hourly", 730.0)):
        for n in (3, 100, 1000):
            for flex in (False, True):
                row = monthly(n, runs, a, b, flex)
                row.update(schedule=schedule, flex=flex)
                table.append(row)
    print(f"run_s = {a:.1f} + {b:.4f} x partitions written  (medians per point: "
          f"{ {p: round(statistics.median(v), 1) for p, v in points.items()} })")
    print(f"{'schedule':8} {'cities':>6} {'flex':>5} {'glue s/run':>10} {'Glue':>9} {'Athena':>7} {'SFN':>7} "
          f"{'Lambda':>7} {'S3 req':>8} {'S3 store':>8} {'alarms':>7} {'total $/mo':>10}")
    for r in table:
        print(f"{r['schedule']:8} {r['cities']:>6} {str(r['flex']):>5} {r['glue_s_per_run']:>10} {r['glue']:>9.2f} "
              f"{r['athena_validation']:>7.3f} {r['step_functions']:>7.3f} {r['lambda']:>7.3f} {r['s3_requests']:>8.2f} "
              f"{r['s3_storage_after_1y']:>8.3f} {r['alarms']:>7.2f} {r['total']:>10.2f}")
    Path(opts.out).write_text(json.dumps({"prices": PRICES, "assumptions": ASSUMPTIONS,
                                          "glue_model": {"a_s": a, "b_s_per_partition": b}, "rows": table}, indent=2) + "\n")


if __name__ == "__main__":
    main()
