"""Term normalization: width folding, lower-casing, kana conversion, offset-keeping folds.

Decisions:

- The main chain indexes Sudachi's normalized form (spelling variants unified, kanji numerals as
  digits: 十五 -> 15, 二〇〇四 -> 2004), then folds width (full-width digits and Latin to
  half-width, half-width katakana to full-width, by NFKC) and lower-cases Latin *after*
  normalization, because Sudachi's normalized form upper-cases some words (apec -> APEC).
- Offsets always point into the original text: terms are computed per morpheme and never change
  the morpheme's begin/end. :func:`fold_text` (used by the bigram chain) keeps a map back to the
  original characters when folding changes the length (ｶﾞ -> ガ, ㍻ -> 平成).
- Kana-only query runs are turned into katakana before Sudachi sees them: Sudachi cuts unknown
  hiragana runs into particles and fragments (にちろ -> に/ちろ) while the same run in katakana
  stays one unit whose reading matches the kanji word's reading (ニチロ = reading of 日露).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_WIDTH = re.compile("[\u3000\uff01-\uff5e\uff61-\uff9f\uffe0-\uffe6]")
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
