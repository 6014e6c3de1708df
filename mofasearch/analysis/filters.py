"""Whoosh filters over Sudachi tokens; each makes one decision.

Stop filters mark or drop a token (``removestops=False`` keeps it with ``stopped=True``, as
Whoosh's highlighter needs); transform filters rewrite ``text``.

Position policy (Whoosh has no position length), decided in :class:`SubwordFilter`:

- Positions count kept units only: stopped tokens do not consume a position (they carry the
  position of the unit before them). Whoosh's phrase query expects consecutive positions, so
  "日露の関係" and "日露関係" are the same phrase to it; that is the price of dense positions,
  and it is the behaviour of Whoosh's own StopFilter.
- A unit's A sub-units share its position, like synonyms (北方領土 at p with 北方 at p and 領土
  at p). So a query of either granularity finds the text: the phrase "北方領土 問題" matches
  (北方領土 p, 問題 p+1) and so does "領土 問題" (領土 p, 問題 p+1); what cannot match
  positionally is a phrase *inside* one unit ("北方 領土" as two positions), which the main chain
  never produces at query time because queries are segmented the same way (mode C merges them).
  The bigram field covers the rest.
"""

from __future__ import annotations

from collections.abc import Iterator

from whoosh.analysis import Filter, Token

from mofasearch.analysis import sudachi
from mofasearch.analysis.morphemes import END, POS, START, TERM
from mofasearch.analysis.settings import AnalysisSettings


class PartOfSpeechStopFilter(Filter):
    """Stops tokens whose part of speech starts with a stop tag (level-wise prefix match)."""

    def __init__(self, settings: AnalysisSettings | None = None) -> None:
        self.settings = settings or AnalysisSettings()

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        s = self.settings
        # one more False at the end: a whole-value token has part of speech -1
        table = sudachi.pos_table(s.dictionary_key, s.stop_tags) + (False,)
        for t in tokens:
            if table[t.morph[1]]:  # POS
                if t.removestops:
                    continue
                t.stopped = True
            yield t


class StopWordFilter(Filter):
    """Stops tokens whose term is in the stop-word list (unlike Whoosh's, no length minimum)."""

    def __init__(self, settings: AnalysisSettings | None = None) -> None:
        self.settings = settings or AnalysisSettings()

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        stops = self.settings.stop_words
        for t in tokens:
            if t.text in stops:
                if t.removestops:
                    continue
                t.stopped = True
            yield t


class SubwordFilter(Filter):
    """Numbers positions over kept units and emits each unit's A sub-units at its position.

    ``index``/``query`` say whether sub-units are emitted in Whoosh's "index" and "query" modes
    (any other mode counts as index). Stopped units get no sub-units.
    """

    def __init__(self, index: bool = True, query: bool = True) -> None:
        self.index = index
        self.query = query

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        pos = -1
        emit = None
        positions = chars = False
        for t in tokens:
            if emit is None:
                emit = self.query if t.mode == "query" else self.index
                positions, chars = t.positions, t.chars
                pos = t.start_pos - 1
            if t.stopped:
                if positions:
                    t.pos = max(pos, t.start_pos)
                yield t
                continue
            pos += 1
            if positions:
                t.pos = pos
            yield t
            unit = t.morph
            if emit and unit[4]:  # SUBS; inlined: this runs for every kept unit
                text = unit[TERM]
                shift = t.startchar - unit[START] if chars else 0
                t.subword = True
                for sub in unit[4]:
                    if sub[TERM] == text:
                        continue
                    t.text = sub[TERM]
                    t.morph = sub
                    if chars:
                        t.startchar = shift + sub[START]
                        t.endchar = shift + sub[END]
                    yield t
                t.morph = unit
                t.subword = False


class ReadingFilter(Filter):
    """Replaces each term by its katakana reading (for kana queries over kanji text)."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            reading = t.analysis.reading(t.morph) if t.morph[POS] >= 0 else t.text
            if reading:
                t.text = reading
            yield t


class ReadingBigramFilter(Filter):
    """Replaces runs of adjacent units by bigrams of their joined readings.

    Kana queries of more than one word become one unknown unit once in katakana
    (にちろしゅうこう -> ニチロシュウコウ), which never equals the text's units (ニチロ, シュウコウ);
    bigrams of the joined reading meet them. Units are adjacent when one ends where the next
    begins; a stopped unit or a gap ends the run. Sub-units are ignored.
    """

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        run: list[tuple[str, int, int]] = []  # (reading, startchar, endchar) per character
        last_end = None
        t = None
        for t in tokens:
            if t.stopped or t.subword:
                continue
            start, end = t.morph[START], t.morph[END]
            shift = t.startchar - start if t.chars else 0
            unit = [(ch, shift + start, shift + end) for ch in t.text]
            if run and start != last_end:
                yield from _emit_bigrams(t, run)  # rewrites t: read the unit first
                run = []
            run.extend(unit)
            last_end = end
        if run and t is not None:
            yield from _emit_bigrams(t, run)


def _emit_bigrams(t: Token, run: list[tuple[str, int, int]]) -> Iterator[Token]:
    pos = getattr(t, "_bigram_pos", t.start_pos - 1)
    pairs = [(run[0], run[0])] if len(run) == 1 else list(zip(run, run[1:], strict=False))
    for a, b in pairs:
        t.text = a[0] if a is b else a[0] + b[0]
        pos += 1
        if t.positions:
            t.pos = pos
        if t.chars:
            t.startchar, t.endchar = a[1], b[2]
        t.stopped = False
        yield t
    t._bigram_pos = pos
