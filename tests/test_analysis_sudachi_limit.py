"""Sudachi's input limit applies to the text after its own normalization, which can be longer.

Sudachi rewrites some characters before it segments (㍿ -> 株式会社, ㌔ -> キロ), and refuses
an input whose rewritten form is over its byte limit. A piece of text within the limit as
written must still be analyzed, not dropped with the words around it.
"""

from __future__ import annotations

from mofasearch import Document, Index, Section
from mofasearch.analysis import analyze, bigram_analyzer, japanese_analyzer, reading_analyzer
from mofasearch.analysis.fastpath import index_plan, span_plan

#: under the chunk size as written (33,000 UTF-8 bytes), over Sudachi's limit once rewritten
SQUARED = "㍿" * 11_000
TEXT = "日露首脳会談が行われた。" + SQUARED + "京都議定書を批准した。"


def test_text_that_grows_in_sudachi_is_still_analyzed() -> None:
    units = analyze(TEXT)
    assert "".join(u.surface for u in units) == TEXT
    terms = {term for u in units for term in u.terms}
    assert {"日露", "首脳", "会談", "京都", "議定書", "批准", "株式会社"} <= terms


def test_the_fast_paths_agree_with_the_chains_on_such_text() -> None:
    for analyzer in (japanese_analyzer(), reading_analyzer(), bigram_analyzer()):
        plan, spans = index_plan(analyzer), span_plan(analyzer)
        assert plan is not None and spans is not None
        tokens = analyzer(TEXT, chars=True, positions=False, removestops=False, mode="index")
        assert spans(TEXT) == [(t.startchar, t.endchar, t.text) for t in tokens]
    positions = index_plan(japanese_analyzer())(TEXT)  # type: ignore[misc]
    assert positions["京都"] and positions["批准"]
    assert index_plan(reading_analyzer())(TEXT)["キョウト"] == 1  # type: ignore[misc]


def test_such_a_section_is_found_by_every_word() -> None:
    with Index.in_memory() as ix:
        with ix.writer() as w:
            w.add(Document(id="d", title="議事録", sections=[Section(text=TEXT)]))
        for query in ("日露", "京都議定書", "批准"):
            hits = list(ix.search(query))
            assert [h.doc_id for h in hits] == ["d"], query
            assert hits[0].snippet.spans, query
        assert [h.doc_id for h in ix.search("きょうと")] == ["d"]  # by the reading of 京都
