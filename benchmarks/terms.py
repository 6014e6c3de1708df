"""The shared Sudachi term function every "over Sudachi terms" peer uses, and the Sudachi floor.

Terms: mode C, normalized form, lower-cased, with particles, auxiliaries, symbols and blanks
dropped. One function, so the peers differ only in how they index and rank, never in analysis.
The floor is what no Sudachi-based engine can beat: tokenizing the same text and reading the
morpheme attributes an analyzer needs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence

STOP_POS = frozenset({"助詞", "助動詞", "補助記号", "記号", "空白"})
# Sudachi refuses input over 49,149 UTF-8 bytes; 12,000 characters is at most 36,000 bytes.
CHUNK = 12_000

_local = threading.local()


def tokenizer():  # type: ignore[no-untyped-def]
    """One mode-C tokenizer per thread (a Sudachi tokenizer is not shareable across threads)."""
    found = getattr(_local, "tokenizer", None)
    if found is None:
        from sudachipy import Dictionary, SplitMode

        found = _local.tokenizer = Dictionary().tokenizer(mode=SplitMode.C)
    return found


def chunks(text: str, size: int = CHUNK) -> Iterator[str]:
    """Pieces of at most ``size`` characters, cut after a line end or 。 when there is one."""
    while len(text) > size:
        cut = max(text.rfind("\n", 0, size), text.rfind("。", 0, size))
        cut = cut + 1 if cut > 0 else size
        yield text[:cut]
        text = text[cut:]
    if text:
        yield text


def sudachi_terms(text: str) -> list[str]:
    tok = tokenizer()
    terms = []
    for piece in chunks(text):
        for m in tok.tokenize(piece):
            if m.part_of_speech()[0] not in STOP_POS:
                terms.append(m.normalized_form().lower())
    return terms


def floor_pass(texts: Sequence[str]) -> tuple[float, int, list[float]]:
    """Seconds to tokenize ``texts`` and read surface, normalized form, reading, part of speech
    and offsets of every morpheme; the morpheme count (so the work cannot be skipped); and each
    text's own seconds (the floor of any mix of these texts is the sum of theirs)."""
    tok = tokenizer()
    morphemes = 0
    clock = time.perf_counter
    per_text = []
    start = clock()
    for text in texts:
        began = clock()
        for piece in chunks(text):
            for m in tok.tokenize(piece):
                m.surface(), m.normalized_form(), m.reading_form(), m.part_of_speech()
                m.begin(), m.end()
                morphemes += 1
        per_text.append(clock() - began)
    return clock() - start, morphemes, per_text


def terms_pass(texts: Sequence[str]) -> tuple[float, list[list[str]]]:
    """The shared pre-pass: terms of every text, and its cost in seconds."""
    tokenizer()  # dictionary load is not part of the pass
    start = time.perf_counter()
    terms = [sudachi_terms(text) for text in texts]
    return time.perf_counter() - start, terms
