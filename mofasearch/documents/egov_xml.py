"""e-Gov statutes in 法令標準XML, the schema of e-Gov 法令検索 and its 法令API.

A law in this format gives the same Document as the same law in e-Gov's legacy HTML
(:mod:`mofasearch.documents.egov`), so that users and searches see one model whatever the
format: one section per article (条) with its paragraphs (項), items (号) and sub-items as lines
of its text, numbered, headed and placed in the 編/章/節/款/目 path as the HTML parser does it
(the numbering helpers are that module's own). The XML says outright what the HTML parser has
to infer from classes and bold runs, so a few things come out more exactly (see below).

Layout of an article's text: ``ArticleTitle``, a full-width space and the first paragraph's
sentences; each further paragraph on its own line after its number (``２　…``), each item and
sub-item on its own line after its title (``一　…``, ``イ　…``); the columns of an item (a term
and its definition) are joined by a full-width space, a table is one line per row with its
cells joined the same way, and a paragraph's caption (``（施行期日）``) stays as a line before it.
Readings (``<Rt>`` of ``<Ruby>``) are left out, as a browser shows them above the text.

Sections that are not articles: ``EnactStatement`` and ``Preamble`` are ``"前文"``, paragraphs
of a ``MainProvision`` without articles ``"本則"``. Each ``SupplProvision`` is a 附則 numbered
as the HTML parser numbers it: its heading is its label with its ``AmendLawNum`` in brackets
and 抄 when it is an extract (``附則（平成一一年一二月八日法律第一五一号）抄``), its articles
are ``"附則(平成11年法律第151号)1"``…, a 附則 of paragraphs only is one section
``"附則(…)"``, a repeated heading adds its rank. Appended tables, forms and the like
(``AppdxTable``, ``AppdxStyle``, ``AppdxNote``, ``AppdxFormat``, ``AppdxFig``, ``Appdx``) are
sections numbered from their titles (``"別表1"``, ``"様式2"``), their heading the title and the
related articles, their text the cells of their tables (or the heading, for a form that is
only an image). Those inside a ``SupplProvision`` always carry its number
(``"附則(昭和27年法律第325号)別表1"``): the XML says whose table it is even when the title does
not. The table of contents (``TOC``) is dropped.

``meta``: ``format`` (``egov-statute-xml``), ``law_number`` (``LawNum``), ``law_type``
(``Act``, ``CabinetOrder``, …), ``kana`` and ``abbrev`` (from ``LawTitle``), and ``law_id``
(e-Gov's 法令ID, from the 法令API response or a file named by e-Gov's revision id, such as
``405AC0000000088_20240401_504AC0100000052.xml``). The promulgation date (the ``Era``,
``Year``, ``PromulgateMonth`` and ``PromulgateDay`` of ``<Law>``) is the Document's ``date``;
the category comes from a ``manifest.jsonl`` as for the HTML.

Accepted roots: ``<Law>``, and the 法令API v1 response ``<DataRoot>`` … ``<ApplData>``
… ``<LawFullText><Law>``.

Safety: parsing uses the standard library's expat through ``xml.etree.ElementTree``. Expat
never loads external entities or DTDs (a reference to one is an "undefined entity" error), and
since expat 2.4.1 it stops entity expansion attacks (billion laughs, quadratic blowup) with
"limit on input amplification factor … breached"; Python 3.11 here ships expat 2.5.0, which
does. e-Gov law XML never has a document type declaration, so a file with one is refused
before it is parsed: no entity can be declared at all, whatever expat a Python is built with.
A file that is not well-formed, is nested deeper than Python can walk, or has no ``LawBody``
is a :class:`DocumentParseError` naming it. Files are size-capped when read
(:data:`mofasearch.documents.textio.MAX_FILE_BYTES`).
"""

from __future__ import annotations

import datetime
import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from pathlib import Path

from mofasearch.documents.dates import to_int
from mofasearch.documents.egov import (
    ORDINAL_FIRST,
    PART_MARK,
    PART_RANK,
    compact_law_number,
    label_number,
    manifest_category,
    normalize_heading,
)
from mofasearch.documents.model import Document, Section
from mofasearch.errors import DocumentParseError

log = logging.getLogger("mofasearch.documents")

FORMAT = "egov-statute-xml"
_ERAS = {"Meiji": 1868, "Taisho": 1912, "Showa": 1926, "Heisei": 1989, "Reiwa": 2019}
_SPACE = " \t\u3000\xa0"
_WIDE = "\u3000"
#: how far into a file its root element is looked for (past the declaration and comments)
_HEAD_CHARS = 1 << 20
_ROOT = re.compile(r"<(Law|DataRoot)[\s/>]")
_LAW_ID = re.compile(r"([0-9]{3}[A-Z]{2}[0-9A-Z]{10})(?:_[0-9]{8}_[0-9A-Z]{15})?\.xml", re.I)
_NEWLINE = re.compile(r"[ \t\r]*\n[ \t\r\n]*")
_DIVISIONS = frozenset({"Part", "Chapter", "Section", "Subsection", "Division"})
#: appended tables, notes, forms and figures, each with the label that numbers one untitled
_APPENDICES = {
    "AppdxTable": "別表",
    "AppdxNote": "別記",
    "AppdxStyle": "様式",
    "AppdxFormat": "様式",
    "AppdxFig": "別図",
    "Appdx": "付録",
    "SupplProvisionAppdxTable": "別表",
    "SupplProvisionAppdxStyle": "様式",
    "SupplProvisionAppdx": "付録",
}
_SKIPPED = frozenset({"TOC", "Rt", "Fig"})


def is_law_xml(text: str) -> bool:
    """True when ``text`` is XML whose root is ``<Law>``, or a 法令API response holding one.

    The root is found past the XML declaration, comments, processing instructions and a
    document type declaration, so that a hostile file is refused by the parser rather than
    indexed as text. Any other XML is not a law.
    """
    pos = _prolog_end(text)
    if pos is None:
        return False
    match = _ROOT.match(text, pos)
    if match is None:
        return False
    return match.group(1) == "Law" or "<LawFullText" in text


def _prolog_end(text: str) -> int | None:
    """Where the root element starts, past what may precede it; None when not XML-like."""
    pos, end = 0, min(len(text), _HEAD_CHARS)
    while pos < end:
        while pos < end and text[pos] in " \t\r\n\ufeff":
            pos += 1
        if text.startswith("<?", pos):
            close = text.find("?>", pos)
            pos = -1 if close < 0 else close + 2
        elif text.startswith("<!--", pos):
            close = text.find("-->", pos)
            pos = -1 if close < 0 else close + 3
        elif text.startswith("<!DOCTYPE", pos):
            pos = _doctype_end(text, pos)
        else:
            return pos if text.startswith("<", pos) else None
        if pos < 0:
            return None
    return None


def _doctype_end(text: str, start: int) -> int:
    """The end of a document type declaration (its internal subset included), or -1."""
    bracket, close = text.find("[", start), text.find(">", start)
    if close < 0:
        return -1
    if 0 <= bracket < close:
        subset_end = text.find("]", bracket)
        if subset_end < 0:
            return -1
        close = text.find(">", subset_end)
        if close < 0:
            return -1
    return close + 1


def parse_law_xml(text: str, *, doc_id: str, path: str | Path | None = None) -> Document:
    """One law in 法令標準XML (decoded text) as a Document of article sections."""
    where = path if path is not None else doc_id
    start = _prolog_end(text)
    if start is not None and "<!DOCTYPE" in text[:start]:
        raise DocumentParseError(
            "refusing a document type declaration: e-Gov law XML never has one, and it could"
            " declare entities",
            where,
        )
    try:
        root = ET.fromstring(text)
    except (ET.ParseError, ValueError) as error:
        raise DocumentParseError(f"not well-formed XML: {error}", where) from None
    try:
        law, law_id = _law_of(root, where)
        return _document(law, law_id, doc_id=doc_id, path=path, where=where)
    except RecursionError:
        raise DocumentParseError("XML nested too deeply to read", where) from None


def _law_of(root: ET.Element, where: str | Path) -> tuple[ET.Element, str]:
    if root.tag == "Law":
        return root, ""
    if root.tag == "DataRoot":
        law = root.find("ApplData/LawFullText/Law")
        if law is None:
            message = _inline(root.find("Result/Message")) or "no ApplData/LawFullText/Law"
            raise DocumentParseError(f"an e-Gov API response without a law: {message}", where)
        return law, _inline(root.find("ApplData/LawId"))
    raise DocumentParseError(f"not an e-Gov law: the root element is <{root.tag}>", where)


def _document(
    law: ET.Element, law_id: str, *, doc_id: str, path: str | Path | None, where: str | Path
) -> Document:
    body = law.find("LawBody")
    if body is None:
        raise DocumentParseError("a <Law> without <LawBody>", where)
    law_number = normalize_heading(_inline(law.find("LawNum")))
    title_element = body.find("LawTitle")
    title = normalize_heading(_inline(title_element)) or law_number
    meta = {"format": FORMAT}
    if law_number:
        meta["law_number"] = law_number
    if law.get("LawType"):
        meta["law_type"] = law.get("LawType", "")
    if title_element is not None:
        for attribute, key in (("Kana", "kana"), ("Abbrev", "abbrev")):
            if value := title_element.get(attribute, "").strip():
                meta[key] = value
    if not law_id and path is not None and (named := _LAW_ID.fullmatch(Path(path).name)):
        law_id = named.group(1).upper()
    if law_id:
        meta["law_id"] = law_id
    return Document(
        id=doc_id,
        title=title,
        sections=_Builder().sections(body),
        date=_promulgated(law),
        category=manifest_category(Path(path)) if path is not None else None,
        meta=meta,
    )


def _promulgated(law: ET.Element) -> datetime.date | None:
    """The date from ``<Law Era= Year= PromulgateMonth= PromulgateDay=>``; None if absent or
    impossible (logged, as :mod:`mofasearch.documents.dates` does)."""
    era, year = law.get("Era", ""), law.get("Year", "")
    month, day = law.get("PromulgateMonth", ""), law.get("PromulgateDay", "")
    if era not in _ERAS or not (year and month and day):
        return None
    try:
        return datetime.date(_ERAS[era] - 1 + int(year), int(month), int(day))
    except (ValueError, OverflowError) as error:
        log.warning(
            "ignoring impossible promulgation date %s %s-%s-%s: %s", era, year, month, day, error
        )
        return None


class _Builder:
    """Walks a LawBody in document order, making the sections."""

    def __init__(self) -> None:
        self.result: list[Section] = []
        self.supplement_counts: dict[str, int] = {}

    def sections(self, body: ET.Element) -> list[Section]:
        preamble: list[str] = []
        for child in body:
            if child.tag == "EnactStatement":
                preamble.append(_inline(child))
            elif child.tag == "Preamble":
                preamble.extend(_block_lines(child))
            elif child.tag == "MainProvision":
                self._flush(preamble, "前文", ())
                self._divisions(child, ())
            elif child.tag == "SupplProvision":
                self._flush(preamble, "前文", ())
                self._supplement(child)
            elif child.tag in _APPENDICES:
                self._flush(preamble, "前文", ())
                self._appendix(child)
        self._flush(preamble, "前文", ())
        return self.result

    def _flush(self, lines: list[str], number: str, path: tuple[str, ...]) -> None:
        """The lines gathered outside any article, as one section (``前文``, ``本則``, ``附則``)."""
        text = _text(lines)
        lines.clear()
        if text:
            self.result.append(Section(text=text, number=number, path=path))

    def _divisions(self, element: ET.Element, parents: tuple[str, ...]) -> None:
        loose: list[str] = []
        for child in element:
            if child.tag in _DIVISIONS:
                self._flush(loose, "本則", parents)
                title = normalize_heading(_inline(child.find(child.tag + "Title")))
                self._divisions(child, (*parents, title) if title else parents)
            elif child.tag == "Article":
                self._flush(loose, "本則", parents)
                self.result.append(_article(child, parents))
            elif not child.tag.endswith("Title"):
                loose.extend(_block_lines(child))
        self._flush(loose, "本則", parents)

    def _supplement(self, element: ET.Element) -> None:
        label = re.sub(r"[ \t\u3000\xa0]+", "", _inline(element.find("SupplProvisionLabel")))
        amending = normalize_heading(element.get("AmendLawNum", ""))
        heading = (label or "附則") + (f"（{amending}）" if amending else "")
        heading += "抄" if element.get("Extract") == "true" else ""
        law = compact_law_number(heading)
        prefix = f"附則({law})" if law else "附則"
        count = self.supplement_counts[prefix] = self.supplement_counts.get(prefix, 0) + 1
        if count > 1:
            prefix = f"附則({law}その{count})" if law else f"附則(その{count})"
        before = len(self.result)
        loose: list[str] = []
        for article, lines in _supplement_parts(element):
            if article is None:
                loose.extend(lines)
                continue
            self._flush(loose, prefix, (heading,))
            if article.tag == "Article":
                self.result.append(_article(article, (heading,), prefix=prefix))
            else:
                self._appendix(article, supplement=(prefix, heading))
        self._flush(loose, prefix, (heading,))
        if len(self.result) == before:  # a 附則 with nothing under it keeps its heading
            self.result.append(Section(text=heading, number=prefix, path=(heading,)))

    def _appendix(self, element: ET.Element, supplement: tuple[str, str] | None = None) -> None:
        tag = element.tag
        title = _inline(element.find(tag + "Title")) or _inline(element.find("ArithFormulaNum"))
        related = _inline(element.find("RelatedArticleNum"))
        heading = normalize_heading(" ".join(part for part in (title, related) if part))
        number = _appendix_number(heading) if title else _APPENDICES[tag]
        path: tuple[str, ...] = (heading or number,)
        if supplement is not None:
            prefix, supplement_heading = supplement
            number = prefix + number.removeprefix("附則")
            path = (supplement_heading, heading or number)
        skipped = {tag + "Title", "ArithFormulaNum", "RelatedArticleNum"}
        lines = [
            line for child in element if child.tag not in skipped for line in _block_lines(child)
        ]
        text = _text(lines) or heading or number
        self.result.append(Section(text=text, heading=heading, number=number, path=path))


def _supplement_parts(element: ET.Element) -> Iterator[tuple[ET.Element | None, list[str]]]:
    """A 附則's articles and appended tables (chapters inside it left out of the path, as the
    HTML parser leaves them), and the lines of anything else."""
    for child in element:
        if child.tag == "SupplProvisionLabel":
            continue
        if child.tag == "Article" or child.tag in _APPENDICES:
            yield child, []
        elif child.tag in _DIVISIONS:
            yield from _supplement_parts(child)
        elif not child.tag.endswith("Title"):
            yield None, list(_block_lines(child))


def _article(article: ET.Element, parents: tuple[str, ...], *, prefix: str = "") -> Section:
    title = _inline(article.find("ArticleTitle"))
    caption = _caption(article)
    label = title or article.get("Num", "").replace("_", "の")
    number = prefix + label_number(label)
    path = (*parents, caption) if caption else parents
    return Section(
        text=_text(_article_lines(article, title)), heading=caption, number=number, path=path
    )


def _caption(article: ET.Element) -> str:
    return _inline(article.find("ArticleCaption")).strip(_SPACE).strip("（）()")


def _article_lines(article: ET.Element, title: str) -> Iterator[str]:
    """``第三条　…`` then the article's further paragraphs, items and tables, one a line."""
    label = title
    for child in article:
        if child.tag in ("ArticleTitle", "ArticleCaption"):
            continue
        if child.tag == "Paragraph" and label:
            yield from _provision_lines(child, label=label)
            label = ""
        else:
            yield from _block_lines(child)
    if label:  # an article without paragraphs
        yield label


def _provision_lines(element: ET.Element, *, label: str = "") -> Iterator[str]:
    """A paragraph, item, sub-item, list entry or class: caption line, then its number or
    title (or ``label``), a full-width space and its sentences, then what it holds."""
    tag = element.tag
    own = {tag + "Caption", tag + "Num", tag + "Title", tag + "Sentence"}
    if caption := _inline(element.find(tag + "Caption")):
        yield caption
    head = label or _inline(element.find(tag + "Num")) or _inline(element.find(tag + "Title"))
    sentence = _sentences(element.find(tag + "Sentence"))
    if line := _WIDE.join(part for part in (head, sentence) if part):
        yield line
    for child in element:
        if child.tag not in own:
            yield from _block_lines(child)


def _block_lines(element: ET.Element) -> Iterator[str]:
    """The lines of any block of a law, by its kind; unknown kinds give their parts' lines."""
    tag = element.tag
    if tag in _SKIPPED:
        return
    if tag == "Article":
        if caption := _inline(element.find("ArticleCaption")):
            yield caption
        yield from _article_lines(element, _inline(element.find("ArticleTitle")))
    elif tag in ("TableRow", "TableHeaderRow"):
        cells = (_cell(column) for column in element)
        if row := _WIDE.join(cells).strip(_SPACE):
            yield row
    elif tag in ("Sentence", "Column") or len(element) == 0 or _is_inline_text(element):
        if text := (_sentences(element) if tag == "Column" else _inline(element)):
            yield text
    elif element.find(tag + "Sentence") is not None or element.find(tag + "Num") is not None:
        yield from _provision_lines(element)
    elif tag == "Remarks":
        label = _inline(element.find("RemarksLabel"))
        sentence = _sentences(element)
        if line := _WIDE.join(part for part in (label, sentence) if part):
            yield line
        for child in element:
            if child.tag not in ("RemarksLabel", "Sentence"):
                yield from _block_lines(child)
    else:
        for child in element:
            yield from _block_lines(child)


def _is_inline_text(element: ET.Element) -> bool:
    """A title, label or caption: text with at most inline markup (ruby, sup, sub)."""
    return element.tag.endswith(("Title", "Label", "Caption", "Num", "Range")) or element.tag in (
        "EnactStatement",
        "SupplNote",
    )


def _cell(column: ET.Element) -> str:
    """A table cell's text; its sentences and items are lines, as e-Gov shows them (the
    legacy HTML broke such a cell with ``<br>``: the HTML parser gets the same lines)."""
    if len(column) == 0:
        return _inline(column)
    return "\n".join(line for child in column for line in _block_lines(child))


def _sentences(element: ET.Element | None) -> str:
    """The sentences of a ``…Sentence`` element: one run of text (a proviso follows its main
    sentence directly), its columns joined by a full-width space, a table as lines."""
    if element is None:
        return ""
    parts: list[str] = []
    columns: list[str] = []
    for child in element:
        if child.tag == "Sentence":
            parts.append(_inline(child))
        elif child.tag == "Column":
            columns.append(_sentences(child))
        else:
            parts.append("\n".join(_block_lines(child)))
    if columns:
        parts.append(_WIDE.join(column for column in columns if column))
    if not parts and element.text:
        return _inline(element)
    return "".join(parts)


def _inline(element: ET.Element | None) -> str:
    """The text of an element and its inline markup, without ruby readings; line breaks of
    the file's indentation are dropped (Japanese text has no spaces between words)."""
    if element is None:
        return ""
    pieces: list[str] = []
    _collect(element, pieces)
    return _NEWLINE.sub("", "".join(pieces)).strip(" \t\r\n")


def _collect(element: ET.Element, pieces: list[str]) -> None:
    if element.text:
        pieces.append(element.text)
    for child in element:
        if child.tag not in _SKIPPED:
            _collect(child, pieces)
        if child.tail:
            pieces.append(child.tail)


def _text(lines: Iterable[str]) -> str:
    return "\n".join(line for line in lines if line).strip()


def _appendix_number(heading: str) -> str:
    """``別表第一 （第三条関係）`` → ``別表1``, ``第一号様式`` → ``様式1``, ``様式第二号 その一``
    → ``様式2その1``: the HTML parser's numbering of appended tables and forms."""
    stripped = heading.lstrip("（(")
    label = re.split(r"[ \t\u3000（(）)]", stripped, maxsplit=1)[0]
    rest = stripped[len(label) :]
    if (ordinal_first := ORDINAL_FIRST.fullmatch(label)) is not None:
        label = ordinal_first.group(2) + ordinal_first.group(1)
    number = label_number(label)
    if part := PART_MARK.match(rest):
        number += f"({part.group(1)})"
    if part := PART_RANK.search(rest):
        number += f"その{to_int(part.group(1))}"
    return number
