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
