"""The indexing and highlighting fast paths give exactly what the Whoosh chains give.

The writer indexes through :mod:`mofasearch.analysis.fastpath` (plain loops over the morpheme
records) instead of Whoosh's token generators, and snippets take token spans the same way;
these tests hold both to the chains, on real passages and on awkward text.
"""

from __future__ import annotations

import pytest

from mofasearch.analysis.fastpath import bigram_counts, index_plan, span_plan
from mofasearch.schema import build_schema, side_analyzer
from mofasearch.segbuild import fast_schema

AWKWARD = [
    "",
    "a",
    "・",
    "ｶﾞｷﾞ・テスト ＡＢＣ　１２３ 三日月 ㍻ の は が",
    "北方領土問題 -- 日露 = 平和。シーアイランド・サミット",
    "２００５年に京都議定書が発効した。\n\n次の文です！",
    "ﾊﾝｶｸ ｶﾀｶﾅ と　全角スペース",
]


@pytest.fixture(scope="module")
def texts(data):
    from benchmarks.data import load_set

    qset = load_set(data, "jaquad")
    passages = qset.passages[:400]
    return [p.text for p in passages] + [p.title for p in passages[::9]] + AWKWARD


@pytest.fixture(scope="module")
def schema():
    return build_schema()


def _generic_counts(analyzer, text):
    counts: dict[str, int] = {}
    for token in analyzer(text, mode="index"):
        if token.text:
            counts[token.text] = counts.get(token.text, 0) + 1
    return counts


def test_positional_fields_index_as_whoosh_does(schema, texts):
    fast = fast_schema(schema)
    for name in ("title", "heading", "body"):
        assert fast[name].index is not schema[name].index  # the fast path is really taken
    for text in texts:
        assert sorted(fast["body"].index(text)) == sorted(schema["body"].index(text)), text[:40]


def test_side_fields_count_as_their_chains_do(texts):
    for name in ("bigram", "reading"):
        analyzer = side_analyzer(name)
        plan = index_plan(analyzer)
        assert plan is not None
        for text in texts:
            assert dict(plan(text)) == _generic_counts(analyzer, text), (name, text[:40])


@pytest.mark.parametrize("name", ["body", "reading", "bigram"])
def test_highlight_spans_are_the_chains_tokens(schema, texts, name):
    analyzer = schema["body"].analyzer if name == "body" else side_analyzer(name)
    spans = span_plan(analyzer)
    assert spans is not None
    for text in texts:
        tokens = analyzer(text, chars=True, positions=False, removestops=False, mode="index")
        expected = [(t.startchar, t.endchar, t.text) for t in tokens if t.endchar > t.startchar]
        assert spans(text) == expected, (name, text[:40])


def test_unknown_chains_take_the_generic_path():
    from whoosh.analysis import StandardAnalyzer

    from mofasearch.analysis import japanese_analyzer

    assert index_plan(StandardAnalyzer()) is None
    assert span_plan(StandardAnalyzer()) is None
    assert index_plan(japanese_analyzer(synonyms=())) is not None
    assert bigram_counts("日露関係") == {"日露": 1, "露関": 1, "関係": 1}
