"""Split a query into tokens, treating full-width syntax exactly like half-width.

Syntax characters are recognized through a *syntax view* of the query: a string of the same
length where full-width ASCII (``ＡＮＤ``, ``：``, ``（``, ``－``, ``＊``), the ideographic space and
curly quotes are mapped to their ASCII forms. Offsets are therefore the same in both strings,
and token text is always taken from the original, so words keep what the user typed.

Japanese corner brackets are quotes in queries and ordinary punctuation in prose: a natural
question such as ``五月雨」の語が転じて…`` quotes half a word. So 「…」 and 『…』 make a phrase
only when balanced; an unmatched one is part of the text around it. The ASCII ``"`` stays
strict: an unclosed one is a syntax error with its position.

A query written as prose (no operator, field, negation or prefix, see :func:`is_prose`) is never
refused for its punctuation: :func:`tokenize` with ``prose=True`` reads a full-width parenthesis
that pairs with nothing, an empty pair of them and an empty 「」 or 『』 as text, the way they
read in a sentence (``債券（ハイリスク商品は？``, ``出版した『』は``). ASCII parentheses are the
grouping operator, typed on purpose: an unpaired one stays a syntax error with its position. The parser falls back to it only
when the strict reading fails and the query is prose, so every query with an operator keeps its
precise syntax errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from mofasearch.errors import QuerySyntaxError

#: fields whose value is a query matched in that field
TEXT_FIELDS: Final = frozenset({"title", "heading"})
#: fields whose value is a filter
FILTER_FIELDS: Final = frozenset({"section", "category", "date"})
FIELDS: Final = TEXT_FIELDS | FILTER_FIELDS
OPERATORS: Final = frozenset({"AND", "OR", "NOT"})

_QUOTES: Final = {'"': '"', "「": "」", "『": "』"}
_CLOSERS: Final = frozenset(_QUOTES.values())
_SPECIAL: Final = frozenset("()") | _QUOTES.keys() | _CLOSERS
#: brackets that are plain text when unmatched (see the module docstring)
_LENIENT: Final = frozenset("「」『』")
_VIEW_TABLE: Final = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {
    0x3000: 0x20,  # ideographic space
    0x201C: 0x22,  # “
    0x201D: 0x22,  # ”
    0x2212: 0x2D,  # minus sign
}


@dataclass(frozen=True, slots=True)
class Token:
    """``kind`` is one of: word, phrase, (, ), AND, OR, NOT, -, field."""

    kind: str
    text: str
    start: int
    end: int
    #: the token is a field's value (it follows ``field:`` with no space)
    attached: bool = False


def syntax_view(text: str) -> str:
    """``text`` with full-width syntax characters replaced by ASCII, same length."""
    return text.translate(_VIEW_TABLE)


class _Lexer:
    def __init__(self, query: str, prose: bool = False) -> None:
        self.query = query
        self.prose = prose
        self.view = syntax_view(query)
        self.tokens: list[Token] = []
        # an opener is a quote only if its closer comes later somewhere
        self.last_closer = {c: self.view.rfind(c) for c in _CLOSERS}

    def is_text(self, i: int) -> bool:
        """A lenient bracket at ``i`` that cannot open or close a phrase is plain text."""
        c = self.view[i]
        if c not in _LENIENT:
            return False
        if c in _CLOSERS:  # a closer reached outside a phrase closes nothing
            return True
        return self.last_closer[_QUOTES[c]] < i

    def error(self, message: str, position: int) -> QuerySyntaxError:
        return QuerySyntaxError(message, self.query, position)

    def run(self) -> list[Token]:
        i, n, attached = 0, len(self.view), False
        while i < n:
            c = self.view[i]
            if c.isspace():
                i += 1
                attached = False
                continue
            if c in "()":
                self.tokens.append(Token(c, self.query[i], i, i + 1, attached))
                i += 1
            elif c in _SPECIAL and self.is_text(i):
                i = self.word(i, attached)
            elif c in _QUOTES:
                i = self.phrase(i, attached)
            elif c in _CLOSERS:
                raise self.error(f"unmatched closing quote {self.query[i]}", i)
            elif c == "-" and not attached and self.starts_operand(i + 1):
                self.tokens.append(Token("-", self.query[i], i, i + 1))
                i += 1
                continue  # what follows the minus is a new token start
            else:
                i = self.word(i, attached)
                if self.tokens[-1].kind == "field":
                    attached = True
                    continue
            attached = False
        return self.tokens

    def starts_operand(self, i: int) -> bool:
        return i < len(self.view) and not self.view[i].isspace() and self.view[i] != ")"

    def phrase(self, i: int, attached: bool) -> int:
        closer = _QUOTES[self.view[i]]
        end = self.view.find(closer, i + 1)
        if end < 0:
            raise self.error(f"unclosed quote {self.query[i]}", i)
        if self.prose and self.view[i] in _LENIENT and not self.query[i + 1 : end].strip():
            # an empty 『』 in a sentence marks a blank, it quotes nothing
            self.tokens.append(Token("word", self.query[i : end + 1], i, end + 1, attached))
            return end + 1
        self.tokens.append(Token("phrase", self.query[i + 1 : end], i, end + 1, attached))
        return end + 1

    def word(self, i: int, attached: bool) -> int:
        start, n = i, len(self.view)
        while i < n and not self.view[i].isspace():
            if self.view[i] in _SPECIAL and not self.is_text(i):
                break
            i += 1
        view = self.view[start:i]
        name, colon, rest = view.partition(":")
        if not attached and colon and name.lower() in FIELDS:
            value_at = start + len(name) + 1
            self.tokens.append(Token("field", name.lower(), start, value_at))
            opens = i < n and (self.view[i] in _QUOTES or self.view[i] == "(")
            while rest.startswith("-") and (len(rest) > 1 or opens):
                # title:-京都 negates the field's value, as title:(-京都) does
                self.tokens.append(Token("-", self.query[value_at], value_at, value_at + 1, True))
                value_at, rest = value_at + 1, rest[1:]
            if rest and name.lower() == "section":
                i = self.section_value(value_at)
            if rest:
                self.tokens.append(Token("word", self.query[value_at:i], value_at, i, True))
            elif i >= n or self.view[i] not in _QUOTES and self.view[i] != "(":
                raise self.error(f"{name.lower()}: needs a value right after the colon", start)
            return i
        kind = view if not attached and view in OPERATORS else "word"
        self.tokens.append(Token(kind, self.query[start:i], start, i, attached))
        return i

    def section_value(self, i: int) -> int:
        """End of a section number, whose parentheses belong to it: ``section:3.(2)``."""
        depth, n = 0, len(self.view)
        while i < n and not self.view[i].isspace() and self.view[i] not in _QUOTES:
            if self.view[i] == "(":
                depth += 1
            elif self.view[i] == ")":
                if depth == 0:
                    break  # closes a group around the field
                depth -= 1
            i += 1
        return i


def tokenize(query: str, *, prose: bool = False) -> list[Token]:
    """The tokens of ``query``; raises QuerySyntaxError on unbalanced quotes or empty fields.

    ``prose=True`` reads unpaired or empty parentheses and empty 「」『』 as text (see the module
    docstring); the caller decides with :func:`is_prose` whether that reading applies.
    """
    tokens = _Lexer(query, prose).run()
    return _merge_words(_loose_parentheses(query, tokens)) if prose else tokens


#: token kinds of a query written as prose (anything else is an operator, a field or a filter)
_PROSE_KINDS: Final = frozenset({"word", "phrase", "(", ")"})


def is_prose(tokens: list[Token]) -> bool:
    """Whether the tokens hold no operator: only words, quoted phrases and parentheses, and no
    prefix ``*`` (then any implied AND comes from punctuation, not from the user)."""
    return all(
        token.kind in _PROSE_KINDS
        and not (token.kind == "word" and token.text.endswith(("*", "＊")))
        for token in tokens
    )


#: parentheses that are punctuation in Japanese prose (the ASCII pair is the grouping operator)
_PROSE_PARENTHESES: Final = "（）"


def _loose_parentheses(query: str, tokens: list[Token]) -> list[Token]:
    """Full-width parentheses that pair with nothing, or enclose nothing, turned into word
    tokens (ASCII ones are left to the strict grammar)."""
    loose: set[int] = set()
    opened: list[int] = []
    for at, token in enumerate(tokens):
        if token.kind == "(":
            opened.append(at)
        elif token.kind == ")":
            if not opened:
                loose.add(at)
            elif opened[-1] == at - 1:  # ( ) around nothing
                loose.update((opened.pop(), at))
            else:
                opened.pop()
    loose.update(opened)
    loose = {at for at in loose if query[tokens[at].start] in _PROSE_PARENTHESES}
    return [
        Token("word", query[t.start : t.end], t.start, t.end, t.attached) if at in loose else t
        for at, t in enumerate(tokens)
    ]


def _merge_words(tokens: list[Token]) -> list[Token]:
    """Join word tokens that touch (no space between) into one, as the text was typed."""
    merged: list[Token] = []
    for token in tokens:
        last = merged[-1] if merged else None
        if (
            last is not None
            and last.kind == token.kind == "word"
            and last.end == token.start
            and not token.attached
        ):
            text = last.text + token.text
            merged[-1] = Token("word", text, last.start, token.end, last.attached)
        else:
            merged.append(token)
    return merged
