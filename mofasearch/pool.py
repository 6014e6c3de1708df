"""An in-memory posting pool for a new segment whose size the caller bounds.

Whoosh's ``SegmentWriter`` hands every posting to its pool as a tuple ``(fieldname, term bytes,
docnum, weight, value bytes)`` and reads them back sorted by field, term and document when the
segment is written. Whoosh's own pool keeps the tuples in a list (about 200 bytes a posting) and,
past ``limitmb``, sorts the list and pickles it item by item to a run file, then merges the runs
with a heap: at a 64 MB limit a 12,000-section build spends a quarter of its time there.

A :class:`MemoryPool` keeps the same postings as flat arrays instead (a term id, docnum and
weight per posting, the value bytes in one buffer: about 25 bytes plus the value), so a segment
of a few million postings fits in memory and is sorted once with numpy. It suits a writer that
rolls to a new segment at a posting count, as :class:`mofasearch.segbuild.SegmentBuilder` does;
it never spills, so it must not back an unbounded writer.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from typing import Any

import numpy as np

#: postings converted to Python objects at a time while the pool is read back
CHUNK = 65_536


class MemoryPool:
    """The ``pool`` of a Whoosh ``SegmentWriter``: ``add`` while adding documents,
    ``iter_postings`` once when the segment is written, ``cleanup`` when it is dropped."""

    def __init__(self) -> None:
        self.fieldnames: set[str] = set()
        self._terms: dict[str, dict[bytes, int]] = {}
        self._keys: list[tuple[str, bytes]] = []
        self._tids = array("i")
        self._docs = array("i")
        self._weights = array("d")
        self._values = bytearray()
        self._ends = array("q")
        self._none: set[int] = set()  # postings whose value is None, not b""

    def __len__(self) -> int:
        return len(self._docs)

    def add(self, item: tuple[str, bytes, int, float, bytes | None]) -> None:
        fieldname, tbytes, docnum, weight, vbytes = item
        terms = self._terms.get(fieldname)
        if terms is None:
            terms = self._terms[fieldname] = {}
            self.fieldnames.add(fieldname)
        tid = terms.get(tbytes)
        if tid is None:
            tid = terms[tbytes] = len(self._keys)
            self._keys.append((fieldname, tbytes))
        self._tids.append(tid)
        self._docs.append(docnum)
        self._weights.append(weight)
        if vbytes is None:
            self._none.add(len(self._ends))
        else:
            self._values += vbytes
        self._ends.append(len(self._values))

    def iter_postings(self) -> Iterator[tuple[str, bytes, int, float, bytes | None]]:
        """The postings in Whoosh's order (field, term bytes, docnum); the pool is spent."""
        keys, none = self._keys, self._none
        if not keys:
            return
        rank = np.empty(len(keys), dtype=np.int32)
        rank[sorted(range(len(keys)), key=keys.__getitem__)] = np.arange(len(keys))
        tids = np.frombuffer(self._tids, dtype=np.int32)
        docs = np.frombuffer(self._docs, dtype=np.int32)
        order = np.lexsort((docs, rank[tids]))
        weights = np.frombuffer(self._weights, dtype=np.float64)
        ends = np.frombuffer(self._ends, dtype=np.int64)
        starts = np.concatenate(([0], ends[:-1]))
        values = bytes(self._values)
        self._values = bytearray()
        for at in range(0, len(order), CHUNK):
            idx = order[at : at + CHUNK]
            rows = zip(
                idx.tolist(),
                tids[idx].tolist(),
                docs[idx].tolist(),
                weights[idx].tolist(),
                starts[idx].tolist(),
                ends[idx].tolist(),
                strict=True,
            )
            for i, tid, docnum, weight, start, end in rows:
                fieldname, tbytes = keys[tid]
                value = None if none and i in none else values[start:end]
                yield fieldname, tbytes, docnum, weight, value
        self.cleanup()

    def cleanup(self) -> None:
        """Releases the postings (Whoosh calls this when a segment is closed or cancelled)."""
        self._terms, self._keys, self._none = {}, [], set()
        self._tids, self._docs, self._weights = array("i"), array("i"), array("d")
        self._values, self._ends = bytearray(), array("q")


def install(writer: Any) -> MemoryPool:
    """Gives a fresh Whoosh ``SegmentWriter`` a :class:`MemoryPool` in place of its own."""
    writer.pool.cleanup()
    writer.pool = MemoryPool()
    return writer.pool
