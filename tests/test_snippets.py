"""Snippets with the real Japanese analyzer: exact spans, sentence fragments, escaping, speed."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.analysis import NgramAnalyzer

from mofasearch.analysis import japanese_analyzer
from mofasearch.snippets import MAX_SENTENCE, Snippet, make_snippet, sentences

PAGE_2004 = "2004-06-10_sea-island-summit_japan-russia-summit.txt"


@pytest.fixture(scope="module")
def analyzer():  # type: ignore[no-untyped-def]
    return japanese_analyzer()


@pytest.fixture(scope="module")
def page(corpus: Path) -> str:
    return (corpus / PAGE_2004).read_text(encoding="utf-8")


def marked(snippet: Snippet) -> list[str]:
    return [snippet.text[s:e] for s, e in snippet.spans]


def test_highlights_kyoto_protocol_in_the_2004_page(analyzer, page: str) -> None:  # type: ignore[no-untyped-def]
    snippet = make_snippet(page, {"京都", "議定書"}, analyzer)
    assert marked(snippet)
    assert all(text == "京都議定書" for text in marked(snippet))
    assert len(snippet.text) <= 120 + 2 * len("…") + 40  # one sentence may run past the budget
    assert "京都議定書" in snippet.text


def test_fullwidth_digits_match_the_folded_term(analyzer) -> None:  # type: ignore[no-untyped-def]
    text = "前文。\n２００５年に日露両国がそれぞれ記念行事を開催する。"
    snippet = make_snippet(text, {"2005"}, analyzer)
    assert marked(snippet) == ["２００５"]
    assert snippet.text.startswith("２００５年に") or "２００５年に" in snippet.text


def test_html_escapes_and_marks(analyzer) -> None:  # type: ignore[no-untyped-def]
    snippet = make_snippet("<script>alert('x')</script>を京都で", {"京都"}, analyzer)
    out = snippet.html()
    assert "<script>" not in out
    assert "&lt;script&gt;" in out
    assert "<mark>京都</mark>" in out
    assert Snippet("a<b", ((0, 1),)).html() == "<mark>a</mark>&lt;b"
    assert Snippet('"&"').html() == "&quot;&amp;&quot;"


def test_without_matches_the_start_of_the_text_is_shown(analyzer) -> None:  # type: ignore[no-untyped-def]
    text = "最初の文です。次の文です。" + "長い文。" * 100
    snippet = make_snippet(text, {"存在しない語"}, analyzer, size=20)
    assert snippet.spans == ()
    assert snippet.text.startswith("最初の文です。次の文です。")
    assert len(snippet.text) <= 20


def test_fragments_choose_sentences_with_the_most_distinct_terms(analyzer) -> None:  # type: ignore[no-untyped-def]
    text = (
        "京都の話をする。\n関係のない文がここにある。\n"
        "京都議定書の批准について協議した。\n別の話題。\n"
        "プーチン大統領が訪日した。"
    )
    snippet = make_snippet(text, {"京都", "議定書", "批准", "プーチン"}, analyzer, size=40)
    assert "京都議定書の批准" in snippet.text
    assert "プーチン" in snippet.text
    assert "…" in snippet.text  # the two fragments are not contiguous
    assert "関係のない文" not in snippet.text
    assert set(marked(snippet)) == {"京都議定書", "批准", "プーチン"}


def test_whitespace_is_collapsed_and_spans_stay_exact(analyzer) -> None:  # type: ignore[no-untyped-def]
    text = "  日露\n\n   関係 。\t\t京都議定書\u3000\u3000を批准"
    snippet = make_snippet(text, {"京都", "議定書", "批准"}, analyzer, size=200)
    assert "\n" not in snippet.text and "\t" not in snippet.text and "  " not in snippet.text
    assert marked(snippet) == ["京都議定書", "批准"]


def test_long_sentence_is_cut_around_its_match(analyzer) -> None:  # type: ignore[no-untyped-def]
    text = "あ" * 300 + "京都議定書" + "い" * 300
    snippet = make_snippet(text, {"京都", "議定書"}, analyzer, size=60)
    assert snippet.text.startswith("…") and snippet.text.endswith("…")
    assert marked(snippet) == ["京都議定書"]
    assert len(snippet.text) <= 62


def test_extra_analyzer_highlights_bigram_only_matches(analyzer) -> None:  # type: ignore[no-untyped-def]
    text = "完全な非核化に向けて協力する。"
    bigrams = NgramAnalyzer(2)
    plain = make_snippet(text, {"存在しない"}, analyzer)
    assert plain.spans == ()
    snippet = make_snippet(text, {"存在しない"}, analyzer, also=[(bigrams, {"核化", "非核"})])
    assert marked(snippet) == ["非核化"]  # overlapping bigram spans merge into one


def test_sentences_split_at_japanese_sentence_ends() -> None:
    text = "一つ目。二つ目！「三つ目？」\n四つ目\n\n五つ目"
    parts = [text[s:e] for s, e in sentences(text)]
    assert parts == ["一つ目。", "二つ目！", "「三つ目？」", "四つ目", "五つ目"]
    long = "あ" * (3 * MAX_SENTENCE)
    assert all(e - s <= MAX_SENTENCE for s, e in sentences(long))
    assert "".join(long[s:e] for s, e in sentences(long)) == long


def test_a_long_section_is_fast(analyzer, page: str) -> None:  # type: ignore[no-untyped-def]
    text = page * 50  # over 100,000 characters
    make_snippet(page, {"京都"}, analyzer)  # load the dictionary outside the timing
    began = time.perf_counter()
    for terms in ({"京都", "議定書"}, {"2005"}, {"存在しない"}):
        snippet = make_snippet(text, terms, analyzer)
        assert snippet.text
    assert (time.perf_counter() - began) / 3 < 0.25


PIECES = [
    "京都",
    "議定書",
    "２００５",
    "2005",
    "。",
    "！",
    "\n",
    " ",
    "\u3000",
    "<b>",
    "&",
    "北方領土",
]
texts = st.lists(st.sampled_from(PIECES) | st.text(max_size=4), max_size=60).map("".join)


@settings(max_examples=150, deadline=None)
@given(
    text=texts,
    terms=st.sets(st.sampled_from(["京都", "議定書", "2005", "北方領土", "北方", "b", "&"])),
    size=st.integers(1, 200),
    fragments=st.integers(1, 3),
)
def test_spans_are_sorted_disjoint_and_inside_the_text(
    analyzer,  # type: ignore[no-untyped-def]
    text: str,
    terms: set[str],
    size: int,
    fragments: int,
) -> None:
    snippet = make_snippet(text, terms, analyzer, size=size, max_fragments=fragments)
    previous_end = 0
    for start, end in snippet.spans:
        assert previous_end <= start < end <= len(snippet.text)
        assert snippet.text[start:end].strip()
        previous_end = end
    if text.strip():
        assert snippet.text


def test_fallback_chains_run_only_when_nothing_else_matched(analyzer) -> None:  # type: ignore[no-untyped-def]
    from whoosh.analysis import NgramAnalyzer

    bigrams = [(NgramAnalyzer(2), {"核化", "非核", "京都"})]
    text = "京都で会合。完全な非核化に向けて協議した。"
    alone = make_snippet(text, {"存在しない"}, analyzer, fallback=bigrams)
    assert marked(alone) == ["京都", "非核化"]
    with_word = make_snippet(text, {"京都"}, analyzer, fallback=bigrams)
    assert marked(with_word) == ["京都"]  # the word matched: no bigram pass
