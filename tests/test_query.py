"""The query language: each construct, its full-width spelling, and error positions."""

from __future__ import annotations

import datetime as dt

import pytest

from mofasearch.errors import QuerySyntaxError
from mofasearch.query import (
    MAX_DEPTH,
    MAX_QUERY_LENGTH,
    QUERY_LANGUAGE,
    And,
    CategoryFilter,
    DateFilter,
    FieldQuery,
    Not,
    Or,
    ParsedQuery,
    Phrase,
    Prefix,
    SectionFilter,
    Text,
    parse_query,
    to_query_string,
)


def root(query: str):  # type: ignore[no-untyped-def]
    return parse_query(query).root


@pytest.mark.parametrize("query", ["", "   ", "\u3000\u3000", "\n\t"])
def test_blank_query_has_no_root(query: str) -> None:
    parsed = parse_query(query)
    assert parsed == ParsedQuery(query, None)
    assert not parsed
    assert parsed.positive_texts() == () and parsed.filters() == ()


def test_bare_japanese_run_is_one_text_node_with_offsets() -> None:
    node = root("北方領土問題の解決")
    assert node == Text("北方領土問題の解決")
    assert (node.start, node.end) == (0, 9)


def test_consecutive_bare_words_form_one_text_run() -> None:
    node = root(" 京都\u3000議定書  批准 ")
    assert node == Text("京都 議定書 批准")
    assert (node.start, node.end) == (1, 11)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("京都 AND 議定書", And((Text("京都"), Text("議定書")))),
        ("京都 ＡＮＤ 議定書", And((Text("京都"), Text("議定書")))),
        ("京都 OR 大阪 OR 奈良", Or((Text("京都"), Text("大阪"), Text("奈良")))),
        ("京都\u3000ＯＲ\u3000大阪", Or((Text("京都"), Text("大阪")))),
        ("京都 NOT 大阪", And((Text("京都"), Not(Text("大阪"))))),
        ("京都 ＮＯＴ 大阪", And((Text("京都"), Not(Text("大阪"))))),
        ("京都 -大阪", And((Text("京都"), Not(Text("大阪"))))),
        ("京都 －大阪", And((Text("京都"), Not(Text("大阪"))))),
        ("NOT 大阪", Not(Text("大阪"))),
        ("京都 AND NOT 大阪", And((Text("京都"), Not(Text("大阪"))))),
        # precedence: NOT > AND (explicit or implied) > OR
        ("a AND b OR c", Or((And((Text("a"), Text("b"))), Text("c")))),
        ("a OR b AND c", Or((Text("a"), And((Text("b"), Text("c")))))),
        ("a b OR c", Or((Text("a b"), Text("c")))),
        ("(a OR b) AND c", And((Or((Text("a"), Text("b"))), Text("c")))),
        ("（a OR b）c", And((Or((Text("a"), Text("b"))), Text("c")))),
        ("-(a OR b)", Not(Or((Text("a"), Text("b"))))),
        # a negation takes one word, not the rest of the run
        ("-a b c", And((Not(Text("a")), Text("b c")))),
        ("NOT a b", And((Not(Text("a")), Text("b")))),
        ("NOT NOT a", Not(Not(Text("a")))),
        # explicit AND chains are flattened
        ("a AND b AND c", And((Text("a"), Text("b"), Text("c")))),
    ],
)
def test_boolean_operators(query: str, expected: object) -> None:
    assert root(query) == expected


@pytest.mark.parametrize(
    "query", ["and", "or", "not", "And", "京都 and 大阪", "AND京都", "ORANGE", "NOTE", "京都-大阪"]
)
def test_operators_only_as_whole_uppercase_words(query: str) -> None:
    assert root(query) == Text(" ".join(query.split()))


@pytest.mark.parametrize("query", ["a - b", "-", "a -"])
def test_lone_minus_is_text(query: str) -> None:
    assert root(query) == Text(query)


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ('"日露 修好"', "日露 修好"),
        ("“日露修好”", "日露修好"),
        ("「日露修好」", "日露修好"),
        ("『日露修好』", "日露修好"),
        ("＂日露修好＂", "日露修好"),
        ('「a"b」', 'a"b'),
    ],
)
def test_phrases(query: str, text: str) -> None:
    node = root(query)
    assert node == Phrase(text)
    assert (node.start, node.end) == (0, len(query))


def test_phrase_inside_a_run_splits_it() -> None:
    assert root("彼は「平和」と") == And((Text("彼は"), Phrase("平和"), Text("と")))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("title:京都", FieldQuery("title", Text("京都"))),
        ("ｔｉｔｌｅ：京都", FieldQuery("title", Text("京都"))),
        ("Title:京都", FieldQuery("title", Text("京都"))),
        ("heading:京都議定書", FieldQuery("heading", Text("京都議定書"))),
        ('title:"日露 首脳"', FieldQuery("title", Phrase("日露 首脳"))),
        ("title:「日露首脳」", FieldQuery("title", Phrase("日露首脳"))),
        ("title:(京都 OR 大阪)", FieldQuery("title", Or((Text("京都"), Text("大阪"))))),
        ("title：（京都 大阪）", FieldQuery("title", Text("京都 大阪"))),
        ("title:京都 議定書", And((FieldQuery("title", Text("京都")), Text("議定書")))),
        ("title:京*", Prefix("title", "京")),
        ("title:(京* OR 大阪)", FieldQuery("title", Or((Prefix("title", "京"), Text("大阪"))))),
        ("-title:京都", Not(FieldQuery("title", Text("京都")))),
        ("title:AND", FieldQuery("title", Text("AND"))),
    ],
)
def test_text_fields(query: str, expected: object) -> None:
    assert root(query) == expected


def test_field_offsets_cover_name_and_value() -> None:
    node = root("x title:(京都 OR 大阪)")
    assert isinstance(node, And)
    field = node.children[1]
    assert (field.start, field.end) == (2, 18)
    assert "x title:(京都 OR 大阪)"[field.start : field.end] == "title:(京都 OR 大阪)"


@pytest.mark.parametrize("query", ["10:00", "http://example.jp/a", "foo:bar", "京都:大阪", "：abc"])
def test_unknown_fields_are_text(query: str) -> None:
    assert root(query) == Text(query)


@pytest.mark.parametrize(
    ("query", "number"),
    [
        ("section:3", "3"),
        ("section:3.(2)", "3.(2)"),
        ("section:３．（２）", "3.(2)"),
        ("ｓｅｃｔｉｏｎ：３．（２）", "3.(2)"),
        ("section:3(2)", "3.(2)"),
        ("section:3.", "3"),
        ('section:"3. (2)"', "3.(2)"),
        ("section:第3条", "第3条"),
    ],
)
def test_section_filter_normalizes_the_number(query: str, number: str) -> None:
    assert root(query) == SectionFilter(number)


def test_section_value_parentheses_do_not_swallow_a_group() -> None:
    assert root("(section:3 OR section:4.(1))") == Or((SectionFilter("3"), SectionFilter("4.(1)")))


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("category:首脳会談", "首脳会談"),
        ('category:"小泉  総理"', "小泉 総理"),
        ("category:「会談」", "会談"),
    ],
)
def test_category_filter(query: str, name: str) -> None:
    assert root(query) == CategoryFilter(name)


D = dt.date


@pytest.mark.parametrize(
    ("query", "since", "until"),
    [
        ("date:2004", D(2004, 1, 1), D(2004, 12, 31)),
        ("date:２００４", D(2004, 1, 1), D(2004, 12, 31)),
        ("date:2004-06", D(2004, 6, 1), D(2004, 6, 30)),
        ("date:2004-02", D(2004, 2, 1), D(2004, 2, 29)),
        ("date:2004/6/10", D(2004, 6, 10), D(2004, 6, 10)),
        ("date:2004年6月10日", D(2004, 6, 10), D(2004, 6, 10)),
        ("date:平成16", D(2004, 1, 1), D(2004, 12, 31)),
        ("date:平成16年", D(2004, 1, 1), D(2004, 12, 31)),
        ("date:平成１６年６月１０日", D(2004, 6, 10), D(2004, 6, 10)),
        ("date:平成元年", D(1989, 1, 1), D(1989, 12, 31)),
        ("date:昭和64", D(1989, 1, 1), D(1989, 12, 31)),
        ("date:令和元年", D(2019, 1, 1), D(2019, 12, 31)),
        ("date:明治29年", D(1896, 1, 1), D(1896, 12, 31)),
        ("date:H16", D(2004, 1, 1), D(2004, 12, 31)),
        ("date:2002-01-01..2003-12-31", D(2002, 1, 1), D(2003, 12, 31)),
        ("date:２００２－０１－０１．．２００３－１２－３１", D(2002, 1, 1), D(2003, 12, 31)),
        ("date:2003..2005", D(2003, 1, 1), D(2005, 12, 31)),
        ("date:..2003", None, D(2003, 12, 31)),
        ("date:2003..", D(2003, 1, 1), None),
        ("date:平成14..平成16", D(2002, 1, 1), D(2004, 12, 31)),
        ("date:2003〜2005", D(2003, 1, 1), D(2005, 12, 31)),
        ("date:2003～2005", D(2003, 1, 1), D(2005, 12, 31)),
        ('date:"2004年 6月"', D(2004, 6, 1), D(2004, 6, 30)),
    ],
)
def test_date_filter(query: str, since: dt.date | None, until: dt.date | None) -> None:
    node = root(query)
    assert node == DateFilter(since, until)
    assert (node.start, node.end) == (0, len(query))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("議定*", Prefix(None, "議定")),
        ("議定＊", Prefix(None, "議定")),
        ("議定**", Prefix(None, "議定")),
        ("京都 議定*", And((Text("京都"), Prefix(None, "議定")))),
        ("-議定*", Not(Prefix(None, "議定"))),
    ],
)
def test_prefix(query: str, expected: object) -> None:
    assert root(query) == expected


@pytest.mark.parametrize(
    ("query", "position"),
    [
        ("(京都", 0),
        ("京都)", 2),
        ("()", 0),
        ("京都 (大阪 (奈良)", 3),
        ("(京都 AND 大阪", 0),
        ("京都 (大阪 (奈良) OR 京都", 3),
        ("京都) -大阪", 2),
        ("a OR b)", 6),
        ("() OR a", 0),
        ("議定* (京都", 4),
        ("title:『』", 6),
        ("京都 NOT 『』", 7),
        ('"京都', 0),
        ('a "b', 2),
        ("AND", 0),
        ("ＡＮＤ", 0),
        ("a AND", 2),
        ("OR a", 0),
        ("a OR", 2),
        ("a AND OR b", 2),
        ("NOT", 0),
        ("a NOT", 2),
        ("(a AND)", 3),
        ("title:", 0),
        ("x title: 京都", 2),
        ("title:)", 0),
        ("date:2004-13-45", 5),
        ("date:平成32", 5),
        ("date:2004-02-30", 5),
        ("date:yesterday", 5),
        ("date:..", 5),
        ("date:2005..2003", 5),
        ("section:..", 8),
        ("section:3..2", 8),
        ("section:(3", 8),
        ("category:(a OR b)", 9),
        ('category:""', 9),
        ("*", 0),
        ("a ＊", 2),
        ('""', 0),
        ("title:(heading:京都)", 7),
    ],
)
def test_errors_carry_the_position(query: str, position: int) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse_query(query)
    assert info.value.position == position
    assert info.value.query == query
    assert f"position {position}" in str(info.value)


def test_query_length_is_capped() -> None:
    parse_query("京" * MAX_QUERY_LENGTH)
    with pytest.raises(QuerySyntaxError) as info:
        parse_query("京" * (MAX_QUERY_LENGTH + 1))
    assert info.value.position == MAX_QUERY_LENGTH


def test_nesting_is_capped_with_a_clear_error() -> None:
    ok = "(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH
    assert root(ok) == Text("a")
    for deep in ("(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1), "-" * (MAX_DEPTH + 1) + "a"):
        with pytest.raises(QuerySyntaxError, match="nested"):
            parse_query(deep)
    with pytest.raises(QuerySyntaxError):
        parse_query("(" * 10_000 + "a" + ")" * 10_000)


def test_positive_texts_skip_negated_terms_but_keep_field_terms() -> None:
    parsed = parse_query('京都 -大阪 title:(奈良 OR 議定*) "日露" NOT (x OR y) date:2004')
    assert parsed.positive_texts() == (
        Text("京都"),
        Text("奈良"),
        Prefix("title", "議定"),
        Phrase("日露"),
    )


def test_filters_and_required_filters() -> None:
    parsed = parse_query("京都 category:会談 (date:2004 OR section:3) -section:4")
    assert parsed.filters() == (
        CategoryFilter("会談"),
        DateFilter(D(2004, 1, 1), D(2004, 12, 31)),
        SectionFilter("3"),
        SectionFilter("4"),
    )
    assert parsed.required_filters() == (CategoryFilter("会談"),)
    rest = parsed.without_required_filters()
    assert rest == And(
        (
            Text("京都"),
            Or((DateFilter(D(2004, 1, 1), D(2004, 12, 31)), SectionFilter("3"))),
            Not(SectionFilter("4")),
        )
    )


def test_filter_only_query() -> None:
    parsed = parse_query("category:会談 date:2004")
    assert parsed.without_required_filters() is None
    assert len(parsed.required_filters()) == 2
    assert parse_query("京都 date:2004").without_required_filters() == Text("京都")


@pytest.mark.parametrize(
    "query",
    [
        "a AND b OR c",
        "京都 -大阪 NOT (x OR y z)",
        'title:(京* OR "日 露") heading:x section:3.(2) category:"a b" date:2004..',
        "NOT (a b) OR -c",
        "date:..2003 -title:京都",
        "(a OR b) (c OR d)",
    ],
)
def test_canonical_string_parses_back_to_the_same_tree(query: str) -> None:
    tree = root(query)
    assert root(to_query_string(tree)) == tree


def test_documentation_mentions_every_field_and_operator() -> None:
    for word in ("AND", "OR", "NOT", "title:", "heading:", "section:", "category:", "date:", "*"):
        assert word in QUERY_LANGUAGE
    assert f"{MAX_QUERY_LENGTH:,}" in QUERY_LANGUAGE
    assert f"{MAX_DEPTH} levels" in QUERY_LANGUAGE


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("五月雨」の語が転じて", Text("五月雨」の語が転じて")),
        ("京都 「大阪", Text("京都 「大阪")),
        ("京都」", Text("京都」")),
        ("『題名", Text("『題名")),
    ],
)
def test_unmatched_corner_brackets_are_prose(query: str, expected: object) -> None:
    # Natural questions quote half a word; only balanced 「」『』 make a phrase.
    assert parse_query(query).root == expected


def test_balanced_corner_brackets_still_make_phrases() -> None:
    root = parse_query("a「b」c「d").root
    assert root == And((Text("a"), Phrase("b"), Text("c「d")))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("（京都", Text("（京都")),
        ("京都）", Text("京都）")),
        ("（）", Text("（）")),
        ("債券（ハイリスク商品は？", Text("債券（ハイリスク商品は？")),
        ("罰則等）、並びに難民", Text("罰則等）、並びに難民")),
        ("京都 （大阪 （奈良）", And((Text("京都 （大阪"), Text("奈良")))),
        ("出版した『』は（奥付）に", And((Text("出版した『』は"), Text("奥付"), Text("に")))),
        ("『』", Text("『』")),
        ("「 」と「京都」", And((Text("「 」と"), Phrase("京都")))),
        ("3.(2)「）", And((Text("3."), Text("2"), Text("「）")))),
        ("3.(2)*）", And((Text("3."), Text("2"), Text("*）")))),
    ],
)
def test_prose_punctuation_is_never_a_syntax_error(query: str, expected: object) -> None:
    # A question typed as a sentence (no operator) reads an unpaired or empty full-width
    # parenthesis and an empty 「」『』 as text instead of refusing the question; ASCII
    # parentheses stay the grouping operator (see test_errors_carry_the_position).
    parsed = parse_query(query).root
    assert parsed == expected
    assert root(to_query_string(parsed)) == parsed


def test_prose_leniency_keeps_balanced_groups_and_phrases() -> None:
    assert root("（京都）「大阪」") == And((Text("京都"), Phrase("大阪")))
    assert root("京都（大阪") == Text("京都（大阪")
    # an ASCII quote is the phrase operator, never prose punctuation
    with pytest.raises(QuerySyntaxError):
        parse_query('京都（大阪 "奈良')


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("『「a」“b』", "「a」“b"),  # holds a curly quote and 」: only 『』 can hold it
        ('「『a』"b」', '『a』"b'),
        ("category:『会談」“訪問』", "会談」“訪問"),
    ],
)
def test_canonical_string_quotes_a_phrase_with_quotes_it_does_not_hold(
    query: str, text: str
) -> None:
    tree = root(query)
    assert text in to_query_string(tree)
    assert root(to_query_string(tree)) == tree
