"""Naive Whoosh + Sudachi: one text field analyzed by the shared Sudachi term function, an OR of
the question's terms, Whoosh's default BM25F. The baseline a Whoosh user writes in an afternoon."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from whoosh.analysis import Token, Tokenizer

from benchmarks.data import Passage
from benchmarks.peers import SLOW_TIMED_QUESTIONS, Engine
from benchmarks.terms import sudachi_terms, tokenizer


class WhooshPeer(Engine):
    """One ``body`` field over the passage content; subclasses choose the analyzer."""

    def analyzer(self) -> Any:
        raise NotImplementedError

    def prepare(self) -> None:
        import whoosh.fields
        import whoosh.index
        import whoosh.writing  # noqa: F401

    def build(
        self, passages: Sequence[Passage], path: Path, terms: Sequence[Sequence[str]] | None = None
    ) -> None:
        from whoosh import fields, index

        schema = fields.Schema(
            id=fields.ID(stored=True, unique=True), body=fields.TEXT(analyzer=self.analyzer())
        )
        path.mkdir(parents=True, exist_ok=True)
        ix = index.create_in(str(path), schema)
        with ix.writer() as writer:
            for p in passages:
                writer.add_document(id=p.id, body=p.content)
        ix.close()

    def open(self, path: Path) -> Any:
        from whoosh import index

        ix = index.open_dir(str(path))
        return ix, ix.searcher()

    def query_terms(self, handle: Any, query: str) -> list[str]:
        analyzer = handle[0].schema["body"].analyzer
        return list(dict.fromkeys(t.text for t in analyzer(query, mode="query")))

    def search(self, handle: Any, query: str, k: int) -> list[str]:
        from whoosh.query import Or, Term

        terms = self.query_terms(handle, query)
        if not terms:
            return []
        hits = handle[1].search(Or([Term("body", t) for t in terms]), limit=k)
        return [hit["id"] for hit in hits]

    def count(self, handle: Any) -> int:
        return int(handle[1].doc_count())

    def close(self, handle: Any) -> None:
        handle[1].close()
        handle[0].close()


class SudachiTermTokenizer(Tokenizer):  # type: ignore[misc]
    """A Whoosh tokenizer over the shared term function; it holds no Sudachi object, so the
    schema pickles (Whoosh stores it in the index)."""

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        removestops: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Any:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for position, term in enumerate(sudachi_terms(value)):
            token.text, token.boost, token.stopped = term, 1.0, False
            if positions:
                token.pos = position
            yield token


class WhooshSudachi(WhooshPeer):
    description = "naive Whoosh + Sudachi terms, one field, OR query"
    build_compared = True  # the naive build mofasearch's is measured against
    max_questions = 500  # 10-130 ms a question: the first 500 of a set, as the protocol allows
    timed_questions = SLOW_TIMED_QUESTIONS

    def analyzer(self) -> Any:
        return SudachiTermTokenizer()

    def prepare(self) -> None:
        super().prepare()
        tokenizer()  # the dictionary, as the shared pre-pass loads it before its clock starts
