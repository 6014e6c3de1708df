"""Per-segment numpy caches: postings, field lengths and columns, read from Whoosh once.

Whoosh's matchers score one posting at a time in Python (~20-30 ms for a short OR query on
11k sections). mofasearch reads each (field, term) posting list of a segment once into numpy
(docnums as int32, term frequencies as float32) and scores with array arithmetic instead.

Postings come from the segment's side-car file (:mod:`mofasearch.impact`) when the writer left
one, else from Whoosh's postings, read once per term and kept (LRU). A Whoosh segment never changes its postings, lengths or columns after it is written (deletions
are a separate set, merges make new segments with new ids), so :class:`SegmentCache` is keyed by
the segment id and shared by every snapshot that contains the segment. Deletions are read per
snapshot. Caches of segments that left the index are dropped when a new snapshot is built.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from typing import Any, cast

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher
from whoosh.reading import TermNotFound

from mofasearch.impact import DamagedPostingsError, PostingsFile
from mofasearch.schema import SIDE_FIELDS
from mofasearch.scoring import byte_length_table

_LENGTHS = None


def _length_table() -> np.ndarray:
    global _LENGTHS
    if _LENGTHS is None:
        _LENGTHS = byte_length_table()
    return _LENGTHS


EMPTY_IDS = np.zeros(0, dtype=np.int32)
EMPTY_TF = np.zeros(0, dtype=np.float32)

#: what a cached posting list or contribution costs besides its arrays' data (its key, the
#: tuple, the array objects), counted so that a cache of many short or empty lists (terms of
#: distinct queries that match nothing) stays within its byte budget too
ENTRY_BYTES = 256


def segment_postings(reader: Any, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """Every posting of the term in the segment, deleted documents included (as Whoosh's
    statistics count them; the searcher masks deletions itself)."""
    if fieldname not in reader.schema:
        return EMPTY_IDS, EMPTY_TF
    try:
        matcher = reader._terms.matcher(
            fieldname, reader._text_to_bytes(fieldname, text), reader.schema[fieldname].format
        )
    except TermNotFound:
        return EMPTY_IDS, EMPTY_TF
    return read_postings(matcher)


def read_postings(matcher: Any) -> tuple[np.ndarray, np.ndarray]:
    """All (docnum, weight) pairs of a leaf matcher, decoded a whole block at a time."""
    ids: list[Any] = []
    weights: list[Any] = []
    if isinstance(matcher, W3LeafMatcher) and not matcher._byteids:
        while True:
            matcher._read_data()
            deltas, raw_weights = matcher._data[0], matcher._data[1]
            count = matcher._blocklength
            ids.append(np.cumsum(np.asarray(deltas, dtype=np.int64)))
            if raw_weights is None:
                weights.append(np.ones(count, dtype=np.float32))
            elif isinstance(raw_weights, float):
                weights.append(np.full(count, raw_weights, dtype=np.float32))
            else:
                weights.append(np.asarray(raw_weights, dtype=np.float32))
            if matcher._lastblock:
                break
            matcher._goto(matcher._nextoffset)
        return np.concatenate(ids).astype(np.int32), np.concatenate(weights)
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return np.asarray(ids, dtype=np.int32), np.asarray(weights, dtype=np.float32)


def stored_size(fields: dict[str, Any]) -> int:
    """About the bytes a section's stored fields hold: each value, and the parts of the stored
    tokens (a tuple of a packed array and a string of terms, as large as the text); the short
    lists of a heading path are left out. Asked for every stored read a search makes, so kept
    to a few calls."""
    size = sys.getsizeof(fields) + sum(map(sys.getsizeof, fields.values()))
    tokens = fields.get("text_spans")
    if isinstance(tokens, tuple):
        size += sum(map(sys.getsizeof, tokens))
    return size


class SegmentCache:
    """The numpy view of one Whoosh segment (immutable data only; deletions live elsewhere)."""

    #: bytes of Whoosh posting lists kept per segment (used only where no side-car exists)
    MAX_BYTES = 64 * 1024 * 1024

    def __init__(
        self,
        segid: str,
        doccount: int,
        side: PostingsFile | None = None,
        damage: str | None = None,
    ) -> None:
        self.segid = segid
        self.doccount = doccount
        #: the segment's side-car postings (scored fields), when the writer left one
        self.side = side
        #: why the segment's side-car file could not be read, when it is there but damaged:
        #: its side-only fields are then unknown, not empty
        self.damage = damage
        self._postings: OrderedDict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._bytes = 0
        self._stored: OrderedDict[int, tuple[dict[str, Any], int]] = OrderedDict()
        self._stored_bytes = 0
        self._lengths: dict[str, np.ndarray] = {}
        self._columns: dict[str, Any] = {}
        self._labels: list[tuple[str, str] | None] | None = None
        self._lock = threading.Lock()

    def postings(self, reader: Any, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        if self.side is not None:
            found = self.side.postings(fieldname, text)
            if found is not None:
                return found
        if fieldname in SIDE_FIELDS:  # no side-car here: the field has no postings
            self.check_side()
            return EMPTY_IDS, EMPTY_TF
        key = (fieldname, text)
        with self._lock:
            found = self._postings.get(key)
            if found is not None:
                self._postings.move_to_end(key)
                return found
        found = segment_postings(reader, fieldname, text)
        with self._lock:
            if key not in self._postings:
                self._postings[key] = found
                self._bytes += ENTRY_BYTES + found[0].nbytes + found[1].nbytes
            while self._bytes > self.MAX_BYTES and len(self._postings) > 1:
                _, (ids, tf) = self._postings.popitem(last=False)
                self._bytes -= ENTRY_BYTES + ids.nbytes + tf.nbytes
        return found

    def check_side(self) -> None:
        """DamagedPostingsError when the side-only fields are lost to a damaged side-car (a
        new error each time: one raised again and again would grow its traceback)."""
        if self.damage is not None:
            raise DamagedPostingsError(self.damage)

    #: stored-field dicts kept per segment (hits of popular sections skip the unpickling)
    MAX_STORED = 4096
    #: and their bytes: a long statute section's text and stored tokens weigh about 200 KB, so
    #: a count alone could keep gigabytes in a search process
    MAX_STORED_BYTES = 32 * 1024 * 1024

    def stored(self, docnum: int) -> dict[str, Any] | None:
        with self._lock:
            found = self._stored.get(docnum)
            if found is None:
                return None
            self._stored.move_to_end(docnum)
            return found[0]

    def keep_stored(self, docnum: int, fields: dict[str, Any]) -> None:
        size = ENTRY_BYTES + stored_size(fields)
        with self._lock:
            old = self._stored.pop(docnum, None)  # two threads may both have read it
            if old is not None:
                self._stored_bytes -= old[1]
            self._stored[docnum] = (fields, size)
            self._stored_bytes += size
            while len(self._stored) > 1 and (
                len(self._stored) > self.MAX_STORED or self._stored_bytes > self.MAX_STORED_BYTES
            ):
                _, (_, dropped) = self._stored.popitem(last=False)
                self._stored_bytes -= dropped

    def lengths(self, reader: Any, fieldname: str) -> np.ndarray:
        """Decoded (lossy, as Whoosh scores with) length of the field in every document."""
        found = self._lengths.get(fieldname)
        if found is None and fieldname in SIDE_FIELDS:
            self.check_side()
            side = self.side.lengths(fieldname) if self.side is not None else None
            found = (
                np.zeros(self.doccount, dtype=np.float64)
                if side is None
                else side.astype(np.float64)
            )
            self._lengths[fieldname] = found
        if found is None:
            perdoc = reader._perdoc
            creader = perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
            if creader is None:
                found = np.zeros(self.doccount, dtype=np.float64)
            else:
                raw = np.fromiter(creader, dtype=np.uint8, count=self.doccount)
                found = _length_table()[raw]
            self._lengths[fieldname] = found
        return found

    def column(self, reader: Any, fieldname: str) -> list[Any]:
        """The values of a column field for every document of the segment (read through
        ``reader``: the caller holds the snapshot's lock)."""
        found = self._columns.get(fieldname)
        if found is None:
            found = list(reader.column_reader(fieldname))
            self._columns[fieldname] = found
        return found

    def decoded_labels(self) -> list[tuple[str, str] | None]:
        """Per document of the segment: its (number, heading) once a search has decoded it,
        else None (a grouped hit lists its document's other sections by them, query after
        query: decoding one costs more than looking it up)."""
        found = self._labels
        if found is None:  # two threads may both make one: either is as good
            found = self._labels = [None] * self.doccount
        return found

    def columns_if_read(self, *fieldnames: str) -> tuple[list[Any], ...] | None:
        """The columns' values when every one of them has been read already, else None."""
        found = [self._columns.get(name) for name in fieldnames]
        return (
            None
            if any(values is None for values in found)
            else tuple(cast(list[Any], v) for v in found)
        )
