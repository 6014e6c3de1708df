"""Values of the filter fields: dates (Western and Japanese era) and section numbers.

Kept apart from the parser because they are plain functions of one string: each returns the
normalized value or raises ``ValueError`` with a message the parser turns into a
:class:`~mofasearch.errors.QuerySyntaxError` pointing at the value.
"""

from __future__ import annotations

import calendar
import datetime
import re
import unicodedata

#: era name (and its one-letter abbreviation) -> (year before 元年, last year number or None)
ERAS: dict[str, tuple[int, int | None]] = {
    "明治": (1867, 45),
    "大正": (1911, 15),
    "昭和": (1925, 64),
    "平成": (1988, 31),
    "令和": (2018, None),
}
_ERA_LETTERS = {"M": "明治", "T": "大正", "S": "昭和", "H": "平成", "R": "令和"}

_YEAR = r"(?:(?P<era>明治|大正|昭和|平成|令和|[MTSHR])(?P<eyear>\d{1,2}|元)|(?P<year>\d{4}))"
_ISO_DATE = re.compile(_YEAR + r"(?:[-/.](?P<month>\d{1,2})(?:[-/.](?P<day>\d{1,2}))?)?", re.I)
#: ``2003-2005``: two years joined by a hyphen, which no single date reads as
_YEAR_SPAN = re.compile(r"(\d{4})-(\d{4})")
_JA_DATE = re.compile(_YEAR + r"年(?:(?P<month>\d{1,2})月(?:(?P<day>\d{1,2})日)?)?", re.I)
_RANGE_SEPARATORS = ("..", "~", "〜")


def _year(match: re.Match[str]) -> int:
    if match["year"]:
        return int(match["year"])
    era = match["era"]
    era = _ERA_LETTERS.get(era.upper(), era)
    offset, last = ERAS[era]
    number = 1 if match["eyear"] == "元" else int(match["eyear"])
    if number < 1 or (last is not None and number > last):
        raise ValueError(f"{era} has no year {number}")
    return offset + number


def date_bounds(text: str) -> tuple[datetime.date, datetime.date]:
    """First and last day of a year, month or day: ``2004``, ``2004-06``, ``平成16年6月10日``;
    the parts may also be joined by ``/`` or ``.`` (``2004/6/10``, ``H16.6.10``)."""
    value = "".join(unicodedata.normalize("NFKC", text).split())
    match = _ISO_DATE.fullmatch(value) or _JA_DATE.fullmatch(value)
    if match is None:
        raise ValueError(f"not a date: {text!r} (use 2004, 2004-06-10 or 平成16年6月10日)")
    year = _year(match)
    try:
        if match["day"]:
            day = datetime.date(year, int(match["month"]), int(match["day"]))
            return day, day
        if match["month"]:
            month = int(match["month"])
            last = calendar.monthrange(year, month)[1] if 1 <= month <= 12 else 0
            return datetime.date(year, month, 1), datetime.date(year, month, last)
        return datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    except ValueError:
        raise ValueError(f"no such date: {text!r}") from None


def date_range(text: str) -> tuple[datetime.date | None, datetime.date | None]:
    """``A``, ``A..B``, ``..B`` or ``A..`` (also ``A~B``/``A〜B``, and ``2003-2005`` for two
    years) -> inclusive (since, until)."""
    value = unicodedata.normalize("NFKC", text)
    span = _YEAR_SPAN.fullmatch("".join(value.split()))
    if span:
        value = f"{span[1]}..{span[2]}"
    for separator in _RANGE_SEPARATORS:
        if separator in value:
            low, _, high = value.partition(separator)
            break
    else:
        return date_bounds(value)
    if not low.strip() and not high.strip():
        raise ValueError("a date range needs at least one end, e.g. 2003..2005")
    since = date_bounds(low)[0] if low.strip() else None
    until = date_bounds(high)[1] if high.strip() else None
    if since is not None and until is not None and since > until:
        raise ValueError(f"the date range {text!r} ends before it starts")
    return since, until


_PARENTHESIZED = re.compile(r"\([^()]+\)")
#: one part of a number: anything but the separators (statutes' parts hold ・, as in
#: 附則(平成17年農林水産省・経済産業省令第8号))
_COMPONENT = re.compile(r"[^.()\s]+|\([^.()\s]+\)")


def section_number(text: str) -> str:
    """Normalize a section number the way documents store it: ``３．（２）`` -> ``3.(2)``.

    Components are separated by ``.``; a parenthesized component also starts a new one, so
    ``3(2)`` is ``3.(2)``. A trailing ``.`` (``3.``) is dropped, and so is a leading ``§``: search
    results label sections ``§3.(2)``, and that is what a user copies.
    """
    value = "".join(unicodedata.normalize("NFKC", text).split()).removeprefix("§").rstrip(".")
    if not value:
        raise ValueError(f"empty section number: {text!r} (use 3, 3.(2) or ３．（２）)")
    parts: list[str] = []
    for piece in value.split("."):
        # "3(2)" -> "3", "(2)"; anything left over (stray or nested parentheses) is an error.
        split = _PARENTHESIZED.sub(lambda m: "." + m.group() + ".", piece).strip(".")
        components = [c for c in split.split(".") if c]
        if not components or not all(_COMPONENT.fullmatch(c) for c in components):
            raise ValueError(f"not a section number: {text!r} (use 3, 3.(2) or ３．（２）)")
        parts.extend(components)
    return ".".join(parts)
