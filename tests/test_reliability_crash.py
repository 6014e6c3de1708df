"""Crash safety: a writer process SIGKILLed at random points never loses or corrupts commits.

Each trial forks a writer that commits batch after batch (adding documents, replacing one,
deleting one) and reports every commit on a pipe after ``commit()`` returns; the parent kills
it with SIGKILL after a random delay. The index must then open, hold exactly the last reported
state, or the state of the one commit that was in flight when the kill came (a commit is
atomic: it lands whole or not at all), search, and accept the next writer at once (a killed
process's ``flock`` is released by the kernel).
"""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

import pytest
from test_reliability_support import documents, wait_for

from mofasearch import Document, Index, Section


def _batch(trial: int, batch: int) -> tuple[list[Document], str, str | None]:
    """The documents a batch adds, the id it rewrites and the id it deletes."""
    docs = documents(trial * 1000 + batch, count=3)
    rewrite = docs[0].id if batch == 0 else f"b{trial * 1000 + batch - 1}-d1"
    delete = f"b{trial * 1000 + batch - 1}-d2" if batch > 0 else None
    return docs, rewrite, delete


def _apply(state: dict[str, str], trial: int, batch: int) -> dict[str, str]:
    """The expected ``{doc_id: title}`` after a batch commits."""
    docs, rewrite, delete = _batch(trial, batch)
    new = dict(state)
    for doc in docs:
        new[doc.id] = doc.title
    new[rewrite] = f"改訂 {trial}-{batch}"
    if delete is not None:
        new.pop(delete, None)
    return new


def _writer_child(path: Path, trial: int, report: int) -> None:
    """Commit batches until killed; write the batch number after each commit returns."""
    with Index.open(path) as ix:
        for batch in range(10_000):
            docs, rewrite, delete = _batch(trial, batch)
            with ix.writer(lock_timeout=10.0) as w:
                for doc in docs:
                    w.add(doc)
                w.add(
                    Document(
                        id=rewrite,
                        title=f"改訂 {trial}-{batch}",
                        sections=[Section(text="北方領土の改訂版。", number="1")],
                    )
                )
                if delete is not None:
                    w.delete(delete)
            os.write(report, f"{batch}\n".encode())


def _observed(path: Path) -> dict[str, str]:
    with Index.open(path) as ix:
        found = {}
        for doc_id in ix.doc_ids():
            doc = ix.get(doc_id)
            assert doc is not None
            found[doc_id] = doc.title
        assert ix.search("北方領土", limit=1).total == len(found)
        assert ix.stats()["documents"] == len(found)
    return found


def _trial(path: Path, trial: int, state: dict[str, str], delay: float) -> dict[str, str]:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        try:
            _writer_child(path, trial, write_end)
        except BaseException as exc:
            os.write(write_end, f"error {type(exc).__name__}: {exc}\n".encode())
        finally:
            os._exit(0)
    os.close(write_end)
    time.sleep(delay)
    os.kill(pid, signal.SIGKILL)
    wait_for(pid, 30)
    with os.fdopen(read_end, "rb") as pipe:
        lines = pipe.read().decode().splitlines()
    errors = [line for line in lines if line.startswith("error")]
    assert not errors, f"trial {trial}: the writer failed before it was killed: {errors}"
    reported = [int(line) for line in lines if line.strip()]

    committed = state
    for batch in reported:
        committed = _apply(committed, trial, batch)
    in_flight = _apply(committed, trial, len(reported))
    found = _observed(path)
    assert found in (committed, in_flight), (
        f"trial {trial}: {len(reported)} commits reported; the index holds neither that state "
        "nor the next one"
    )
    # no stale lock: a writer gets the lock at once
    with Index.open(path) as ix, ix.writer(lock_timeout=0.5):
        pass
    return found


def _run_trials(path: Path, trials: int, seed: int) -> int:
    rng = random.Random(seed)
    Index.create(path).close()
    state: dict[str, str] = {}
    commits = 0
    for trial in range(trials):
        before = len(state)
        state = _trial(path, trial, state, delay=rng.uniform(0.05, 1.2))
        commits += len(state) != before
    return commits


def test_writer_killed_three_times(tmp_path: Path) -> None:
    assert _run_trials(tmp_path / "ix", trials=3, seed=1) >= 1


@pytest.mark.slow
def test_writer_killed_at_random_points(tmp_path: Path) -> None:
    """25 trials; the seed is fixed so a failure can be replayed."""
    changed = _run_trials(tmp_path / "ix", trials=25, seed=20040101)
    assert changed >= 10, "too few trials got a commit in before the kill to mean anything"
