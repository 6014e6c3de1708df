"""One Sudachi pass per text, shared by every chain: morpheme records and a per-thread cache.

A *record* is a plain tuple (cheaper than an object per morpheme)::

    (surface, term, reading, pos_id, start, end, subs)

``term`` is the folded normalized form, ``reading`` the folded katakana reading, ``start``/``end``
character offsets into the text given, and ``subs`` the A sub-units of a longer unit as records
of the same shape (empty when the unit does not split). Every attribute is read from Sudachi once.

The title/body chain, the reading chain and ``analyze`` over one field value all ask for the same
records: a small per-thread cache of the last few texts lets them share one Sudachi pass.
Records are also where lexicalized words written with numerals are repaired (see
``data/lexicalized.tsv``): Sudachi sometimes splits 三日月 into 三/日/月 and normalizes 三 to 3.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from mofasearch.analysis import sudachi
from mofasearch.analysis.normalize import fold_term, katakanize_kana_runs
from mofasearch.analysis.settings import lexicalized_words

log = logging.getLogger("mofasearch.analysis")

Record = tuple[str, str, str, int, int, int, tuple[Any, ...]]
SURFACE, TERM, READING, POS, START, END, SUBS = range(7)

_CACHE_SIZE = 4
_local = threading.local()


def records(
    text: str, mode: str = "C", key: tuple[str, ...] = (), *, kana_query: bool = False
) -> list[Record]:
    """The morpheme records of ``text`` (cached per thread; never raises for any ``str``)."""
    if kana_query:
        text = katakanize_kana_runs(text)
    cache = getattr(_local, "cache", None)
    if cache is None:
        cache = _local.cache = {}
    ck = (text, mode, key)
    found = cache.get(ck)
    if found is not None:
        return found
    found = _analyze(text, mode, key)
    if len(cache) >= _CACHE_SIZE:
        del cache[next(iter(cache))]
    cache[ck] = found
    return found


def _analyze(text: str, mode: str, key: tuple[str, ...]) -> list[Record]:
    if not isinstance(text, str):
        text = str(text)
    if not text:
        return []
    tok = sudachi.tokenizer(key, mode)
    splittable = _splittable(key)
    out: list[Record] = []
    for offset, piece in sudachi.chunks(text):
        try:
            ms = tok.tokenize(piece)
        except UnicodeEncodeError:
            piece = sudachi.sanitize(piece)
            ms = _safe_tokenize(tok, piece)
        except Exception as exc:  # Sudachi's own errors: log, and drop only this piece
            log.warning("Sudachi could not analyze %d characters: %s", len(piece), exc)
            continue
        _append(out, ms, offset, splittable, mode != "A")
    if _NUMERAL_POS.get(key) is None:
        _NUMERAL_POS[key] = _numeral_ids(key)
    numerals = _NUMERAL_POS[key]
    if any(r[POS] in numerals for r in out):
        out = _repair_lexicalized(text, out, numerals, _common_noun_id(key))
    return out


def _safe_tokenize(tok: Any, piece: str) -> Any:
    try:
        return tok.tokenize(piece)
    except Exception as exc:
        log.warning("Sudachi could not analyze %d characters: %s", len(piece), exc)
        return []


def _append(
    out: list[Record], ms: Any, offset: int, splittable: tuple[bool, ...], may_split: bool
) -> None:
    from sudachipy import SplitMode

    split_a = SplitMode.A
    for m in ms:
        start = m.begin() + offset
        end = m.end() + offset
        pos = m.part_of_speech_id()
        subs: tuple[Any, ...] = ()
        if may_split and end - start > 1 and splittable[pos]:
            parts = m.split(split_a)
            if len(parts) > 1:
                subs = tuple(
                    (
                        p.surface(),
                        fold_term(p.normalized_form()),
                        fold_term(p.reading_form()),
                        p.part_of_speech_id(),
                        p.begin() + offset,
                        p.end() + offset,
                        (),
                    )
                    for p in parts
                )
        out.append(
            (
                m.surface(),
                fold_term(m.normalized_form()),
                fold_term(m.reading_form()),
                pos,
                start,
                end,
                subs,
            )
        )


_NEVER_SPLIT = ("助詞", "助動詞", "補助記号", "記号", "空白")
_NUMERAL_POS: dict[tuple[str, ...], frozenset[int]] = {}


def _splittable(key: tuple[str, ...]) -> tuple[bool, ...]:
    return tuple(not v for v in sudachi.pos_table(key, _NEVER_SPLIT))


def _numeral_ids(key: tuple[str, ...]) -> frozenset[int]:
    table = sudachi.pos_table(key, ("名詞,数詞",))
    return frozenset(i for i, v in enumerate(table) if v)


def _common_noun_id(key: tuple[str, ...]) -> int:
    names = sudachi.pos_names(key)
    return names.index(("名詞", "普通名詞", "一般", "*", "*", "*"))


def _repair_lexicalized(
    text: str, recs: list[Record], numerals: frozenset[int], noun: int
) -> list[Record]:
    """Merge morphemes that spell a listed lexicalized word starting at a numeral."""
    starts = {r[START]: i for i, r in enumerate(recs)}
    out: list[Record] = []
    i = 0
    while i < len(recs):
        merged = None
        if recs[i][POS] in numerals:
            merged = _merge_at(text, recs, i, starts, noun)
        if merged is None:
            out.append(recs[i])
            i += 1
        else:
            rec, i = merged
            out.append(rec)
    return out


def _merge_at(
    text: str, recs: list[Record], i: int, starts: dict[int, int], noun: int
) -> tuple[Record, int] | None:
    first = recs[i]
    begin = first[START]
    for surface, reading, not_after, after in lexicalized_words():
        if not text.startswith(surface, begin):
            continue
        end = begin + len(surface)
        j = starts.get(end, len(recs)) if end < len(text) else len(recs)
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
        return (surface, term, reading or first[READING], noun, begin, end, ()), j
    return None
