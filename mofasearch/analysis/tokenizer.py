"""Whoosh tokenizers: Sudachi units, and character bigrams over folded text.

:class:`SudachiTokenizer` yields one token per Sudachi unit (split mode A, B or C) with the
normalized, folded form as ``text`` and the whole morpheme record on ``token.morph``, so later
filters choose what to index (normalized form, reading) without asking Sudachi again. It follows
Whoosh's token protocol: one reused :class:`~whoosh.analysis.Token`; ``chars`` gives offsets
into the original text (before any normalization) shifted by ``start_char``; ``start_pos`` is
kept on the token for :class:`~mofasearch.analysis.filters.SubwordFilter`, which numbers
positions once stops are known.

:class:`BigramTokenizer` is the recall fallback for text whose segmentation varies with context
(非核化 alone is one unit, inside 完全な非核化に向けて it is 非/核/化) or punctuation
(シーアイランド・サミット vs シーアイランドサミット). Text is NFKC-folded and lower-cased; runs
break at spaces and punctuation, except joiners (・ = -), which are skipped so both spellings give
the same bigrams. Invisible characters (zero-width space, variation selectors: see
:mod:`~mofasearch.analysis.normalize`) are skipped the same way, so 葛󠄀飾 gives 葛飾 as 葛飾 does.
A one-character run gives that character.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from whoosh.analysis import Token, Tokenizer

from mofasearch.analysis.morphemes import records
from mofasearch.analysis.normalize import IGNORABLE_CHARS, fold_text
from mofasearch.analysis.settings import AnalysisSettings

#: characters skipped inside a run: joiners, and the invisible ones Sudachi is not shown either
_JOINERS = frozenset("・･=＝-‐‑–") | IGNORABLE_CHARS


class SudachiTokenizer(Tokenizer):
    """Sudachi units of ``settings.mode`` as Whoosh tokens (text = folded normalized form)."""

    def __init__(
        self, settings: AnalysisSettings | None = None, *, kana_queries: bool = False
    ) -> None:
        self.settings = settings or AnalysisSettings()
        self.kana_queries = kana_queries

    def __call__(  # type: ignore[override]
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        t.start_pos = start_pos
        t.subword = False
        if not tokenize:
            yield from _whole(t, value, start_pos, start_char)
            return
        s = self.settings
        kana = self.kana_queries and mode == "query"
        analysis = t.analysis = records(value, s.mode, s.dictionary_key, kana_query=kana)
        if not (chars or keeporiginal or not removestops):
            for r in analysis:  # the indexing path: as little per token as possible
                t.text = r[0]
                t.morph = r
                yield t
            return
        for r in analysis:
            t.text = r[0]
            t.morph = r
            t.stopped = False
            if keeporiginal:
                t.original = value[r[2] : r[3]]
            if chars:
                t.startchar = start_char + r[2]
                t.endchar = start_char + r[3]
            yield t


def _whole(t: Token, value: str, start_pos: int, start_char: int) -> Iterator[Token]:
    t.original = t.text = value
    t.morph = (value, -1, 0, len(value), (), value)
    t.stopped = False
    t.boost = 1.0
    if t.positions:
        t.pos = start_pos
    if t.chars:
        t.startchar = start_char
        t.endchar = start_char + len(value)
    yield t


@lru_cache(maxsize=1)
def _run_pattern() -> re.Pattern[str]:
    """Runs of characters that are neither space nor punctuation (joiners stay in runs)."""
    return re.compile(
        r"[^\s\u3000-\u3003\u3008-\u3011\u3014-\u301f!-/:-@\[-`{-~、。，．]+|[・=\-]+"
    )


class BigramTokenizer(Tokenizer):
    """Character bigrams of NFKC-folded, lower-cased text, offsets into the original."""

    def __call__(  # type: ignore[override]
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            yield from _whole(t, value, start_pos, start_char)
            return
        folded, where = fold_text(value)
        pos = start_pos
        for run in _runs(folded):
            for a, b in _pairs(run):
                t.text = folded[a] + folded[b] if b != a else folded[a]
                t.stopped = False
                t.boost = 1.0
                if keeporiginal:
                    t.original = t.text
                if positions:
                    t.pos = pos
                if chars:
                    if where is None:
                        t.startchar = start_char + a
                        t.endchar = start_char + b + 1
                    else:
                        t.startchar = start_char + where[a][0]
                        t.endchar = start_char + where[b][1]
                yield t
                pos += 1


def _runs(folded: str) -> Iterator[list[int]]:
    """Index lists of the characters of each run, joined across joiners, joiners dropped."""
    run: list[int] = []
    last_end = -1
    for m in _run_pattern().finditer(folded):
        if m.start() != last_end and run:
            yield run
            run = []
        run.extend(i for i in range(m.start(), m.end()) if folded[i] not in _JOINERS)
        last_end = m.end()
    if run:
        yield run


def _pairs(run: list[int]) -> Iterator[tuple[int, int]]:
    if len(run) == 1:
        yield run[0], run[0]
        return
    for k in range(len(run) - 1):
        yield run[k], run[k + 1]
