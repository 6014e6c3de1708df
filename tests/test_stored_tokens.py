"""The body tokens stored beside each section's text, read back by snippets instead of Sudachi."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mofasearch.snippets as snippets
from mofasearch import Index, load, schema
from mofasearch.analysis.fastpath import span_plan
from mofasearch.snippets import pack_spans, unpack_spans

QUERIES = [
    "京都議定書",
    "日露修好150周年",
    "にちろ",
    "２００５年",
    "プーチン大統領",
    "北方領土問題",
]


def unpacked(text: str, packed: object) -> list[tuple[int, int, str]]:
    tokens = unpack_spans(text, packed)
    assert tokens is not None
    return [
        (s, e, t or text[s:e])
        for s, e, t in zip(tokens.starts.tolist(), tokens.ends.tolist(), tokens.terms, strict=True)
    ]


@st.composite
def texts_and_tokens(draw: st.DrawFn) -> tuple[str, list[tuple[int, int, str]]]:
    text = draw(st.text(min_size=1, max_size=80))
    # long texts too, so offsets need 16- and 32-bit arrays
    text = text * draw(st.sampled_from([1, 1, 1000, 70_000 // len(text) + 1]))
    tokens = []
    for _ in range(draw(st.integers(0, 30))):
        start = draw(st.integers(0, len(text) - 1))
        end = draw(st.integers(start + 1, min(len(text), start + 300)))
        # a term is usually the surface itself, sometimes a normalized form
        term = draw(st.one_of(st.just(text[start:end]), st.text(min_size=1, max_size=5)))
        tokens.append((start, end, term))
    return text, tokens


@settings(max_examples=200, deadline=None)
@given(texts_and_tokens())
def test_packed_tokens_come_back_in_start_order(
    case: tuple[str, list[tuple[int, int, str]]],
) -> None:
    text, tokens = case
    packed = pack_spans(text, tokens)
    if any("\x1f" in term and term != text[s:e] for s, e, term in tokens):
        assert packed is None  # such a section is analyzed at query time
        return
    back = unpacked(text, packed)
    assert sorted(back) == sorted(tokens)
    assert [s for s, _, _ in back] == sorted(s for s, _, _ in tokens)


def test_values_not_written_by_pack_spans_are_refused() -> None:
    text = "京都議定書を批准した。"
    good = pack_spans(text, [(0, 2, "京都"), (2, 5, "議定書")])
    assert good is not None
    assert unpacked(text, good) == [(0, 2, "京都"), (2, 5, "議定書")]
    assert unpack_spans(text, (99, *good[1:])) is None  # another layout
    assert unpack_spans(text, "not a packed value") is None
    assert unpack_spans(text, (good[0], "q", good[2], good[3])) is None  # bytes do not fit
    assert unpack_spans(text, (good[0], "d", bytes(16), "")) is None  # not an offset type
    assert unpack_spans(text, (*good[:3], None)) is None  # terms not text
    assert unpack_spans(text, (*good[:3], "京都")) is None  # fewer terms than tokens
    assert unpack_spans(text[:3], good) is None  # offsets past the end of the text


def test_with_stored_tokens_a_match_only_through_normalization_is_found_anywhere() -> None:
    """No sentence holds the query's term verbatim (附属 is indexed as 付属), so the sentences
    are chosen again from matches; with the body's tokens stored, from the whole text, not
    only the candidate sentences analyzed from its beginning."""
    from mofasearch.analysis import japanese_analyzer
    from mofasearch.snippets import ANALYZE_FALLBACK, make_snippet

    analyzer = japanese_analyzer()
    text = (
        "会議を開いた。" * (ANALYZE_FALLBACK // 7 + 20) + "附属病院に行く。" + "会議を開いた。" * 5
    )
    plan = span_plan(analyzer)
    assert plan is not None
    snippet = make_snippet(text, {"付属"}, analyzer, tokens=pack_spans(text, plan(text)))
    assert [snippet.text[a:b] for a, b in snippet.spans] == ["附属"]
    assert "附属病院に行く。" in snippet.text


def _build(path: Path, corpus: Path) -> Index:
    ix = Index.create(path)
    with ix.writer() as w:
        for doc in load(corpus):
            w.add(doc)
    return ix


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, corpus: Path) -> Path:
    path = tmp_path_factory.mktemp("stored") / "ix"
    _build(path, corpus).close()
    return path


def test_each_section_stores_its_body_tokens_as_the_body_chain_makes_them(built: Path) -> None:
    with Index.open(built) as ix:
        plan = span_plan(ix.schema["body"].analyzer)
        assert plan is not None
        seen = 0
        for query in QUERIES:
            for hit in ix.search(query, limit=20, group_by_document=False):
                if not hit.text:  # a heading-only section: nothing to store
                    assert hit._tokens is None
                    continue
                assert sorted(unpacked(hit.text, hit._tokens)) == sorted(plan(hit.text))
                seen += 1
        assert seen > 20


def test_snippets_read_the_stored_tokens_and_mark_what_analysis_would(
    built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Index.open(built) as ix:
        hits = [h for q in QUERIES for h in ix.search(q, limit=10, group_by_document=False)]
        analyzed = [h._snippet_maker(h.text, None) for h in hits]  # type: ignore[misc]
        assert sum(len(s.spans) for s in analyzed) > 20
        body = ix.schema["body"].analyzer
        original = snippets._analyzed

        def no_body_analysis(text, start, end, analyzer, terms, primary):  # type: ignore[no-untyped-def]
            assert analyzer is not body, "the body was analyzed although its tokens are stored"
            return original(text, start, end, analyzer, terms, primary)

        monkeypatch.setattr(snippets, "_analyzed", no_body_analysis)
        stored = [h._snippet_maker(h.text, h._tokens) for h in hits]  # type: ignore[misc]
        assert [h.snippet for h in hits] == stored
    # whole sentences are shown here, so the stored tokens mark exactly what analysis marks
    assert stored == analyzed


def test_stored_tokens_survive_a_merge_and_an_update(tmp_path: Path, corpus: Path) -> None:
    docs = list(load(corpus))
    with Index.create(tmp_path / "ix") as ix:
        for doc in docs:  # one segment per document
            with ix.writer() as w:
                w.add(doc)
        with ix.writer() as w:
            w.add(docs[0])  # replaced: its sections are written again
        ix.optimize()
        plan = span_plan(ix.schema["body"].analyzer)
        assert plan is not None
        hits = list(ix.search("日露", limit=50, group_by_document=False))
        assert {h.doc_id for h in hits} >= {docs[0].id}
        for hit in hits:
            if hit.text:  # heading-only sections store nothing
                assert sorted(unpacked(hit.text, hit._tokens)) == sorted(plan(hit.text))


def test_an_index_written_before_stored_tokens_still_highlights(
    tmp_path: Path, corpus: Path, built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sections written without ``text_spans`` (an index from before them) are searched and
    highlighted as before, by analyzing the shown text; opened by this code, the index stores
    the tokens of the sections written from then on."""
    import mofasearch.index as index_module

    def without_tokens():  # type: ignore[no-untyped-def]
        found = schema.build_schema()
        found.remove("text_spans")
        return found

    monkeypatch.setattr(index_module, "build_schema", without_tokens)
    _build(tmp_path / "old", corpus).close()
    monkeypatch.undo()
    with Index.open(tmp_path / "old") as old, Index.open(built) as new:
        for query in QUERIES:
            before = list(old.search(query, limit=10, group_by_document=False))
            after = list(new.search(query, limit=10, group_by_document=False))
            assert [h.section_id for h in before] == [h.section_id for h in after]
            assert all(h._tokens is None for h in before)
            assert [h.snippet for h in before] == [h.snippet for h in after]
        doc = next(iter(load(corpus)))
        with old.writer() as w:
            w.add(doc)
        hits = [h for h in old.search("日露", limit=50, group_by_document=False)]
        assert all(h._tokens is not None for h in hits if h.doc_id == doc.id and h.text)
        assert any(h.doc_id == doc.id for h in hits)
