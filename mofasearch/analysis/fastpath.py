"""The index-time chains as plain loops over the morpheme records (the indexing hot path).

Whoosh asks an analyzer for one token at a time through a generator per filter, which costs
more than Sudachi itself once a section has a hundred units. At index time the writer only
needs what the chains produce in aggregate: for the main chain each term's positions, for the
reading and bigram chains each term's count. The functions here compute exactly that, straight
from :func:`~mofasearch.analysis.morphemes.records`, for the chains as
:mod:`~mofasearch.analysis.analyzers` builds them; :func:`index_plan` recognises such a chain
and returns None for any other (a custom filter, synonyms), which then runs the generic way.
The tests check every function against its chain on real text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from mofasearch.analysis import sudachi
from mofasearch.analysis.filters import (
    PartOfSpeechStopFilter,
    ReadingFilter,
    StopWordFilter,
    SubwordFilter,
)
from mofasearch.analysis.morphemes import records
from mofasearch.analysis.normalize import fold_text
from mofasearch.analysis.tokenizer import (
    _JOINERS,
    BigramTokenizer,
    SudachiTokenizer,
    _run_pattern,
    _runs,
)

Positions = dict[str, list[int]]


def _kinds(analyzer: Any) -> list[type] | None:
    items = getattr(analyzer, "items", None)
    if items is None:
        return None
    return [type(item) for item in items]


def recognised(analyzer: Any) -> tuple[str, Any, bool] | None:
    """Which of the index's own chains ``analyzer`` is — ``("bigram", None, False)``,
    ``("main", settings, subwords)`` or ``("reading", settings, subwords)`` — or None."""
    if type(analyzer) is BigramTokenizer:
        return "bigram", None, False
    kinds = _kinds(analyzer)
    if kinds == [SudachiTokenizer, PartOfSpeechStopFilter, StopWordFilter, SubwordFilter]:
        tok, posf, stopf, subf = analyzer.items
        if posf.settings == tok.settings and stopf.settings == tok.settings:
            return "main", tok.settings, subf.index
    if kinds == [SudachiTokenizer, PartOfSpeechStopFilter, SubwordFilter, ReadingFilter]:
        tok, posf, subf, _ = analyzer.items
        if posf.settings == tok.settings:
            return "reading", tok.settings, subf.index
    return None


def index_plan(analyzer: Any) -> Callable[[str], Any] | None:
    """A fast equivalent of ``analyzer`` at index time, or None when it is not one we know.

    The main chain gives ``{term: [positions]}``; the reading chain and the bigram tokenizer
    give ``{term: count}``.
    """
    found = recognised(analyzer)
    if found is None:
        return None
    kind, settings, subwords = found
    if kind == "bigram":
        return bigram_counts
    return (_main_chain if kind == "main" else _reading_chain)(settings, subwords)


def _main_chain(settings: Any, subwords: bool) -> Callable[[str], Positions]:
    mode, key = settings.mode, settings.dictionary_key
    stop_tags, stop_words = settings.stop_tags, settings.stop_words

    def positions(text: str) -> Positions:
        """``{term: positions}`` as the main chain indexes ``text`` (stops removed)."""
        out: Positions = {}
        if not text:
            return out
        table = sudachi.pos_table(key, stop_tags)
        get = out.get
        pos = -1
        for r in records(text, mode, key):
            term = r[0]
            if table[r[1]] or term in stop_words:
                continue
            pos += 1
            found = get(term)
            if found is None:
                out[term] = [pos]
            else:
                found.append(pos)
            if subwords and r[4]:
                for sub in r[4]:
                    sterm = sub[0]
                    if sterm == term:
                        continue
                    found = get(sterm)
                    if found is None:
                        out[sterm] = [pos]
                    else:
                        found.append(pos)
        return out

    return positions


def _reading_chain(settings: Any, subwords: bool) -> Callable[[str], Counter[str]]:
    mode, key, stop_tags = settings.mode, settings.dictionary_key, settings.stop_tags

    def counts(text: str) -> Counter[str]:
        """``{reading: count}`` as the reading chain indexes ``text``."""
        out: Counter[str] = Counter()
        if not text:
            return out
        table = sudachi.pos_table(key, stop_tags)
        analysis = records(text, mode, key)
        for r, found in zip(analysis, analysis.readings(table), strict=True):
            if found is None:  # a stopped part of speech
                continue
            term = r[0]
            found = found or term
            if found:
                out[found] += 1
            if subwords and r[4]:
                for sub in r[4]:
                    if sub[0] == term:
                        continue
                    found = sub[5] or sub[0]
                    if found:
                        out[found] += 1
        return out

    return counts


def bigram_counts(text: str) -> Counter[str]:
    """``{bigram: count}`` as :class:`BigramTokenizer` indexes ``text``."""
    out: Counter[str] = Counter()
    if not text:
        return out
    folded, _ = fold_text(text)
    joiners = _JOINERS
    run: list[str] = []
    last_end = -1
    for m in _run_pattern().finditer(folded):
        if m.start() != last_end and run:
            _count_run(out, run)
            run = []
        piece = m.group()
        run.extend(c for c in piece if c not in joiners)
        last_end = m.end()
    if run:
        _count_run(out, run)
    return out


def _count_run(out: Counter[str], run: list[str]) -> None:
    if len(run) == 1:
        out[run[0]] += 1
    else:
        out.update(map(str.__add__, run, run[1:]))


def span_plan(analyzer: Any) -> Callable[[str], list[tuple[int, int, str]]] | None:
    """For highlighting: ``text -> [(start, end, term)]``, every token
    ``analyzer(text, chars=True, removestops=False, mode="index")`` gives with a non-empty
    span (stopped tokens included, sub-units of kept units at their offsets), in order;
    None when the chain is not one of the index's own (main, reading, bigram)."""
    found = recognised(analyzer)
    if found is None:
        return None
    kind, settings, subwords = found
    if kind == "bigram":
        return bigram_spans
    return (_main_spans if kind == "main" else _reading_spans)(settings, subwords)


def _main_spans(settings: Any, subwords: bool) -> Callable[[str], list[tuple[int, int, str]]]:
    mode, key = settings.mode, settings.dictionary_key
    stop_tags, stop_words = settings.stop_tags, settings.stop_words

    def spans(text: str) -> list[tuple[int, int, str]]:
        out: list[tuple[int, int, str]] = []
        if not text:
            return out
        table = sudachi.pos_table(key, stop_tags)
        for r in records(text, mode, key):
            term = r[0]
            if r[3] > r[2]:
                out.append((r[2], r[3], term))
            if subwords and r[4] and not table[r[1]] and term not in stop_words:
                for sub in r[4]:
                    if sub[0] != term and sub[3] > sub[2]:
                        out.append((sub[2], sub[3], sub[0]))
        return out

    return spans


def _reading_spans(settings: Any, subwords: bool) -> Callable[[str], list[tuple[int, int, str]]]:
    """The reading chain's tokens: each unit's reading (its term when it has none), and the
    readings of the A sub-units of a kept unit."""
    mode, key, stop_tags = settings.mode, settings.dictionary_key, settings.stop_tags

    def spans(text: str) -> list[tuple[int, int, str]]:
        out: list[tuple[int, int, str]] = []
        if not text:
            return out
        table = sudachi.pos_table(key, stop_tags)
        analysis = records(text, mode, key)
        reading = analysis.reading
        for r in analysis:
            if r[3] > r[2]:
                out.append((r[2], r[3], reading(r) or r[0]))
            if subwords and r[4] and not table[r[1]]:
                for sub in r[4]:
                    if sub[0] != r[0] and sub[3] > sub[2]:
                        out.append((sub[2], sub[3], reading(sub) or sub[0]))
        return out

    return spans


def bigram_spans(text: str) -> list[tuple[int, int, str]]:
    """The bigram tokenizer's tokens with their offsets into ``text``."""
    out: list[tuple[int, int, str]] = []
    if not text:
        return out
    folded, where = fold_text(text)
    for run in _runs(folded):
        if len(run) == 1:
            pairs: Any = ((run[0], run[0]),)
        else:
            pairs = zip(run, run[1:], strict=False)
        for a, b in pairs:
            term = folded[a] if a == b else folded[a] + folded[b]
            start, end = (a, b + 1) if where is None else (where[a][0], where[b][1])
            if end > start:
                out.append((start, end, term))
    return out
