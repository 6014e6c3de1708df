"""Ready-made chains (factory functions) and :func:`analyze`, the chain made visible.

The main chain, readable in one place::

    SudachiTokenizer(settings)        # Sudachi units, folded normalized form, exact offsets
    | PartOfSpeechStopFilter(settings) # particles, auxiliary verbs, symbols, blanks
    | StopWordFilter(settings)         # data/stopwords.txt (question words are kept)
    | SubwordFilter(index, query)      # positions; A sub-units at their unit's position
    | SynonymFilter(settings)          # query time only

Index time emits each unit and its A sub-units; query time (Whoosh's ``mode="query"``) emits the
units only by default (``query_subwords=False``). 北方 in a query still finds 北方領土 (indexed
with its sub-units), and 北方領土 in a query is segmented as the text is. Measured on 1,500
JaQuAD dev questions (seed 0) over all 11,144 passages with plain BM25 (k1=1.2, b=0.75) on
this chain's terms: MRR@10 0.8786 with query units only, 0.8736 with sub-units added (they
add common, weakly weighted terms). Units only also keep Whoosh's own phrase parsing right:
it takes every token of a query phrase as the next word. With ``query_subwords=True``, sub-units
share their unit's position and a phrase should take the first token at each position
(:func:`phrase_terms`). The reading chain emits katakana readings of the same units and turns
kana-only query runs into katakana first (にちろ -> ニチロ, one unit whose reading meets 日露's).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from whoosh.analysis.analyzers import Analyzer

from mofasearch.analysis import sudachi
from mofasearch.analysis.filters import (
    PartOfSpeechStopFilter,
    ReadingBigramFilter,
    ReadingFilter,
    StopWordFilter,
    SubwordFilter,
)
from mofasearch.analysis.settings import AnalysisSettings
from mofasearch.analysis.synonyms import SynonymFilter
from mofasearch.analysis.tokenizer import BigramTokenizer, SudachiTokenizer


def _settings(settings: AnalysisSettings | None, **changes: Any) -> AnalysisSettings:
    base = settings or AnalysisSettings()
    changes = {k: v for k, v in changes.items() if v is not None}
    return replace(base, **changes) if changes else base


def japanese_analyzer(
    mode: str | None = None,
    *,
    subwords: bool | None = None,
    query_subwords: bool | None = None,
    stoptags: Iterable[str] | None = None,
    stopwords: Iterable[str] | None = None,
    user_dictionaries: Iterable[str] | None = None,
    synonyms: Iterable[str] | None = None,
    settings: AnalysisSettings | None = None,
) -> Analyzer:
    """The main chain for title, heading and body fields (see the module docstring).

    ``mode`` is Sudachi's split mode (default C, or the one in ``settings``); keyword arguments
    override the matching fields of ``settings``.
    """
    s = _settings(
        settings,
        mode=mode,
        subwords=subwords,
        query_subwords=query_subwords,
        stoptags=None if stoptags is None else tuple(stoptags),
        stopwords=None if stopwords is None else tuple(stopwords),
        user_dictionaries=None if user_dictionaries is None else tuple(user_dictionaries),
        synonyms=None if synonyms is None else tuple(synonyms),
    )
    chain = (
        SudachiTokenizer(s)
        | PartOfSpeechStopFilter(s)
        | StopWordFilter(s)
        | SubwordFilter(index=s.subwords, query=s.query_subwords)
    )
    if s.synonyms:
        chain = chain | SynonymFilter(s)
    return chain  # type: ignore[no-any-return]


def reading_analyzer(
    mode: str | None = None,
    *,
    subwords: bool = True,
    bigrams: bool = False,
    settings: AnalysisSettings | None = None,
) -> Analyzer:
    """Katakana readings of the units (and sub-units), for kana queries over kanji text.

    Kana-only query runs are turned into katakana first. Measured on 588 noun pairs from
    JaQuAD passages, typed as hiragana: a one-word query (にちろ) meets the text's reading
    terms 99.3% of the time this way (45.6% without the katakana step), but a two-word query
    (にちろしゅうこう) only 3.1%, since it becomes one unknown unit. ``bigrams=True`` indexes
    bigrams of the joined readings of adjacent units instead: 100% of two-word and 97.4% of
    one-word queries meet, with less precision (short readings are common). A reading field
    of each kind covers both.
    """
    s = _settings(settings, mode=mode)
    chain = (
        SudachiTokenizer(s, kana_queries=True)
        | PartOfSpeechStopFilter(s)
        | SubwordFilter(index=subwords and not bigrams, query=False)
        | ReadingFilter()
    )
    if bigrams:
        chain = chain | ReadingBigramFilter()
    return chain  # type: ignore[no-any-return]


def bigram_analyzer() -> Analyzer:
    """Character bigrams of folded text: the recall fallback where segmentation varies."""
    return BigramTokenizer()  # type: ignore[return-value]


def phrase_terms(analyzer: Analyzer, text: str) -> list[str]:
    """The terms of a phrase query: the first (unit) token at each position."""
    out: list[str] = []
    last = None
    for t in analyzer(text, positions=True, mode="query"):
        if t.pos != last:
            out.append(t.text)
            last = t.pos
    return out


@dataclass(frozen=True)
class AnalyzedToken:
    """One unit as the main chain sees it; ``terms`` are what it indexes (empty if stopped)."""

    surface: str
    terms: tuple[str, ...]
    reading: str
    part_of_speech: tuple[str, ...]
    position: int | None
    start: int
    end: int
    stopped: bool = False

    @property
    def term(self) -> str:
        """The unit's own term ("" when stopped)."""
        return self.terms[0] if self.terms else ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "surface": self.surface,
            "terms": list(self.terms),
            "reading": self.reading,
            "part_of_speech": list(self.part_of_speech),
            "position": self.position,
            "start": self.start,
            "end": self.end,
            "stopped": self.stopped,
        }


def analyze(
    text: str,
    *,
    mode: str | None = None,
    query: bool = False,
    settings: AnalysisSettings | None = None,
) -> list[AnalyzedToken]:
    """Each unit of ``text`` with its indexed term(s), reading, part of speech and offsets.

    Runs the main chain itself (``removestops=False``), so what it shows is what is indexed
    (``query=True``: what a query searches for).
    """
    s = _settings(settings, mode=mode)
    names = sudachi.pos_names(s.dictionary_key)
    chain = japanese_analyzer(settings=s)
    out: list[AnalyzedToken] = []
    current: dict[str, Any] | None = None
    for t in chain(
        text, positions=True, chars=True, removestops=False, mode="query" if query else "index"
    ):
        if t.subword and current is not None:
            current["terms"].append(t.text)
            continue
        if current is not None:
            out.append(_token(current))
        r = t.morph
        current = {
            "surface": text[t.startchar : t.endchar],
            "terms": [] if t.stopped else [t.text],
            "reading": t.analysis.reading(r) if r[1] >= 0 else "",
            "part_of_speech": names[r[1]] if 0 <= r[1] < len(names) else (),
            "position": None if t.stopped else t.pos,
            "start": t.startchar,
            "end": t.endchar,
            "stopped": bool(t.stopped),
        }
    if current is not None:
        out.append(_token(current))
    return out


def _token(d: dict[str, Any]) -> AnalyzedToken:
    d["terms"] = tuple(d["terms"])
    return AnalyzedToken(**d)
