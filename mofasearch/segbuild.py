"""Building new segments: sections in, finished Whoosh segments with their side-car files out.

A :class:`SegmentBuilder` owns Whoosh ``SegmentWriter`` objects opened without the write lock
(the :class:`~mofasearch.writer.Writer` that started it holds the lock and alone writes the
TOC), like the sub-writers of Whoosh's multiprocess writer. It adds each section through
Whoosh (word fields, ids, stored fields, columns), collects the scored postings and the
side-only fields for the side-car file (:mod:`mofasearch.impact`), and when a segment holds
``roll_postings`` postings it finishes that segment and starts another. That bound caps what
grows with a segment (the collector and the posting pool grow with the segment, not with the
corpus) and keeps every side-car under its size limit.

The same builder runs in this process (``jobs=1``) and in each worker process of
:mod:`mofasearch.parallel`; documents are given in numbered batches, and :meth:`finish`
reports where each batch landed (segment, first docnum) so the parent can mark sections of
documents replaced later in the same writer as deleted.

Nothing here commits: a finished segment becomes visible only when the parent writes a TOC
naming it; files of segments that never get there are removed by Whoosh's clean-up at the next
commit.
"""

from __future__ import annotations

import copy
import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from whoosh import formats
from whoosh.writing import SegmentWriter

from mofasearch import impact, pool
from mofasearch.analysis.answertypes import answer_type_plan
from mofasearch.analysis.fastpath import index_plan, span_plan
from mofasearch.documents.model import Document, Section
from mofasearch.query.values import section_number
from mofasearch.schema import SIDE_FIELDS, WORD_FIELDS, label_value, side_analyzer
from mofasearch.snippets import pack_spans

log = logging.getLogger("mofasearch.segbuild")

#: postings (Whoosh's fields and the side-only fields) after which a segment is finished
ROLL_POSTINGS = 6_000_000


@dataclass(frozen=True)
class Placement:
    """Where a batch landed: the index of its segment in :meth:`SegmentBuilder.finish`'s list
    and the docnum of its first section in that segment."""

    batch: int
    segment: int
    start: int


class SegmentBuilder:
    """Adds documents to new segments of the index ``ix`` (a Whoosh index object)."""

    def __init__(self, ix: Any, *, roll_postings: int = ROLL_POSTINGS) -> None:
        self._ix = ix
        self.roll_postings = roll_postings
        self._done: list[Any] = []
        self._placements: list[Placement] = []
        self._w: Any = None
        self._collector: impact.Collector | None = None
        self._pool: pool.MemoryPool | None = None
        self._schema: Any = None

    def _open(self) -> None:
        w = SegmentWriter(self._ix, _lk=False, codec=self._codec())
        w.schema = fast_schema(w.schema)
        # the segment's postings stay in memory as flat arrays (the roll bound limits them)
        # instead of Whoosh's list of tuples pickled to sorted runs on disk
        postings = pool.install(w)
        scored = tuple(name for name in WORD_FIELDS if name in w.schema)
        collector = self._collector = impact.Collector(scored, SIDE_FIELDS)
        # the side-car takes the scored postings from the pool's arrays when the segment is
        # written; a pool of another kind (Whoosh's own) is watched posting by posting instead
        self._pool = postings if isinstance(postings, pool.MemoryPool) else None
        if self._pool is None:
            w.pool.add = collector.wrap(w.pool.add)
        # block length statistics serve Whoosh's block-quality skipping, which the numpy
        # scorer never uses; reading a length back per posting is a fifth of Whoosh's commit
        w._flush_segment = _flusher(w, collector if self._pool is not None else None)
        self._schema = w.schema
        self._w = w

    def _postings(self) -> int:
        """Postings of the open segment: Whoosh's (every field) and the side-only fields'."""
        assert self._collector is not None
        return self._collector.size() + (len(self._pool) if self._pool is not None else 0)

    def _codec(self) -> Any:
        from mofasearch.safepickle import SafeW3Codec

        return SafeW3Codec()

    def add_batch(self, batch: int, docs: Iterable[Document]) -> None:
        """Adds the documents of one batch (their sections in order, in one segment)."""
        if self._w is None:
            self._open()
        self._placements.append(Placement(batch, len(self._done), self._w.docnum))
        for doc in docs:
            self._add(doc)
        if self._postings() >= self.roll_postings:
            self._finish_segment()

    def _add(self, doc: Document) -> None:
        w, collector, schema = self._w, self._collector, self._schema
        assert collector is not None
        for ordinal, section in enumerate(doc.sections):
            fields = section_fields(schema, doc, ordinal, section)
            parts = fields.pop("_side_parts")
            w.add_document(**fields)
            docnum = w.docnum - 1  # after Whoosh: the morphemes are cached by now
            for name in SIDE_FIELDS:
                collector.add_side(name, docnum, side_counts(name, *parts))

    def _finish_segment(self) -> None:
        w, collector = self._w, self._collector
        self._w = self._collector = self._pool = None
        if w is None:
            return
        if not w._added:
            w._close_segment()
            return
        segment = w._finalize_segment()
        unhook(w)
        assert collector is not None
        impact.write(w.storage, segment.segment_id(), collector, w.docnum)
        # not w._finish(): the temporary folder is shared with the parent writer
        self._done.append(segment)

    def finish(self) -> tuple[list[Any], list[Placement]]:
        """The finished segments (unlisted until the parent commits) and the placements."""
        self._finish_segment()
        return self._done, self._placements

    def cancel(self) -> None:
        """Drops the open segment (finished ones are left to Whoosh's clean-up)."""
        w, self._w, self._collector, self._pool = self._w, None, None, None
        if w is not None and not w.is_closed:
            try:
                w._close_segment()
            except Exception:  # pragma: no cover - best effort after another failure
                log.exception("closing an unfinished segment failed")
        if w is not None:
            unhook(w)


def unhook(w: Any) -> None:
    """Drops what mofasearch hangs on a Whoosh segment writer: the flush closure and the merge
    recorder over its methods, and the collector's wrapper over its pool's ``add``. Each is a
    reference cycle (the closure refers to the writer; the wrappers refer to the writer or the
    pool and to the collector's arrays), which would keep a finished segment's postings in
    memory until the garbage collector's next full collection, often while the next segment is
    being built. Called when a segment is finished or dropped and when a commit is done."""
    for name in ("_flush_segment", "add_reader"):
        w.__dict__.pop(name, None)
    pool = getattr(w, "pool", None)
    if pool is not None:
        pool.__dict__.pop("add", None)


def _flusher(w: Any, collector: impact.Collector | None) -> Callable[[], None]:
    def flush() -> None:
        w.perdocwriter.close()
        if collector is not None:  # before the pool is spent by writing it
            collector.add_pool(w.pool)
        w.fieldwriter.add_postings(w.schema, None, w.pool.iter_postings())
        w.fieldwriter.close()

    return flush


def fast_schema(schema: Any) -> Any:
    """A copy of ``schema`` whose positional text fields index through the fast path of
    :mod:`mofasearch.analysis.fastpath` (same postings, without a generator per token)."""
    out = schema.copy()
    for name in schema.names():
        field = schema[name]
        if type(field.format) is not formats.Positions or getattr(field, "analyzer", None) is None:
            continue
        plan = index_plan(field.analyzer)
        if plan is None:
            continue
        fast = copy.copy(field)
        fast.index = _positional_index(plan, field.format)
        # the chain's tokens with offsets, for the body's stored tokens, and the kinds of
        # answer the text holds, from the same records (see section_fields)
        fast.span_plan = span_plan(field.analyzer)
        fast.answer_plan = answer_type_plan(field.analyzer)
        out._fields[name] = fast
    return out


#: Whoosh's encoding of a lone position, by position (most terms occur once in a section; the
#: encoding depends on the position alone): filled as positions are met, up to this many
SINGLE_POSITIONS = 4096
_SINGLES: dict[int, bytes] = {}


def _positional_index(plan: Callable[[str], Any], fmt: Any) -> Callable[..., Any]:
    """``FieldType.index`` for a ``Positions`` field: (term bytes, freq, weight, encoded)."""
    whoosh_encode, boost = fmt.encode, fmt.field_boost
    singles = _SINGLES

    def encode(poses: list[int]) -> bytes:
        if len(poses) == 1:
            found = singles.get(poses[0])
            if found is None:
                found = whoosh_encode(poses)
                if poses[0] < SINGLE_POSITIONS:
                    singles[poses[0]] = found
            return found  # type: ignore[no-any-return]
        return whoosh_encode(poses)  # type: ignore[no-any-return]

    def index(value: Any, **kwargs: Any) -> list[tuple[bytes, int, float, bytes]]:
        if not isinstance(value, str):
            raise ValueError(f"{value!r} is not unicode or sequence")
        return [
            (term.encode("utf-8"), len(poses), float(len(poses)) * boost, encode(poses))
            for term, poses in plan(value).items()
        ]

    return index


def section_tree(number: str) -> list[str]:
    """``3.(2)`` -> ``["3", "3.(2)"]``: a section's number and its ancestors' numbers, in the
    form a ``section:`` filter normalizes what it is given to (``３．（２）``, ``3(2)`` and
    ``§3.(2)`` are ``3.(2)``; a statute's ``附則(平成15年政令第277号)1`` is
    ``附則.(平成15年政令第277号).1``), so a number written either way is found either way."""
    try:
        number = section_number(number)
    except ValueError:  # not a number the filter reads (none is found by one): kept as written
        number = "".join(number.split())
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
        "section_tree": " ".join(section_tree(section.number)),
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
    if "label" in schema:
        fields["label"] = label_value(section.number, section.heading)
    # the body's tokens for snippets, from the analysis the body field's indexing reuses (the
    # morphemes are cached per thread); only a schema from fast_schema knows how to make them
    plan = getattr(schema["body"], "span_plan", None) if "text_spans" in schema else None
    if plan is not None and section.text:
        packed = pack_spans(section.text, plan(section.text))
        if packed is not None:
            fields["text_spans"] = packed
    plan = getattr(schema["body"], "answer_plan", None) if "answer_types" in schema else None
    if plan is not None and section.text:
        kinds = plan(section.text)
        if kinds:
            fields["answer_types"] = " ".join(kinds)
    # the texts of the side-only fields (not given to Whoosh): the same pieces the word fields
    # analyze, so the per-thread morpheme cache spares a second Sudachi pass
    fields["_side_parts"] = (doc.title, heading_path, section.text)
    return fields


_SIDE_PLANS: dict[str, Any] = {}


def side_counts(fieldname: str, *texts: str) -> dict[str, int]:
    """Term counts of a side-only field over the texts, analyzed as at index time."""
    analyzer = side_analyzer(fieldname)
    plan = _SIDE_PLANS.get(fieldname, False)
    if plan is False:
        plan = _SIDE_PLANS[fieldname] = index_plan(analyzer)
    if plan is not None:
        total: Counter[str] = Counter()
        # the longest text first: a Counter takes its first mapping in one dict.update and
        # merges each later one key by key in Python
        for text in sorted(texts, key=len, reverse=True):
            if text:
                total.update(plan(text))
        return total
    counts: dict[str, int] = {}
    for text in texts:
        if not text:
            continue
        for token in analyzer(text, mode="index"):
            if token.text:
                counts[token.text] = counts.get(token.text, 0) + 1
    return counts
