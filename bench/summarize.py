"""Prints the Markdown tables of docs/PERFORMANCE.md from bench/results/*.json(l).

    python3 bench/summarize.py
"""
import json
import statistics
from collections import defaultdict
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def synth():
    for name in ("synth.json", "synth-no-monitoring.json"):
        path = RESULTS / name
        if not path.exists():
            continue
        data = json.loads(path.read_text())
        print(f"\n{name} (monitoringEnabled: {data.get('monitoringEnabled', True)}, {data['reps']} reps)\n")
        print("| cities | median synth | ratio to 1 city (median of per-rep ratios) | template bytes | resources |")
        print("|---:|---:|---:|---:|---:|")
        for r in data["rows"]:
            if "error" in r:
                print(f"| {r['cities']:,} | fails: `{r['error']}` | | | |")
            else:
                print(f"| {r['cities']:,} | {r['medianMs']} ms | {r['medianRatioToFirst']}x | {r['templateBytes']:,} | {r['resources']} |")


def etl():
    rows = [json.loads(line) for line in (RESULTS / "etl.jsonl").read_text().splitlines() if line.strip()]
    groups = defaultdict(list)
    for r in rows:
        groups[(r["cities"], r["days"], r["source"], r["variant"])].append(r)
    print("\n| data | input | settings | runs | median run time | records/s | peak RSS | partitions | Parquet files | files per partition (max) |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for (cities, days, source, variant), rs in sorted(groups.items()):
        med = statistics.median(r["run_s"] for r in rs)
        print(f"| {cities} x {days} d | {source} ({rs[0]['raw_files']:,} files, {rs[0]['records_in']:,} records) | {variant} | {len(rs)} | "
              f"{med:.0f} s | {statistics.median(r['records_per_s'] for r in rs):.0f} | {statistics.median(r['peak_rss_mib'] for r in rs):.0f} MiB | "
              f"{rs[0]['partitions']:,} | {rs[0]['parquet_files']:,} | {max(r['files_per_partition_max'] for r in rs)} |")
    # Same-run ratios: each repetition ran the variants back to back on the same data.
    by_rep = defaultdict(dict)
    seen = defaultdict(int)
    for r in rows:
        if r["days"] == 3 and r["source"] == "raw_prefix":
            by_rep[seen[r["variant"]]][r["variant"]] = r["run_s"]
            seen[r["variant"]] += 1
    for other in ("glue-default", "tuned"):
        ratios = [rep[other] / rep["script"] for rep in by_rep.values() if other in rep and "script" in rep]
        if ratios:
            print(f"\n{other} / script, same repetition: median {statistics.median(ratios):.2f}x over {len(ratios)} reps ({', '.join(f'{x:.2f}' for x in ratios)})")


def etl_anchor():
    """The script, the script before a change and the DuckDB anchor, per repetition back to back (etl_vs_anchor.py)."""
    path = RESULTS / "etl-anchor.jsonl"
    if not path.exists():
        return
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    labels = list(dict.fromkeys(r["label"] for r in rows))
    print("\n| data | engine | runs | median wall (whole process) | median of `run` | same-run ratio to the anchor (median; per rep) "
          "| peak RSS (median) | Parquet bytes | files | files per partition (max) | load average during the runs |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label in labels:
        mine = [r for r in rows if r["label"] == label]
        anchor = {r["rep"]: r["wall_s"] for r in mine if r["engine"] == "anchor"}
        for engine in dict.fromkeys(r["engine"] for r in mine):
            rs = [r for r in mine if r["engine"] == engine]
            ratios = [r["wall_s"] / anchor[r["rep"]] for r in rs if r["rep"] in anchor]
            run_s = [r["run_s"] for r in rs if r.get("run_s") is not None]
            loads = [x for r in rs for x in (r["load_before"], r["load_after"])]
            print(f"| {label} ({rs[0]['raw_files']:,} files) | {engine} | {len(rs)} | {statistics.median(r['wall_s'] for r in rs):.1f} s | "
                  f"{f'{statistics.median(run_s):.1f} s' if run_s else '–'} | "
                  f"{'–' if engine == 'anchor' or not ratios else f'{statistics.median(ratios):.1f}x; ' + ', '.join(f'{x:.1f}' for x in ratios)} | "
                  f"{statistics.median(r['peak_rss_mib'] for r in rs):,.0f} MiB | {rs[0]['parquet_bytes']:,} | {rs[0]['parquet_files']:,} | "
                  f"{max(r['files_per_partition_max'] for r in rs)} | {min(loads):.1f}–{max(loads):.1f} |")
        by_rep = {}
        for r in mine:
            by_rep.setdefault(r["rep"], {})[r["engine"]] = r["wall_s"]
        pairs = [rep["script"] / rep["before"] for rep in by_rep.values() if "script" in rep and "before" in rep]
        if pairs:
            print(f"\n{label}: script / before, same repetition: median {statistics.median(pairs):.2f}x "
                  f"({', '.join(f'{x:.2f}' for x in pairs)})\n")


def trino():
    data = json.loads((RESULTS / "trino.json").read_text())
    print(f"\nstorage: {json.dumps(data['storage'])}\n")
    print("| question | layout | physical input bytes | input rows | median time | time / daily (same rep) |")
    print("|---|---|---:|---:|---:|---:|")
    for q, layouts in data["queries"].items():
        for layout, v in layouts.items():
            ratio = v.get("median_time_ratio_to_daily")
            print(f"| {q} | {layout} | {v['physical_input_bytes'] or 0:,} | {v['processed_rows'] or 0:,} | "
                  f"{v['median_wall_s']:.2f} s ({v.get('runs', '?')} runs) | {f'{ratio}x' if ratio is not None else '–'} |")
    for q, layouts in data.get("errors", {}).items():
        for layout, message in layouts.items():
            print(f"error: {q} {layout}: {message}")


if __name__ == "__main__":
    synth()
    etl()
    etl_anchor()
    trino()
