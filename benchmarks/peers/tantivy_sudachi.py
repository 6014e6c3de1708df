"""tantivy (tantivy-py) over the shared Sudachi terms: a Rust engine (Lucene's design), terms
indexed with its whitespace tokenizer, the question as a boolean SHOULD of term queries (BM25)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.data import Passage
from benchmarks.peers import Engine, missing_module
from benchmarks.terms import sudachi_terms


class TantivySudachi(Engine):
    description = "tantivy-py, whitespace tokenizer over the shared Sudachi terms, SHOULD query"
    uses_terms = True

    def missing(self) -> str | None:
        return missing_module("tantivy")

    def prepare(self) -> None:
        import tantivy  # noqa: F401

    def build(
        self, passages: Sequence[Passage], path: Path, terms: Sequence[Sequence[str]] | None = None
    ) -> None:
        import tantivy

        assert terms is not None
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("pid", stored=True, tokenizer_name="raw")
        builder.add_text_field("body", tokenizer_name="whitespace")
        path.mkdir(parents=True, exist_ok=True)
        index = tantivy.Index(builder.build(), path=str(path))
        writer = index.writer(heap_size=128_000_000, num_threads=1)
        for p, t in zip(passages, terms, strict=True):
            writer.add_document(tantivy.Document(pid=p.id, body=" ".join(t)))
        writer.commit()
        writer.wait_merging_threads()

    def open(self, path: Path) -> Any:
        import tantivy

        index = tantivy.Index.open(str(path))
        index.reload()
        return index, index.searcher()

    def search(self, handle: Any, query: str, k: int) -> list[str]:
        import tantivy

        index, searcher = handle
        schema = index.schema
        clauses = [
            (tantivy.Occur.Should, tantivy.Query.term_query(schema, "body", t))
            for t in dict.fromkeys(sudachi_terms(query))
        ]
        if not clauses:
            return []
        hits = searcher.search(tantivy.Query.boolean_query(clauses), k).hits
        return [searcher.doc(address)["pid"][0] for _, address in hits]

    def count(self, handle: Any) -> int:
        return int(handle[1].num_docs)

    def close(self, handle: Any) -> None:
        pass
