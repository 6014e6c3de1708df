"""Measuring helpers: resident memory from /proc, sizes on disk, percentiles, child processes.

Builds run in a fresh child process each, so a peak RSS is that build's own and not the
high-water mark of whatever ran before it in the same interpreter.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np


def _status(field: str) -> int:
    """A /proc/self/status memory field in bytes (0 where /proc is not there)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def rss() -> int:
    return _status("VmRSS")


def peak_rss() -> int:
    """The process's high-water resident set since start or the last :func:`reset_peak`."""
    return _status("VmHWM")


def reset_peak() -> bool:
    """Reset the high-water mark (Linux ≥ 4.0); False where the kernel refuses."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
    except OSError:
        return False
    return True


def size_on_disk(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99/mean/max in milliseconds (linear interpolation, numpy's default)."""
    if not seconds:
        return {}
    ms = np.asarray(seconds) * 1000.0
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    return {
        "n": len(ms),
        "p50": float(p50),
        "p95": float(p95),
        "p99": float(p99),
        "mean": float(ms.mean()),
        "max": float(ms.max()),
    }


def run_child(mode: str, spec: dict[str, Any], timeout: float = 3600) -> dict[str, Any]:
    """Run ``python -m benchmarks.worker MODE`` with ``spec`` on stdin; its last stdout line is
    the JSON answer. A failing child raises with the end of its stderr."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.worker", mode],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        raise RuntimeError(f"benchmark worker {mode} failed ({done.returncode}):\n{tail}")
    return json.loads(done.stdout.strip().splitlines()[-1])
