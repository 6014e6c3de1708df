"""Ranking-quality metrics over binary relevance: pure functions.

Definitions follow trec_eval: reciprocal rank of the first relevant hit within the cut-off,
nDCG with gain 1 per relevant hit and a log2(rank + 1) discount (Järvelin & Kekäläinen 2002),
recall as the share of relevant items found within the cut-off.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence


def _check(relevant: Collection[str]) -> None:
    if not relevant:
        raise ValueError("a question needs at least one relevant id")


def reciprocal_rank(ranked: Sequence[str], relevant: Collection[str], k: int = 10) -> float:
    _check(relevant)
    for rank, item in enumerate(ranked[:k], start=1):
        if item in relevant:
            return 1.0 / rank
    return 0.0


def ndcg(ranked: Sequence[str], relevant: Collection[str], k: int = 10) -> float:
    _check(relevant)
    seen: set[str] = set()
    dcg = 0.0
    for rank, item in enumerate(ranked[:k], start=1):
        if item in relevant and item not in seen:  # a duplicate hit earns nothing twice
            seen.add(item)
            dcg += 1.0 / math.log2(rank + 1)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(k, len(relevant)) + 1))
    return dcg / ideal


def recall(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    _check(relevant)
    return len(set(ranked[:k]) & set(relevant)) / len(relevant)


def evaluate(
    runs: Mapping[str, Sequence[str]], qrels: Mapping[str, Collection[str]]
) -> dict[str, float]:
    """Mean MRR@10, nDCG@10, Recall@10 and Recall@100 over the questions in ``qrels``.

    A question missing from ``runs`` counts as an empty ranking (zero), never as skipped.
    """
    if not qrels:
        raise ValueError("no questions to evaluate")
    totals = {"mrr@10": 0.0, "ndcg@10": 0.0, "recall@10": 0.0, "recall@100": 0.0}
    for qid, relevant in qrels.items():
        ranked = runs.get(qid, ())
        totals["mrr@10"] += reciprocal_rank(ranked, relevant, 10)
        totals["ndcg@10"] += ndcg(ranked, relevant, 10)
        totals["recall@10"] += recall(ranked, relevant, 10)
        totals["recall@100"] += recall(ranked, relevant, 100)
    return {name: value / len(qrels) for name, value in totals.items()}
