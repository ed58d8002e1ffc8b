"""Copies of the Glue script that leave layers out, to measure what each layer adds to a run (issue #15's monthly
target: the issue's anchor writes the hourly layer only). Never used by the pipeline.

    python3 bench/layer_variants.py --out /tmp/variants [--script src/etl/script/weather_etl.py]

writes, each with the script's contract.json beside it:
- OUT/no-staging/weather_etl.py: the staging layer's file write left out (its rows are still counted, so the run
  summary still reconciles the staged rows against the refined and superseded ones);
- OUT/hourly-only/weather_etl.py: the staging and the daily layers' writes left out, and the daily rows' count with
  them: the hourly layer (and the quarantine, the run summary and the reconciliation), the anchor's work.
Run them beside the script with `bench/etl_vs_anchor.py --before NAME=OUT/NAME/weather_etl.py`. A script whose lines
changed so that a cut no longer applies stops this with the text it could not find.
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "src" / "etl" / "script" / "weather_etl.py"

# (text found once in the script, what replaces it)
NO_STAGING = [
    ("        if staged:  # (with no row staged",
     "        if False and staged:  # (layer_variants: no staging write) (with no row staged"),
]
NO_DAILY = [
    ('        "daily": recomputed.groupBy(*dkeys).agg(F.expr("count(1) AS n")),\n', ""),
]
# The daily layer's block inside `if touched:`, from its first line to its last, replaced by `pass`.
DAILY_BLOCK = ("            # With monthly partitions a daily partition holds other days too",
               "            daily_touched = daily_partitions\n")


def found_once(text: str, needle: str) -> int:
    """Where `needle` is in `text`; stops the tool unless it is there exactly once."""
    if text.count(needle) != 1:
        raise SystemExit(f"layer_variants: expected once in the script, found {text.count(needle)} times: {needle!r}")
    return text.index(needle)


def cut(text: str, replacements, block=None) -> str:
    for old, new in replacements:
        found_once(text, old)
        text = text.replace(old, new)
    if block:
        start, end = found_once(text, block[0]), found_once(text, block[1])
        if end < start:
            raise SystemExit(f"layer_variants: the daily layer's block ends before it starts: {block!r}")
        text = text[:start] + "            pass  # (layer_variants: no daily write)\n" + text[end + len(block[1]):]
    return text


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--script", default=str(SCRIPT))
    opts = parser.parse_args(argv)
    script = Path(opts.script)
    text = script.read_text(encoding="utf-8")
    variants = {"no-staging": cut(text, NO_STAGING), "hourly-only": cut(text, NO_STAGING + NO_DAILY, DAILY_BLOCK)}
    for name, body in variants.items():
        folder = Path(opts.out) / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "weather_etl.py").write_text(body, encoding="utf-8")
        shutil.copyfile(script.parent / "contract.json", folder / "contract.json")
        print(folder / "weather_etl.py")
    return 0


if __name__ == "__main__":
    sys.exit(main())
