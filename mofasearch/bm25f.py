"""BM25F over the word fields: one saturation per term, not one per field.

Summing a BM25 score per field (Whoosh's "BM25F") saturates each field on its own, so a term
that is in a section's title *and* its body is counted twice, near-fully each time. Robertson,
Zaragoza & Taylor ("Simple BM25 extension to multiple weighted fields", CIKM 2004) show why
that is wrong and give the fix: weight and length-normalize each field's term frequency, add
them, and saturate the sum once:

    tf~(t, d) = sum over fields f of  weight(f) * tf(t, f, d) / ((1 - b_f) + b_f * len(f, d) / avglen(f))
    score(t, d) = idf(t) * tf~ * (k1 + 1) / (tf~ + k1)
    idf(t) = log(1 + (N - n + 0.5) / (n + 0.5)),  n = sections holding t in any word field

(Zaragoza et al., "Microsoft Cambridge at TREC-13: Web and HARD tracks", 2004, per-field ``b``).
This is what lets the title be credited to every section of a page without drowning the body:
a page's subject word, present in the title of every sibling section, is already near
saturation, so repeating it in one section's body adds little, and the words that tell the
sections apart decide. Measured on JaQuAD, JSQuAD and lawqa_jp it is the largest single gain
over the per-field sum (see benchmarks/RESULTS.md, "Ranking ablations").

For the fast path, a term's BM25F score is split over the fields in proportion to each field's
part of ``tf~``, so every (field, term) pair still has one contributions array (what the
accumulator and ``Index.explain`` read) and their sum is exactly the formula above. Arrays are
cached per snapshot, like :meth:`Snapshot.contributions`, keyed by the term and the settings.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from typing import Any

import numpy as np

from mofasearch.schema import WORD_FIELDS
from mofasearch.scoring import RankingConfig, rsj_idf

#: bytes of BM25F contribution arrays kept per snapshot
MAX_BYTES = 64 * 1024 * 1024

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
    return tuple(name for name in WORD_FIELDS if config.weight(name) > 0)


def _key(text: str, config: RankingConfig) -> tuple[Any, ...]:
    fields = word_fields(config)
    return (
        text,
        config.bm25f_k1,
        tuple((f, config.weight(f), config.field_b(f)) for f in fields),
    )


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
        while cache.bytes > MAX_BYTES and len(cache.items) > 1:
            _, dropped = cache.items.popitem(last=False)
            cache.bytes -= sum(ids.nbytes + parts.nbytes for ids, parts in dropped.values())
    return found


def _normalized_tf(snapshot: Any, fieldname: str, text: str, b: float) -> Arrays:
    """(global docnums, tf / length norm) of the term in one field, deleted sections included."""
    ids_parts, x_parts = [], []
    avgfl = snapshot.avg_field_length(fieldname)
    with snapshot.lock:
        for reader, offset, cache in snapshot.leaves:
            ids, tf = cache.postings(reader, fieldname, text)
            if len(ids):
                lengths = cache.lengths(reader, fieldname)[ids]
                ids_parts.append(ids.astype(np.int32) + np.int32(offset))
                x_parts.append(tf.astype(np.float64) / ((1.0 - b) + b * lengths / avgfl))
    if not ids_parts:
        return _EMPTY
    return np.concatenate(ids_parts), np.concatenate(x_parts)


def _compute(snapshot: Any, text: str, config: RankingConfig) -> dict[str, Arrays]:
    per_field: dict[str, Arrays] = {}
    for name in word_fields(config):
        ids, x = _normalized_tf(snapshot, name, text, config.field_b(name))
        if len(ids):
            per_field[name] = (ids, config.weight(name) * x)
    if not per_field:
        return {}
    all_ids = np.concatenate([ids for ids, _ in per_field.values()])
    docs, inverse = np.unique(all_ids, return_inverse=True)
    combined = np.bincount(inverse, np.concatenate([x for _, x in per_field.values()]))
    k1 = config.bm25f_k1
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
