"""bm25s over the shared Sudachi terms: a sparse-matrix BM25 (Lucene variant) in numpy, the
fastest pure-Python BM25 around; the question's terms not in the vocabulary are dropped."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.data import Passage
from benchmarks.peers import Engine, missing_module
from benchmarks.terms import sudachi_terms


class Bm25sSudachi(Engine):
    description = "bm25s (BM25, Lucene variant) over the shared Sudachi terms"
    uses_terms = True

    def missing(self) -> str | None:
        return missing_module("bm25s")

    def prepare(self) -> None:
        import bm25s  # noqa: F401

    def build(
        self, passages: Sequence[Passage], path: Path, terms: Sequence[Sequence[str]] | None = None
    ) -> None:
        import bm25s

        assert terms is not None
        vocab: dict[str, int] = {}
        ids = [[vocab.setdefault(t, len(vocab)) for t in doc] for doc in terms]
        retriever = bm25s.BM25()
        retriever.index(bm25s.tokenization.Tokenized(ids=ids, vocab=vocab), show_progress=False)
        retriever.save(str(path), show_progress=False)
        (path / "passage_ids.json").write_text(json.dumps([p.id for p in passages]))

    def open(self, path: Path) -> Any:
        import bm25s

        retriever = bm25s.BM25.load(str(path), show_progress=False, verbosity=0)
        return retriever, json.loads((path / "passage_ids.json").read_text())

    def search(self, handle: Any, query: str, k: int) -> list[str]:
        import numpy as np

        retriever, pids = handle
        vocab = retriever.vocab_dict
        ids = [vocab[t] for t in dict.fromkeys(sudachi_terms(query)) if t in vocab]
        if not ids:
            return []
        scores = retriever.get_scores(ids)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [pids[i] for i in top if scores[i] > 0]

    def count(self, handle: Any) -> int:
        return len(handle[1])

    def close(self, handle: Any) -> None:
        pass
