"""Before/after measurements of mofasearch's speed work, in one run on one machine.

``python -m benchmarks.speed --before REV`` exports the tree of git revision ``REV`` (read-only:
``git archive``) and times the same work with that code ("before") and with the working tree
("after"), alternating before/after runs in fresh processes so a busy moment on a shared
machine falls on both; each figure is the median of ``--repeats`` runs.

- ``build``: index the first ``--passages`` JaQuAD passages (``jobs=1`` and ``jobs=2``), and the
  naive Whoosh + Sudachi single-field build of the same text (the reference the targets use);
- ``latency``: the first ``--questions`` JaQuAD questions, top-10 with ids and scores, and then
  with the snippets of all ten hits (``--snippet-cache 0`` also times the snippets without the
  analyzed-piece cache), on an index of every JaQuAD passage that each tree builds for itself
  (code with other analysis settings cannot open the other's index);
- ``steps``: where a query's time goes, for each tree: the same questions with a timer around
  each step of the search (evaluating the query, and within it the analysis of its words and
  their contributions; the side terms' contributions; ranking; hits; facets), in ms a question.

The protocol figures (peers, statutes, scale, cold start) come from ``python -m benchmarks.run``;
this script isolates what each change bought.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def export(rev: str, dest: Path) -> Path:
    """The files of ``rev`` under ``dest`` (git archive; the repository is not touched)."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", rev],
        check=True,
        capture_output=True,
    ).stdout
    tar = dest / "tree.tar"
    tar.write_bytes(archive)
    with tarfile.open(tar) as fh:
        fh.extractall(dest / "tree", filter="data")
    return dest / "tree"


def run_child(tree: Path, task: dict[str, Any]) -> dict[str, Any]:
    from benchmarks.data import default_data_dir

    env = dict(os.environ, PYTHONPATH=str(tree), MOFASEARCH_DATA=str(default_data_dir()))
    out = subprocess.run(
        # this file runs as a script: the old tree has no copy of it
        [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(task)],
        check=True,
        capture_output=True,
        text=True,
        cwd=tree,
        env=env,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


# children -------------------------------------------------------------------------------------


def _passages(n: int) -> list[Any]:
    from benchmarks.data import default_data_dir, load_set

    return load_set(default_data_dir(), "jaquad").passages[:n]


def child_build(task: dict[str, Any]) -> dict[str, Any]:
    passages = _passages(task["passages"])
    path = Path(task["path"])
    shutil.rmtree(path, ignore_errors=True)
    if task["engine"] == "whoosh":
        from benchmarks.peers.whoosh_sudachi import WhooshSudachi

        started = time.perf_counter()
        WhooshSudachi().build(passages, path)
        return {"seconds": time.perf_counter() - started}
    from benchmarks.engines.mofa import documents
    from mofasearch import Index

    docs = list(documents(passages))
    started = time.perf_counter()
    with Index.create(path) as ix, ix.writer(jobs=task["jobs"]) as w:
        for doc in docs:
            w.add(doc)
    return {"seconds": time.perf_counter() - started}


def child_latency(task: dict[str, Any]) -> dict[str, Any]:
    from benchmarks.data import default_data_dir, load_set
    from mofasearch import Index
    from mofasearch.errors import QuerySyntaxError

    if task.get("snippet_cache") is not None:
        import mofasearch.snippets as snippets

        snippets.SPAN_CACHE_SIZE = task["snippet_cache"]  # type: ignore[misc]
    questions = load_set(default_data_dir(), "jaquad").questions[: 20 + task["questions"]]
    ix = Index.open(task["path"])
    plain: list[float] = []
    snipped: list[float] = []
    for i, q in enumerate(questions):
        started = time.perf_counter()
        try:
            hits = ix.search(q.text, limit=10, group_by_document=False)
        except QuerySyntaxError:
            continue
        _ = [(h.section_id, h.score) for h in hits]
        searched = time.perf_counter()
        for hit in hits:
            _ = hit.snippet.text
        done = time.perf_counter()
        if i >= 20:  # warm-up
            plain.append(searched - started)
            snipped.append(done - started)
    return {"search": _percentiles(plain), "snippets": _percentiles(snipped)}


#: the latency and steps parts ask their questions of an index of every JaQuAD passage
INDEX_PASSAGES = 11_144

#: (module, attribute, label) of the search steps ``steps`` times; a step missing from a tree
#: (older code) is left out of its report
STEPS = (
    ("mofasearch.search", "evaluate", "evaluate"),
    ("mofasearch.compile", "Compiler._word_weights", "evaluate: analysis of the words"),
    ("mofasearch.compile", "Compiler._score_and_match", "evaluate: word contributions"),
    ("mofasearch.compile", "Compiler._add_bigrams", "evaluate: bigrams"),
    ("mofasearch.compile", "Compiler._eval_Phrase", "evaluate: phrases"),
    ("mofasearch.search", "scored_terms", "side-term contributions"),
    ("mofasearch.search", "rank", "rank"),
    ("mofasearch.search", "_hit", "hits"),
    ("mofasearch.search", "_facets", "facets"),
)


def child_steps(task: dict[str, Any]) -> dict[str, Any]:
    import importlib

    from benchmarks.data import default_data_dir, load_set
    from mofasearch import Index
    from mofasearch.errors import QuerySyntaxError

    spent: dict[str, float] = {}

    def timed(function: Any, label: str) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - started

        return wrapper

    for module_name, attribute, label in STEPS:
        owner: Any = importlib.import_module(module_name)
        *path, name = attribute.split(".")
        for part in path:
            owner = getattr(owner, part)
        if hasattr(owner, name):
            setattr(owner, name, timed(getattr(owner, name), label))
    questions = load_set(default_data_dir(), "jaquad").questions[: 100 + task["questions"]]
    ix = Index.open(task["path"])
    asked = 0
    total = 0.0
    for i, q in enumerate(questions):
        if i == 100:  # after the warm-up
            spent.clear()
        started = time.perf_counter()
        try:
            ix.search(q.text, limit=10, group_by_document=False)
        except QuerySyntaxError:
            continue
        if i >= 100:
            total += time.perf_counter() - started
            asked += 1
    per = 1000.0 / max(1, asked)
    return {"total": total * per, **{label: value * per for label, value in spent.items()}}


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    pick = lambda p: ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000  # noqa: E731
    return {"p50": pick(0.5), "p95": pick(0.95), "p99": pick(0.99)}


# parent ---------------------------------------------------------------------------------------


def median_of(runs: list[dict[str, Any]], *keys: str) -> float:
    values = []
    for run in runs:
        value: Any = run
        for key in keys:
            value = value[key]
        values.append(value)
    return float(statistics.median(values))


PARTS = ("build", "latency", "steps")


def positive(text: str) -> int:
    """A count: a whole number of at least 1 (benchmarks.run's own is not imported: the
    children of this file run against an older tree's benchmarks package)."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
    return value


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.speed", description=__doc__.split("\n\n")[0]
    )
    p.add_argument("--before", default=None, help="git revision of the 'before' code")
    p.add_argument(
        "--passages", type=positive, default=2000, help="JaQuAD passages built (default 2000)"
    )
    p.add_argument(
        "--questions", type=positive, default=300, help="JaQuAD questions asked (default 300)"
    )
    p.add_argument("--repeats", type=positive, default=3, help="runs per figure (default 3)")
    p.add_argument(
        "--parts", default="build,latency", help=f"of {','.join(PARTS)} (default build,latency)"
    )
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    unknown = set(args.parts.split(",")) - set(PARTS)
    if unknown and not args.child:  # a misspelt part would measure nothing, silently
        p.error(f"--parts: unknown {', '.join(sorted(unknown))}; known: {', '.join(PARTS)}")
    if args.child:
        task = json.loads(args.child)
        children = {"build": child_build, "latency": child_latency, "steps": child_steps}
        result = children[task["kind"]](task)
        print(json.dumps(result))
        return 0
    parts = set(args.parts.split(","))
    with tempfile.TemporaryDirectory(prefix="mofa-speed-") as tmp:
        work = Path(tmp)
        trees = {"after": ROOT}
        if args.before:
            trees["before"] = export(args.before, work)
        report: dict[str, Any] = {"before": args.before}
        if "build" in parts:
            report["build_passages"] = args.passages
            report["build"] = _builds(trees, work, args)
        if "latency" in parts or "steps" in parts:
            report["index_passages"] = INDEX_PASSAGES
            # each tree searches an index it built: code whose analysis differs (other stop
            # tags, another fingerprint) cannot open the other's
            paths = {label: work / f"jaquad-{label}" for label in trees}
            for label, path in paths.items():
                task = {"kind": "build", "engine": "mofa", "jobs": 1, "path": str(path)}
                run_child(trees[label], {**task, "passages": INDEX_PASSAGES})
        if "latency" in parts:
            report["latency"] = _latencies(trees, paths, args)
        if "steps" in parts:
            report["steps"] = _steps(trees, paths, args)
    print(json.dumps(report, indent=1))
    return 0


def _builds(trees: dict[str, Path], work: Path, args: Any) -> dict[str, float]:
    runs: dict[str, list[dict[str, Any]]] = {}
    for _ in range(args.repeats):
        plan = [("whoosh", "after", 1)] + [
            (n, label, j) for label in trees for n, j in (("mofa", 1), ("mofa", 2))
        ]
        for engine, label, jobs in plan:
            key = "whoosh-sudachi" if engine == "whoosh" else f"{label} jobs={jobs}"
            task = {"kind": "build", "engine": engine, "jobs": jobs, "passages": args.passages}
            task["path"] = str(work / "ix")
            runs.setdefault(key, []).append(run_child(trees[label], task))
    return {key: round(median_of(r, "seconds"), 2) for key, r in runs.items()}


def _latencies(trees: dict[str, Path], paths: dict[str, Path], args: Any) -> dict[str, Any]:
    runs: dict[str, list[dict[str, Any]]] = {}
    variants = [(label, None) for label in trees] + [("after", 0)]
    for _ in range(args.repeats):
        for label, cache in variants:
            key = label if cache is None else f"{label}, snippet cache off"
            task = {"kind": "latency", "path": str(paths[label]), "questions": args.questions}
            task["snippet_cache"] = cache
            runs.setdefault(key, []).append(run_child(trees[label], task))
    return {
        key: {
            part: {pct: round(median_of(r, part, pct), 2) for pct in ("p50", "p95", "p99")}
            for part in ("search", "snippets")
        }
        for key, r in runs.items()
    }


def _steps(trees: dict[str, Path], paths: dict[str, Path], args: Any) -> dict[str, Any]:
    runs: dict[str, list[dict[str, Any]]] = {}
    for _ in range(args.repeats):
        for label in trees:
            task = {"kind": "steps", "path": str(paths[label]), "questions": args.questions}
            runs.setdefault(label, []).append(run_child(trees[label], task))
    return {
        label: {step: round(median_of(r, step), 3) for step in r[0] if all(step in x for x in r)}
        for label, r in runs.items()
    }


if __name__ == "__main__":
    sys.exit(main())
