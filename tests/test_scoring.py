"""The numpy fast path scores exactly as Whoosh's own searcher with the same BM25F model."""

from __future__ import annotations

import datetime
import os

import pytest

from mofasearch import Document, Index, Section, load
from mofasearch.impact import SUFFIX
from mofasearch.scoring import RankingConfig, bm25_tf, rsj_idf
from mofasearch.search import SearchRequest, reference_search

QUERIES = [
    "京都議定書",
    "日露関係の発展",
    "北方領土問題の解決",
    "プーチン大統領の訪日はいつ?",
    "テロ",
    "平和条約 OR 北朝鮮",
    "経済 -貿易",
    "title:日露 協力",
    '"平和条約"',
    "エネルギー協力",
    "にちろ",
    "非核",
    "支援委員会の廃止",
]


def _fast(ix, query, config):
    res = ix.search(query, group_by_document=False, limit=10, ranking=config)
    return [(h.section_id, h.score) for h in res if h.score > 0]


def _reference(ix, query, config):
    snap = ix._acquire()
    try:
        return reference_search(snap, snap.schema, SearchRequest(query), config)[:10]
    finally:
        snap.release()


def assert_same_rankings(ix, config=None):
    config = config or ix.ranking
    checked = 0
    for query in QUERIES:
        fast, ref = _fast(ix, query, config), _reference(ix, query, config)
        if not any(score for _, score in ref):
            continue
        assert [sid for sid, _ in fast] == [sid for sid, _ in ref], query
        for (_, a), (_, b) in zip(fast, ref, strict=True):
            assert a == pytest.approx(b, abs=1e-6), query
        checked += 1
    assert checked >= 8


def _extra_docs(n, tag="", start=0):
    return [
        Document(
            f"extra-{tag}{i}",
            f"日露協力の記録 {i}{tag}",
            [
                Section(
                    f"平和条約と北方領土問題について{i}回目の協議を行った。{tag}",
                    "協議",
                    "1",
                    ("協議",),
                ),
                Section(
                    "経済関係の発展とエネルギー協力を確認した。" * (1 + i % 3),
                    "経済",
                    "2",
                    ("経済",),
                ),
            ],
            date=datetime.date(2000 + i % 10, 1, 1 + i % 27),
            category="記録",
        )
        for i in range(start, start + n)
    ]


@pytest.fixture
def corpus_index(corpus, tmp_path):
    ix = Index.create(tmp_path / "ix")
    with ix.writer() as w:
        for doc in load(corpus):
            w.add(doc)
    yield ix
    ix.close()


def test_formulas():
    assert rsj_idf(10, 0) > rsj_idf(10, 5) > rsj_idf(10, 10) > 0
    assert bm25_tf(1.0, 10, 10, 1.2, 0.75) == pytest.approx(1.0)
    assert bm25_tf(3.0, 10, 10, 1.2, 0.0) == pytest.approx(3 * 2.2 / (3 + 1.2))


def test_fast_path_equals_whoosh_on_one_segment(corpus_index):
    assert_same_rankings(corpus_index)


def test_fast_path_equals_whoosh_with_other_weights(corpus_index):
    config = RankingConfig(
        weights={"title": 3.0, "body": 1.0, "bigram": 1.0}, k1={"body": 2.0}, b={"body": 0.2}
    )
    assert_same_rankings(corpus_index, config)


def test_equal_after_updates_deletes_and_merges(corpus_index):
    ix = corpus_index
    for round_ in range(12):  # many small commits: Whoosh merges small segments as they pile up
        with ix.writer() as w:
            for doc in _extra_docs(3, tag=f"r{round_}", start=round_):
                w.add(doc)
    with ix.writer() as w:
        w.delete("extra-r00")
        for doc in _extra_docs(2, tag="r1"):  # replaces two documents added earlier
            w.add(doc)
    assert ix.stats()["segments"] >= 2
    snap = ix._acquire()
    try:  # every segment, merged ones included, has its side-car postings
        assert all(cache.side is not None for _, _, cache in snap.leaves)
    finally:
        snap.release()
    assert_same_rankings(ix)
    ix.optimize()  # one segment, deleted sections dropped: BM25 statistics over live text only
    assert ix.stats()["segments"] == 1
    assert_same_rankings(ix)
    assert_side_scores(ix)  # bigram postings carried through merges, renumbered
    assert_side_scores(ix, "経済関係の発展")
    ids = set(ix.doc_ids())
    assert "extra-r00" not in ids and "extra-r10" in ids


def test_equal_without_side_car_postings(corpus_index):
    """A segment whose side-car file is lost still scores its Whoosh fields identically (read
    from Whoosh's postings); only the side-only fields (bigram, reading) go missing."""
    ix = corpus_index
    words_only = RankingConfig(weights={"title": 0.75, "heading": 1.5, "body": 1.0})
    before = {q: _fast(ix, q, words_only) for q in QUERIES}
    path = ix.path
    ix.close()
    removed = [name for name in os.listdir(path) if name.endswith(SUFFIX)]
    assert removed
    for name in removed:
        os.remove(path / name)
    with Index.open(path) as reopened:
        for query, ranking in before.items():
            after = _fast(reopened, query, words_only)
            assert [sid for sid, _ in after] == [sid for sid, _ in ranking], query
            assert [x for _, x in after] == pytest.approx([x for _, x in ranking], abs=1e-9)
        assert_same_rankings(reopened, words_only)
        bigrams_only = reopened.search("非核", ranking=RankingConfig(weights={"bigram": 1.0}))
        assert all(hit.score == 0 for hit in bigrams_only)


def test_side_only_fields_score_plain_bm25(corpus_index):
    """Bigram scores from the side-car equal BM25 computed directly from the texts."""
    assert_side_scores(corpus_index)


def assert_side_scores(ix, query="北方領土"):
    from mofasearch.writer import section_fields, side_counts

    docs = [ix.get(doc_id) for doc_id in ix.doc_ids()]
    counts = {}
    for d in docs:
        for ordinal, section in enumerate(d.sections):
            parts = section_fields(ix.schema, d, ordinal, section)["_side_parts"]
            counts[section.id] = side_counts("bigram", *parts)
    n = len(counts)
    avgfl = sum(sum(c.values()) for c in counts.values()) / n
    config = RankingConfig(weights={"bigram": 1.0}, k1={"bigram": 0.9}, b={"bigram": 0.6})
    query_terms = side_counts("bigram", query)
    expected = {}
    for term in query_terms:
        df = sum(1 for c in counts.values() if term in c)
        for sid, c in counts.items():
            if term in c:
                part = rsj_idf(n, df) * bm25_tf(c[term], sum(c.values()), avgfl, 0.9, 0.6)
                expected[sid] = expected.get(sid, 0.0) + part
    res = ix.search(query, group_by_document=False, limit=1000, ranking=config)
    got = {h.section_id: h.score for h in res}
    assert got and got.keys() <= expected.keys()
    for sid, score in got.items():
        assert score == pytest.approx(expected[sid], abs=1e-6)


def test_ties_break_by_section_id(tmp_path):
    ix = Index.in_memory()
    with ix.writer() as w:
        for name in ("c", "a", "b"):
            w.add(Document(name, "同じ題", [Section("同じ本文の京都議定書", id=f"{name}#x")]))
    res = ix.search("京都議定書", group_by_document=False)
    assert [h.section_id for h in res] == ["a#x", "b#x", "c#x"]
    assert len({h.score for h in res}) == 1
