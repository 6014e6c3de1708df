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


def test_a_bigram_only_match_is_highlighted_and_word_matches_skip_the_bigram_pass(tmp_path, corpus):
    with _index(tmp_path, corpus) as ix:
        # シーアイランドサミット is one unknown word; the text writes シーアイランド・サミット
        hits = list(ix.search("シーアイランドサミット", group_by_document=False, limit=20))
        marked = {h.snippet.text[a:b] for h in hits for a, b in h.snippet.spans}
        assert any("シーアイランド" in m for m in marked), marked
        # a word match is marked as the word, not as the overlapping bigrams around it
        hit = next(iter(ix.search("京都議定書")))
        assert {hit.snippet.text[a:b] for a, b in hit.snippet.spans} <= {
            "京都議定書",
            "京都",
            "議定書",
        }


def test_a_kana_query_is_highlighted_deep_in_a_long_section(tmp_path):
    from mofasearch import Document, Section
    from mofasearch.snippets import ANALYZE_LIMIT

    filler = "会合では経済協力と人的交流の拡大について意見交換を行った。" * 60  # 1,740 chars
    texts = {
        "deep": filler + "首脳は京都で会談した。" + filler,
        "beyond": filler * 3 + "首脳は京都で会談した。",
    }
    assert len(filler) * 3 > ANALYZE_LIMIT
    with Index.create(tmp_path / "ix") as ix:
        with ix.writer() as w:
            for doc_id, text in texts.items():
                w.add(Document(id=doc_id, title="会合", sections=[Section(text=text)]))
        hits = {h.doc_id: h for h in ix.search("きょうと", limit=5)}
        assert set(hits) == {"deep", "beyond"}
        deep = hits["deep"].snippet
        assert {deep.text[a:b] for a, b in deep.spans} == {"京都"}
        # past ANALYZE_LIMIT characters the reading is not looked for: the section's start
        beyond = hits["beyond"].snippet
        assert beyond.spans == () and beyond.text.startswith("会合では")
