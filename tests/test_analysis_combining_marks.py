"""Words of scripts Sudachi does not know are searchable, combining marks included.

Sudachi tags a run of characters its character table does not know as a symbol, which every
chain stops; the analysis records such a run of letters as a common noun instead. In Thai,
Arabic, Hebrew and the Indic scripts a word's vowel signs, tone marks and viramas are combining
marks (not letters to ``str.isalpha``), and they belong to the word.
"""

from __future__ import annotations

import pytest

from mofasearch import Document, Index, Section
from mofasearch.analysis import analyze

WORDS = ["น้ำ", "عَرَبِيّ", "שָׁלוֹם", "हिन्दी", "தமிழ்", "ញ៉ាំ"]


@pytest.mark.parametrize("word", WORDS)
def test_a_word_with_combining_marks_is_indexed(word: str) -> None:
    units = analyze(f"これは{word}です")
    found = [u for u in units if u.surface == word]
    assert found and not found[0].stopped and found[0].term
    assert found[0].part_of_speech[:2] == ("名詞", "普通名詞")


@pytest.mark.parametrize("text", ["😀", "🇯🇵", "\u0301", "・", "\x00"])
def test_symbols_and_lone_marks_stay_symbols(text: str) -> None:
    assert all(u.stopped for u in analyze(text))


def test_such_a_word_is_found_and_marked() -> None:
    with Index.in_memory() as ix:
        with ix.writer() as w:
            w.add(Document(id="d", title="タイ語", sections=[Section(text="水は「น้ำ」という。")]))
        hits = list(ix.search("น้ำ"))
        assert [h.doc_id for h in hits] == ["d"]
        snippet = hits[0].snippet
        assert [snippet.text[a:b] for a, b in snippet.spans] == ["น้ำ"]
