"""Documents and their parsers: pure Python, no Whoosh.

``load(path)`` detects each file's format; ``parse_mofa_page`` parses one MOFA page.

Names are imported lazily: the index needs only the model (``Document``, ``Section``), and
loading the parsers (their regular expressions, ``urllib``) would add about 40 ms to every
process that searches.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mofasearch.lazy import lazy_names

_LAZY = {
    "Document": "mofasearch.documents.model",
    "Section": "mofasearch.documents.model",
    "iter_source_files": "mofasearch.documents.loader",
    "load": "mofasearch.documents.loader",
    "load_file": "mofasearch.documents.loader",
    "parse_mofa_page": "mofasearch.documents.mofa",
}

if TYPE_CHECKING:
    from mofasearch.documents.loader import iter_source_files, load, load_file
    from mofasearch.documents.model import Document, Section
    from mofasearch.documents.mofa import parse_mofa_page

__all__ = ["Document", "Section", "iter_source_files", "load", "load_file", "parse_mofa_page"]


__getattr__, __dir__ = lazy_names(__name__, _LAZY, globals())
