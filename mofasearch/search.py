"""Ranked search over a snapshot: numpy BM25F, filters, grouping, facets, frozen hits.

The common case never goes through Whoosh matchers. A query is evaluated by
:mod:`mofasearch.compile` to a boolean mask (which sections match) and scoring terms; each
term's BM25F contributions come from the snapshot's cache and are added into one dense float64
accumulator; deleted sections and filters are masked out; the top of the ranking is chosen with
``argpartition`` and then ordered by (score desc, section id) so ties and paging are stable.

Grouping by document takes a window of the best sections, keeps the first (best) section of
each document, and widens the window until enough documents are found; a document's other
matching sections come from one vector compare per hit. ``total`` and ``facets`` are computed
with ``bincount``/``unique`` over the whole mask.

:func:`reference_search` scores the same terms through Whoosh's own searcher with
:class:`~mofasearch.scoring.WhooshBM25F`; the tests check both agree.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from mofasearch.analysis.answertypes import question_type
from mofasearch.compile import Compiler, category_mask, date_mask, is_prose
from mofasearch.errors import QueryTimeoutError
from mofasearch.query import parse_query
from mofasearch.results import Hit, Results
from mofasearch.scoring import RankingConfig, contributions
from mofasearch.segments import ENTRY_BYTES
from mofasearch.snapshot import Snapshot

NOTHING_TO_SEARCH = "the query has no searchable words (only particles, symbols or stop words)"
SORTS = ("score", "date", "-date")


@dataclass(frozen=True)
class SearchRequest:
    query: str
    limit: int = 10
    offset: int = 0
    since: datetime.date | None = None
    until: datetime.date | None = None
    category: str | None = None
    section: str | None = None
    sort: str = "score"
    group_by_document: bool = True
    time_limit: float | None = None


def evaluate(snapshot: Snapshot, schema: Any, request: SearchRequest, config: RankingConfig):  # type: ignore[no-untyped-def]
    """The match mask (live sections only, filters applied), scoring terms and highlight set."""
    # lone surrogates cannot be index terms (nor UTF-8): same length, so positions still hold
    text = request.query.encode("utf-8", "replace").decode("utf-8")
    parsed = parse_query(text)
    prose = is_prose(text)
    compiler = Compiler(snapshot, schema, config, prose=prose)
    result = compiler.evaluate(parsed.root)
    if prose and config.answer_type_weight > 0:
        result.answer_kind = question_type(text)
    mask = np.ones(snapshot.size, dtype=bool) if result.mask is None else result.mask
    return mask & allowed(snapshot, request), result


def answer_factor(snapshot: Snapshot, result: Any, config: RankingConfig) -> np.ndarray | None:
    """Each section's score factor for the evaluated query (None: it asks for no kind of
    answer, the option is off, or no section holds a word of that kind)."""
    if result.answer_kind is None:
        return None
    return snapshot.answer_factor(result.answer_kind, config.answer_type_weight)


def allowed(snapshot: Snapshot, request: SearchRequest) -> np.ndarray:
    """Live sections that pass the request's filters (dates, category, section)."""
    mask = snapshot.live.copy()
    if request.since is not None or request.until is not None:
        mask &= date_mask(snapshot, request.since, request.until)
    if request.category is not None:
        mask &= category_mask(snapshot, request.category)
    if request.section is not None:
        mask &= snapshot.postings_mask("section_tree", request.section)
    return mask


#: a natural-language query matching fewer sections than this (documents when grouped) is
#: followed by sections sharing only character bigrams, up to this many in all
FILL_UNITS = 100


def fill_candidates(
    snapshot: Snapshot,
    request: SearchRequest,
    result: Any,
    mask: np.ndarray,
    scores: np.ndarray,
    config: RankingConfig,
) -> np.ndarray:
    """Sections that share only character bigrams with a natural-language query, to follow its
    matches when there are few (:data:`FILL_UNITS`). Words define the matches, as in any ranked
    search; but a content-poor question (次のうち、正しいものを教えてください。) may hold few
    words the answer has, and a ranked list cut short loses the answer that only shares
    characters. They come after every match (best first, or by date when sorted by date), up to
    ``FILL_UNITS`` sections (documents) in all, and count in ``total`` and the facets: which
    sections follow depends on the query alone, never on the page or the order asked for."""
    if not fill_needed(snapshot, request, result, mask, config):
        return _NONE
    matched = np.flatnonzero(mask)
    extra = np.flatnonzero((scores > 0) & ~mask & allowed(snapshot, request))
    columns = snapshot.columns
    best = extra[np.lexsort((columns["sid_rank"][extra], -scores[extra]))]
    if not request.group_by_document:
        return np.sort(best[: FILL_UNITS - len(matched)])
    doc_codes = columns["doc"]
    matched_docs = np.unique(doc_codes[matched])
    best = best[~np.isin(doc_codes[best], matched_docs)]
    codes = doc_codes[best]
    _, first = np.unique(codes, return_index=True)
    kept = codes[np.sort(first)][: FILL_UNITS - len(matched_docs)]
    return np.sort(best[np.isin(codes, kept)])


def fill_needed(
    snapshot: Snapshot, request: SearchRequest, result: Any, mask: np.ndarray, config: RankingConfig
) -> bool:
    """Whether :func:`fill_candidates` may add sections: the query asks for it and its matches
    are fewer than :data:`FILL_UNITS` sections (documents when grouped)."""
    if not (config.bigram_fill and result.fill):
        return False
    count = int(np.count_nonzero(mask))
    if count < FILL_UNITS:
        return True
    if not request.group_by_document:
        return False
    have = np.count_nonzero(np.bincount(snapshot.columns["doc"][mask]))
    return bool(have < FILL_UNITS)


_NONE = np.zeros(0, dtype=np.int64)


def accumulate(snapshot: Snapshot, terms: list[tuple[str, str, float]], config: RankingConfig):  # type: ignore[no-untyped-def]
    """BM25F scores of every section: the weighted sum of the terms' cached contributions."""
    return _dense(snapshot, scored_terms(snapshot, terms, config))


#: (docnums, weighted contributions, their maximum, bytes) of one query term
Scored = tuple[np.ndarray, np.ndarray, float, int]


def scored_terms(
    snapshot: Snapshot, terms: list[tuple[str, str, float]], config: RankingConfig
) -> list[Scored]:
    """Each distinct (field, term) of the query with its summed weight applied, and the
    term's upper bound (the largest weighted contribution); terms matching nothing left out."""
    merged: dict[tuple[str, str], float] = {}
    for fieldname, text, weight in terms:
        merged[(fieldname, text)] = merged.get((fieldname, text), 0.0) + weight
    memo = snapshot.term_memo(config)
    out = []
    for (fieldname, text), weight in merged.items():
        if weight == 0:
            continue
        key = (fieldname, text, weight)
        found = memo.get(key)
        if found is None:
            ids, contrib = contributions(snapshot, fieldname, text, config)
            parts = contrib if weight == 1.0 else contrib * weight
            bound = float(parts.max()) if len(parts) else 0.0
            # every array it holds counts (shared ones too: the memo may outlive their cache)
            size = ENTRY_BYTES + ids.nbytes + parts.nbytes
            found = (ids, parts, bound, size)
            memo.put(key, found, size)
        if len(found[0]):
            out.append(found)
    return out


def _dense(snapshot: Snapshot, scored: list[Scored]) -> np.ndarray:
    if not scored:
        return np.zeros(snapshot.size, dtype=np.float64)
    if len(scored) == 1:
        ids, parts = scored[0][0], scored[0][1]
        return np.bincount(ids, parts, minlength=snapshot.size)
    # one pass over every posting instead of one scattered add per term
    return np.bincount(
        np.concatenate([t[0] for t in scored]),
        np.concatenate([t[1] for t in scored]),
        minlength=snapshot.size,
    )


def _point_scores(scored: list[Scored], docs: np.ndarray) -> np.ndarray:
    """The summed contributions of ``scored`` at ``docs`` (sorted docnums): a binary search per
    term instead of a pass over its postings (posting docnums are sorted)."""
    out = np.zeros(len(docs), dtype=np.float64)
    for ids, parts, _, _ in scored:
        at = np.searchsorted(ids, docs)
        at[at == len(ids)] = 0
        hit = ids[at] == docs
        out[hit] += parts[at[hit]]
    return out


#: below this many postings in all, every term is simply added up: one ``bincount`` over them
#: costs 0.1-0.35 ms, less than pruning's own steps (measured on JaQuAD and on 59,999 sections:
#: pruning pays from about 100k postings, 1.2 -> 1.0 ms, the heavy tail of the larger index)
PRUNE_MIN_POSTINGS = 100_000
#: point-score the bounded terms when sections x terms stays under this, else add them densely
POINT_BUDGET = 60_000


@dataclass
class Ranking:
    """Scores for one request: exact on ``exact`` (every section that can reach the page,
    and all matching sections when nothing was pruned); below the page elsewhere."""

    scores: np.ndarray
    #: the matching sections whose scores are exact (those that can reach the page)
    ranked: np.ndarray
    #: terms left out of ``scores`` outside ``ranked`` (empty when nothing was pruned)
    pruned: list[Scored]
    exact: np.ndarray | None = None
    #: the sections' score factors ``scores`` include (see :func:`answer_factor`), or None
    factor: np.ndarray | None = None

    def exact_at(self, docs: np.ndarray) -> np.ndarray:
        """Exact scores of any sections (those outside ``ranked`` get their pruned terms)."""
        if not self.pruned or not len(docs):
            return self.scores[docs]  # type: ignore[no-any-return]
        assert self.exact is not None
        values = self.scores[docs].copy()
        missing = ~self.exact[docs]
        if missing.any():
            order = np.argsort(docs[missing], kind="stable")
            sorted_docs = docs[missing][order]
            extra = np.empty(len(order))
            extra[order] = _point_scores(self.pruned, sorted_docs)
            if self.factor is not None:
                extra *= self.factor[docs[missing]]
            values[missing] += extra
        return values


def _times(scores: np.ndarray, factor: np.ndarray | None) -> np.ndarray:
    return scores if factor is None else scores * factor


def rank(
    snapshot: Snapshot,
    scored: list[Scored],
    candidates: np.ndarray,
    request: SearchRequest,
    factor: np.ndarray | None = None,
) -> Ranking:
    """Rank-safe MaxScore over whole posting arrays (Turtle & Flood, "Query evaluation:
    strategies and optimizations", 1995).

    The terms with the highest upper bounds (and every short posting list) are added up for
    all sections; that gives a lower bound ``theta`` of the page's last score. Low-impact terms
    (common character bigrams, with the longest posting lists) whose upper bounds sum to less
    than ``theta`` can then change the page only for sections whose partial score plus that
    sum reaches ``theta``: only those are scored for them. Scores of the sections returned are
    exact (the same additions), so the page is the one full scoring gives.

    ``factor`` (per section, at least 1) multiplies the final scores; the bounds take it into
    account (a section is left out only when its partial score plus every pruned bound, times
    its factor, stays below ``theta``), so pruning stays rank-safe.
    """
    need = request.offset + request.limit
    total_postings = sum(len(t[0]) for t in scored)
    if request.sort != "score" or need == 0 or total_postings < PRUNE_MIN_POSTINGS:
        return Ranking(_times(_dense(snapshot, scored), factor), candidates, [], factor=factor)
    by_bound = sorted(scored, key=lambda t: t[2])  # lowest upper bound first
    heavy = total_postings // (2 * len(scored))
    # first pass: every term but the low-bound long lists
    first = [t for t in by_bound if t[2] * 4 > by_bound[-1][2] or len(t[0]) <= heavy]
    rest = [t for t in by_bound if not (t[2] * 4 > by_bound[-1][2] or len(t[0]) <= heavy)]
    scores = _dense(snapshot, first)
    grouped = request.group_by_document
    theta = _threshold(snapshot, _times(scores, factor), candidates, need, grouped)
    most = 1.0 if factor is None else float(factor.max())
    pruned: list[Scored] = []
    budget = theta * 0.5
    for term in rest:  # ascending bounds: the longest prefix fitting under theta / 2
        if term[2] * most > budget:
            break
        pruned.append(term)
        budget -= term[2] * most
    added = rest[len(pruned) :]
    if added:
        scores += _dense(snapshot, added)
        theta = _threshold(snapshot, _times(scores, factor), candidates, need, grouped)
    if not pruned:
        return Ranking(_times(scores, factor), candidates, [], factor=factor)
    slack = sum(t[2] for t in pruned)
    reach = scores[candidates] + slack
    if factor is not None:
        reach *= factor[candidates]
    # a margin for rounding: a section is left out only when it is clearly below the page
    keep = reach >= theta - 1e-9 * max(1.0, abs(theta))
    ranked = candidates[keep]
    if len(ranked) * len(pruned) > POINT_BUDGET:
        scores += _dense(snapshot, pruned)
        return Ranking(_times(scores, factor), candidates, [], factor=factor)
    scores[ranked] += _point_scores(pruned, ranked)
    exact = np.zeros(snapshot.size, dtype=bool)
    exact[ranked] = True
    return Ranking(_times(scores, factor), ranked, pruned, exact, factor)


def _threshold(
    snapshot: Snapshot, scores: np.ndarray, candidates: np.ndarray, need: int, grouped: bool
) -> float:
    """A lower bound of the page's last score: the ``need``-th best partial score among the
    candidates (of distinct documents when grouped); 0 when there are fewer."""
    if len(candidates) < need:
        return 0.0
    cand_scores = scores[candidates]
    if not grouped:
        return float(np.partition(cand_scores, len(cand_scores) - need)[len(cand_scores) - need])
    doc_codes = snapshot.columns["doc"]
    window = max(need * 4, 32)
    while True:
        if window >= len(candidates):
            top = np.argsort(-cand_scores, kind="stable")
        else:
            part = np.argpartition(-cand_scores, window)[:window]
            top = part[np.argsort(-cand_scores[part], kind="stable")]
        _, first = np.unique(doc_codes[candidates[top]], return_index=True)
        if len(first) >= need:
            return float(cand_scores[top[np.sort(first)[need - 1]]])
        if window >= len(candidates):
            return 0.0
        window *= 4


def run_search(
    snapshot: Snapshot,
    schema: Any,
    request: SearchRequest,
    config: RankingConfig,
    snippet_maker: Callable[..., Callable[[str], Any]] | None = None,
) -> Results:
    started = time.perf_counter()
    deadline = None if request.time_limit is None else started + request.time_limit
    if request.sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}, not {request.sort!r}")
    mask, result = evaluate(snapshot, schema, request, config)
    if result.empty:
        return Results(request.query, (), 0, _ms(started), NOTHING_TO_SEARCH, _no_facets())
    scored = scored_terms(snapshot, result.terms, config)
    candidates = np.flatnonzero(mask)
    factor = answer_factor(snapshot, result, config)
    if fill_needed(snapshot, request, result, mask, config):
        # sections sharing only bigrams may follow the matches: every section's score is needed
        ranking = Ranking(_times(_dense(snapshot, scored), factor), candidates, [], factor=factor)
    else:
        ranking = rank(snapshot, scored, candidates, request, factor)
    scores = ranking.scores
    _check(deadline)
    extra = fill_candidates(snapshot, request, result, mask, scores, config)
    columns = snapshot.columns
    picked, total = _page(candidates, ranking, columns, request)
    if len(extra):  # the second tier: sections sharing only bigrams, after every match
        rest = replace(  # (no room left on the page: the tier is only counted)
            request,
            offset=max(0, request.offset - total),
            limit=max(0, request.offset + request.limit - max(request.offset, total)),
        )
        more, more_total = _page(extra, Ranking(scores, extra, []), columns, rest)
        picked, total = picked + more, total + more_total
        candidates = np.concatenate([candidates, extra])
    _check(deadline)
    facets = _facets(candidates, columns, request.group_by_document)
    maker = None
    if snippet_maker is not None:
        bigrams = {term for name, term, _ in result.terms if name == "bigram"}
        maker = snippet_maker(result.highlight, readings=result.readings, bigrams=bigrams)
    hits = tuple(_hit(snapshot, docnum, scores, others, maker) for docnum, others in picked)
    return Results(request.query, hits, total, _ms(started), None, facets)


def _page(
    candidates: np.ndarray, ranking: Ranking, columns: dict[str, Any], request: SearchRequest
) -> tuple[list[tuple[int, Any]], int]:
    """The hits of the requested page among ``candidates``, and how many matched."""
    if request.group_by_document:
        return _grouped(candidates, ranking, columns, request)
    need = request.offset + request.limit
    order = _ordered(ranking.ranked, ranking.scores, columns, request, need)
    picked = [(int(d), ()) for d in order[request.offset : need]]
    return picked, len(candidates)


def _check(deadline: float | None) -> None:
    if deadline is not None and time.perf_counter() > deadline:
        raise QueryTimeoutError("the search ran past its time limit")


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000.0, 3)


def _no_facets() -> dict[str, dict[Any, int]]:
    return {"category": {}, "year": {}}


def _sort_keys(sel: np.ndarray, scores: np.ndarray, columns: dict[str, Any], sort: str) -> tuple:  # type: ignore[type-arg]
    """lexsort keys, least significant first: section id, then score, then date if asked."""
    keys: list[np.ndarray] = [columns["sid_rank"][sel], -scores[sel]]
    if sort != "score":
        dates = columns["date"][sel]
        undated = dates == 0
        keys.append(-dates if sort == "-date" else dates)
        keys.append(undated)
    return tuple(keys)


def _ordered(
    candidates: np.ndarray,
    scores: np.ndarray,
    columns: dict[str, Any],
    request: SearchRequest,
    k: int,
) -> np.ndarray:
    """The first ``k`` candidates in ranking order (all of them when k covers them)."""
    sel = candidates
    if request.sort == "score" and 0 < k < len(candidates):
        cand_scores = scores[candidates]
        kth = np.partition(cand_scores, len(cand_scores) - k)[len(cand_scores) - k]
        sel = candidates[cand_scores >= kth]
    order = np.lexsort(_sort_keys(sel, scores, columns, request.sort))
    return sel[order]


def _grouped(
    candidates: np.ndarray, ranking: Ranking, columns: dict[str, Any], request: SearchRequest
) -> tuple[list[tuple[int, Any]], int]:
    doc_codes = columns["doc"]
    total = int(np.count_nonzero(np.bincount(doc_codes[candidates]))) if len(candidates) else 0
    need = request.offset + request.limit
    window = max(need * 4, 32)
    ranked, scores = ranking.ranked, ranking.scores
    while True:
        order = _ordered(ranked, scores, columns, request, window)
        _, first = np.unique(doc_codes[order], return_index=True)
        best = order[np.sort(first)]
        if len(best) >= need or len(order) >= len(ranked):
            break
        window *= 4
    picked: list[tuple[int, Any]] = []
    for docnum in best[request.offset : need]:
        others = candidates[doc_codes[candidates] == doc_codes[docnum]]
        others = others[others != docnum]
        picked.append((int(docnum), _other_sections(others, ranking.exact_at(others), columns)))
    return picked, total


def _other_sections(
    others: np.ndarray, other_scores: np.ndarray, columns: dict[str, Any]
) -> list[tuple[int, float]]:
    """A document's other matching sections, best first, with their (exact) scores."""
    order = np.lexsort((columns["sid_rank"][others], -other_scores))
    return [(int(others[i]), float(other_scores[i])) for i in order]


def _facets(candidates: np.ndarray, columns: dict[str, Any], grouped: bool) -> dict[str, Any]:
    """Counts by category and year over every match (documents when grouped)."""
    if not len(candidates):
        return _no_facets()
    rows = candidates
    if grouped:
        _, first = np.unique(columns["doc"][candidates], return_index=True)
        rows = candidates[first]
    names = columns["category_names"]
    categories: dict[Any, int] = {}
    for code, count in enumerate(np.bincount(columns["category"][rows])):
        if count and names[code]:
            categories[names[code]] = int(count)
    years: dict[Any, int] = {}
    values, counts = np.unique(columns["date"][rows] // 10000, return_counts=True)
    for year, count in zip(values.tolist(), counts.tolist(), strict=True):
        if year:
            years[int(year)] = int(count)
    return {"category": categories, "year": years}


def _hit(
    snapshot: Snapshot,
    docnum: int,
    scores: np.ndarray,
    others: Any,
    maker: Callable[[str], Any] | None,
) -> Hit:
    stored = snapshot.stored_fields(docnum)
    labels = snapshot.section_labels([other for other, _ in others]) if others else []
    other_sections = tuple(
        (section_id, number, heading, other_score)
        for (section_id, number, heading), (_, other_score) in zip(labels, others, strict=True)
    )
    return hit_from_stored(stored, float(scores[docnum]), other_sections, maker)


def hit_from_stored(
    stored: dict[str, Any], score: float, others: tuple[Any, ...], maker: Any
) -> Hit:
    date = stored.get("date")
    return Hit(
        doc_id=stored["doc_id"],
        section_id=stored["section_id"],
        title=stored.get("title_text", ""),
        date=datetime.date.fromisoformat(date) if date else None,
        url=stored.get("url"),
        category=stored.get("category"),
        section=stored.get("number", ""),
        section_path=tuple(stored.get("path") or ()),
        heading=stored.get("heading_text", ""),
        score=score,
        other_sections=others,
        text=stored.get("text", ""),
        _snippet_maker=maker,
        _tokens=stored.get("text_spans"),
    )


def reference_search(
    snapshot: Snapshot, schema: Any, request: SearchRequest, config: RankingConfig
) -> list[tuple[str, float]]:
    """(section_id, score) of the ranking with Whoosh's own reader scoring the Whoosh fields.

    Per-field BM25 goes through Whoosh's searcher with :class:`~mofasearch.scoring.WhooshBM25F`;
    BM25F over the word fields is summed from Whoosh's postings and field lengths by
    :func:`mofasearch.scoring.reference_scores`. The side-only fields (bigram, reading, pair) are
    not in Whoosh; their part is added from the side-car contributions (checked separately
    against a direct BM25 computation). The bigram fill (:func:`fill_candidates`) follows the
    matches as in the fast path, chosen by these scores.
    """
    from whoosh import query as wq
    from whoosh.searching import Searcher

    from mofasearch.schema import SIDE_FIELDS, WORD_FIELDS
    from mofasearch.scoring import WhooshBM25F, reference_scores

    mask, result = evaluate(snapshot, schema, request, config)
    merged: dict[tuple[str, str], float] = {}
    for fieldname, text, weight in result.terms:
        merged[(fieldname, text)] = merged.get((fieldname, text), 0.0) + weight
    combined = [
        (f, t, w) for (f, t), w in merged.items() if w and config.bm25f and f in WORD_FIELDS
    ]
    whoosh_terms = [
        (f, t, w)
        for (f, t), w in merged.items()
        if w and f not in SIDE_FIELDS and (f, t, w) not in combined
    ]
    side_terms = [(f, t, w) for (f, t), w in merged.items() if w and f in SIDE_FIELDS]
    side = accumulate(snapshot, side_terms, config)
    scores: dict[int, float] = {}
    with snapshot.lock:
        reader = snapshot.searcher.reader()
        searcher = Searcher(reader, weighting=WhooshBM25F(config), closereader=False)
        if whoosh_terms:
            query = wq.Or([wq.Term(f, t, boost=w) for f, t, w in whoosh_terms])
            found = searcher.search(query, limit=None)
            scores = {hit.docnum: float(hit.score) for hit in found}
        for docnum, score in reference_scores(searcher, combined, config).items():
            scores[docnum] = scores.get(docnum, 0.0) + score
    for side_doc in np.flatnonzero(side).tolist():
        scores[side_doc] = scores.get(side_doc, 0.0) + float(side[side_doc])
    dense = np.zeros(snapshot.size, dtype=np.float64)
    for docnum, score in scores.items():
        dense[docnum] = score
    factor = answer_factor(snapshot, result, config)
    if factor is not None:
        dense *= factor
    sections = replace(request, group_by_document=False)  # this is a ranking of sections
    extra = fill_candidates(snapshot, sections, result, mask, dense, config)
    tiers = [np.flatnonzero(mask), extra]
    ranked = []
    for tier in tiers:
        part = [(snapshot.stored_fields(d)["section_id"], dense[d]) for d in tier if dense[d] > 0]
        part.sort(key=lambda pair: (-pair[1], pair[0]))
        ranked.extend(part)
    return ranked
