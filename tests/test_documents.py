"""Loading: directory walks, format detection, encodings, JSONL, Markdown, errors and limits."""

from __future__ import annotations

import datetime
import gzip
import json
import os
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mofasearch import Document, Section, load
from mofasearch.documents import iter_source_files, load_file, parse_mofa_page, textio
from mofasearch.errors import DocumentParseError

APEC = "2002-10-27_apec_koizumi-kasyanov-meeting.txt"


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


# --- the directory walk and ids ----------------------------------------------------------------


def test_load_corpus_ids_are_relative_paths(corpus: Path) -> None:
    documents = list(load(corpus))
    assert [d.id for d in documents] == sorted(p.name for p in corpus.glob("*.txt"))
    assert documents[0].sections[1].id == f"{APEC}#1"


def test_walk_skips_readme_license_hidden_and_is_sorted(tmp_path: Path) -> None:
    for name in ["b.txt", "a.md", "README.md", "LICENSE", ".hidden.txt", "sub/c.txt", ".git/d.txt"]:
        write(tmp_path / name, "本文です。")
    files = [p.relative_to(tmp_path).as_posix() for p in iter_source_files(tmp_path)]
    assert files == ["a.md", "b.txt", "sub/c.txt"]
    assert [d.id for d in load(tmp_path)] == ["a.md", "b.txt", "sub/c.txt"]


def test_a_link_to_a_file_the_walk_reads_is_not_read_again(tmp_path: Path) -> None:
    """A file reached twice (itself and a link in the same walk, or two links) would be two
    documents with every hit twice; a link to a file outside the walk is read."""
    write(tmp_path / "src" / "b.txt", "本文です。")
    write(tmp_path / "outside.txt", "外の文書。")
    (tmp_path / "src" / "a_link.txt").symlink_to("b.txt")  # sorted before its target
    (tmp_path / "src" / "sub").mkdir()
    (tmp_path / "src" / "sub" / "c.txt").symlink_to(tmp_path / "src" / "b.txt")
    (tmp_path / "src" / "x.txt").symlink_to(tmp_path / "outside.txt")
    (tmp_path / "src" / "y.txt").symlink_to(tmp_path / "outside.txt")
    files = [
        p.relative_to(tmp_path / "src").as_posix() for p in iter_source_files(tmp_path / "src")
    ]
    assert files == ["b.txt", "x.txt"]


def test_single_file_id_is_relative_to_its_folder(corpus: Path) -> None:
    [document] = list(load(corpus / APEC))
    assert document.id == APEC
    assert load_file(corpus / APEC)[0].id == APEC


def test_on_error_collects_the_bad_file_and_continues(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", "最初の文書。")
    write(tmp_path / "b.txt", b"\x00\x01binary")
    write(tmp_path / "c.jsonl", '{"qid": "q1", "query": "質問"}\n')
    write(tmp_path / "d.txt", "最後の文書。")
    errors: list[tuple[Path, DocumentParseError]] = []
    documents = list(load(tmp_path, on_error=lambda path, error: errors.append((path, error))))
    assert [d.id for d in documents] == ["a.txt", "d.txt"]
    assert [p.name for p, _ in errors] == ["b.txt", "c.jsonl"]
    assert all(isinstance(e, DocumentParseError) and e.path == str(p) for p, e in errors)
    with pytest.raises(DocumentParseError, match="b.txt"):
        list(load(tmp_path))


def test_missing_path_is_a_parse_error(tmp_path: Path) -> None:
    with pytest.raises(DocumentParseError, match="no such file"):
        list(load(tmp_path / "missing"))
    errors: list[Path] = []
    assert list(load(tmp_path / "missing", on_error=lambda p, e: errors.append(p))) == []
    assert errors == [tmp_path / "missing"]


def test_empty_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DocumentParseError, match="no text"):
        load_file(write(tmp_path / "empty.txt", "  \n\n"))


def test_plain_text_fallback_uses_the_file_name_as_title(tmp_path: Path) -> None:
    [document] = load_file(write(tmp_path / "memo.txt", "これはメモです。二行目です。\n続き。"))
    assert document.title == "memo"
    assert [s.text for s in document.sections] == ["これはメモです。二行目です。\n続き。"]


def test_file_size_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(textio, "MAX_FILE_BYTES", 1000)
    with pytest.raises(DocumentParseError, match="MB limit"):
        load_file(write(tmp_path / "big.txt", "あ" * 1000))
    with pytest.raises(DocumentParseError, match="MB limit"):
        load_file(write(tmp_path / "big.jsonl.gz", gzip.compress(b" " * 5000)))


def test_a_ten_megabyte_section_parses_in_bounded_time(tmp_path: Path) -> None:
    sentence = "今次会談では二国間関係が主に話し合われた、" * 20 + "。\n"
    text = "長い文書\n\n平成16年6月10日\n\n1.(1)(\n" + sentence * (
        10_000_000 // len(sentence.encode())
    )
    path = write(tmp_path / "long.txt", text)
    started = time.perf_counter()
    [document] = load_file(path)
    assert time.perf_counter() - started < 20
    assert len(document.sections) == 1 and len(document.sections[0].text) > 3_000_000
    started = time.perf_counter()
    parse_mofa_page("<html><body><p>" + "(1)" * 1_000_000 + "<a " * 100_000 + "<!--")
    assert time.perf_counter() - started < 20


# --- encodings ---------------------------------------------------------------------------------

PAGE = "日露首脳会談\n\n平成16年6月10日\n\n 京都議定書の早期批准を要望した。\n"


@pytest.mark.parametrize(
    "data",
    [
        PAGE.encode("utf-8"),
        b"\xef\xbb\xbf" + PAGE.encode("utf-8"),
        PAGE.encode("utf-16"),
        PAGE.encode("cp932"),
        PAGE.encode("euc_jp"),
        PAGE.replace("\n", "\r\n").encode("cp932"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-bom", "cp932", "euc-jp", "cp932-crlf"],
)
def test_encodings_are_detected(data: bytes) -> None:
    document = parse_mofa_page(data)
    assert document.title == "日露首脳会談"
    assert document.date == datetime.date(2004, 6, 10)
    assert document.sections[0].text == "京都議定書の早期批准を要望した。"


@pytest.mark.parametrize(
    "text", ["外務省", "ロシア", "日露首脳会談 結果概要", "京都議定書の早期批准"]
)
@pytest.mark.parametrize("codec", ["euc_jp", "cp932"])
def test_short_legacy_texts_valid_in_both_encodings_are_read_right(text: str, codec: str) -> None:
    """EUC-JP bytes of 外務省 are also valid CP932 (ｳｰﾌｳｾﾊ): undeclared, the decoding with
    fewer half-width katakana wins, and real CP932 text is not taken for EUC-JP."""
    assert textio.decode(text.encode(codec)) == text


def test_meta_charset_wins_over_guessing() -> None:
    # These EUC-JP bytes also decode as CP932 (to different characters); the declaration decides.
    body = "<html><head><meta charset=euc-jp></head><body><p>日露</p><p>会談を行った。</p></body></html>"
    assert parse_mofa_page(body.encode("euc_jp")).title == "日露"


def test_undecodable_input_names_the_file_and_the_offset(tmp_path: Path) -> None:
    data = "京都議定書".encode() + b"\x81\x20\xff\xfe" * 4
    path = write(tmp_path / "bad.txt", data)
    with pytest.raises(DocumentParseError) as caught:
        load_file(path)
    assert caught.value.path == str(path)
    assert caught.value.offset == len("京都議定書".encode())
    assert f"at byte {caught.value.offset}" in str(caught.value)


# --- JSONL -------------------------------------------------------------------------------------


def test_passages_and_documents_jsonl(tmp_path: Path) -> None:
    passages = write(
        tmp_path / "p.jsonl",
        '{"id": "梅雨#0", "title": "梅雨", "text": "梅雨は気象現象。", "doc_id": "梅雨", "section": 0}\n\n'
        '{"id": "梅雨#1", "title": "梅雨", "text": "続き。", "date": "2004-06-10"}\n',
    )
    first, second = load_file(passages)
    assert (first.id, first.title, [s.text for s in first.sections]) == (
        "梅雨#0",
        "梅雨",
        ["梅雨は気象現象。"],
    )
    assert first.sections[0].id == "梅雨#0#0"
    assert dict(first.meta) == {"doc_id": "梅雨", "section": "0"}
    assert second.date == datetime.date(2004, 6, 10)
    documents = write(
        tmp_path / "d.jsonl.gz",
        gzip.compress(
            json.dumps(
                {
                    "id": "梅雨",
                    "title": "梅雨",
                    "sections": [
                        {"id": "梅雨#0", "text": "一。", "heading": "概要"},
                        {"id": "梅雨#1", "text": "二。", "number": "2", "path": ["歴史"]},
                    ],
                },
                ensure_ascii=False,
            ).encode()
        ),
    )
    [document] = load_file(documents)
    assert [(s.id, s.heading, s.number, s.path) for s in document.sections] == [
        ("梅雨#0", "概要", "", ()),
        ("梅雨#1", "", "2", ("歴史",)),
    ]


def test_jsonl_without_text_or_sections_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "queries.jsonl", '{"qid": "q1", "query": "質問", "relevant": ["a"]}\n')
    with pytest.raises(DocumentParseError, match=r"queries\.jsonl: line 1: .*not a document file"):
        load_file(path)


@pytest.mark.parametrize(
    "content, message, offset",
    [
        ('{"id": "a", "text": "x"}\n{"id": "b", "text": \n', "line 2: invalid JSON", 45),
        ('{"id": "a", "text": "x"}\n[1, 2]\n', "line 2: not a JSON object", 25),
        ('{"title": "no id", "text": "x"}\n', 'needs an "id"', 0),
        ('{"id": "a", "sections": [{"heading": "h"}]}\n', 'needs a "text"', 0),
        (
            '{"id": "a", "text": "x"}\n{"id": "b", "sections": []}\n',
            'line 2: "sections" is empty',
            25,
        ),
        ("\n\n", "no records", None),
    ],
)
def test_bad_jsonl(tmp_path: Path, content: str, message: str, offset: int | None) -> None:
    with pytest.raises(DocumentParseError, match=message) as caught:
        load_file(write(tmp_path / "x.jsonl", content))
    assert caught.value.offset == offset


def test_jsonl_is_detected_by_content(tmp_path: Path) -> None:
    [document] = load_file(
        write(tmp_path / "export.txt", '{"id": "x1", "title": "t", "text": "本文。"}\n')
    )
    assert document.id == "x1"


def test_real_retrieval_sets_load(data: Path) -> None:
    passages = load_file(data / "jsquad_retrieval" / "passages.jsonl")
    assert len(passages) == 2304 and all(len(d.sections) == 1 for d in passages)
    documents = load_file(data / "jaquad_retrieval" / "documents.jsonl.gz")
    assert len(documents) == 792
    assert sum(len(d.sections) for d in documents) == 11144
    assert documents[0].sections[0].id == documents[0].id + "#0"


# --- Markdown ----------------------------------------------------------------------------------

MARKDOWN = """---
date: 2004-06-10
category: 会談
---
# 日露首脳会談

前文の段落。

## 個別案件

### 京都議定書 ###
批准を要望した。

```
# コードの中は見出しではない
```

#### 詳細
細目。

## 北朝鮮
協力する。
###### 六段目
深い。
"""


def test_markdown_headings_build_paths(tmp_path: Path) -> None:
    [document] = load_file(write(tmp_path / "notes.md", MARKDOWN))
    assert document.title == "日露首脳会談"
    assert document.date == datetime.date(2004, 6, 10)
    assert document.category == "会談"
    assert [(s.heading, s.path) for s in document.sections] == [
        ("", ()),
        ("個別案件", ("個別案件",)),
        ("京都議定書", ("個別案件", "京都議定書")),
        ("詳細", ("個別案件", "京都議定書", "詳細")),
        ("北朝鮮", ("北朝鮮",)),
        ("六段目", ("北朝鮮", "六段目")),
    ]
    assert document.sections[0].text == "前文の段落。"
    assert "# コードの中は見出しではない" in document.sections[2].text


def test_markdown_without_title_heading_uses_the_file_name(tmp_path: Path) -> None:
    [document] = load_file(write(tmp_path / "memo.md", "本文。\n## 節\n内容。\n"))
    assert document.title == "memo"
    assert [(s.heading, s.text) for s in document.sections] == [("", "本文。"), ("節", "内容。")]


# --- the model and arbitrary input -------------------------------------------------------------


def test_document_derives_unique_section_ids() -> None:
    document = Document(
        id="d",
        title="t",
        sections=[Section("a", number="1"), Section("b", number="1"), Section("c")],
    )
    assert [s.id for s in document.sections] == ["d#1", "d#1~1", "d#2"]


_SUFFIXES = [".txt", ".html", ".md", ".jsonl", ".jsonl.gz", ""]


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=3000), suffix=st.sampled_from(_SUFFIXES))
def test_arbitrary_files_give_documents_or_a_parse_error(
    tmp_path: Path, data: bytes, suffix: str
) -> None:
    path = write(tmp_path / f"f{suffix}", data)
    try:
        documents = load_file(path)
    except DocumentParseError as error:
        assert error.path == str(path)
        return
    assert documents and all(isinstance(d, Document) and d.sections for d in documents)


def test_lone_surrogates_become_replacement_characters(tmp_path: Path) -> None:
    line = '{"id": "lone", "title": "北方\\ud800", "text": "北方領土\\udc00問題\\ud83d\\ude00"}\n'
    [document] = load_file(write(tmp_path / "s.jsonl", line))
    assert (document.id, document.title) == ("lone", "北方\ufffd")
    assert document.sections[0].text == "北方領土\ufffd問題\U0001f600"
    assert parse_mofa_page("日露\n\n北方\ud800領土。").sections[0].text == "北方\ufffd領土。"


def test_jsonl_id_with_a_lone_surrogate_is_refused_naming_the_line(tmp_path: Path) -> None:
    # Replaced by U+FFFD, both ids would be "\ufffda": the second record would replace the first.
    path = write(
        tmp_path / "s.jsonl",
        '{"id": "ok", "title": "t", "text": "x"}\n'
        '{"id": "\\ud800a", "title": "t", "text": "y"}\n'
        '{"id": "\\ud801a", "title": "t", "text": "z"}\n',
    )
    with pytest.raises(DocumentParseError, match=r"s\.jsonl: line 2: .*lone surrogate") as caught:
        load_file(path)
    assert caught.value.path == str(path)
    assert caught.value.offset == len('{"id": "ok", "title": "t", "text": "x"}\n')
    errors: list[Path] = []
    assert list(load(tmp_path, on_error=lambda p, e: errors.append(p))) == []
    assert errors == [path]


@pytest.mark.parametrize(
    "name, content",
    [
        ("notes.md", ""),
        ("notes.md", "  \n\n\t\n"),
        ("notes.md", "\ufeff\n"),
        ("notes.md", "---\ndate: 2004-06-10\n---\n\n"),  # front matter, no title, no text
        ("notes.md.gz", gzip.compress(b"")),
        ("notes.txt", ""),
    ],
)
def test_empty_markdown_file_is_an_error_like_empty_text(
    tmp_path: Path, name: str, content: str | bytes
) -> None:
    """The file name is only a stand-in title: it must not become the text of an empty file."""
    path = write(tmp_path / name, content)
    with pytest.raises(DocumentParseError, match="no text") as caught:
        load_file(path)
    assert caught.value.path == str(path)
    errors: list[Path] = []
    assert list(load(tmp_path, on_error=lambda p, e: errors.append(p))) == []
    assert errors == [path]


def test_markdown_of_only_a_title_still_loads(tmp_path: Path) -> None:
    [document] = load_file(write(tmp_path / "memo.md", "# 日露首脳会談\n"))
    assert document.title == "日露首脳会談"
    assert [s.text for s in document.sections] == ["日露首脳会談"]


def test_a_jsonl_date_that_is_no_date_is_kept_in_meta(tmp_path: Path) -> None:
    path = write(
        tmp_path / "p.jsonl",
        '{"id": "a", "title": "題", "text": "本文。", "date": "2004年頃"}\n'
        '{"id": "b", "title": "題", "text": "本文。", "date": "平成16年6月10日"}\n',
    )
    vague, exact = load_file(path)
    assert (vague.date, dict(vague.meta)) == (None, {"date": "2004年頃"})  # a fact, not lost
    assert (exact.date, dict(exact.meta)) == (datetime.date(2004, 6, 10), {})


def test_jsonl_fields_of_any_json_type_are_kept_in_meta(tmp_path: Path) -> None:
    """Lists and objects as compact JSON (not Python's repr), numbers as written, null as no
    value; a title or url that is a list or an object is kept under its own name."""
    path = write(
        tmp_path / "p.jsonl",
        '{"id": "a", "title": ["日露", "会談"], "text": "本文。", "date": 2004, "url": {"ja": "x"},'
        ' "tags": ["首脳", "経済"], "score": 1.5, "ok": true, "none": null,'
        ' "meta": {"source": {"name": "外務省"}, "pages": [1, 2], "empty": null}}\n'
        '{"id": "b", "title": "題", "text": "本文。", "meta": "外務省"}\n',
    )
    first, second = load_file(path)
    assert (first.title, first.url, first.date) == ("", None, None)
    assert dict(first.meta) == {
        "title": '["日露","会談"]',
        "date": "2004",
        "url": '{"ja":"x"}',
        "tags": '["首脳","経済"]',
        "score": "1.5",
        "ok": "true",
        "source": '{"name":"外務省"}',
        "pages": "[1,2]",
    }
    assert dict(second.meta) == {"meta": "外務省"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("平成0年1月1日", None),  # an era starts at 元年: there is no year 0
        ("令和0年5月1日", None),
        ("平成元年1月8日", datetime.date(1989, 1, 8)),
        ("平成1年1月8日", datetime.date(1989, 1, 8)),
        ("昭和64年1月7日", datetime.date(1989, 1, 7)),
    ],
)
def test_era_dates(text: str, expected: datetime.date | None) -> None:
    from mofasearch.documents.dates import parse_date

    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("二〇〇四年六月十日", datetime.date(2004, 6, 10)),  # digit by digit, as printed
        ("二〇二六年一二月六日", datetime.date(2026, 12, 6)),
        ("二千四年六月十日", datetime.date(2004, 6, 10)),
        ("二千二十四年十二月三十一日", datetime.date(2024, 12, 31)),
        ("２００４年６月１０日", datetime.date(2004, 6, 10)),
        ("一二三年六月十日", None),  # three digits are no Western year
    ],
)
def test_western_dates_in_kanji(text: str, expected: datetime.date | None) -> None:
    from mofasearch.documents.dates import parse_date

    assert parse_date(text) == expected


def _byte_named(folder: Path, name: bytes, text: str) -> None:
    try:
        with open(os.fsencode(folder) + b"/" + name, "w", encoding="utf-8") as f:
            f.write(text)
    except (OSError, UnicodeError):
        pytest.skip("this file system takes only UTF-8 file names")


def test_file_names_that_are_not_utf8_give_readable_ids(tmp_path: Path) -> None:
    """Shift_JIS names (a Windows archive unpacked here) are read as such; other bytes are
    escaped; never lone surrogates, which no index can store."""
    _byte_named(tmp_path, "議事録.txt".encode("cp932"), "日露首脳会談\n平成16年6月10日\n本文。\n")
    _byte_named(tmp_path, b"caf\xe9.md", "# \xe9\n本文。\n")
    by_id = {doc.id: doc for doc in load(tmp_path)}
    assert sorted(by_id) == ["caf\\xe9.md", "議事録.txt"]
    assert by_id["議事録.txt"].title == "日露首脳会談"
