"""MOFA meeting-summary pages (plain text or the site's HTML) and numbered plain text in general.

A page reads: site navigation, a breadcrumb (トップページ 会談・訪問 小泉総理大臣), the title over one
or more lines with (概要) or 結果概要 as its last line, an era date, a lead paragraph (with the
attendees), then numbered sections ``1.`` / ``１．`` whose children are ``(1)`` / ``（１）``, then the
navigation again.

Decisions, and why:

* Only numbering at the start of a line counts. ``(1)…(2)`` inside a sentence, and ``(イ)(ロ)`` or
  ``ア`` enumerations, stay in the text: they are lists inside one statement, not places to cut.
* ``(1)`` followed by a short line without a sentence end is a sub-heading (``(2) 京都議定書``). A
  ``(1)`` that opens a numbered paragraph (``(1) 冒頭小泉総理より、…。``) becomes a section of its
  own with an empty heading and its parent's path: finer sections rank and snippet better.
* A heading-only section (``3.個別案件`` right before its ``(1)``) is kept with empty text, so the
  heading stays searchable and every word of the page lives in exactly one place.
* ``number`` is normalized to ASCII (``3``, ``3.(2)``); a stray bracket after a marker, as in the
  real typo ``(4) )これに対して``, is part of the marker.
* The site's later layout numbers with a space instead of a period (``1　冒頭``, ``2　二国間関係等``).
  A number and a space starts a section only when it continues the page's count (``1`` first,
  then the next number), as a number written before a space in a sentence seldom does.
* That layout puts the name of the site's section (``ドイツ連邦共和国``) over the title, and ends
  with links back to it (``ドイツ連邦共和国へ戻る``): a short paragraph standing over another one
  that the date follows is kept at the start of the lead text, not taken for the title; a last
  line of links that each go back somewhere (``…へ戻る``) is navigation.
* The lead paragraph is a section with an empty number and heading.
* An HTML page whose text has no title before its first sentence takes its ``<title>``, without
  the site's name (``｜外務省``); only a page with neither falls back to the file name.
* An HTML page's title is looked for at its ``<h1>``, however much header text the site puts
  above it; that text is still searched for navigation, breadcrumb and date, and what is left of
  it is kept at the start of the lead text, never taken for the title nor dropped.
* A date line that cannot be a date (平成16年2月30日) gives no date and stays in the text.

The same rules serve any plain text: without navigation, breadcrumb or date they simply find
nothing to strip, and text without numbering becomes one lead section.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

from mofasearch.documents.dates import date_line, date_of
from mofasearch.documents.htmltext import HtmlText, html_blocks, looks_like_html
from mofasearch.documents.model import Document, Section
from mofasearch.documents.textio import decode, normalize_newlines

NAV_WORDS = frozenset(
    [
        "外務省",
        "English",
        "リンクページ",
        "よくある質問集",
        "検索",
        "サイトマップ",
        "外務省案内",
        "渡航関連情報",
        "各国・地域情勢",
        "外交政策",
        "ODA",
        "会談・訪問",
        "報道・広報",
        "キッズ外務省",
        "資料・公開情報",
        "各種手続き",
        "目次",
        "ホーム",
        "ページのトップへ戻る",
        "前のページへ戻る",
        "このページのトップへ戻る",
    ]
)
BREADCRUMB_HOME = "トップページ"
CATEGORY_SEPARATOR = " › "
_SPACE = " \t\u3000\xa0"
_CRUMB_SPLIT = re.compile(r"[ \t\u3000\xa0>＞›»≫|｜]+")
_TOP = re.compile(r"([0-9０-９]{1,2})[.．](?![0-9０-９])[ \t\u3000]*(.*)", re.S)
_TOP_SPACED = re.compile(r"([0-9０-９]{1,2})[ \t\u3000\xa0]+(\S.*)", re.S)
_SUB = re.compile(r"[(（]([0-9０-９]{1,2})[)）][ \t\u3000]*[)）]?[ \t\u3000]*(.*)", re.S)
_TITLE_SUFFIX = re.compile(r"[(（]?(?:結果)?概要[)）]?")
_SENTENCE_END = "。．.！？!?"
# The site's name around a page's <title>: ``外務省: 日露首脳会談`` (the old pages),
# ``日露首脳会談｜外務省`` / ``… - 外務省``. Only with a separator, so 外務省 in a title stays.
_SITE_NAME = re.compile(
    r"^外務省[ \t\u3000]*[:：][ \t\u3000]*(?=\S)"
    r"|(?<=\S)[ \t\u3000]*[|｜:：\-－–—][ \t\u3000]*外務省(?:ホームページ)?$"
)
_SURROGATE = re.compile("[\ud800-\udfff]")
_BACK = "へ戻る"
MAX_HEADING_CHARS = 40
MAX_TITLE_CHARS = 150


@dataclass(slots=True)
class _Open:
    number: str
    heading: str
    path: tuple[str, ...]
    lines: list[str] = field(default_factory=list)


def parse_mofa_page(text: str | bytes, *, url: str | None = None) -> Document:
    """Parse one MOFA page, plain text or HTML (bytes are decoded as described in textio).

    Text is read as decoded bytes are, line endings included: a page fetched as text from an
    older server keeps its CRLF, and every rule here reads lines that end in ``\\n``.
    The Document id is ``url`` when given, else a digest of the text (stable across runs).
    """
    if isinstance(text, bytes):
        text = decode(text)
    else:
        text = normalize_newlines(text)
        if _SURROGATE.search(text):  # not characters: they could never be encoded again
            text = _SURROGATE.sub("\ufffd", text)
    doc_id = url or "sha1:" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]
    return page_document(text, doc_id=doc_id, url=url)


def page_document(
    text: str, *, doc_id: str, url: str | None = None, fallback_title: str = ""
) -> Document:
    """A Document from page text or HTML; ``fallback_title`` is used when no title is found."""
    is_html = looks_like_html(text)
    page = html_blocks(text) if is_html else None
    lines, title_at = _html_lines(page) if page is not None else (text.split("\n"), None)
    header, lines, category = _strip_chrome(lines, title_at)
    title, date, body = _title_and_date(lines)
    if date is None and header:
        date, header = _header_date(header)
    sections = _sections(header + body)
    if not sections and title:  # a lone short paragraph is the text, not a title over nothing
        sections, title = [Section(text=title)], ""
    title = title or (_head_title(page.title) if page is not None else "") or fallback_title
    meta = {"format": "page-html" if is_html else "page-text"}
    return Document(
        id=doc_id, title=title, sections=sections, date=date, url=url, category=category, meta=meta
    )


def _html_lines(page: HtmlText) -> tuple[list[str], int | None]:
    """Blocks as lines, with a blank line between elements (not at a <br> inside one), and the
    index of the line where the page's ``<h1>`` starts (None without one).

    A site's logo may be an ``<h1>`` too (``<h1>外務省</h1>``): one of navigation words only is
    not the page's, as such a line is not a title at the top of a text; nor is a numbered one
    (``<h1>1.発表事項</h1>``, a page that marks its sections so), nor one under a sentence: a
    page with its text above the ``<h1>`` (``<h1>関連リンク</h1>`` at the end) has its title there.
    """
    lines: list[str] = []
    title_at = None
    for block in page.blocks:
        if lines and not block.soft:
            lines.append("")
        if title_at is None and block.level == 1 and not _is_navigation(block.text):
            text = block.text.strip(_SPACE)
            if not (_TOP.match(text) or _SUB.match(text)):
                title_at = len(lines)
        lines.append(block.text)
    if title_at is not None and any("。" in line for line in lines[:title_at]):
        return lines, None
    return lines, title_at


def _is_navigation(line: str) -> bool:
    words = _CRUMB_SPLIT.split(line.strip(_SPACE))
    return words == [""] or set(words) <= NAV_WORDS


def _is_footer(line: str) -> bool:
    """Navigation, or a line of links back (``ドイツ連邦共和国へ戻る | 目次へ戻る``)."""
    words = _CRUMB_SPLIT.split(line.strip(_SPACE))
    return words == [""] or all(
        word in NAV_WORDS or (word.endswith(_BACK) and len(word) <= MAX_HEADING_CHARS)
        for word in words
    )


def _head_title(text: str) -> str:
    """The ``<title>`` without the site's name (``…｜外務省``, ``外務省: …``), capped in length."""
    text = _SITE_NAME.sub("", text.strip(_SPACE)).strip(_SPACE)
    return text[:MAX_TITLE_CHARS]


def _strip_chrome(
    lines: list[str], title_at: int | None = None
) -> tuple[list[str], list[str], str | None]:
    """Drop navigation at the top and bottom; return the header lines kept, the rest (from the
    title on) and the breadcrumb category.

    Without ``title_at`` the top ends at the first line that is not navigation, which is then
    where the title is looked for. An HTML page says where its title is (``title_at``, its
    ``<h1>``): every line above it is header, whatever it says (``メニューを開く``, a site banner),
    so navigation and the breadcrumb are still recognized there, and any other header line is
    kept (``header``, the start of the lead text) rather than taken for the title or lost.
    """
    start, category = 0, None
    crumbs: list[str] = []
    header: list[str] = []
    while start < len(lines):
        words = _CRUMB_SPLIT.split(lines[start].strip(_SPACE))
        if words == [""] or set(words) <= NAV_WORDS:
            start += 1
        elif words[0] == BREADCRUMB_HOME and not crumbs:
            crumbs = words[1:]
            category = CATEGORY_SEPARATOR.join(crumbs) or None
            start += 1
        elif crumbs and lines[start].strip(_SPACE) == crumbs[-1]:
            start += 1  # the section's name repeated under the breadcrumb
        elif title_at is not None and start < title_at:
            header.append(lines[start])
            start += 1
        else:
            break
    end = len(lines)
    while end > start and _is_footer(lines[end - 1]):
        end -= 1
    return header, lines[start:end], category


def _header_date(header: list[str]) -> tuple[datetime.date | None, list[str]]:
    """The date of a page that gives it above its ``<h1>``, and the header without that line."""
    for index, line in enumerate(header):
        if (match := date_line(line)) and (date := date_of(match)) is not None:
            return date, header[:index] + header[index + 1 :]
    return None, header


def _title_and_date(lines: list[str]) -> tuple[str, datetime.date | None, list[str]]:
    """The title (its first paragraph, up to the date), the date, and the remaining lines.

    A date line whose date cannot exist (平成16年2月30日, a typo) stands where a date stands, but
    it is not a date: it goes back to the text (first in the body), or a page whose words are all
    to be found would lose those.
    """
    index = _skip_blank(lines, 0)
    date = None
    first: list[str] = []  # a typo date line above the title
    typos: list[str] = []  # typo date lines under it
    if index < len(lines) and (match := date_line(lines[index])):
        if (date := date_of(match)) is None:
            first.append(lines[index])
        index = _skip_blank(lines, index + 1)
    title_start = index
    title_lines: list[str] = []
    while index < len(lines) and lines[index].strip(_SPACE):
        line = lines[index].strip(_SPACE)
        if date is None and (match := date_line(line)):
            if (date := date_of(match)) is None:
                typos.append(lines[index])
            index += 1
            break
        title_lines.append(line)
        index += 1
    if not _is_title(title_lines):
        return "", date, first + lines[title_start:]
    if date is None:
        after = _skip_blank(lines, index)
        if after < len(lines) and (match := date_line(lines[after])):
            if (date := date_of(match)) is None:
                typos.append(lines[after])
            index = after + 1
        elif (below := _dated_title(lines, after)) is not None:
            # the site section's name over the title: kept as the start of the lead text
            title, date, end = below
            return title, date, first + lines[title_start:index] + lines[end:]
    return _join_title(title_lines), date, first + typos + lines[index:]


def _dated_title(lines: list[str], index: int) -> tuple[str, datetime.date, int] | None:
    """(title, date, index after the date) when a title paragraph starts at ``index`` and a
    real date follows it; None otherwise."""
    title_lines: list[str] = []
    while index < len(lines) and lines[index].strip(_SPACE):
        title_lines.append(lines[index].strip(_SPACE))
        index += 1
    if not _is_title(title_lines):
        return None
    index = _skip_blank(lines, index)
    match = date_line(lines[index]) if index < len(lines) else None
    date = date_of(match) if match else None
    return (_join_title(title_lines), date, index + 1) if date is not None else None


def _skip_blank(lines: list[str], index: int) -> int:
    while index < len(lines) and not lines[index].strip(_SPACE):
        index += 1
    return index


def _is_title(lines: list[str]) -> bool:
    if not lines or sum(len(line) for line in lines) > MAX_TITLE_CHARS:
        return False
    if any(_TOP.match(line) or _SUB.match(line) for line in lines):
        return False
    return not lines[-1].endswith("。")


def _join_title(lines: list[str]) -> str:
    title = ""
    for line in lines:
        if not title:
            title = line
        elif _TITLE_SUFFIX.fullmatch(line) or (title[-1].isascii() and line[0].isascii()):
            title += " " + line
        else:
            title += line
    return title


def _is_heading(rest: str) -> bool:
    return 0 < len(rest) <= MAX_HEADING_CHARS and rest[-1] not in _SENTENCE_END and "。" not in rest


def _number(digits: str) -> str:
    return str(int(unicodedata.normalize("NFKC", digits)))


def heading_number(text: str) -> tuple[str, str, bool] | None:
    """``(number, rest, is_sub)`` of a heading that starts with the page's numbering: ``1.`` or
    ``１．`` (``("1", rest, False)``), ``(1)`` or ``（１）`` (``("1", rest, True)``); None otherwise."""
    if match := _TOP.fullmatch(text):
        return _number(match.group(1)), match.group(2).strip(_SPACE), False
    if match := _SUB.fullmatch(text):
        return _number(match.group(1)), match.group(2).strip(_SPACE), True
    return None


def _sections(body: list[str]) -> list[Section]:
    """Cut the body at line-initial ``1.`` and ``(1)`` markers (see the module docstring)."""
    opened: list[_Open] = []
    top_number, top_heading = "", ""
    for raw in body:
        line = raw.strip(_SPACE)
        if not line:
            continue
        if (match := _TOP.fullmatch(line)) or (
            (match := _TOP_SPACED.fullmatch(line)) and _counts_on(match, top_number)
        ):
            top_number, rest = _number(match.group(1)), match.group(2)
            top_heading = rest if _is_heading(rest) else ""
            opened.append(_open(top_number, rest, ()))
        elif match := _SUB.fullmatch(line):
            number = _number(match.group(1))
            number = f"{top_number}.({number})" if top_number else f"({number})"
            opened.append(_open(number, match.group(2), (top_heading,) if top_heading else ()))
        elif opened:
            opened[-1].lines.append(line)
        else:
            opened.append(_Open("", "", (), [line]))
    return [
        Section(text="\n".join(o.lines), heading=o.heading, number=o.number, path=o.path)
        for o in opened
    ]


def _counts_on(match: re.Match[str], top_number: str) -> bool:
    """A ``1　冒頭`` marker continues the page's count: 1 first, then the number after the last."""
    return int(_number(match.group(1))) == (int(top_number) + 1 if top_number else 1)


def _open(number: str, rest: str, parent: tuple[str, ...]) -> _Open:
    if _is_heading(rest):
        return _Open(number, rest, (*parent, rest))
    return _Open(number, "", parent, [rest] if rest else [])
