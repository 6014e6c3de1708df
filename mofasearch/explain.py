"""``Index.explain``: which terms in which fields gave a section its score.

It evaluates the query exactly as a search does (same compiler, same cached contributions), then
reads off, for the one section, each (field, term) contribution: the BM25 part
``idf * tf * (k1 + 1) / (tf + k1 * norm)`` and the weight it was multiplied by. The lines sum
to the hit's score, times the answer-type factor when the question asks for a kind of word the
section holds (:attr:`~mofasearch.scoring.RankingConfig.answer_type_weight`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mofasearch.scoring import RankingConfig, contributions
from mofasearch.search import (
    SearchRequest,
    accumulate,
    answer_factor,
    evaluate,
    fill_candidates,
    fill_needed,
)
from mofasearch.snapshot import Snapshot


def explain(
    snapshot: Snapshot, schema: Any, query: str, section_id: str, config: RankingConfig
) -> str:
    with snapshot.lock:
        docnum = snapshot.searcher.document_number(section_id=section_id)
    if docnum is None or not snapshot.live[docnum]:
        return f"{section_id}: no such section in the index"
    mask, result = evaluate(snapshot, schema, SearchRequest(query), config)
    merged: dict[tuple[str, str], float] = {}
    for fieldname, text, weight in result.terms:
        merged[(fieldname, text)] = merged.get((fieldname, text), 0.0) + weight
    lines = []
    total = 0.0
    for (fieldname, text), weight in merged.items():
        ids, contrib = contributions(snapshot, fieldname, text, config)
        where = np.flatnonzero(ids == docnum)
        if not len(where):
            continue
        part = float(contrib[where[0]])
        total += weight * part
        lines.append((weight * part, fieldname, text, weight, part))
    lines.sort(key=lambda line: -line[0])
    matched = "matches" if result.empty is False and mask[docnum] else "does not match"
    factor = answer_factor(snapshot, result, config)
    # a question with few matches is followed by sections that share only its characters
    follows = (
        matched != "matches"
        and total > 0
        and _follows(snapshot, query, docnum, mask, result, config, factor)
    )
    times = 1.0 if factor is None else float(factor[docnum])
    if times != 1.0:
        head = (
            f"{section_id} {matched} {query!r}: score {total * times:.4f} = {times:g} (the "
            f"question asks for a {result.answer_kind}, the section holds one) x the sum of"
        )
    else:
        head = f"{section_id} {matched} {query!r}: score {total:.4f} = sum of"
    body = [
        f"  {score:8.4f}  {fieldname}:{text}  (weight {weight:g} x bm25 {part:.4f})"
        for score, fieldname, text, weight, part in lines
    ]
    if not body:
        body = ["  (no query term occurs in this section)"]
    if follows:
        body.append("  (it shares only character bigrams: a search lists it after the matches)")
    return "\n".join([head, *body])


def _follows(
    snapshot: Snapshot,
    query: str,
    docnum: int,
    mask: np.ndarray,
    result: Any,
    config: RankingConfig,
    factor: np.ndarray | None,
) -> bool:
    """Whether a search for ``query`` lists the section after its matches, grouped by document
    or not: only the best of the sections sharing its bigrams follow
    (:data:`~mofasearch.search.FILL_UNITS`), and a
    grouped search leaves out the documents already matched."""
    scores: np.ndarray | None = None
    for grouped in (False, True):
        request = SearchRequest(query, group_by_document=grouped)
        if not fill_needed(snapshot, request, result, mask, config):
            continue
        if scores is None:
            scores = accumulate(snapshot, result.terms, config)
            if factor is not None:
                scores = scores * factor
        if np.any(fill_candidates(snapshot, request, result, mask, scores, config) == docnum):
            return True
    return False
