"""What the in-process benchmarks of the Glue script share (bench/fixed_cost_profile.py, bench/class_load_census.py):
the batch's arguments, the script loaded from a path with its contract, a session built as the script's `main()`
builds it locally, `run()`'s arguments, and which script function and line of `run()` a py4j call came from."""
from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Dict, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "src" / "etl" / "script" / "weather_etl.py"


def add_batch_arguments(parser: argparse.ArgumentParser) -> None:
    """--landing, --work, one of --manifest_key / --raw_prefix, --script and --conf (repeatable)."""
    parser.add_argument("--landing", required=True)
    parser.add_argument("--work", required=True)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--manifest_key")
    source.add_argument("--raw_prefix")
    parser.add_argument("--script", default=str(SCRIPT))
    parser.add_argument("--conf", action="append", default=[], help="KEY=VALUE for the session builder")


def load_script(path: str, module_name: str) -> Tuple[ModuleType, Dict[str, Any]]:
    """The script at `path` as a module, and the contract.json beside it."""
    spec = importlib.util.spec_from_file_location(module_name, path)
    etl = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(etl)
    return etl, etl.load_contract(Path(path).with_name("contract.json").read_text(encoding="utf-8"))


def local_session(conf: Sequence[str], settings: Optional[Dict[str, str]] = None):
    """A session as `main()` builds it locally (`local[2]`, no UI, UTC), then `settings`, then `conf` (KEY=VALUE)."""
    from pyspark.sql import SparkSession

    builder = (SparkSession.builder.appName("weather-etl").master("local[2]")
               .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.session.timeZone", "UTC"))
    for key, value in (settings or {}).items():
        builder = builder.config(key, value)
    for item in conf:
        key, value = item.split("=", 1)
        builder = builder.config(key, value)
    return builder.getOrCreate()


def run_args(args: argparse.Namespace, refined: Path, run_id: str) -> argparse.Namespace:
    """`run()`'s arguments for the batch of `add_batch_arguments`, writing into `refined`."""
    return argparse.Namespace(landing_uri=args.landing, refined_uri=str(refined), manifest_key=args.manifest_key,
                              raw_key=None, raw_prefix=args.raw_prefix, run_id=run_id, contract_json=None,
                              cities_json=None, processed_at="2026-01-01T00:00:00Z")


def script_caller(script_file: str, depth: int = 2) -> Tuple[Optional[str], Optional[int]]:
    """The innermost function of the script on the caller's stack (`depth` frames up from here), and the line of
    `run()` on it (None when the call is not under `run()`)."""
    frame, inner, run_line = sys._getframe(depth), None, None  # noqa: SLF001
    while frame is not None:
        if os.path.abspath(frame.f_code.co_filename) == script_file:
            inner = inner or frame.f_code.co_name
            if frame.f_code.co_name == "run":
                run_line = frame.f_lineno
        frame = frame.f_back
    return inner, run_line
