"""mofasearch through its public API, on disk, like any user.

Options (``--mofa-option key=value``, or a variant ``--mofa-variant label:key=value,...``) are
passed through so ablation rows come from the same harness: ``create.X`` goes to
``Index.create``, ``writer.X`` to ``Index.writer`` (e.g. ``writer.jobs=2``), ``search.X`` or a bare
key to ``Index.search``, and ``ranking.X`` fields make a ``mofasearch.scoring.RankingConfig``
given to every search (e.g. ``ranking.bigram_fallback=false``,
``ranking.weights={"body":1,"title":2}``), so ranking ablations share one build.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from benchmarks.data import Passage
from benchmarks.peers import Engine


def split_options(options: dict[str, Any]) -> dict[str, dict[str, Any]]:
    parts: dict[str, dict[str, Any]] = {"create": {}, "writer": {}, "search": {}, "ranking": {}}
    for key, value in options.items():
        where, _, name = key.rpartition(".")
        if where not in ("", *parts):
            raise KeyError(
                f"mofasearch option {key!r}: prefix must be create., writer., search. or ranking."
            )
        parts[where or "search"][name] = value
    return parts


def documents(passages: Sequence[Passage]) -> Iterator[Any]:
    """Passages as Documents: passages sharing a ``doc_id`` form one document (a statute and its
    sections), wherever they sit in the list (the scale series shuffles them; adding a document
    twice would replace the first part); a passage without one is a document of its own."""
    from mofasearch import Document, Section

    grouped: dict[str, list[Passage]] = {}
    for p in passages:
        grouped.setdefault(p.doc_id or p.id, []).append(p)
    for doc_id, items in grouped.items():
        sections = [Section(text=p.text, heading=p.heading, id=p.id) for p in items]
        yield Document(id=doc_id, title=items[0].title, sections=sections)


class MofaSearch(Engine):
    description = "mofasearch (public API: Index.create, writer().add, search)"
    build_compared = True

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.parts = split_options(self.options)

    def index_key(self) -> str:
        built = {k: v for k, v in self.options.items() if k.split(".")[0] in ("create", "writer")}
        extra = ",".join(f"{k}={v}" for k, v in sorted(built.items()))
        return f"mofasearch[{extra}]" if extra else "mofasearch"

    def query_errors(self) -> tuple[type[BaseException], ...]:
        from mofasearch.errors import QuerySyntaxError

        return (QuerySyntaxError,)

    def missing(self) -> str | None:
        try:
            importlib.import_module("mofasearch.index")
        except ImportError as exc:
            return f"mofasearch.index is not importable yet ({exc})"
        return None

    def prepare(self) -> None:
        import mofasearch.index
        import mofasearch.parallel
        import mofasearch.segbuild  # noqa: F401
        from mofasearch.analysis.sudachi import dictionary

        dictionary(())  # the key the analysis chains load it under (lru_cache keys on the call)

    def build(
        self, passages: Sequence[Passage], path: Path, terms: Sequence[Sequence[str]] | None = None
    ) -> None:
        from mofasearch import Index

        with (
            Index.create(path, **self.parts["create"]) as ix,
            ix.writer(**self.parts["writer"]) as w,
        ):
            for doc in documents(passages):
                w.add(doc)

    def open(self, path: Path) -> Any:
        from mofasearch import Index

        if self.parts["ranking"]:
            from mofasearch.scoring import RankingConfig

            self.parts["search"]["ranking"] = RankingConfig(**self.parts["ranking"])
        return Index.open(path)

    def search(self, handle: Any, query: str, k: int) -> list[str]:
        hits = handle.search(query, limit=k, group_by_document=False, **self.parts["search"])
        return [hit.section_id for hit in hits]

    def count(self, handle: Any) -> int:
        return int(handle.stats()["sections"])


class MofaSnippets(MofaSearch):
    """The same index, with every hit's snippet made inside the timed query (what a result page
    shows); timed only, its ranking is mofasearch's."""

    description = "mofasearch, snippets of all hits made inside the timing"
    latency_only = True

    def search(self, handle: Any, query: str, k: int) -> list[str]:
        hits = list(handle.search(query, limit=k, group_by_document=False, **self.parts["search"]))
        for hit in hits:
            _ = hit.snippet.text
        return [hit.section_id for hit in hits]


class MofaGrouped(MofaSearch):
    """The same index, searched as the library's default does: hits grouped by document, each
    with its document's other matching sections (a statute's articles, a page's sections);
    timed only. The question sets hold one section per document, where grouping is the plain
    search plus its own steps; the statutes of the scale series have dozens a document."""

    description = "mofasearch, grouped by document (the search default) with other sections"
    latency_only = True

    def search(self, handle: Any, query: str, k: int) -> list[str]:
        hits = handle.search(query, limit=k, group_by_document=True, **self.parts["search"])
        return [hit.section_id for hit in hits]
