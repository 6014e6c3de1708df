"""e-Gov statutes (real Shift_JIS HTML, 2013): structure, numbering, metadata, the whole set."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from mofasearch.documents import Document, load, load_file
from mofasearch.documents.egov import is_statute, parse_statute


def statute(data: Path, name: str) -> Document:
    root = data / "egov_law_html_2013"
    [document] = load_file(root / "html" / name, root=root)
    return document


def test_借地借家法_articles_chapters_and_supplementary_provisions(data: Path) -> None:
    document = statute(data, "bd2cb17306b149e3.html")
    assert document.title == "借地借家法"
    assert document.date == datetime.date(1991, 10, 4)
    assert document.category == "民事"
    assert document.meta["law_number"] == "平成三年法律第九十号"
    assert document.meta["last_amended"] == "平成二三年五月二五日法律第五三号"
    sections = {s.number: s for s in document.sections}
    article = sections["3"]
    assert article.heading == "借地権の存続期間"
    assert article.path == ("第二章 借地", "第一節 借地権の存続期間等", "借地権の存続期間")
    assert article.text == (
        "第三条\u3000借地権の存続期間は、三十年とする。ただし、契約でこれより長い期間を定めたとき"
        "は、その期間とする。"
    )
    assert article.id == "html/bd2cb17306b149e3.html#3"
    # paragraphs (項) stay inside their article, one per line
    assert sections["5"].text.split("\n")[1].startswith("２\u3000借地権の存続期間が満了した後")
    # the table of contents is gone: no section text mentions its article ranges
    assert not any("（第三条―第九条）" in s.text for s in document.sections)
    assert sections["附則1"].path == ("附則", "施行期日")
    assert sections["附則(平成11年法律第153号)2"].heading == "借地借家法の一部改正に伴う経過措置"
    assert (
        sections["附則(平成8年法律第110号)"].text == "この法律は、新民訴法の施行の日から施行する。"
    )
    assert len({s.id for s in document.sections}) == len(document.sections)


def test_branch_articles_and_deep_divisions(data: Path) -> None:
    """款 and 目 levels build the path; 第三条の二 is number 3の2, not a child of 3."""
    manifest = (data / "egov_law_html_2013" / "manifest.jsonl").read_text(encoding="utf-8")
    assert '"file": "html/353bf4fa6f8e9744.html"' in manifest
    document = statute(data, "353bf4fa6f8e9744.html")
    depths = {len(s.path) for s in document.sections if s.number[:1].isdigit()}
    assert max(depths) >= 5  # 章 › 節 › 款 › 目 › 見出し
    deep = next(s for s in document.sections if any(p.startswith("第一目") for p in s.path))
    kinds = [p.split(" ")[0][-1] for p in deep.path[:-1]]
    assert kinds[-2:] == ["款", "目"]
    branch = [s for s in document.sections if "の" in s.number and s.number[0].isdigit()]
    assert branch, "expected 条の二 articles"
    assert all(s.text.startswith("第") and "条の" in s.text.split("\u3000")[0] for s in branch)


def test_preamble_of_the_constitution(data: Path) -> None:
    document = statute(data, "cdcc0b7a44df4eed.html")
    assert document.title == "日本国憲法"
    assert document.date == datetime.date(1946, 11, 3)
    preamble = document.sections[0]
    assert preamble.number == "前文"
    assert preamble.text.startswith("日本国民は、正当に選挙された国会における代表者を通じて行動し")
    first = document.sections[1]
    assert (first.number, first.path) == ("1", ("第一章 天皇",))


def test_statute_markup_is_detected_only_on_statutes(data: Path, corpus: Path) -> None:
    raw = (data / "egov_law_html_2013" / "html" / "bd2cb17306b149e3.html").read_bytes()
    assert is_statute(raw.decode("cp932"))
    assert not is_statute("<html><body><p>1.発表事項</p></body></html>")


@pytest.mark.parametrize("css", ["item", "number", "arttitle"])
def test_an_e_gov_class_name_alone_does_not_make_a_statute(tmp_path: Path, css: str) -> None:
    page = (
        f'<html><body><div class="{css}">ニュース</div><h1>日露外相会談</h1>'
        "<p>平成16年6月10日</p><p>会談を行った。</p></body></html>"
    )
    assert not is_statute(page)
    path = tmp_path / "news.html"
    path.write_text(page, encoding="utf-8")
    [document] = load_file(path)
    assert document.meta["format"] == "page-html"  # a page, not a statute of one 本則 section
    assert "日露外相会談" in document.title + "".join(s.text for s in document.sections)
    assert all(s.number != "本則" for s in document.sections)


def test_e_gov_markup_is_detected_by_anchors_or_article_divs() -> None:
    anchor = (
        '<html><body><A NAME="1000000000000000000000000000000000000000000000000100000000000000">'
    )
    assert is_statute(anchor + "</A></body></html>")
    article = '<HTML><BODY><DIV class="item"><B>第三条の二</B>\n　目的。</DIV></BODY></HTML>'
    assert is_statute(article)
    assert not is_statute('<html><body><div class="item"><b>第一</b> 次の記事</div></body></html>')
    assert not is_statute('<html><body><a name="2004">年表</a></body></html>')


def test_category_needs_the_manifest(data: Path, tmp_path: Path) -> None:
    source = data / "egov_law_html_2013" / "html" / "bd2cb17306b149e3.html"
    copy = tmp_path / "bd2cb17306b149e3.html"
    copy.write_bytes(source.read_bytes())
    [document] = load_file(copy)
    assert document.category is None
    assert document.id == "bd2cb17306b149e3.html"
    assert document.title == "借地借家法"


def test_minimal_statute_markup_without_data() -> None:
    page = (
        "<HTML><BODY><B>試験法<BR>（平成十年一月五日法律第一号）</B><BR><BR>"
        '<DIV ALIGN="right">最終改正：平成一一年二月三日法律第二号</DIV>'
        '<A HREF="#1" TARGET="data">第一章　総則（第一条）</A><BR>'
        "<P>　　　<B>第一章　総則</B><P>"
        '<DIV class="arttitle">（目的）</DIV><DIV class="item"><B>第一条</B>\n　目的を定める。\n'
        '<DIV class="number"><B>一</B>\n　第一号</DIV></DIV>'
        '<DIV class="item"><B>２</B>\n　第二項。</DIV>'
        "<BR>　　　<B>附　則　（平成一一年二月三日法律第二号）　抄</B><BR><P>この法律は施行する。</DIV>"
        "</BODY></HTML>"
    )
    document = parse_statute(page, doc_id="t.html")
    assert document.title == "試験法"
    assert document.date == datetime.date(1998, 1, 5)
    assert dict(document.meta) == {
        "format": "egov-statute",
        "law_number": "平成十年法律第一号",
        "last_amended": "平成一一年二月三日法律第二号",
    }
    assert [(s.number, s.heading, s.path, s.text) for s in document.sections] == [
        (
            "1",
            "目的",
            ("第一章 総則", "目的"),
            "第一条\u3000目的を定める。\n一\u3000第一号\n２\u3000第二項。",
        ),
        (
            "附則(平成11年法律第2号)",
            "",
            ("附則（平成一一年二月三日法律第二号）抄",),
            "この法律は施行する。",
        ),
    ]


def test_captions_of_paragraphs_stay_in_the_text() -> None:
    """A 附則 without articles gives its 項 captions (見出し): no article takes them, and they
    are what the paragraphs are searched by (施行期日, 検討), so they stay in the text."""
    page = (
        "<HTML><BODY><B>試験法<BR>（平成十年一月五日法律第一号）</B><BR><BR>"
        '<DIV class="item"><B>第一条</B>\n　目的を定める。</DIV>'
        "<BR>　　　<B>附　則　（平成二四年一一月二六日法律第九三号）</B><BR>"
        '<P><DIV class="arttitle">（施行期日）</DIV><DIV class="item"><B>１</B>\n　公布の日から施行する。</DIV>'
        '<DIV class="arttitle">（検討）</DIV><DIV class="item"><B>２</B>\n　必要な措置を講ずる。</DIV>'
        '<DIV class="arttitle">（経過措置）</DIV>'
        "</BODY></HTML>"
    )
    document = parse_statute(page, doc_id="t.html")
    assert [(s.number, s.path, s.text) for s in document.sections] == [
        ("1", (), "第一条\u3000目的を定める。"),
        (
            "附則(平成24年法律第93号)",
            ("附則（平成二四年一一月二六日法律第九三号）",),
            "（施行期日）\n１\u3000公布の日から施行する。\n（検討）\n２\u3000必要な措置を講ずる。"
            "\n（経過措置）",
        ),
    ]


def test_captions_no_article_takes_are_kept_in_the_real_statutes(data: Path) -> None:
    """国会議員の歳費及び期末手当の臨時特例に関する法律: its 附則 (平成二四年法律第九三号) has
    two captioned paragraphs and no article."""
    document = statute(data, "014c39092f9b42ac.html")
    [supplement] = [s for s in document.sections if s.number == "附則(平成24年法律第93号)"]
    assert supplement.text.startswith("（施行期日）\n１")
    assert "\n（検討）\n２" in supplement.text


def test_rules_of_the_national_personnel_authority_are_cited_by_their_number(data: Path) -> None:
    """人事院規則 are numbered by subject (人事院規則一―四〇), not 第…号: each amending rule's 附則
    still carries its number, instead of all of them being ``附則`` like the original one."""
    document = statute(data, "0087a3656ab4b410.html")
    assert document.meta["law_number"] == "平成十五年人事院規則一―三八"
    supplements = [s.number for s in document.sections if s.number.startswith("附則")]
    assert supplements == [
        "附則",
        "附則(平成15年人事院規則1―40)",
        "附則(平成18年人事院規則10―12)",
        "附則(平成19年人事院規則1―49)",
        "附則(平成19年人事院規則1―50)1",
        "附則(平成20年人事院規則1―53)1",
    ]


@pytest.mark.slow
def test_every_section_of_every_statute_has_text_and_a_number(data: Path) -> None:
    errors: list[tuple[Path, Exception]] = []
    documents = list(load(data / "egov_law_html_2013", on_error=lambda p, e: errors.append((p, e))))
    assert errors == []
    assert len(documents) == 1029
    assert all(d.title and d.date and d.category and d.sections for d in documents)
    assert all(d.meta["format"] == "egov-statute" for d in documents)
    empty = [
        (d.id, s.number) for d in documents for s in d.sections if not (s.text.strip() and s.number)
    ]
    assert empty == []
    assert sum(len(d.sections) for d in documents) > 40000


def _anchor(segment: str, number: int) -> str:
    """An e-Gov anchor name: the segment digit (3 別表, 5 附則, 6 様式) then the provision's place."""
    return f"{segment}{number:09d}".ljust(79, "0")


_HEAD = "<HTML><BODY><B>試験法<BR>（平成十年一月五日法律第一号）</B><BR><BR>"
_LAST_SUPPLEMENT = (
    f'<BR>　　　<A NAME="{_anchor("5", 2)}"><B>附　則　（平成二五年六月一九日法律第四七号）</B></A>'
    '<BR><P><DIV class="item"><B>第十五条</B>\n　旧法の規定による申立ては、なお従前の例による。</DIV>'
)


@pytest.mark.parametrize(
    ("heading", "number"),
    [
        # 家事事件手続法: the heading lists every article the table serves (over 80 characters)
        (
            "別表第一（第三十九条、第百十六条―第百十八条、第百二十八条、第百二十九条、第百三十六条、"
            "第百三十七条、第百四十八条、第百五十条、第百六十条、第百六十七条、第百八十二条関係）",
            "別表1",
        ),
        ("（別表）", "別表"),  # 国外における旅券手数料の額を定める省令
        ("第一表（第一条関係）", "表1"),  # 下級裁判所の設立及び管轄区域に関する法律
        ("第一号様式\u3000（第六条関係）", "様式1"),  # 鉄道抵当法施行規則
    ],
)
def test_appended_tables_after_the_supplementary_provisions_are_sections(
    heading: str, number: str
) -> None:
    """An appended table's heading under its e-Gov anchor opens a section of its own, however
    it is written, instead of its rows running on in the last 附則 article."""
    segment = "6" if "様式" in heading else "3"
    page = (
        _HEAD + _LAST_SUPPLEMENT + f'<BR><BR><A NAME="{_anchor(segment, 1)}">{heading}</A><BR><BR>'
        "<TABLE BORDER><TR><TD>項</TD><TD>事項</TD></TR><TR><TD>一</TD><TD>後見開始</TD></TR></TABLE>"
        "</BODY></HTML>"
    )
    document = parse_statute(page, doc_id="t.html")
    title = heading.replace("\u3000", " ")
    assert [(s.number, s.path, s.text) for s in document.sections] == [
        (
            "附則(平成25年法律第47号)15",
            ("附則（平成二五年六月一九日法律第四七号）",),
            "第十五条\u3000旧法の規定による申立ては、なお従前の例による。",
        ),
        (number, (title,), "項\u3000事項\n一\u3000後見開始"),
    ]


def test_an_unanchored_form_heading_in_the_forms_segment_is_a_section() -> None:
    """排他的経済水域及び大陸棚の保全及び利用の促進のための…: 第三号様式 has no anchor of its own
    but follows the anchored 第二号様式."""
    page = (
        _HEAD
        + '<DIV class="item"><B>第一条</B>\n　目的を定める。</DIV>'
        + f'<BR><BR><A NAME="{_anchor("6", 2)}">第二号様式　（第十一条関係）</A>'
        + "<BR>第三号様式　（第十二条関係）<BR></BODY></HTML>"
    )
    document = parse_statute(page, doc_id="t.html")
    assert [(s.number, s.text) for s in document.sections] == [
        ("1", "第一条\u3000目的を定める。"),
        ("様式2", "第二号様式 （第十一条関係）"),
        ("様式3", "第三号様式 （第十二条関係）"),
    ]


def test_the_parts_of_one_form_are_numbered_apart() -> None:
    """様式第二号 （第五条関係） その一 / その二 (1294e46b17e223e4), 別記第九号様式（甲）/（乙）
    (dfaa7ebe8e274f24), 附録第一号(イ)/(ロ) (a9acd1349e39b70e): parts of one form, each its own
    number (their ids no longer fall back to a rank)."""
    headings = [
        "様式第二号　（第五条関係）　その一",
        "様式第二号　（第五条関係）　その二",
        "別記第九号様式（甲）　（第十九条関係）",
        "別記第九号様式（乙）　（第十九条関係）",
        "附録第一号(イ)",
        "附録第一号(ロ)",
    ]
    page = _HEAD + '<DIV class="item"><B>第一条</B>\n　目的を定める。</DIV>'
    for rank, heading in enumerate(headings, 1):
        page += f'<BR><A NAME="{_anchor("6", rank)}">{heading}</A><BR>'
    document = parse_statute(page + "</BODY></HTML>", doc_id="t.html")
    assert [s.number for s in document.sections] == [
        "1",
        "様式2その1",
        "様式2その2",
        "別記9様式(甲)",
        "別記9様式(乙)",
        "附録1(イ)",
        "附録1(ロ)",
    ]
    assert [s.id for s in document.sections][1:3] == ["t.html#様式2その1", "t.html#様式2その2"]


def test_a_closing_line_in_brackets_outside_the_appendix_segments_stays_text() -> None:
    """褒章条例: its 前文 ends in （別紙） (the articles that follow), which is not a table."""
    page = (
        _HEAD + f'<A NAME="{_anchor("9", 0)}"></A><BR>　褒章条例別紙ノ通相定ム<BR>（別紙）<BR><BR>'
        '<P><DIV class="item"><B>第一条</B>\n　褒章ハ左ノ六種トス</DIV></BODY></HTML>'
    )
    document = parse_statute(page, doc_id="t.html")
    assert [(s.number, s.text) for s in document.sections] == [
        ("前文", "褒章条例別紙ノ通相定ム\n（別紙）"),
        ("1", "第一条\u3000褒章ハ左ノ六種トス"),
    ]


def test_tables_of_each_amending_law_carry_its_number() -> None:
    """防衛省の職員の給与等に関する法律: several amending laws' 附則 each have 附則別表第一."""
    page = _HEAD + '<DIV class="item"><B>第一条</B>\n　目的を定める。</DIV>'
    for rank, (law, short) in enumerate(
        [
            ("昭和二七年一二月二五日法律第三二五号", "昭和27年法律第325号"),
            ("昭和二八年一二月一二日法律第二八六号", "昭和28年法律第286号"),
        ],
        1,
    ):
        page += (
            f'<BR>　　　<A NAME="{_anchor("5", rank)}"><B>附　則　（{law}）</B></A><BR>'
            f"<P>附則別表第一に掲げる新俸給額による。"
            f'<BR><A NAME="{_anchor("5", rank)[:-1]}{rank}">附則別表第一　俸給の新旧対照表</A>'
            f"<BR><TABLE BORDER><TR><TD>旧</TD><TD>新{short}</TD></TR></TABLE>"
        )
    document = parse_statute(page + "</BODY></HTML>", doc_id="t.html")
    assert [(s.number, s.path, s.text) for s in document.sections] == [
        ("1", (), "第一条\u3000目的を定める。"),
        (
            "附則(昭和27年法律第325号)",
            ("附則（昭和二七年一二月二五日法律第三二五号）",),
            "附則別表第一に掲げる新俸給額による。",
        ),
        (
            "附則(昭和27年法律第325号)別表1",
            ("附則（昭和二七年一二月二五日法律第三二五号）", "附則別表第一 俸給の新旧対照表"),
            "旧\u3000新昭和27年法律第325号",
        ),
        (
            "附則(昭和28年法律第286号)",
            ("附則（昭和二八年一二月一二日法律第二八六号）",),
            "附則別表第一に掲げる新俸給額による。",
        ),
        (
            "附則(昭和28年法律第286号)別表1",
            ("附則（昭和二八年一二月一二日法律第二八六号）", "附則別表第一 俸給の新旧対照表"),
            "旧\u3000新昭和28年法律第286号",
        ),
    ]
    assert len({s.id for s in document.sections}) == 5
    assert all("~" not in s.id for s in document.sections)


def test_a_repeated_supplement_heading_is_told_apart() -> None:
    """組織的な犯罪の処罰及び犯罪収益の規制等に関する法律 has two 附則 headed
    （平成一二年六月二日法律第一〇五号）, the first 抄: both start at 第一条."""
    page = _HEAD + '<DIV class="item"><B>第一条</B>\n　目的を定める。</DIV>'
    for rank, suffix in enumerate(["　抄", ""], 1):
        page += (
            f'<BR>　　　<A NAME="{_anchor("5", rank)}">'
            f"<B>附　則　（平成一二年六月二日法律第一〇五号）{suffix}</B></A><BR>"
            '<P><DIV class="arttitle">（施行期日）</DIV>'
            f'<DIV class="item"><B>第一条</B>\n　施行する。{rank}</DIV>'
        )
    document = parse_statute(page + "</BODY></HTML>", doc_id="t.html")
    assert [(s.number, s.path, s.id) for s in document.sections] == [
        ("1", (), "t.html#1"),
        (
            "附則(平成12年法律第105号)1",
            ("附則（平成一二年六月二日法律第一〇五号）抄", "施行期日"),
            "t.html#附則(平成12年法律第105号)1",
        ),
        (
            "附則(平成12年法律第105号その2)1",
            ("附則（平成一二年六月二日法律第一〇五号）", "施行期日"),
            "t.html#附則(平成12年法律第105号その2)1",
        ),
    ]


def test_a_supplement_with_nothing_under_it_keeps_its_heading() -> None:
    """e-Gov gives some amending laws' 附則 as a bare heading (昭和六一年総理府令第四〇号 in
    9ef921fd5a6a39b7): its law number stays searchable, in its place, first or last."""
    page = _HEAD + '<DIV class="item"><B>第一条</B>\n　目的を定める。</DIV>'
    for rank, (law, body) in enumerate(
        [
            ("昭和六一年六月二八日総理府令第四〇号", ""),
            (
                "昭和六二年一月一日総理府令第一号",
                '<DIV class="item">　公布の日から施行する。</DIV>',
            ),
            ("昭和六三年三月一日総理府令第二号", ""),
        ],
        1,
    ):
        page += f'<BR><A NAME="{_anchor("5", rank)}"><B>附　則　（{law}）</B></A><BR>{body}'
    document = parse_statute(page + "</BODY></HTML>", doc_id="t.html")
    assert [(s.number, s.text) for s in document.sections] == [
        ("1", "第一条\u3000目的を定める。"),
        ("附則(昭和61年総理府令第40号)", "附則（昭和六一年六月二八日総理府令第四〇号）"),
        ("附則(昭和62年総理府令第1号)", "公布の日から施行する。"),
        ("附則(昭和63年総理府令第2号)", "附則（昭和六三年三月一日総理府令第二号）"),
    ]


def test_appended_tables_of_the_real_statutes_are_sections(data: Path) -> None:
    """家事事件手続法's 別表第一 and 別表第二 (long headings) and the 第一表…第五表 of 下級裁判所の
    設立及び管轄区域に関する法律 are sections, not rows at the end of the last 附則 article."""
    family = statute(data, "7a34938524021e01.html")
    sections = {s.number: s for s in family.sections}
    assert sections["別表1"].path[0].startswith("別表第一（第三十九条、")
    assert sections["別表2"].path[0].startswith("別表第二（第二十条、")
    assert len(sections["附則(平成25年法律第47号)15"].text) < 400
    courts = statute(data, "6eb5a4c0a6e5a6bb.html")
    assert [s.number for s in courts.sections if s.number.startswith("表")] == [
        "表1",
        "表2",
        "表3",
        "表4",
        "表5",
    ]
    last_supplement = {s.number: s for s in courts.sections}["附則(平成17年法律第4号)"]
    assert last_supplement.text.endswith(
        "から施行する。\n（経過措置）\n２\u3000この法律の施行前に"
        "従前の管轄裁判所で受理した事件は、その裁判所で完結する。"
    )
