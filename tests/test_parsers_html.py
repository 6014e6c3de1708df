"""The HTML scanner under the parsers: what markup leaves in the text, and what it must not."""

from __future__ import annotations

import pytest

from mofasearch.documents.htmltext import html_blocks


@pytest.mark.parametrize(
    "markup",
    [
        '<p><a href="#" onclick="if (a>b) { go(); }">リンク</a>本文</p>',
        '<p><img alt="次へ >" src="next.gif">リンク本文</p>',
        "<p><img alt='次へ >' src=next.gif>リンク本文</p>",
        '<p><a title="x>y" href="/a">リンク</a>本文</p>',
    ],
)
def test_a_quoted_greater_than_sign_does_not_end_the_tag(markup: str) -> None:
    """Browsers end a tag at the first ``>`` outside quotes; ending it inside one put the rest
    of the attributes (``b) { go(); }">``) into the page's text."""
    assert [block.text for block in html_blocks(markup).blocks] == ["リンク本文"]


def test_an_unclosed_quote_costs_only_its_own_tag() -> None:
    page = html_blocks('<p><a title="x>リンク</a>本文</p><p class="y">次の段落</p>')
    assert [block.text for block in page.blocks] == ["リンク本文", "次の段落"]


def test_the_choices_of_a_menu_are_not_page_text() -> None:
    page = html_blocks(
        '<form><select name="lang"><option>日本語</option><option>English</option></select></form>'
        "<p>日露首脳会談</p><datalist><option>候補</option></datalist><p>本文</p>"
    )
    assert [block.text for block in page.blocks] == ["日露首脳会談", "本文"]


def test_an_unclosed_menu_costs_no_text() -> None:
    page = html_blocks("<p>日露首脳会談<select><option>日本語</p><p>本文</p>")
    assert [block.text for block in page.blocks] == ["日露首脳会談日本語", "本文"]
