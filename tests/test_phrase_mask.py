"""A phrase matches the sections Whoosh's own phrase query matches.

The compiler asks Whoosh for positions only in a field where some section holds every word of
the phrase, and matches a one-word phrase from the postings alone; this checks that shortcut
against Whoosh's ``docs_for_query`` over the same fields, on a real index on disk (two
segments, then with a page deleted), for phrases that occur, words that occur apart, and words
of no section.
"""

from __future__ import annotations

import numpy as np
import pytest
from whoosh import query as wq

from mofasearch import Index, load
from mofasearch.compile import Compiler
from mofasearch.query.nodes import Phrase
from mofasearch.schema import WORD_FIELDS


@pytest.fixture(scope="module")
def ix(corpus, tmp_path_factory):
    index = Index.create(tmp_path_factory.mktemp("phrases") / "index")
    docs = list(load(corpus))
    for doc in docs:  # one commit each: two segments
        with index.writer() as w:
            w.add(doc)
    yield index
    index.close()


def _phrases(ix: Index) -> list[str]:
    """Runs of consecutive body words, the same words reversed, single words, title words."""
    snap = ix._acquire()
    try:
        analyzer = snap.schema["body"].analyzer
        texts = [snap.stored_fields(d).get("text", "") for d in range(snap.size)]
        titles = {snap.stored_fields(d).get("title_text", "") for d in range(snap.size)}
    finally:
        snap.release()
    phrases: list[str] = []
    for text in texts[::3]:
        words = [t.text for t in analyzer(text[:200], mode="query") if t.text]
        for n in (1, 2, 3):
            for i in range(0, max(0, len(words) - n), 7):
                phrases.append("".join(words[i : i + n]))
                if n > 1:
                    phrases.append("".join(reversed(words[i : i + n])))
    phrases.extend(title[:6] for title in titles if title)
    phrases.extend(["存在しない語句の並び", "条約平和"])
    return list(dict.fromkeys(p for p in phrases if p.strip()))


def _whoosh_mask(snap, words: list[str]) -> np.ndarray:  # type: ignore[no-untyped-def]
    queries = [
        wq.Term(name, words[0]) if len(words) == 1 else wq.Phrase(name, words)
        for name in WORD_FIELDS
    ]
    return snap.query_mask(wq.Or(queries)) & snap.live


def _check(ix: Index, phrases: list[str]) -> tuple[int, int]:
    snap = ix._acquire()
    matched = multiword_apart = 0
    try:
        assert len(snap.leaves) == 2  # the phrase is checked per segment
        compiler = Compiler(snap, snap.schema, ix.ranking)
        for text in phrases:
            words = compiler._phrase_words(text)
            if not words:
                continue
            result = compiler.evaluate(Phrase(text))
            assert result.mask is not None
            expected = _whoosh_mask(snap, words)
            assert np.array_equal(result.mask & snap.live, expected), text
            matched += bool(expected.any())
            if len(words) > 1 and not expected.any() and len(compiler._holding("body", words)):
                multiword_apart += 1
    finally:
        snap.release()
    return matched, multiword_apart


def test_phrase_masks_equal_whooshs_phrase_query(ix):
    phrases = _phrases(ix)
    assert len(phrases) > 100
    matched, apart = _check(ix, phrases)
    # the cases the shortcut distinguishes all occur: phrases found, and words found apart
    assert matched > 50
    assert apart > 0


def test_phrase_masks_after_a_delete(ix):
    phrases = _phrases(ix)
    first = ix._acquire()
    try:
        doc_id = first.stored_fields(0)["doc_id"]
    finally:
        first.release()
    with ix.writer() as w:
        w.delete(doc_id)
    snap = ix._acquire()
    try:
        assert not snap.live.all()  # the deleted sections are still in the segment
    finally:
        snap.release()
    matched, _ = _check(ix, phrases)
    assert matched > 0
