"""Snippets of sections where NFKC folding changes the length of some character (℃, …, Ⅱ,
half-width katakana): the verbatim screening still finds folded terms, at the right offsets."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mofasearch.analysis import japanese_analyzer
from mofasearch.analysis.fastpath import span_plan
from mofasearch.snippets import ANALYZE_LIMIT, _folded_term, _verbatim, make_snippet, pack_spans

FILLER = "会合では経済協力と人的交流の拡大について意見交換を行った。"  # 29 characters


def marked(snippet):  # type: ignore[no-untyped-def]
    return [snippet.text[a:b] for a, b in snippet.spans]


def test_a_folded_term_deep_in_a_section_with_a_celsius_sign_is_found() -> None:
    # no stored tokens (an index written before them, or a chain of the caller's own): the
    # verbatim screening is all there is past ANALYZE_LIMIT characters
    text = "気温は30℃だった。" + FILLER * 200 + "首脳はＡＰＥＣで会談した。"
    assert len(FILLER) * 200 > ANALYZE_LIMIT
    snippet = make_snippet(text, {"apec"}, japanese_analyzer())
    assert marked(snippet) == ["ＡＰＥＣ"]
    assert snippet.text.startswith("首脳は")


def test_half_width_katakana_deep_in_a_section_is_found() -> None:
    text = FILLER * 200 + "ｶﾞｲﾑｼｮｳの会見があった。"
    snippet = make_snippet(text, {"ガイムショウ"}, japanese_analyzer())
    assert marked(snippet) == ["ｶﾞｲﾑｼｮｳ"]


def test_the_sentence_with_more_terms_is_chosen_despite_an_ellipsis() -> None:
    analyzer = japanese_analyzer()
    text = (
        "日露関係について述べた…。"
        + FILLER
        + "日露の協議を続けた。"
        + FILLER
        + "日露両首脳はＡＰＥＣで会談した。"
    )
    tokens = pack_spans(text, span_plan(analyzer)(text))  # type: ignore[misc]
    for stored in (tokens, None):
        snippet = make_snippet(
            text, {"日露", "apec"}, analyzer, size=60, max_fragments=1, tokens=stored
        )
        assert marked(snippet) == ["日露", "ＡＰＥＣ"], stored is None


_PIECES = ["日露", "ＡＰＥＣ", "２００５", "℃", "…", "ｶﾞｲﾑｼｮｳ", "㍻", "Ⅱ", "İ", "ﬁ", "。", "a"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=20), st.sampled_from(_PIECES))
def test_verbatim_hits_lie_on_the_text_they_fold_from(pieces: list[str], term: str) -> None:
    text = "".join(pieces)
    folded = _folded_term(term)
    hits = list(_verbatim(text, [term]))
    for start, end, found in hits:
        assert found == folded
        assert 0 <= start < end <= len(text)
        assert folded in _folded_term(text[start:end])
    if term in pieces and term not in "…㍻":  # these fold into characters others fold into
        assert hits
