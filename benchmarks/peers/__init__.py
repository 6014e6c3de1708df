"""Peer engines, one small adapter each, behind one interface.

An adapter is built in a fresh process (so its peak RSS is its own) and opened again in the
process that times the questions, so every index must live on disk under the path it is given.
"""

from __future__ import annotations

import importlib
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.data import Passage

#: questions a peer slow to answer is timed on, per set
SLOW_TIMED_QUESTIONS = 100


class Engine:
    """The common interface. ``terms`` (when ``uses_terms``) holds the shared Sudachi terms of
    each passage's content, in passage order, computed once by the pre-pass."""

    name = ""
    description = ""
    uses_terms = False  # needs the shared Sudachi term pre-pass
    max_questions: int | None = None  # slow peers answer only the first N questions of a set
    #: a peer slow to answer (≥ 10 ms a JaQuAD question) is timed on the first N of a set only,
    #: in its own interleaved loop; its rankings for quality still cover max_questions
    timed_questions: int | None = None
    large = True  # also built on the statutes and the scale series when asked
    index_of: str | None = None  # answers from another engine's index (no build of its own)
    latency_only = False  # its rankings are another row's: timed, not evaluated again
    build_only = False  # an indexing variant (same content, same answers): built, never asked
    #: its build time is one side of a build target (mofasearch against naive Whoosh): a short
    #: build is timed SHORT_BUILD_RUNS times (benchmarks.suite); the others' once
    build_compared = False

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        self.options = dict(options or {})

    def index_key(self) -> str:
        """Engines with equal keys share one build."""
        return self.index_of or self.name

    def query_errors(self) -> tuple[type[BaseException], ...]:
        """Errors a question can raise as the engine's documented answer (a syntax error): the
        harness counts them as failed questions with an empty ranking instead of stopping."""
        return ()

    def missing(self) -> str | None:
        """Why this engine cannot run here (a note for the report), or None."""
        return None

    def prepare(self) -> None:
        """Import the engine's libraries (and load a Sudachi dictionary it analyzes with) before a
        build is timed: a per-process cost, which the cold start measures, not indexing work.
        Every engine does it, so no build pays for its imports and none is spared them."""

    def build(
        self, passages: Sequence[Passage], path: Path, terms: Sequence[Sequence[str]] | None = None
    ) -> None:
        raise NotImplementedError

    def open(self, path: Path) -> Any:
        raise NotImplementedError

    def search(self, handle: Any, query: str, k: int) -> list[str]:
        raise NotImplementedError

    def count(self, handle: Any) -> int:
        """Indexed sections, checked against the corpus after every build."""
        raise NotImplementedError

    def close(self, handle: Any) -> None:
        close = getattr(handle, "close", None)
        if close is not None:
            close()


def missing_module(module: str) -> str | None:
    try:
        importlib.import_module(module)
    except ImportError as exc:
        return f"not installed ({exc})"
    return None


def missing_program(program: str) -> str | None:
    return None if shutil.which(program) else f"`{program}` not found on PATH"


# name -> "module:Class"; mofasearch first, then the peers in the order of the report.
REGISTRY = {
    "mofasearch": "benchmarks.engines.mofa:MofaSearch",
    "mofasearch+snippets": "benchmarks.engines.mofa:MofaSnippets",
    "mofasearch+grouped": "benchmarks.engines.mofa:MofaGrouped",
    "whoosh-sudachi": "benchmarks.peers.whoosh_sudachi:WhooshSudachi",
    "whoosh-default": "benchmarks.peers.whoosh_default:WhooshDefault",
    "whoosh-bigram": "benchmarks.peers.whoosh_bigram:WhooshBigram",
    "fts5-trigram": "benchmarks.peers.fts5:Fts5Trigram",
    "fts5-sudachi": "benchmarks.peers.fts5:Fts5Sudachi",
    "bm25s-sudachi": "benchmarks.peers.bm25s_sudachi:Bm25sSudachi",
    "tantivy-sudachi": "benchmarks.peers.tantivy_sudachi:TantivySudachi",
    "groonga-bigram": "benchmarks.peers.groonga:GroongaBigram",
    "groonga-mecab": "benchmarks.peers.groonga:GroongaMecab",
}


def engine(name: str, options: dict[str, Any] | None = None) -> Engine:
    """An engine by registry name; ``mofasearch@label`` names an ablation variant."""
    base = name.split("@", 1)[0]
    if base not in REGISTRY:
        raise KeyError(f"unknown engine {name!r}; known: {', '.join(REGISTRY)}")
    module, cls = REGISTRY[base].split(":")
    made: Engine = getattr(importlib.import_module(module), cls)(options)
    made.name = name
    return made
