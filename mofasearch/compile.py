"""From the query tree of :mod:`mofasearch.query` to a match mask and the terms that score.

Each node is evaluated against a :class:`~mofasearch.snapshot.Snapshot` to a boolean mask over
its sections, and the positive nodes (not under a negation) contribute scoring terms
``(field, term, weight)``; the ranker adds their BM25F contributions with numpy.

- ``Text`` (a bare run, natural language): analyzed by the index's own chains. It matches the
  sections holding any of its words in the word fields (title, heading, body) — ranking, not a
  word-by-word AND, decides. Its character bigrams always add a small score (recall across
  segmentation differences) and become the match itself, at least 60% of the bigrams, when no
  word matches (``非核`` inside ``非核化``). An all-kana run also matches by reading (にちろ → 日露).
- ``Phrase``: Whoosh phrase queries on positions in title, heading and body, scored by its words.
- ``Not``: excludes what its node matches, with a ``Text`` under it read literally: each of its
  space-separated items as a phrase, and all of them (``-日露修好`` excludes the sections holding
  日露修好, not every section holding 日露 or 修好; no bigram share excludes anything).
- ``And`` of a query written as prose (no operators, fields, filters or prefixes: only words,
  quotes and parentheses, see :func:`is_prose`): read as Lucene reads a boolean query of MUST and
  SHOULD clauses. Japanese prose quotes (「」『』) and brackets (（）) split a question into several
  items, and requiring one word of every item lost the answer whenever an item was the question's
  own wording (``「日本人民共和国憲法草案」の内容は。`` needs no 内容 in the answer). So the quoted
  phrases must match, the bare text items only rank; with no phrase, one word of any item must
  match, as within one run. A quote found in no section at all cannot be what the question
  requires (a paraphrase, a blank to fill: 「既存OOOO国の手先」): it only ranks, like the text.
  Nor can a quote of question words only (``定義として「何」以上の都府県``): it marks the blank
  the question asks to fill, so it is read as bare text (question words weigh little there).
  Any operator keeps the documented boolean reading.
- ``FieldQuery``: its node evaluated with the fields restricted to ``title`` or ``heading``.
- ``Prefix``: the field's terms expanded from the term index; every one matches, at most
  ``MAX_PREFIX_TERMS`` of them score.
- filters (section, category, date): masks from the ``section_tree`` postings and the columns.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from whoosh import query as wq

from mofasearch.analysis import phrase_terms, pos_weight_table, question_words
from mofasearch.query import (
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
from mofasearch.schema import WORD_FIELDS, field_analyzer, query_analyzer
from mofasearch.scoring import RankingConfig, contributions
from mofasearch.snapshot import Snapshot

#: a prefix query scores at most this many expanded terms per field (all of them match)
MAX_PREFIX_TERMS = 64
#: share of a run's bigrams a section must hold to match by bigrams alone
BIGRAM_MIN_SHARE = 0.6
_KANA = re.compile(r"^[\u3041-\u309f\u30a0-\u30ffー・\s]+$")


@dataclass
class Evaluation:
    """What a query evaluated to: the mask, its scoring terms, the words to highlight."""

    mask: np.ndarray | None  # None: every section (a query of filters only)
    terms: list[tuple[str, str, float]] = field(default_factory=list)
    highlight: set[str] = field(default_factory=set)
    #: reading-field terms the query scored (a kana query): highlighted through the reading chain
    readings: set[str] = field(default_factory=set)
    #: the node analyzed to nothing (only particles or symbols): it neither matches nor excludes
    empty: bool = False
    #: the match is "any of the words" of natural-language text (no phrase, field or operator):
    #: sections sharing only character bigrams may follow the matches when they are too few
    fill: bool = False
    #: the kind of answer a prose question asks for (:mod:`mofasearch.analysis.answertypes`)
    answer_kind: str | None = None


class Compiler:
    """Evaluates one parsed query against one snapshot."""

    def __init__(
        self, snapshot: Snapshot, schema: Any, config: RankingConfig, *, prose: bool = False
    ) -> None:
        self.snapshot = snapshot
        self.schema = schema
        self.config = config
        #: the query is prose (see :func:`is_prose`): its implied ANDs only rank bare text
        self.prose = prose and config.prose_and
        self._phrases: dict[str, list[str]] = {}
        #: how many negations the node being evaluated is under (see :meth:`_eval_Text`)
        self._negated = 0

    # analysis ---------------------------------------------------------------------------------

    def _phrase_words(self, text: str) -> list[str]:
        """A quote's terms, analyzed once per query (the blank test and the phrase share them)."""
        found = self._phrases.get(text)
        if found is None:
            found = self._phrases[text] = phrase_terms(self.schema["body"].analyzer, text)
        return found

    def _terms(self, fieldname: str, text: str) -> list[str]:
        analyzer = field_analyzer(self.schema, fieldname)
        if analyzer is None:
            return []
        return [t.text for t in analyzer(text, mode="query") if t.text]

    def _word_weights(self, text: str) -> tuple[dict[str, float], dict[str, float]]:
        """Query words and their weights, and the A sub-units of its longer units that only
        score (``RankingConfig.query_subunits``: 正式 and 名称 of 正式名称 lift the sections
        that hold them, but a section is not a match for holding one of them alone).

        A sub-unit, like a synonym (``RankingConfig.synonyms``), counts ``subword_weight``, a
        question word ``question_weight``, and each word its part of speech's weight
        (``RankingConfig.pos_weights``; a synonym takes the weight of the word it expands)."""
        config = self.config
        words: dict[str, float] = {}
        subunits: dict[str, float] = {}
        asking = question_words()
        analyzer = query_analyzer(self.schema, config.synonyms)
        by_pos = pos_weight_table(analyzer, config.pos_weights)
        pending: list[Any] = []  # the sub-unit records of the query's units
        emitted: set[str] = set()  # sub-units the chain gives itself (query sub-words on)

        def weigh(term: str, morph: Any, weight: float) -> float:
            if term in asking:
                weight *= config.question_weight
            if by_pos is not None and morph is not None:
                weight *= by_pos[morph[1]]
            return weight

        for token in analyzer(text, mode="query"):
            term = token.text
            if not term:
                continue
            subword = getattr(token, "subword", False)
            morph = getattr(token, "morph", None)
            weight = weigh(term, morph, config.subword_weight if subword else 1.0)
            words[term] = words.get(term, 0.0) + weight
            if subword:
                emitted.add(term)
            elif config.query_subunits and morph is not None and morph[4]:
                pending.extend(sub for sub in morph[4] if sub[0] and sub[0] != term)
        for sub in pending:
            if sub[0] not in emitted:
                weight = weigh(sub[0], sub, config.subword_weight)
                subunits[sub[0]] = subunits.get(sub[0], 0.0) + weight
        return words, subunits

    # evaluation -------------------------------------------------------------------------------

    def evaluate(self, node: Node | None, fields: tuple[str, ...] = WORD_FIELDS) -> Evaluation:
        if node is None:
            return Evaluation(None, empty=True)
        method = getattr(self, "_eval_" + type(node).__name__, None)
        if method is None:
            raise TypeError(f"unknown query node {type(node).__name__}")
        return method(node, fields)  # type: ignore[no-any-return]

    def _empty(self) -> np.ndarray:
        return np.zeros(self.snapshot.size, dtype=bool)

    def _found(self, mask: np.ndarray | None) -> bool:
        """Whether ``mask`` holds a live section (None: every section). A deleted section stays
        in its segment's postings until a merge; it must not decide what a query means."""
        if mask is None:
            return True
        return bool(np.any(mask & self.snapshot.live) if self.snapshot.any_deleted else mask.any())

    def _weight(self, name: str) -> float:
        """A term's multiplier in a field: under BM25F the word fields' weights are inside the
        combined term frequency (:func:`mofasearch.scoring.contributions`), so there only the query weight is."""
        weight = self.config.weight(name)
        if self.config.bm25f and name in WORD_FIELDS:
            return 1.0 if weight > 0 else 0.0
        return weight

    def _scored(self, fields: tuple[str, ...]) -> tuple[str, ...]:
        """The fields of the scope that the ranking weighs (a zero weight leaves a field out)."""
        return tuple(name for name in fields if self.config.weight(name) > 0) or fields

    def _eval_Text(self, node: Text, fields: tuple[str, ...]) -> Evaluation:
        if self._negated:
            # what a negation excludes is the text as written: each space-separated item's
            # words together, as a phrase (-日露修好 keeps a section with 日露 alone), and every
            # item, as items are ANDed; never any single word or a share of bigrams
            # (-にちろ, like にちろ, also means the sections that read so)
            items = [item for item in node.text.split() if item]
            return self._combine([self._excluded(item, fields) for item in items], np.logical_and)
        fields = self._scored(fields)
        words, subunits = self._word_weights(node.text)
        # a kana text of particles only (の は) has no words, and no readings to match either:
        # は is a particle here, not 葉 or 派
        readings = self._readings(node.text, fields) if words else []
        if not words and not readings:
            return Evaluation(None, empty=True)
        result = Evaluation(self._empty())
        for term, qweight in words.items():
            for name in fields:
                self._score_and_match(result, name, term, self._weight(name) * qweight)
        for term, qweight in subunits.items():  # scored, never matched alone
            for name in fields:
                result.terms.append((name, term, self._weight(name) * qweight))
        for term in readings:
            self._score_and_match(result, "reading", term, self.config.weight("reading"))
        result.highlight.update(words)
        result.highlight.update(readings)  # a kana query is highlighted on the kanji it matched
        result.readings.update(readings)
        if set(fields) <= set(WORD_FIELDS) and len(fields) > 1:
            self._add_bigrams(node.text, result)
            result.fill = True
        return result

    def _readings(self, text: str, fields: tuple[str, ...]) -> list[str]:
        """The reading-field terms an all-kana text also matches by (none for other text)."""
        if (
            set(fields) <= set(WORD_FIELDS)
            and len(fields) > 1
            and _KANA.match(unicodedata.normalize("NFKC", text))
            and self.config.weight("reading") > 0
        ):
            return list(dict.fromkeys(self._terms("reading", text)))
        return []

    def _excluded(self, item: str, fields: tuple[str, ...]) -> Evaluation:
        """What a negated item excludes: its words as a phrase, or, for kana, every reading."""
        result = self._eval_Phrase(Phrase(item), fields)
        readings = self._readings(item, self._scored(fields)) if not result.empty else []
        if readings:
            mask = self._empty() if result.mask is None else result.mask
            mask[self._holding("reading", readings)] = True
            result.mask, result.empty = mask, False
        return result

    def _score_and_match(self, result: Evaluation, name: str, term: str, weight: float) -> None:
        assert result.mask is not None
        result.terms.append((name, term, weight))
        ids, _ = contributions(self.snapshot, name, term, self.config)
        result.mask[ids] = True

    def _add_bigrams(self, text: str, result: Evaluation) -> None:
        """Bigrams always add a little score; they match alone only when no word does."""
        assert result.mask is not None
        bigrams = list(dict.fromkeys(self._terms("bigram", text)))
        weight = self.config.weight("bigram")
        if not bigrams or weight <= 0:
            return
        for term in bigrams:
            result.terms.append(("bigram", term, weight))
        if not self._found(result.mask) and self.config.bigram_fallback:
            counts = np.zeros(self.snapshot.size, dtype=np.int32)
            for term in bigrams:
                counts += self.snapshot.postings_mask("bigram", term)
            need = max(1, math.ceil(BIGRAM_MIN_SHARE * len(bigrams)))
            result.mask |= counts >= need
            result.highlight.update(bigrams)

    def _eval_Phrase(self, node: Phrase, fields: tuple[str, ...]) -> Evaluation:
        fields = self._scored(fields)
        words = self._phrase_words(node.text)
        if not words:
            return Evaluation(None, empty=True)
        mask = self._empty()
        result = Evaluation(mask)
        queries: list[wq.Query] = []
        for name in fields:
            if name not in WORD_FIELDS:
                queries.append(
                    wq.Term(name, words[0]) if len(words) == 1 else wq.Phrase(name, words)
                )
                continue
            # the sections holding every word (the postings the terms are scored from anyway):
            # a single word matches there; a phrase is asked of Whoosh's positions only in a
            # field where some section holds all its words
            held = self._holding(name, words)
            if len(words) == 1:
                mask[held] = True
            elif len(held):
                mask |= self.snapshot.query_mask_among(wq.Phrase(name, words), held)
        if queries:
            mask |= self.snapshot.query_mask(wq.Or(queries))
        for term in dict.fromkeys(words):
            for name in fields:
                result.terms.append((name, term, self._weight(name)))
        result.highlight.update(words)
        return result

    def _holding(self, name: str, words: list[str]) -> np.ndarray:
        """Docnums (deleted ones included) whose field ``name`` holds every one of ``words``."""
        held: np.ndarray | None = None
        for term in dict.fromkeys(words):
            ids, _ = contributions(self.snapshot, name, term, self.config)
            held = ids if held is None else np.intersect1d(held, ids, assume_unique=True)
            if not len(held):
                break
        assert held is not None
        return held

    def _eval_FieldQuery(self, node: FieldQuery, fields: tuple[str, ...]) -> Evaluation:
        return self.evaluate(node.node, (node.field,))

    def _eval_Prefix(self, node: Prefix, fields: tuple[str, ...]) -> Evaluation:
        prefix = self._prefix_text(node.text)
        scope = (node.field,) if node.field else fields
        result = Evaluation(self._empty())
        if not prefix:
            return Evaluation(None, empty=True)
        splits = self._prefix_splits(node.text)
        for name in scope:
            self._expand(result, name, prefix)
            for lead, rest in splits:
                self._expand(result, name, rest, lead)
        return result

    def _prefix_splits(self, text: str) -> list[tuple[list[str], str]]:
        """A stem the analyzer splits into words (首脳会談*, 平和条*) is no term's start: the
        text holds some of its words whole and in a row, then a word starting with the rest.
        Each such reading as (words, prefix): プーチン大統 is プーチン + 大統… or プーチン 大 + 統…"""
        units: list[tuple[str, int]] = []
        last = None
        for token in self.schema["body"].analyzer(text, positions=True, chars=True, mode="query"):
            if token.pos != last:
                units.append((token.text, token.startchar))
                last = token.pos
        splits = []
        for k in range(1, len(units)):
            rest = self._prefix_text(text[units[k][1] :])
            if rest:
                splits.append(([word for word, _ in units[:k]], rest))
        return splits

    def _expand(
        self, result: Evaluation, name: str, prefix: str, lead: list[str] | None = None
    ) -> None:
        """Match and score the terms of ``name`` starting with ``prefix`` (right after the words
        ``lead``, when given). The cap bounds the scoring, not the match: a section holding
        only a word past it still starts with the prefix (and a negated prefix excludes it)."""
        assert result.mask is not None
        terms = self.snapshot.expand_prefix(name, prefix, MAX_PREFIX_TERMS + 1)
        if not terms:
            return
        weight, scored = self._weight(name), terms[:MAX_PREFIX_TERMS]
        if not lead:
            for term in scored:
                self._score_and_match(result, name, term, weight)
            if len(terms) > MAX_PREFIX_TERMS:
                result.mask |= self.snapshot.query_mask(wq.Prefix(name, prefix))
        else:
            held = self._holding(name, lead)
            if len(held):
                sequence = wq.Sequence([*(wq.Term(name, w) for w in lead), wq.Prefix(name, prefix)])
                result.mask |= self.snapshot.query_mask_among(sequence, held)
            result.terms.extend((name, term, weight) for term in [*dict.fromkeys(lead), *scored])
            result.highlight.update(lead)
        result.highlight.update(scored)

    def _prefix_text(self, text: str) -> str:
        terms = self._terms("body", text)
        if len(terms) == 1:
            return terms[0]
        return unicodedata.normalize("NFKC", text).lower()

    def _eval_SectionFilter(self, node: SectionFilter, fields: tuple[str, ...]) -> Evaluation:
        return Evaluation(self.snapshot.postings_mask("section_tree", node.number))

    def _eval_CategoryFilter(self, node: CategoryFilter, fields: tuple[str, ...]) -> Evaluation:
        return Evaluation(category_mask(self.snapshot, node.name))

    def _eval_DateFilter(self, node: DateFilter, fields: tuple[str, ...]) -> Evaluation:
        return Evaluation(date_mask(self.snapshot, node.since, node.until))

    def _eval_Not(self, node: Not, fields: tuple[str, ...]) -> Evaluation:
        self._negated += 1
        try:
            inner = self.evaluate(node.child, fields)
        finally:
            self._negated -= 1
        if inner.empty:
            return inner
        mask = self._empty() if inner.mask is None else ~inner.mask
        return Evaluation(mask)

    def _eval_And(self, node: And, fields: tuple[str, ...]) -> Evaluation:
        if self.prose:
            children = [self._blank_as_text(c) for c in node.children]
            return self._prose_and(children, [self.evaluate(c, fields) for c in children])
        return self._combine([self.evaluate(c, fields) for c in node.children], np.logical_and)

    def _blank_as_text(self, node: Node) -> Node:
        """A quote of question words only (「何」) is the blank a question asks to fill: text."""
        if isinstance(node, Phrase):
            words = self._phrase_words(node.text)
            if words and question_words().issuperset(words):
                return Text(node.text)
        return node

    def _prose_and(self, children: list[Node], parts: list[Evaluation]) -> Evaluation:
        """MUST the phrases, SHOULD the bare text (Lucene's BooleanQuery): see the module doc."""
        kept = [
            (isinstance(child, Text) or not self._found(part.mask), part)
            for child, part in zip(children, parts, strict=True)
            if not part.empty
        ]
        if not kept:
            return Evaluation(None, empty=True)
        must = [part for soft, part in kept if not soft]
        if not must:
            result = self._combine([part for _, part in kept], np.logical_or)
            result.fill = all(part.fill for _, part in kept)
            return result
        result = self._combine(must, np.logical_and)
        for soft, part in kept:
            if soft:
                result.terms.extend(part.terms)
                result.highlight |= part.highlight
                result.readings |= part.readings
        return result

    def _eval_Or(self, node: Or, fields: tuple[str, ...]) -> Evaluation:
        return self._combine([self.evaluate(c, fields) for c in node.children], np.logical_or)

    def _combine(self, parts: list[Evaluation], op: Any) -> Evaluation:
        """AND/OR of the parts; parts that analyzed to nothing are left out of both."""
        parts = [part for part in parts if not part.empty]
        if not parts:
            return Evaluation(None, empty=True)
        result = Evaluation(None)
        for part in parts:
            if part.mask is not None:  # None: every section (a filter-free AND part)
                mask = part.mask
                result.mask = mask.copy() if result.mask is None else op(result.mask, mask)
            result.terms.extend(part.terms)
            result.highlight |= part.highlight
            result.readings |= part.readings
        return result


def is_prose(text: str) -> bool:
    """Whether a query uses no operator: only words, quoted phrases and parentheses, and no
    prefix ``*`` (then its implied ANDs come from punctuation, not from the user)."""
    from mofasearch.query import lexer

    return lexer.is_prose(lexer.tokenize(text))


def category_mask(snapshot: Snapshot, name: str) -> np.ndarray:
    """Sections of documents whose category is ``name`` or holds it as part of its path: a MOFA
    page's category is its breadcrumb trail (``会談・訪問 › 小泉総理大臣``), so
    ``会談・訪問``, ``小泉総理大臣`` and the whole trail all select it."""
    columns = snapshot.columns
    wanted = category_parts(name)
    codes = [
        code
        for code, category in enumerate(columns["category_names"])
        if category and _holds_run(category_parts(category), wanted)
    ]
    if not wanted or not codes:
        return np.zeros(snapshot.size, dtype=bool)
    return np.isin(columns["category"], codes)  # type: ignore[no-any-return]


#: what separates the levels of a category path (the MOFA parser joins breadcrumbs with " › ")
_CATEGORY_LEVELS = re.compile(r"\s*[›>＞]\s*")


def category_parts(category: str) -> tuple[str, ...]:
    """The levels of a category path, compared width- and space-insensitively (NFKC, no spaces)."""
    text = unicodedata.normalize("NFKC", category)
    parts = ("".join(part.split()) for part in _CATEGORY_LEVELS.split(text))
    return tuple(part for part in parts if part)


def _holds_run(parts: tuple[str, ...], wanted: tuple[str, ...]) -> bool:
    """Whether ``wanted`` is a run of consecutive levels of ``parts``."""
    n = len(wanted)
    return any(parts[i : i + n] == wanted for i in range(len(parts) - n + 1))


def date_mask(snapshot: Snapshot, since: Any, until: Any) -> np.ndarray:
    """Sections of documents dated within [since, until]; undated documents never match."""
    dates = snapshot.columns["date"]
    mask = dates > 0
    if since is not None:
        mask &= dates >= _datenum(since)
    if until is not None:
        mask &= dates <= _datenum(until)
    return mask  # type: ignore[no-any-return]


def _datenum(value: Any) -> int:
    return int(value.year * 10000 + value.month * 100 + value.day)
