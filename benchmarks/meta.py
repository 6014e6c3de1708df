"""What a result needs beside its figures to be compared later: versions, revision, machine."""

from __future__ import annotations

import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import time
from importlib import metadata
from typing import Any

from benchmarks.data import ROOT

PACKAGES = (
    "mofasearch",
    "whoosh",
    "sudachipy",
    "sudachidict-core",
    "numpy",
    "bm25s",
    "tantivy",
    "matplotlib",
)


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _run(*args: str) -> str | None:
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=30, cwd=ROOT)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _memory() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            return int(fh.readline().split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None


def machine_facts() -> dict[str, Any]:
    versions = {name: _version(name) for name in PACKAGES}
    versions["python"] = sys.version.split()[0]
    versions["sqlite"] = sqlite3.sqlite_version
    if shutil.which("groonga"):
        versions["groonga"] = (_run("groonga", "--version") or "?").split(" [")[0]
    status = _run("git", "status", "--porcelain")
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "git_revision": _run("git", "rev-parse", "HEAD"),
        "git_dirty": bool(status) if status is not None else None,
        "platform": platform.platform(),
        "cpu": _cpu(),
        "cpus": os.cpu_count(),
        "memory_bytes": _memory(),
        "load_average": [round(x, 2) for x in os.getloadavg()]
        if hasattr(os, "getloadavg")
        else None,
        "versions": versions,
    }
