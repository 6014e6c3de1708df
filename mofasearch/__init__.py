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

from typing import TYPE_CHECKING

from mofasearch.lazy import lazy_names

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


__getattr__, __dir__ = lazy_names(__name__, _LAZY, globals())
