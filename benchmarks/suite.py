"""The phases of a run: index a corpus with every engine (each build in its own process), time
the questions interleaved across engines, evaluate, grow the corpus, time cold starts.

Every build is checked: an engine must report as many sections as it was given.
"""

from __future__ import annotations

import contextlib
import json
import logging
import pickle
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.data import Passage, Question, characters
from benchmarks.measure import latency_summary, run_child
from benchmarks.metrics import evaluate
from benchmarks.peers import Engine

log = logging.getLogger("benchmarks")


class CountError(AssertionError):
    """An engine indexed a different number of sections than it was given."""


@dataclass
class Built:
    """The indexes built over one corpus: engine index key -> index path."""

    corpus: Path
    paths: dict[str, Path]


def index_corpus(
    name: str, passages: Sequence[Passage], engines: Sequence[Engine], work: Path
) -> tuple[dict[str, Any], Built]:
    """Floor, term pre-pass and one build per engine; figures for the report."""
    home = work / name
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    corpus, terms = home / "corpus.pickle", home / "terms.pickle"
    with open(corpus, "wb") as fh:
        pickle.dump(list(passages), fh, protocol=pickle.HIGHEST_PROTOCOL)
    with_terms = any(eng.uses_terms for eng in engines)
    log.info(
        "%s: %d sections — Sudachi floor%s",
        name,
        len(passages),
        " and term pre-pass" if with_terms else "",
    )
    analysis = run_child(
        "analyze", {"corpus": str(corpus), "terms_out": str(terms), "terms": with_terms}
    )
    result: dict[str, Any] = {
        "sections": len(passages),
        "characters": characters(passages),
        "analysis": analysis,
        "builds": {},
    }
    built = Built(corpus, {})
    for eng in engines:
        key = eng.index_key()
        if key in built.paths:
            continue
        path = home / key.replace("/", "_")
        log.info("%s: building %s", name, key)
        figures = run_child(
            "build",
            {
                "engine": eng.name,
                "options": eng.options,
                "corpus": str(corpus),
                "terms": str(terms),
                "index": str(path),
            },
        )
        if figures["count"] != len(passages):
            raise CountError(
                f"{key} on {name}: indexed {figures['count']:,} sections of {len(passages):,}"
            )
        figures["own_seconds"] = figures["seconds"]
        if eng.uses_terms:  # the shared pre-pass is part of this engine's build
            figures["seconds"] += analysis["terms_seconds"]
            figures["includes_terms_pass"] = True
        result["builds"][key] = figures
        built.paths[key] = path
    return result, built


def _interleaved(
    engines: Sequence[tuple[Engine, Any]], questions: Sequence[Question], k: int, warmup: int
) -> tuple[dict[str, list[float]], dict[str, dict[str, list[str]]], dict[str, list[str]]]:
    """Each question goes to every engine before the next question (in a rotating order), so a
    busy moment on a shared machine falls on all engines alike. A question an engine refuses
    (its documented query error) gets an empty ranking and is listed as failed."""
    latencies: dict[str, list[float]] = {eng.name: [] for eng, _ in engines}
    rankings: dict[str, dict[str, list[str]]] = {eng.name: {} for eng, _ in engines}
    failed: dict[str, list[str]] = {eng.name: [] for eng, _ in engines}
    refusals = {eng.name: eng.query_errors() for eng, _ in engines}
    for eng, handle in engines:
        for q in questions[:warmup]:
            with contextlib.suppress(*refusals[eng.name]):
                eng.search(handle, q.text, k)
    for i, q in enumerate(questions):
        shift = i % len(engines)
        for eng, handle in [*engines[shift:], *engines[:shift]]:
            if eng.max_questions is not None and i >= eng.max_questions:
                continue
            start = time.perf_counter()
            try:
                ranked = eng.search(handle, q.text, k)
            except refusals[eng.name]:
                ranked = []
                failed[eng.name].append(q.qid)
            latencies[eng.name].append(time.perf_counter() - start)
            rankings[eng.name][q.qid] = ranked
    return latencies, rankings, failed


def answer_questions(
    engines: Sequence[Engine],
    built: Built,
    questions: Sequence[Question],
    latency_questions: int,
    warmup: int = 20,
) -> dict[str, Any]:
    """Warm top-10 latency (interleaved) and top-100 rankings for quality, per engine.

    A slow peer (one answering a set's first N questions only) is timed in the top-100 pass
    alone: a second pass over the same questions at top-10 would add minutes (Whoosh's 2-gram
    index answers in 0.3-0.5 s on JaQuAD) for a figure the top-100 one already bounds."""
    handles = [
        (eng, eng.open(built.paths[eng.index_key()])) for eng in engines if not eng.build_only
    ]
    try:
        fast = [(eng, h) for eng, h in handles if eng.max_questions is None]
        timed, _, _ = _interleaved(fast, questions[:latency_questions], 10, warmup)
        judged = [(eng, h) for eng, h in handles if not eng.latency_only]
        slow, rankings, failed = _interleaved(judged, questions, 100, 0)
    finally:
        for eng, handle in handles:
            eng.close(handle)
    out: dict[str, Any] = {
        "latency": {},
        "latency_k100": {},
        "rankings": rankings,
        "failed": {name: ids for name, ids in failed.items() if ids},
    }
    for eng, _ in handles:
        if eng.name in timed:
            out["latency"][eng.name] = latency_summary(timed[eng.name])
            samples = timed[eng.name]
            out["latency"][eng.name]["samples_ms"] = [round(s * 1000, 3) for s in samples]
        if eng.name in slow:
            out["latency_k100"][eng.name] = latency_summary(slow[eng.name])
    return out


def quality(
    rankings: dict[str, dict[str, list[str]]],
    questions: Sequence[Question],
    engines: Sequence[Engine],
    failed: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """Metrics per engine over the questions it was asked (a slow peer's first N, stated); a
    refused question counts as a zero and is also counted in ``failed``."""
    out = {}
    for eng in engines:
        if eng.latency_only or eng.build_only:
            continue
        asked = questions[: eng.max_questions] if eng.max_questions else questions
        figures: dict[str, Any] = evaluate(rankings[eng.name], {q.qid: q.relevant for q in asked})
        figures["n"] = len(asked)
        refused = set((failed or {}).get(eng.name, ()))
        figures["failed"] = sum(q.qid in refused for q in asked)
        out[eng.name] = figures
    return out


def time_in_child(eng: Engine, index: Path, questions: Sequence[str]) -> dict[str, Any]:
    """Latency and the search process's own memory, in a process that only searches."""
    answer = run_child(
        "query",
        {
            "engine": eng.name,
            "options": eng.options,
            "index": str(index),
            "questions": list(questions),
            "k": 10,
        },
    )
    figures = latency_summary(answer.pop("latencies"))
    figures.update(answer)
    return figures


def cold_start(eng: Engine, index: Path, query: str, runs: int = 5) -> dict[str, Any]:
    """Process start to first result: a fresh interpreter imports, opens, answers."""
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        run_child(
            "coldstart",
            {"engine": eng.name, "options": eng.options, "index": str(index), "query": query},
        )
        seconds.append(time.perf_counter() - start)
    return {"median_s": statistics.median(seconds), "runs_s": seconds}


def cli_command() -> list[str]:
    script = Path(sys.executable).with_name("mofasearch")
    return [str(script)] if script.exists() else [sys.executable, "-m", "mofasearch"]


def cli_cold_start(
    index: Path, query: str, runs: int = 5, source: Path | None = None
) -> dict[str, Any]:
    """``mofasearch search`` through the console script, from process start to exit; with
    ``source``, the index is first built from it with ``mofasearch index``."""
    cli = cli_command()
    if source is not None:
        subprocess.run(
            [*cli, "index", str(source), "--index", str(index)],
            check=True,
            capture_output=True,
            timeout=600,
        )
    seconds, total = [], None
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(
            [*cli, "search", query, "--index", str(index), "--json"],
            capture_output=True,
            text=True,
            timeout=600,
        )
        seconds.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise RuntimeError(f"mofasearch search failed: {done.stderr.strip()[-500:]}")
        total = json.loads(done.stdout)["total"]
    return {
        "median_s": statistics.median(seconds),
        "runs_s": seconds,
        "query": query,
        "total": total,
        "command": " ".join([Path(cli[0]).name, *cli[1:], "search", "…"]),
    }
