"""Japanese numerals and dates: 平成十四年十月二十七日, 平成16年6月10日, 令和元年, ２００４年,
二〇〇四年六月十日, 2004-06-10.

Government pages write dates in the era calendar, with kanji numerals either as numbers
(二十三) or digit by digit (二三, as e-Gov does in 最終改正 lines), and often in full-width digits.
A date that cannot exist (平成16年2月30日) is a typo on the page: it gives ``None`` and a log
message, never an exception, because one bad date must not cost the whole document.
"""

from __future__ import annotations

import datetime
import logging
import re
import unicodedata

log = logging.getLogger("mofasearch.documents")

ERA_START = {"明治": 1868, "大正": 1912, "昭和": 1926, "平成": 1989, "令和": 2019}
_DIGITS = {
    "〇": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "壱": 1,
    "弐": 2,
    "参": 3,
}
_UNITS = {"十": 10, "拾": 10, "百": 100, "千": 1000}
_NUM = "[0-9０-９〇零一二三四五六七八九壱弐参十拾百千]{1,7}"
_ERAS = "|".join(ERA_START)
_MONTHS = {
    name: index
    for index, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_S = r"[ \t　]*"
#: a Western year: four digits, Arabic, full-width or kanji (二〇〇四), or a kanji number (二千四)
_WESTERN_YEAR = (
    "[0-9０-９]{4}|[〇零一二三四五六七八九]{4}|[一二]千[〇零一二三四五六七八九十百]{0,5}"
)
_DATE = re.compile(
    rf"(?P<era>{_ERAS}){_S}(?P<ey>{_NUM}|元){_S}年{_S}(?P<em>{_NUM}){_S}月{_S}(?P<ed>{_NUM}){_S}日"
    rf"|(?P<wy>{_WESTERN_YEAR}){_S}年{_S}(?P<wm>{_NUM}){_S}月{_S}(?P<wd>{_NUM}){_S}日"
    r"|(?<![0-9])(?P<iy>[12][0-9]{3})[-/.](?P<im>[0-9]{1,2})[-/.](?P<id>[0-9]{1,2})(?![0-9])"
    r"|(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?[ \t]+(?P<md>[0-9]{1,2}),"
    r"[ \t]*(?P<my>[0-9]{4})"
)
_WEEKDAY = re.compile(r"^[(（][月火水木金土日](?:曜日?)?[)）]$")


def to_int(numeral: str) -> int:
    """An integer from Arabic, full-width or kanji digits: 二十三 and 二三 both give 23.

    Kanji with 十/百/千 are read as a number; kanji without them digit by digit (一一〇 = 110).
    Raises ValueError when the string is not a numeral.
    """
    numeral = unicodedata.normalize("NFKC", numeral).strip()
    if not numeral:
        raise ValueError("empty numeral")
    if numeral.isdigit() and numeral.isascii():
        return int(numeral)
    if numeral == "元":
        return 1
    if any(char in _UNITS for char in numeral):
        return _positional_units(numeral)
    value = 0
    for char in numeral:
        if char.isascii() and char.isdigit():
            value = value * 10 + int(char)
        elif char in _DIGITS:
            value = value * 10 + _DIGITS[char]
        else:
            raise ValueError(f"not a numeral: {numeral!r}")
    return value


def _positional_units(numeral: str) -> int:
    total = 0
    current = -1
    for char in numeral:
        if char in _DIGITS:
            current = _DIGITS[char] if current < 0 else current * 10 + _DIGITS[char]
        elif char in _UNITS:
            total += (1 if current < 0 else current) * _UNITS[char]
            current = -1
        else:
            raise ValueError(f"not a numeral: {numeral!r}")
    return total + max(current, 0)


def find_date(text: str) -> re.Match[str] | None:
    """The first date written in ``text``, as a match object (see :func:`date_of`)."""
    return _DATE.search(text)


def date_of(match: re.Match[str]) -> datetime.date | None:
    """The ``datetime.date`` of a :func:`find_date` match; None (and a log line) if impossible."""
    groups = match.groupdict()
    try:
        if groups["era"]:
            if to_int(groups["ey"]) == 0:  # an era starts at 元年 (1): 平成0年 is no year
                raise ValueError("an era has no year 0")
            year = ERA_START[groups["era"]] - 1 + to_int(groups["ey"])
            month, day = to_int(groups["em"]), to_int(groups["ed"])
        elif groups["wy"]:
            year, month, day = (to_int(groups[k]) for k in ("wy", "wm", "wd"))
        elif groups["iy"]:
            year, month, day = (int(groups[k]) for k in ("iy", "im", "id"))
        else:
            year, month, day = int(groups["my"]), _MONTHS[groups["mon"].lower()], int(groups["md"])
        return datetime.date(year, month, day)
    except (ValueError, OverflowError) as error:
        log.warning("ignoring impossible date %r: %s", match.group(0), error)
        return None


def parse_date(text: str) -> datetime.date | None:
    """The first date in ``text``, or None when there is none or it cannot exist."""
    match = find_date(text)
    return None if match is None else date_of(match)


def date_line(line: str) -> re.Match[str] | None:
    """The date match when the whole line is a date (an optional weekday may follow)."""
    stripped = line.strip(" \t　")
    match = _DATE.match(stripped)
    if match is None:
        return None
    rest = stripped[match.end() :].strip(" \t　")
    if rest and not _WEEKDAY.match(rest):
        return None
    return match
