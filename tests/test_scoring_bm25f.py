"""BM25F over the word fields: the formula, its limits, and the fast path against Whoosh."""

from __future__ import annotations

import pytest

from mofasearch import Document, Index, Section, load
from mofasearch.scoring import PER_FIELD_WEIGHTS, RankingConfig, contributions, rsj_idf
from tests.test_scoring import QUERIES, assert_same_rankings

DOCS = [
    Document("a", "京都議定書", [Section("京都議定書の批准について協議した。", "批准", id="a#1")]),
    Document("b", "首脳会談", [Section("京都議定書と京都議定書の発効を話した。", id="b#1")]),
    Document("c", "首脳会談", [Section("経済協力を確認した。" * 4, id="c#1")]),
    Document("d", "経済", [Section("エネルギー協力と経済の発展。", "経済協力", id="d#1")]),
]


@pytest.fixture
def small():
    ix = Index.in_memory()
    with ix.writer() as w:
        for doc in DOCS:
            w.add(doc)
    yield ix
    ix.close()


@pytest.fixture(scope="module")
def corpus_index(corpus, tmp_path_factory):
    ix = Index.create(tmp_path_factory.mktemp("bm25f") / "ix")
    with ix.writer() as w:
        for doc in load(corpus):
            w.add(doc)
    yield ix
    ix.close()


def _scores(ix, query, config):
    res = ix.search(query, group_by_document=False, limit=100, ranking=config)
    return {h.section_id: h.score for h in res}


def _expected(ix, query, config):
    """The BM25F formula computed by hand from Whoosh's reader (lengths, postings, stats),
    summed over the query's terms."""
    terms = {t.text for t in ix.schema["body"].analyzer(query, mode="query")}
    out = {}
    for term in terms:
        for sid, score in _expected_term(ix, term, config).items():
            out[sid] = out.get(sid, 0.0) + score
    return out


def _expected_term(ix, term, config):
    snap = ix._acquire()
    try:
        reader = snap.searcher.reader()
        k1 = config.bm25f_k1
        combined = {}
        for name in ("title", "heading", "body"):
            if config.weight(name) <= 0 or (name, term) not in reader:
                continue
            avgfl = snap.searcher.avg_field_length(name)
            b = config.field_b(name)
            for doc, tf in reader.postings(name, term).items_as("frequency"):
                norm = (1 - b) + b * reader.doc_field_length(doc, name) / avgfl
                combined[doc] = combined.get(doc, 0.0) + config.weight(name) * tf / norm
        if not combined:
            return {}
        idf = rsj_idf(reader.doc_count_all(), len(combined))
        return {
            snap.stored_fields(doc)["section_id"]: idf * x * (k1 + 1) / (x + k1)
            for doc, x in combined.items()
        }
    finally:
        snap.release()


def test_one_saturation_per_term_over_the_fields(small):
    # the formula by hand has no query weights (question words, parts of speech) and scores
    # the query's units only (京都議定書, not also its sub-units 京都 and 議定書)
    config = RankingConfig(
        weights={"title": 2.0, "heading": 3.0, "body": 1.0},
        bm25f_k1=0.7,
        question_weight=1.0,
        pos_weights={},
        query_subunits=False,
    )
    got = _scores(small, "京都議定書", config)
    expected = _expected(small, "京都議定書", config)
    assert got.keys() == expected.keys()
    assert {"a#1", "b#1"} <= got.keys()
    for sid, score in got.items():
        assert score == pytest.approx(expected[sid], abs=1e-9)


def test_a_term_in_several_fields_saturates_once(small):
    config = RankingConfig(weights={"title": 2.0, "heading": 3.0, "body": 1.0}, bm25f_k1=0.7)
    # 協議 is in a#1's body only; 批准 in its heading and body: each at most idf * (k1 + 1)
    for term in ("批准", "協議"):
        score = _scores(small, term, config)["a#1"]
        assert score == pytest.approx(_expected(small, term, config)["a#1"], abs=1e-9)
        assert score < rsj_idf(4, 1) * (0.7 + 1)


def test_title_and_body_do_not_add_two_saturated_scores(small):
    fused = RankingConfig(weights={"title": 1.0, "body": 1.0}, bm25f_k1=0.5)
    summed = RankingConfig(
        weights={"title": 1.0, "body": 1.0}, bm25f=False, k1={"title": 0.5, "body": 0.5}
    )
    # the title+body section is ahead under both, but the per-field sum counts it twice
    both = _scores(small, "京都議定書", fused)["a#1"]
    twice = _scores(small, "京都議定書", summed)["a#1"]
    assert both < twice


def test_one_field_is_plain_bm25(corpus_index):
    """With the body alone, BM25F is BM25 of the body with the same k1 and b."""
    fused = RankingConfig(weights={"body": 1.0}, bm25f_k1=0.9, b={"body": 0.6})
    plain = RankingConfig(weights={"body": 1.0}, bm25f=False, k1={"body": 0.9}, b={"body": 0.6})
    for query in QUERIES:
        a, b = _scores(corpus_index, query, fused), _scores(corpus_index, query, plain)
        assert a.keys() == b.keys(), query
        for sid in a:
            assert a[sid] == pytest.approx(b[sid], abs=1e-9), query


def test_field_shares_sum_to_the_term_score(corpus_index):
    config = corpus_index.ranking
    snap = corpus_index._acquire()
    try:
        totals = {}
        for name in ("title", "heading", "body"):
            ids, parts = contributions(snap, name, "協力", config)
            for doc, part in zip(ids.tolist(), parts.tolist(), strict=True):
                totals[doc] = totals.get(doc, 0.0) + part
        assert len(totals) > 3
        sid = {d: snap.stored_fields(d)["section_id"] for d in totals}
    finally:
        snap.release()
    expected = _expected_term(corpus_index, "協力", config)
    assert {sid[d]: s for d, s in totals.items()} == pytest.approx(expected, abs=1e-9)


def test_fast_path_equals_reference_per_field_sum(corpus_index):
    config = RankingConfig(weights=dict(PER_FIELD_WEIGHTS), bm25f=False)
    assert_same_rankings(corpus_index, config)


def test_fast_path_equals_reference_bm25f_other_settings(corpus_index):
    config = RankingConfig(
        weights={"title": 4.0, "heading": 1.0, "body": 1.0, "bigram": 0.2},
        b={"body": 0.3, "heading": 0.9},
        bm25f_k1=1.4,
    )
    assert_same_rankings(corpus_index, config)


def test_default_weights_follow_the_scoring_model():
    from mofasearch.scoring import DEFAULT_WEIGHTS

    assert RankingConfig().weights == tuple(sorted(DEFAULT_WEIGHTS))
    assert RankingConfig(bm25f=False).weights == tuple(sorted(PER_FIELD_WEIGHTS))
    assert RankingConfig(bm25f=False, weights={"body": 1}).weights == (("body", 1.0),)
