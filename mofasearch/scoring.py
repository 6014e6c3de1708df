"""BM25F scoring: the formulas, their settings, and Whoosh's own version of them.

The word fields (title, heading, body) are scored with BM25F proper, one saturation per term
over their weighted, length-normalized term frequencies (:mod:`mofasearch.bm25f`). The other
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
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from whoosh.scoring import BaseScorer, WeightingModel

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
    ``bm25f_k1`` (:mod:`mofasearch.bm25f`); off, each field is saturated and weighted alone
    (then :data:`PER_FIELD_WEIGHTS` are the default weights).
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

    def __post_init__(self) -> None:
        if self.weights is None:
            object.__setattr__(
                self, "weights", DEFAULT_WEIGHTS if self.bm25f else PER_FIELD_WEIGHTS
            )
        for name in ("weights", "k1", "b"):
            object.__setattr__(self, name, _pairs(getattr(self, name)))
        # lookups used per query term: plain dicts, derived from the fields above
        object.__setattr__(self, "_weight", dict(self.weights))
        object.__setattr__(self, "_k1", dict(self.k1))
        object.__setattr__(self, "_b", dict(self.b))

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
