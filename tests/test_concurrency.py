"""Concurrency: reader threads beside a writer process, the writer lock, forked servers.

Every commit of the writer below adds one batch of four documents, all matching the query;
a search that saw part of a commit would find a batch with fewer than four. So each search's
hits are checked to be whole batches (one committed snapshot), and each thread's totals must
never go backwards.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from test_reliability_support import documents, wait_for

from mofasearch import Index
from mofasearch.errors import IndexLockedError

BATCH = 4
QUERY = "北方領土"


def _batch_of(doc_id: str) -> str:
    return doc_id.split("-")[0]


def _commit_batches(path: Path, first: int, count: int) -> None:
    with Index.open(path) as ix:
        for batch in range(first, first + count):
            with ix.writer(lock_timeout=30.0) as w:
                for doc in documents(batch, count=BATCH):
                    w.add(doc)


def _fork(fn: object, *args: object) -> int:
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            fn(*args)  # type: ignore[operator]
        except BaseException:
            code = 1
        os._exit(code)
    return pid


def _exit_code(status: int) -> int:
    return os.waitstatus_to_exitcode(status)


@pytest.fixture
def index_path(tmp_path: Path) -> Path:
    path = tmp_path / "ix"
    with Index.create(path) as ix, ix.writer() as w:
        for doc in documents(0, count=BATCH):
            w.add(doc)
    return path


def test_eight_reader_threads_and_a_writer_process(index_path: Path) -> None:
    commits = 12
    errors: list[BaseException] = []
    seen: list[list[int]] = [[] for _ in range(8)]
    stop = threading.Event()

    with Index.open(index_path) as ix:
        ix.search(QUERY)  # warm: analysis and the first snapshot

        def reader(slot: int) -> None:
            try:
                while not stop.is_set():
                    res = ix.search(QUERY, limit=1000)
                    hits = list(res)
                    assert res.total == len(hits)
                    sizes = Counter(_batch_of(h.doc_id) for h in hits)
                    assert set(sizes.values()) == {BATCH}, f"a torn snapshot: {sizes}"
                    seen[slot].append(res.total)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=reader, args=(i,)) for i in range(8)]
        pid = _fork(_commit_batches, index_path, 1, commits)
        for t in threads:
            t.start()
        try:
            status = wait_for(pid, 240)
        finally:
            time.sleep(0.3)  # let the readers see the last commit
            stop.set()
            for t in threads:
                t.join(60)
        assert _exit_code(status) == 0, "the writer process failed"
        assert not errors, errors[0]
        final = BATCH * (commits + 1)
        assert ix.search(QUERY, limit=1).total == final
    for totals in seen:
        assert totals, "a reader thread never completed a search"
        assert totals == sorted(totals), "a reader saw the index go back in time"
        assert all(t % BATCH == 0 for t in totals)
    assert len({t for totals in seen for t in totals}) > 2, "readers never overlapped commits"


def _hold_lock(path: Path, seconds: float, ready: int) -> None:
    with Index.open(path) as ix, ix.writer() as w:
        for doc in documents(50, count=1):
            w.add(doc)
        os.write(ready, b"locked\n")
        time.sleep(seconds)


def _locked_by_child(path: Path, seconds: float) -> int:
    read_end, write_end = os.pipe()
    pid = _fork(_hold_lock, path, seconds, write_end)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        assert pipe.readline() == b"locked\n"
    return pid


def test_second_writer_gets_index_locked_error_after_the_timeout(index_path: Path) -> None:
    pid = _locked_by_child(index_path, seconds=4.0)
    try:
        with Index.open(index_path) as ix:
            start = time.monotonic()
            with pytest.raises(IndexLockedError) as info:
                ix.writer(lock_timeout=0.5)
            waited = time.monotonic() - start
            assert 0.4 <= waited < 2.5, waited
            assert str(index_path) in str(info.value)
            start = time.monotonic()
            with pytest.raises(IndexLockedError):
                ix.writer()  # default: no waiting
            assert time.monotonic() - start < 0.5
    finally:
        assert _exit_code(wait_for(pid, 60)) == 0
    with Index.open(index_path) as ix:
        assert sorted(ix.doc_ids()) == sorted([f"b0-d{i}" for i in range(BATCH)] + ["b50-d0"])


def test_second_writer_waits_when_asked(index_path: Path) -> None:
    pid = _locked_by_child(index_path, seconds=1.0)
    try:
        with Index.open(index_path) as ix:
            start = time.monotonic()
            with ix.writer(lock_timeout=30.0) as w:
                waited = time.monotonic() - start
                for doc in documents(60, count=1):
                    w.add(doc)
            assert waited >= 0.5, "the second writer did not wait for the first"
    finally:
        assert _exit_code(wait_for(pid, 60)) == 0
    with Index.open(index_path) as ix:
        ids = set(ix.doc_ids())
        assert {"b50-d0", "b60-d0"} <= ids and len(ids) == BATCH + 2
        assert ix.search(QUERY, limit=1).total == BATCH + 2


def test_forked_children_search_safely(index_path: Path) -> None:
    """A pre-fork server: the parent searched (open files, caches) before forking workers."""
    _commit_batches(index_path, 1, 3)
    with Index.open(index_path) as ix:
        expected = [h.doc_id for h in ix.search(QUERY, limit=100)]
        assert len(expected) == 4 * BATCH
        pipes = []
        pids = []
        for _ in range(4):
            read_end, write_end = os.pipe()

            def worker(out: int = write_end) -> None:
                results = []
                for q in (QUERY, "経済協力", QUERY):
                    results.append([h.doc_id for h in ix.search(q, limit=100)])
                os.write(out, json.dumps(results).encode())

            pids.append(_fork(worker))
            os.close(write_end)
            pipes.append(read_end)
        # the parent keeps searching while the children do
        for _ in range(10):
            assert [h.doc_id for h in ix.search(QUERY, limit=100)] == expected
        for pid, read_end in zip(pids, pipes, strict=True):
            with os.fdopen(read_end, "rb") as pipe:
                data = pipe.read()
            assert _exit_code(wait_for(pid, 120)) == 0
            first, other, again = json.loads(data)
            assert first == expected and again == expected
            assert len(other) == len(expected)
        # and a child that writes: the parent sees its commit
        pid = _fork(_commit_batches, index_path, 9, 1)
        assert _exit_code(wait_for(pid, 120)) == 0
        assert ix.search(QUERY, limit=1).total == 5 * BATCH
        assert any(re.match(r"b9-", d) for d in ix.doc_ids())


def _add_batch_through(ix: Index, batch: int) -> None:
    with ix.writer(lock_timeout=30.0) as w:
        for doc in documents(batch, count=BATCH):
            w.add(doc)


def test_a_child_forked_while_a_parent_thread_commits_can_commit(index_path: Path) -> None:
    """Forked while another thread of the parent held the storage's lock (syncing files for a
    commit): the child inherits that lock held, by a thread it does not have."""
    with Index.open(index_path) as ix:
        before = ix.search(QUERY, limit=1).total
        with ix._storage._sync_lock:
            pid = _fork(_add_batch_through, ix, 7)
        assert _exit_code(wait_for(pid, 60)) == 0
        assert ix.search(QUERY, limit=1).total == before + BATCH
