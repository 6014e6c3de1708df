"""The query language: text typed by a person -> a small tree the index compiles.

Pure Python (no Whoosh, no Sudachi): analysis and ranking happen in the index. A bare run of
Japanese such as ``北方領土問題の解決`` stays one :class:`Text` node, because splitting and
weighting words is the analyzer's and the ranker's job, and natural-language questions must rank
well rather than be AND-ed word by word.

Grammar (full-width forms of every syntax character mean the same as the half-width ones)::

    query    := or_expr?
    or_expr  := and_expr ("OR" and_expr)*
    and_expr := unary (["AND"] unary)*          adjacency means AND
    unary    := ("NOT" | "-")* primary          "-" directly before its operand
    primary  := "(" or_expr ")" | phrase | field | prefix | words
    phrase   := '"' ... '"' | "“" ... "”" | "「" ... "」" | "『" ... "』"
    field    := ("title" | "heading") ":" (word | prefix | phrase | "(" or_expr ")")
              | ("section" | "category" | "date") ":" (word | phrase)
    prefix   := word "*"
    words    := word+                           consecutive bare words form ONE Text run

``AND``/``OR``/``NOT`` are operators only as whole upper-case words; a negation applies to a single
word, phrase, field or group. Nesting (parentheses plus negations) is capped at
:data:`MAX_DEPTH` and the length at :data:`MAX_QUERY_LENGTH`, so the parser's work and stack are
bounded for any input.
"""

from __future__ import annotations

from mofasearch.query.lexer import FIELDS, FILTER_FIELDS, TEXT_FIELDS, syntax_view
from mofasearch.query.nodes import (
    FILTER_TYPES,
    TERM_TYPES,
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
    children_of,
    walk,
)
from mofasearch.query.parser import MAX_DEPTH, MAX_QUERY_LENGTH, parse_query
from mofasearch.query.render import QUERY_LANGUAGE, to_query_string

__all__ = [
    "parse_query",
    "ParsedQuery",
    "Node",
    "Text",
    "Phrase",
    "Prefix",
    "FieldQuery",
    "SectionFilter",
    "CategoryFilter",
    "DateFilter",
    "And",
    "Or",
    "Not",
    "FILTER_TYPES",
    "TERM_TYPES",
    "FIELDS",
    "TEXT_FIELDS",
    "FILTER_FIELDS",
    "MAX_DEPTH",
    "MAX_QUERY_LENGTH",
    "QUERY_LANGUAGE",
    "children_of",
    "walk",
    "syntax_view",
    "to_query_string",
]
