"""BM25F scoring: the formulas, their settings, and Whoosh's own version of them.

The word fields (title, heading, body) are scored with BM25F proper, one saturation per term
over their weighted, length-normalized term frequencies (:func:`contributions`, at the end). The other
fields (bigram, reading: different term spaces), and the word fields when ``bm25f`` is off, use
the per-field form Whoosh calls BM25F (Robertson, Zaragoza & Taylor, "Simple BM25 extension to
multiple weighted fields", CIKM 2004, simplified as in Whoosh): every (field, term) pair of the
query contributes

    weight(field) * query_weight(term) * idf(term, field) * tf * (k1 + 1) / (tf + k1 * norm)
    norm = (1 - b) + b * field_length / avg_field_length

with the Lucene/Robertson–Spärck Jones idf ``log(1 + (N - n + 0.5) / (n + 0.5))`` (always
positive), per-field ``k1`` and ``b``, ``N`` = Whoosh's ``doc_count_all()`` and ``n`` its
``doc_frequency`` (both count deleted sections until a merge drops them, as Whoosh does), and
``field_length`` the lossy one-byte length Whoosh stores per document.

The fast path (:mod:`mofasearch.search`) evaluates these with numpy; :class:`WhooshBM25F` is the
same model as a Whoosh ``WeightingModel``, the reference the fast path is tested against.
"""

from __future__ import annotations

import math
import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from whoosh.scoring import BaseScorer, WeightingModel

from mofasearch.schema import WORD_FIELDS

#: the text fields a query is scored against, and their default weights. For the word fields
#: (BM25F) a weight multiplies the field's term frequency: one occurrence in a heading counts as
#: three in the body, one in the title as two (the title is on every section of a document, so
#: it lifts the whole page when a question names its subject, and the body picks the section).
#: For the others it multiplies the score: the bigram field is the recall aid for segmentation
#: differences, the reading field only serves kana queries. Chosen on JaQuAD, JSQuAD and
#: lawqa_jp dev questions together (benchmarks/RESULTS.md, "Ranking ablations"), not per query.
DEFAULT_WEIGHTS = (
    ("title", 2.0),
    ("heading", 3.0),
    ("body", 1.0),
    ("bigram", 0.4),
    ("reading", 0.5),
)
#: the same fields weighted as scores, for the per-field sum (``bm25f=False``), as tuned for it
PER_FIELD_WEIGHTS = (
    ("title", 0.75),
    ("heading", 1.5),
    ("body", 1.0),
    ("bigram", 0.4),
    ("reading", 0.5),
)
#: query words weighted by what their part of speech says of them (Lioma & Blanco, "Part of
#: speech based term weighting for information retrieval", ECIR 2009): names and numbers pin a
#: question to its passage; verbs are the words a question most often paraphrases
#: (建てられた / 建設された), and pronouns and adverb-like nouns (時, 今, 最初) say little of
#: the topic. A tag is a prefix of Sudachi's part of speech; the longest one that matches wins.
#: Chosen on JaQuAD, JSQuAD and lawqa_jp together (benchmarks/RESULTS.md, "Ranking ablations").
DEFAULT_POS_WEIGHTS = (
    ("名詞,固有名詞", 1.5),
    ("名詞,数詞", 1.5),
    ("動詞", 0.5),
    ("代名詞", 0.5),
    ("名詞,普通名詞,副詞可能", 0.5),
)
#: short passages saturate term frequency early: a lower k1 for body and bigrams
DEFAULT_K1 = (("title", 1.2), ("heading", 1.2), ("body", 0.5), ("bigram", 0.5))
#: length normalization per field; BM25F applies these to each word field's term frequency
DEFAULT_B = (("title", 0.3), ("heading", 0.5))

Pairs = tuple[tuple[str, float], ...]


def _pairs(value: Any) -> Pairs:
    items = value.items() if isinstance(value, Mapping) else value
    return tuple(sorted((str(k), float(v)) for k, v in items))


@dataclass(frozen=True)
class RankingConfig:
    """Settings of the ranking function, so that ablations can be run without code changes.

    ``weights`` maps a field to its BM25F weight (a field left out is not scored);
    ``k1``/``b`` map a field to its own parameter, falling back to ``default_k1``/``default_b``.
    Mappings or (field, value) pairs are accepted; they are kept as sorted pairs so the
    config is hashable and pickles. ``question_weight`` scales query words that only ask
    (何, 誰, どこ ...). ``bm25f`` combines the word fields per term before one saturation with
    ``bm25f_k1`` (:func:`contributions`); off, each field is saturated and weighted alone
    (then :data:`PER_FIELD_WEIGHTS` are the default weights). ``answer_type_weight`` lifts the
    sections holding the kind of word a question asks for (a factor, so the order among them
    and among the others is BM25F's). ``pos_weights`` scales a query word by its part of speech
    (Sudachi's, as a comma-separated prefix: ``{"名詞,固有名詞": 1.5, "動詞": 0.5}``).
    ``synonyms`` are synonym files expanded in queries (:mod:`mofasearch.analysis.synonyms`).
    """

    #: None: the weights tuned for the scoring chosen by ``bm25f`` (for the word fields, BM25F
    #: weights multiply term frequencies and per-field weights multiply scores)
    weights: Pairs = None  # type: ignore[assignment]
    k1: Pairs = DEFAULT_K1
    b: Pairs = DEFAULT_B
    default_k1: float = 1.2
    default_b: float = 0.75
    question_weight: float = 0.2
    #: weight of a query word's A sub-units (北方/領土 of 北方領土) relative to the unit
    subword_weight: float = 0.5
    #: a query's longer units score their A sub-units too (at ``subword_weight``); a sub-unit
    #: only ranks the sections the query matches, it never makes a match alone
    query_subunits: bool = True
    #: when the word fields match nothing, score by bigrams alone (the recall fallback)
    bigram_fallback: bool = True
    #: when the words of a natural-language query match fewer sections than a page holds,
    #: sections sharing only character bigrams follow them (:func:`mofasearch.search.fill_candidates`)
    bigram_fill: bool = True
    #: BM25F proper over title, heading and body (one saturation per term), and its k1
    bm25f: bool = True
    bm25f_k1: float = 0.5
    #: a query written as prose (no operators) requires its phrases, and only ranks its bare
    #: text items instead of requiring a word of each (see :mod:`mofasearch.compile`)
    prose_and: bool = True
    #: a question written as prose that asks for a kind of answer (いつ: a date, 誰: a person,
    #: どこ: a place, いくつ/何人: a number; :mod:`mofasearch.analysis.answertypes`) scores the
    #: sections whose body holds a word of that kind ``1 + answer_type_weight`` times; 0: off
    answer_type_weight: float = 0.1
    #: a query word's weight by its part of speech (:data:`DEFAULT_POS_WEIGHTS`); empty: off
    pos_weights: Pairs = DEFAULT_POS_WEIGHTS
    #: synonym files (``a, b, c`` lines or SudachiDict's ``synonyms.txt``): a query word also
    #: matches its synonyms, which score at ``subword_weight``; quoted phrases stay verbatim.
    #: Query time only, so no re-index; an edited file applies from the next search. Kept as
    #: absolute paths: a process that changes its working directory still finds them
    synonyms: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        paths = (self.synonyms,) if isinstance(self.synonyms, str | os.PathLike) else self.synonyms
        object.__setattr__(self, "synonyms", tuple(os.path.abspath(p) for p in paths))
        if self.weights is None:
            object.__setattr__(
                self, "weights", DEFAULT_WEIGHTS if self.bm25f else PER_FIELD_WEIGHTS
            )
        for name in ("weights", "k1", "b", "pos_weights"):
            object.__setattr__(self, name, _pairs(getattr(self, name)))
        self._check_values()
        # lookups used per query term: plain dicts, derived from the fields above
        object.__setattr__(self, "_weight", dict(self.weights))
        object.__setattr__(self, "_k1", dict(self.k1))
        object.__setattr__(self, "_b", dict(self.b))
        # what keys the per-snapshot cache of BM25F contributions (asked for per query term)
        fields = tuple(name for name in WORD_FIELDS if self.weight(name) > 0)
        object.__setattr__(self, "_word_fields", fields)
        object.__setattr__(
            self,
            "_bm25f_key",
            (self.bm25f_k1, tuple((f, self.weight(f), self.field_b(f)) for f in fields)),
        )

    def _check_values(self) -> None:
        """A ValueError for a setting BM25 cannot take: a negative k1 can divide by zero (a
        score of inf or NaN, which no order can sort), a b outside 0..1 gives negative length
        norms, a negative weight ranks the best matches last."""
        scalars = {
            "default_k1": self.default_k1,
            "bm25f_k1": self.bm25f_k1,
            "default_b": self.default_b,
            "question_weight": self.question_weight,
            "subword_weight": self.subword_weight,
            "answer_type_weight": self.answer_type_weight,
        }
        values = list(scalars.items())
        values += [
            (f"{name}[{key!r}]", v)
            for name in ("weights", "k1", "b", "pos_weights")
            for key, v in getattr(self, name)
        ]
        for name, value in values:
            bounded = name.startswith(("b[", "default_b"))
            if not math.isfinite(value) or value < 0 or (bounded and value > 1):
                span = "between 0 and 1" if bounded else "a finite number, 0 or more"
                raise ValueError(f"RankingConfig: {name} must be {span}, not {value!r}")

    def weight(self, fieldname: str) -> float:
        return self._weight.get(fieldname, 0.0)  # type: ignore[attr-defined,no-any-return]

    def field_k1(self, fieldname: str) -> float:
        return self._k1.get(fieldname, self.default_k1)  # type: ignore[attr-defined,no-any-return]

    def field_b(self, fieldname: str) -> float:
        return self._b.get(fieldname, self.default_b)  # type: ignore[attr-defined,no-any-return]


def rsj_idf(doc_count: int, doc_frequency: int) -> float:
    """Robertson–Spärck Jones idf as in Lucene's BM25: ``log(1 + (N - n + 0.5) / (n + 0.5))``."""
    return math.log(1.0 + (doc_count - doc_frequency + 0.5) / (doc_frequency + 0.5))


def bm25_tf(tf: Any, length: Any, avg_length: float, k1: float, b: float) -> Any:
    """BM25's saturated term frequency; works on numbers and on numpy arrays alike."""
    norm = k1 * ((1.0 - b) + b * length / avg_length)
    return tf * (k1 + 1.0) / (tf + norm)


#: Whoosh's decoding of its one-byte field lengths, as an array indexed by the byte
def byte_length_table() -> np.ndarray:
    from whoosh.util.numeric import byte_to_length

    table = np.array([byte_to_length(i) for i in range(256)], dtype=np.float64)
    return table


class WhooshBM25F(WeightingModel):
    """The same BM25F as a Whoosh weighting model (the reference path of the tests)."""

    def __init__(self, config: RankingConfig) -> None:
        self.config = config

    def supports_block_quality(self) -> bool:
        return False

    def idf(self, searcher: Any, fieldname: str, text: Any) -> float:
        parent = searcher.get_parent()
        return rsj_idf(parent.doc_count_all(), parent.doc_frequency(fieldname, text))

    def scorer(self, searcher: Any, fieldname: str, text: Any, qf: int = 1) -> BaseScorer:
        return _WhooshBM25FScorer(searcher, fieldname, text, self)


class _WhooshBM25FScorer(BaseScorer):
    def __init__(self, searcher: Any, fieldname: str, text: Any, model: WhooshBM25F) -> None:
        parent = searcher.get_parent()
        self.idf = model.idf(searcher, fieldname, text)
        self.avgfl = parent.avg_field_length(fieldname) or 1
        self.k1 = model.config.field_k1(fieldname)
        self.b = model.config.field_b(fieldname)
        self.searcher = searcher
        self.fieldname = fieldname

    def score(self, matcher: Any) -> float:
        length = self.searcher.doc_field_length(matcher.id(), self.fieldname, 1)
        return self.idf * bm25_tf(matcher.weight(), length, self.avgfl, self.k1, self.b)


# BM25F proper over the word fields ----------------------------------------------------------
#
# BM25F over the word fields: one saturation per term, not one per field.
#
# Summing a BM25 score per field (Whoosh's "BM25F") saturates each field on its own, so a term
# that is in a section's title *and* its body is counted twice, near-fully each time. Robertson,
# Zaragoza & Taylor ("Simple BM25 extension to multiple weighted fields", CIKM 2004) show why
# that is wrong and give the fix: weight and length-normalize each field's term frequency, add
# them, and saturate the sum once:
#
#     tf~(t, d) = sum over fields f of  weight(f) * tf(t, f, d) / ((1 - b_f) + b_f * len(f, d) / avglen(f))
#     score(t, d) = idf(t) * tf~ * (k1 + 1) / (tf~ + k1)
#     idf(t) = log(1 + (N - n + 0.5) / (n + 0.5)),  n = sections holding t in any word field
#
# (Zaragoza et al., "Microsoft Cambridge at TREC-13: Web and HARD tracks", 2004, per-field ``b``).
# This is what lets the title be credited to every section of a page without drowning the body:
# a page's subject word, present in the title of every sibling section, is already near
# saturation, so repeating it in one section's body adds little, and the words that tell the
# sections apart decide. Measured on JaQuAD, JSQuAD and lawqa_jp it is the largest single gain
# over the per-field sum (see benchmarks/RESULTS.md, "Ranking ablations").
#
# For the fast path, a term's BM25F score is split over the fields in proportion to each field's
# part of ``tf~``, so every (field, term) pair still has one contributions array (what the
# accumulator and ``Index.explain`` read) and their sum is exactly the formula above. Arrays are
# cached per snapshot, like :meth:`Snapshot.contributions`, keyed by the term and the settings.

#: bytes of BM25F contribution arrays kept per snapshot
MAX_BM25F_BYTES = 64 * 1024 * 1024

Arrays = tuple[np.ndarray, np.ndarray]
_EMPTY: Arrays = (np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float64))


class _Cache:
    def __init__(self) -> None:
        self.items: OrderedDict[tuple[Any, ...], dict[str, Arrays]] = OrderedDict()
        self.bytes = 0
        self.lock = threading.Lock()


_CACHES: weakref.WeakKeyDictionary[Any, _Cache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def contributions(snapshot: Any, fieldname: str, text: str, config: RankingConfig) -> Arrays:
    """Global docnums holding (field, term) and the term's score share from that field.

    Word fields under BM25F get their share of the combined score (field weight included);
    any other field, a word field of weight 0 (still matched, never scored), or ``config.bm25f``
    off, gets the snapshot's per-field BM25.
    """
    if not config.bm25f or fieldname not in WORD_FIELDS or config.weight(fieldname) <= 0:
        return snapshot.contributions(fieldname, text, config)  # type: ignore[no-any-return]
    return term_fields(snapshot, text, config).get(fieldname, _EMPTY)


def word_fields(config: RankingConfig) -> tuple[str, ...]:
    """The word fields BM25F combines: those with a positive weight."""
    return config._word_fields  # type: ignore[attr-defined,no-any-return]


def _key(text: str, config: RankingConfig) -> tuple[Any, ...]:
    return (text, *config._bm25f_key)  # type: ignore[attr-defined]


def _cache(snapshot: Any) -> _Cache:
    with _CACHES_LOCK:
        found = _CACHES.get(snapshot)
        if found is None:
            found = _CACHES[snapshot] = _Cache()
        return found


def term_fields(snapshot: Any, text: str, config: RankingConfig) -> dict[str, Arrays]:
    """Per word field: (docnums, share of the term's BM25F score), cached per snapshot."""
    cache = _cache(snapshot)
    key = _key(text, config)
    with cache.lock:
        found = cache.items.get(key)
        if found is not None:
            cache.items.move_to_end(key)
            return found
    found = _compute(snapshot, text, config)
    size = sum(ids.nbytes + parts.nbytes for ids, parts in found.values())
    with cache.lock:
        if key not in cache.items:
            cache.items[key] = found
            cache.bytes += size
        while cache.bytes > MAX_BM25F_BYTES and len(cache.items) > 1:
            _, dropped = cache.items.popitem(last=False)
            cache.bytes -= sum(ids.nbytes + parts.nbytes for ids, parts in dropped.values())
    return found


def _normalized_tf(snapshot: Any, fieldname: str, text: str, b: float) -> Arrays:
    """(global docnums, tf / length norm) of the term in one field, deleted sections included."""
    ids, tf = snapshot.leaf_postings(fieldname, text)
    if not len(ids):
        return _EMPTY
    return ids, tf.astype(np.float64) / snapshot.length_norms(fieldname, b)[ids]


def _compute(snapshot: Any, text: str, config: RankingConfig) -> dict[str, Arrays]:
    per_field: dict[str, Arrays] = {}
    for name in word_fields(config):
        ids, x = _normalized_tf(snapshot, name, text, config.field_b(name))
        if len(ids):
            per_field[name] = (ids, config.weight(name) * x)
    if not per_field:
        return {}
    k1 = config.bm25f_k1
    if len(per_field) == 1:  # one field: its weighted tf is the combined one
        ((name, (ids, x)),) = per_field.items()
        idf = rsj_idf(snapshot.size, len(ids))
        return {name: (ids, x * (idf * (k1 + 1.0) / (x + k1)))}
    all_ids = np.concatenate([ids for ids, _ in per_field.values()])
    docs, inverse = np.unique(all_ids, return_inverse=True)
    combined = np.bincount(inverse, np.concatenate([x for _, x in per_field.values()]))
    idf = rsj_idf(snapshot.size, len(docs))
    # score / tf~ per document: each field's share is its weighted tf times this factor
    factor = idf * (k1 + 1.0) / (combined + k1)
    out: dict[str, Arrays] = {}
    start = 0
    for name, (ids, x) in per_field.items():
        rows = inverse[start : start + len(ids)]
        start += len(ids)
        out[name] = (ids, x * factor[rows])
    return out


def reference_scores(
    searcher: Any, terms: list[tuple[str, str, float]], config: RankingConfig
) -> dict[int, float]:
    """BM25F scores of (word field, term, query weight) triples, read through Whoosh's own
    reader API (its postings, its one-byte field lengths, its statistics): the reference the
    fast path is tested against. Each triple adds its field's share of the term's score."""
    reader = searcher.reader()
    n = reader.doc_count_all()
    k1 = config.bm25f_k1
    scores: dict[int, float] = {}
    for text in dict.fromkeys(t for _, t, _ in terms):
        parts: dict[str, dict[int, float]] = {}
        for name in word_fields(config):
            b = config.field_b(name)
            avgfl = searcher.avg_field_length(name) or 1.0
            found = parts[name] = {}
            for doc, tf, length in _whoosh_postings(reader, name, text):
                norm = (1.0 - b) + b * length / avgfl
                found[doc] = config.weight(name) * tf / norm
        combined: dict[int, float] = {}
        for found in parts.values():
            for doc, x in found.items():
                combined[doc] = combined.get(doc, 0.0) + x
        if not combined:
            continue
        idf = rsj_idf(n, len(combined))
        for name, term, weight in terms:
            if term != text:
                continue
            for doc, x in parts.get(name, {}).items():
                share = weight * x * idf * (k1 + 1.0) / (combined[doc] + k1)
                scores[doc] = scores.get(doc, 0.0) + share
    return scores


def _whoosh_postings(reader: Any, fieldname: str, text: str) -> Any:
    """(global docnum, tf, field length) of every posting, deleted sections included: Whoosh
    counts them in its statistics until a merge drops them, and so does the fast path."""
    from whoosh.reading import TermNotFound

    for leaf, offset in reader.leaf_readers():
        if fieldname not in leaf.schema or (fieldname, text) not in leaf:
            continue
        fmt = leaf.schema[fieldname].format
        try:
            matcher = leaf._terms.matcher(fieldname, leaf._text_to_bytes(fieldname, text), fmt)
        except TermNotFound:
            continue
        while matcher.is_active():
            doc = matcher.id()
            yield offset + doc, matcher.weight(), leaf.doc_field_length(doc, fieldname, 1)
            matcher.next()
