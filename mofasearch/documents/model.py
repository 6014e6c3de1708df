"""The document model: frozen, pure-Python values with no Whoosh inside.

A :class:`Document` is one page (a MOFA meeting summary, a statute, a Wikipedia article, a
Markdown file); its :class:`Section` objects are the units that get indexed and ranked.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class Section:
    """One section of a document.

    ``number`` is the page's own numbering, normalized (``"3"``, ``"3.(2)"``); ``path`` holds the
    ancestor headings and then the section's own (``("個別案件", "京都議定書")``); ``id`` is given
    (JSONL) or derived when the Document is built: ``f"{doc.id}#{number or ordinal}"``.
    """

    text: str
    heading: str = ""
    number: str = ""
    path: tuple[str, ...] = ()
    id: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.path, tuple):
            object.__setattr__(self, "path", tuple(self.path))


@dataclass(frozen=True, slots=True)
class Document:
    """A page made of sections, with the facts every section of it shares."""

    id: str
    title: str
    sections: Sequence[Section]
    date: datetime.date | None = None
    url: str | None = None
    category: str | None = None
    meta: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        sections = tuple(self.sections)
        ids: set[str] = set()
        fixed = []
        for ordinal, section in enumerate(sections):
            sid = section.id or f"{self.id}#{section.number or ordinal}"
            # Two sections with the same number (a page that repeats one) still need distinct ids.
            if sid in ids:
                sid = f"{sid}~{ordinal}"
            ids.add(sid)
            fixed.append(section if sid == section.id else replace(section, id=sid))
        object.__setattr__(self, "sections", tuple(fixed))
        object.__setattr__(self, "meta", MappingProxyType(dict(self.meta)))
        if isinstance(self.date, datetime.datetime):
            object.__setattr__(self, "date", self.date.date())

    def __hash__(self) -> int:
        return hash((self.id, self.title, self.sections, self.date, self.url, self.category))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Document):
            return NotImplemented
        return (
            self.id == other.id
            and self.title == other.title
            and self.sections == other.sections
            and self.date == other.date
            and self.url == other.url
            and self.category == other.category
            and dict(self.meta) == dict(other.meta)
        )

    def __getstate__(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "sections": self.sections,
            "date": self.date,
            "url": self.url,
            "category": self.category,
            "meta": dict(self.meta),
        }

    def __setstate__(self, state: dict[str, object]) -> None:
        for key, value in state.items():
            object.__setattr__(self, key, value)
        object.__setattr__(self, "meta", MappingProxyType(dict(state["meta"])))  # type: ignore[call-overload]
