"""The markdown tables of docs/PERFORMANCE.md section 2 (script against the anchors) from etl_vs_anchor.py's rows.

    python3 bench/anchor_table.py bench/results/etl-anchor-15c.jsonl [LABEL ...]
"""
from __future__ import annotations

import json
import statistics
import sys


def fmt(seconds: float) -> str:
    return f"{seconds:,.1f} s"


def main(argv: list[str]) -> int:
    rows = [json.loads(line) for line in open(argv[0], encoding="utf-8") if line.strip()]
    labels = argv[1:] or list(dict.fromkeys(r["label"] for r in rows))
    print("| data | engine | runs | median wall | median of `run` | / anchor (per rep) | / anchor-all (per rep) "
          "| peak RSS (median) | CPU (median) | Spark jobs | Parquet files hourly / staging / daily | bytes hourly / staging / daily "
          "| files per partition (max) | load average |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label in labels:
        mine = [r for r in rows if r["label"] == label]
        engines = list(dict.fromkeys(r["engine"] for r in mine))
        walls = {e: {r["rep"]: r["wall_s"] for r in mine if r["engine"] == e} for e in engines}
        for engine in engines:
            runs = [r for r in mine if r["engine"] == engine]
            ratios = {}
            for reference in ("anchor", "anchor-all"):
                if engine.startswith("anchor") or reference not in walls:
                    ratios[reference] = "–"
                    continue
                per = [r["wall_s"] / walls[reference][r["rep"]] for r in runs if r["rep"] in walls[reference]]
                ratios[reference] = f"{statistics.median(per):.1f}x ({', '.join(f'{x:.1f}' for x in per)})"
            layers = runs[0]["layers"]
            run_s = [r["run_s"] for r in runs if r.get("run_s") is not None]
            cpu = [r["cpu_s"] for r in runs if r.get("cpu_s") is not None]
            loads = [x for r in runs for x in (r["load_before"], r["load_after"])]
            print(f"| {label} | {engine} | {len(runs)} | {fmt(statistics.median(r['wall_s'] for r in runs))} | "
                  f"{fmt(statistics.median(run_s)) if run_s else '–'} | {ratios['anchor']} | {ratios['anchor-all']} | "
                  f"{statistics.median(r['peak_rss_mib'] for r in runs):,.0f} MiB | "
                  f"{fmt(statistics.median(cpu)) if cpu else 'not sampled'} | "
                  f"{'/'.join(str(j) for j in sorted({r['spark_jobs'] for r in runs if 'spark_jobs' in r})) or '–'} | "
                  f"{' / '.join(format(layers[k]['files'], ',') for k in ('hourly', 'staging', 'daily'))} | "
                  f"{' / '.join(format(layers[k]['bytes'], ',') for k in ('hourly', 'staging', 'daily'))} | "
                  f"{max(max(l['files_per_partition_max'] for l in r['layers'].values()) for r in runs)} | "
                  f"{min(loads):.1f}–{max(loads):.1f} |")
        others = [e for e in engines if not e.startswith("anchor") and e != "script"]
        for other in others:
            per = [walls["script"][rep] / walls[other][rep] for rep in walls["script"] if rep in walls[other]]
            cpus = {e: {r["rep"]: r.get("cpu_s") for r in mine if r["engine"] == e} for e in ("script", other)}
            cpu_per = [cpus["script"][rep] / cpus[other][rep] for rep in cpus["script"]
                       if cpus["script"][rep] and cpus[other].get(rep)]
            if per:
                cpu_text = f"; CPU median {statistics.median(cpu_per):.2f}x ({', '.join(f'{x:.2f}' for x in cpu_per)})" \
                    if cpu_per else ""
                print(f"\n{label}: script / {other}, same repetition: median {statistics.median(per):.2f}x "
                      f"({', '.join(f'{x:.2f}' for x in per)}){cpu_text}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
