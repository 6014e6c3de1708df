"""Races at the storage layer: in-memory indexes side by side, their write lock, two processes
creating one index, and ``stats()`` while another process commits.

Real indexes, real threads and forked processes. A call that used to hang runs in a helper
thread joined with a timeout, so that a regression fails instead of stalling the suite.
"""

from __future__ import annotations

import gc
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_reliability_support import documents, wait_for
from whoosh.writing import PostingPool

from mofasearch import Index, storage
from mofasearch.errors import IndexExistsError, IndexLockedError

QUERY = "北方領土"
#: the lock Whoosh's writer takes
WRITE_LOCK = "MAIN_WRITELOCK"


def _in_thread(fn: Callable[[], Any], timeout: float = 20.0) -> Any:
    """``fn()``'s result or exception, run in a daemon thread; "HUNG" if it never returns."""
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(fn())
        except BaseException as exc:  # handed to the test, which asserts on it
            out.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    return out[0] if out else "HUNG"


def _add(ix: Index, batch: int, count: int = 4) -> None:
    with ix.writer() as w:
        for doc in documents(batch, count=count):
            w.add(doc)


# in-memory indexes: temporary files --------------------------------------------------------


def test_in_memory_indexes_do_not_share_temporary_files() -> None:
    ix1, ix2, ix3 = Index.in_memory(), Index.in_memory(), Index.in_memory()
    w1 = ix1.writer()
    for doc in documents(1, count=20):
        w1.add(doc)
    _add(ix2, 2)  # another index's commit (Whoosh's emptied the shared $TMPDIR/MAIN.tmp)
    ix3.writer().cancel()  # and another's cancel
    w1.commit()
    assert ix1.search(QUERY, limit=50).total == 20
    assert ix2.search(QUERY, limit=50).total == 4
    with ix1.writer(lock_timeout=1.0) as w:  # its lock was released by the commit
        w.delete("b1-d0")
    assert ix1.search(QUERY, limit=50).total == 19


def test_in_memory_index_needs_no_temporary_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    # Python's temporary folder, as $TMPDIR sets it, is unusable (a file)
    monkeypatch.setattr(tempfile, "tempdir", str(blocker))
    ix = Index.in_memory()
    for batch in range(3):
        _add(ix, batch)
    ix.optimize()
    assert ix.search(QUERY, limit=50).total == 12
    assert ix.stats()["segments"] == 1


def test_in_memory_index_commits_merges_and_optimizes() -> None:
    ix = Index.in_memory()
    for batch in range(14):  # enough small commits for Whoosh's merge policy to merge some
        _add(ix, batch, count=2)
    merged = ix.stats()["segments"]
    assert merged < 14
    with ix.writer() as w:
        w.delete("b3-d0")
        for doc in documents(99, count=300):  # a segment builder gets whole batches
            w.add(doc)
    ix.optimize()
    stats = ix.stats()
    assert stats["segments"] == 1 and stats["documents"] == 14 * 2 - 1 + 300
    assert ix.search(QUERY, limit=1).total == stats["documents"]
    assert ix.get("b3-d0") is None and ix.get("b4-d1") is not None
    assert ix.get("b4-d1").sections[0].text == documents(4)[1].sections[0].text  # type: ignore[union-attr]


def test_in_memory_temporary_storage_keeps_the_posting_pools_sorted_runs() -> None:
    """Whoosh's posting pool spills sorted runs past its memory limit (a big merge), writing
    and closing them through the raw file: they must read back from the in-memory temp."""
    temp = storage.ram_storage().temp_storage("MAIN.tmp")
    pool = PostingPool(temp, segment=None, limitmb=0.001)  # ~1 kB: a run every few postings
    postings = [("body", f"語{n % 97:02d}".encode(), n, 1.0, b"") for n in range(2000)]
    for posting in postings:
        pool.add(posting)
    assert len(pool.runs) > 10
    assert list(pool.items()) == sorted(postings)
    assert temp.list() == []  # every run deleted once read


# in-memory indexes: the write lock --------------------------------------------------------


def test_second_in_memory_writer_is_refused_at_once_even_in_the_same_thread() -> None:
    ix = Index.in_memory()

    def two_writers() -> float:
        first = ix.writer()
        start = time.monotonic()
        try:
            with pytest.raises(IndexLockedError, match="memory"):
                ix.writer()
            return time.monotonic() - start
        finally:
            first.cancel()

    waited = _in_thread(two_writers)
    assert isinstance(waited, float), waited
    assert waited < 0.5
    _add(ix, 1)  # the lock is free again
    assert ix.search(QUERY).total == 4


def test_in_memory_writer_waits_up_to_its_lock_timeout() -> None:
    ix = Index.in_memory()
    first = ix.writer()
    start = time.monotonic()
    refused = _in_thread(lambda: ix.writer(lock_timeout=0.4))
    assert isinstance(refused, IndexLockedError), refused
    assert 0.35 <= time.monotonic() - start < 3.0

    threading.Timer(0.5, first.cancel).start()  # released from another thread
    start = time.monotonic()
    second = _in_thread(lambda: ix.writer(lock_timeout=10.0))
    assert not isinstance(second, (BaseException, str)), second
    assert time.monotonic() - start >= 0.4
    second.cancel()


# the dropped writer's open segment files are closed by the garbage collector, with a warning
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("where", ["disk", "memory"])
def test_writer_dropped_without_commit_or_cancel_releases_its_lock(
    tmp_path: Path, where: str
) -> None:
    ix = Index.create(tmp_path / "ix") if where == "disk" else Index.in_memory()
    w = ix.writer()
    for doc in documents(1):
        w.add(doc)
    del w
    gc.collect()  # the writer and the Whoosh writer under it are collected
    second = _in_thread(lambda: ix.writer(lock_timeout=1.0))
    assert not isinstance(second, (BaseException, str)), second
    second.cancel()
    assert ix.search(QUERY).total == 0  # and nothing of the dropped writer became visible
    ix.close()


def _contend_for_the_write_lock(store: Any, threads: int) -> list[bool]:
    """Whether each of ``threads`` threads, started together, got the lock (holds kept)."""
    start = threading.Barrier(threads)
    holds: list[Any] = []
    won: list[bool] = []

    def contend() -> None:
        start.wait()
        hold = store.lock(WRITE_LOCK)
        holds.append(hold)  # a hold dropped would release the lock
        won.append(hold.acquire(blocking=False))

    running = [threading.Thread(target=contend) for _ in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join(10.0)
    return won


def test_in_memory_lock_is_one_lock_for_every_thread() -> None:
    """Whoosh made a lock on first use without a guard: two threads could each make one (about
    one round in a hundred, with threads switching as often as the interpreter allows)."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for attempt in range(500):
            won = _contend_for_the_write_lock(storage.ram_storage(), 16)
            assert won.count(True) == 1, f"attempt {attempt}: {won}"
    finally:
        sys.setswitchinterval(old)


# creating an index --------------------------------------------------------------------------


def _warm() -> None:
    """Schema, analysis fingerprint and the Sudachi dictionary, before a fork."""
    with Index.in_memory() as ix:
        _add(ix, 0, count=1)


def _slow_create_in_child(path: Path, started: int, seconds: float) -> int:
    """A forked process creating the index in ``path`` whose metadata write (after it looked
    for an index) is slow, like a slow fsync; it writes to ``started`` as it begins."""
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        import mofasearch.index as index_module

        write_meta = index_module._write_meta

        def slow_write_meta(store: Any) -> None:
            os.write(started, b"c")
            time.sleep(seconds)
            write_meta(store)

        index_module._write_meta = slow_write_meta
        Index.open_or_create(path).close()
        code = 0
    finally:
        os._exit(code)


def test_a_concurrent_create_never_wipes_a_commit(tmp_path: Path) -> None:
    """Whoosh's create deletes every table of contents: a create that looked for an index
    before another process created one and committed to it wiped that commit."""
    path = tmp_path / "ix"
    _warm()
    read_end, write_end = os.pipe()
    pid = _slow_create_in_child(path, write_end, seconds=2.0)
    os.close(write_end)
    try:
        with os.fdopen(read_end, "rb") as pipe:
            assert pipe.read(1) == b"c"  # the child looked, found nothing, is creating
        with Index.open_or_create(path) as ix:  # waits for the child's create, opens it
            _add(ix, 1, count=20)
            assert ix.search(QUERY, limit=50).total == 20
    finally:
        assert os.waitstatus_to_exitcode(wait_for(pid, 60)) == 0
    with Index.open(path) as ix:
        assert ix.search(QUERY, limit=50).total == 20


def _lock_in_child(path: Path, seconds: float) -> int:
    """A forked process holding the write lock of ``path`` for ``seconds``."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        lock = storage.file_storage(path).lock(WRITE_LOCK)
        code = 0 if lock.acquire() else 1
        os.write(write_end, b"locked\n")
        time.sleep(seconds)
        os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        assert pipe.readline() == b"locked\n"
    return pid


def test_open_or_create_waits_for_another_creator_holding_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "ix"
    path.mkdir()
    pid = _lock_in_child(path, seconds=1.0)
    try:
        start = time.monotonic()
        with Index.open_or_create(path) as ix:
            waited = time.monotonic() - start
            _add(ix, 1)
        assert waited >= 0.5, "created while another process held the write lock"
    finally:
        assert os.waitstatus_to_exitcode(wait_for(pid, 60)) == 0
    with pytest.raises(IndexExistsError):
        Index.create(path)


def test_create_raises_index_locked_when_the_lock_stays_held(tmp_path: Path) -> None:
    path = tmp_path / "ix"
    path.mkdir()
    pid = _lock_in_child(path, seconds=1.5)
    try:
        start = time.monotonic()
        with pytest.raises(IndexLockedError) as info:
            Index.create(path, lock_timeout=0.3)
        assert 0.25 <= time.monotonic() - start < 1.4
        assert str(path) in str(info.value)
        assert not list(path.glob("_MAIN_*"))  # nothing written without the lock
    finally:
        assert os.waitstatus_to_exitcode(wait_for(pid, 60)) == 0


def test_create_replaces_an_unfinished_create(tmp_path: Path) -> None:
    """A table of contents still being written (a create that died) is no index: create
    replaces it, open_or_create makes one instead of failing to open it."""
    path = tmp_path / "ix"
    path.mkdir()
    (path / "_MAIN_0.toc.1700000000.5").write_bytes(b"partial")
    with Index.open_or_create(path) as ix:
        _add(ix, 1)
        assert ix.search(QUERY).total == 4
    assert not (path / "_MAIN_0.toc.1700000000.5").exists()


# stats while others write -------------------------------------------------------------------


def _generation_files(path: Path) -> int:
    """Bytes of the committed files: one TOC, its segments' files, the metadata."""
    tocs = list(path.glob("_MAIN_*.toc"))
    assert len(tocs) == 1
    segments = list(path.glob("MAIN_*.*"))
    return sum(p.stat().st_size for p in [*tocs, *segments, path / "mofasearch.json"])


def test_stats_size_is_the_committed_generation_only(tmp_path: Path) -> None:
    with Index.create(tmp_path / "ix") as ix:
        empty = ix.stats()["size_bytes"]
        assert empty == _generation_files(tmp_path / "ix") > 0
        _add(ix, 1, count=10)
        committed = ix.stats()["size_bytes"]
        assert committed == _generation_files(tmp_path / "ix") > empty
        with Index.open(tmp_path / "ix") as other, other.writer() as w:
            for doc in documents(2, count=300):  # whole batches: segment files being written
                w.add(doc)
            assert ix.stats()["size_bytes"] == committed
        assert ix.stats()["size_bytes"] == _generation_files(tmp_path / "ix") > committed


def test_stats_of_an_in_memory_index_ignores_an_open_writer() -> None:
    ix = Index.in_memory()
    _add(ix, 1, count=10)
    committed = ix.stats()["size_bytes"]
    with ix.writer() as w:
        for doc in documents(2, count=300):
            w.add(doc)
        assert ix.stats()["size_bytes"] == committed
    assert ix.stats()["size_bytes"] > committed


def test_stats_survives_a_file_gone_between_listing_and_measuring(tmp_path: Path) -> None:
    """A name in the listing whose file is gone by the time it is measured (another
    process's old segment or temporary file): a dangling link is one that stays so."""
    with Index.create(tmp_path / "ix") as ix:
        _add(ix, 1)
        before = ix.stats()["size_bytes"]
        (tmp_path / "ix" / "MAIN_gone0123.seg").symlink_to(tmp_path / "removed")
        (tmp_path / "ix" / "_MAIN_0.toc.1700000000.5").symlink_to(tmp_path / "removed")
        assert ix.stats()["size_bytes"] == before


def _commit_in_child(path: Path, commits: int) -> int:
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            with Index.open(path) as ix:
                for batch in range(commits):
                    with ix.writer(lock_timeout=30.0) as w:
                        for doc in documents(batch + 1, count=3):
                            w.add(doc)
                    if batch % 4 == 3:
                        ix.optimize()
            code = 0
        finally:
            os._exit(code)
    return pid


def test_stats_while_another_process_commits(tmp_path: Path) -> None:
    path = tmp_path / "ix"
    with Index.create(path) as ix:
        _add(ix, 0)
    _warm()
    pid = _commit_in_child(path, commits=24)
    calls = 0
    errors: list[str] = []
    status = None
    try:
        with Index.open(path) as ix:
            while status is None:
                try:
                    stats = ix.stats()
                    assert stats["size_bytes"] > 0 and stats["documents"] >= 4
                except Exception as exc:
                    errors.append(f"{type(exc).__name__}: {exc}")
                calls += 1
                done, found = os.waitpid(pid, os.WNOHANG)
                status = found if done else None
    finally:
        if status is None:
            status = wait_for(pid, 60)
    assert os.waitstatus_to_exitcode(status) == 0
    assert calls > 50
    assert errors == []
