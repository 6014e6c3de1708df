"""Documents and their parsers: pure Python, no Whoosh.

``load(path)`` detects each file's format; ``parse_mofa_page`` parses one MOFA page.
"""

from __future__ import annotations

from mofasearch.documents.loader import iter_source_files, load, load_file
from mofasearch.documents.model import Document, Section
from mofasearch.documents.mofa import parse_mofa_page

__all__ = ["Document", "Section", "iter_source_files", "load", "load_file", "parse_mofa_page"]
