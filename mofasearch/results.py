"""What a search returns: frozen values that outlive the searcher that produced them.

A :class:`Hit` keeps the stored section text it needs for its snippet, so ``hit.snippet`` can be
computed lazily (only when asked) and still works after the index is closed. ``Results`` is a
sequence of hits plus the figures about the whole match set (``total``, ``facets``), and knows
how to turn itself into the ``search --json`` shape of the public contract.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mofasearch.snippets import Snippet

#: (section_id, section number, heading, score) of a document's other matching sections
OtherSection = tuple[str, str, str, float]


@dataclass(frozen=True)
class Hit:
    """One ranked section (with, when grouped, its document's other matching sections)."""

    doc_id: str
    section_id: str
    title: str
    date: datetime.date | None
    url: str | None
    category: str | None
    section: str
    section_path: tuple[str, ...]
    heading: str
    score: float
    other_sections: tuple[OtherSection, ...] = ()
    #: the section's stored text; the snippet is cut from it
    text: str = field(default="", repr=False)
    _snippet_maker: Callable[..., Snippet] | None = field(default=None, repr=False, compare=False)
    #: the body tokens stored beside the text (``text_spans``), for the snippet's highlights
    _tokens: Any = field(default=None, repr=False, compare=False)
    #: not an argument: ``dataclasses.replace(hit, text=…)`` makes a hit of its own, whose
    #: snippet is cut from its own text, not the one already cut for ``hit``
    _cache: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def snippet(self) -> Snippet:
        """The best fragment of the section with the matched words marked (computed once)."""
        cached = self._cache.get("snippet")
        if cached is None:
            if self._snippet_maker is not None:
                cached = self._snippet_maker(self.text, self._tokens)
            else:
                from mofasearch.snippets import Snippet

                cached = Snippet(self.text[:120], ())
            self._cache["snippet"] = cached
        return cached

    def __getstate__(self) -> dict[str, Any]:
        """A pickled hit (a web app's cache, another process) carries its snippet instead of
        the function that makes it, a closure over the index's analyzers that cannot be
        pickled."""
        state = dict(self.__dict__)
        state["_cache"] = {"snippet": self.snippet}
        state["_snippet_maker"] = None
        state["_tokens"] = None
        return state

    def to_dict(self) -> dict[str, Any]:
        """The hit in the ``search --json`` shape (dates as ISO strings)."""
        snippet = self.snippet
        return {
            "doc_id": self.doc_id,
            "section_id": self.section_id,
            "title": self.title,
            "date": self.date.isoformat() if self.date else None,
            "url": self.url,
            "category": self.category,
            "section": self.section,
            "section_path": list(self.section_path),
            "heading": self.heading,
            "score": self.score,
            "snippet": snippet.text,
            "spans": [list(span) for span in snippet.spans],
            "other_sections": [
                {"section_id": sid, "section": number, "heading": heading, "score": score}
                for sid, number, heading, score in self.other_sections
            ],
        }


@dataclass(frozen=True)
class Results:
    """A page of hits and the figures about every match."""

    query: str
    hits: tuple[Hit, ...]
    total: int
    took_ms: float
    reason: str | None = None
    facets: Mapping[str, Mapping[Any, int]] = field(default_factory=dict)

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.hits)

    def __len__(self) -> int:
        return len(self.hits)

    def __getitem__(self, index: int) -> Hit:
        return self.hits[index]

    def __bool__(self) -> bool:
        return bool(self.hits)

    def to_dict(self) -> dict[str, Any]:
        """The ``search --json`` object of the public contract."""
        return {
            "query": self.query,
            "total": self.total,
            "took_ms": self.took_ms,
            "reason": self.reason,
            "facets": {
                name: {str(key): count for key, count in counts.items()}
                for name, counts in self.facets.items()
            },
            "hits": [hit.to_dict() for hit in self.hits],
        }
