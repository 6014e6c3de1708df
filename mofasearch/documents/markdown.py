"""Markdown: ATX headings ``#``..``######`` and setext headings (a paragraph underlined with
``===`` or ``---``) cut sections and build their paths.

A leading ``# Title`` (the first heading, level 1, with only front matter or blank lines before
it) is the document's title rather than a section, as a MOFA page's title is; text before the
first heading is the lead section. Each heading opens a section whose path is the chain of
enclosing headings (a level-3 heading under a level-1 and a level-2 one has a path of three).
A heading numbered as a MOFA page numbers its sections gives the section its number, without
the marker in the heading: ``## 1. 発表事項`` is section ``"1"``, ``### (2) 京都`` under it
``"1.(2)"``.
Lines inside fenced code blocks are never headings; a fence closes only with a bare run of its own
character at least as long as the opening one (CommonMark), so a longer fence can show a shorter
one, and ```` ```python ```` inside a block does not end it. A ``---`` after a blank line or a
list item is a rule, not a heading. Simple front matter (``---`` then
``key: value`` lines) may give ``title``, ``date``, ``url`` and ``category``; its other keys (and
a date that is no date) are kept in ``meta``, as given.

A file with no title and no text (empty, blank) has no sections, as an empty plain-text page has,
and the loader rejects it: the file name, used as the title when the file has none, is never
taken for its text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mofasearch.documents.dates import parse_date
from mofasearch.documents.model import Document, Section
from mofasearch.documents.mofa import heading_number

_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_SETEXT = re.compile(r" {0,3}(=+|-+)[ \t]*")
_BLOCK_START = re.compile(r" {0,3}(?:[-+*>]|[0-9]{1,9}[.)])(?:[ \t]|$)| {4}")
_FRONT_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*)[ \t]*:[ \t]*(.*)")
#: front matter keys that are the document's own fields (the others go to its meta)
_FRONT_FIELDS = frozenset({"title", "date", "url", "category"})


@dataclass(slots=True)
class _Open:
    heading: str
    path: tuple[str, ...]
    number: str = ""
    lines: list[str] = field(default_factory=list)


def parse_markdown(text: str, *, doc_id: str, fallback_title: str = "") -> Document:
    """One Document from Markdown text (see the module docstring for the rules)."""
    lines = text.split("\n")
    front, lines = _front_matter(lines)
    title = front.get("title", "")
    opened: list[_Open] = []
    stack: list[tuple[int, str, str]] = []  # level, heading, number
    fence = ""
    paragraph = 0  # lines of the paragraph being read; -1 in a list item or quote
    for line in lines:
        if fence:
            if (close := _FENCE.fullmatch(line.rstrip(" \t"))) and close.group(1).startswith(fence):
                fence = ""
            _append(opened, line)
            continue
        if fence_match := _FENCE.match(line):
            fence, paragraph = fence_match.group(1), 0
            _append(opened, line)
            continue
        if paragraph > 0 and (underline := _SETEXT.fullmatch(line)):
            text_lines = opened[-1].lines[-paragraph:]
            del opened[-1].lines[-paragraph:]
            level = 1 if underline.group(1)[0] == "=" else 2
            heading: tuple[int, str] | None = (level, " ".join(t.strip() for t in text_lines))
        else:
            heading = _heading(line)
        if heading is None:
            if not line.strip():
                paragraph = 0
            elif paragraph == 0 and _BLOCK_START.match(line):
                paragraph = -1
            elif paragraph >= 0:
                paragraph += 1
            _append(opened, line)
            continue
        paragraph = 0
        level, name = heading
        if level == 1 and not title and not stack and not any(o.lines for o in opened):
            title = name
            opened.clear()
            continue
        while stack and stack[-1][0] >= level:
            stack.pop()
        number, name = _numbered(name, stack)
        stack.append((level, name, number))
        opened.append(_Open(name, tuple(h for _, h, _ in stack if h), number))
    sections = [
        Section(text=_text(o.lines), heading=o.heading, path=o.path, number=o.number)
        for o in opened
        if o.heading or o.number or _text(o.lines)
    ]
    if not sections and title:  # a page that is only its title: the title is its text
        sections = [Section(text=title)]
    date = parse_date(front["date"]) if front.get("date") else None
    # the front matter's other keys, and a date that is none (2004年頃), are kept as given
    meta = {key: value for key, value in front.items() if key not in _FRONT_FIELDS and value}
    if date is None and front.get("date"):
        meta["date"] = front["date"]
    return Document(
        id=doc_id,
        title=title or fallback_title,
        sections=sections,
        date=date,
        url=front.get("url") or None,
        category=front.get("category") or None,
        meta={**meta, "format": "markdown"},
    )


def _numbered(name: str, enclosing: list[tuple[int, str, str]]) -> tuple[str, str]:
    """The section number a heading gives (``## 1. 発表事項`` → ``"1"``, and ``### (2) 京都``
    under it → ``"1.(2)"``, as on a MOFA page) and the heading without it."""
    found = heading_number(name)
    if found is None:
        return "", name
    number, rest, sub = found
    if sub:
        parent = next((n for _, _, n in reversed(enclosing) if n and "(" not in n), "")
        number = f"{parent}.({number})" if parent else f"({number})"
    return number, rest


def _heading(line: str) -> tuple[int, str] | None:
    """(level, text) of an ATX heading line, scanned without regex backtracking."""
    stripped = line.lstrip(" ")
    if len(line) - len(stripped) > 3 or not stripped.startswith("#"):
        return None
    level = len(stripped) - len(stripped.lstrip("#"))
    rest = stripped[level:]
    if level > 6 or (rest and rest[0] not in " \t"):
        return None
    rest = rest.strip(" \t")
    if rest.endswith("#"):
        trimmed = rest.rstrip("#")
        if not trimmed or trimmed[-1] in " \t":
            rest = trimmed.rstrip(" \t")
    return level, rest


def _append(opened: list[_Open], line: str) -> None:
    if not opened:
        if not line.strip():
            return
        opened.append(_Open("", ()))
    opened[-1].lines.append(line)


def _text(lines: list[str]) -> str:
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def _front_matter(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    if not lines or lines[0].strip() != "---":
        return {}, lines
    for end in range(1, min(len(lines), 100)):
        if lines[end].strip() in ("---", "..."):
            front = {}
            for line in lines[1:end]:
                if match := _FRONT_KEY.fullmatch(line.strip()):
                    front[match.group(1).lower()] = match.group(2).strip().strip("\"'")
            return front, lines[end + 1 :]
    return {}, lines
