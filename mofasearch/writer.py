"""Writing documents: one Whoosh document per section, a document replaced as a whole.

Whoosh's ``delete_by_term`` only reaches committed segments, not documents added earlier in the
same writer, so the writer keeps the documents it was given in a small buffer keyed by id (a
later ``add`` of the same id wins) and hands them to Whoosh in batches. When a batch already
handed over is replaced or deleted in the same writer, its sections are marked deleted in the
new segment (single-process writer); the multiprocess writer (``jobs > 1``) keeps every document
in the buffer until commit instead (``jobs`` is accepted but the build runs in one process:
the side-car postings cannot yet be collected inside Whoosh's sub-writers). Deletions of committed sections are one ``delete_by_term``
per document id on a reader opened once per writer.

The writer is a context manager: it commits on success (Whoosh merges small segments as they
accumulate) and cancels on an exception, so nothing of a failed batch becomes visible.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import json
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from whoosh.index import LockError

from mofasearch import impact
from mofasearch.analysis.sudachi import sanitize
from mofasearch.documents.model import Document, Section
from mofasearch.errors import (
    DocumentParseError,
    IndexLockedError,
    IndexStorageError,
    MofaSearchError,
)
from mofasearch.schema import SIDE_FIELDS, WORD_FIELDS, side_analyzer

if TYPE_CHECKING:
    from mofasearch.index import Index

log = logging.getLogger("mofasearch.writer")

#: documents buffered before they are analyzed and handed to Whoosh (single-process writer)
BATCH = 256


class Writer:
    """Adds and deletes documents; ``with ix.writer() as w:`` commits or rolls back."""

    def __init__(self, index: Index, *, jobs: int = 1, lock_timeout: float = 0.0) -> None:
        self._index = index
        # Whoosh's multiprocess writer builds segments in child processes, where the side-car
        # postings (and with them the bigram and reading fields) cannot be collected yet; the
        # writer therefore runs in this process whatever ``jobs`` asks.
        self._jobs = 1
        self.jobs_requested = max(1, int(jobs))
        try:
            self._w = index._ix.writer(timeout=lock_timeout)
        except LockError:
            raise IndexLockedError(
                f"another writer holds the lock of the index in {index.path or 'memory'}",
                index.path,
            ) from None
        except OSError as exc:
            raise IndexStorageError(f"cannot write the index: {exc}", index.path) from exc
        self._schema = self._w.schema
        self._collector: impact.Collector | None = None
        self._merged: list[tuple[str, int, frozenset[int], int]] = []
        if self._jobs == 1:
            scored = tuple(name for name in WORD_FIELDS if name in self._schema)
            self._collector = impact.Collector(scored, SIDE_FIELDS)
            self._w.pool.add = self._collector.wrap(self._w.pool.add)
            self._w.add_reader = self._recording_merges(self._w.add_reader)
        self._buffer: dict[str, Document] = {}
        self._handed: dict[str, list[int]] = {}
        self._deleted: set[str] = set()
        self._searcher: Any = None
        self._done = False

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        if self._done:
            return
        if exc is None:
            self.commit()
        else:
            self.cancel()

    # public -----------------------------------------------------------------------------------

    def add(self, doc: Document) -> None:
        """Adds ``doc``, replacing every section of an indexed document with the same id."""
        if not isinstance(doc, Document):
            raise TypeError(f"Writer.add takes a Document, not {type(doc).__name__}")
        self._check()
        doc = encodable(doc)
        self._forget(doc.id)
        self._buffer[doc.id] = doc
        if self._jobs == 1 and len(self._buffer) >= BATCH:
            with self._storage_errors():
                self._hand_over()

    def delete(self, doc_id: str) -> None:
        """Deletes every section of the document (nothing happens if it is not indexed)."""
        self._check()
        self._forget(doc_id)

    def commit(self, *, optimize: bool = False) -> None:
        """Makes the changes visible; ``optimize`` also merges every segment into one."""
        self._check()
        try:
            with self._storage_errors():
                self._hand_over()
                self._close_searcher()
                self._whoosh_commit(optimize)
        except BaseException:
            self._abort()
            raise
        finally:
            self._done = True
        self._index._changed()

    @contextlib.contextmanager
    def _storage_errors(self) -> Iterator[None]:
        """A full disk or a read-only directory becomes one clear error naming the index."""
        try:
            yield
        except OSError as exc:
            where = self._index.path or "memory"
            raise IndexStorageError(
                f"cannot write the index in {where}: {exc.strerror or exc}", self._index.path
            ) from exc

    def _recording_merges(self, add_reader: Any) -> Any:
        """Wraps Whoosh's ``add_reader`` (a merge) to remember how it renumbers documents."""

        def recorded(reader: Any) -> None:
            segment = reader._segment
            deleted = frozenset(segment.deleted_docs()) if reader.has_deletions() else frozenset()
            base = self._w.docnum
            add_reader(reader)
            self._merged.append((segment.segment_id(), base, deleted, segment.doc_count_all()))

        return recorded

    def _carry_merged_side_fields(self) -> None:
        assert self._collector is not None
        for segid, base, deleted, count in self._merged:
            old = impact.open_postings(self._w.storage, segid)
            if old is None:
                log.warning("segment %s had no side-car postings: its bigrams are lost", segid)
                continue
            self._collector.add_merged(old, base, deleted, count)

    def _whoosh_commit(self, optimize: bool) -> None:
        """Whoosh's ``SegmentWriter.commit`` (2.7.4), with the side-car postings file of the new
        segment written before the TOC that makes the segment visible."""
        w = self._w
        if self._collector is None:
            w.commit(optimize=optimize)
            return
        w._check_state()
        final = w._merge_segments(None, optimize, None)
        if w._added:
            self._carry_merged_side_fields()
            doccount = w.docnum
            final.append(w._finalize_segment())
            impact.write(w.storage, w.newsegment.segment_id(), self._collector, doccount)
        else:
            w._close_segment()
        w._commit_toc(final)
        w._finish()

    def cancel(self) -> None:
        """Drops everything given to this writer; the index stays as it was."""
        if self._done:
            return
        self._done = True
        self._abort()

    # internals --------------------------------------------------------------------------------

    def _check(self) -> None:
        if self._done:
            raise MofaSearchError("this writer is closed", hint="open a new one with ix.writer()")

    def _abort(self) -> None:
        self._close_searcher()
        try:
            if not self._w.is_closed:
                self._w.cancel()
        except Exception:  # pragma: no cover - best effort after another failure
            log.exception("cancelling the Whoosh writer failed")

    def _close_searcher(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None

    def _forget(self, doc_id: str) -> None:
        """Removes the document from the buffer, the handed-over batches and the index."""
        self._buffer.pop(doc_id, None)
        for docnum in self._handed.pop(doc_id, ()):
            self._w.newsegment.delete_document(docnum)
        if doc_id in self._deleted or not self._w.segments:
            return
        self._deleted.add(doc_id)
        if self._searcher is None:
            self._searcher = self._w.searcher()
        self._w.delete_by_term("doc_id", doc_id, searcher=self._searcher)

    def _hand_over(self) -> None:
        collector = self._collector
        for doc in self._buffer.values():
            start = getattr(self._w, "docnum", 0)
            for ordinal, section in enumerate(doc.sections):
                fields = section_fields(self._schema, doc, ordinal, section)
                parts = fields.pop("_side_parts")
                self._w.add_document(**fields)
                if collector is not None:  # after Whoosh: the morphemes are cached by now
                    docnum = self._w.docnum - 1
                    for name in SIDE_FIELDS:
                        collector.add_side(name, docnum, side_counts(name, *parts))
            if self._jobs == 1:
                self._handed[doc.id] = list(range(start, self._w.docnum))
        self._buffer.clear()


def encodable(doc: Document) -> Document:
    """``doc`` with lone surrogates (text that cannot be stored as UTF-8) replaced by U+FFFD.

    An id is identity, so an id with a lone surrogate is refused rather than silently changed.
    """
    if sanitize(doc.id) != doc.id:
        raise DocumentParseError(f"document id {ascii(doc.id)} contains a lone surrogate")
    fields = (doc.title, doc.category or "", doc.url or "", *doc.meta.keys(), *doc.meta.values())
    texts = [t for s in doc.sections for t in (s.text, s.heading, s.number, s.id, *s.path)]
    if all(sanitize(t) == t for t in (*fields, *texts)):
        return doc
    log.warning("document %s: lone surrogates replaced by U+FFFD", doc.id)
    sections = [
        dataclasses.replace(
            s,
            text=sanitize(s.text),
            heading=sanitize(s.heading),
            number=sanitize(s.number),
            id=sanitize(s.id),
            path=tuple(sanitize(p) for p in s.path),
        )
        for s in doc.sections
    ]
    return dataclasses.replace(
        doc,
        title=sanitize(doc.title),
        sections=sections,
        category=None if doc.category is None else sanitize(doc.category),
        url=None if doc.url is None else sanitize(doc.url),
        meta={sanitize(k): sanitize(v) for k, v in doc.meta.items()},
    )


def section_tree(number: str) -> list[str]:
    """``3.(2)`` -> ``["3", "3.(2)"]``: a section's number and its ancestors' numbers."""
    parts = [p for p in number.split(".") if p]
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def section_fields(schema: Any, doc: Document, ordinal: int, section: Section) -> dict[str, Any]:
    """The Whoosh document of one section (see :mod:`mofasearch.schema` for the fields)."""
    heading_path = " ".join(section.path) or section.heading
    date = doc.date
    fields: dict[str, Any] = {
        "section_id": section.id,
        "doc_id": doc.id,
        "title": doc.title,
        "heading": heading_path,
        "body": section.text,
        "section_tree": " ".join(section_tree(section.number.replace(" ", ""))),
        "datenum": date.year * 10000 + date.month * 100 + date.day if date else 0,
        "ordinal": ordinal,
        "title_text": doc.title,
        "date": date.isoformat() if date else None,
        "url": doc.url,
        "number": section.number,
        "path": list(section.path),
        "heading_text": section.heading,
        "text": section.text,
        "meta": json.dumps(dict(doc.meta), ensure_ascii=False) if doc.meta else "",
    }
    if doc.category:
        fields["category"] = doc.category
    # the texts of the side-only fields (not given to Whoosh): the same pieces the word fields
    # analyze, so the per-thread morpheme cache spares a second Sudachi pass
    fields["_side_parts"] = (doc.title, heading_path, section.text)
    return fields


def side_counts(fieldname: str, *texts: str) -> dict[str, int]:
    """Term counts of a side-only field over the texts, analyzed as at index time."""
    counts: dict[str, int] = {}
    analyzer = side_analyzer(fieldname)
    for text in texts:
        if not text:
            continue
        for token in analyzer(text, mode="index"):
            if token.text:
                counts[token.text] = counts.get(token.text, 0) + 1
    return counts


def document_from_stored(stored: list[dict[str, Any]]) -> Document:
    """Rebuilds a Document from the stored fields of its sections."""
    stored = sorted(stored, key=lambda s: s.get("ordinal", 0))
    first = stored[0]
    sections = [
        Section(
            text=s.get("text", ""),
            heading=s.get("heading_text", ""),
            number=s.get("number", ""),
            path=tuple(s.get("path") or ()),
            id=s["section_id"],
        )
        for s in stored
    ]
    date = first.get("date")
    meta = first.get("meta") or ""
    return Document(
        id=first["doc_id"],
        title=first.get("title_text", ""),
        sections=sections,
        date=datetime.date.fromisoformat(date) if date else None,
        url=first.get("url"),
        category=first.get("category"),
        meta=json.loads(meta) if meta else {},
    )
