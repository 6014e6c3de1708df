"""One committed state of the index, as Whoosh readers plus numpy arrays over its sections.

A :class:`Snapshot` wraps one Whoosh searcher (a consistent set of segments) and numbers its
sections 0..N-1 the way Whoosh does (segment offset + local docnum). Over that numbering it
keeps dense arrays built once per snapshot: which sections are live (not deleted), each
section's document code, category code, date (``YYYYMMDD``) and the rank of its section id
(for tie-breaking without string compares).

Term contributions ``idf * bm25_tf`` depend on collection statistics (N, df, average field
length), which change with every commit; they are cached per snapshot, keyed by
(field, term, k1, b), and built from the per-segment postings of :mod:`mofasearch.segments`,
which outlive snapshots. A new commit means a new snapshot (the index compares
``storage.committed_state``), so nothing is ever invalidated in place: old snapshots are closed when the
last search using them ends.

Whoosh readers seek and read shared file objects, so every call into Whoosh holds the
snapshot's lock; the numpy work runs outside it.
"""

from __future__ import annotations

import bisect
import logging
import os
import threading
import weakref
from collections import OrderedDict
from typing import Any

import numpy as np

from mofasearch.impact import DamagedPostingsError, open_postings
from mofasearch.schema import SIDE_FIELDS, label_parts
from mofasearch.scoring import RankingConfig, rsj_idf
from mofasearch.segments import ENTRY_BYTES, SegmentCache
from mofasearch.storage import latest_generation

log = logging.getLogger("mofasearch.snapshot")

#: bytes of contribution arrays kept per snapshot (least recently used dropped first)
MAX_CONTRIBUTION_BYTES = 96 * 1024 * 1024
#: bytes of weighted contribution arrays a snapshot keeps for the ranker (:class:`TermMemo`)
MAX_MEMO_BYTES = 48 * 1024 * 1024
#: ranking configurations a snapshot keeps a memo for
MAX_MEMO_CONFIGS = 4
#: length-norm arrays (one per field and k1/b setting) a snapshot keeps: a few configurations'
#: worth, however many a long-running process searches with
MAX_NORM_ARRAYS = 32


class TermMemo:
    """What the ranker needs of each (field, term, query weight) under one ranking
    configuration: docnums, weighted contributions and their maximum (the term's upper bound).

    The scoring caches behind :func:`mofasearch.scoring.contributions` are keyed by the
    settings each formula reads, which costs tens of microseconds a lookup in Python; a query
    looks up fifty terms or more, so the ranker keeps its own plain-dict memo per snapshot and
    configuration (least recently used dropped first, bounded in bytes: every array an entry
    holds counts, and so does the entry itself).
    """

    def __init__(self, max_bytes: int = MAX_MEMO_BYTES) -> None:
        self.items: OrderedDict[tuple[str, str, float], tuple[Any, ...]] = OrderedDict()
        self._sizes: dict[tuple[str, str, float], int] = {}
        self.bytes = 0
        self.max_bytes = max_bytes
        self.lock = threading.Lock()

    def get(self, key: tuple[str, str, float]) -> tuple[Any, ...] | None:
        found = self.items.get(key)
        if found is not None:
            with self.lock:
                if key in self.items:
                    self.items.move_to_end(key)
        return found

    def put(self, key: tuple[str, str, float], value: tuple[Any, ...], size: int) -> None:
        """Keeps ``value``, counted as ``size`` bytes: the caller counts every array it holds
        (arrays shared with the contribution cache too, as the memo can keep them after that
        cache dropped them) and the entry's own cost (:data:`ENTRY_BYTES`)."""
        with self.lock:
            if key in self.items:
                return
            self.items[key] = value
            self._sizes[key] = size
            self.bytes += size
            while self.bytes > self.max_bytes and len(self.items) > 1:
                dropped, _ = self.items.popitem(last=False)
                self.bytes -= self._sizes.pop(dropped)


class Snapshot:
    """A committed index state shared by concurrent searches (reference counted)."""

    def __init__(
        self, searcher: Any, segment_caches: dict[str, SegmentCache], storage: Any = None
    ) -> None:
        self.searcher = searcher
        self.schema = searcher.schema
        self.pid = os.getpid()
        self.lock = threading.RLock()
        self.size = searcher.doc_count_all()
        self.leaves: list[tuple[Any, int, SegmentCache]] = []
        for reader, offset in searcher.reader().leaf_readers():
            if not hasattr(reader, "_segment"):  # an empty index's placeholder reader
                continue
            segid = reader._segment.segment_id()
            cache = segment_caches.get(segid)
            if cache is None:
                cache = _segment_cache(storage, segid, reader.doc_count_all(), reader.generation())
                segment_caches[segid] = cache
            self.leaves.append((reader, offset, cache))
        self.live = np.ones(self.size, dtype=bool)
        #: whether any section is deleted but still in its segment (until a merge drops it)
        self.any_deleted = False
        for reader, offset, _ in self.leaves:
            deleted = list(reader._segment.deleted_docs()) if reader.has_deletions() else []
            if deleted:
                self.live[offset + np.asarray(deleted, dtype=np.int64)] = False
                self.any_deleted = True
        self._contrib: OrderedDict[tuple[Any, ...], tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._contrib_bytes = 0
        self._contrib_lock = threading.Lock()
        self._avgfl: dict[str, float] = {}
        self._norms: OrderedDict[tuple[str, float, float], np.ndarray] = OrderedDict()
        self._memos: OrderedDict[Any, TermMemo] = OrderedDict()
        self._columns: dict[str, Any] | None = None
        self._factors: dict[tuple[str, float], np.ndarray | None] = {}
        self._refs = 0
        self._retired = False
        self._state_lock = threading.Lock()
        # segment files are read through open files, not maps (see ``Index.open``): a snapshot
        # dropped without being retired (an index never closed) still closes them
        self._finalizer = weakref.finalize(self, _close_searcher, searcher)

    # lifecycle ------------------------------------------------------------------------------

    def acquire(self) -> Snapshot:
        with self._state_lock:
            self._refs += 1
        return self

    def release(self) -> None:
        with self._state_lock:
            self._refs -= 1
            close = self._retired and self._refs == 0
        if close:
            self._close()

    def retire(self) -> None:
        """No new searches will use this snapshot; close it once the running ones finish."""
        with self._state_lock:
            self._retired = True
            close = self._refs == 0
        if close:
            self._close()

    def _close(self) -> None:
        with self.lock:
            self._finalizer()

    # statistics and contributions -----------------------------------------------------------

    def avg_field_length(self, fieldname: str) -> float:
        found = self._avgfl.get(fieldname)
        if found is None:
            if fieldname in SIDE_FIELDS:
                for _, _, cache in self.leaves:
                    cache.check_side()
                total = sum(
                    cache.side.length_totals.get(fieldname, 0.0)
                    for _, _, cache in self.leaves
                    if cache.side is not None
                )
                found = total / (self.size or 1) or 1.0
            else:
                with self.lock:
                    found = self.searcher.avg_field_length(fieldname) or 1.0
            self._avgfl[fieldname] = found
        return found

    def length_norms(self, fieldname: str, b: float, k1: float = 1.0) -> np.ndarray:
        """``k1 * ((1 - b) + b * length / avg_length)`` of the field for every section (the
        length part of BM25's saturation), computed once per snapshot and settings."""
        key = (fieldname, b, k1)
        found = self._norms.get(key)
        if found is None:
            avgfl = self.avg_field_length(fieldname)
            lengths = np.zeros(self.size, dtype=np.float64)
            with self.lock:
                for reader, offset, cache in self.leaves:  # each segment at its docnums
                    part = cache.lengths(reader, fieldname)[: cache.doccount]
                    lengths[offset : offset + len(part)] = part
            found = k1 * ((1.0 - b) + b * lengths / avgfl)
            with self._contrib_lock:
                self._norms[key] = found
                while len(self._norms) > MAX_NORM_ARRAYS:
                    self._norms.popitem(last=False)
        return found

    def leaf_postings(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Global docnums (int32, ascending) and weights of every posting of (field, term),
        deleted sections included."""
        ids_parts, tf_parts = [], []
        with self.lock:
            for reader, offset, cache in self.leaves:
                ids, tf = cache.postings(reader, fieldname, text)
                if len(ids):
                    ids_parts.append(ids + np.int32(offset) if offset else ids)
                    tf_parts.append(tf)
        if len(ids_parts) == 1:
            return ids_parts[0], tf_parts[0]
        if not ids_parts:
            return _NO_IDS, _NO_TF
        return np.concatenate(ids_parts), np.concatenate(tf_parts)

    def contributions(
        self, fieldname: str, text: str, config: RankingConfig
    ) -> tuple[np.ndarray, np.ndarray]:
        """Global docnums matching (field, term) and ``idf * bm25_tf`` for each (no weight)."""
        k1, b = config.field_k1(fieldname), config.field_b(fieldname)
        key = (fieldname, text, k1, b)
        with self._contrib_lock:
            found = self._contrib.get(key)
            if found is not None:
                self._contrib.move_to_end(key)
                return found
        ids, tf = self.leaf_postings(fieldname, text)
        if len(ids):
            idf = rsj_idf(self.size, len(ids))
            # bm25_tf with the length part read from the per-snapshot array
            norm = self.length_norms(fieldname, b, k1)[ids]
            tf = tf.astype(np.float64)
            found = (ids, idf * (tf * (k1 + 1.0) / (tf + norm)))
        else:
            found = (_NO_IDS, np.zeros(0, dtype=np.float64))
        with self._contrib_lock:
            if key not in self._contrib:
                self._contrib[key] = found
                self._contrib_bytes += ENTRY_BYTES + found[0].nbytes + found[1].nbytes
            while self._contrib_bytes > MAX_CONTRIBUTION_BYTES and len(self._contrib) > 1:
                _, (ids, contrib) = self._contrib.popitem(last=False)
                self._contrib_bytes -= ENTRY_BYTES + ids.nbytes + contrib.nbytes
        return found

    def term_memo(self, config: RankingConfig) -> TermMemo:
        """The ranker's memo of weighted contributions under ``config`` (see :class:`TermMemo`)."""
        with self._contrib_lock:
            found = self._memos.get(config)
            if found is None:
                found = self._memos[config] = TermMemo()
                while len(self._memos) > MAX_MEMO_CONFIGS:
                    self._memos.popitem(last=False)
            else:
                self._memos.move_to_end(config)
            return found

    def postings_mask(self, fieldname: str, text: str) -> np.ndarray:
        """Which sections hold the term (no scoring: works on unscored fields too)."""
        mask = np.zeros(self.size, dtype=bool)
        with self.lock:
            for reader, offset, cache in self.leaves:
                ids, _ = cache.postings(reader, fieldname, text)
                mask[ids.astype(np.int64) + offset] = True
        return mask

    def answer_factor(self, kind: str, weight: float) -> np.ndarray | None:
        """Each section's score factor for a question asking for ``kind``: ``1 + weight`` where
        the body holds a word of that kind, else 1 (None when no section holds one)."""
        key = (kind, weight)
        with self._contrib_lock:
            if key in self._factors:
                return self._factors[key]
        holds = self.postings_mask("answer_types", kind)
        found = (1.0 + weight * holds) if holds.any() else None
        with self._contrib_lock:
            if len(self._factors) >= 16:
                self._factors.clear()
            self._factors[key] = found
        return found

    def query_mask(self, query: Any) -> np.ndarray:
        """Which sections a Whoosh query matches (phrases and other structure)."""
        mask = np.zeros(self.size, dtype=bool)
        with self.lock:
            ids = list(self.searcher.docs_for_query(query))
        if ids:
            mask[np.asarray(ids, dtype=np.int64)] = True
        return mask

    def query_mask_among(self, query: Any, candidates: np.ndarray) -> np.ndarray:
        """Which of ``candidates`` (sorted global docnums) a Whoosh query matches: its matcher
        skips to each candidate instead of walking every posting of its terms."""
        from whoosh.reading import TermNotFound

        mask = np.zeros(self.size, dtype=bool)
        if not len(candidates):
            return mask
        with self.lock:
            for sub, offset in self.searcher.leaf_searchers():
                end = offset + sub.doc_count_all()
                lo, hi = np.searchsorted(candidates, (offset, end))
                if lo == hi:
                    continue
                try:
                    matcher = query.matcher(sub, sub.boolean_context())
                except TermNotFound:
                    continue
                for doc in (candidates[lo:hi] - offset).tolist():
                    if not matcher.is_active():
                        break
                    if matcher.id() < doc:
                        matcher.skip_to(doc)
                        if not matcher.is_active():
                            break
                    if matcher.id() == doc:
                        mask[doc + offset] = True
        return mask

    def expand_prefix(self, fieldname: str, prefix: str, cap: int) -> list[str]:
        """Up to ``cap`` indexed terms of the field starting with ``prefix``."""
        found: list[str] = []
        with self.lock:
            reader = self.searcher.reader()
            if fieldname not in reader.schema:
                return found
            for term in reader.expand_prefix(fieldname, prefix):
                found.append(term.decode("utf-8") if isinstance(term, bytes) else term)
                if len(found) >= cap:
                    break
        return found

    def stored_fields(self, docnum: int) -> dict[str, Any]:
        """A section's stored fields (kept per segment: a segment never changes them)."""
        docnum = int(docnum)
        for reader, offset, cache in reversed(self.leaves):
            if docnum >= offset:
                found = cache.stored(docnum - offset)
                if found is None:
                    with self.lock:
                        found = dict(reader.stored_fields(docnum - offset))
                    cache.keep_stored(docnum - offset, found)
                return dict(found)
        raise IndexError(docnum)

    def damaged_postings(self) -> tuple[str, str] | None:
        """(file name, what is wrong) of the first side-car postings file of the snapshot that
        contradicts itself, or None; reads them whole (asked only after a search failed)."""
        for _, _, cache in self.leaves:
            side = cache.side
            if side is not None:
                problem = side.problem(cache.doccount)
                if problem is not None:
                    return side.name, problem
        return None

    def section_labels(self, docnums: list[int]) -> list[tuple[str, str, str]]:
        """(section id, number, heading) of sections, read from columns (a segment's columns
        are loaded once, the first time one of its sections is asked for, and each label is
        decoded once); a section written without the ``label`` column is read from its stored
        fields."""
        starts = [offset for _, offset, _ in self.leaves]
        tables: dict[int, tuple[int, list[str], list[bytes] | None, list[Any]]] = {}
        out = []
        for docnum in map(int, docnums):
            leaf = bisect.bisect_right(starts, docnum) - 1
            if leaf < 0:
                raise IndexError(docnum)
            table = tables.get(leaf)
            if table is None:
                reader, offset, cache = self.leaves[leaf]
                table = tables[leaf] = (
                    offset,
                    *self._labels(reader, cache),
                    cache.decoded_labels(),
                )
            offset, ids, labels, decoded = table
            local = docnum - offset
            parts = decoded[local]
            if parts is None:
                parts = label_parts(labels[local]) if labels is not None else None
                if parts is None:
                    stored = self.stored_fields(docnum)
                    parts = (stored.get("number", ""), stored.get("heading_text", ""))
                decoded[local] = parts
            out.append((ids[local], *parts))
        return out

    def _labels(self, reader: Any, cache: SegmentCache) -> tuple[list[str], list[bytes] | None]:
        read = cache.columns_if_read("section_id", "label")
        if read is not None:
            return read[0], read[1]
        with self.lock:
            ids = cache.column(reader, "section_id")
            labels = cache.column(reader, "label") if "label" in reader.schema else None
        return ids, labels

    # columns ----------------------------------------------------------------------------------

    @property
    def columns(self) -> dict[str, Any]:
        """Dense per-section arrays: doc code, category code, date, section-id rank."""
        if self._columns is None:
            self._columns = self._build_columns()
        return self._columns

    def _build_columns(self) -> dict[str, Any]:
        doc_ids: list[str] = []
        categories: list[str] = []
        section_ids: list[str] = []
        dates = np.zeros(self.size, dtype=np.int64)
        with self.lock:
            for reader, offset, cache in self.leaves:
                doc_ids.extend(cache.column(reader, "doc_id"))
                categories.extend(cache.column(reader, "category"))
                section_ids.extend(cache.column(reader, "section_id"))
                values = cache.column(reader, "datenum")
                dates[offset : offset + len(values)] = values
        doc_names, doc_codes = _encode(doc_ids)
        cat_names, cat_codes = _encode(categories)
        order = np.argsort(np.asarray(section_ids, dtype=object), kind="stable")
        sid_rank = np.empty(self.size, dtype=np.int64)
        sid_rank[order] = np.arange(self.size)
        return {
            "doc": doc_codes,
            "doc_names": doc_names,
            "category": cat_codes,
            "category_names": cat_names,
            "date": dates,
            "sid_rank": sid_rank,
        }


_NO_IDS = np.zeros(0, dtype=np.int32)
_NO_TF = np.zeros(0, dtype=np.float32)


class SupersededError(Exception):
    """A segment of the generation being opened lost its side-car to a newer commit (a merge
    removed it between Whoosh's listing and this look): open the newer generation instead."""


def _segment_cache(
    storage: Any, segid: str, doccount: int, generation: int | None = None
) -> SegmentCache:
    """A new segment's cache with its side-car postings; a damaged side-car is remembered as
    such (searches needing its side-only fields then raise), not taken for an absent one.

    A side-car that is not there is a segment without one (an index of an older version) only
    while ``generation`` is still the latest: once a newer commit exists, it may have removed
    the file since the segment was listed, and a snapshot that went on without it would miss
    every bigram and reading match of the segment, silently (:class:`SupersededError`)."""
    if storage is None:
        return SegmentCache(segid, doccount)
    try:
        side = open_postings(storage, segid)
    except DamagedPostingsError as exc:
        log.warning("damaged postings file: %s", exc)
        return SegmentCache(segid, doccount, damage=str(exc))
    if side is None and generation is not None and latest_generation(storage) > generation:
        raise SupersededError(segid)
    return SegmentCache(segid, doccount, side)


def _close_searcher(searcher: Any) -> None:
    searcher.close()


def _encode(values: list[str]) -> tuple[list[str], np.ndarray]:
    """Integer codes for string values (and the names, indexed by code)."""
    table: dict[str, int] = {}
    codes = np.fromiter(
        (table.setdefault(v, len(table)) for v in values), dtype=np.int64, count=len(values)
    )
    return list(table), codes
