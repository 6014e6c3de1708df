"""e-Gov statutes in 法令標準XML: the same Documents as the legacy HTML of the same law."""

from __future__ import annotations

import datetime
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from mofasearch.documents import Document, load, load_file
from mofasearch.documents.egov_xml import is_law_xml, parse_law_xml
from mofasearch.errors import DocumentParseError
from tests.conftest import disk_index

SAMPLES = "egov_law_xml_samples"
GYOSEI_XML = "405AC0000000088_20240401_504AC0100000052.xml"
MINPO_XML = "129AC0000000089_20230614_505AC0000000053.xml"
# the same laws in the 2013 HTML set (manifest.jsonl: 行政手続法 and 民法 by their "law" field)
GYOSEI_HTML = "d72ef67fef63d919.html"
MINPO_HTML = "20cab551f1dbc318.html"

SMALL_LAW = """<?xml version="1.0" encoding="UTF-8"?>
<Law Era="Reiwa" Year="02" Num="010" LawType="Act" Lang="ja" PromulgateMonth="04" PromulgateDay="01">
  <LawNum>令和二年法律第十号</LawNum>
  <LawBody>
    <LawTitle Kana="しけんにかんするほうりつ" Abbrev="試験法" AbbrevKana="しけんほう">試験に関する法律</LawTitle>
    <TOC>
      <TOCLabel>目次</TOCLabel>
      <TOCChapter Num="1">
        <ChapterTitle>第一章　総則</ChapterTitle>
        <ArticleRange>（第一条・第二条）</ArticleRange>
      </TOCChapter>
      <TOCSupplProvision><SupplProvisionLabel>附則</SupplProvisionLabel></TOCSupplProvision>
    </TOC>
    <MainProvision>
      <Chapter Num="1">
        <ChapterTitle>第一章　総則</ChapterTitle>
        <Article Num="1">
          <ArticleCaption>（目的）</ArticleCaption>
          <ArticleTitle>第一条</ArticleTitle>
          <Paragraph Num="1">
            <ParagraphNum/>
            <ParagraphSentence>
              <Sentence Num="1">この法律は、試験の公正を図ることを目的とする。</Sentence>
            </ParagraphSentence>
          </Paragraph>
        </Article>
        <Article Num="2">
          <ArticleCaption>（定義）</ArticleCaption>
          <ArticleTitle>第二条</ArticleTitle>
          <Paragraph Num="1">
            <ParagraphNum/>
            <ParagraphSentence>
              <Sentence Num="1">この法律において、次の各号に掲げる用語の意義は、当該各号に定めるところによる。</Sentence>
            </ParagraphSentence>
            <Item Num="1">
              <ItemTitle>一</ItemTitle>
              <ItemSentence>
                <Column Num="1"><Sentence Num="1">試験</Sentence></Column>
                <Column Num="2">
                  <Sentence Function="main" Num="1">知識を問う手続をいう。</Sentence>
                  <Sentence Function="proviso" Num="2">ただし、次に掲げるものを除く。</Sentence>
                </Column>
              </ItemSentence>
              <Subitem1 Num="1">
                <Subitem1Title>イ</Subitem1Title>
                <Subitem1Sentence><Sentence Num="1">模擬の試験</Sentence></Subitem1Sentence>
                <Subitem2 Num="1">
                  <Subitem2Title>（１）</Subitem2Title>
                  <Subitem2Sentence><Sentence Num="1">校内の模擬試験</Sentence></Subitem2Sentence>
                </Subitem2>
              </Subitem1>
            </Item>
            <Item Num="2">
              <ItemTitle>二</ItemTitle>
              <ItemSentence>
                <Column Num="1"><Sentence Num="1">受験者</Sentence></Column>
                <Column Num="2"><Sentence Num="1">試験を受ける者をいう。</Sentence></Column>
              </ItemSentence>
            </Item>
          </Paragraph>
          <Paragraph Num="2">
            <ParagraphNum>２</ParagraphNum>
            <ParagraphSentence>
              <Sentence Num="1">前項第一号の<Ruby>疎<Rt>そ</Rt></Ruby>明は、書面でする。</Sentence>
            </ParagraphSentence>
          </Paragraph>
        </Article>
      </Chapter>
      <Chapter Num="2">
        <ChapterTitle>第二章　実施</ChapterTitle>
        <Section Num="1">
          <SectionTitle>第一節　手数料</SectionTitle>
          <Article Num="3">
            <ArticleCaption>（手数料）</ArticleCaption>
            <ArticleTitle>第三条</ArticleTitle>
            <Paragraph Num="1">
              <ParagraphNum/>
              <ParagraphSentence>
                <Sentence Num="1">受験者は、次の表に定める額の手数料を納めなければならない。</Sentence>
              </ParagraphSentence>
              <TableStruct>
                <Table>
                  <TableRow>
                    <TableColumn><Sentence Num="1">筆記試験</Sentence></TableColumn>
                    <TableColumn><Sentence Num="1">三千円</Sentence></TableColumn>
                  </TableRow>
                  <TableRow>
                    <TableColumn><Sentence Num="1">実技試験</Sentence></TableColumn>
                    <TableColumn><Sentence Num="1">五千円</Sentence></TableColumn>
                  </TableRow>
                </Table>
              </TableStruct>
            </Paragraph>
          </Article>
          <Article Num="3_2">
            <ArticleTitle>第三条の二</ArticleTitle>
            <Paragraph Num="1">
              <ParagraphNum/>
              <ParagraphSentence><Sentence Num="1">手数料は、返還しない。</Sentence></ParagraphSentence>
            </Paragraph>
          </Article>
        </Section>
      </Chapter>
    </MainProvision>
    <SupplProvision>
      <SupplProvisionLabel>附　則</SupplProvisionLabel>
      <Paragraph Num="1">
        <ParagraphCaption>（施行期日）</ParagraphCaption>
        <ParagraphNum>１</ParagraphNum>
        <ParagraphSentence><Sentence Num="1">この法律は、令和三年四月一日から施行する。</Sentence></ParagraphSentence>
      </Paragraph>
      <Paragraph Num="2">
        <ParagraphNum>２</ParagraphNum>
        <ParagraphSentence><Sentence Num="1">必要な経過措置は、政令で定める。</Sentence></ParagraphSentence>
      </Paragraph>
    </SupplProvision>
    <SupplProvision AmendLawNum="令和四年六月一日法律第五〇号" Extract="true">
      <SupplProvisionLabel>附　則</SupplProvisionLabel>
      <Article Num="1">
        <ArticleCaption>（施行期日）</ArticleCaption>
        <ArticleTitle>第一条</ArticleTitle>
        <Paragraph Num="1">
          <ParagraphNum/>
          <ParagraphSentence><Sentence Num="1">この法律は、公布の日から施行する。</Sentence></ParagraphSentence>
        </Paragraph>
      </Article>
      <Article Num="3">
        <ArticleTitle>第三条</ArticleTitle>
        <Paragraph Num="1">
          <ParagraphNum/>
          <ParagraphSentence><Sentence Num="1">従前の手数料は、なお従前の例による。</Sentence></ParagraphSentence>
        </Paragraph>
      </Article>
    </SupplProvision>
    <SupplProvision AmendLawNum="令和五年三月三一日法律第三号">
      <SupplProvisionLabel>附　則</SupplProvisionLabel>
      <Paragraph Num="1">
        <ParagraphNum/>
        <ParagraphSentence><Sentence Num="1">この法律は、令和五年十月一日から施行する。</Sentence></ParagraphSentence>
      </Paragraph>
    </SupplProvision>
    <AppdxTable Num="1">
      <AppdxTableTitle>別表第一</AppdxTableTitle>
      <RelatedArticleNum>（第三条関係）</RelatedArticleNum>
      <TableStruct>
        <Table>
          <TableHeaderRow>
            <TableHeaderColumn>区分</TableHeaderColumn>
            <TableHeaderColumn>会場</TableHeaderColumn>
          </TableHeaderRow>
          <TableRow>
            <TableColumn><Sentence Num="1">筆記試験</Sentence></TableColumn>
            <TableColumn><Sentence Num="1">東京</Sentence><Sentence Num="2">大阪</Sentence></TableColumn>
          </TableRow>
        </Table>
      </TableStruct>
    </AppdxTable>
    <AppdxStyle>
      <AppdxStyleTitle>様式第二号</AppdxStyleTitle>
      <RelatedArticleNum>（第三条関係）</RelatedArticleNum>
      <StyleStruct><Style><Fig src="./pict/2JH00000000001.jpg"/></Style></StyleStruct>
    </AppdxStyle>
  </LawBody>
</Law>
"""

SMALL_LAW_SECTIONS = [
    (
        "1",
        "目的",
        ("第一章 総則", "目的"),
        "第一条\u3000この法律は、試験の公正を図ることを目的とする。",
    ),
    (
        "2",
        "定義",
        ("第一章 総則", "定義"),
        "第二条\u3000この法律において、次の各号に掲げる用語の意義は、当該各号に定めるところによる。\n"
        "一\u3000試験\u3000知識を問う手続をいう。ただし、次に掲げるものを除く。\n"
        "イ\u3000模擬の試験\n"
        "（１）\u3000校内の模擬試験\n"
        "二\u3000受験者\u3000試験を受ける者をいう。\n"
        "２\u3000前項第一号の疎明は、書面でする。",
    ),
    (
        "3",
        "手数料",
        ("第二章 実施", "第一節 手数料", "手数料"),
        "第三条\u3000受験者は、次の表に定める額の手数料を納めなければならない。\n"
        "筆記試験\u3000三千円\n"
        "実技試験\u3000五千円",
    ),
    ("3の2", "", ("第二章 実施", "第一節 手数料"), "第三条の二\u3000手数料は、返還しない。"),
    (
        "附則",
        "",
        ("附則",),
        "（施行期日）\n"
        "１\u3000この法律は、令和三年四月一日から施行する。\n"
        "２\u3000必要な経過措置は、政令で定める。",
    ),
    (
        "附則(令和4年法律第50号)1",
        "施行期日",
        ("附則（令和四年六月一日法律第五〇号）抄", "施行期日"),
        "第一条\u3000この法律は、公布の日から施行する。",
    ),
    (
        "附則(令和4年法律第50号)3",
        "",
        ("附則（令和四年六月一日法律第五〇号）抄",),
        "第三条\u3000従前の手数料は、なお従前の例による。",
    ),
    (
        "附則(令和5年法律第3号)",
        "",
        ("附則（令和五年三月三一日法律第三号）",),
        "この法律は、令和五年十月一日から施行する。",
    ),
    (
        "別表1",
        "別表第一 （第三条関係）",
        ("別表第一 （第三条関係）",),
        "区分\u3000会場\n筆記試験\u3000東京\n大阪",
    ),
    (
        "様式2",
        "様式第二号 （第三条関係）",
        ("様式第二号 （第三条関係）",),
        "様式第二号 （第三条関係）",
    ),
]


def small_law(tmp_path: Path, name: str = "shiken.xml", text: str = SMALL_LAW) -> Document:
    file = tmp_path / name
    file.write_text(text, encoding="utf-8")
    [document] = load_file(file, root=tmp_path)
    return document


def test_a_small_law_golden(tmp_path: Path) -> None:
    document = small_law(tmp_path)
    assert document.id == "shiken.xml"
    assert document.title == "試験に関する法律"
    assert document.date == datetime.date(2020, 4, 1)
    assert dict(document.meta) == {
        "format": "egov-statute-xml",
        "law_number": "令和二年法律第十号",
        "law_type": "Act",
        "kana": "しけんにかんするほうりつ",
        "abbrev": "試験法",
    }
    got = [(s.number, s.heading, s.path, s.text) for s in document.sections]
    assert got == SMALL_LAW_SECTIONS
    assert document.sections[0].id == "shiken.xml#1"
    # the table of contents is not text: its article ranges appear nowhere
    assert not any("（第一条・第二条）" in s.text for s in document.sections)


def test_detected_by_content_whatever_the_file_is_named(tmp_path: Path) -> None:
    for name in ("shiken", "shiken.txt", "shiken.html"):
        document = small_law(tmp_path, name)
        assert document.meta["format"] == "egov-statute-xml"
        assert [s.number for s in document.sections][:3] == ["1", "2", "3"]


def test_other_xml_is_read_as_before(tmp_path: Path) -> None:
    other = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<note>\n<to>会員各位</to>\n'
        "<body>会議は十時から始まります。</body>\n</note>\n"
    )
    assert not is_law_xml(other)
    assert not is_law_xml("<Lawyer>名簿</Lawyer>")
    # an e-Gov API response that holds no law (a law list, an error) is other XML too
    assert not is_law_xml("<DataRoot><Result><Code>1</Code></Result></DataRoot>")
    file = tmp_path / "note.xml"
    file.write_text(other, encoding="utf-8")
    [document] = load_file(file, root=tmp_path)
    assert document.meta["format"] == "page-html"
    assert [s.text for s in document.sections] == ["会議は十時から始まります。"]


def test_the_law_api_response_wrapper(tmp_path: Path) -> None:
    law = SMALL_LAW.split("?>", 1)[1]
    wrapped = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<DataRoot>'
        "<Result><Code>0</Code><Message/></Result>"
        "<ApplData><LawId>502AC0000000010</LawId><LawNum>令和二年法律第十号</LawNum>"
        f"<LawFullText>{law}</LawFullText><ImageData/></ApplData></DataRoot>"
    )
    assert is_law_xml(wrapped)
    document = small_law(tmp_path, "response.xml", wrapped)
    assert document.meta["law_id"] == "502AC0000000010"
    assert [(s.number, s.heading, s.path, s.text) for s in document.sections] == SMALL_LAW_SECTIONS


def test_the_law_id_of_a_file_named_by_its_e_gov_revision(tmp_path: Path) -> None:
    document = small_law(tmp_path, "502AC0000000010_20230401_505AC0000000003.xml")
    assert document.meta["law_id"] == "502AC0000000010"


def test_a_preamble_and_enacting_formula_are_one_section() -> None:
    text = (
        "<Law><LawNum>昭和二十一年憲法</LawNum><LawBody><LawTitle>試験憲法</LawTitle>"
        "<EnactStatement>朕は、これを公布せしめる。</EnactStatement>"
        '<Preamble><Paragraph Num="1"><ParagraphNum/><ParagraphSentence>'
        "<Sentence>国民は、この憲法を確定する。</Sentence></ParagraphSentence></Paragraph></Preamble>"
        '<MainProvision><Paragraph Num="1"><ParagraphNum/><ParagraphSentence>'
        "<Sentence>本文のみの法令。</Sentence></ParagraphSentence></Paragraph></MainProvision>"
        "</LawBody></Law>"
    )
    document = parse_law_xml(text, doc_id="kenpo.xml")
    assert document.date is None
    got = [(s.number, s.path, s.text) for s in document.sections]
    assert got == [
        ("前文", (), "朕は、これを公布せしめる。\n国民は、この憲法を確定する。"),
        ("本則", (), "本文のみの法令。"),
    ]


def write(folder: Path, name: str, text: str) -> Path:
    file = folder / name
    file.write_text(text, encoding="utf-8")
    return file


BAD_FILES = {
    "truncated.xml": (SMALL_LAW[: len(SMALL_LAW) // 2], "not well-formed XML"),
    "bomb.xml": (
        '<?xml version="1.0"?>\n<!DOCTYPE Law [<!ENTITY a "aaaaaaaaaa">'
        + "".join(
            f'<!ENTITY a{i} "{("&a" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
            for i in range(1, 10)
        )
        + "]>\n<Law><LawBody>&a9;</LawBody></Law>",
        "document type declaration",
    ),
    "undeclared.xml": ("<Law><LawBody>&secret;</LawBody></Law>", "undefined entity"),
    "bodiless.xml": ("<Law><LawNum>令和二年法律第十号</LawNum></Law>", "without <LawBody>"),
    "empty.xml": ("<Law><LawBody><LawTitle>空の法</LawTitle></LawBody></Law>", "no text found"),
    "deep.xml": (
        "<Law><LawBody><MainProvision><Article><ArticleTitle>第一条</ArticleTitle>"
        "<Paragraph><ParagraphSentence><Sentence>"
        + "<QuoteStruct>" * 100_000
        + "x"
        + "</QuoteStruct>" * 100_000
        + "</Sentence></ParagraphSentence></Paragraph></Article></MainProvision></LawBody></Law>",
        "nested too deeply",
    ),
    "answerless.xml": (
        "<DataRoot><Result><Code>1</Code><Message>法令が存在しません</Message></Result>"
        "<ApplData><LawFullText/></ApplData></DataRoot>",
        "法令が存在しません",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_a_bad_file_is_an_error_naming_it(tmp_path: Path, name: str) -> None:
    text, reason = BAD_FILES[name]
    file = write(tmp_path, name, text)
    with pytest.raises(DocumentParseError) as raised:
        load_file(file, root=tmp_path)
    assert raised.value.path == str(file)
    assert str(file) in str(raised.value)
    assert reason in str(raised.value)


def test_expat_itself_stops_an_entity_expansion_bomb() -> None:
    """What the module docstring says of the parser under the refusal of DTDs."""
    bomb = BAD_FILES["bomb.xml"][0]
    with pytest.raises(ET.ParseError, match="amplification"):
        ET.fromstring(bomb)


def test_load_goes_on_after_a_bad_file(tmp_path: Path) -> None:
    for name, (text, _) in BAD_FILES.items():
        write(tmp_path, name, text)
    write(tmp_path, "shiken.xml", SMALL_LAW)
    rejected: list[str] = []
    documents = list(load(tmp_path, on_error=lambda path, error: rejected.append(path.name)))
    assert [d.id for d in documents] == ["shiken.xml"]
    assert sorted(rejected) == sorted(BAD_FILES)


# --- the two real samples --------------------------------------------------------------------


def sample(data: Path, name: str) -> Document:
    root = data / SAMPLES
    [document] = load_file(root / name, root=root)
    return document


def html_statute(data: Path, name: str) -> Document:
    root = data / "egov_law_html_2013"
    [document] = load_file(root / "html" / name, root=root)
    return document


def body_elements(file: Path, tag: str) -> list[ET.Element]:
    """The elements ``tag`` of the file outside its table of contents."""
    root = ET.parse(file).getroot()
    in_toc = {id(e) for toc in root.iter("TOC") for e in toc.iter()}
    return [e for e in root.iter(tag) if id(e) not in in_toc]


def sentence_text(element: ET.Element) -> str:
    pieces = [element.text or ""]
    for child in element:
        if child.tag != "Rt":
            pieces.append(sentence_text(child))
        pieces.append(child.tail or "")
    return "".join(pieces)


@pytest.mark.parametrize("name", [GYOSEI_XML, MINPO_XML])
def test_every_sentence_of_the_samples_is_indexed(data: Path, name: str) -> None:
    document = sample(data, name)
    text = "\n".join(s.text for s in document.sections)
    sentences = body_elements(data / SAMPLES / name, "Sentence")
    assert len(sentences) > 250
    lost = [s for s in map(sentence_text, sentences) if s.strip() and s.strip() not in text]
    assert lost == []


@pytest.mark.parametrize("name", [GYOSEI_XML, MINPO_XML])
def test_one_section_per_article_and_per_supplement_without_articles(data: Path, name: str) -> None:
    """Articles of the main provision and of every 附則; a 附則 of paragraphs only is one
    section, as the HTML parser makes it; the enacting formula (民法) is the 前文."""
    file = data / SAMPLES / name
    document = sample(data, name)
    articles = body_elements(file, "Article")
    supplements = body_elements(file, "SupplProvision")
    without_articles = [s for s in supplements if s.find("Article") is None]
    preamble = 1 if body_elements(file, "EnactStatement") else 0
    assert len(document.sections) == len(articles) + len(without_articles) + preamble
    numbers = [s.number for s in document.sections]
    assert numbers.count("前文") == preamble
    assert len({s.id for s in document.sections}) == len(document.sections)
    assert all(s.text and s.number for s in document.sections)


def test_gyosei_tetsuzuki_ho_facts(data: Path) -> None:
    document = sample(data, GYOSEI_XML)
    assert document.id == GYOSEI_XML
    assert document.title == "行政手続法"
    assert document.date == datetime.date(1993, 11, 12)
    assert dict(document.meta) == {
        "format": "egov-statute-xml",
        "law_number": "平成五年法律第八十八号",
        "law_type": "Act",
        "kana": "ぎょうせいてつづきほう",
        "abbrev": "行手法",
        "law_id": "405AC0000000088",
    }
    sections = {s.number: s for s in document.sections}
    assert sections["5"].path == ("第二章 申請に対する処分", "審査基準")
    assert sections["5"].text.startswith(
        "第五条\u3000行政庁は、審査基準を定めるものとする。\n２\u3000"
    )
    assert sections["附則"].text.startswith("（施行期日）\n１\u3000この法律は、")
    assert sections["附則(平成18年法律第66号)"].path == (
        "附則（平成一八年六月一四日法律第六六号）抄",
    )


def test_minpo_facts(data: Path) -> None:
    document = sample(data, MINPO_XML)
    assert (document.title, document.date) == ("民法", datetime.date(1896, 4, 27))
    sections = {s.number: s for s in document.sections}
    assert sections["前文"].text.startswith("民法第一編第二編第三編別冊ノ通定ム\n")
    # ruby readings are not text: 失踪 stays one word
    assert sections["30"].heading == "失踪の宣告"
    assert "失踪の宣告をすることができる" in sections["30"].text
    # a 目 (Division) is the deepest level of the path
    deep = next(s for s in document.sections if any(p.startswith("第一目") for p in s.path))
    assert [p.split(" ")[0][-1] for p in deep.path[:-1]] == ["編", "章", "節", "款", "目"]
    assert sections["38から84まで"].text == "第三十八条から第八十四条まで\u3000削除"


def article_key(section_path: tuple[str, ...], number: str, text: str) -> tuple[str, str]:
    """An article as the law cites it: its 附則 (if any) and its label (第三条)."""
    supplement = section_path[0] if number.startswith("附則") and section_path else ""
    return supplement, text.split("\u3000", 1)[0]


def chapters(path: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(p for p in path if re.match(r"第\S+[編章]( |$)", p))


@pytest.mark.parametrize(
    ("xml_name", "html_name"), [(GYOSEI_XML, GYOSEI_HTML), (MINPO_XML, MINPO_HTML)]
)
def test_the_same_structure_as_the_2013_html(data: Path, xml_name: str, html_name: str) -> None:
    """Articles in both forms under the same caption: same number, heading and 編/章. The texts
    differ by a decade of amendments, and so may 節 numbers (民法's 第二節 行為能力 became 第三節)."""
    xml = sample(data, xml_name)
    html = html_statute(data, html_name)
    assert xml.title == html.title and xml.date == html.date
    assert xml.meta["law_number"] == html.meta["law_number"]
    html_articles = {
        article_key(s.path, s.number, s.text): s for s in html.sections if s.text.startswith("第")
    }
    compared = 0
    for section in xml.sections:
        if not section.heading:
            continue
        other = html_articles.get(article_key(section.path, section.number, section.text))
        if other is None or other.heading != section.heading:
            continue
        compared += 1
        assert (section.number, section.heading) == (other.number, other.heading)
        assert chapters(section.path) == chapters(other.path)
        assert section.path[-1] == other.path[-1] == section.heading
    assert compared >= (40 if xml_name == GYOSEI_XML else 850)


def test_found_in_an_index_on_disk(data: Path, tmp_path: Path) -> None:
    document = sample(data, GYOSEI_XML)
    with disk_index(tmp_path, [document]) as index:
        by_number = list(index.search("section:5", group_by_document=False))
        assert [hit.section for hit in by_number] == ["5"]
        assert by_number[0].section_path == ("第二章 申請に対する処分", "審査基準")
        hits = list(index.search("審査基準", group_by_document=False, limit=3))
        assert hits[0].section == "5"
        assert hits[0].doc_id == GYOSEI_XML
        assert index.get(GYOSEI_XML) == document
