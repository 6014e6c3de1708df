"""Recursive-descent parser over the lexer's tokens, with bounded depth.

Precedence, loosest first: ``OR``, then ``AND`` (explicit or implied by adjacency), then ``NOT``/
``-``. Recursion happens only for parentheses, and parentheses plus negations are capped at
:data:`MAX_DEPTH`, so no query can exhaust the stack; the length cap bounds the work.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from mofasearch.errors import QuerySyntaxError
from mofasearch.query import values
from mofasearch.query.lexer import TEXT_FIELDS, Token, is_prose, tokenize
from mofasearch.query.nodes import (
    And,
    CategoryFilter,
    DateFilter,
    FieldQuery,
    Node,
    Not,
    Or,
    ParsedQuery,
    Phrase,
    Prefix,
    SectionFilter,
    Text,
)

#: longest query accepted, in characters
MAX_QUERY_LENGTH: Final = 4096
#: deepest nesting of parentheses and negations accepted
MAX_DEPTH: Final = 32

_PREFIX_MARKS: Final = "*＊"


class _Parser:
    def __init__(self, query: str, tokens: list[Token]) -> None:
        self.query = query
        self.tokens = tokens
        self.i = 0

    def error(self, message: str, position: int) -> QuerySyntaxError:
        return QuerySyntaxError(message, self.query, position)

    def peek(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def parse(self) -> Node:
        node = self.parse_or(None, 0)
        extra = self.peek()
        if extra is not None:  # only a ")" can stop parse_or early
            raise self.error("unmatched )", extra.start)
        return node

    def parse_or(self, field: str | None, depth: int) -> Node:
        children = [self.parse_and(field, depth)]
        while (token := self.peek()) is not None and token.kind == "OR":
            self.take()
            self.expect_operand(token)
            children.append(self.parse_and(field, depth))
        return _combine(Or, children)

    def parse_and(self, field: str | None, depth: int) -> Node:
        children = [self.parse_unary(field, depth)]
        while (token := self.peek()) is not None and token.kind not in ("OR", ")"):
            if token.kind == "AND":
                self.take()
                self.expect_operand(token)
            children.append(self.parse_unary(field, depth))
        return _combine(And, children)

    def expect_operand(self, operator: Token) -> None:
        following = self.peek()
        if following is None or following.kind in ("AND", "OR", ")"):
            raise self.error(f"{operator.text} needs a search term after it", operator.start)

    def parse_unary(self, field: str | None, depth: int) -> Node:
        negations: list[Token] = []
        while (token := self.peek()) is not None and token.kind in ("NOT", "-"):
            negations.append(self.take())
            if depth + len(negations) > MAX_DEPTH:
                raise self.error(f"query nested more than {MAX_DEPTH} levels deep", token.start)
        if negations:
            self.expect_operand(negations[-1])
        node = self.parse_primary(field, depth + len(negations), single=bool(negations))
        for token in reversed(negations):
            node = Not(node, start=token.start, end=node.end)
        return node

    def parse_primary(self, field: str | None, depth: int, *, single: bool) -> Node:
        token = self.take()
        if token.kind in ("AND", "OR"):
            raise self.error(f"{token.text} needs a search term before it", token.start)
        if token.kind == ")":
            raise self.error("unmatched )", token.start)
        if token.kind == "(":
            return self.group(token, field, depth + 1)
        if token.kind == "phrase":
            return self.phrase(token)
        if token.kind == "field":
            if field is not None:
                raise self.error(f"{token.text}: cannot be used inside {field}:(...)", token.start)
            return self.field_value(token, depth)
        if _is_prefix(token):
            return self.prefix(token, field)
        return self.text_run(token, single)

    def group(self, opening: Token, field: str | None, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise self.error(f"query nested more than {MAX_DEPTH} levels deep", opening.start)
        following = self.peek()
        if following is None:
            raise self.error("unmatched (", opening.start)
        if following.kind == ")":
            raise self.error("empty parentheses", opening.start)
        node = self.parse_or(field, depth)
        closing = self.peek()
        if closing is None:
            raise self.error("unmatched (", opening.start)
        self.take()
        return replace(node, start=opening.start, end=closing.end)

    def phrase(self, token: Token) -> Phrase:
        if not token.text.strip():
            raise self.error("empty phrase", token.start)
        return Phrase(token.text, start=token.start, end=token.end)

    def prefix(self, token: Token, field: str | None) -> Prefix:
        stem = token.text.rstrip(_PREFIX_MARKS)
        if not stem:
            raise self.error("* needs at least one character before it", token.start)
        return Prefix(field, stem, start=token.start, end=token.end)

    def text_run(self, first: Token, single: bool) -> Text:
        words, last = [first.text], first
        while not single and (token := self.peek()) is not None:
            if token.kind != "word" or token.attached or _is_prefix(token):
                break
            words.append(self.take().text)
            last = token
        return Text(" ".join(words), start=first.start, end=last.end)

    def field_value(self, field: Token, depth: int) -> Node:
        value = self.take()  # the lexer guarantees an attached value token follows
        if value.kind == "-":  # title:-京都, date:-2004: the field's value negated
            if depth + 1 > MAX_DEPTH:
                raise self.error(f"query nested more than {MAX_DEPTH} levels deep", value.start)
            inner = self.field_value(field, depth + 1)
            return Not(inner, start=field.start, end=inner.end)
        name = field.text
        if name in TEXT_FIELDS:
            if value.kind == "(":
                inner = self.group(value, name, depth + 1)
                end = inner.end
            else:
                inner = self.phrase(value) if value.kind == "phrase" else self.prefix_or_word(value)
                if isinstance(inner, Prefix):
                    return Prefix(name, inner.text, start=field.start, end=value.end)
                end = value.end
            return FieldQuery(name, inner, start=field.start, end=end)
        if value.kind not in ("word", "phrase"):
            raise self.error(
                f"{name}: takes a single value (quote it if it has spaces)", value.start
            )
        try:
            return self.filter_node(name, value.text, field.start, value.end)
        except ValueError as exc:
            raise self.error(str(exc), value.start) from None

    def prefix_or_word(self, token: Token) -> Node:
        if _is_prefix(token):
            return self.prefix(token, None)
        return Text(token.text, start=token.start, end=token.end)

    def filter_node(self, name: str, value: str, start: int, end: int) -> Node:
        if name == "section":
            return SectionFilter(values.section_number(value), start=start, end=end)
        if name == "date":
            since, until = values.date_range(value)
            return DateFilter(since, until, start=start, end=end)
        category = " ".join(value.split())
        if not category:
            raise ValueError("empty category")
        return CategoryFilter(category, start=start, end=end)


def _is_prefix(token: Token) -> bool:
    return token.kind == "word" and token.text.endswith(tuple(_PREFIX_MARKS))


def _combine(kind: type[And] | type[Or], children: list[Node]) -> Node:
    if len(children) == 1:
        return children[0]
    flat: list[Node] = []
    for child in children:
        flat.extend(child.children if isinstance(child, kind) else (child,))
    return kind(tuple(flat), start=children[0].start, end=children[-1].end)


def parse_query(text: str) -> ParsedQuery:
    """Parse a query (see :data:`mofasearch.query.QUERY_LANGUAGE`).

    Returns a :class:`ParsedQuery` whose ``root`` is None for a blank query; raises
    :class:`~mofasearch.errors.QuerySyntaxError` with the 0-based position of the problem.
    A query written as prose (no operator) that the strict grammar refuses only for its
    punctuation (an unpaired parenthesis, an empty 『』) is read with that punctuation as text.
    """
    if len(text) > MAX_QUERY_LENGTH:
        message = f"query longer than {MAX_QUERY_LENGTH} characters"
        raise QuerySyntaxError(message, text, MAX_QUERY_LENGTH)
    try:
        return _parse(text, tokenize(text))
    except QuerySyntaxError as strict:
        try:
            tokens = tokenize(text, prose=True)
        except QuerySyntaxError:
            raise strict from None
        if not is_prose(tokens):
            raise
        return _parse(text, tokens)


def _parse(text: str, tokens: list[Token]) -> ParsedQuery:
    if not tokens:
        return ParsedQuery(text, None)
    return ParsedQuery(text, _Parser(text, tokens).parse())
