"""Writing documents: one Whoosh document per section, a document replaced as a whole.

The writer holds the index's write lock and a Whoosh ``SegmentWriter`` used for three things
only: deleting committed sections (one ``delete_by_term`` per document id, on a reader opened
once per writer), merging segments (Whoosh's merge policy; the side-car postings of merged
segments are carried over), and writing the TOC that makes a commit visible. New sections go
to segment builders (:mod:`mofasearch.segbuild`): one in this process, or with ``jobs > 1``
one per worker process (:mod:`mofasearch.parallel`), each writing whole segments with their
side-car files. Documents are buffered by id (a later ``add`` of the same id wins) and handed
over in numbered batches of about ``BATCH_SECTIONS`` sections; a document handed over and then
replaced or deleted in the same writer has its sections marked deleted in the new segment at
commit, where the builders report where each batch landed.

The writer is a context manager: it commits on success (Whoosh merges small segments as they
accumulate) and cancels on an exception, so nothing of a failed batch becomes visible. Threads
may share one writer: its methods run one at a time.

A document is checked when it is added (the type of every field a section build reads, a
non-empty id, and section ids that no other document holds, here or in the committed index:
a section id is what hits, ``explain`` and paging name a section by), so a bad one is refused
by its own ``add``, before anything is buffered. Anything that fails later,
once the writer's state has changed (a batch that cannot be built, a damaged segment met while
deleting), fails the writer: it is rolled back at once, releasing the lock, and its ``commit``
raises, so a caller that skips documents whose ``add`` raised never commits a batch with holes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import functools
import json
import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError

from mofasearch import impact, segbuild, storage
from mofasearch.analysis.sudachi import sanitize
from mofasearch.documents.model import Document, Section
from mofasearch.errors import (
    DocumentParseError,
    IndexLockedError,
    IndexStorageError,
    MofaSearchError,
)
from mofasearch.schema import SIDE_FIELDS, WORD_FIELDS
from mofasearch.segbuild import (
    SegmentBuilder,
    section_fields,
    section_tree,
    side_counts,
)

if TYPE_CHECKING:
    from mofasearch.index import Index

__all__ = [
    "BATCH",
    "BATCH_SECTIONS",
    "Writer",
    "check_types",
    "document_from_stored",
    "encodable",
    "section_fields",
    "section_tree",
    "side_counts",
]

log = logging.getLogger("mofasearch.writer")

#: documents buffered before they are handed to a segment builder as one batch
BATCH = 256
#: ... or sections, whichever comes first (small batches keep worker processes evenly busy)
BATCH_SECTIONS = 256
#: below this many buffered sections at commit, no worker process is started (not worth it)
PARALLEL_MIN_SECTIONS = 512


_P = ParamSpec("_P")
_T = TypeVar("_T")


def _one_at_a_time(
    method: Callable[Concatenate[Writer, _P], _T],
) -> Callable[Concatenate[Writer, _P], _T]:
    """``method`` run under the writer's lock (see ``Writer._guard``)."""

    @functools.wraps(method)
    def guarded(self: Writer, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        with self._guard:
            return method(self, *args, **kwargs)

    return guarded


class Writer:
    """Adds and deletes documents; ``with ix.writer() as w:`` commits or rolls back."""

    def __init__(self, index: Index, *, jobs: int = 1, lock_timeout: float = 0.0) -> None:
        #: one call at a time: a writer shared by threads (a web app's request handlers) takes
        #: their documents in turn instead of interleaving two batches in one Whoosh segment
        self._guard = threading.RLock()
        self._index = index
        self.jobs = max(1, int(jobs))
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
        # the Whoosh writer itself receives postings only from merges
        scored = tuple(name for name in WORD_FIELDS if name in self._schema)
        self._collector = impact.Collector(scored, SIDE_FIELDS)
        self._merged: list[tuple[str, int, frozenset[int], int]] = []
        self._w.pool.add = self._collector.wrap(self._w.pool.add)
        self._w.add_reader = self._recording_merges(self._w.add_reader)
        self._builder: Any = None
        self._buffer: dict[str, Document] = {}
        self._buffered_sections = 0
        self._batches = 0
        #: doc id -> (batch, first section's offset in the batch, sections) of handed documents
        self._handed: dict[str, tuple[int, int, int]] = {}
        #: section id -> doc id, and doc id -> section ids, of the documents given to this writer
        #: whose section ids are their own (see ``_foreign``): the others are not kept
        self._owners: dict[str, str] = {}
        self._sections_of: dict[str, tuple[str, ...]] = {}
        self._own: tuple[str | None, set[int]] = (None, set())  # see ``_own_sections``
        self._dropped: list[tuple[int, int, int]] = []
        self._deleted: set[str] = set()
        self._searcher: Any = None
        self._done = False
        #: what failed the writer (see ``_changing``); ``commit`` raises it once
        self._failure: BaseException | None = None
        #: ids of the committed segments: a file of theirs that is missing is damage
        self._committed = frozenset(segment.segment_id() for segment in self._w.segments)

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        if exc is not None:
            self.cancel()
        elif not self._done or self._failure is not None:
            self.commit()  # a writer that failed meanwhile raises here

    # public -----------------------------------------------------------------------------------

    @_one_at_a_time
    def add(self, doc: Document) -> None:
        """Adds ``doc``, replacing every section of an indexed document with the same id.

        ``DocumentParseError`` (and nothing changes) for a wrongly typed document, an empty id,
        or a section id that a section of another document has.
        """
        self._check()
        (doc,) = self._checked([doc])
        with self._changing():
            self._forget(doc.id)
            sids = tuple(section.id for section in doc.sections if _foreign(section.id, doc.id))
            if sids:
                self._sections_of[doc.id] = sids
                self._owners.update(dict.fromkeys(sids, doc.id))
            self._buffer[doc.id] = doc
            self._buffered_sections += len(doc.sections)
            if self._batch_ready():
                self._hand_over()

    @_one_at_a_time
    def check(self, docs: Sequence[Document], replacing: Iterable[str] = ()) -> None:
        """Raises what ``add`` would raise for any of ``docs`` added in order, adding nothing.

        So a caller can refuse a group of documents (one file's) as a whole: a wrong type, an
        id with a lone surrogate, or a section id another document holds (``DocumentParseError``
        naming the document). The documents ``replacing`` names are taken as deleted first (a
        file that renames a document keeps its section ids).
        """
        self._check()
        self._checked(docs, replacing)

    @_one_at_a_time
    def delete(self, doc_id: str) -> None:
        """Deletes every section of the document (nothing happens if it is not indexed)."""
        self._check()
        with self._changing():
            self._forget(doc_id)

    @_one_at_a_time
    def clear(self) -> None:
        """Deletes every document: the indexed ones and those given to this writer so far.

        Searches see no change until the commit, which then replaces the whole index in one
        step (one new generation). A writer that is cancelled or fails before committing leaves
        the index as it was, so a rebuild never leaves a half-built or empty index behind.
        """
        self._check()
        self._buffer.clear()
        self._buffered_sections = 0
        self._dropped.extend(self._handed.values())
        self._handed.clear()
        self._owners.clear()
        self._sections_of.clear()
        self._close_searcher()
        # the committed segments are left out of the commit (Whoosh removes their files once
        # the new table of contents is written); nothing needs deleting from them any more
        self._w.segments = []
        self._w._setup_doc_offsets()

    @_one_at_a_time
    def commit(self, *, optimize: bool = False) -> None:
        """Makes the changes visible; ``optimize`` also merges every segment into one.

        Raises (once) when the writer failed before: it was rolled back, nothing is committed.
        """
        failure, self._failure = self._failure, None
        if failure is not None:
            raise self._failed(failure) from failure
        self._check()
        try:
            with self._storage_errors():
                self._hand_over()
                segments = self._finish_builder()
                self._close_searcher()
                self._whoosh_commit(segments, optimize)
        except BaseException:
            self._abort()
            raise
        finally:
            self._done = True
            segbuild.unhook(self._w)
        self._index._changed()

    @_one_at_a_time
    def cancel(self) -> None:
        """Drops everything given to this writer; the index stays as it was."""
        if self._done:
            return
        self._done = True
        try:
            self._abort()
        finally:
            segbuild.unhook(self._w)

    # building ---------------------------------------------------------------------------------

    def _batch_ready(self) -> bool:
        if len(self._buffer) < BATCH and self._buffered_sections < BATCH_SECTIONS:
            return False
        return self.jobs == 1 or self._builder is not None or self._worth_workers()

    def _worth_workers(self) -> bool:
        """Workers are started once enough is buffered to pay for them (and only on disk)."""
        return self._buffered_sections >= PARALLEL_MIN_SECTIONS

    def _new_builder(self) -> Any:
        store = self._w.storage
        if self.jobs > 1 and isinstance(store, FileStorage) and self._worth_workers():
            from mofasearch.parallel import ParallelBuilder

            return ParallelBuilder(
                store.folder,
                durable=getattr(store, "durable", True),
                jobs=self.jobs,
                roll_postings=segbuild.ROLL_POSTINGS,
                lock=getattr(self._w, "writelock", None),
            )
        return SegmentBuilder(self._index._ix, roll_postings=segbuild.ROLL_POSTINGS)

    def _hand_over(self) -> None:
        """The buffered documents go to the builder as one numbered batch."""
        if not self._buffer:
            return
        if self._builder is None:
            self._builder = self._new_builder()
        batch = self._batches
        self._batches += 1
        offset = 0
        for doc in self._buffer.values():
            self._handed[doc.id] = (batch, offset, len(doc.sections))
            offset += len(doc.sections)
        docs = list(self._buffer.values())
        self._buffer.clear()
        self._buffered_sections = 0
        self._builder.add_batch(batch, docs)

    def _finish_builder(self) -> list[Any]:
        """The builder's segments, with the sections of documents dropped since marked deleted."""
        builder, self._builder = self._builder, None
        if builder is None:
            return []
        try:
            segments, placements = builder.finish()
        except BaseException:
            builder.cancel()
            raise
        where = {p.batch: (p.segment, p.start) for p in placements}
        for batch, offset, count in self._dropped:
            index, start = where[batch]
            for docnum in range(start + offset, start + offset + count):
                segments[index].delete_document(docnum)
        return segments

    @contextlib.contextmanager
    def _changing(self) -> Iterator[None]:
        """Fails the writer when a change of its state fails halfway.

        The buffer, the handed-over batches, the deletions and the builder's open segment may
        then disagree (a batch half built, an id recorded as deleted that was not), so what the
        writer would commit is unknown: it is rolled back at once (the lock is released, the
        workers stop) and its ``commit`` raises instead of committing a partial result.
        """
        try:
            with self._storage_errors():
                yield
        except BaseException as exc:
            self._fail(exc)
            raise

    def _fail(self, exc: BaseException) -> None:
        if self._done:
            return
        self._failure = exc
        try:
            self.cancel()
        except Exception:  # pragma: no cover - best effort after another failure
            log.exception("rolling back a failed writer failed")

    def _failed(self, cause: BaseException) -> MofaSearchError:
        hint = getattr(cause, "hint", "") or "open a new writer and add the documents again"
        return MofaSearchError(
            f"this writer failed and was rolled back, nothing of it is committed: {cause}",
            hint=hint,
        )

    @contextlib.contextmanager
    def _storage_errors(self) -> Iterator[None]:
        """A full disk or a read-only directory becomes one clear error naming the index, and so
        does a committed segment that cannot be read (truncated, corrupt or missing), which the
        writer meets when it deletes from it or merges it."""
        path = self._index.path
        try:
            yield
        except MofaSearchError:
            raise
        except storage.DAMAGE_ERRORS as exc:
            raise storage.damaged(path, exc) from exc
        except OSError as exc:
            lost = self._lost_segment_file(exc)
            if lost:
                raise storage.damaged(path, exc, lost) from exc
            where = path or "memory"
            raise IndexStorageError(
                f"cannot write the index in {where}: {exc.strerror or exc}", path
            ) from exc

    def _lost_segment_file(self, exc: OSError) -> str:
        """The name of the committed segment's file that ``exc`` found missing, else ``""``.

        The writer holds the lock, so no commit can have removed a file of a segment its TOC
        lists: the file is gone from a damaged index, which a rebuild repairs.
        """
        if not isinstance(exc, FileNotFoundError) or not isinstance(exc.filename, str):
            return ""
        name = os.path.basename(exc.filename)
        return name if name.partition(".")[0] in self._committed else ""

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
        for segid, base, deleted, count in self._merged:
            old = impact.open_postings(self._w.storage, segid)
            if old is None:
                log.warning("segment %s had no side-car postings: its bigrams are lost", segid)
                continue
            self._collector.add_merged(old, base, deleted, count)

    def _whoosh_commit(self, segments: list[Any], optimize: bool) -> None:
        """Whoosh's ``SegmentWriter.commit`` (2.7.4) over the committed segments plus the new
        ones; a merged segment's side-car file is written before the TOC that lists it."""
        w = self._w
        w._check_state()
        if segments:
            # the merge policy sees the new segments too (small ones get merged as usual)
            w.segments = list(w.segments) + segments
            w._setup_doc_offsets()
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

    # internals --------------------------------------------------------------------------------

    def _check(self) -> None:
        if self._failure is not None:
            raise self._failed(self._failure) from self._failure
        if self._done:
            raise MofaSearchError("this writer is closed", hint="open a new one with ix.writer()")

    def _abort(self) -> None:
        self._close_searcher()
        builder, self._builder = self._builder, None
        if builder is not None:
            builder.cancel()
        w = self._w
        try:
            if not w.is_closed:
                w.cancel()
        except Exception:
            # closing the unfinished segment's files writes to them, which fails again on a
            # full disk; the lock is released all the same (the files are never listed)
            log.exception("cancelling the Whoosh writer failed")
            _release(w)

    def _close_searcher(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None

    def _checked(self, docs: Sequence[Document], replacing: Iterable[str] = ()) -> list[Document]:
        """``docs`` as they would be stored (see ``encodable``), once each is known to fit."""
        checked: list[Document] = []
        claimed: dict[str, str] = {}  # section ids of the documents before, in ``docs``
        claims: dict[str, tuple[str, ...]] = {}  # doc id -> the section ids it put in ``claimed``
        # their ids, and those the caller deletes first: what they held is theirs no more
        replaced: set[str] = set(replacing)
        for doc in docs:
            if not isinstance(doc, Document):
                raise TypeError(f"Writer.add takes a Document, not {type(doc).__name__}")
            check_types(doc)
            doc = encodable(doc)
            for section in doc.sections:
                owner = claimed.get(section.id)
                if owner is None and (owner := self._owner(section.id, doc.id)) in replaced:
                    owner = None
                held = "is already the id of a section of"
                if owner is None:
                    owner, held = self._shadowed(section.id, doc.id, replaced)
                if owner is not None and owner != doc.id:
                    error = DocumentParseError(
                        f"document {doc.id!r}: section id {section.id!r} {held} document "
                        f"{owner!r} (a section id names one section in an index)"
                    )
                    error.hint = (
                        f"give the section another id (in JSONL, prefixed with {doc.id!r}, "
                        f"say), or delete document {owner!r} first"
                    )
                    raise error
            # a later document with an id seen before replaces the earlier one, as ``add``
            # does: the section ids only the earlier one held are free again
            for sid in claims.pop(doc.id, ()):
                if claimed.get(sid) == doc.id:
                    del claimed[sid]
            claims[doc.id] = tuple(s.id for s in doc.sections)
            claimed.update(dict.fromkeys(claims[doc.id], doc.id))
            replaced.add(doc.id)
            checked.append(doc)
        return checked

    def _owner(self, section_id: str, doc_id: str) -> str | None:
        """The document other than ``doc_id`` that holds ``section_id`` once this writer
        commits, if any (one that this writer replaces or deletes gives its sections up)."""
        owner = self._owners.get(section_id)
        if owner is not None or not self._w.segments:
            return owner
        from whoosh.reading import TermNotFound

        with self._changing():  # a committed segment that cannot be read fails the writer
            if self._searcher is None:
                self._searcher = self._deletion_searcher()
            reader = self._searcher.reader()
            try:
                docnums = set(reader.postings("section_id", section_id).all_ids())
            except TermNotFound:
                return None
            docnums -= self._own_sections(reader, doc_id)
            for docnum in sorted(docnums):
                if not reader.is_deleted(docnum):
                    owner = reader.stored_fields(docnum).get("doc_id")
                    if owner not in self._deleted:
                        return owner
        return None

    def _shadowed(self, section_id: str, doc_id: str, replaced: set[str]) -> tuple[str | None, str]:
        """Another document given to this writer that may hold ``section_id`` as one of its
        own ids (its id, or its id, ``#`` and a number without ``#``), which are not kept.

        A buffered document is asked exactly; for one handed over, the id's form is enough (a
        section id that reads as another document's own is refused as ambiguous).
        """
        at = len(section_id)
        while at > 0:
            prefix = section_id[:at]
            if prefix != doc_id and prefix not in replaced:
                other = self._buffer.get(prefix)
                if other is not None:
                    if any(s.id == section_id for s in other.sections):
                        return prefix, "is already the id of a section of"
                elif prefix in self._handed and "#" not in section_id[at + 1 :]:
                    return prefix, "has the form of the section ids of"
            at = section_id.rfind("#", 0, at)
        return None, ""

    def _own_sections(self, reader: Any, doc_id: str) -> set[int]:
        """The committed docnums of ``doc_id``'s sections (kept for the document's next one)."""
        from whoosh.reading import TermNotFound

        if self._own[0] != doc_id:
            own: set[int] = set()
            with contextlib.suppress(TermNotFound):
                own = set(reader.postings("doc_id", doc_id).all_ids())
            self._own = (doc_id, own)
        return self._own[1]

    def _forget(self, doc_id: str) -> None:
        """Removes the document from the buffer, the handed-over batches and the index."""
        for sid in self._sections_of.pop(doc_id, ()):
            if self._owners.get(sid) == doc_id:
                del self._owners[sid]
        found = self._buffer.pop(doc_id, None)
        if found is not None:
            self._buffered_sections -= len(found.sections)
        handed = self._handed.pop(doc_id, None)
        if handed is not None:
            self._dropped.append(handed)
        if doc_id in self._deleted or not self._w.segments:
            return
        if self._searcher is None:
            self._searcher = self._deletion_searcher()
        self._w.delete_by_term("doc_id", doc_id, searcher=self._searcher)
        self._deleted.add(doc_id)

    def _deletion_searcher(self) -> Any:
        """A searcher over the committed segments, opened like every reader of the index
        (``SegmentWriter.searcher`` opens them with Whoosh's own reader, which leaves a file
        open when a segment cannot be read and does not say which one)."""
        from whoosh.searching import Searcher

        w = self._w
        return Searcher(self._index._ix._reader(w.storage, w.schema, w.segments, w.generation))


def _release(w: Any) -> None:
    """What Whoosh's ``SegmentWriter._finish`` does after a cancel, each step on its own."""
    w.is_closed = True
    try:
        w._tempstorage.destroy()
    except Exception:
        log.exception("removing the writer's temporary files failed")
    lock: Any = getattr(w, "writelock", None)
    # a file lock is held while it has a descriptor (its ``locked`` is never reset)
    if lock is not None and (lock.fd is not None if hasattr(lock, "fd") else lock.locked):
        try:
            lock.release()
        except Exception:
            log.exception("releasing the write lock failed")


def _foreign(section_id: str, doc_id: str) -> bool:
    """Whether ``section_id`` is not of its document's own form: the document's id (a
    passage), or the id, ``#`` and more (as ids are derived). Only such ids are kept by a
    writer; the own ones are told apart by their document's id (``Writer._shadowed``)."""
    return section_id != doc_id and not section_id.startswith(doc_id + "#")


def check_types(doc: Document) -> None:
    """Refuses a document with a field of a type a section build cannot take.

    ``Document`` and ``Section`` are plain dataclasses, so nothing stops a caller from giving a
    date as a string or a number as text. Found here, the error is the document's own: its
    ``add`` raises before anything is buffered (an indexed document with the same id is left
    as it is) and a caller can skip it. Found when its batch is built, it would fail some other
    document's ``add`` and take the whole batch with it.
    """
    problem = _type_problem(doc)
    if problem:
        raise DocumentParseError(f"document {doc.id!r}: {problem}")


def _type_problem(doc: Document) -> str:
    """What is wrong with the types of ``doc``'s fields (the first thing found), else ``""``."""
    optional: Any = (str, type(None))
    fields: list[tuple[str, Any, Any]] = [
        ("id", doc.id, str),
        ("title", doc.title, str),
        ("url", doc.url, optional),
        ("category", doc.category, optional),
        ("date", doc.date, (datetime.date, type(None))),
    ]
    for name, value, kind in fields:
        if not isinstance(value, kind):
            return _wrong(name, value, kind)
    if not doc.id:
        return "id must not be empty (it is how the document is replaced and deleted)"
    if not doc.sections:
        return "it has no sections (a document is stored as its sections: give it one)"
    if not isinstance(doc.meta, Mapping):
        return _wrong("meta", doc.meta, Mapping)
    for key, value in doc.meta.items():
        if not isinstance(key, str) or not isinstance(value, str):
            return f"meta must map str to str, not {type(key).__name__} to {type(value).__name__}"
    for ordinal, section in enumerate(doc.sections):
        problem = _section_problem(section)
        if problem:
            return f"section {ordinal}: {problem}"
    return ""


def _section_problem(section: Any) -> str:
    if not isinstance(section, Section):
        return _wrong("a section", section, Section)
    for name in ("text", "heading", "number", "id"):
        value = getattr(section, name)
        if not isinstance(value, str):
            return _wrong(name, value, str)
    if not all(isinstance(part, str) for part in section.path):
        return "path must hold str headings only"
    return ""


def _wrong(name: str, value: Any, kind: Any) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {type(None): "None", datetime.date: "datetime.date"}
    shown = " or ".join(names.get(k, k.__name__) for k in kinds)
    return f"{name} must be {shown}, not {type(value).__name__}"


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
