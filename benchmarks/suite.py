"""The phases of a run: index a corpus with every engine (each build in its own process), time
the questions interleaved across engines, rank them for quality (untimed, two processes at a
time), evaluate, grow the corpus, time cold starts.

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
from concurrent.futures import ThreadPoolExecutor
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
    name: str,
    passages: Sequence[Passage],
    engines: Sequence[Engine],
    work: Path,
    floors: dict[str, float] | None = None,
) -> tuple[dict[str, Any], Built]:
    """Floor, term pre-pass and one build per engine; figures for the report.

    ``floors`` maps a text to its floor seconds measured earlier in the run; it is filled from
    this corpus's floor pass, and a corpus whose texts are all in it (the scale series, drawn
    from the other corpora) takes the sum instead of tokenizing them all again."""
    home = work / name
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    corpus, terms = home / "corpus.pickle", home / "terms.pickle"
    with open(corpus, "wb") as fh:
        pickle.dump(list(passages), fh, protocol=pickle.HIGHEST_PROTOCOL)
    with_terms = any(eng.uses_terms for eng in engines)
    known = floors is not None and all(p.content in floors for p in passages)
    if known and not with_terms:
        assert floors is not None
        log.info("%s: %d sections — floor from earlier phases", name, len(passages))
        floor = sum(floors[p.content] for p in passages)
        analysis = {"floor_seconds": floor, "floor_reused": True}
    else:
        log.info(
            "%s: %d sections — Sudachi floor%s",
            name,
            len(passages),
            " and term pre-pass" if with_terms else "",
        )
        analysis = run_child(
            "analyze", {"corpus": str(corpus), "terms_out": str(terms), "terms": with_terms}
        )
        per_text = analysis.pop("per_text")
        if floors is not None:
            floors.update(zip((p.content for p in passages), per_text, strict=True))
    result: dict[str, Any] = {
        "sections": len(passages),
        "characters": characters(passages),
        "analysis": analysis,
        "builds": {},
    }
    built = Built(corpus, {})
    chosen: dict[str, Engine] = {}
    for eng in engines:
        key = eng.index_key()
        if key in chosen:
            continue
        chosen[key] = eng
        built.paths[key] = home / key.replace("/", "_")
        log.info("%s: building %s", name, key)
        result["builds"][key] = _build(name, eng, corpus, terms, built.paths[key], len(passages))
    # a short build of the engines a build target compares is timed again in rounds over them
    # (a busy moment of the machine falls on one build of each, not on all of one engine's)
    # and its median is reported; the other engines' builds are context, timed once
    short = [
        k
        for k, b in result["builds"].items()
        if b["seconds"] < SHORT_BUILD_SECONDS and chosen[k].build_compared
    ]
    runs = {key: [result["builds"][key]["seconds"]] for key in short}
    if short and SHORT_BUILD_RUNS > 1:
        log.info("%s: %d more builds of %s", name, SHORT_BUILD_RUNS - 1, ", ".join(short))
        for round_ in range(1, SHORT_BUILD_RUNS):
            turn = round_ % len(short)  # each round starts with another engine
            for key in short[turn:] + short[:turn]:
                shutil.rmtree(built.paths[key], ignore_errors=True)
                again = _build(name, chosen[key], corpus, terms, built.paths[key], len(passages))
                runs[key].append(again["seconds"])
    for key, seconds in runs.items():
        result["builds"][key].update(runs=seconds, seconds=statistics.median(seconds))
    for key, eng in chosen.items():
        figures = result["builds"][key]
        figures["own_seconds"] = figures["seconds"]
        if eng.uses_terms:  # the shared pre-pass is part of this engine's build
            figures["seconds"] += analysis["terms_seconds"]
            figures["includes_terms_pass"] = True
    return result, built


#: builds shorter than this (seconds) of the engines a build target compares (``build_compared``)
#: are timed SHORT_BUILD_RUNS times, each in a fresh process, and their median is reported: one
#: sub-second build is at the mercy of the machine
SHORT_BUILD_SECONDS = 10.0
SHORT_BUILD_RUNS = 5


def _build(
    name: str, eng: Engine, corpus: Path, terms: Path, path: Path, sections: int
) -> dict[str, Any]:
    """One build of ``eng`` in a fresh process, its section count checked."""
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
    if figures["count"] != sections:
        raise CountError(
            f"{eng.index_key()} on {name}: indexed {figures['count']:,} sections of {sections:,}"
        )
    return figures  # type: ignore[no-any-return]


#: untimed ranking processes run side by side (the reference machine has two cores)
RANKING_PROCESSES = 2
#: questions per ranking process (a slow peer's are split in two, so both cores share it)
RANKING_CHUNK = 1000


def _interleaved(
    engines: Sequence[tuple[Engine, Any]], questions: Sequence[Question], k: int, warmup: int
) -> dict[str, list[float]]:
    """Each question goes to every engine before the next question (in a rotating order), so a
    busy moment on a shared machine falls on all engines alike. A question an engine refuses
    (its documented query error) is timed like any other: the ranking pass counts refusals."""
    latencies: dict[str, list[float]] = {eng.name: [] for eng, _ in engines}
    refusals = {eng.name: eng.query_errors() for eng, _ in engines}
    for eng, handle in engines:
        for q in questions[:warmup]:
            with contextlib.suppress(*refusals[eng.name]):
                eng.search(handle, q.text, k)
    for i, q in enumerate(questions):
        shift = i % len(engines)
        for eng, handle in [*engines[shift:], *engines[:shift]]:
            start = time.perf_counter()
            with contextlib.suppress(*refusals[eng.name]):
                eng.search(handle, q.text, k)
            latencies[eng.name].append(time.perf_counter() - start)
    return latencies


def rankings_in_children(
    engines: Sequence[Engine], built: Built, questions: Sequence[Question], k: int = 100
) -> tuple[dict[str, dict[str, list[str]]], dict[str, list[str]]]:
    """Top-k rankings for quality, untimed, in child processes :data:`RANKING_PROCESSES` at a
    time (nothing is timed meanwhile); each engine answers its questions (a slow peer its
    first N) in chunks, the slowest peers' first, so the cores finish together."""
    jobs: list[tuple[Engine, Sequence[Question]]] = []
    for eng in sorted(engines, key=lambda e: e.max_questions is None):
        asked = questions[: eng.max_questions] if eng.max_questions else questions
        size = -(-len(asked) // 2) if eng.max_questions else RANKING_CHUNK
        jobs += [(eng, asked[at : at + size]) for at in range(0, len(asked), max(size, 1))]

    def answer(job: tuple[Engine, Sequence[Question]]) -> tuple[str, dict[str, Any]]:
        eng, chunk = job
        spec = {
            "engine": eng.name,
            "options": eng.options,
            "index": str(built.paths[eng.index_key()]),
            "questions": [[q.qid, q.text] for q in chunk],
            "k": k,
        }
        return eng.name, run_child("rank", spec)

    rankings: dict[str, dict[str, list[str]]] = {eng.name: {} for eng in engines}
    failed: dict[str, list[str]] = {eng.name: [] for eng in engines}
    with ThreadPoolExecutor(RANKING_PROCESSES) as pool:
        for name, got in pool.map(answer, jobs):
            rankings[name].update(got["rankings"])
            failed[name] += got["failed"]
    return rankings, failed


def answer_questions(
    engines: Sequence[Engine],
    built: Built,
    questions: Sequence[Question],
    latency_questions: int,
    warmup: int = 20,
) -> dict[str, Any]:
    """Warm top-10 latency, interleaved in this process, then the top-100 rankings for
    quality, untimed, in child processes (see :func:`rankings_in_children`).

    The engines are timed on the first ``latency_questions``; a peer slow to answer (its
    ``timed_questions``: FTS5, Groonga, Whoosh naive and 2-gram, 12 ms to 1.4 s a JaQuAD
    question) on its first ``timed_questions`` (100), in a second interleaved loop of the slow
    peers alone, after the first, so that its queries do not run between the fast engines'."""
    asked = [eng for eng in engines if not eng.build_only]
    timed: dict[str, list[float]] = {}
    for slow in (False, True):
        group = [eng for eng in asked if (eng.timed_questions is not None) == slow]
        if not group:
            continue
        count = min(e.timed_questions or latency_questions for e in group)
        handles = [(eng, eng.open(built.paths[eng.index_key()])) for eng in group]
        try:
            # a slow peer warms up on a few questions (Whoosh 2-gram takes 0.3-1.4 s each)
            warm = min(warmup, 5) if slow else warmup
            timed.update(
                _interleaved(handles, questions[: min(count, latency_questions)], 10, warm)
            )
        finally:
            for eng, handle in handles:
                eng.close(handle)
    judged = [eng for eng in asked if not eng.latency_only]
    rankings, failed = rankings_in_children(judged, built, questions)
    out: dict[str, Any] = {
        "latency": {},
        "rankings": rankings,
        "failed": {name: ids for name, ids in failed.items() if ids},
    }
    for eng in asked:
        samples = timed[eng.name]
        out["latency"][eng.name] = latency_summary(samples)
        out["latency"][eng.name]["samples_ms"] = [round(s * 1000, 3) for s in samples]
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
