"""The parsed form of a query: small frozen dataclasses, no Whoosh.

Every node carries ``start``/``end``, the character offsets of the text it came from in the
original query, so that errors and explanations can point at the query the user typed. Offsets do
not take part in equality: ``Text("京都") == parse_query("京都").root`` holds, which keeps tests and
query rewriting simple.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Node:
    """Base class of every query node."""

    start: int = field(default=0, compare=False, kw_only=True)
    end: int = field(default=0, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Text(Node):
    """A run of bare words (natural language), analyzed and ranked by the index.

    Words separated by spaces stay in one run; the words are joined by one ASCII space.
    """

    text: str


@dataclass(frozen=True, slots=True)
class Phrase(Node):
    """An exact phrase, from ``"..."``, ``“...”``, ``「...」`` or ``『...』``."""

    text: str


@dataclass(frozen=True, slots=True)
class Prefix(Node):
    """``text*``: terms starting with ``text``; ``field`` is ``"title"``/``"heading"`` or None."""

    field: str | None
    text: str


@dataclass(frozen=True, slots=True)
class FieldQuery(Node):
    """``title:...`` or ``heading:...``: ``node`` matched in that field only."""

    field: str
    node: Node


@dataclass(frozen=True, slots=True)
class SectionFilter(Node):
    """``section:3.(2)``: that section and its subsections. ``number`` is normalized."""

    number: str


@dataclass(frozen=True, slots=True)
class CategoryFilter(Node):
    """``category:NAME``: documents of that category (the name as typed, trimmed)."""

    name: str


@dataclass(frozen=True, slots=True)
class DateFilter(Node):
    """``date:...``: document dates in ``[since, until]``, both inclusive; None is unbounded.

    Named like ``Index.search(since=, until=)``; ``start``/``end`` are the offsets, as on every node.
    """

    since: datetime.date | None
    until: datetime.date | None


@dataclass(frozen=True, slots=True)
class And(Node):
    """Every child must match."""

    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or(Node):
    """At least one child must match."""

    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not(Node):
    """The child must not match."""

    child: Node


FILTER_TYPES = (SectionFilter, CategoryFilter, DateFilter)
TERM_TYPES = (Text, Phrase, Prefix)


def children_of(node: Node) -> tuple[Node, ...]:
    """The direct children of ``node`` (empty for leaves)."""
    if isinstance(node, And | Or):
        return node.children
    if isinstance(node, Not):
        return (node.child,)
    if isinstance(node, FieldQuery):
        return (node.node,)
    return ()


def walk(node: Node | None, *, skip_not: bool = False) -> Iterator[Node]:
    """Every node under ``node`` in query order, without recursion (depth is user-controlled)."""
    stack = [] if node is None else [node]
    while stack:
        current = stack.pop()
        if skip_not and isinstance(current, Not):
            continue
        yield current
        stack.extend(reversed(children_of(current)))


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """A parsed query: the text as given and its tree (``root`` is None for a blank query)."""

    text: str
    root: Node | None

    def positive_texts(self) -> tuple[Text | Phrase | Prefix, ...]:
        """Text, Phrase and Prefix nodes not under a Not: what scoring and snippets look for."""
        return tuple(n for n in walk(self.root, skip_not=True) if isinstance(n, TERM_TYPES))

    def filters(self) -> tuple[SectionFilter | CategoryFilter | DateFilter, ...]:
        """Every filter node, wherever it is (under Or or Not too), in query order."""
        return tuple(n for n in walk(self.root) if isinstance(n, FILTER_TYPES))

    def required_filters(self) -> tuple[SectionFilter | CategoryFilter | DateFilter, ...]:
        """Filters every hit must pass: the root itself or direct children of a root And."""
        top = self.root.children if isinstance(self.root, And) else (self.root,)
        return tuple(n for n in top if isinstance(n, FILTER_TYPES))

    def without_required_filters(self) -> Node | None:
        """The root with :meth:`required_filters` removed (None when only filters remain).

        Lets the index apply those filters as a cheap restriction and score the rest.
        """
        if isinstance(self.root, FILTER_TYPES):
            return None
        if not isinstance(self.root, And):
            return self.root
        rest = tuple(n for n in self.root.children if not isinstance(n, FILTER_TYPES))
        if not rest:
            return None
        if len(rest) == 1:
            return rest[0]
        return And(children=rest, start=rest[0].start, end=rest[-1].end)

    def __bool__(self) -> bool:
        return self.root is not None
