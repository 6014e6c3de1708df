"""Properties of the query parser over arbitrary input: it never fails any other way."""

from __future__ import annotations

import random
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from mofasearch.errors import QuerySyntaxError
from mofasearch.query import (
    MAX_DEPTH,
    MAX_QUERY_LENGTH,
    Node,
    ParsedQuery,
    Phrase,
    Text,
    parse_query,
    to_query_string,
    walk,
)
from mofasearch.query.lexer import tokenize
from mofasearch.query.parser import _parse

# Syntax characters (half and full width) mixed with Japanese, so the parser sees hard input.
SYNTAX = list('()（）"“”「」『』:：*＊-－ \u3000') + [
    "AND",
    "OR",
    "NOT",
    "ＡＮＤ",
    "ＯＲ",
    "ＮＯＴ",
]
FIELDS = ["title:", "heading:", "section:", "category:", "date:", "ｔｉｔｌｅ：", "foo:"]
WORDS = ["京都", "議定書", "a", "and", "2004", "平成16", "3.(2)", "..", "2003..2005", "元年", "-"]
pieces = st.sampled_from(SYNTAX + FIELDS + WORDS) | st.text(max_size=3)
soups = st.lists(pieces, max_size=40).map("".join)


def check(query: str) -> ParsedQuery | None:
    """Parse; a syntax error must point inside the query (or just past its end)."""
    try:
        parsed = parse_query(query)
    except QuerySyntaxError as exc:
        assert 0 <= exc.position <= len(query)
        assert exc.query == query
        return None
    assert isinstance(parsed, ParsedQuery)
    assert parsed.text == query
    for node in walk(parsed.root):
        assert isinstance(node, Node)
        assert 0 <= node.start <= node.end <= len(query)
    return parsed


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_parses_or_raises_a_syntax_error(query: str) -> None:
    check(query)


@settings(max_examples=500, deadline=None)
@given(soups)
def test_operator_soup_parses_or_raises_a_syntax_error(query: str) -> None:
    parsed = check(query)
    if parsed is None or parsed.root is None:
        return
    again = parse_query(to_query_string(parsed.root)).root
    if strict(query):
        # the canonical form is a fixed point of parsing
        assert again == parsed.root
    else:
        # read as prose (loose punctuation as text): written back, it reads as the same prose
        assert prose_of(again) == prose_of(parsed.root)


def strict(query: str) -> bool:
    """Whether the grammar accepts the query as it is, without the prose reading."""
    try:
        _parse(query, tokenize(query))
    except QuerySyntaxError:
        return False
    return True


def prose_of(node: Node | None) -> tuple[tuple[str, str], ...]:
    """The texts and phrases of a tree in order, without spaces and parentheses."""
    drop = str.maketrans("", "", "()（） \u3000")
    items: list[tuple[str, str]] = []
    for n in walk(node):
        if isinstance(n, (Text, Phrase)) and n.text.translate(drop):
            kind, text = type(n).__name__, n.text.translate(drop)
            if kind == "Text" and items and items[-1][0] == kind:
                items[-1] = (kind, items[-1][1] + text)
            else:
                items.append((kind, text))
    return tuple(items)


def test_random_operator_soup_at_the_length_limit_is_fast() -> None:
    rng = random.Random(20040610)
    vocabulary = SYNTAX + FIELDS + WORDS
    worst = 0.0
    for _ in range(200):
        parts = [rng.choice(vocabulary) for _ in range(MAX_QUERY_LENGTH // 2)]
        query = "".join(parts)[:MAX_QUERY_LENGTH]
        began = time.perf_counter()
        check(query)
        worst = max(worst, time.perf_counter() - began)
    assert worst < 0.5, f"slowest parse took {worst:.3f} s"


def test_hostile_shapes_are_rejected_or_parsed_quickly() -> None:
    shapes = [
        "(" * 100_000,
        "京" * 100_000,
        "(" * 10_000 + "a" + ")" * 10_000,
        "-" * 4000 + "a",
        "NOT " * 1000 + "a",
        "a AND " * 680 + "a",
        "(a) " * 1000,
        "title:(" * 500,
        '"' * 4096,
        "「" * 4096,
        "a" * 4096,
        "(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH,
    ]
    for query in shapes:
        began = time.perf_counter()
        check(query)
        assert time.perf_counter() - began < 0.5, query[:20]
