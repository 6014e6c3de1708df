"""e-Gov statute pages (the legacy 法令データ提供システム HTML, Shift_JIS).

Granularity: one section per article (条), its paragraphs (項) and items (号) kept inside its text.
The article is the unit people cite and ask about (借地借家法第三条), and it is the right size for
BM25: a 項 or 号 is often a dozen characters (「前項の規定は、…について準用する。」) whose words only
mean something next to the rest of the article, and chapter-sized sections would let one long
chapter outrank the article that answers. Snippets still land on the right 項 because the text
keeps them as lines.

Numbers: ``第三条`` → ``"3"``, ``第三条の二`` → ``"3の2"`` (the inserted article is not a child of
article 3, so it is not written ``3.2``), ``第二条及び第三条`` → ``"2及び3"``. The original
supplementary provisions give ``"附則1"``…, those of each amending law carry its number
(``"附則(平成11年法律第153号)1"``), because every 附則 restarts at 第一条 (a heading the page
repeats adds its rank: ``"附則(平成12年法律第105号その2)1"``). A 附則 without articles is
``"附則"`` / ``"附則(…)"``; a preamble or enacting formula is ``"前文"``; main text outside any
article ``"本則"``; appended tables and forms ``"別表1"``, ``"様式2"`` (``第二号様式`` too; a form
whose image is not in the page keeps its title as text, so it can still be found by name), those
of an amending law's 附則 under its number (``"附則(昭和27年法律第325号)別表1"``), the parts of
one form apart (``"様式2その1"``, ``"別記9様式(甲)"``).

Path: the 編/章/節/款/目 headings (``"第二章 借地"``), or the 附則 heading, then the article's
caption (見出し) without its brackets, which is also the section heading. The article text starts
with its label (``第三条　借地権の存続期間は、…``) so a query for the label finds the article
itself and not only the articles that refer to it. The table of contents is dropped.

``meta``: ``law_number`` (``平成三年法律第九十号``), ``last_amended`` (the 最終改正 line) and
``format``. The promulgation date is the Document's ``date``; the category comes from
``manifest.jsonl`` when it sits beside the files or one folder up (keyed by ``file``).
"""

from __future__ import annotations

import functools
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from mofasearch.documents.dates import ERA_START, parse_date, to_int
from mofasearch.documents.htmltext import Block, html_blocks
from mofasearch.documents.model import Document, Section

log = logging.getLogger("mofasearch.documents")

MANIFEST_NAME = "manifest.jsonl"
_N = "[〇一二三四五六七八九十百千0-9０-９]+"
_ERAS = "|".join(ERA_START)
_SPACE = " \t\u3000\xa0"
# e-Gov's own markup, not merely its class names (a news page may well have <div class="item">):
# the anchors e-Gov numbers every provision with (79 digits; every page of the 2013 set has
# them), or an article: a div of class item whose text opens with the bold label 第…条.
_MARK = re.compile(
    rf"<a\s+name=\"?[0-9]{{40,}}\b|<div\s+class=\"?item\"?\s*>\s*<b>\s*第{_N}条", re.I
)
_ARTICLE = re.compile(rf"第{_N}条(?:[のノ]{_N})*(?:(?:及び|乃至|から|・)第{_N}条(?:[のノ]{_N})*)*")
_PARAGRAPH = re.compile(r"[○◯]?[0-9０-９]+")
_DIVISION = re.compile(rf"第{_N}(編|章|節|款|目)(?:[のノ]{_N})*(?:[ \t\u3000]+.*)?", re.S)
_SUPPLEMENT = re.compile(r"附[ \t\u3000]*則(?![^ \t\u3000（(抄])")
_APPENDIX = re.compile(r"(?:附則)?(?:別表|別記|別紙|様式|附録|付録|付表|別図)")
# In e-Gov's segments of appended tables and forms, older statutes also head them in brackets
# (（別表）) or ordinal first (第一号様式, 第二号書式, 第一表); elsewhere such a line is only text
# (the 前文 of 褒章条例 ends in （別紙）, the articles that follow).
_SEGMENT_APPENDIX = re.compile(
    rf"[（(](?:別表|別記|別紙|様式|附録|付録|付表|別図)|第{_N}号?(?:様式|書式|表)"
)
ORDINAL_FIRST = re.compile(rf"(第{_N})号?(様式|書式|表)")
# a part of a form or annex: a mark in brackets right after its label, or その and a rank
PART_MARK = re.compile(r"[（(]([甲乙丙丁戊己庚辛壬癸イロハニホヘトチリヌルヲ])[）)]")
PART_RANK = re.compile(
    r"(?:^|(?<=[ \u3000）)]))その([一二三四五六七八九十]+|[0-9０-９]+)(?![^ \u3000（(])"
)
# A law is cited by era year, kind and number (平成三年法律第九十号); the National Personnel
# Authority numbers its rules by subject instead (人事院規則一―四〇, 人事院規則九―七―一五).
_LAW_REF = re.compile(
    rf"({_ERAS})({_N}|元)年(?:{_N}月{_N}日)?(\D*?)(?:第({_N})号|(?<=人事院規則)({_N}(?:―{_N})+))"
)
_LABEL_NUMBER = re.compile(
    rf"第({_N})(?:条|号)?|[のノ]({_N})|(?<=別表|様式|別記|附録|付録|別紙)({_N})"
)
_LEVELS = {"編": 0, "章": 1, "節": 2, "款": 3, "目": 4}


def is_statute(text: str) -> bool:
    """True when the HTML carries e-Gov's statute markup: its long numeric anchors, or an
    article div (``<div class="item"><b>第一条</b>``); a class name alone is not enough."""
    return _MARK.search(text) is not None


@dataclass(slots=True)
class _Open:
    number: str
    heading: str
    path: tuple[str, ...]
    lines: list[str] = field(default_factory=list)
    fill_with_heading: bool = False


def parse_statute(text: str, *, doc_id: str, path: str | Path | None = None) -> Document:
    """One statute page (decoded HTML) as a Document of article sections."""
    page = html_blocks(text)
    builder = _Builder()
    for block in page.blocks:
        builder.feed(block)
    title = builder.title or page.title
    law_line = builder.law_line
    meta = {"format": "egov-statute"}
    if law_line:
        meta["law_number"] = _law_number(law_line)
    if builder.last_amended:
        meta["last_amended"] = builder.last_amended
    return Document(
        id=doc_id,
        title=title,
        sections=builder.sections(),
        date=parse_date(law_line) if law_line else None,
        category=manifest_category(Path(path)) if path is not None else None,
        meta=meta,
    )


def _law_number(law_line: str) -> str:
    """``平成三年十月四日法律第九十号`` → ``平成三年法律第九十号`` (how laws are cited)."""
    match = _LAW_REF.search(law_line)
    if match is None:
        return law_line
    era, year, kind, number, rule = match.groups()
    return f"{era}{year}年{kind}" + (rule if number is None else f"第{number}号")


def compact_law_number(heading: str) -> str:
    """``附則（平成一一年一二月一五日法律第一五三号）抄`` → ``平成11年法律第153号``;
    ``附則（平成一五年一〇月一日人事院規則一―四〇）`` → ``平成15年人事院規則1―40``."""
    match = _LAW_REF.search(heading)
    if match is None:
        return ""
    era, year, kind, number, rule = match.groups()
    if number is None:
        return f"{era}{to_int(year)}年{kind}" + "―".join(str(to_int(n)) for n in rule.split("―"))
    return f"{era}{to_int(year)}年{kind}第{to_int(number)}号"


def label_number(label: str) -> str:
    """``第三条の二`` → ``3の2``; ``別表第一`` → ``別表1``; ``様式第二号`` → ``様式2``."""

    def replace(match: re.Match[str]) -> str:
        number, branch, bare = match.groups()
        if branch is not None:
            return "の" + str(to_int(branch))
        return str(to_int(number if number is not None else bare))

    return _LABEL_NUMBER.sub(replace, label).replace(" ", "").replace("\u3000", "")


def normalize_heading(text: str) -> str:
    return re.sub(r"[ \t\u3000\xa0]+", " ", text).strip()


class _Builder:
    """Walks the blocks in order, keeping the division headings and the open article."""

    def __init__(self) -> None:
        self.title = ""
        self.law_line = ""
        self.last_amended = ""
        self.in_header = True
        self.levels = [""] * len(_LEVELS)
        self.supplement: tuple[str, str] | None = None  # (number prefix, heading)
        self.supplement_counts: dict[str, int] = {}  # number prefix → 附則 headings giving it
        self.supplement_at = 0  # sections opened when the current 附則 began
        self.caption = ""
        self.segment = "1"
        self.opened: list[_Open] = []
        self.current: _Open | None = None

    def feed(self, block: Block) -> None:
        text = block.text.strip(_SPACE)
        if block.anchor[:1].isdigit() and len(block.anchor) > 20:
            self.segment = block.anchor[0]
        if self.in_header and self._header(block, text):
            return
        self.in_header = False
        if block.toc or text == "目次":
            return
        if text.startswith(("最終改正：", "最終改正:")):
            self.last_amended = text.split("：", 1)[-1].split(":", 1)[-1].strip(_SPACE)
        elif block.css == "arttitle":
            self._keep_caption()
            self.caption = text
        elif block.css == "item" and _ARTICLE.fullmatch(block.bold):
            self._article(block.bold, text)
        elif block.css == "item" and _PARAGRAPH.fullmatch(block.bold):
            self._append(text.lstrip("○◯"))
        elif block.css != "item" and block.bold and _DIVISION.fullmatch(text):
            self._division(text)
        elif block.css != "item" and block.bold and _SUPPLEMENT.match(text):
            self._supplement(text)
        elif self._is_appendix(block, text):
            self._appendix(text)
        else:
            self._append(text)

    def _header(self, block: Block, text: str) -> bool:
        if not self.title and block.bold:
            self.title = normalize_heading(text)
            return True
        if self.title and not self.law_line and text.startswith(("（", "(")):
            self.law_line = text.strip("（）()")
            return True
        return False

    def _article(self, label: str, text: str) -> None:
        number = label_number(label)
        caption = self.caption.strip(_SPACE).strip("（）()")
        self.caption = ""
        parents: tuple[str, ...]
        if self.supplement is not None:
            prefix, heading = self.supplement
            number, parents = prefix + number, (heading,)
        else:
            parents = tuple(level for level in self.levels if level)
        path = (*parents, caption) if caption else parents
        self._open(_Open(number, caption, path, [text]))

    def _division(self, text: str) -> None:
        match = _DIVISION.fullmatch(text)
        assert match is not None
        depth = _LEVELS[match.group(1)]
        self._keep_caption()
        self.levels[depth:] = [normalize_heading(text)] + [""] * (len(_LEVELS) - depth - 1)
        self.current = None

    def _supplement(self, text: str) -> None:
        self._keep_caption()
        self._keep_empty_supplement()
        heading = re.sub(r"[ \t\u3000\xa0]+", "", text)
        law = compact_law_number(heading)
        prefix = f"附則({law})" if law else "附則"
        # e-Gov now and then gives two 附則 the same heading (組織的犯罪処罰法 has two
        # 附則（平成一二年六月二日法律第一〇五号）): the later one is told apart by its rank.
        count = self.supplement_counts[prefix] = self.supplement_counts.get(prefix, 0) + 1
        if count > 1:
            prefix = f"附則({law}その{count})" if law else f"附則(その{count})"
        self.supplement = (prefix, heading)
        self.supplement_at = len(self.opened)
        self.current = None

    def _keep_empty_supplement(self) -> None:
        """A 附則 that ends with nothing under it (its heading alone, as e-Gov gives some
        amending laws') is a section of its heading: the law number in it is not lost."""
        if self.supplement is not None and len(self.opened) == self.supplement_at:
            prefix, heading = self.supplement
            self._open(_Open(prefix, "", (heading,), [heading]))

    def _is_appendix(self, block: Block, text: str) -> bool:
        # e-Gov anchors each appended table's heading in its own segment; such a heading may
        # list every article it serves (別表第一（第三十九条、第百十六条―…関係）) and run long.
        anchored = block.anchor[:1] in tuple("2345678")
        if block.css in ("item", "number") or (len(text) > 80 and not anchored) or "。" in text:
            return False
        if self.segment in tuple("234678") and _SEGMENT_APPENDIX.match(text) is not None:
            return True
        return _APPENDIX.match(text) is not None and (
            bool(block.bold) or anchored or self.segment != "1"
        )

    def _appendix(self, text: str) -> None:
        self._keep_caption()
        heading = normalize_heading(text)
        stripped = heading.lstrip("（(")
        label = re.split(r"[ \t\u3000（(）)]", stripped, maxsplit=1)[0]
        rest = stripped[len(label) :]
        ordinal_first = ORDINAL_FIRST.fullmatch(label)
        if ordinal_first is not None:  # 第一号様式 → 様式第一, 第一表 → 表第一
            label = ordinal_first.group(2) + ordinal_first.group(1)
        path: tuple[str, ...]
        number, path = label_number(label), (heading,)
        # the parts of one form or annex (様式第二号 その一 / その二, 別記第九号様式（甲）/（乙）,
        # 附録第一号(イ)) are numbered apart, as the page tells them apart
        if part := PART_MARK.match(rest):
            number += f"({part.group(1)})"
        if part := PART_RANK.search(rest):
            number += f"その{to_int(part.group(1))}"
        if self.supplement is not None and number.startswith("附則"):
            # Every amending law's 附則 restarts at 附則別表第一: its tables carry its number.
            prefix, supplement = self.supplement
            number, path = prefix + number.removeprefix("附則"), (supplement, heading)
        self._open(_Open(number, heading, path, fill_with_heading=True))

    def _keep_caption(self) -> None:
        """A caption that no article took stays in the text, as written (``（施行期日）``).

        Captions head 項 too, in the 附則 of amending laws without articles
        (``（施行期日）`` over ``１　この法律は、…``): they are the words people search those by.
        """
        caption, self.caption = self.caption, ""
        self._append(caption)

    def _append(self, line: str) -> None:
        if self.caption:
            self._keep_caption()
        if not line:
            return
        if self.current is None:
            if self.supplement is not None:
                self._open(_Open(self.supplement[0], "", (self.supplement[1],)))
            else:
                number = "前文" if self.segment == "9" else "本則"
                self._open(_Open(number, "", tuple(level for level in self.levels if level)))
        assert self.current is not None
        self.current.lines.append(line)

    def _open(self, section: _Open) -> None:
        self.opened.append(section)
        self.current = section

    def sections(self) -> list[Section]:
        self._keep_caption()
        self._keep_empty_supplement()
        result = []
        for o in self.opened:
            text = "\n".join(o.lines).strip()
            if not text and o.fill_with_heading:
                text = o.heading
            if text:
                result.append(Section(text=text, heading=o.heading, number=o.number, path=o.path))
        return result


def manifest_category(path: Path) -> str | None:
    """The ``category`` of ``path`` in a manifest.jsonl beside it or one folder up, if any."""
    for folder, key in (
        (path.parent, path.name),
        (path.parent.parent, f"{path.parent.name}/{path.name}"),
    ):
        manifest = folder / MANIFEST_NAME
        try:
            stat = manifest.stat()
        except OSError:
            continue
        categories = _read_manifest(str(manifest), stat.st_mtime_ns, stat.st_size)
        if key in categories:
            return categories[key]
    return None


@functools.lru_cache(maxsize=8)
def _read_manifest(manifest: str, mtime_ns: int, size: int) -> dict[str, str]:
    """file → category; cached per manifest version (path, mtime, size)."""
    categories: dict[str, str] = {}
    try:
        with open(manifest, encoding="utf-8") as stream:
            for line in stream:
                if not line.strip():
                    continue
                record = json.loads(line)
                if isinstance(record, dict) and isinstance(record.get("category"), str):
                    categories[str(record.get("file"))] = record["category"]
    except (OSError, ValueError, RecursionError) as error:
        log.warning("ignoring unreadable manifest %s: %s", manifest, error)
    return categories
