"""A page handed over as text reads the same whatever its line endings: pages fetched from
older Windows servers come with CRLF (``requests``' ``response.text`` keeps them), and some
with a lone CR."""

from __future__ import annotations

from pathlib import Path

import pytest

from mofasearch.documents import parse_mofa_page

SEA_ISLAND = "2004-06-10_sea-island-summit_japan-russia-summit.txt"


@pytest.mark.parametrize("newline", ["\r\n", "\r"], ids=["crlf", "cr"])
def test_a_page_text_with_other_line_endings_parses_the_same(corpus: Path, newline: str) -> None:
    text = (corpus / SEA_ISLAND).read_text(encoding="utf-8")
    expected = parse_mofa_page(text, url="https://www.mofa.go.jp/mofaj/kaidan/s_koi/g8_04.html")
    document = parse_mofa_page(
        text.replace("\n", newline), url="https://www.mofa.go.jp/mofaj/kaidan/s_koi/g8_04.html"
    )
    assert document == expected
    assert document.title == "シーアイランド・サミットの際の日露首脳会談 結果概要"
    assert document.sections[2].heading == "日露修好150周年"


def test_an_html_page_text_with_crlf_parses_the_same() -> None:
    page = (
        "<html><head><title>日露首脳会談</title></head><body>\n"
        "<h1>日露首脳会談</h1>\n<p>平成16年6月10日</p>\n"
        "<pre>\n１．発表事項\n（１）日露修好150周年\n記念行事を開催する。\n</pre>\n</body></html>\n"
    )
    assert parse_mofa_page(page.replace("\n", "\r\n")) == parse_mofa_page(page)


def test_the_id_of_a_page_text_does_not_depend_on_its_line_endings(corpus: Path) -> None:
    text = (corpus / SEA_ISLAND).read_text(encoding="utf-8")
    assert parse_mofa_page(text.replace("\n", "\r\n")).id == parse_mofa_page(text).id
