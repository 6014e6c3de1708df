"""Snippets mark the surface text a match came through, whatever chain made the match."""

from __future__ import annotations

from pathlib import Path

from mofasearch import Index, load


def _index(tmp_path: Path, corpus: Path) -> Index:
    ix = Index.create(tmp_path / "ix")
    with ix.writer() as w:
        for doc in load(corpus):
            w.add(doc)
    return ix


def test_a_kana_query_is_highlighted_on_the_kanji_it_matched(tmp_path, corpus):
    with _index(tmp_path, corpus) as ix:
        marked = [
            hit.snippet.text[a:b]
            for hit in ix.search("にちろ", limit=5)
            for a, b in hit.snippet.spans
        ]
        assert "日露" in marked
        hit = next(iter(ix.search("ぷーちん")))
        assert {hit.snippet.text[a:b] for a, b in hit.snippet.spans} == {"プーチン"}


def test_full_width_digits_are_highlighted_where_the_text_has_them(tmp_path, corpus):
    with _index(tmp_path, corpus) as ix:
        hit = next(iter(ix.search("２００５年")))
        assert "2005年" in {hit.snippet.text[a:b] for a, b in hit.snippet.spans}
