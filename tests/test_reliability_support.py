"""Support for the reliability and concurrency tests: forked children with limits, documents.

(No tests here; the name only keeps the file with the tests it serves.)
"""

from __future__ import annotations

import json
import os
import resource
import signal
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mofasearch import Document, Section

NOBODY = 65534


def documents(batch: int, count: int = 5, *, size: int = 3) -> list[Document]:
    """Small real Japanese documents; ids are unique per (batch, i)."""
    return [
        Document(
            id=f"b{batch}-d{i}",
            title=f"日露首脳会談 第{batch}回",
            sections=[
                Section(text="北方領土問題について協議した。" * size, number="1"),
                Section(text=f"経済協力の第{batch}段階について意見を交換した。", number="2"),
            ],
        )
        for i in range(count)
    ]


def run_forked(
    fn: Callable[[], Any],
    *,
    timeout: float = 60.0,
    uid: int | None = None,
    fsize: int | None = None,
) -> dict[str, Any]:
    """Run ``fn`` in a forked child (optionally as ``uid``, or with RLIMIT_FSIZE) and return
    ``{"ok": result}`` or ``{"error": class name, "message": str}``.

    A fork, not a new interpreter: the interpreter lives where an unprivileged user cannot
    read it, so everything the child needs must already be imported (call ``fn`` once in the
    parent first when it imports lazily).
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read_end)
        status = 0
        try:
            if fsize is not None:
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
                resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
            if uid is not None:
                os.setgroups([])
                os.setgid(uid)
                os.setuid(uid)
            out: dict[str, Any] = {"ok": fn()}
        except BaseException as exc:  # reported to the parent, which asserts on it
            out = {"error": type(exc).__name__, "message": str(exc)}
        try:
            os.write(write_end, json.dumps(out, default=str).encode())
        except BaseException:
            status = 3
        os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        wait_for(pid, timeout)
        data = pipe.read()
    return json.loads(data) if data else {"error": "NoResult", "message": ""}


def wait_for(pid: int, timeout: float) -> int:
    """The child's wait status; SIGKILLs it and raises TimeoutError when it overstays."""
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise TimeoutError(f"child {pid} did not finish in {timeout} s")
        time.sleep(0.01)


@contextmanager
def public_directory() -> Iterator[Path]:
    """A directory an unprivileged user can read (pytest's tmp_path is root-only)."""
    import shutil

    path = Path(tempfile.mkdtemp(prefix="mofasearch-test-", dir="/tmp"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
