"""What ``load`` hands over is indexable: a file that yields no section is an error naming it,
whatever its format, and the other files of the folder are still loaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from mofasearch.documents import load, load_file
from mofasearch.errors import DocumentParseError

# e-Gov's markup (its long numeric anchors) around a title and law number, and nothing else:
# a statute page cut off after its header, as an interrupted download leaves it.
HEADER_ONLY_STATUTE = (
    '<html><body><a name="1000000000000000000000000000000000000000000000000000000000000000">'
    "</a><b>外国為替令</b><br>（昭和五十五年十月十一日政令第二百六十号）<br>"
    '<div class="item"><a href="#1000000000000000000000000000000000000000000000001">'
    "第一章　総則（第一条）</a></div></body></html>"
)


def test_a_statute_page_without_text_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "statute.html"
    path.write_bytes(HEADER_ONLY_STATUTE.encode("cp932"))
    with pytest.raises(DocumentParseError) as caught:
        load_file(path)
    assert caught.value.path == str(path)


def test_the_other_files_load_when_a_statute_page_has_no_text(tmp_path: Path) -> None:
    (tmp_path / "a_statute.html").write_bytes(HEADER_ONLY_STATUTE.encode("cp932"))
    (tmp_path / "b_page.txt").write_text("日露首脳会談\n\n1. 北方領土\n協議した。\n", "utf-8")
    rejected: list[Path] = []
    documents = list(load(tmp_path, on_error=lambda path, error: rejected.append(path)))
    assert [d.id for d in documents] == ["b_page.txt"]
    assert rejected == [tmp_path / "a_statute.html"]


# --- .json files --------------------------------------------------------------------------------

RECORD = {"id": "faq-1", "title": "旅券", "text": "旅券の申請は窓口で受け付けます。"}


def _json(value: object) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, indent=2)  # pretty-printed, over many lines


def test_a_json_file_of_one_record_or_an_array_of_them_is_documents(tmp_path: Path) -> None:
    one = tmp_path / "one.json"
    one.write_text(_json(RECORD), encoding="utf-8")
    many = tmp_path / "many.json"
    many.write_text(_json([RECORD, {**RECORD, "id": "faq-2"}]), encoding="utf-8")
    (document,) = load_file(one)
    assert (document.id, document.title, document.sections[0].text) == (
        "faq-1",
        "旅券",
        RECORD["text"],
    )
    assert [d.id for d in load_file(many)] == ["faq-1", "faq-2"]


def test_a_json_file_of_json_lines_is_read_as_such(tmp_path: Path) -> None:
    import json

    path = tmp_path / "lines.json"
    lines = [json.dumps({**RECORD, "id": f"faq-{n}"}, ensure_ascii=False) for n in range(3)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert [d.id for d in load_file(path)] == ["faq-0", "faq-1", "faq-2"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (_json({"name": "site", "version": "1.0.0"}), "not a document file"),
        (_json([RECORD, "旅券"]), "record 2: not a JSON object"),
        ('{"id": "a", "text": ', "invalid JSON"),
        ("[]", "holds no records"),
    ],
)
def test_other_json_is_an_error_naming_the_file_not_a_page(
    tmp_path: Path, content: str, message: str
) -> None:
    # before, a package.json was indexed as the text of a page, braces and all
    path = tmp_path / "package.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DocumentParseError, match=message) as caught:
        load_file(path)
    assert caught.value.path == str(path)
    (tmp_path / "page.txt").write_text("旅券の話。", encoding="utf-8")
    rejected: list[object] = []
    assert [d.id for d in load(tmp_path, on_error=lambda p, e: rejected.append(p))] == ["page.txt"]
    assert rejected == [path]
