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
