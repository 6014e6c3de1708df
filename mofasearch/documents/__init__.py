"""Documents and their parsers: pure Python, no Whoosh.

``load(path)`` detects each file's format; ``parse_mofa_page`` parses one MOFA page.
"""

from __future__ import annotations

from mofasearch.documents.model import Document, Section

__all__ = ["Document", "Section", "load", "parse_mofa_page"]
