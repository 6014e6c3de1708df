"""Term normalization: width folding, lower-casing, kana conversion, offset-keeping folds.

Decisions:

- The main chain indexes Sudachi's normalized form (spelling variants unified, kanji numerals as
  digits: 十五 -> 15, 二〇〇四 -> 2004), then folds width (full-width digits and Latin to
  half-width, half-width katakana to full-width, by NFKC) and lower-cases Latin *after*
  normalization, because Sudachi's normalized form upper-cases some words (apec -> APEC).
- Offsets always point into the original text: terms are computed per morpheme and never change
  the morpheme's begin/end. :func:`fold_text` (used by the bigram chain) keeps a map back to the
  original characters when folding changes the length (ｶﾞ -> ガ, ㍻ -> 平成).
- Invisible characters (zero-width space and joiners, soft hyphen, word joiner, BOM, bidi
  marks, variation selectors such as the IVS of 葛󠄀) are taken out before Sudachi sees the text
  (:func:`strip_ignorable`), with a map back to the original offsets: left in, Sudachi makes
  them words of their own or glues them to a neighbour (京都\u200b議定書 indexed ``\u200b``,
  東京\u200d都 indexed 東/京\u200d/都, 葛󠄀飾区 never indexed 葛飾), though the reader sees one
  word. Each one stays inside the surface of the unit before it, so units still tile the text.
- Kana-only query runs are turned into katakana before Sudachi sees them: Sudachi cuts unknown
  hiragana runs into particles and fragments (にちろ -> に/ちろ) while the same run in katakana
  stays one unit whose reading matches the kanji word's reading (ニチロ = reading of 日露).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_WIDTH = re.compile("[\u3000\uff01-\uff5e\uff61-\uff9f\uffe0-\uffe6]")
#: Unicode's default-ignorable format characters and variation selectors that occur inside
#: words in Japanese text (not the Hangul fillers and Mongolian selectors, which are letters or
#: belong to other scripts)
_IGNORABLE_RANGES = (
    (0x00AD, 0x00AD),  # soft hyphen
    (0x034F, 0x034F),  # combining grapheme joiner
    (0x061C, 0x061C),  # Arabic letter mark
    (0x200B, 0x200F),  # zero-width space, non-joiner, joiner; LRM, RLM
    (0x202A, 0x202E),  # bidi embeddings and overrides
    (0x2060, 0x2064),  # word joiner, invisible operators
    (0x2066, 0x206F),  # bidi isolates, deprecated format characters
    (0xFE00, 0xFE0F),  # variation selectors 1-16 (emoji presentation among them)
    (0xFEFF, 0xFEFF),  # zero-width no-break space (BOM)
    (0xE0001, 0xE0001),  # language tag
    (0xE0020, 0xE007F),  # tag characters (emoji subdivision flags)
    (0xE0100, 0xE01EF),  # variation selectors 17-256 (ideographic variation sequences)
)
#: the invisible characters :func:`strip_ignorable` takes out
IGNORABLE_CHARS = frozenset(chr(c) for a, b in _IGNORABLE_RANGES for c in range(a, b + 1))
_IGNORABLE = re.compile("[" + "".join(f"{chr(a)}-{chr(b)}" for a, b in _IGNORABLE_RANGES) + "]+")
_KANA_RUN = re.compile(
    "(?<![\u3040-\u30ff\u4e00-\u9fff])[\u3041-\u309f\u30a0-\u30ff]+(?![\u3040-\u30ff\u4e00-\u9fff])"
)


def fold_term(term: str) -> str:
    """Width-fold and lower-case one term (Sudachi normalized form or reading)."""
    if term.isascii():
        return term.lower()
    if _WIDTH.search(term) is not None:
        term = unicodedata.normalize("NFKC", term)
    return term.lower()


@lru_cache(maxsize=1)
def _katakana_table() -> dict[int, int]:
    table = {c: c + 0x60 for c in range(0x3041, 0x3097)}
    table[0x309D] = 0x30FD  # ゝ -> ヽ
    table[0x309E] = 0x30FE  # ゞ -> ヾ
    return table


def to_katakana(text: str) -> str:
    """Hiragana to katakana; everything else unchanged (same length)."""
    return text.translate(_katakana_table())


def katakanize_kana_runs(text: str) -> str:
    """Turn runs written only in kana (not touching kanji) into katakana; same length."""
    if not text:
        return text
    return _KANA_RUN.sub(lambda m: to_katakana(m.group()), text)


def strip_ignorable(text: str) -> tuple[str, list[int] | None]:
    """``text`` without invisible characters, and where each boundary of the result lies in
    ``text``; None when there were none (the common case: one regex search, nothing copied).

    Boundary ``c`` of the result (``0..len(result)``) maps to the start of the character after
    it in ``text``, so the invisible characters before a visible one belong to the piece that
    ends there; 0 maps to 0 and the end to ``len(text)``, so pieces that tile the result map to
    pieces that tile ``text``.
    """
    if _IGNORABLE.search(text) is None:
        return text, None
    pieces: list[str] = []
    where: list[int] = []
    last = 0
    for m in _IGNORABLE.finditer(text):
        pieces.append(text[last : m.start()])
        where.extend(range(last, m.start()))
        last = m.end()
    pieces.append(text[last:])
    where.extend(range(last, len(text)))
    if where:
        where[0] = 0
    where.append(len(text))
    return "".join(pieces), where


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    return unicodedata.normalize("NFKC", ch).lower()


def fold_text(text: str) -> tuple[str, list[tuple[int, int]] | None]:
    """NFKC-fold and lower-case ``text``, with each folded character's original span.

    The spans are None when folding kept every character in place (the common case), so
    offsets in the folded text are offsets in the original. Otherwise a character and the
    combining or half-width sound marks after it fold together (ｶﾞ -> ガ), and every folded
    character maps to the ``(start, end)`` of what it came from (㍻ -> 平成: both map to 0..1).
    """
    if text.isascii():
        return text.lower(), None
    folded = text
    if not unicodedata.is_normalized("NFKC", text):
        folded = unicodedata.normalize("NFKC", text)
    folded = folded.lower()
    if len(folded) == len(text) and (folded is text or _same_places(text, folded)):
        return folded, None
    pieces: list[str] = []
    spans: list[tuple[int, int]] = []
    i = 0
    n = len(text)
    while i < n:
        j = i + 1
        while j < n and _is_mark(text[j]):
            j += 1
        f = _fold_char(text[i:j])
        pieces.append(f)
        spans.extend([(i, j)] * len(f))
        i = j
    return "".join(pieces), spans


def _is_mark(ch: str) -> bool:
    return ch in "\uff9e\uff9f" or unicodedata.combining(ch) != 0


def _same_places(text: str, folded: str) -> bool:
    """Whether NFKC changed characters one for one (true unless it merged or split some)."""
    return all(_fold_char(a) == b for a, b in zip(text, folded, strict=True) if a != b)
