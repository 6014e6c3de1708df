"""A real index driven through random histories, checked after every step against a plain model.

The model is a dict of document id to ``Document``: what the committed index must hold. A
writer's changes go to a second dict, the state it would commit, which becomes the model on
``commit`` and is thrown away on ``cancel`` or an exception inside ``with ix.writer()``. Steps
are writer sessions (adding new documents, replacing existing ones, deleting, clearing, a
section id refused because another document holds it), commits, cancels, rollbacks,
``ix.optimize()``, closing and reopening the index, and searches; after each, the index's
documents (``doc_ids``, ``get``), its ``stats`` and the search of every word of a small
vocabulary must agree with the model.

The texts are built from a few Japanese nouns joined by particles, so which sections hold a
word is known exactly: no word is part of another, and no other text shares a character
bigram with one (a bare-word search is followed by sections sharing only its bigrams, which
would be none). Three variants: on disk (tiny batches and segments, so documents are handed
over before they are replaced or deleted, and builders roll over to new segments), in memory,
and on disk with writers that sometimes run two worker processes (``jobs=2``).
"""

from __future__ import annotations

import datetime
import math
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from mofasearch import Document, Index, Section, segbuild, writer
from mofasearch.errors import DocumentParseError, IndexLockedError, QuerySyntaxError

#: distinct nouns, none inside another, none sharing a character bigram with the other text
WORDS = ("京都", "大阪", "札幌", "北海道", "議定書", "首脳", "経済", "協力")
ENDINGS = ("について話し合った。", "を確認した。", "に言及した。")
NO_WORD = "意見交換を行った。"
HEADINGS = ("", "概要", "個別案件", "結び", *WORDS)
NUMBERS = ("", "1", "1.(1)", "2", "2.(1)", "2.(2)", "10")
DOC_IDS = ("d0", "d1", "d2", "d3", "d4")
#: given section ids (as JSONL gives them): two documents may claim the same one
GIVEN_IDS = ("s-a", "s-b", "s-c")
DATES = (
    None,
    datetime.date(2003, 12, 31),
    datetime.date(2004, 6, 10),
    datetime.date(2004, 6, 11),
    datetime.date(2005, 1, 1),
)
CATEGORIES = (None, "会談・訪問 › 小泉総理大臣", "会談・訪問 › 川口外務大臣", "会談・訪問", "条約")
CATEGORY_FILTERS = ("会談・訪問", "小泉総理大臣", "会談・訪問 › 小泉総理大臣", "条約", "広報")
#: section filters as a caller may write them, and the number each means
SECTION_FILTERS = {"1": "1", "2": "2", "2.(1)": "2.(1)", "10": "10", "3": "3", "§2": "2"}
SECTION_FILTERS["２．（１）"] = "2.(1)"
LIMIT = 1000


@st.composite
def sections(draw: Any, doc_id: str) -> Section:
    words = draw(st.lists(st.sampled_from(WORDS), max_size=3))
    text = "と".join(words) + draw(st.sampled_from(ENDINGS)) if words else NO_WORD
    heading = draw(st.sampled_from(HEADINGS))
    path: tuple[str, ...] = ()
    if heading:
        path = draw(st.sampled_from([(), (heading,), ("全体", heading)]))
    # now and then an id of its own (a passage's: the document's id) or one that another
    # document may also claim
    given = draw(st.sampled_from((doc_id, *GIVEN_IDS))) if draw(st.integers(0, 5)) == 0 else ""
    return Section(text, heading, draw(st.sampled_from(NUMBERS)), path, given)


@st.composite
def documents(draw: Any) -> Document:
    doc_id = draw(st.sampled_from(DOC_IDS))
    title = "会談記録"
    if draw(st.booleans()):
        title += " " + draw(st.sampled_from(WORDS))
    url = draw(st.sampled_from([None, f"https://www.mofa.go.jp/mofaj/{doc_id}.html"]))
    meta = draw(st.sampled_from([{}, {"法令番号": "平成十六年法律第一号"}]))
    return Document(
        doc_id,
        title,
        draw(st.lists(sections(doc_id), min_size=1, max_size=3)),
        date=draw(st.sampled_from(DATES)),
        url=url,
        category=draw(st.sampled_from(CATEGORIES)),
        meta=meta,
    )


#: one change inside a writer: ("add", document) or ("delete", document id)
changes = st.one_of(
    st.tuples(st.just("add"), documents()),
    st.tuples(st.just("delete"), st.sampled_from(DOC_IDS)),
)


class Boom(Exception):
    """Raised inside ``with ix.writer()`` to roll the writer back."""


# the model ------------------------------------------------------------------------------------


def heading_field(section: Section) -> str:
    """What a section's heading is searched in: its heading path, else its heading."""
    return " ".join(section.path) or section.heading


def holds(doc: Document, section: Section, word: str) -> bool:
    return word in doc.title or word in heading_field(section) or word in section.text


def category_selects(category: str | None, wanted: str) -> bool:
    """A category filter selects a document whose category path holds it as a run of levels."""
    if category is None:
        return False
    parts, run = category.split(" › "), wanted.split(" › ")
    return any(parts[i : i + len(run)] == run for i in range(len(parts) - len(run) + 1))


def in_section(number: str, wanted: str) -> bool:
    """``section=3`` selects section 3 and its subsections (3.(1), 3.(2), ...), not 30."""
    return number == wanted or number.startswith(wanted + ".")


def expected_sections(
    model: dict[str, Document],
    word: str,
    *,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    category: str | None = None,
    section: str | None = None,
) -> dict[str, tuple[Document, Section]]:
    """Section id -> (document, section) of the sections a search for ``word`` must find."""
    found = {}
    for doc in model.values():
        if since is not None or until is not None:
            if doc.date is None:
                continue
            if since is not None and doc.date < since or until is not None and doc.date > until:
                continue
        if category is not None and not category_selects(doc.category, category):
            continue
        for sec in doc.sections:
            if section is not None and not in_section(sec.number, section):
                continue
            if holds(doc, sec, word):
                found[sec.id] = (doc, sec)
    return found


def conflict(pending: dict[str, Document], doc: Document) -> str | None:
    """The other document of ``pending`` holding a section id of ``doc``, if any."""
    wanted = {s.id for s in doc.sections}
    for other in pending.values():
        if other.id != doc.id and wanted & {s.id for s in other.sections}:
            return other.id
    return None


# checks ---------------------------------------------------------------------------------------


def check_hit(hit: Any, doc: Document, sec: Section) -> None:
    assert hit.doc_id == doc.id
    assert (hit.title, hit.date, hit.url, hit.category) == (
        doc.title,
        doc.date,
        doc.url,
        doc.category,
    )
    assert (hit.section, hit.section_path, hit.heading) == (sec.number, sec.path, sec.heading)
    assert math.isfinite(hit.score) and hit.score > 0, hit


def in_order(keys: Iterable[tuple[Any, ...]]) -> bool:
    listed = list(keys)
    return listed == sorted(listed)


def check_sections(results: Any, expected: dict[str, tuple[Document, Section]]) -> None:
    hits = list(results)
    assert results.total == len(expected)
    assert [h.section_id for h in hits if h.section_id not in expected] == []
    assert sorted(h.section_id for h in hits) == sorted(expected)
    for hit in hits:
        check_hit(hit, *expected[hit.section_id])
    assert in_order((-h.score, h.section_id) for h in hits)


def check_grouped(results: Any, expected: dict[str, tuple[Document, Section]]) -> None:
    hits = list(results)
    by_doc: dict[str, set[str]] = {}
    for sid, (doc, _) in expected.items():
        by_doc.setdefault(doc.id, set()).add(sid)
    assert results.total == len(by_doc)
    assert sorted(h.doc_id for h in hits) == sorted(by_doc)  # each matching document once
    for hit in hits:
        check_hit(hit, *expected[hit.section_id])
        others = hit.other_sections
        assert {hit.section_id, *(o[0] for o in others)} == by_doc[hit.doc_id]
        assert len(others) == len(by_doc[hit.doc_id]) - 1
        for sid, number, heading, score in others:
            _, sec = expected[sid]
            assert (number, heading) == (sec.number, sec.heading)
            assert math.isfinite(score) and 0 < score <= hit.score
        assert in_order((-o[3], o[0]) for o in others)
    assert in_order((-h.score, h.section_id) for h in hits)


def check_facets(results: Any, expected: dict[str, tuple[Document, Section]]) -> None:
    docs = {doc.id: doc for doc, _ in expected.values()}.values()
    categories: dict[str, int] = {}
    years: dict[int, int] = {}
    for doc in docs:
        if doc.category:
            categories[doc.category] = categories.get(doc.category, 0) + 1
        if doc.date:
            years[doc.date.year] = years.get(doc.date.year, 0) + 1
    assert results.facets == {"category": categories, "year": years}


class IndexMachine(RuleBasedStateMachine):
    """One index through a random history; ``kind`` is ``disk``, ``memory`` or ``workers``."""

    kind = "disk"

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="mofasearch-stateful-"))
        self.path = self.folder / "index"
        self.reader: Index | None = None
        if self.kind == "memory":
            self.ix = Index.in_memory()
        else:
            self.ix = Index.create(self.path)
            self.reader = Index.open(self.path)
        self.model: dict[str, Document] = {}
        #: the open writer, and the state it would commit
        self.w: Any = None
        self.pending: dict[str, Document] = {}

    def teardown(self) -> None:
        try:
            if self.w is not None:
                self.w.cancel()
            self.ix.close()
            if self.reader is not None:
                self.reader.close()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    # writing ----------------------------------------------------------------------------------

    def jobs(self, many: bool) -> int:
        return 2 if many and self.kind == "workers" else 1

    def apply(self, w: Any, pending: dict[str, Document], change: tuple[str, Any]) -> None:
        """One change through writer ``w`` and the same change to ``pending``."""
        what, value = change
        if what == "delete":
            w.delete(value)
            pending.pop(value, None)
            return
        owner = conflict(pending, value)
        if owner is None:
            w.add(value)
            pending[value.id] = value
        else:  # refused, and nothing changes
            with pytest.raises(DocumentParseError, match=f"of document '{owner}'"):
                w.add(value)

    @precondition(lambda self: self.w is None)
    @rule(many=st.booleans())
    def open_writer(self, many: bool) -> None:
        self.w = self.ix.writer(jobs=self.jobs(many))
        self.pending = dict(self.model)

    @precondition(lambda self: self.w is not None)
    @rule(change=changes)
    def change(self, change: tuple[str, Any]) -> None:
        self.apply(self.w, self.pending, change)

    @precondition(lambda self: self.w is not None)
    @rule(
        docs=st.lists(documents(), min_size=1, max_size=4),
        replacing=st.lists(st.sampled_from(DOC_IDS), max_size=2),
    )
    def check(self, docs: list[Document], replacing: list[str]) -> None:
        """``w.check`` raises what adding ``docs`` in order would, once the documents
        ``replacing`` names are deleted, and changes nothing."""
        trial = {k: v for k, v in self.pending.items() if k not in replacing}
        owner = None
        for doc in docs:
            owner = conflict(trial, doc)
            if owner is not None:
                break
            trial[doc.id] = doc
        if owner is None:
            self.w.check(docs, replacing=replacing)
        else:
            with pytest.raises(DocumentParseError, match=f"of document '{owner}'"):
                self.w.check(docs, replacing=replacing)

    @precondition(lambda self: self.w is not None)
    @rule()
    def clear(self) -> None:
        self.w.clear()
        self.pending = {}

    @precondition(lambda self: self.w is not None)
    @rule()
    def commit(self) -> None:
        w, self.w = self.w, None
        w.commit()
        self.model = self.pending

    @precondition(lambda self: self.w is not None)
    @rule()
    def cancel(self) -> None:
        w, self.w = self.w, None
        w.cancel()

    @precondition(lambda self: self.w is not None)
    @rule()
    def a_second_writer_is_refused(self) -> None:
        with pytest.raises(IndexLockedError):
            self.ix.writer()
        with pytest.raises(IndexLockedError):
            self.ix.optimize()

    @precondition(lambda self: self.w is None)
    @rule(batch=st.lists(changes, min_size=1, max_size=6), many=st.booleans(), fail=st.booleans())
    def session(self, batch: list[tuple[str, Any]], many: bool, fail: bool) -> None:
        """A whole ``with ix.writer()`` block: it commits, or an exception rolls it back."""
        pending = dict(self.model)
        try:
            with self.ix.writer(jobs=self.jobs(many)) as w:
                for change in batch:
                    self.apply(w, pending, change)
                if fail:
                    raise Boom
        except Boom:
            return
        self.model = pending

    @precondition(lambda self: self.w is None)
    @rule()
    def optimize(self) -> None:
        self.ix.optimize()
        if self.model:
            assert self.ix.stats()["segments"] == 1

    @precondition(lambda self: self.w is None and self.kind != "memory")
    @rule()
    def reopen(self) -> None:
        self.ix.close()
        self.ix = Index.open(self.path)

    # searching --------------------------------------------------------------------------------

    @rule(
        word=st.sampled_from(WORDS),
        since=st.sampled_from(DATES),
        until=st.sampled_from(DATES),
        category=st.sampled_from((None, *CATEGORY_FILTERS)),
        section=st.sampled_from((None, *SECTION_FILTERS)),
        grouped=st.booleans(),
        iso=st.booleans(),
    )
    def filtered_search(
        self,
        word: str,
        since: datetime.date | None,
        until: datetime.date | None,
        category: str | None,
        section: str | None,
        grouped: bool,
        iso: bool,
    ) -> None:
        """Filters by date (inclusive; dates also as ``YYYY-MM-DD``), category and section."""
        given: dict[str, Any] = {"since": since, "until": until, "category": category}
        if iso:
            given.update(since=since and since.isoformat(), until=until and until.isoformat())
        given["section"] = section
        if since is not None and until is not None and since > until:
            with pytest.raises(QuerySyntaxError):
                self.ix.search(word, **given)
            return
        results = self.ix.search(word, limit=LIMIT, group_by_document=grouped, **given)
        filters: dict[str, Any] = {"since": since, "until": until, "category": category}
        filters["section"] = None if section is None else SECTION_FILTERS[section]
        expected = expected_sections(self.model, word, **filters)
        if grouped:
            check_grouped(results, expected)
            check_facets(results, expected)
        else:
            check_sections(results, expected)

    @rule(
        word=st.sampled_from(WORDS),
        grouped=st.booleans(),
        limit=st.integers(0, 3),
        offset=st.integers(0, 4),
    )
    def page(self, word: str, grouped: bool, limit: int, offset: int) -> None:
        """A page is the slice of the whole ranking: ties are broken by section id."""
        whole = self.ix.search(word, limit=LIMIT, group_by_document=grouped)
        part = self.ix.search(word, limit=limit, offset=offset, group_by_document=grouped)
        assert part.total == whole.total
        key = [(h.section_id, h.score) for h in whole][offset : offset + limit]
        assert [(h.section_id, h.score) for h in part] == key

    @rule(word=st.sampled_from(WORDS), newest=st.booleans())
    def by_date(self, word: str, newest: bool) -> None:
        """``sort="date"`` orders the dated hits by date, then score, then section id."""
        results = self.ix.search(word, limit=LIMIT, sort="-date" if newest else "date")
        expected = expected_sections(self.model, word)
        assert sorted(h.doc_id for h in results) == sorted({d.id for d, _ in expected.values()})
        dated = [h for h in results if h.date is not None]
        sign = -1 if newest else 1
        assert in_order((sign * h.date.toordinal(), -h.score, h.section_id) for h in dated)

    # invariants -------------------------------------------------------------------------------

    @invariant()
    def documents_agree(self) -> None:
        for ix in self.handles():
            assert sorted(ix.doc_ids()) == sorted(self.model)
            for doc_id in DOC_IDS:
                assert ix.get(doc_id) == self.model.get(doc_id), doc_id
            stats = ix.stats()
            assert stats["documents"] == len(self.model)
            assert stats["sections"] == sum(len(d.sections) for d in self.model.values())

    @invariant()
    def every_word_finds_its_sections(self) -> None:
        for word in WORDS:
            expected = expected_sections(self.model, word)
            check_sections(self.ix.search(word, limit=LIMIT, group_by_document=False), expected)
            phrase = self.ix.search(f'"{word}"', limit=LIMIT, group_by_document=False)
            assert {h.section_id for h in phrase} == set(expected)
            for ix in self.handles():
                grouped = ix.search(word, limit=LIMIT)
                check_grouped(grouped, expected)
                check_facets(grouped, expected)

    def handles(self) -> list[Index]:
        """The index written through, and on disk another one opened at the start, which
        must see every commit made through the first."""
        return [self.ix] if self.reader is None else [self.ix, self.reader]


class MemoryMachine(IndexMachine):
    kind = "memory"


class WorkersMachine(IndexMachine):
    kind = "workers"


MACHINES = {"disk": IndexMachine, "memory": MemoryMachine, "workers": WorkersMachine}
#: a few seconds per variant, for every test run
QUICK = settings(
    max_examples=10,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
#: longer histories: up to twenty seconds per variant
LONG = settings(QUICK, max_examples=15, stateful_step_count=40)


def run(kind: str, monkeypatch: Any, how: settings) -> None:
    # tiny batches: documents are replaced and deleted after their batch was handed over
    monkeypatch.setattr(writer, "BATCH_SECTIONS", 3)
    if kind != "memory":  # and builders roll over to new segments within one commit
        monkeypatch.setattr(segbuild, "ROLL_POSTINGS", 60)
    if kind == "workers":  # a writer with jobs=2 starts its workers from 4 sections on
        monkeypatch.setattr(writer, "PARALLEL_MIN_SECTIONS", 4)
    run_state_machine_as_test(MACHINES[kind], settings=how)


def test_an_index_on_disk_agrees_with_its_model(monkeypatch):
    run("disk", monkeypatch, QUICK)


def test_an_index_in_memory_agrees_with_its_model(monkeypatch):
    run("memory", monkeypatch, QUICK)


def test_an_index_built_by_worker_processes_agrees_with_its_model(monkeypatch):
    run("workers", monkeypatch, QUICK)


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(MACHINES))
def test_long_histories_agree_with_the_model(monkeypatch, kind):
    run(kind, monkeypatch, LONG)


def test_check_takes_a_later_document_with_the_same_id_as_a_replacement():
    """``w.check(docs)`` raises what adding ``docs`` in order would. A later document with an
    id seen before replaces the earlier one, so a section id only the earlier one held is free
    for the documents after it, as it is for ``add``: ``check`` must not refuse a group that
    ``add`` takes."""
    first = Document("d1", "会談記録", [Section("京都を確認した。", id="s-a")])
    second = Document("d1", "会談記録", [Section("大阪を確認した。", id="s-b")])
    other = Document("d2", "会談記録", [Section("札幌を確認した。", id="s-a")])
    with Index.in_memory() as ix:
        with ix.writer() as w:
            w.check([first, second, other])
            with pytest.raises(DocumentParseError, match="'s-b' .* document 'd1'"):
                w.check([first, second, Document("d3", "題", [Section("本文", id="s-b")])])
            for doc in (first, second, other):
                w.add(doc)
        assert {d: [s.id for s in ix.get(d).sections] for d in ix.doc_ids()} == {
            "d1": ["s-b"],
            "d2": ["s-a"],
        }
