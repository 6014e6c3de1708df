"""EUC-JP as Japanese pages really are: with the NEC special characters (①, Ⅰ, ㈱, №) and the
NEC-selected IBM kanji (髙, 﨑) that browsers decode and Python's ``euc_jp`` codec refuses."""

from __future__ import annotations

import pytest

from mofasearch.documents import parse_mofa_page, textio

# The bytes of these characters in EUC-JP as browsers (WHATWG) and Windows (eucJP-ms) write it:
# row 13 (NEC special characters) and rows 89-92 (NEC-selected IBM extensions).
EXTENSIONS = {
    "①": b"\xad\xa1",
    "②": b"\xad\xa2",
    "⑳": b"\xad\xb4",
    "Ⅰ": b"\xad\xb5",
    "№": b"\xad\xe2",
    "㈱": b"\xad\xea",
    "﨑": b"\xf9\xf5",
    "髙": b"\xfc\xe2",
}


def euc_jp(text: str) -> bytes:
    """``text`` in EUC-JP, its NEC and IBM characters written as browsers write them."""
    out = bytearray()
    for char in text:
        out += EXTENSIONS.get(char) or char.encode("euc_jp")
    return bytes(out)


PAGE = (
    '<html><head><meta http-equiv="Content-Type" content="text/html; charset=EUC-JP">'
    "<title>日露首脳会談</title></head><body>"
    "<h1>日露首脳会談（概要）</h1><p>平成16年6月10日</p>"
    "<p>小泉総理は、プーチン大統領と会談した。</p>"
    "<p>１．個別案件</p><p>①京都議定書の早期批准を要望した。</p><p>②北朝鮮について協議した。</p>"
    "</body></html>"
)


@pytest.mark.parametrize("declared", [True, False], ids=["declared", "undeclared"])
def test_euc_jp_page_with_circled_numbers_is_read(declared: bool) -> None:
    page = PAGE if declared else PAGE.replace("; charset=EUC-JP", "")
    document = parse_mofa_page(euc_jp(page))
    assert document.title == "日露首脳会談（概要）"
    assert [s.text for s in document.sections][-1] == (
        "①京都議定書の早期批准を要望した。\n②北朝鮮について協議した。"
    )


def test_every_nec_and_ibm_character_decodes_as_browsers_do() -> None:
    text = "".join(EXTENSIONS) + "株式会社髙島屋と﨑山氏、第Ⅰ部、№1"
    assert textio.decode(euc_jp(text)) == text
