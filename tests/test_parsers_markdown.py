"""Markdown: setext headings, and code fences that hide headings until they really close."""

from __future__ import annotations

from mofasearch.documents.markdown import parse_markdown


def outline(text: str) -> tuple[str, list[tuple[str, tuple[str, ...], str]]]:
    document = parse_markdown(text, doc_id="notes.md", fallback_title="notes")
    return document.title, [(s.heading, s.path, s.text) for s in document.sections]


def test_setext_headings_cut_sections_like_atx_ones() -> None:
    text = "日露首脳会談\n======\n\n前文。\n\n個別案件\n--------\n京都議定書\nの批准\n---\n協力する。\n"
    assert outline(text) == (
        "日露首脳会談",
        [
            ("", (), "前文。"),
            ("個別案件", ("個別案件",), ""),
            ("京都議定書 の批准", ("京都議定書 の批准",), "協力する。"),
        ],
    )


def test_a_rule_after_a_blank_line_or_a_list_item_is_not_a_heading() -> None:
    text = "# 題\n本文。\n\n---\n\n- 項目\n  続き\n---\n"
    assert outline(text) == ("題", [("", (), "本文。\n\n---\n\n- 項目\n  続き\n---")])


def test_a_fence_closes_only_with_a_bare_fence_as_long_as_it() -> None:
    text = "# 題\n````\n```\n# 見出しではない\n```\n````\n```python\n# これも\n```python\n# まだコード\n```\n"
    title, sections = outline(text)
    assert title == "題"
    assert [heading for heading, _, _ in sections] == [""]
    assert "# まだコード" in sections[0][2]


def test_front_matter_keys_beyond_the_fields_are_kept_in_meta() -> None:
    text = (
        "---\ntitle: 日露首脳会談\ndate: 2004-06-10\nauthor: 欧州局\nlaw-number: 平成十六年法律第一号\n"
        "url: https://www.mofa.go.jp/\n---\n\n本文。\n"
    )
    document = parse_markdown(text, doc_id="notes.md", fallback_title="notes")
    assert (document.title, str(document.date), document.url) == (
        "日露首脳会談",
        "2004-06-10",
        "https://www.mofa.go.jp/",
    )
    assert dict(document.meta) == {
        "author": "欧州局",
        "law-number": "平成十六年法律第一号",
        "format": "markdown",
    }


def test_a_front_matter_date_that_is_no_date_is_kept_in_meta() -> None:
    document = parse_markdown(
        "---\ndate: 2004年頃\n---\n本文。\n", doc_id="m.md", fallback_title="m"
    )
    assert (document.date, dict(document.meta)) == (
        None,
        {"date": "2004年頃", "format": "markdown"},
    )


def test_numbered_headings_number_their_sections_as_on_a_mofa_page() -> None:
    text = (
        "# 日露首脳会談\n前文。\n## 1. 発表事項\n### (1) 日露修好150周年\n本文A。\n"
        "### （２） 経済\n本文B。\n## ２．個別案件\n本文C。\n## 付録\n本文D。\n"
    )
    document = parse_markdown(text, doc_id="m.md", fallback_title="m")
    assert [(s.number, s.heading, s.path, s.text) for s in document.sections] == [
        ("", "", (), "前文。"),
        ("1", "発表事項", ("発表事項",), ""),
        ("1.(1)", "日露修好150周年", ("発表事項", "日露修好150周年"), "本文A。"),
        ("1.(2)", "経済", ("発表事項", "経済"), "本文B。"),
        ("2", "個別案件", ("個別案件",), "本文C。"),
        ("", "付録", ("付録",), "本文D。"),
    ]
    assert [s.id for s in document.sections][1:3] == ["m.md#1", "m.md#1.(1)"]
