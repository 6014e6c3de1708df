"""One Sudachi pass per text, shared by every chain: morpheme records and a per-thread cache.

A *record* is a plain tuple (cheaper than an object per morpheme)::

    (term, pos_id, start, end, subs, ref)

``term`` is the folded normalized form, ``start``/``end`` character offsets into the text given
(so the surface is ``text[start:end]``), ``subs`` the A sub-units of a longer unit as records of
the same shape (empty when the unit does not split), and ``ref`` where the reading comes from:
the reading itself, or the index of the Sudachi morpheme, read only when a chain asks for it.

This is the hot path of indexing, so each morpheme costs as little as Sudachi allows: the loop
reads offsets, part of speech and normalized form once; the surface is a slice of the text, and
the reading is fetched lazily (only the reading chain wants it). :class:`Analysis` is the list of
records of one text, with :meth:`Analysis.reading`.

The title/body chain, the reading chain and ``analyze`` over one field value all ask for the same
records: a small per-thread cache of the last few texts lets them share one Sudachi pass.
Records are also where lexicalized words written with numerals are repaired (see
``data/lexicalized.tsv``): Sudachi sometimes splits 三日月 into 三/日/月 and normalizes 三 to 3.
"""

from __future__ import annotations

import logging
import threading
import unicodedata
from functools import lru_cache
from typing import Any

from mofasearch.analysis import sudachi
from mofasearch.analysis.normalize import fold_term, katakanize_kana_runs, strip_ignorable
from mofasearch.analysis.settings import lexicalized_words

log = logging.getLogger("mofasearch.analysis")

Record = tuple[Any, ...]  # (term: str, pos_id: int, start: int, end: int, subs, ref: str | int)
TERM, POS, START, END, SUBS, REF = range(6)

_CACHE_SIZE = 4
_CHUNK_STRIDE = 1 << 20  # ref = chunk number * stride + index in the chunk
_local = threading.local()


class Analysis(list):  # type: ignore[type-arg]
    """The records of one text, and the Sudachi morphemes their readings come from."""

    __slots__ = ("text", "morphemes")

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self.morphemes: list[Any] = []

    def reading(self, rec: Record) -> str:
        """The katakana reading of a record."""
        ref = rec[REF]
        if isinstance(ref, str):
            return ref
        chunk, i = divmod(ref, _CHUNK_STRIDE)
        form = self.morphemes[chunk][i].reading_form()
        return _FOLD.get(form) or _fold(form)

    def readings(self, skip: Any) -> list[str | None]:
        """:meth:`reading` of every record, None where ``skip[pos_id]`` is true: one loop over
        the records instead of a method call per record (the reading field's index path)."""
        morphemes, fold_get, stride = self.morphemes, _FOLD.get, _CHUNK_STRIDE
        out: list[str | None] = []
        append = out.append
        for rec in self:
            if skip[rec[POS]]:
                append(None)
                continue
            ref = rec[REF]
            if ref.__class__ is str:
                append(ref)
                continue
            form = morphemes[ref // stride][ref % stride].reading_form()
            append(fold_get(form) or _fold(form))
        return out

    def surface(self, rec: Record) -> str:
        return self.text[rec[START] : rec[END]]


def records(
    text: str, mode: str = "C", key: tuple[str, ...] = (), *, kana_query: bool = False
) -> Analysis:
    """The morpheme records of ``text`` (cached per thread; never raises for any ``str``)."""
    if not isinstance(text, str):
        text = str(text)
    if kana_query:
        text = katakanize_kana_runs(text)
    cache = getattr(_local, "cache", None)
    if cache is None:
        cache = _local.cache = {}
    ck = (text, mode, key)
    found = cache.get(ck)
    if found is not None:
        return found  # type: ignore[no-any-return]
    found = _analyze(text, mode, key)
    if len(cache) >= _CACHE_SIZE:
        del cache[next(iter(cache))]
    cache[ck] = found
    return found


def clear_cache() -> None:
    """Forget this thread's cached analyses (benchmarks use it to time a cold pass)."""
    cache = getattr(_local, "cache", None)
    if cache:
        cache.clear()


def _analyze(text: str, mode: str, key: tuple[str, ...]) -> Analysis:
    out = Analysis(text)
    if not text:
        return out
    tok = sudachi.tokenizer(key, mode)
    kinds, _ = _pos_classes(key)
    noun = _common_noun_id(key)
    numerals: list[int] = []
    pieces = sudachi.chunks(text)
    pieces.reverse()  # taken from the end: a piece cut again puts its parts back in order
    while pieces:
        offset, piece = pieces.pop()
        # Sudachi sees the piece without invisible characters (see normalize); a piece of
        # nothing else is analyzed as it is, so every character still has a unit
        clean, where = strip_ignorable(piece)
        if not clean:
            clean, where = piece, None
        ms = _tokenize(tok, clean)
        if ms is None:  # too long once Sudachi rewrote it (㍿ -> 株式会社): analyze it in halves
            halves = sudachi.chunks(piece, len(piece) // 2)
            pieces.extend((offset + at, part) for at, part in reversed(halves))
            continue
        base = len(out.morphemes) * _CHUNK_STRIDE
        out.morphemes.append(ms)
        splits = _SPLITS.setdefault(key, {}) if mode != "A" else None
        if where is None:
            _append(out, ms, clean, offset, base, kinds, splits, numerals, noun)
        else:
            first = len(out)
            _append(out, ms, clean, 0, base, kinds, splits, numerals, noun)
            _remap(out, first, where, offset)
    if numerals:
        repaired = _repair_lexicalized(out, numerals, noun)
        if repaired is not None:
            out[:] = repaired
    return out


def _remap(out: list[Record], first: int, where: list[int], offset: int) -> None:
    """Move the records from ``first`` on (and their sub-units) from offsets into the piece
    without invisible characters to offsets into the text (``where``: see
    :func:`~mofasearch.analysis.normalize.strip_ignorable`; ``offset``: the piece's start)."""
    for k in range(first, len(out)):
        term, pos, start, end, subs, ref = out[k]
        if subs:
            subs = tuple(
                (t, p, where[a] + offset, where[b] + offset, s, r) for t, p, a, b, s, r in subs
            )
        out[k] = (term, pos, where[start] + offset, where[end] + offset, subs, ref)


def _tokenize(tok: Any, piece: str) -> Any:
    """Sudachi's morphemes of ``piece``; None when Sudachi finds it too long (a piece within
    the limit as written can grow past it as Sudachi rewrites it: the caller cuts it again);
    no morphemes when Sudachi fails otherwise (logged: only this piece goes unanalyzed)."""
    try:
        return tok.tokenize(piece)
    except UnicodeEncodeError:  # lone surrogates
        return _tokenize(tok, sudachi.sanitize(piece))
    except Exception as exc:  # Sudachi's own errors
        if len(piece) > 1 and sudachi.too_long(exc):
            return None
        log.warning("Sudachi could not analyze %d characters: %s", len(piece), exc)
        return []


#: entries of each memo below (folded forms; A splits by surface) before it starts afresh:
#: enough for the words that recur, small enough to bound what a long build keeps
MEMO_SIZE = 200_000
_FOLD: dict[str, str] = {}


def _fold(form: str) -> str:
    """:func:`fold_term` behind a dictionary: most forms recur, and a lookup is cheaper."""
    folded = _FOLD.get(form)
    if folded is None:
        if len(_FOLD) > MEMO_SIZE:
            _FOLD.clear()
        folded = _FOLD[form] = fold_term(form)
    return folded


def _append(
    out: list[Record],
    ms: Any,
    piece: str,
    offset: int,
    base: int,
    kinds: tuple[int, ...],
    splits: dict[str, Any] | None,
    numerals: list[int],
    noun: int,
) -> None:
    """Append the records of ``ms``, and to ``numerals`` the index of each numeral record
    (lexicalized words are looked for there only).

    A letter Sudachi's character table does not know (a kanji outside the Basic Multilingual
    Plane: 𠮷 of 𠮷野家, 𩸽; a word of Thai, Arabic or Devanagari) comes out as a symbol, which
    every chain stops, so it could never be searched for; such a unit of letters is recorded as
    a common noun (``noun``, see :func:`_is_word`).

    ``splits`` memoizes A splits by surface (checked against the word id), so a word that
    recurs is split by Sudachi once per process; None means no splitting (mode A).
    """
    fold_get = _FOLD.get
    append = out.append
    ref = base
    split, numeral = _SPLIT, _NUMERAL
    nosubs: tuple[Any, ...] = ()
    end = 0
    for m in ms:
        start = end  # Sudachi's morphemes tile the input: one begins where the last ended
        end = m.end()
        pos = m.part_of_speech_id()
        nf = m.normalized_form()
        subs = nosubs
        kind = kinds[pos]
        if kind == split:
            if splits is not None and end - start > 1:
                subs = _split(m, piece[start:end], splits)
                if subs:
                    subs = _place(subs, start + offset)
        elif kind == numeral:
            numerals.append(len(out))
        elif kind == _SYMBOL and _is_word(piece[start:end]):
            pos = noun
        append((fold_get(nf) or _fold(nf), pos, start + offset, end + offset, subs, ref))
        ref += 1


def _is_word(surface: str) -> bool:
    """Whether a unit Sudachi tagged as an unknown symbol is a word: letters, and the combining
    marks written on them, which are part of the word (Thai tone marks, Arabic and Hebrew
    vowel points, Indic vowel signs and viramas: น้ำ, हिन्दी) but not letters to ``isalpha``."""
    if surface.isalpha():
        return True
    return surface[:1].isalpha() and all(
        c.isalpha() or unicodedata.category(c)[0] == "M" for c in surface
    )


_OOV_IDS = 0xF000_0000  # Sudachi's word ids for unknown words; they never split


def _split(m: Any, surface: str, splits: dict[str, Any]) -> tuple[Any, ...]:
    """The A sub-units of ``m`` as ``(term, pos, start, end, reading)`` relative to it."""
    wid = m.word_id()
    if wid >= _OOV_IDS:
        return ()
    known = splits.get(surface)
    if known is not None and known[0] == wid:
        return known[1]  # type: ignore[no-any-return]
    from sudachipy import SplitMode

    parts = m.split(SplitMode.A)
    rel: tuple[Any, ...] = ()
    if len(parts) > 1:
        b0 = m.begin()
        rel = tuple(
            (
                _fold(p.normalized_form()),
                p.part_of_speech_id(),
                p.begin() - b0,
                p.end() - b0,
                fold_term(p.reading_form()),
            )
            for p in parts
        )
    if len(splits) > MEMO_SIZE:
        splits.clear()
    splits[surface] = (wid, rel)
    return rel


def _place(rel: tuple[Any, ...], at: int) -> tuple[Record, ...]:
    return tuple((t, pos, at + b, at + e, (), reading) for t, pos, b, e, reading in rel)


_SPLITS: dict[tuple[str, ...], dict[str, Any]] = {}


_NEVER_SPLIT = ("助詞", "助動詞", "補助記号", "記号", "空白")
_KEEP, _SPLIT, _NUMERAL, _SYMBOL = 0, 1, 2, 3
#: what Sudachi calls a character its character table does not know (its default category)
_UNKNOWN_SYMBOL = ("補助記号", "一般", "*", "*", "*", "*")


@lru_cache(maxsize=8)
def _pos_classes(key: tuple[str, ...]) -> tuple[tuple[int, ...], frozenset[int]]:
    """Per part-of-speech id: kept whole, may split into A units, numeral, or the symbol an
    unknown character is tagged with; numeral ids."""
    never = sudachi.pos_table(key, _NEVER_SPLIT)
    numeral = sudachi.pos_table(key, ("名詞,数詞",))
    names = sudachi.pos_names(key)
    kinds = tuple(
        _NUMERAL if num else _SYMBOL if name == _UNKNOWN_SYMBOL else _KEEP if nev else _SPLIT
        for nev, num, name in zip(never, numeral, names, strict=True)
    )
    return kinds, frozenset(i for i, v in enumerate(numeral) if v)


@lru_cache(maxsize=8)
def _common_noun_id(key: tuple[str, ...]) -> int:
    names = sudachi.pos_names(key)
    return names.index(("名詞", "普通名詞", "一般", "*", "*", "*"))


def _repair_lexicalized(recs: Analysis, numerals: list[int], noun: int) -> list[Record] | None:
    """Merge morphemes that spell a listed lexicalized word starting at a numeral (the
    indexes in ``numerals``, ascending); None when nothing merges (the common case)."""
    merges: list[tuple[int, int, Record]] = []
    after_last = 0
    for i in numerals:
        if i < after_last:
            continue  # inside a word merged already
        merged = _merge_at(recs, i, noun)
        if merged is not None:
            merges.append((i, merged[1], merged[0]))
            after_last = merged[1]
    if not merges:
        return None
    out: list[Record] = []
    last = 0
    for i, j, rec in merges:
        out.extend(recs[last:i])
        out.append(rec)
        last = j
    out.extend(recs[last:])
    return out


def _merge_at(recs: Analysis, i: int, noun: int) -> tuple[Record, int] | None:
    """The merged record and the index after it, when a listed word starts at record ``i``."""
    text = recs.text
    first = recs[i]
    begin = first[START]
    n = len(recs)
    for surface, reading, not_after, after in lexicalized_words():
        if not text.startswith(surface, begin):
            continue
        end = begin + len(surface)
        j = i  # the first record that does not start before the word's end
        while j < n and recs[j][START] < end:
            j += 1
        if j < n and recs[j][START] != end:
            j = n
        if recs[j - 1][END] != end:
            continue
        if j - i < 2 and first[TERM] == fold_term(surface):
            return None  # already one unit that keeps its kanji
        if not_after and begin > 0 and text[begin - 1] in not_after:
            continue
        if after:
            nxt = text[end] if end < len(text) else "$"
            if nxt not in after:
                continue
        term = fold_term(surface)
        return (term, noun, begin, end, (), reading or recs.reading(first)), j
    return None
