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

The flat arrays are :class:`Column` objects: numbers gathered in a small array and copied in
blocks into memory mapped from the operating system, not taken from the C heap. A segment's
columns grow to tens of megabytes; grown by ``realloc`` inside glibc's heap (which is where
they go once glibc has raised its mmap threshold after the first segment's arrays were freed)
they leave holes the allocator keeps: a one-process build of 59,999 sections held 107–115 MB
of such free heap by its second segment. A mapping is returned whole when its column is freed.
"""

from __future__ import annotations

import mmap
from array import array
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

#: postings converted to Python objects at a time while the pool is read back
CHUNK = 65_536
#: values gathered in a small array before they are copied into a column's mapped memory
FLUSH = 8192
#: ``array`` type codes of the numpy types a column holds (sizes fixed whatever C's are)
_TYPECODES: dict[tuple[str, int], str] = {
    ("i", 4): "i",
    ("i", 8): "q",
    ("f", 4): "f",
    ("f", 8): "d",
}
#: private anonymous memory where the platform names it (Python maps shared memory by default)
_PRIVATE: dict[str, int] = {"flags": mmap.MAP_PRIVATE} if hasattr(mmap, "MAP_PRIVATE") else {}


class Column:
    """A growable array of one numpy type in anonymous mapped memory.

    ``pending`` is a small ``array.array`` the hot loop appends to (as cheap as appending to
    one big array); the owner calls :meth:`flush` when it holds ``FLUSH`` values, which copies
    them into the mapping in one block. Capacity doubles by copying into a new mapping, so a
    column never grows by ``realloc`` in the C heap; untouched pages of the capacity cost no
    memory.
    """

    __slots__ = ("dtype", "pending", "_data", "_size")

    def __init__(self, dtype: Any, capacity: int = FLUSH) -> None:
        self.dtype = np.dtype(dtype)
        self.pending: array[Any] = array(_TYPECODES[self.dtype.kind, self.dtype.itemsize])
        self._data = self._allocate(max(1, capacity))
        self._size = 0

    def _allocate(self, count: int) -> np.ndarray:
        nbytes = max(mmap.PAGESIZE, count * self.dtype.itemsize)
        return np.frombuffer(mmap.mmap(-1, nbytes, **_PRIVATE), dtype=self.dtype, count=count)

    def __len__(self) -> int:
        return self._size + len(self.pending)

    def extend(self, values: Iterable[Any]) -> None:
        """Appends ``values`` (after anything pending)."""
        self.pending.extend(values)
        if len(self.pending) >= FLUSH:
            self.flush()

    def flush(self) -> None:
        pending = self.pending
        if not pending:
            return
        end = self._size + len(pending)
        if end > len(self._data):
            grown = self._allocate(max(end, 2 * len(self._data)))
            grown[: self._size] = self._data[: self._size]
            self._data = grown  # the old mapping is unmapped with its last view
        self._data[self._size : end] = np.frombuffer(pending, dtype=self.dtype)
        self._size = end
        del pending[:]

    def values(self) -> np.ndarray:
        """Everything appended, as a view of the column's memory (no copy)."""
        self.flush()
        return self._data[: self._size]


class MemoryPool:
    """The ``pool`` of a Whoosh ``SegmentWriter``: ``add`` while adding documents,
    ``iter_postings`` once when the segment is written, ``cleanup`` when it is dropped."""

    def __init__(self) -> None:
        self.fieldnames: set[str] = set()
        self._terms: dict[str, dict[bytes, int]] = {}
        self._keys: list[tuple[str, bytes]] = []
        self._columns()
        self._values = bytearray()
        self._none: set[int] = set()  # postings whose value is None, not b""

    def _columns(self) -> None:
        self._tids = Column(np.int32)
        self._docs = Column(np.int32)
        self._weights = Column(np.float64)
        self._ends = Column(np.int64)
        self._pending = (
            self._tids.pending,
            self._docs.pending,
            self._weights.pending,
            self._ends.pending,
        )

    def __len__(self) -> int:
        return len(self._docs)

    def _flush(self) -> None:
        for column in (self._tids, self._docs, self._weights, self._ends):
            column.flush()

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
        tids, docs, weights, ends = self._pending
        if vbytes is None:
            self._none.add(len(self._ends))
        else:
            self._values += vbytes
        tids.append(tid)
        docs.append(docnum)
        weights.append(weight)
        ends.append(len(self._values))
        if len(tids) >= FLUSH:
            self._flush()

    def postings(self) -> tuple[list[tuple[str, bytes]], np.ndarray, np.ndarray, np.ndarray]:
        """What the pool holds so far, unsorted and without the values: the ``(fieldname, term
        bytes)`` of each term id, and the term ids, docnums and weights of the postings (views
        of the pool's memory, valid until it is spent)."""
        return self._keys, self._tids.values(), self._docs.values(), self._weights.values()

    def iter_postings(self) -> Iterator[tuple[str, bytes, int, float, bytes | None]]:
        """The postings in Whoosh's order (field, term bytes, docnum); the pool is spent."""
        keys, none = self._keys, self._none
        if not keys:
            return
        rank = np.empty(len(keys), dtype=np.int32)
        rank[sorted(range(len(keys)), key=keys.__getitem__)] = np.arange(len(keys))
        tids = self._tids.values()
        docs = self._docs.values()
        order = np.lexsort((docs, rank[tids]))
        weights = self._weights.values()
        ends = self._ends.values()
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
        self._columns()
        self._values = bytearray()


def install(writer: Any) -> MemoryPool:
    """Gives a fresh Whoosh ``SegmentWriter`` a :class:`MemoryPool` in place of its own."""
    writer.pool.cleanup()
    writer.pool = MemoryPool()
    return writer.pool
