"""Answer types: what kind of word a question asks for, and which kinds a section holds.

A question's interrogative says what its answer is (いつ: a date, 誰: a person, どこ: a place,
いくつ/何人: a number); a section that answers it holds a word of that kind. This is predictive
annotation (Prager, Brown, Coden & Radev, "Question-answering by predictive annotation", SIGIR
2000), reduced to one keyword per kind and section: at index time the writer records which of
the four kinds the body holds (from the parts of speech of the analysis it already has, no
second Sudachi pass), and at query time a question of one kind lifts the sections holding it
(:attr:`mofasearch.scoring.RankingConfig.answer_type_weight`).

- ``person``: a proper noun of person names (名詞-固有名詞-人名: 姓, 名, full names).
- ``place``: a proper noun of place names (名詞-固有名詞-地名: 国, 都市, …).
- ``number``: a numeral (名詞-数詞) written with a digit or a kanji numeral.
- ``date``: a numeral followed by a unit of time (年, 月, 日, 世紀, 年代, 年度, 時, 元年), or 時代
  after a proper noun (江戸時代).

The question's kind is read from its surface text: the last interrogative in it decides (a
Japanese question ends on what it asks). Durations (何年間, 何時間, 何か月) ask for a number,
not a date.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from mofasearch.analysis import sudachi
from mofasearch.analysis.morphemes import records

ANSWER_TYPES = ("date", "person", "place", "number")

_DURATION = r"何(?:年間|日間|時間|週間|分間|秒間|ヶ月|ケ月|か月|カ月|ヵ月|箇月)"
_COUNTERS = (
    r"人|個|回|歳|才|度|%|％|パーセント|倍|割|位|番|本|枚|匹|頭|羽|台|件|種類|種|点|票|円|ドル|"
    r"階|冊|部|社|校|カ国|ヶ国|か国|ヵ国|箇国|カ所|ヶ所|か所|箇所|キロ|メートル|センチ|ミリ|トン|"
    r"グラム|リットル|km|cm|mm|kg|m|g|分|秒|週|話|巻|作|曲|勝|敗|試合|代目|期|段|号|万|億|千|百|十"
)
_PLACE_NOUNS = r"国|都市|地域|地方|都道府県|県|州|市|町|村|島|大陸|場所|海|川|山"
#: (kind, pattern), in the order that decides between two matches starting at one place
_QUESTION_PATTERNS = (
    ("number", _DURATION),
    ("date", r"いつ|何時代|何世紀|何年代|何年|何月|何日|何曜日|何時"),
    ("person", r"誰|だれ|何者|どなた|どの人物"),
    ("place", rf"どこ|何処|何県|何州|何市|何地方|どの(?:{_PLACE_NOUNS})"),
    (
        "number",
        rf"いくつ|幾つ|いくら|幾ら|どのくらい|どれくらい|どのぐらい|どれぐらい|どれほど|どれだけ|"
        rf"どの程度|何(?:{_COUNTERS})",
    ),
)
_QUESTION = tuple((kind, re.compile(pattern)) for kind, pattern in _QUESTION_PATTERNS)

_NUMERAL_CHARS = frozenset("0123456789０１２３４５６７８９〇一二三四五六七八九十百千万億兆")
_TIME_UNITS = frozenset({"年", "月", "日", "世紀", "年代", "時", "年頃", "年度", "元年"})

# part-of-speech classes (one small int per Sudachi part-of-speech id)
_OTHER, _PERSON, _PLACE, _NUMERAL, _PROPER = range(5)


def question_type(text: str) -> str | None:
    """The kind of answer ``text`` asks for (one of :data:`ANSWER_TYPES`), or None."""
    best: tuple[int, int] | None = None
    kind: str | None = None
    for order, (name, pattern) in enumerate(_QUESTION):
        for m in pattern.finditer(text):
            key = (m.start(), -order)
            if best is None or key > best:
                best, kind = key, name
    return kind


@lru_cache(maxsize=8)
def _classes(key: tuple[str, ...]) -> tuple[int, ...]:
    out = []
    for pos in sudachi.pos_names(key):
        if pos[:3] == ("名詞", "固有名詞", "人名"):
            out.append(_PERSON)
        elif pos[:3] == ("名詞", "固有名詞", "地名"):
            out.append(_PLACE)
        elif pos[:2] == ("名詞", "数詞"):
            out.append(_NUMERAL)
        elif pos[:2] == ("名詞", "固有名詞"):
            out.append(_PROPER)
        else:
            out.append(_OTHER)
    return tuple(out)


def answer_types(text: str, mode: str = "C", key: tuple[str, ...] = ()) -> list[str]:
    """The kinds of answer ``text`` holds, in :data:`ANSWER_TYPES` order (from the per-thread
    morpheme records, so right after the text was indexed this costs no Sudachi pass)."""
    if not text:
        return []
    classes = _classes(key)
    found: set[str] = set()
    numeral_end = -1  # end offset of the last numeral written with numeral characters
    previous = _OTHER
    for r in records(text, mode, key):
        kind = classes[r[1]]
        if kind == _PERSON:
            found.add("person")
        elif kind == _PLACE:
            found.add("place")
        elif kind == _NUMERAL:
            if not _NUMERAL_CHARS.isdisjoint(text[r[2] : r[3]]):
                found.add("number")
                numeral_end = r[3]
        elif r[2] == numeral_end:  # a unit of time right after a numeral: 1835|年
            if r[0] in _TIME_UNITS or text[r[2] : r[3]] in _TIME_UNITS:
                found.add("date")
        elif r[0] == "時代" and previous != _OTHER and previous != _NUMERAL:  # 江戸|時代
            found.add("date")
        previous = kind
        if len(found) == len(ANSWER_TYPES):
            break
    return [name for name in ANSWER_TYPES if name in found]


def answer_type_plan(analyzer: Any) -> Callable[[str], list[str]] | None:
    """:func:`answer_types` over the records ``analyzer`` indexes a text from, when it is the
    index's own main chain (None for any other chain: its records are not known)."""
    from mofasearch.analysis.fastpath import recognised

    found = recognised(analyzer)
    if found is None or found[0] != "main":
        return None
    mode, key = found[1].mode, found[1].dictionary_key

    def plan(text: str) -> list[str]:
        return answer_types(text, mode, key)

    return plan
