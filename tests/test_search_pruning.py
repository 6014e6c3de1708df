"""The pruned ranking (MaxScore over whole posting arrays, :func:`mofasearch.search.rank`) gives
the page full scoring gives: the same sections, scores, other sections of each document,
totals and facets, grouped or not, on any page. ``tests/test_exactness.py`` checks the fast
path against Whoosh's own scoring; this checks pruning against the fast path without it, on
many more request shapes."""

from __future__ import annotations

import pytest

from mofasearch import Index, load
from mofasearch import search as search_module

REQUESTS = (
    {"limit": 10, "group_by_document": False},
    {"limit": 10},
    {"limit": 5, "offset": 7},
    {"limit": 3, "offset": 2, "group_by_document": False},
    {"limit": 1, "group_by_document": False},
)


def _full(snapshot, scored, candidates, request, factor=None):
    scores = search_module._dense(snapshot, scored)
    if factor is not None:
        scores = scores * factor
    return search_module.Ranking(scores, candidates, [], factor=factor)


def _page(results):
    return (
        results.total,
        dict(results.facets),
        [
            (
                hit.section_id,
                round(hit.score, 9),
                tuple((sid, round(score, 9)) for sid, _, _, score in hit.other_sections),
            )
            for hit in results
        ],
    )


def _compare(ix, queries, monkeypatch) -> tuple[int, int, int]:
    """Asserts pruned == full for every query and request; (pruned rankings, rankings, pruned
    rankings with an answer-type factor)."""
    real = search_module.rank
    seen = []
    factored = []

    def spy(snapshot, scored, candidates, request, factor=None):
        ranking = real(snapshot, scored, candidates, request, factor)
        seen.append(bool(ranking.pruned))
        factored.append(bool(ranking.pruned) and factor is not None)
        return ranking

    for query in queries:
        for kwargs in REQUESTS:
            monkeypatch.setattr(search_module, "rank", spy)
            pruned = _page(ix.search(query, **kwargs))
            monkeypatch.setattr(search_module, "rank", _full)
            full = _page(ix.search(query, **kwargs))
            assert pruned == full, (query, kwargs)
    monkeypatch.setattr(search_module, "rank", real)
    return sum(seen), len(seen), sum(factored)


def test_pruning_keeps_the_page_on_the_corpus(corpus, tmp_path, monkeypatch):
    # the corpus is small: prune whatever the number of postings, and follow only a question
    # matching fewer sections than a page with bigram-only sections (scored in full)
    monkeypatch.setattr(search_module, "PRUNE_MIN_POSTINGS", 0)
    monkeypatch.setattr(search_module, "FILL_UNITS", 10)
    with Index.create(tmp_path / "ix") as ix:
        with ix.writer() as w:
            for doc in load(corpus):
                w.add(doc)
        queries = [
            "日露関係の今後の課題",
            "京都議定書の批准について",
            "テロ対策での協力",
            "北朝鮮の核問題と拉致問題",
            "首脳会談で経済協力を話し合った",
            "エネルギー分野の協力",
            # questions asking for a kind of answer: scores times the answer-type factor
            "日露修好150周年の記念行事はいつ行われたか",
            "首脳会談で誰と経済協力を話し合ったか",
            "テロ対策の会合はどこで開かれたか",
        ]
        pruned, _, factored = _compare(ix, queries, monkeypatch)
    # (a question matching fewer than FILL_UNITS is scored in full: bigram-only sections follow)
    assert pruned > 0  # the comparison is not vacuous
    assert factored > 0


def test_pruning_keeps_the_page_on_jaquad(data, tmp_path, monkeypatch):
    from benchmarks.data import load_set
    from benchmarks.engines.mofa import documents

    monkeypatch.setattr(search_module, "PRUNE_MIN_POSTINGS", 0)
    qset = load_set(data, "jaquad")
    questions = [q.text for q in qset.questions[:150]]
    needed = {pid for q in qset.questions[:150] for pid in q.relevant}
    passages = [p for p in qset.passages if p.id in needed]
    passages += [p for p in qset.passages if p.id not in needed][: 1500 - len(passages)]
    with Index.create(tmp_path / "ix") as ix:
        with ix.writer() as w:
            for doc in documents(passages):
                w.add(doc)
        # two segments, one with deletions: bounds and point scores across segments
        with ix.writer() as w:
            for doc in list(documents(passages))[::9]:
                w.delete(doc.id)
        pruned, total, factored = _compare(ix, questions, monkeypatch)
    assert pruned > total // 3
    assert factored > total // 10  # JaQuAD: about half the questions ask for a kind of answer


@pytest.mark.parametrize("sort", ["date", "-date"])
def test_sorting_by_date_scores_every_match(corpus, tmp_path, monkeypatch, sort):
    """A date order breaks ties by score over all matches: nothing is pruned."""
    monkeypatch.setattr(search_module, "PRUNE_MIN_POSTINGS", 0)
    with Index.create(tmp_path / "ix") as ix:
        with ix.writer() as w:
            for doc in load(corpus):
                w.add(doc)
        res = ix.search("日露関係の今後の課題", sort=sort, group_by_document=False)
        monkeypatch.setattr(search_module, "rank", _full)
        full = ix.search("日露関係の今後の課題", sort=sort, group_by_document=False)
    assert _page(res) == _page(full)
    assert res.total > 0
