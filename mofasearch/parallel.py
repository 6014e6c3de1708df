"""Parallel indexing: worker processes that each build their own segments.

Sudachi and Whoosh's posting writer are both single-threaded Python-bound work, so
``ix.writer(jobs=N)`` starts N worker processes. The writer sends them numbered batches of
documents through one bounded queue (a worker takes the next batch when it is free, so a slow
batch does not hold the others up, and the writer blocks instead of buffering the corpus when
the workers fall behind). Each worker runs a :class:`~mofasearch.segbuild.SegmentBuilder`:
it analyzes its documents, writes whole Whoosh segments and their side-car postings files, and
at the end reports its segments and where each batch landed. The writer, which holds the
index's write lock throughout, then marks replaced sections deleted and names every segment
in one TOC, so the commit is as atomic as a single-process one.

Workers are forked where the platform allows it (the dictionary and imported modules are
shared; nothing to load), else spawned. A worker that fails reports its error, and one that
dies is noticed; either way the writer raises and nothing becomes visible.

A writer can die too (``kill -9``, SIGTERM) without telling its workers. A forked worker
therefore closes, first thing, what it inherited and must not keep: the descriptor of the
write lock (an ``flock`` belongs to the open file, shared across ``fork``, so a worker holding
it kept the index locked after the writer's death) and the reading ends of the result pipes.
It waits for batches with a timeout and exits once its parent is gone (after the batch it is
building, if any), leaving its unfinished files to the next commit's clean-up.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import traceback
from multiprocessing.connection import wait
from typing import Any

from mofasearch.documents.model import Document
from mofasearch.errors import IndexStorageError, MofaSearchError
from mofasearch.segbuild import ROLL_POSTINGS, Placement, SegmentBuilder

log = logging.getLogger("mofasearch.parallel")

#: seconds between checks that the workers are alive while waiting for their results
_POLL = 0.5


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


class _Orphaned(Exception):
    """The writer that started this worker is gone: nobody will take its segments."""


def _work(
    jobs: Any,
    results: Any,
    path: str,
    durable: bool,
    roll_postings: int,
    parent: int,
    inherited: tuple[Any, ...] = (),
) -> None:
    """A worker's life: open the index, build segments from batches until told to stop."""
    from mofasearch import storage
    from mofasearch.schema import build_schema

    _let_go(*inherited)
    builder = None
    try:
        store = storage.file_storage(path, durable=durable)
        ix = store.open_index(schema=build_schema())
        builder = SegmentBuilder(ix, roll_postings=roll_postings)
        while (job := _next_job(jobs, parent)) is not None:
            builder.add_batch(*job)
        segments, placements = builder.finish()
        _send(results, ("ok", segments, placements))
    except BaseException as exc:  # reported to the writer, which raises it
        if isinstance(exc, _Orphaned) or os.getppid() != parent:
            return  # nobody to report to; closing the segment would only write more files
        if builder is not None:
            builder.cancel()
        _send(results, ("error", f"{type(exc).__name__}: {exc}", traceback.format_exc()))
    finally:
        results.close()


def _let_go(lock: Any = None, *receivers: Any) -> None:
    """In a forked worker: closes the writer's lock descriptor and result pipes' reading ends.

    The lock's descriptor is closed, never unlocked: ``flock(LOCK_UN)`` here would release the
    writer's lock too (the lock belongs to the open file both processes share). Whoosh's lock
    object would unlock when garbage collected, so it forgets the descriptor. A reading end
    kept here would let a worker whose writer died block for ever on a full pipe.
    """
    fd = getattr(lock, "fd", None)
    if isinstance(fd, int):
        os.close(fd)
        lock.fd = None
        lock.locked = False
    for conn in receivers:
        conn.close()


def _next_job(jobs: Any, parent: int) -> Any:
    """The next batch (``None``: no more), waiting in slices so a dead writer is noticed.

    A writer killed by a signal never sends the ``None`` that stops its workers, and the other
    workers keep the queue's writing end open, so the queue never reports its end: the worker
    asks whether its parent changed (an orphan is adopted by another process) instead.
    """
    while True:
        if os.getppid() != parent:
            raise _Orphaned
        try:
            return jobs.get(timeout=_POLL)
        except queue.Empty:
            pass


def _send(results: Any, message: tuple[Any, ...]) -> None:
    """Sends ``message`` to the writer; a writer that is gone reads nothing (and says nothing)."""
    try:
        results.send(message)
    except OSError:
        log.debug("the writer is gone; the worker's results are dropped")


def _safe_codec(segment: Any) -> Any:
    """The segment as sent back (its codec pickles as Whoosh's own) reading through the
    allow-list again, like every segment the TOC loader gives."""
    from mofasearch.safepickle import SafeW3Codec

    codec = segment._codec
    if type(codec) is not SafeW3Codec:
        safe = object.__new__(SafeW3Codec)
        safe.__dict__.update(codec.__dict__)
        segment._codec = safe
    return segment


def _died(proc: Any) -> tuple[str, str, str]:
    proc.join(timeout=_POLL)  # the exit code of a worker whose pipe just closed
    return ("error", f"the worker died (exit code {proc.exitcode})", "")


class ParallelBuilder:
    """The writer's side of the workers: same interface as a local ``SegmentBuilder``."""

    def __init__(
        self,
        path: str,
        *,
        durable: bool,
        jobs: int,
        roll_postings: int = ROLL_POSTINGS,
        lock: Any = None,
    ) -> None:
        """``lock`` is the writer's write lock, which forked workers must not keep."""
        ctx = _context()
        forked = ctx.get_start_method() == "fork"
        self._jobs = ctx.Queue(maxsize=2 * jobs)
        self._procs: list[Any] = []
        self._results: list[Any] = []
        for _ in range(jobs):
            receive, send = ctx.Pipe(duplex=False)
            # a spawned worker inherits no descriptor (and a lock would not pickle as one)
            inherited = (lock, *self._results, receive) if forked else ()
            proc = ctx.Process(
                target=_work,
                args=(
                    self._jobs,
                    send,
                    os.fspath(path),
                    durable,
                    roll_postings,
                    os.getpid(),
                    inherited,
                ),
                daemon=True,
            )
            proc.start()
            send.close()
            self._procs.append(proc)
            self._results.append(receive)
        self._closed = False

    def add_batch(self, batch: int, docs: list[Document]) -> None:
        self._put((batch, docs))

    def _put(self, job: Any) -> None:
        while True:
            try:
                self._jobs.put(job, timeout=_POLL)
                return
            except queue.Full:
                self._check_alive()

    def _check_alive(self) -> None:
        """Raises when a worker died, or when none is left to take the next batch (each
        reported its error and exited: the first report is in the message)."""
        codes = [proc.exitcode for proc in self._procs]
        if any(code for code in codes) or all(code is not None for code in codes):
            reasons = [
                message[1]
                for proc, conn in zip(self._procs, self._results, strict=True)
                if proc.exitcode is not None
                and conn.poll(0)
                and (message := self._receive(proc, conn))[0] != "ok"
                and message[2]
            ]
            self.cancel()
            reason = f": {reasons[0]}" if reasons else ""
            raise IndexStorageError(
                f"indexing workers stopped early (exit codes {codes}){reason}", None
            )

    def finish(self) -> tuple[list[Any], list[Placement]]:
        """Every worker's segments (in worker order) and the batches' placements."""
        for _ in self._procs:
            self._put(None)
        messages = self._collect()
        segments: list[Any] = []
        placements: list[Placement] = []
        errors: list[str] = []
        for message in messages:
            if message[0] == "ok":
                base = len(segments)
                segments.extend(_safe_codec(segment) for segment in message[1])
                placements.extend(Placement(p.batch, base + p.segment, p.start) for p in message[2])
            else:
                if message[2]:
                    log.error("indexing worker failed: %s", message[2])
                errors.append(message[1])
        if errors:
            self.cancel()  # a worker may still wait for a batch (see _collect)
            raise MofaSearchError(f"indexing failed in a worker process: {errors[0]}")
        self._close()
        return segments, placements

    def _collect(self) -> list[tuple[Any, ...]]:
        """Each worker's message, in worker order, waiting for all of them at once.

        A worker that exits without one (killed, out of memory) ends the wait: the result is
        an error whatever the others send, and they may never send anything. The queue's
        reading lock belongs to whichever worker is waiting for a batch; one killed while
        waiting never releases it, and every other worker then waits for ever.
        """
        messages: dict[int, tuple[Any, ...]] = {}
        while len(messages) < len(self._procs):
            for i, (proc, conn) in enumerate(zip(self._procs, self._results, strict=True)):
                if i in messages:
                    continue
                if conn.poll(0):
                    message = self._receive(proc, conn)
                elif proc.exitcode is not None and not conn.poll(0):
                    message = _died(proc)
                else:
                    continue
                if message[0] != "ok":
                    return [message]
                messages[i] = message
            if len(messages) < len(self._procs):
                wait([c for i, c in enumerate(self._results) if i not in messages], _POLL)
        return [messages[i] for i in range(len(self._procs))]

    @staticmethod
    def _receive(proc: Any, conn: Any) -> tuple[Any, ...]:
        try:
            return conn.recv()  # type: ignore[no-any-return]
        except EOFError:
            return _died(proc)

    def cancel(self) -> None:
        """Stops the workers at once; their unfinished files go at the next commit."""
        if self._closed:
            return
        for proc in self._procs:
            if proc.is_alive():
                proc.terminate()
        self._close()

    def _close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for proc in self._procs:
            proc.join(timeout=10)
        for conn in self._results:
            conn.close()
        self._jobs.cancel_join_thread()
        self._jobs.close()
