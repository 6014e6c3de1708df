"""The query language for people (Markdown), and a tree -> query-string renderer.

The renderer writes the canonical form of a parsed query (explicit ``AND``, ISO dates), which
``explain`` output and logs can show; ``parse_query(to_query_string(root)).root == root``.
"""

from __future__ import annotations

import re
from typing import Final

from mofasearch.query.lexer import syntax_view
from mofasearch.query.nodes import (
    And,
    CategoryFilter,
    DateFilter,
    FieldQuery,
    Node,
    Not,
    Or,
    Phrase,
    Prefix,
    SectionFilter,
    Text,
)

QUERY_LANGUAGE: Final = """\
## Query language

Type Japanese as you would write it; no spaces are needed. Every syntax character below may
also be typed full-width (`ＡＮＤ`, `ＯＲ`, `ＮＯＴ`, `：`, `（ ）`, `－`, `＊`, `“ ”`, full-width space).

| you type | it finds |
|---|---|
| `北方領土問題の解決` | sections about the words of the text, best first: names and numbers weigh more than verbs, and the parts of a compound (北方, 領土) add a little to the sections that match (a question works too: one asking いつ, 誰, どこ or いくつ/何人 ranks the sections holding a date, a person's name, a place name or a number a little higher) |
| `京都議定書 批准` | words separated by spaces stay one natural-language text, ranked together |
| `京都議定書 AND 批准` | sections with both |
| `京都議定書 OR 温暖化` | sections with either |
| `京都議定書 NOT 米国`, `京都議定書 -米国` | sections without 米国 (`-` directly before the word); a negated compound excludes it as written, as a phrase: `-日露修好` keeps the sections that hold 日露 but not 日露修好; a negated kana word also excludes what it matches by reading (`-にちろ` leaves out 日露) |
| `"日露修好"`, `「日露修好」`, `“日露修好”` | the words as a phrase, in a row (particles and other stop words between them do not count: `"日露関係"` also finds 日露の関係) |
| `(京都 OR 大阪) AND 首脳` | grouping with parentheses |
| `議定*` | words starting with 議定 (a stem of several words finds them in a row: `平和条*` finds 平和条約) |
| `title:京都`, `title:"日露首脳会談"`, `heading:(京都 OR 非核化)` | matches in the title / section heading only |
| `section:3` | section 3 and its subsections (3.(1), 3.(2), …); `section:3.(2)`, `section:３．（２）` |
| `category:会談・訪問`, `category:小泉総理大臣`, `category:"会談・訪問 › 小泉総理大臣"` | documents of that category; a MOFA page's category is its breadcrumb trail, and any level of it (or a run of levels) selects the page |
| `date:2004`, `date:2004-06`, `date:2004-06-10` | documents dated in that year / month / day (`2004/6/10` and `2004.6.10` too) |
| `date:平成16`, `date:平成16年6月`, `date:令和元年`, `date:H16`, `date:H16.6.10` | Japanese era years (明治 大正 昭和 平成 令和) |
| `date:2002-01-01..2003-12-31`, `date:2003..2005`, `date:2003-2005`, `date:..2003`, `date:2003..` | date ranges (inclusive; `~` and `〜` work too) |

- `AND`, `OR` and `NOT` are operators only as whole upper-case words; `and`/`or` are ordinary words.
  `NOT` binds tightest, then `AND` (also implied between items), then `OR`:
  `a AND b OR c` is `(a AND b) OR c`.
- `NOT` and `-` apply to one word, phrase, field or parenthesized group; a `-` right after a
  field's colon negates its value (`title:-京都` is `-title:京都`).
- Only the field names above are fields: `10:00`, `http://example.jp` and `foo:bar` are ordinary text.
- A field's value follows the colon directly: `title:京都`, not `title: 京都`.
- `「」` and `『』` make a phrase only when balanced; an unmatched one is ordinary text, so a
  question that quotes half a word (`五月雨」の語が転じて…`) still works. An unclosed `"` is an error.
- A query with no operator, field, `-` or `*` is read as a sentence: a full-width parenthesis that
  pairs with nothing, an empty `（）`, and an empty `「」` or `『』` are ordinary text there
  (`債券（ハイリスク商品は？`). Its quoted phrases must match and the rest only ranks, except a
  quote found nowhere and a quote of question words only (`「何」以上の都府県`: the blank the
  question asks about), which only rank.
- Queries are limited to 4,096 characters and 32 levels of parentheses and negations. A malformed
  query (unbalanced ASCII parentheses, unbalanced full-width ones in a query with operators, an
  unclosed `"`, `AND` with nothing after it, `title:` with no value, an impossible date such as
  `date:2004-13-45`) is an error that gives the position of the problem.
"""


_EMPTY_QUOTE: Final = re.compile(r"「\s*」|『\s*』")


def _quoted(text: str) -> str:
    """``text`` in the first quotes whose closer it does not hold: a phrase never holds the
    closer of the quotes it was read from, so one of them always fits."""
    if '"' not in syntax_view(text):
        return f'"{text}"'
    return f"「{text}」" if "」" not in text else f"『{text}』"


def to_query_string(node: Node | None, field: str | None = None) -> str:
    """The canonical query text of ``node`` (a tree from ``parse_query``)."""
    if node is None:
        return ""
    if isinstance(node, Text):
        return node.text
    if isinstance(node, Phrase):
        return _quoted(node.text)
    if isinstance(node, Prefix):
        scoped = node.field if node.field is not None and node.field != field else None
        return f"{scoped}:{node.text}*" if scoped else f"{node.text}*"
    if isinstance(node, FieldQuery):
        return f"{node.field}:{_field_value(node.node, node.field)}"
    if isinstance(node, SectionFilter):
        return f"section:{node.number}"
    if isinstance(node, CategoryFilter):
        return f"category:{_quoted(node.name)}"
    if isinstance(node, DateFilter):
        since = node.since.isoformat() if node.since else ""
        until = node.until.isoformat() if node.until else ""
        return f"date:{since}" if node.since == node.until else f"date:{since}..{until}"
    if isinstance(node, Not):
        return f"NOT {_operand(node.child, field, (And, Or))}"
    if isinstance(node, And):
        if any(_loose(c) for c in node.children):
            return _prose(node)
        return " AND ".join(_operand(c, field, (Or,)) for c in node.children)
    if isinstance(node, Or):
        return " OR ".join(_operand(c, field, (Or,)) for c in node.children)
    raise TypeError(f"not a query node: {node!r}")


def _loose(node: Node) -> bool:
    """A text holding a parenthesis or an empty 「」/『』: it was read from a prose query
    (see ``parse_query``), and an operator beside it would make it a syntax error."""
    if not isinstance(node, Text):
        return False
    return any(c in "()" for c in syntax_view(node.text)) or bool(_EMPTY_QUOTE.search(node.text))


def _prose(node: And) -> str:
    """An AND read from prose, written back as prose: an operator would make its loose
    parentheses a syntax error. Adjacent texts are kept apart by a group of one, unless the
    text's own loose parentheses would pair with the group's (then the two texts read as one
    run, the same words)."""
    parts: list[str] = []
    previous: Node | None = None
    for child in node.children:
        text = to_query_string(child)
        if isinstance(child, Text) and isinstance(previous, Text) and _reads_as(f"({text})", child):
            text = f"({text})"
        parts.append(text)
        previous = child
    return " ".join(parts)


def _reads_as(query: str, node: Node) -> bool:
    from mofasearch.errors import QuerySyntaxError
    from mofasearch.query.parser import parse_query

    try:
        return parse_query(query).root == node
    except QuerySyntaxError:
        return False


def _operand(node: Node, field: str | None, wrap: tuple[type, ...]) -> str:
    text = to_query_string(node, field)
    multiword = isinstance(node, Text) and len(node.text.split()) > 1
    if isinstance(node, wrap) or (multiword and wrap == (And, Or)):
        return f"({text})"
    return text


def _field_value(node: Node, field: str) -> str:
    if isinstance(node, Phrase):
        return _quoted(node.text)
    if isinstance(node, Text) and len(node.text.split()) == 1:
        return node.text
    return f"({to_query_string(node, field)})"
