"""Japanese analysis on Sudachi, as Whoosh analyzers.

Provisional minimal implementation: the public factory names and signatures below are the
contract the index builds on; the chains behind them are refined in this package.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache

from whoosh.analysis import Token, Tokenizer
from whoosh.analysis.analyzers import Analyzer

_local = threading.local()


@lru_cache(maxsize=1)
def _dictionary():  # type: ignore[no-untyped-def]
    from sudachipy import Dictionary

    return Dictionary()


def _tokenizer(mode: str):  # type: ignore[no-untyped-def]
    from sudachipy import SplitMode

    cache = getattr(_local, "tokenizers", None)
    if cache is None:
        cache = _local.tokenizers = {}
    if mode not in cache:
        cache[mode] = _dictionary().tokenizer(mode=getattr(SplitMode, mode))
    return cache[mode]


def dictionary_version() -> str:
    from importlib.metadata import version

    return f"sudachidict-core {version('sudachidict-core')}"


_STOP_POS = ("助詞", "助動詞", "補助記号", "空白", "記号")


class SudachiTokenizer(Tokenizer):
    def __init__(self, mode: str = "C") -> None:
        self.mode = mode

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,  # type: ignore[no-untyped-def,override]
                 removestops=True, start_pos=0, start_char=0, tokenize=True, mode="", **kw):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kw)
        pos = start_pos
        for m in _tokenizer(self.mode).tokenize(value):
            stopped = m.part_of_speech()[0] in _STOP_POS
            if stopped and removestops:
                continue
            t.text = m.normalized_form().lower()
            t.stopped = stopped
            t.boost = 1.0
            if keeporiginal:
                t.original = m.surface()
            if positions:
                t.pos = pos
            if chars:
                t.startchar = start_char + m.begin()
                t.endchar = start_char + m.end()
            pos += 1
            yield t


def japanese_analyzer(mode: str = "C") -> Analyzer:
    """The main chain: Sudachi units, normalized, part-of-speech stops."""
    return SudachiTokenizer(mode)  # type: ignore[return-value]


@dataclass(frozen=True)
class AnalyzedToken:
    surface: str
    term: str
    reading: str
    part_of_speech: str
    position: int
    start: int
    end: int
