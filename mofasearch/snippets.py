"""Snippets: the best sentences of a section, with the matched words marked.

A :class:`Snippet` is plain data (text and highlighted ranges); :meth:`Snippet.html` is one
rendering of it. Matches are found by re-running the field's analyzer over the text with
``chars=True, removestops=False`` and keeping the tokens whose indexed term the query produced,
so a highlight sits exactly on the surface text even when the match came through normalization
(``２００５`` for ``2005``, a reading, an A-unit sub-word).

Fragments are whole sentences (cut at 。！？ and line breaks) chosen for the number of distinct
matched terms; a sentence longer than the budget is cut around its first match. Texts are not
analyzed whole: sentences are first screened by a substring test on the NFKC-folded terms, the
few most promising ones are analyzed, then the sentences shown for context; so the cost is
bounded whatever the section's length.

The writer stores each section's body tokens beside its text (:func:`pack_spans`, the stored
field ``text_spans``), as Lucene keeps offsets for its highlighters: a snippet of a section
indexed so reads its tokens back instead of running Sudachi again, and the highlights are the
very terms the section was indexed with. A section without them (an index written before, or
an analyzer of the caller's own) is analyzed as above.
"""

from __future__ import annotations

import functools
import html
import itertools
import operator
import re
import threading
import unicodedata
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final, NamedTuple

import numpy as np

#: characters analyzed at a time, from the beginning, when no sentence contains a term verbatim
ANALYZE_FALLBACK: Final = 1000
#: ... until one of these windows holds a match or this many characters were analyzed (a match
#: through a reading may lie anywhere in a long section, or only in the title)
ANALYZE_LIMIT: Final = 4000
#: at most this many candidate sentences of a long text are analyzed
MAX_CANDIDATES: Final = 8
#: occurrences of one term looked at when screening a long text
MAX_TERM_HITS: Final = 200
#: sentences longer than this are split (text without punctuation must not become one fragment)
MAX_SENTENCE: Final = 400

_SENTENCE = re.compile(r"[^。！？!?\n]*(?:[。！？!?]+[」』）)\"”’]*)?|\n+")
_SOFT_BREAK = re.compile(r"[、，,\s]")


@dataclass(frozen=True, slots=True)
class Snippet:
    """Text to show and the ``(start, end)`` ranges in it to highlight (sorted, disjoint)."""

    text: str
    spans: tuple[tuple[int, int], ...] = ()

    def html(self) -> str:
        """The text HTML-escaped, each span wrapped in ``<mark>…</mark>``."""
        out, last = [], 0
        for start, end in self.spans:
            out.append(html.escape(self.text[last:start]))
            out.append(f"<mark>{html.escape(self.text[start:end])}</mark>")
            last = end
        out.append(html.escape(self.text[last:]))
        return "".join(out)

    def __str__(self) -> str:
        return self.text


class _Match(NamedTuple):
    """A matched term's place (a tuple: made by the dozen per snippet, twice as fast as a frozen
    dataclass to create)."""

    start: int
    end: int
    term: str
    primary: bool


def sentences(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence, trimmed of whitespace; long ones split near a comma."""
    found: list[tuple[int, int]] = []
    for match in _SENTENCE.finditer(text):
        start, end = match.span()
        if start == end:
            continue
        piece = match.group()
        start += len(piece) - len(piece.lstrip())
        end -= len(piece) - len(piece.rstrip())
        if end - start > MAX_SENTENCE:
            _split_long(text, start, end, found)
        elif end > start:
            found.append((start, end))
    return found


def _split_long(text: str, start: int, end: int, found: list[tuple[int, int]]) -> None:
    while start < end:
        cut = min(end, start + MAX_SENTENCE)
        if cut < end:
            soft = [m.end() for m in _SOFT_BREAK.finditer(text, start + MAX_SENTENCE // 2, cut)]
            cut = soft[-1] if soft else cut
        piece = text[start:cut]
        left = start + len(piece) - len(piece.lstrip())
        right = cut - (len(piece) - len(piece.rstrip()))
        if right > left:
            found.append((left, right))
        start = cut


def _analyzed(
    text: str, start: int, end: int, analyzer: Any, terms: Collection[str], primary: bool
) -> Iterable[_Match]:
    for a, b, term in _cached_spans(_span_plan(analyzer), text[start:end]):
        if term in terms:
            yield _Match(start + a, start + b, term, primary)


#: separates the terms in a packed token list (a term holding it is never packed)
_TERM_SEP: Final = "\x1f"
#: the packed layout's version, first in the stored value: bump it with any change of the layout
#: (a value of another version is not read, its section is analyzed; a layout misread could
#: still pass the checks of :func:`unpack_spans` and mark the wrong words)
_PACKED_VERSION: Final = 1
#: array types of the packed offsets (unsigned, little-endian, narrowest first)
_PACKED_TYPES: Final[dict[str, np.dtype[Any]]] = {
    "B": np.dtype("<u1"),
    "H": np.dtype("<u2"),
    "I": np.dtype("<u4"),
}


class Tokens:
    """A text's stored tokens, unpacked: ``starts`` and ``ends`` (numpy arrays, in start order)
    and ``terms`` (empty where the term is the surface text)."""

    __slots__ = ("text", "starts", "ends", "terms")

    def __init__(self, text: str, starts: Any, ends: Any, terms: list[str]) -> None:
        self.text, self.starts, self.ends, self.terms = text, starts, ends, terms

    def matches(
        self, start: int, end: int, wanted: Collection[str], primary: bool
    ) -> Iterable[_Match]:
        """The tokens inside ``[start, end)`` whose term is wanted."""
        first, stop = np.searchsorted(self.starts, (start, end)).tolist()
        text = self.text
        for a, b, term in zip(
            self.starts[first:stop].tolist(),
            self.ends[first:stop].tolist(),
            self.terms[first:stop],
            strict=True,
        ):
            if b <= end:
                term = term or text[a:b]
                if term in wanted:
                    yield _Match(a, b, term, primary)


def pack_spans(text: str, spans: Sequence[tuple[int, int, str]]) -> tuple[Any, ...] | None:
    """``text``'s tokens ``(start, end, term)`` as a compact, picklable value for the stored
    fields: ``(version, typecode, offsets, terms)`` — each token's start as the distance from
    the previous token's start, then each token's length, in the narrowest array type that
    holds them, and the terms joined, empty where the term is the surface text itself (most
    Japanese tokens). None when a term holds the separator (the section is then analyzed at
    query time, as without stored tokens). Runs once per indexed section, so the work per
    token is done by ``map`` and ``zip``, not in a Python loop."""
    if not spans:
        return (_PACKED_VERSION, "B", b"", "")
    starts, ends, terms = zip(*spans, strict=True)
    if list(starts) != sorted(starts):  # the chains give them in order; any order is kept
        starts, ends, terms = zip(*sorted(spans), strict=True)
    surfaces = map(text.__getitem__, map(slice, starts, ends))
    # a term times False is "": only terms that differ from their surface are kept
    kept = map(operator.mul, terms, map(operator.ne, terms, surfaces))
    joined = _TERM_SEP.join(kept)
    if joined.count(_TERM_SEP) != len(terms) - 1:
        return None
    flat = list(map(operator.sub, starts, (0, *starts[:-1])))
    flat += map(operator.sub, ends, starts)
    top = max(flat)
    code = "B" if top < 1 << 8 else "H" if top < 1 << 16 else "I"
    return (_PACKED_VERSION, code, np.array(flat, dtype=_PACKED_TYPES[code]).tobytes(), joined)


def unpack_spans(text: str, packed: Any) -> Tokens | None:
    """The tokens :func:`pack_spans` stored for ``text``; None for a value it did not write
    (another layout, or one that does not fit the text). The offsets are decoded by numpy and
    the terms by one ``split``: a section of 100,000 characters costs about 2 ms."""
    try:
        version, code, raw, joined = packed
        if version != _PACKED_VERSION or code not in _PACKED_TYPES or not isinstance(joined, str):
            return None
        flat = np.frombuffer(raw, dtype=_PACKED_TYPES[code])
    except (TypeError, ValueError):
        return None
    count = len(flat) // 2
    if 2 * count != len(flat):
        return None
    starts = np.cumsum(flat[:count], dtype=np.int64)
    ends = starts + flat[count:]
    terms = joined.split(_TERM_SEP) if count else []
    if len(terms) != count or (count and int(ends.max()) > len(text)):
        return None
    return Tokens(text, starts, ends, terms)


def _chain_spans(analyzer: Any) -> Any:
    """Any chain's tokens as ``(start, end, term)`` (the generic Whoosh way)."""

    def spans(piece: str) -> list[tuple[int, int, str]]:
        tokens = analyzer(piece, chars=True, positions=False, removestops=False, mode="index")
        return [(t.startchar, t.endchar, t.text) for t in tokens if t.endchar > t.startchar]

    return spans


_SPAN_PLANS: dict[int, tuple[Any, Any]] = {}
_PLAN_NUMBERS = itertools.count()
#: analyzed pieces kept (the same sections come back across queries and pages of results)
SPAN_CACHE_SIZE: Final = 4096
_SPANS: OrderedDict[tuple[int, str], list[tuple[int, int, str]]] = OrderedDict()
_SPANS_LOCK = threading.Lock()


def _span_plan(analyzer: Any) -> Any:
    """``(number, text -> spans)`` for a chain: the analysis package's direct tokenizer for the
    main chain, the chain itself run the Whoosh way for the others (reading, bigram); their
    results are cached alike, by the number and the piece of text."""
    key = id(analyzer)
    found = _SPAN_PLANS.get(key)
    if found is None or found[0] is not analyzer:
        from mofasearch.analysis.fastpath import span_plan

        if len(_SPAN_PLANS) > 64:
            _SPAN_PLANS.clear()
        spans = span_plan(analyzer) or _chain_spans(analyzer)
        # a number never reused names the plan in the cache (an id() may be reused)
        found = _SPAN_PLANS[key] = (analyzer, (next(_PLAN_NUMBERS), spans))
    return found[1]


def _cached_spans(plan: tuple[int, Any], piece: str) -> list[tuple[int, int, str]]:
    number, spans = plan
    key = (number, piece)
    with _SPANS_LOCK:
        found = _SPANS.get(key)
        if found is not None:
            _SPANS.move_to_end(key)
            return found
    found = spans(piece)
    with _SPANS_LOCK:
        _SPANS[key] = found
        while len(_SPANS) > SPAN_CACHE_SIZE:
            _SPANS.popitem(last=False)
    return found


#: texts whose sentences and folded form are kept (hits of popular sections come back)
TEXT_CACHE_SIZE: Final = 1024
_Prepared = tuple[list[tuple[int, int]], str, list[tuple[int, int]] | None]
_TEXTS: OrderedDict[str, _Prepared] = OrderedDict()


def _prepared(text: str) -> _Prepared:
    """The sentences of ``text``, its NFKC-folded, lower-cased form for verbatim tests, and
    where each folded character came from (None when folding kept every offset), cached per
    text.

    The map matters: one character whose folding changes the length (℃ -> °c, … -> ..., ｶﾞ ->
    ガ, Ⅱ -> ii) anywhere in a section must not turn the verbatim test off for the whole
    section, which then missed ``apec`` in ＡＰＥＣ and ``2005`` in ２００５ and chose the
    sentences (or, without stored tokens, the first few thousand characters) as if they did
    not match.
    """
    with _SPANS_LOCK:
        found = _TEXTS.get(text)
        if found is not None:
            _TEXTS.move_to_end(text)
            return found
    from mofasearch.analysis.normalize import fold_text

    folded, where = fold_text(text)
    found = (sentences(text), folded, where)
    with _SPANS_LOCK:
        _TEXTS[text] = found
        while len(_TEXTS) > TEXT_CACHE_SIZE:
            _TEXTS.popitem(last=False)
    return found


@functools.lru_cache(maxsize=8192)
def _folded_term(term: str) -> str:
    return unicodedata.normalize("NFKC", term).lower()


def _verbatim(text: str, terms: Iterable[str]) -> Iterable[tuple[int, int, str]]:
    """``(start, end, term)`` in ``text`` of each occurrence (at most ``MAX_TERM_HITS`` per
    term) of the folded ``terms`` in the NFKC-folded, lower-cased text (see :func:`_prepared`)."""
    _, folded, where = _prepared(text)
    for term in {_folded_term(t) for t in terms if t} - {""}:
        at, seen = folded.find(term), 0
        while at >= 0 and seen < MAX_TERM_HITS:
            end = at + len(term)
            if where is None:
                yield at, end, term
            else:
                yield where[at][0], where[end - 1][1], term
            at, seen = folded.find(term, end), seen + 1


def _regions(
    text: str, units: list[tuple[int, int]], terms: Iterable[str]
) -> list[tuple[int, int]]:
    """The sentences of a long text worth analyzing: those containing the most terms verbatim
    (in the NFKC-folded text, full-width digits and letters included)."""
    starts = [start for start, _ in units]
    hits: dict[int, set[str]] = {}
    for at, _, term in _verbatim(text, terms):
        hits.setdefault(bisect_right(starts, at) - 1, set()).add(term)
    ranked = sorted((-len(found), index) for index, found in hits.items() if index >= 0)
    return sorted(units[index] for _, index in ranked[:MAX_CANDIDATES])


def _scan(
    text: str,
    units: list[tuple[int, int]],
    chains: list[tuple[Any, Collection[str], bool]],
    known: Tokens | None,
) -> tuple[list[tuple[int, int]], list[_Match]]:
    """No sentence holds a term verbatim (a match only through a reading): the sentences of
    the first window of about ``ANALYZE_FALLBACK`` characters whose analysis finds a match, and
    those matches; the first window when none does within ``ANALYZE_LIMIT`` characters."""
    first: list[tuple[int, int]] = []
    window: list[tuple[int, int]] = []
    used = analyzed = 0
    for unit in units:
        if window and used + unit[1] - unit[0] > ANALYZE_FALLBACK:
            found = find_matches(text, window, chains, known)
            if found:
                return window, found
            first = first or window
            analyzed += used
            window, used = [], 0
            if analyzed >= ANALYZE_LIMIT:
                return first, []
        window.append(unit)
        used += unit[1] - unit[0]
    found = find_matches(text, window, chains, known) if window else []
    return (window, found) if found or not first else (first, [])


def _chains(
    terms: Collection[str], analyzer: Any, also: Sequence[tuple[Any, Collection[str]]]
) -> list[tuple[Any, Collection[str], bool]]:
    chains = [(analyzer, terms, True)] + [(a, t, False) for a, t in also]
    return [(a, t, p) for a, t, p in chains if t]


def find_matches(
    text: str,
    regions: Iterable[tuple[int, int]],
    chains: list[tuple[Any, Collection[str], bool]],
    tokens: Tokens | None = None,
) -> list[_Match]:
    """Every token in ``regions`` of ``text`` whose term is wanted by its chain (the first
    chain's tokens read from ``tokens`` when given)."""
    found: list[_Match] = []
    for start, end in regions:
        for chain, wanted, primary in chains:
            if primary and tokens is not None:
                found.extend(tokens.matches(start, end, wanted, primary))
            else:
                found.extend(_analyzed(text, start, end, chain, wanted, primary))
    return found


@dataclass(frozen=True, slots=True)
class _Fragment:
    first: int  # index of the first sentence
    last: int  # index of the last sentence
    start: int
    end: int
    cut_left: bool
    cut_right: bool


def _pick(units: list[tuple[int, int]], by_unit: dict[int, list[_Match]], count: int) -> list[int]:
    """Greedy choice of sentences, each adding the most distinct terms not yet shown."""
    shown: set[tuple[str, bool]] = set()
    picks: list[int] = []
    held = {index: {(m.term, m.primary) for m in found} for index, found in by_unit.items()}
    for _ in range(count):
        best, best_gain = -1, (0, 0, 0)
        for index, terms in held.items():
            new = terms - shown
            if not new or index in picks:
                continue
            gain = (sum(p for _, p in new), len(new), -index)
            if best < 0 or gain > best_gain:
                best, best_gain = index, gain
        if best < 0:
            break
        picks.append(best)
        shown |= held[best]
    return sorted(picks)


def _window(unit: tuple[int, int], found: list[_Match], budget: int) -> tuple[int, int]:
    """The part of an over-long sentence to show: from a little before its first match."""
    start, end = unit
    first = found[0].start if found else start
    left = max(start, first - budget // 5)
    right = min(end, left + budget)
    left = max(start, right - budget)
    for m in found:  # never cut through a match
        if m.start < left < m.end:
            left = m.start
        if m.start < right < m.end:
            right = m.end
    return left, right


_BY_PLACE: Final = operator.itemgetter(0, 1)


def _fragments(
    units: list[tuple[int, int]], matches: list[_Match], size: int, max_fragments: int
) -> list[_Fragment]:
    by_unit: dict[int, list[_Match]] = {}
    starts = [s for s, _ in units]
    for m in sorted(matches, key=_BY_PLACE):
        index = max(0, bisect_right(starts, m.start) - 1)
        by_unit.setdefault(index, []).append(m)
    picks = _pick(units, by_unit, max(1, max_fragments)) or [0]
    budget = max(1, size // len(picks))
    out: list[_Fragment] = []
    for n, index in enumerate(picks):
        start, end = units[index]
        if end - start > budget:
            left, right = _window(units[index], by_unit.get(index, []), budget)
            out.append(_Fragment(index, index, left, right, left > start, right < end))
            continue
        last = index
        stop = picks[n + 1] if n + 1 < len(picks) else len(units)
        while last + 1 < stop and units[last + 1][1] - start <= budget:
            last += 1
        end = units[last][1]
        if out and out[-1].last + 1 == index and not out[-1].cut_right:
            prev = out.pop()
            out.append(_Fragment(prev.first, last, prev.start, end, prev.cut_left, False))
        else:
            out.append(_Fragment(index, last, start, end, False, False))
    return out


_NO_SPACE_AFTER: Final = frozenset("。、！？」』，．")


_SPACES = re.compile(r"\s+")


def _collapse(text: str, start: int, end: int) -> tuple[str, Sequence[int]]:
    """``text[start:end]`` with whitespace runs made one space (none after Japanese punctuation
    or at the start), and for each offset ``start..end`` its offset in the result (a run's first
    character maps to the space, the rest to what follows it). Works run by run, not character
    by character: statute text is full of spaces."""
    runs = _SPACES.finditer(text, start, end)
    first = next(runs, None)
    if first is None:  # the common case: nothing to collapse
        return text[start:end], range(end - start + 1)
    out: list[str] = []
    where: list[int] = []
    length, pos = 0, start
    for run in itertools.chain((first,), runs):
        a, b = run.span()
        if a > pos:
            out.append(text[pos:a])
            where.extend(range(length, length + a - pos))
            length += a - pos
        where.append(length)
        if out and out[-1][-1] not in _NO_SPACE_AFTER:
            out.append(" ")
            length += 1
        where.extend(itertools.repeat(length, b - a - 1))
        pos = b
    if end > pos:
        out.append(text[pos:end])
        where.extend(range(length, length + end - pos))
        length += end - pos
    where.append(length)
    return "".join(out), where


def _merged_spans(matches: Iterable[_Match]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for start, end in sorted((m.start, m.end) for m in matches):
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    return spans


def _assemble(
    text: str, fragments: list[_Fragment], matches: list[_Match], separator: str
) -> Snippet:
    spans = _merged_spans(matches)
    parts: list[str] = []
    marks: list[tuple[int, int]] = []
    length = 0
    for n, fragment in enumerate(fragments):
        if n > 0 or fragment.cut_left:
            parts.append(separator)
            length += len(separator)
        piece, where = _collapse(text, fragment.start, fragment.end)
        for start, end in spans:
            a, b = max(start, fragment.start), min(end, fragment.end)
            if a < b:
                a, b = where[a - fragment.start], where[b - fragment.start]
                if a < b:
                    marks.append((length + a, length + b))
        parts.append(piece)
        length += len(piece)
    if fragments and fragments[-1].cut_right:
        parts.append(separator)
    return Snippet("".join(parts), tuple(marks))


def _screened(text: str, chains: list[tuple[Any, Collection[str], bool]]) -> list[_Match]:
    """Verbatim occurrences of the wanted terms in the NFKC-folded text: provisional matches
    that choose the fragments before anything is analyzed (see :func:`_prepared` on folding)."""
    found: list[_Match] = []
    for _, wanted, primary in chains:
        found.extend(_Match(a, b, term, primary) for a, b, term in _verbatim(text, wanted))
    return found


def _shown(units: list[tuple[int, int]], fragments: list[_Fragment]) -> list[tuple[int, int]]:
    """The text of the fragments as the pieces to analyze: whole sentences one by one (the same
    sentence comes back when another query picks a neighbouring one, and its analysis is
    cached), a window of an over-long sentence as it is."""
    pieces: list[tuple[int, int]] = []
    for f in fragments:
        if f.cut_left or f.cut_right:
            pieces.append((f.start, f.end))
        else:
            pieces.extend(units[f.first : f.last + 1])
    return pieces


def make_snippet(
    text: str,
    terms: Collection[str],
    analyzer: Any,
    *,
    size: int = 120,
    max_fragments: int = 2,
    separator: str = "…",
    also: Sequence[tuple[Any, Collection[str]]] = (),
    fallback: Sequence[tuple[Any, Collection[str]]] = (),
    tokens: Any = None,
) -> Snippet:
    """The best ``max_fragments`` sentences of ``text`` (about ``size`` characters in all).

    ``terms`` are indexed terms the query produced for the field ``analyzer`` belongs to;
    ``also`` adds more ``(analyzer, terms)`` pairs (e.g. the reading field's) whose matches are
    highlighted too but count less when choosing sentences; ``fallback`` pairs (e.g. the bigram
    field's) are tried only when nothing else matched in the text.

    Sentences are chosen by the terms they contain verbatim, and only the text shown is
    analyzed for the exact highlights (a few hundred characters, whatever the section's
    length). When that finds no match (a term seen only inside another word, a match only
    through a reading) the choice is made again from analyzed candidate sentences.

    ``tokens`` is what :func:`pack_spans` made of ``analyzer``'s tokens of ``text`` (the stored
    field ``text_spans``): given, ``analyzer``'s matches are read from it, not analyzed, and
    when the choice is made again they are looked for in the whole text.
    """
    known = unpack_spans(text, tokens) if tokens is not None else None
    snippet = _snippet(text, terms, analyzer, size, max_fragments, separator, also, known)
    if fallback and not snippet.spans:
        snippet = _snippet(
            text, terms, analyzer, size, max_fragments, separator, [*also, *fallback], known
        )
    return snippet


def _snippet(
    text: str,
    terms: Collection[str],
    analyzer: Any,
    size: int,
    max_fragments: int,
    separator: str,
    also: Sequence[tuple[Any, Collection[str]]],
    known: Tokens | None,
) -> Snippet:
    units = _prepared(text)[0]
    chains = _chains(terms, analyzer, also)
    if not units:
        return Snippet("")
    size = max(1, size)
    screened = _screened(text, chains) if chains else []
    if screened:
        fragments = _fragments(units, screened, size, max_fragments)
        matches = find_matches(text, _shown(units, fragments), chains, known)
        if matches:
            return _assemble(text, fragments, matches, separator)
    whole: list[_Match] = []
    if known is not None and chains and chains[0][2]:
        # the body's tokens are stored: its matches anywhere in the text cost no analysis, so
        # only the other chains are kept to the candidate sentences
        whole = find_matches(text, units, chains[:1], known)
        chains = chains[1:]
    analyzed = (
        _regions(text, units, (t for _, wanted, _ in chains for t in wanted)) if chains else []
    )
    if analyzed:
        matches = whole + find_matches(text, analyzed, chains, known)
    elif chains:
        analyzed, found = _scan(text, units, chains, known)
        matches = whole + found
    else:
        matches = whole
    fragments = _fragments(units, matches, size, max_fragments)
    # sentences added for context were not analyzed yet: their matches are highlighted too
    done = set(analyzed)
    extra = [u for f in fragments for u in units[f.first : f.last + 1] if u not in done]
    matches.extend(find_matches(text, extra, chains, known))
    return _assemble(text, fragments, matches, separator)
