"""Invisible characters inside words (zero-width space and joiners, BOM, soft hyphen, bidi
marks, variation selectors) are not shown to Sudachi, and offsets stay exact."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mofasearch import Document, Index, Section
from mofasearch.analysis import analyze, bigram_analyzer, japanese_analyzer, reading_analyzer
from mofasearch.analysis.fastpath import bigram_counts, bigram_spans, index_plan, span_plan
from mofasearch.analysis.normalize import IGNORABLE_CHARS, strip_ignorable

IVS = "\U000e0100"  # VARIATION SELECTOR-17: 葛󠄀 is 葛 + IVS, as in 葛󠄀飾区 and 葛󠄀城市


def test_strip_ignorable_maps_each_boundary_back() -> None:
    assert strip_ignorable("日露首脳会談") == ("日露首脳会談", None)
    clean, where = strip_ignorable("\u200b京都\u200b\u200d議定書\ufeff")
    assert clean == "京都議定書"
    # invisible characters belong to the piece before the next visible one; 0 and the end
    # map to 0 and the end
    assert where == [0, 2, 5, 6, 7, 9]


def test_a_variation_selector_does_not_cut_the_word() -> None:
    text = f"葛{IVS}飾区の区長と葛{IVS}城市で会談した。"
    units = analyze(text)
    assert [(u.surface, u.terms) for u in units[:1]] == [(f"葛{IVS}飾区", ("葛飾区", "葛飾", "区"))]
    assert ("葛城市", "葛城", "市") in [u.terms for u in units]
    for u in units:
        assert text[u.start : u.end] == u.surface


def test_zero_width_characters_are_never_terms() -> None:
    text = "京都\u200b議定書と東京\u200d都と北方\u00ad領土と\ufeff日露\u2060首脳"
    terms = {term for u in analyze(text) for term in u.terms}
    assert {"京都", "議定書", "東京都", "北方領土", "日露", "首脳"} <= terms
    assert not any(c in IGNORABLE_CHARS for term in terms for c in term), terms


def test_a_bidi_mark_does_not_make_punctuation_a_term() -> None:
    # from JaQuAD passage フェズ#0: a left-to-right mark after Arabic, then 、
    text = "フェズ(アラビア語:فـاس\u200e、Fez、Fès)はアフリカ"
    units = analyze(text)
    assert "".join(u.surface for u in units) == text
    assert [u for u in units if "、" in u.surface and u.terms] == []


def test_bigrams_skip_invisible_characters_with_exact_offsets() -> None:
    text = f"葛{IVS}飾区"
    got = [(t.text, t.startchar, t.endchar) for t in bigram_analyzer()(text, chars=True)]
    assert got == [("葛飾", 0, 3), ("飾区", 2, 4)]
    assert bigram_spans(text) == [(s, e, t) for t, s, e in got]
    assert bigram_counts(text) == {"葛飾": 1, "飾区": 1}
    assert bigram_counts("\u200b") == {}


def test_search_finds_highlights_and_phrases_across_invisible_characters() -> None:
    docs = {
        "ivs": f"葛{IVS}飾区の区長と会談した。",
        "zwsp": "京都\u200b議定書の早期批准を要望した。",
        "zwj": "東京\u200d都の知事と会談した。",
    }
    with Index.in_memory() as ix:
        with ix.writer() as w:
            for doc_id, text in docs.items():
                w.add(Document(id=doc_id, title="会談", sections=[Section(text=text)]))
        for query, doc_id, marked in [
            ("葛飾", "ivs", f"葛{IVS}飾"),
            ('"京都議定書"', "zwsp", "京都\u200b議定書"),
            ("東京都", "zwj", "東京\u200d都"),
        ]:
            hits = list(ix.search(query))
            assert [h.doc_id for h in hits][:1] == [doc_id], query
            snippet = hits[0].snippet
            assert [snippet.text[a:b] for a, b in snippet.spans] == [marked], query


_WORDS = [
    "日露",
    "首脳会談",
    "北方領土",
    "京都議定書",
    "葛飾区",
    "の",
    "を",
    "。",
    "、",
    "ＡＰＥＣ",
]
_INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u00ad", "\ufeff", "\u2060", "\u200e", "\ufe0f", IVS]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.sampled_from(_WORDS), st.lists(st.sampled_from(_INVISIBLE), max_size=2)),
        min_size=1,
        max_size=12,
    ),
    st.data(),
)
def test_invisible_characters_change_no_term_and_keep_offsets(parts, data) -> None:  # type: ignore[no-untyped-def]
    # invisible characters inserted anywhere in a visible text
    visible = "".join(word for word, _ in parts)
    text = ""
    for word, invisible in parts:
        at = data.draw(st.integers(0, len(word)))
        text += word[:at] + "".join(invisible) + word[at:]
    main = japanese_analyzer()

    def terms(analyzer, value):  # type: ignore[no-untyped-def]
        return [(t.text, t.pos) for t in analyzer(value, positions=True, mode="index")]

    for analyzer in (main, reading_analyzer()):
        assert terms(analyzer, text) == terms(analyzer, visible)
    assert index_plan(main)(text) == index_plan(main)(visible)  # type: ignore[misc]
    assert bigram_counts(text) == bigram_counts(visible)
    units = analyze(text)
    assert "".join(u.surface for u in units) == text
    assert [u.terms for u in units] == [u.terms for u in analyze(visible)]
    for start, end, _ in span_plan(main)(text):  # type: ignore[misc]
        assert 0 <= start < end <= len(text)
