"""Runs a benchmark's measuring half as a child process (its own JVM, its own environment) and passes its result
rows on: the child prints one JSON object per line; each is echoed and, with `out`, appended to that JSONL file."""
from __future__ import annotations

import subprocess
import sys
from typing import Mapping, Optional, Sequence


def run_child(command: Sequence[str], env: Mapping[str, str], out: Optional[str]) -> int:
    """Runs `command` with `env`; echoes (and appends to `out`) every stdout line that is a JSON object; on failure
    writes the end of the child's stderr. Returns the child's exit status."""
    result = subprocess.run(list(command), env=dict(env), capture_output=True, text=True)
    for line in result.stdout.splitlines():
        if line.startswith("{"):
            print(line, flush=True)
            if out:
                with open(out, "a", encoding="utf-8") as handle:
                    handle.write(line + "\n")
    if result.returncode:
        sys.stderr.write(result.stderr[-3000:])
    return result.returncode
