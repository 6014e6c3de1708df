"""Child-process side of the harness: ``python -m benchmarks.worker MODE`` with a JSON spec on
stdin and a JSON answer as the last line of stdout.

Modes: ``analyze`` (the Sudachi floor and the shared term pre-pass), ``build`` (one engine, one
corpus), ``query`` (timed questions against a built index, with the process's memory), ``rank``
(untimed top-k rankings for quality) and ``coldstart`` (import, open, first result: the parent
times the whole process).
"""

from __future__ import annotations

import contextlib
import json
import pickle
import resource
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.measure import peak_rss, reset_peak, rss, size_on_disk
from benchmarks.peers import engine


def _load(path: str) -> Any:
    with open(path, "rb") as fh:
        return pickle.load(fh)


def analyze(spec: dict[str, Any]) -> dict[str, Any]:
    from benchmarks.terms import floor_pass, terms_pass

    texts = [p.content for p in _load(spec["corpus"])]
    reset_peak()
    floor_seconds, morphemes, per_text = floor_pass(texts)
    answer: dict[str, Any] = {
        "floor_seconds": floor_seconds,
        "morphemes": morphemes,
        "per_text": per_text,
    }
    if spec.get("terms", True):  # only when an engine of the phase indexes Sudachi terms
        terms_seconds, terms = terms_pass(texts)
        with open(spec["terms_out"], "wb") as fh:
            pickle.dump(terms, fh, protocol=pickle.HIGHEST_PROTOCOL)
        answer.update(terms_seconds=terms_seconds, terms=sum(map(len, terms)))
    answer["peak_rss"] = peak_rss()
    return answer


def build(spec: dict[str, Any]) -> dict[str, Any]:
    eng = engine(spec["engine"], spec.get("options"))
    passages = _load(spec["corpus"])
    terms = _load(spec["terms"]) if eng.uses_terms else None
    index = Path(spec["index"])
    eng.prepare()  # imports and the dictionary: not indexing work (cold start times them)
    reset_peak()
    baseline = rss()
    start = time.perf_counter()
    eng.build(passages, index, terms)
    seconds = time.perf_counter() - start
    peak = peak_rss()
    handle = eng.open(index)
    try:
        count = eng.count(handle)
    finally:
        eng.close(handle)
    # a multi-process build (writer jobs) also has helpers: the largest one's peak, or 0
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return {
        "seconds": seconds,
        "rss_baseline": baseline,
        "peak_rss": peak,
        "peak_rss_children": children,
        "count": count,
        "size_bytes": size_on_disk(index),
    }


def query(spec: dict[str, Any]) -> dict[str, Any]:
    eng = engine(spec["engine"], spec.get("options"))
    before = rss()
    reset_peak()
    start = time.perf_counter()
    handle = eng.open(Path(spec["index"]))
    open_seconds = time.perf_counter() - start
    k, questions, refusals = spec["k"], spec["questions"], eng.query_errors()
    for text in questions[: spec.get("warmup", 20)]:
        with contextlib.suppress(*refusals):
            eng.search(handle, text, k)
    latencies, failed = [], 0
    for text in questions:
        start = time.perf_counter()
        try:
            eng.search(handle, text, k)
        except refusals:
            failed += 1
        latencies.append(time.perf_counter() - start)
    answer = {
        "open_seconds": open_seconds,
        "failed": failed,
        "latencies": latencies,
        "rss_before_open": before,
        "rss": rss(),
        "peak_rss": peak_rss(),
    }
    eng.close(handle)
    return answer


def rank(spec: dict[str, Any]) -> dict[str, Any]:
    """Top-k rankings for quality, untimed: a question the engine refuses is listed."""
    eng = engine(spec["engine"], spec.get("options"))
    handle = eng.open(Path(spec["index"]))
    k, refusals = spec["k"], eng.query_errors()
    rankings, failed = {}, []
    try:
        for qid, text in spec["questions"]:
            try:
                rankings[qid] = eng.search(handle, text, k)
            except refusals:
                rankings[qid] = []
                failed.append(qid)
    finally:
        eng.close(handle)
    return {"rankings": rankings, "failed": failed}


def coldstart(spec: dict[str, Any]) -> dict[str, Any]:
    eng = engine(spec["engine"], spec.get("options"))
    handle = eng.open(Path(spec["index"]))
    return {"hits": eng.search(handle, spec["query"], 10)}


MODES = {
    "analyze": analyze,
    "build": build,
    "query": query,
    "rank": rank,
    "coldstart": coldstart,
}


def main() -> None:
    spec = json.loads(sys.stdin.read())
    answer = MODES[sys.argv[1]](spec)
    sys.stdout.write(json.dumps(answer) + "\n")


if __name__ == "__main__":
    main()
