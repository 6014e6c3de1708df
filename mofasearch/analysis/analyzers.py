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

from whoosh.analysis import Token
from whoosh.analysis.analyzers import Analyzer, CompositeAnalyzer

from mofasearch.analysis import sudachi
from mofasearch.analysis.filters import (
    PartOfSpeechStopFilter,
    ReadingBigramFilter,
    ReadingFilter,
    StopWordFilter,
    SubwordFilter,
)
from mofasearch.analysis.morphemes import END, START, TERM, records
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
    override the matching fields of ``settings``, which reads each as it reads its own (one
    string is one tag, word or path).
    """
    s = _settings(
        settings,
        mode=mode,
        subwords=subwords,
        query_subwords=query_subwords,
        stoptags=stoptags,
        stopwords=stopwords,
        user_dictionaries=user_dictionaries,
        synonyms=synonyms,
    )
    chain = JapaneseAnalyzer(
        SudachiTokenizer(s),
        PartOfSpeechStopFilter(s),
        StopWordFilter(s),
        SubwordFilter(index=s.subwords, query=s.query_subwords),
    )
    if s.synonyms:
        chain = chain | SynonymFilter(s)
    return chain  # type: ignore[no-any-return]


class JapaneseAnalyzer(CompositeAnalyzer):
    """The main chain: the same items as a composed chain, run as one loop when it can be.

    Whoosh runs a composed chain as one generator per filter, so each token pays a resume per
    stage; on Japanese text that costs as much as the filters' own work. When the chain starts
    with the standard four stages (tokenizer, part-of-speech stops, stop words, sub-words, as
    :func:`japanese_analyzer` builds it), this class runs them as one loop that makes the same
    decisions in the same order and yields the same tokens, and hands the result to any further
    items (synonyms, a user's filter added with ``|``) the usual way. Any other chain, and
    ``tokenize=False``, run exactly as :class:`~whoosh.analysis.CompositeAnalyzer` does. The
    tests compare both paths token by token on real text.
    """

    def __or__(self, other: Any) -> JapaneseAnalyzer:
        return JapaneseAnalyzer(self, other)

    def __call__(self, value: Any, no_morph: bool = False, **kwargs: Any) -> Any:
        items = self.items
        if not _standard_head(items) or not kwargs.get("tokenize", True):
            return super().__call__(value, no_morph=no_morph, **kwargs)
        gen = _fused(items[0], items[3], value, **kwargs)
        for item in items[4:]:
            if not (no_morph and getattr(item, "is_morph", False)):
                gen = item(gen)
        return gen


def _standard_head(items: list[Any]) -> bool:
    if len(items) < 4:
        return False
    tok, posf, stopf, subf = items[:4]
    return (
        type(tok) is SudachiTokenizer
        and type(posf) is PartOfSpeechStopFilter
        and type(stopf) is StopWordFilter
        and type(subf) is SubwordFilter
        and posf.settings == tok.settings
        and stopf.settings == tok.settings
    )


def _fused(
    tok: SudachiTokenizer,
    subf: SubwordFilter,
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
) -> Any:
    """Tokenizer, both stop filters and the sub-word filter in one loop (see the class).

    Not a generator itself: it sets up the token and returns the loop for the options given.
    """
    s = tok.settings
    t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
    t.start_pos = start_pos
    t.subword = False
    kana = tok.kana_queries and mode == "query"
    t.analysis = analysis = records(value, s.mode, s.dictionary_key, kana_query=kana)
    # one more False at the end: a whole-value token has part of speech -1
    table = sudachi.pos_table(s.dictionary_key, s.stop_tags) + (False,)
    stops = s.stop_words
    emit = subf.query if mode == "query" else subf.index
    if removestops and not (chars or keeporiginal):
        return _fused_indexing(t, analysis, table, stops, emit, positions, start_pos)
    return _fused_general(
        t, value, analysis, table, stops, emit, keeporiginal, start_pos, start_char
    )


def _fused_indexing(
    t: Token,
    analysis: list[Any],
    table: tuple[bool, ...],
    stops: frozenset[str],
    emit: bool,
    positions: bool,
    start_pos: int,
) -> Any:
    """The loop as Whoosh's indexer drives it: stops removed, no offsets."""
    pos = start_pos - 1
    for r in analysis:
        if table[r[1]]:
            continue
        text = r[0]
        if text in stops:
            continue
        t.text = text
        t.morph = r
        pos += 1
        if positions:
            t.pos = pos
        yield t
        subs = r[4]
        if emit and subs:
            t.subword = True
            for sub in subs:
                if sub[0] != text:
                    t.text = sub[0]
                    t.morph = sub
                    yield t
            t.morph = r
            t.subword = False


def _fused_general(
    t: Token,
    value: str,
    analysis: list[Any],
    table: tuple[bool, ...],
    stops: frozenset[str],
    emit: bool,
    keeporiginal: bool,
    start_pos: int,
    start_char: int,
) -> Any:
    """The loop with every option: stopped tokens kept and marked, offsets, originals."""
    positions, chars, removestops = t.positions, t.chars, t.removestops
    pos = start_pos - 1
    for r in analysis:
        text = r[0]
        stopped = table[r[1]] or text in stops
        if stopped and removestops:
            continue
        t.text = text
        t.morph = r
        t.stopped = stopped
        if keeporiginal:
            t.original = value[r[2] : r[3]]
        if chars:
            t.startchar = start_char + r[2]
            t.endchar = start_char + r[3]
        if stopped:
            if positions:
                t.pos = max(pos, start_pos)
            yield t
            continue
        pos += 1
        if positions:
            t.pos = pos
        yield t
        subs = r[4]
        if emit and subs:
            t.subword = True
            for sub in subs:
                if sub[TERM] == text:
                    continue
                t.text = sub[TERM]
                t.morph = sub
                if chars:
                    t.startchar = start_char + sub[START]
                    t.endchar = start_char + sub[END]
                yield t
            t.morph = r
            t.subword = False


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


def pos_weight_table(
    analyzer: Analyzer, weights: tuple[tuple[str, float], ...]
) -> tuple[float, ...] | None:
    """Weights by part-of-speech id (:func:`sudachi.pos_weights`) for the tokens of a Sudachi
    chain, which carry their morpheme record as ``token.morph`` (part of speech at index 1);
    None when ``weights`` is empty or the chain does not start with a Sudachi tokenizer."""
    items = getattr(analyzer, "items", None)
    if not weights or not items or type(items[0]) is not SudachiTokenizer:
        return None
    return sudachi.pos_weights(items[0].settings.dictionary_key, weights)


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
