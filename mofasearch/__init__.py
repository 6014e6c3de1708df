"""mofasearch: section-aware Japanese full-text search on Whoosh and Sudachi.

>>> from mofasearch import Index, load
>>> with Index.open_or_create("index/") as ix:
...     with ix.writer() as w:
...         for doc in load("corpus/"):
...             w.add(doc)
...     for hit in ix.search("京都議定書"):
...         print(hit.title, hit.section, hit.snippet.text)

Names are imported lazily so that ``import mofasearch`` stays cheap (no Whoosh, no Sudachi).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY = {
    "Index": "mofasearch.index",
    "Document": "mofasearch.documents",
    "Section": "mofasearch.documents",
    "load": "mofasearch.documents",
    "parse_mofa_page": "mofasearch.documents",
}

if TYPE_CHECKING:
    from mofasearch.documents import Document, Section, load, parse_mofa_page
    from mofasearch.index import Index

__all__ = ["Index", "Document", "Section", "load", "parse_mofa_page", "__version__"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mofasearch' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
