"""Side-car postings files: each segment's scored postings as flat numpy arrays.

Reading a posting list back from Whoosh costs a (restricted) unpickle per block, ~0.1-0.5 ms a
term, which a query of 30 terms over five fields cannot afford when its terms are new. So the
writer captures every posting Whoosh receives for the scored fields (it wraps the writer's
posting pool, so no text is analyzed twice and merged segments are covered too) and, after the
commit, writes ``<segment id>.mfpost`` beside the segment:

    magic ``MFPOST01`` | uint64 header length | JSON header | arrays, 8-byte aligned

The header's ``declared`` lists every field the writer collected: one of them absent from
``fields`` has no postings in the segment (a reader need not ask Whoosh; files written before
the key have none, and their readers fall back to Whoosh for such a field).

Per field: ``blob`` (the sorted terms' UTF-8 bytes), ``term_offsets`` (n + 1), ``post_offsets``
(n + 1), ``docs`` (int32, segment docnums) and ``weights`` (float32, Whoosh's posting weight).
Side-only fields (``bigram``, ``reading``: recall aids that need no positions and no Whoosh
query) are not Whoosh fields at all: the writer analyzes them itself and they live only here,
with their per-document ``lengths`` (exact, float32) and length totals in the header; a merge
carries them over from the merged segments' files. That spares Whoosh's per-posting cost for
the two fields with the most postings.

The file is named after the segment id, so Whoosh's own clean-up deletes it with its segment.
Every segment a writer makes gets one; past :data:`MAX_POSTINGS` (a huge merge) it holds the
side-only fields alone, and the word fields are read from Whoosh's postings, more slowly. A
missing file (a segment written by a version that gave up on huge segments) costs speed the same
way, and its segment has no side-only postings. One that is there but unreadable is damage: a search that needs its side-only fields raises an error
naming it, since they have no other copy.
Nothing is unpickled (``allow_pickle`` never enters), so a crafted file cannot run code.
"""

from __future__ import annotations

import itertools
import json
import logging
import mmap
import os
import struct
import weakref
from bisect import bisect_left, bisect_right
from typing import Any

import numpy as np
from whoosh.filedb.filestore import FileStorage

from mofasearch.pool import FLUSH, Column, MemoryPool

log = logging.getLogger("mofasearch.impact")

MAGIC = b"MFPOST01"
SUFFIX = ".mfpost"
#: postings of a segment (all fields) past which its side-car leaves out the word fields (a
#: huge merge): their postings are read from Whoosh's files instead, more slowly. The side-only
#: fields are always written: they have no other copy
MAX_POSTINGS = 40_000_000
#: postings of a posting pool converted at a time by :meth:`Collector.add_pool`
POOL_SLICE = 1 << 20


def filename(segment_id: str) -> str:
    return segment_id + SUFFIX


class Collector:
    """Postings of one new segment: those Whoosh's pool receives for the scored Whoosh fields,
    and those of the side-only fields (bigram, reading) that never enter Whoosh."""

    def __init__(self, fields: tuple[str, ...], side_fields: tuple[str, ...] = ()) -> None:
        self.fields = frozenset(fields)
        self.side_fields = tuple(side_fields)
        #: term ids of the Whoosh fields' terms, by (field, term bytes as Whoosh gives them)
        self.term_ids: dict[tuple[str, bytes], int] = {}
        #: term ids of the side-only fields' terms, by field and the term as a string: one
        #: table, so a segment's 100,000s of bigram and reading terms are kept once, not also as
        #: encoded bytes (they are encoded when the file is written)
        self._side_terms: dict[str, dict[str, int]] = {}
        self._new_tid = itertools.count().__next__  # ids shared by both tables
        self._columns()
        self.lengths: dict[str, dict[int, float]] = {name: {} for name in side_fields}
        self.bulk: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def _columns(self) -> None:
        # in mapped memory, not the C heap (see mofasearch.pool.Column)
        self.tids = Column(np.int32)
        self.docs = Column(np.int32)
        self.weights = Column(np.float32)

    def _flush(self) -> None:
        for column in (self.tids, self.docs, self.weights):
            column.flush()

    def wrap(self, add: Any) -> Any:
        fields, term_ids, new_tid = self.fields, self.term_ids, self._new_tid
        tids, docs, weights = self.tids.pending, self.docs.pending, self.weights.pending
        flush = self._flush

        def add_post(item: Any) -> None:
            add(item)
            fieldname = item[0]
            if fieldname in fields:
                key = (fieldname, item[1])
                tid = term_ids.get(key)
                if tid is None:
                    tid = term_ids[key] = new_tid()
                tids.append(tid)
                docs.append(item[2])
                weights.append(item[3])
                if len(tids) >= FLUSH:
                    flush()

        return add_post

    def add_pool(self, pool: MemoryPool) -> None:
        """The scored fields' postings of a segment's posting pool, taken from its arrays when
        the segment is written: the same postings :meth:`wrap` collects one call at a time as
        Whoosh adds them, without a Python call per posting."""
        keys, pool_tids, pool_docs, pool_weights = pool.postings()
        if not keys:
            return
        fields, term_ids, new_tid = self.fields, self.term_ids, self._new_tid
        mapping = np.full(len(keys), -1, dtype=np.int32)
        for i, key in enumerate(keys):
            if key[0] in fields:
                tid = term_ids.get(key)
                if tid is None:
                    tid = term_ids[key] = new_tid()
                mapping[i] = tid
        # in slices, so the temporaries stay small beside a segment of millions of postings
        for at in range(0, len(pool_tids), POOL_SLICE):
            tids = mapping[pool_tids[at : at + POOL_SLICE]]
            keep = tids >= 0
            self.bulk.append(
                (
                    tids[keep],
                    pool_docs[at : at + POOL_SLICE][keep].astype(np.int32),
                    pool_weights[at : at + POOL_SLICE][keep].astype(np.float32),
                )
            )

    def _side_table(self, fieldname: str) -> dict[str, int]:
        table = self._side_terms.get(fieldname)
        if table is None:
            table = self._side_terms[fieldname] = {}
        return table

    def add_side(self, fieldname: str, docnum: int, counts: dict[str, int]) -> None:
        """The term counts of one document in a side-only field."""
        table = self._side_table(fieldname)
        tids: list[Any] = list(map(table.get, counts))
        if None in tids:  # new terms: most of a segment's sections bring none
            tids = [
                tid if tid is not None else self._side_tid(table, term)
                for tid, term in zip(tids, counts, strict=True)
            ]
        self.tids.extend(tids)
        self.docs.extend([docnum] * len(tids))
        self.weights.extend(counts.values())
        self.lengths[fieldname][docnum] = float(sum(counts.values()))

    def _side_tid(self, table: dict[str, int], term: str) -> int:
        found = table.get(term)
        if found is None:
            found = table[term] = self._new_tid()
        return found

    def add_merged(self, old: PostingsFile, base: int, deleted: frozenset[int], count: int) -> None:
        """Side-only postings of a segment Whoosh merges into this one, renumbered the way
        ``SegmentWriter.add_reader`` renumbers its live documents (in order, from ``base``)."""
        live = np.ones(count, dtype=bool)
        if deleted:
            live[np.fromiter(deleted, dtype=np.int64, count=len(deleted))] = False
        renumber = np.cumsum(live) - 1 + base
        for fieldname in self.side_fields:
            found = old.fields.get(fieldname)
            if found is None:
                continue
            terms, post_offsets, docs, weights = found
            keep = live[docs]
            counts = np.diff(post_offsets)
            table = self._side_table(fieldname)
            term_ids = np.fromiter(
                (self._side_tid(table, terms[i].decode("utf-8")) for i in range(len(terms))),
                dtype=np.int32,
                count=len(terms),
            )
            tids = np.repeat(term_ids, counts)
            self.bulk.append((tids[keep], renumber[docs[keep]].astype(np.int32), weights[keep]))
            old_lengths = old.lengths(fieldname)
            if old_lengths is not None:
                by_doc = self.lengths[fieldname]
                for docnum in np.flatnonzero(live[: len(old_lengths)]).tolist():
                    by_doc[int(renumber[docnum])] = float(old_lengths[docnum])

    def size(self) -> int:
        return len(self.docs) + sum(len(b[1]) for b in self.bulk)

    def to_bytes(self, doccount: int) -> bytes:
        """The side-car file's content (see :meth:`to_parts`)."""
        return b"".join(self.to_parts(doccount))

    def to_parts(self, doccount: int) -> list[Any]:
        """The side-car file's content as buffers to write in order; past
        :data:`MAX_POSTINGS` without the word fields (neither kept nor declared, so a reader
        takes them from Whoosh). Spends the collector: its postings are released as soon as
        they are copied, so a segment's peak memory holds them about twice, not four times."""
        words = self.fields if self.size() <= MAX_POSTINGS else frozenset()
        tids, docs, weights = (
            # the columns' own memory when nothing was merged in (no copy)
            np.concatenate([column.values()] + [b[n] for b in self.bulk])
            if self.bulk
            else column.values()
            for n, column in enumerate((self.tids, self.docs, self.weights))
        )
        self._columns()
        self.bulk = []
        nkeys = len(self.term_ids) + sum(len(table) for table in self._side_terms.values())
        by_field: dict[str, list[tuple[bytes, int]]] = {}
        for (fieldname, term), tid in self.term_ids.items():  # one pass over the terms
            if fieldname in words:
                by_field.setdefault(fieldname, []).append((term, tid))
        for fieldname, table in self._side_terms.items():
            by_field.setdefault(fieldname, []).extend(
                (term.encode("utf-8"), tid) for term, tid in table.items()
            )
        arrays: dict[str, np.ndarray] = {}
        declared = sorted(words | set(self.side_fields))
        # every field collected, those left without a term too: a reader then knows that a
        # field missing from "fields" has no postings in the segment, not that it was not kept
        header: dict[str, Any] = {
            "fields": {},
            "declared": declared,
            "lengths": {},
            "doccount": doccount,
        }
        for fieldname in declared:
            chosen = sorted(by_field.get(fieldname, ()))
            if chosen:
                self._pack_field(arrays, fieldname, chosen, nkeys, tids, docs, weights)
                header["fields"][fieldname] = len(chosen)
            if fieldname in self.lengths:
                lengths = np.zeros(doccount, dtype=np.float32)
                by_doc = self.lengths[fieldname]
                if by_doc:
                    lengths[np.fromiter(by_doc, dtype=np.int64)] = np.fromiter(
                        by_doc.values(), dtype=np.float32
                    )
                arrays[f"{fieldname}.lengths"] = lengths
                header["lengths"][fieldname] = float(lengths.sum(dtype=np.float64))
        del tids, docs, weights
        # the term tables are spent too: whoever still holds the collector need not hold them
        self.term_ids, self._side_terms = {}, {}
        self._new_tid = itertools.count().__next__
        self.lengths = {name: {} for name in self.side_fields}
        return _pack(header, arrays)

    @staticmethod
    def _pack_field(
        arrays: dict[str, np.ndarray],
        fieldname: str,
        chosen: list[tuple[bytes, int]],
        nkeys: int,
        tids: np.ndarray,
        docs: np.ndarray,
        weights: np.ndarray,
    ) -> None:
        rank = np.full(nkeys, -1, dtype=np.int32)
        rank[[tid for _, tid in chosen]] = np.arange(len(chosen), dtype=np.int32)
        term_rank = rank[tids]
        keep = term_rank >= 0
        term_rank = term_rank[keep]
        order = np.lexsort((docs[keep], term_rank))
        counts = np.bincount(term_rank, minlength=len(chosen))
        blob = b"".join(term for term, _ in chosen)
        lengths = np.fromiter((len(t) for t, _ in chosen), dtype=np.int64, count=len(chosen))
        arrays[f"{fieldname}.blob"] = np.frombuffer(blob, dtype=np.uint8)
        arrays[f"{fieldname}.term_offsets"] = np.concatenate(([0], np.cumsum(lengths)))
        arrays[f"{fieldname}.post_offsets"] = np.concatenate(([0], np.cumsum(counts)))
        arrays[f"{fieldname}.docs"] = docs[keep][order]
        arrays[f"{fieldname}.weights"] = weights[keep][order]


def _pack(header: dict[str, Any], arrays: dict[str, np.ndarray]) -> list[Any]:
    """The file's buffers in order: magic, header length, header, then each array (8-byte
    aligned), written as they are rather than copied into one ``bytes``."""
    layout = {}
    offset = 0
    for name, values in arrays.items():
        layout[name] = [offset, values.dtype.str, int(values.size)]
        offset += _aligned(values.nbytes)
    header["arrays"] = layout
    head = json.dumps(header).encode("utf-8")
    start = _aligned(len(MAGIC) + 8 + len(head))
    parts: list[bytes | memoryview] = [
        MAGIC,
        struct.pack("<Q", len(head)),
        head,
        b"\0" * (start - len(MAGIC) - 8 - len(head)),
    ]
    for values in arrays.values():
        raw = np.ascontiguousarray(values).data.cast("B")
        parts.append(raw)
        if _aligned(len(raw)) > len(raw):
            parts.append(b"\0" * (_aligned(len(raw)) - len(raw)))
    return parts


def _aligned(n: int) -> int:
    return (n + 7) // 8 * 8


def write(storage: Any, segment_id: str, collector: Collector, doccount: int) -> None:
    parts = collector.to_parts(doccount)
    f = storage.create_file(filename(segment_id))
    try:
        for part in parts:
            f.write(part)
    finally:
        f.close()


class _Terms:
    """The sorted terms of one field, searchable without decoding them all: a sample of every
    ``STRIDE``-th term (built on first use) narrows a lookup to one short run."""

    STRIDE = 32

    def __init__(self, blob: np.ndarray, offsets: np.ndarray) -> None:
        self.blob = blob
        self.offsets = offsets
        self._sample: list[bytes] | None = None

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> bytes:
        return self.blob[self.offsets[i] : self.offsets[i + 1]].tobytes()

    def find(self, key: bytes) -> int:
        """The index of ``key``, or -1."""
        sample = self._sample
        if sample is None:
            sample = self._sample = [self[i] for i in range(0, len(self), self.STRIDE)]
        block = bisect_right(sample, key) - 1
        if block < 0:
            return -1
        lo = block * self.STRIDE
        i = bisect_left(self, key, lo, min(len(self), lo + self.STRIDE))
        return i if i < len(self) and self[i] == key else -1


_NO_DOCS = np.zeros(0, dtype=np.int32)
_NO_WEIGHTS = np.zeros(0, dtype=np.float32)


class DamagedPostingsError(Exception):
    """A side-car file whose content contradicts itself (a posting list outside its field's
    arrays, a document number outside the segment): the file is damaged."""


class PostingsFile:
    """A segment's side-car, memory-mapped when on disk."""

    def __init__(
        self, buffer: Any, keep: Any = None, fd: int | None = None, name: str = "a postings file"
    ) -> None:
        self.name = name
        self._keep = keep
        #: when given, posting lists are read from this descriptor (``os.pread``, no shared
        #: offset, so threads and forked children may read at once), closed with this object
        self._fd: int | None = None
        view = memoryview(buffer)
        if bytes(view[: len(MAGIC)]) != MAGIC:
            raise ValueError("not a postings side-car file")
        (head_len,) = struct.unpack("<Q", bytes(view[len(MAGIC) : len(MAGIC) + 8]))
        header = json.loads(bytes(view[len(MAGIC) + 8 : len(MAGIC) + 8 + head_len]))
        start = _aligned(len(MAGIC) + 8 + head_len)
        arrays = {}
        self._where: dict[str, tuple[int, np.dtype]] = {}
        for name, (offset, dtype, count) in header["arrays"].items():
            if type(offset) is not int or type(count) is not int or offset < 0 or count < 0:
                raise ValueError(f"array {name} out of place")
            arrays[name] = np.frombuffer(
                buffer, dtype=np.dtype(dtype), count=count, offset=start + offset
            )
            self._where[name] = (start + offset, np.dtype(dtype))
        self.doccount = int(header.get("doccount", 0))
        self.length_totals: dict[str, float] = dict(header.get("lengths", {}))
        self._arrays = arrays
        self.fields: dict[str, tuple[_Terms, np.ndarray, np.ndarray, np.ndarray]] = {}
        #: fields the writer collected, with or without terms (files before it: unknown)
        self.declared = frozenset(header.get("declared", ()))
        #: file offsets of each field's docs and weights arrays (read with ``pread``)
        self._starts: dict[str, tuple[int, int]] = {}
        for fieldname in header["fields"]:
            for name, dtype in ((f"{fieldname}.docs", "<i4"), (f"{fieldname}.weights", "<f4")):
                if self._where[name][1] != np.dtype(dtype):
                    raise ValueError(f"unexpected type of {name} in a postings side-car file")
            self._starts[fieldname] = (
                self._where[f"{fieldname}.docs"][0],
                self._where[f"{fieldname}.weights"][0],
            )
            self.fields[fieldname] = (
                _Terms(arrays[f"{fieldname}.blob"], arrays[f"{fieldname}.term_offsets"]),
                arrays[f"{fieldname}.post_offsets"],
                arrays[f"{fieldname}.docs"],
                arrays[f"{fieldname}.weights"],
            )
        if fd is not None:  # only once the file proved readable (the caller closes it otherwise)
            self._fd = fd
            weakref.finalize(self, os.close, fd)

    def lengths(self, fieldname: str) -> np.ndarray | None:
        """Per-document length of a side-only field (None for Whoosh's own fields)."""
        return self._arrays.get(f"{fieldname}.lengths")

    def postings(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(docs, weights) of the term; empty arrays if absent; None if the field is not here."""
        found = self.fields.get(fieldname)
        if found is None:
            # collected but without a term (a corpus with no headings): nothing to ask Whoosh
            return (_NO_DOCS, _NO_WEIGHTS) if fieldname in self.declared else None
        terms, post_offsets, docs, weights = found
        i = terms.find(text.encode("utf-8"))
        if i < 0:
            return docs[:0], weights[:0]
        lo, hi = post_offsets[i : i + 2].tolist()
        if not 0 <= lo <= hi <= len(docs):
            raise DamagedPostingsError(f"{self.name}: postings of a {fieldname} term out of place")
        if self._fd is None or hi == lo:
            return docs[lo:hi], weights[lo:hi]
        # read from the file, not the map: the search process keeps only what it caches, not
        # every page of the map it has touched (docs are int32, weights float32)
        at_docs, at_weights = self._starts[fieldname]
        fd, count = self._fd, (hi - lo) * 4
        raw_docs = os.pread(fd, count, at_docs + lo * 4)
        raw_weights = os.pread(fd, count, at_weights + lo * 4)
        if len(raw_docs) != count or len(raw_weights) != count:
            raise OSError(f"short read from a postings file ({fieldname})")
        return np.frombuffer(raw_docs, dtype=np.int32), np.frombuffer(raw_weights, dtype=np.float32)

    def problem(self, doccount: int) -> str | None:
        """What contradicts itself in the file, or None: every field's term and posting offsets
        in order and within its arrays, document numbers within the segment and ascending in
        each posting list, weights finite. No checksum is kept, so a search does not pay for
        this: it is asked after a search failed in a way only bad data explains."""
        for fieldname, (terms, post_offsets, docs, weights) in self.fields.items():
            for offsets, size in ((terms.offsets, len(terms.blob)), (post_offsets, len(docs))):
                if (
                    not len(offsets)
                    or offsets[0] != 0
                    or offsets[-1] != size
                    or bool((np.diff(offsets) < 0).any())
                ):
                    return f"{fieldname}: offsets out of order"
            if len(weights) != len(docs) or not bool(np.isfinite(weights).all()):
                return f"{fieldname}: weights damaged"
            if len(docs) and (int(docs.min()) < 0 or int(docs.max()) >= doccount):
                return f"{fieldname}: a document number outside the segment"
            falls = np.flatnonzero(np.diff(docs) <= 0) + 1
            if len(falls) and not bool(np.isin(falls, post_offsets).all()):
                return f"{fieldname}: a posting list out of order"
        return None


def open_postings(storage: Any, segment_id: str) -> PostingsFile | None:
    """The side-car of the segment, or None when the segment has none (Whoosh postings are
    used, and its side-only fields hold nothing).

    A file that is there but cannot be read as a side-car (truncated, overwritten) is a
    DamagedPostingsError naming it: the side-only fields have no other copy, so reading on
    without it would silently drop their matches (and a merge would drop them for good). An
    OSError opening it is raised as it is: a passing failure (too many open files) must not be
    taken for a segment without a side-car.
    """
    name = filename(segment_id)
    try:
        if not storage.file_exists(name):
            return None
        if isinstance(storage, FileStorage):
            try:
                fd = os.open(os.path.join(storage.folder, name), os.O_RDONLY)
            except FileNotFoundError:  # removed with its segment by a commit since listed
                return None
            try:
                mapped = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
                if hasattr(mapped, "madvise") and hasattr(mmap, "MADV_RANDOM"):
                    mapped.madvise(mmap.MADV_RANDOM)  # term lookups touch scattered pages
                return PostingsFile(mapped, mapped, fd, name=name)
            except BaseException:
                os.close(fd)
                raise
        f = storage.open_file(name)
        try:
            data = f.read()
        finally:
            f.close()
        return PostingsFile(data, name=name)
    except _UNREADABLE as exc:
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise DamagedPostingsError(f"{name}: not a readable postings file ({detail})") from exc


#: what reading a side-car's header and laying out its arrays raises on bytes that are not one
#: (an empty file cannot be mapped: a ValueError too)
_UNREADABLE: tuple[type[Exception], ...] = (
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
    IndexError,
    struct.error,
    RecursionError,
)
