"""The fast scoring path (side-car postings, cached numpy contributions) ranks exactly as the
reference path (Whoosh's own searcher with the same BM25F) on 1,000 real JaQuAD questions,
over segments built by worker processes and rolled over, after deletes, updates, in-writer
replacements, Whoosh's merges of small segments, and after an optimize.

Pruning (MaxScore, :func:`mofasearch.search.rank`) is allowed for every query here, not only
for those with very many postings as by default, so the pruned path is what is checked;
``tests/test_search_pruning.py`` checks it gives the same pages as scoring every posting.

Exact means: the top-10 scores equal within 1e-6, and every returned section has that score
under the reference path too (so the two top-10 lists differ at most by the order of exact
ties). The reference scores every matching section in Python, so the corpus is the passages
the questions need plus others, 3,000 in all.
"""

from __future__ import annotations

import dataclasses

import pytest

from mofasearch import Index, segbuild, writer
from mofasearch import search as search_module
from mofasearch.errors import QuerySyntaxError
from mofasearch.search import SearchRequest, reference_search

pytestmark = pytest.mark.slow

QUESTIONS = 1000
PASSAGES = 3000


@pytest.fixture(scope="module")
def jaquad(data):
    from benchmarks.data import load_set

    qset = load_set(data, "jaquad")
    questions = qset.questions[:QUESTIONS]
    needed = {pid for q in questions for pid in q.relevant}
    chosen = [p for p in qset.passages if p.id in needed]
    chosen += [p for p in qset.passages if p.id not in needed][: PASSAGES - len(chosen)]
    return chosen, [q.text for q in questions]


def _documents(passages):
    from benchmarks.engines.mofa import documents

    return list(documents(passages))


def _compare(ix: Index, questions: list[str]) -> int:
    """Asserts fast == reference for each question; returns how many had hits."""
    compared = 0
    for question in questions:
        try:
            fast = ix.search(question, limit=10, group_by_document=False)
        except QuerySyntaxError:
            continue
        if fast.total == 0:
            # nothing matches (e.g. an AND of phrases): reference_search would pass Whoosh an
            # empty filter, which Whoosh reads as no filter at all, so there is nothing to compare
            continue
        snap = ix._acquire()
        try:
            request = SearchRequest(question, group_by_document=False)
            ref = reference_search(snap, snap.schema, request, ix.ranking)
        finally:
            snap.release()
        got = [(h.section_id, h.score) for h in fast if h.score > 0]
        want = ref[:10]
        assert len(got) == len(want), question
        assert [s for _, s in got] == pytest.approx([s for _, s in want], abs=1e-6), question
        scores = dict(ref)
        for sid, score in got:
            assert scores.get(sid, -1.0) == pytest.approx(score, abs=1e-6), (question, sid)
        compared += bool(got)
    return compared


def test_fast_path_equals_reference_on_jaquad(jaquad, tmp_path, monkeypatch):
    passages, questions = jaquad
    docs = _documents(passages)
    # several segments per worker, so roll-over and multi-segment statistics are exercised
    monkeypatch.setattr(segbuild, "ROLL_POSTINGS", 150_000)
    monkeypatch.setattr(writer, "PARALLEL_MIN_SECTIONS", 64)
    monkeypatch.setattr(search_module, "PRUNE_MIN_POSTINGS", 0)
    with Index.create(tmp_path / "ix") as ix:
        with ix.writer(jobs=2) as w:
            for doc in docs:
                w.add(doc)
        assert ix.stats()["sections"] == len(passages)
        assert ix.stats()["segments"] >= 4

        # updates, deletes and replacements of documents already handed over
        with ix.writer() as w:
            for doc in docs[::10]:
                w.add(_changed(doc, "（改訂）"))
            for doc in docs[5::20]:
                w.delete(doc.id)
            for doc in docs[10:400:10]:
                w.add(_changed(doc, "（再改訂）"))
        deleted = {doc.id for doc in docs[5::20]}
        # many small commits: Whoosh merges the small segments they make
        for n in range(8):
            with ix.writer() as w:
                for doc in docs[1 + n * 7 : 8 + n * 7]:
                    w.add(_changed(doc, f"（小改訂{n}）"))
                    deleted.discard(doc.id)
        assert ix.stats()["sections"] == len(passages) - len(deleted)
        assert _compare(ix, questions) >= 0.9 * len(questions)

        ix.optimize()
        assert ix.stats()["segments"] == 1
        assert _compare(ix, questions[:300]) >= 0.9 * 300


def _changed(doc, note):
    sections = [dataclasses.replace(s, text=s.text + note) for s in doc.sections]
    return dataclasses.replace(doc, sections=sections)
