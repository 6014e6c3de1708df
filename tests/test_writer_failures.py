"""A writer when something goes wrong late: a worker process killed while it waits for a batch,
a disk that fills up while the commit writes, and one writer shared by two threads. Each ends
in a clear error or a complete commit, the index as it was otherwise, and the lock free in the
same process, not only once it has exited.

Real processes, a real index on disk and real Sudachi throughout; the failures are real signals
and a real resource limit, in a child process running the code below (``-c``).
"""

from __future__ import annotations

import os
import resource
import signal
import threading

import pytest
from test_parallel import make_doc
from test_writer_robustness import make_index, run_child, uncommitted

from mofasearch import Index, writer

# a worker killed while it waits for a batch --------------------------------------------------

KILLED_IDLE_WORKER = """
import json, os, signal, sys, time
from mofasearch import Document, Index, Section, writer
from mofasearch.errors import MofaSearchError

def doc(i):
    text = f"平和条約について{i}回目の協議を行い、経済協力を確認した。"
    return Document(f"k{i}", f"協議 {i}", [Section(text, "", "1"), Section(text * 3, "", "2")])

def wchan(pid):
    with open(f"/proc/{pid}/wchan") as f:
        return f.read()

writer.PARALLEL_MIN_SECTIONS = 64
ix = Index.open(sys.argv[1])
w = ix.writer(jobs=2)
i = 0
while w._builder is None:  # until the workers have started
    w.add(doc(i))
    i += 1
procs = w._builder._procs
# idle workers: the one that holds the queue's reading lock polls the queue's pipe for a batch,
# the other waits for that lock
deadline = time.monotonic() + 30
while True:
    polling = [p for p in procs if "poll" in wchan(p.pid) or "select" in wchan(p.pid)]
    if len(polling) == 1:
        break
    if time.monotonic() > deadline:
        print(json.dumps({"skip": [wchan(p.pid) for p in procs]}))
        sys.exit(0)
    time.sleep(0.01)
os.kill(polling[0].pid, signal.SIGKILL)
start = time.monotonic()
try:
    w.commit()
    error = None
except MofaSearchError as exc:
    error = str(exc)
took = time.monotonic() - start
try:
    ix.writer(lock_timeout=0).cancel()
    lock = "free"
except MofaSearchError:
    lock = "held"
left = [p.pid for p in procs if p.is_alive()]
print(json.dumps({"error": error, "took": took, "lock": lock, "left": left,
                  "docs": sorted(ix.doc_ids())}))
"""


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads process states from /proc")
def test_a_worker_killed_while_waiting_for_a_batch_fails_the_commit_at_once(tmp_path):
    """The killed worker held the queue's reading lock, so the other one can never take the
    end-of-work message: the commit must not wait for it (it waited for ever)."""
    path = tmp_path / "ix"
    make_index(path, 3).close()
    before = set(os.listdir(path))
    found = run_child(KILLED_IDLE_WORKER, str(path), timeout=60)
    if "skip" in found:
        pytest.skip(f"cannot tell which worker waits for a batch: {found['skip']}")
    assert found["error"] is not None and "died" in found["error"]
    assert f"exit code -{int(signal.SIGKILL)}" in found["error"]
    assert found["took"] < 10
    assert found["lock"] == "free"
    assert found["left"] == []  # the other worker is stopped, not left waiting
    assert found["docs"] == ["d0", "d1", "d2"]
    assert uncommitted(path, before)


# a disk that fills up while the commit writes ------------------------------------------------

FULL_DISK_COMMIT = """
import json, resource, signal, sys
from mofasearch import Document, Index, Section, writer
from mofasearch.errors import MofaSearchError

def doc(i):
    text = f"北方領土問題について{i}回目の協議を行い、経済協力を確認した。"
    return Document(f"n{i}", f"日露協議 {i}", [Section(text, "", "1"), Section(text, "", "2")])

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
writer.PARALLEL_MIN_SECTIONS = 64
path, jobs, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
limits = resource.getrlimit(resource.RLIMIT_FSIZE)
with Index.open(path) as ix:
    w = ix.writer(jobs=jobs)
    for i in range(count):
        w.add(doc(i))
    resource.setrlimit(resource.RLIMIT_FSIZE, (1, limits[1]))
    try:
        w.commit()
        error = None
    except MofaSearchError as exc:
        error = [type(exc).__name__, str(exc)]
    resource.setrlimit(resource.RLIMIT_FSIZE, limits)  # and then there is room again
    try:  # the failed writer is still referenced here: its lock must be free all the same
        with ix.writer(lock_timeout=0) as again:
            again.add(doc(1000))
        lock = "free"
    except MofaSearchError as exc:
        lock = str(exc)
    print(json.dumps({"error": error, "lock": lock, "docs": sorted(ix.doc_ids())}))
"""


@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="needs RLIMIT_FSIZE and SIGXFSZ")
@pytest.mark.parametrize(("jobs", "count"), [(1, 3), (2, 300)], ids=["in-process", "workers"])
def test_a_commit_that_finds_the_disk_full_releases_the_lock(tmp_path, jobs, count):
    """Rolling back writes too (Whoosh closes the unfinished segment's files), which fails again
    on the full disk; the lock stayed held until the writer was garbage-collected."""
    path = tmp_path / "ix"
    make_index(path, 2).close()
    found = run_child(FULL_DISK_COMMIT, str(path), str(jobs), str(count))
    assert found["error"][0] == "IndexStorageError"
    assert "File too large" in found["error"][1]
    assert found["lock"] == "free"
    assert found["docs"] == ["d0", "d1", "n1000"]  # nothing of the failed commit


# one writer shared by threads ----------------------------------------------------------------


def test_a_writer_shared_by_two_threads_takes_every_document(tmp_path, monkeypatch):
    """Two request handlers adding to one writer: each add hands batches to the same Whoosh
    segment, which took two sections at once and failed the writer (every document lost)."""
    monkeypatch.setattr(writer, "BATCH_SECTIONS", 8)  # many hand-overs, so they meet
    errors: list[BaseException] = []
    with Index.create(tmp_path / "ix") as ix:
        with ix.writer() as w:

            def add(first: int) -> None:
                try:
                    for i in range(first, first + 150):
                        w.add(make_doc(i))
                except BaseException as exc:  # reported by the test below
                    errors.append(exc)

            threads = [threading.Thread(target=add, args=(k * 1000,)) for k in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        assert errors == []
        assert ix.stats()["documents"] == 300
        expected = {f"d{k * 1000 + i}" for k in range(2) for i in range(150)}
        assert set(ix.doc_ids()) == expected
        assert ix.get("d1149") == make_doc(1149)
        assert ix.search("北方領土問題", limit=1).total == 300


# workers that all fail while documents are still coming ---------------------------------------

FULL_DISK_WORKERS = """
import json, resource, signal, sys
from mofasearch import Document, Index, Section, writer
from mofasearch.errors import MofaSearchError

def doc(i):
    text = f"北方領土問題について{i}回目の協議を行い、経済協力を確認した。" * 20
    return Document(f"n{i}", f"日露協議 {i}", [Section(text, "", "1"), Section(text, "", "2")])

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # in the workers too: a write fails with EFBIG
writer.PARALLEL_MIN_SECTIONS = 64
with Index.open(sys.argv[1]) as ix:
    w = ix.writer(jobs=2)
    i = 0
    while w._builder is None:  # until the workers have started
        w.add(doc(i))
        i += 1
    for proc in w._builder._procs:  # the workers' disk is full
        resource.prlimit(proc.pid, resource.RLIMIT_FSIZE, (1, resource.RLIM_INFINITY))
    error = None
    try:
        for i in range(i, 20000):
            w.add(doc(i))
    except MofaSearchError as exc:
        error = [type(exc).__name__, str(exc)]
    with ix.writer(lock_timeout=0) as again:
        again.add(doc(100000))
    print(json.dumps({"error": error, "docs": sorted(ix.doc_ids())}))
"""


@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="needs RLIMIT_FSIZE and SIGXFSZ")
@pytest.mark.skipif(not hasattr(resource, "prlimit"), reason="needs prlimit (Linux)")
def test_workers_that_all_failed_say_why(tmp_path):
    """Each worker reported its error and exited; the add that found no worker left said only
    that they had stopped, with their exit codes (0)."""
    path = tmp_path / "ix"
    make_index(path, 2).close()
    found = run_child(FULL_DISK_WORKERS, str(path))
    assert found["error"][0] == "IndexStorageError"
    assert "stopped early" in found["error"][1]
    assert "File too large" in found["error"][1]
    assert found["docs"] == ["d0", "d1", "n100000"]
