"""MOFA pages: plain text and the site's HTML (UTF-8 and Shift_JIS, full-width numbering)."""

from __future__ import annotations

import datetime
import html
import logging
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mofasearch.documents import Document, load_file, parse_mofa_page
from mofasearch.errors import DocumentParseError

APEC = "2002-10-27_apec_koizumi-kasyanov-meeting.txt"
SEA_ISLAND = "2004-06-10_sea-island-summit_japan-russia-summit.txt"
HEADER_LINES = 5  # navigation (3 lines), breadcrumb, the section's name
FOOTER_LINES = 4  # 目次, navigation (2 lines), 外務省
MARKER = re.compile(
    r"^[ \t\u3000]*(?:[0-9０-９]{1,2}[.．](?![0-9０-９])|[(（][0-9０-９]{1,2}[)）](?:[ \t\u3000]*[)）])?)"
)

SPACED_MARKER = re.compile(r"^[ \t\u3000]*[0-9０-９]{1,2}[ \t\u3000\xa0]+\S")


def page_text(corpus: Path, name: str) -> str:
    return (corpus / name).read_text(encoding="utf-8")


def parse_page(corpus: Path, name: str) -> Document:
    return parse_mofa_page(page_text(corpus, name))


def outline(document: Document) -> list[tuple[str, str, tuple[str, ...], str]]:
    return [(s.number, s.heading, s.path, s.text) for s in document.sections]


# --- the pages as they are ---------------------------------------------------------------------


def test_title_spans_lines_and_keeps_its_summary_suffix(corpus: Path) -> None:
    assert (
        parse_page(corpus, APEC).title
        == "APEC首脳会合の際の小泉総理とカシヤノフ・ロシア首相の会談 (概要)"
    )
    assert (
        parse_page(corpus, SEA_ISLAND).title
        == "シーアイランド・サミットの際の日露首脳会談 結果概要"
    )


def test_date_category_and_id(corpus: Path) -> None:
    document = parse_page(corpus, SEA_ISLAND)
    assert document.date == datetime.date(2004, 6, 10)
    assert document.category == "会談・訪問 › 小泉総理大臣"
    assert document.url is None
    assert document.id.startswith("sha1:")
    assert parse_mofa_page(page_text(corpus, SEA_ISLAND), url="https://www.mofa.go.jp/x").id == (
        "https://www.mofa.go.jp/x"
    )


def test_lead_paragraph_is_its_own_section_with_the_attendees(corpus: Path) -> None:
    lead = parse_page(corpus, APEC).sections[0]
    assert (lead.number, lead.heading, lead.path) == ("", "", ())
    assert lead.text.startswith("10月27日午前10時00分から")
    assert "当方同席者は安倍官房副長官" in lead.text


def test_sub_headings_and_paths(corpus: Path) -> None:
    sections = {s.number: s for s in parse_page(corpus, SEA_ISLAND).sections}
    kyoto = sections["3.(2)"]
    assert kyoto.heading == "京都議定書"
    assert kyoto.path == ("個別案件", "京都議定書")
    assert kyoto.text.startswith("小泉総理より、日本の経験をも踏まえつつ")
    assert sections["3"].heading == "個別案件" and sections["3"].text == ""
    assert sections["1"].text == "今次会談の結果として、以下の2点を発表することとなった。"


def test_numbered_paragraphs_become_sections_with_the_parent_path(corpus: Path) -> None:
    sections = {s.number: s for s in parse_page(corpus, APEC).sections}
    first = sections["1.(1)"]
    assert (first.heading, first.path) == ("", ("劇場占拠事件",))
    assert first.text.startswith("冒頭小泉総理より、今般の劇場占拠事件")


def test_stray_bracket_typo_parses_as_paragraph_four(corpus: Path) -> None:
    last = parse_page(corpus, APEC).sections[-1]
    assert last.number == "6.(4)"
    assert last.text.startswith("これに対してカシヤノフ首相は")


def test_inline_enumerations_stay_in_the_text(corpus: Path) -> None:
    document = parse_page(corpus, SEA_ISLAND)
    numbers = [s.number for s in document.sections]
    assert numbers == [
        "",
        "1",
        "1.(1)",
        "1.(2)",
        "2",
        "2.(1)",
        "2.(2)",
        "3",
        "3.(1)",
        "3.(2)",
        "3.(3)",
        "4",
    ]
    north_korea = document.sections[-1]
    assert "(1)本日のG8会合でも述べたが" in north_korea.text
    assert "(2)引き続き六者協議" in north_korea.text
    assert "(イ)京都議定書の重要性" in document.sections[9].text


@pytest.mark.parametrize("name", [APEC, SEA_ISLAND])
def test_no_text_is_lost_or_duplicated(corpus: Path, name: str) -> None:
    """Title + date + every heading and text, in order, is the page body minus the chrome.

    Compared without whitespace and without the numbering markers, which become ``number``
    (the golden files check those).
    """
    lines = page_text(corpus, name).split("\n")
    body = [line for line in lines[HEADER_LINES:] if line.strip()][:-FOOTER_LINES]
    document = parse_mofa_page(page_text(corpus, name))
    date = document.date
    assert date is not None
    date_line = f"平成{date.year - 1988}年{date.month}月{date.day}日"
    assert date_line in body
    expected = "".join(MARKER.sub("", line) for line in body if line != date_line)
    actual = document.title + "".join(s.heading + s.text for s in document.sections)
    assert re.sub(r"\s", "", actual) == re.sub(r"\s", "", expected)


# --- the same pages as the site's HTML ---------------------------------------------------------


def full_width_markers(line: str) -> str:
    line = re.sub(r"^(\d+)\.", lambda m: _wide(m.group(1)) + "．", line)
    return re.sub(r"^\((\d+)\)", lambda m: "（" + _wide(m.group(1)) + "）", line)


def _wide(digits: str) -> str:
    return digits.translate(str.maketrans("0123456789", "０１２３４５６７８９"))


def render_html(text: str, charset: str, *, full_width: bool) -> str:
    """The page as MOFA's site would serve it: navigation lists, breadcrumb, h1 title, paragraphs."""
    lines = text.split("\n")
    header, rest = lines[:HEADER_LINES], lines[HEADER_LINES:]
    paragraphs: list[list[str]] = [[]]
    for line in rest:
        if line.strip():
            paragraphs[-1].append(full_width_markers(line) if full_width else line)
        elif paragraphs[-1]:
            paragraphs.append([])
    paragraphs = [p for p in paragraphs if p]
    footer = paragraphs[-2:]
    title, date, body = paragraphs[0], paragraphs[1], paragraphs[2:-2]
    out = [
        "<!DOCTYPE html>",
        f'<html lang="ja"><head><meta charset="{charset}"><title>{html.escape(title[0])} | 外務省</title>',
        "<style>p { margin: 0 }</style></head><body>",
        '<div id="header"><ul>',
    ]
    out += [f"<li>{html.escape(word)}</li>" for line in header[:3] for word in line.split()]
    crumbs = header[3].split()
    out.append('</ul></div><div id="breadcrumb"><a href="/">' + crumbs[0] + "</a>")
    out += [f" &gt; <a href='/c{i}/'>{html.escape(c)}</a>" for i, c in enumerate(crumbs[1:])]
    out.append(f'</div><p class="category">{html.escape(header[4])}</p><div id="main">')
    out.append("<h1>" + "<br>\n".join(html.escape(line) for line in title) + "</h1>")
    out.append(f'<p class="date">{html.escape(date[0])}</p>')
    for paragraph in body:
        tag = "h2" if re.match(r"^[0-9０-９]+[.．]", paragraph[0]) else "p"
        out.append(
            f"<{tag}>" + "<br>\n".join(html.escape(line) for line in paragraph) + f"</{tag}>"
        )
    out.append('</div><!-- footer --><div id="footer">')
    out += [f"<p>{html.escape(line)}</p>" for paragraph in footer for line in paragraph]
    out.append("</div></body></html>")
    return "\n".join(out)


@pytest.mark.parametrize("name", [APEC, SEA_ISLAND])
@pytest.mark.parametrize(
    "charset, codec, full_width",
    [("utf-8", "utf-8", False), ("Shift_JIS", "cp932", True), ("utf-8", "utf-8", True)],
)
def test_html_renderings_parse_to_the_same_sections(
    corpus: Path, name: str, charset: str, codec: str, full_width: bool
) -> None:
    text = page_text(corpus, name)
    source = render_html(text, charset, full_width=full_width)
    if full_width:
        assert "（１）" in source and "１．" in source
    from_html = parse_mofa_page(source.encode(codec))
    from_text = parse_mofa_page(text)
    assert outline(from_html) == outline(from_text)
    assert (from_html.title, from_html.date, from_html.category) == (
        from_text.title,
        from_text.date,
        from_text.category,
    )
    assert from_html.meta["format"] == "page-html"


@pytest.mark.parametrize(
    "head",
    [
        "日露外相会談（概要）",
        "外務省: 日露外相会談（概要）",
        "日露外相会談（概要）｜外務省",
        "日露外相会談（概要） | 外務省",
        "日露外相会談（概要） - 外務省",
    ],
)
def test_html_title_is_the_title_when_the_text_has_none(tmp_path: Path, head: str) -> None:
    page = f"<html><head><title>{html.escape(head)}</title></head><body><p>会談を行った。</p></body></html>"
    document = parse_mofa_page(page)
    assert document.title == "日露外相会談（概要）"
    assert [s.text for s in document.sections] == ["会談を行った。"]
    path = tmp_path / "page.html"  # the file name is the last resort, not the <title>'s rival
    path.write_text(page, encoding="utf-8")
    [loaded] = load_file(path)
    assert loaded.title == "日露外相会談（概要）"


def test_title_in_the_text_wins_over_the_html_title() -> None:
    document = parse_mofa_page(
        "<html><head><title>外務省</title></head><body><h1>日露外相会談</h1>"
        "<p>平成16年6月10日</p><p>会談を行った。</p></body></html>"
    )
    assert (document.title, document.date) == ("日露外相会談", datetime.date(2004, 6, 10))
    bare = parse_mofa_page("<html><head><title>外務省</title></head><body><p>会談。</p></body>")
    assert bare.title == "外務省"  # a title that is only the site's name is not emptied
    empty = parse_mofa_page("<html><head><title> </title></head><body><p>会談。</p></body>")
    assert empty.title == ""


@pytest.mark.parametrize("date_first", [False, True])
def test_html_title_is_the_h1_even_after_header_text_that_is_not_navigation(
    date_first: bool,
) -> None:
    """Header text the parser does not know (a menu button, a banner) above the <h1> is neither
    the title nor lost; the breadcrumb and date are found around it, above or below the h1."""
    date = "<p>平成16年6月10日</p>"
    page = (
        "<html><head><title>日露首脳会談｜外務省</title></head><body>"
        "<ul><li>外務省</li><li>English</li></ul><h1>外務省</h1><p>メニューを開く</p>"
        "<p>トップページ &gt; 会談・訪問 &gt; 小泉総理大臣</p>"
        + (date if date_first else "")
        + "<h1>シーアイランド・サミットの際の日露首脳会談<br>結果概要</h1>"
        + ("" if date_first else date)
        + "<p>会談を行った。</p><h2>1.発表事項</h2><p>二点を発表した。</p></body></html>"
    )
    document = parse_mofa_page(page)
    assert document.title == "シーアイランド・サミットの際の日露首脳会談 結果概要"
    assert document.date == datetime.date(2004, 6, 10)
    assert document.category == "会談・訪問 › 小泉総理大臣"
    assert outline(document) == [
        ("", "", (), "メニューを開く\n会談を行った。"),
        ("1", "発表事項", ("発表事項",), "二点を発表した。"),
    ]


@pytest.mark.parametrize("h1", ["<h1>1.発表事項</h1>", "<h1>関連リンク</h1>"])
def test_an_h1_under_the_page_text_is_not_where_its_title_is(h1: str) -> None:
    document = parse_mofa_page(
        "<html><body><p>日露外相会談</p><p>平成16年6月10日</p><p>会談を行った。</p>"
        f"{h1}<p>本文。</p></body></html>"
    )
    assert (document.title, document.date) == ("日露外相会談", datetime.date(2004, 6, 10))
    assert document.sections[0].text.startswith("会談を行った。")


# --- dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line, expected",
    [
        ("平成14年10月27日", datetime.date(2002, 10, 27)),
        ("平成十四年十月二十七日", datetime.date(2002, 10, 27)),
        ("平成１６年６月１０日", datetime.date(2004, 6, 10)),
        ("令和元年5月1日", datetime.date(2019, 5, 1)),
        ("昭和64年1月7日", datetime.date(1989, 1, 7)),
        ("2004年6月10日", datetime.date(2004, 6, 10)),
        ("2004-06-10", datetime.date(2004, 6, 10)),
        ("June 10, 2004", datetime.date(2004, 6, 10)),
    ],
)
def test_date_forms(line: str, expected: datetime.date) -> None:
    page = f"日露首脳会談\n\n{line}\n\n 会談を行った。\n"
    assert parse_mofa_page(page).date == expected


@pytest.mark.parametrize(
    "page",
    [
        "日露首脳会談\n\n平成16年2月30日\n\n 会談を行った。\n",
        "日露首脳会談\n平成16年2月30日\n\n 会談を行った。\n",
        "平成16年2月30日\n\n日露首脳会談\n\n 会談を行った。\n",
    ],
)
def test_impossible_date_gives_none_and_a_log_message(
    caplog: pytest.LogCaptureFixture, page: str
) -> None:
    """The typo is not a date, but it is the page's text: it stays, first in the lead."""
    with caplog.at_level(logging.WARNING, logger="mofasearch.documents"):
        document = parse_mofa_page(page)
    assert document.date is None
    assert document.title == "日露首脳会談"
    assert [s.text for s in document.sections] == ["平成16年2月30日\n会談を行った。"]
    assert any("平成16年2月30日" in record.getMessage() for record in caplog.records)


# --- properties --------------------------------------------------------------------------------

_KANJI = "日露首脳会談総理大統領協力問題経済平和条約北朝鮮環境保護議定書"
_heading = st.text(alphabet=_KANJI, min_size=1, max_size=20)
_sentence = st.builds(
    lambda words: "、".join(words) + "。",
    st.lists(
        st.text(alphabet=_KANJI + "のはをにが", min_size=1, max_size=30), min_size=1, max_size=4
    ),
)
_child = st.tuples(st.booleans(), _heading, st.lists(_sentence, min_size=1, max_size=3))
_top = st.tuples(_heading, st.lists(_sentence, max_size=2), st.lists(_child, max_size=4))


@settings(max_examples=60, deadline=None)
@given(title=_heading, lead=st.lists(_sentence, max_size=2), tops=st.lists(_top, max_size=5))
def test_generated_pages_parse_to_their_structure(title: str, lead: list[str], tops: list) -> None:
    lines = [title, "", "平成16年6月10日", ""] + [" " + s for s in lead] + [""]
    expected: list[tuple[str, str, tuple[str, ...], str]] = []
    if lead:
        expected.append(("", "", (), "\n".join(lead)))
    for t, (heading, sentences, children) in enumerate(tops, 1):
        lines += [f"{t}.{heading}", *sentences, ""]
        expected.append((str(t), heading, (heading,), "\n".join(sentences)))
        for c, (is_heading, sub, paragraph) in enumerate(children, 1):
            if is_heading:
                lines += [f"({c}) {sub}", *paragraph, ""]
                expected.append((f"{t}.({c})", sub, (heading, sub), "\n".join(paragraph)))
            else:
                lines += [f"({c}) " + paragraph[0], *paragraph[1:], ""]
                expected.append((f"{t}.({c})", "", (heading,), "\n".join(paragraph)))
    document = parse_mofa_page("\n".join(lines))
    if expected:
        assert document.title == title
        assert outline(document) == expected
    assert document.date == datetime.date(2004, 6, 10)


_PREFIXES = [
    "",
    "",
    "1.",
    "2．",
    "１．",
    "3.5",
    "12.",
    "(1)",
    "(2) )",
    "（３）",
    "(イ)",
    "ア ",
    " ",
    "\u3000",
]
_line = st.builds(
    lambda prefix, body: prefix + body,
    st.sampled_from(_PREFIXES),
    st.text(alphabet=_KANJI[:6] + "のは。、(1)2.．ア イ\u3000 ", max_size=60),
)
_plain = st.lists(_line, max_size=25).map("\n".join)


@settings(max_examples=300, deadline=None)
@given(_plain)
def test_plain_text_keeps_every_character(text: str) -> None:
    """Any text without chrome or dates: nothing lost or duplicated, modulo whitespace and markers."""
    try:
        document = parse_mofa_page(text)
    except DocumentParseError:
        assert not text.strip()
        return
    expected = "".join(MARKER.sub("", line) for line in text.split("\n"))
    actual = document.title + "".join(s.heading + s.text for s in document.sections)
    # a number and a space (1　冒頭) is a marker only where it continues the count: the digits
    # such a line starts with may or may not be left, everything else must be
    spaced = any(SPACED_MARKER.match(line) for line in text.split("\n"))
    ignored = r"[\s0-9０-９]" if spaced else r"\s"
    assert re.sub(ignored, "", actual) == re.sub(ignored, "", expected)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_give_a_document_or_a_parse_error(data: bytes) -> None:
    try:
        document = parse_mofa_page(data)
    except DocumentParseError as error:
        assert error.offset is None or 0 <= error.offset <= len(data)
        return
    assert isinstance(document, Document)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=400))
def test_arbitrary_html_never_fails(body: str) -> None:
    document = parse_mofa_page("<html><body>" + body)
    assert isinstance(document, Document)


# --- the site's later layout ---------------------------------------------------------------------

# The layout of the site's pages from about 2012 on, as their text reads: the name of the site's
# section over the title, the date, sections numbered with a space (``1　冒頭``) whose items are
# numbered paragraphs, and links back at the end.
LATER_LAYOUT = """\
欧州連合

山田外務大臣と欧州委員の会談

令和5年3月2日

1　冒頭
　山田大臣から,欧州委員の訪日を歓迎する旨述べました。

2　二国間関係
(1)両者は,経済連携協定の着実な実施を確認しました。
(2)山田大臣から,科学技術協力の強化を提案しました。

3　地域情勢
(1)両者は,インド太平洋地域の情勢について意見交換を行いました。

このページのトップへ戻る
欧州連合へ戻る
"""


def test_a_page_of_the_later_layout_gives_its_title_date_and_numbered_sections() -> None:
    document = parse_mofa_page(LATER_LAYOUT)
    assert document.title == "山田外務大臣と欧州委員の会談"
    assert document.date == datetime.date(2023, 3, 2)
    assert outline(document) == [
        ("", "", (), "欧州連合"),  # the site section's name is kept, at the start of the lead
        ("1", "冒頭", ("冒頭",), "山田大臣から,欧州委員の訪日を歓迎する旨述べました。"),
        ("2", "二国間関係", ("二国間関係",), ""),
        ("2.(1)", "", ("二国間関係",), "両者は,経済連携協定の着実な実施を確認しました。"),
        ("2.(2)", "", ("二国間関係",), "山田大臣から,科学技術協力の強化を提案しました。"),
        ("3", "地域情勢", ("地域情勢",), ""),
        ("3.(1)", "", ("地域情勢",), "両者は,インド太平洋地域の情勢について意見交換を行いました。"),
    ]


def test_the_later_layout_as_html_reads_the_same() -> None:
    blocks = [line for line in LATER_LAYOUT.split("\n") if line]
    body = "".join(
        f"<h1>{html.escape(b)}</h1>"
        if b == "山田外務大臣と欧州委員の会談"
        else f"<p>{html.escape(b)}</p>"
        for b in blocks
    )
    page = f"<html><head><title>会談｜外務省</title></head><body>{body}</body></html>"
    assert outline(parse_mofa_page(page)) == outline(parse_mofa_page(LATER_LAYOUT))
    assert parse_mofa_page(page).date == datetime.date(2023, 3, 2)


@pytest.mark.parametrize(
    ("lines", "numbers"),
    [
        # numbered with a space only where the count goes on: 1 first, then the next number
        (["1　冒頭", "本文。", "2　経済", "本文。"], ["1", "2"]),
        (["1 両首脳は会談を行いました。", "2 冒頭,歓迎の意を表しました。"], ["1", "2"]),
        (["冒頭の発言。", "5　か国が参加した。"], [""]),
        (["1　冒頭", "本文。", "3 人の閣僚が出席した。"], ["1"]),
        (["1.発表事項", "本文。", "2　経済", "本文。"], ["1", "2"]),
    ],
)
def test_a_number_and_a_space_is_a_marker_where_it_continues_the_count(
    lines: list[str], numbers: list[str]
) -> None:
    assert [s.number for s in parse_mofa_page("\n".join(lines)).sections] == numbers


def test_links_back_at_the_end_are_navigation_and_text_stays() -> None:
    page = "会談\n\n平成30年9月6日\n\n1　冒頭\n両者は会談した。\n前のページへ戻る | 目次へ戻る\nドイツへ戻る\n"
    document = parse_mofa_page(page)
    assert document.sections[-1].text == "両者は会談した。"
    # a sentence that ends so is text, not a link
    kept = parse_mofa_page("会談\n\n1　冒頭\n大臣は東京へ戻る。\n")
    assert kept.sections[-1].text == "大臣は東京へ戻る。"
