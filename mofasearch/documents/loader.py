"""Finding source files, detecting their format, and turning each into Documents.

Detection goes by name first, then by content, so that a page saved without an extension still
loads: ``.jsonl``/``.ndjson`` (optionally ``.gz``) are JSONL; ``.md``/``.markdown`` Markdown; HTML
(by extension or by its first bytes) is an e-Gov statute when it carries e-Gov's markup, else a
page; anything else that decodes is a page in plain text, whose rules find nothing to strip or
cut in text without MOFA structure and keep it as one lead section.

Document ids: the file path relative to the root given to :func:`load` (POSIX separators; for a
single file, relative to its folder), except JSONL records, which carry their own ids.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from mofasearch.documents import egov, jsonl, markdown
from mofasearch.documents.htmltext import looks_like_html
from mofasearch.documents.model import Document
from mofasearch.documents.mofa import page_document
from mofasearch.documents.textio import decode, read_bytes
from mofasearch.errors import DocumentParseError

log = logging.getLogger("mofasearch.documents")

#: Names never loaded from a directory walk (a file given explicitly is always loaded).
SKIPPED_PREFIXES = ("readme", "license", "licence", "copying")
#: Metadata read by the statute parser beside its files, not a document file itself.
SKIPPED_NAMES = frozenset({egov.MANIFEST_NAME})
_JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")
_MARKDOWN_SUFFIXES = (".md", ".markdown", ".md.gz", ".markdown.gz")

OnError = Callable[[Path, DocumentParseError], object]


def iter_source_files(path: str | os.PathLike[str]) -> Iterator[Path]:
    """The files ``load`` reads under ``path``, sorted, skipping README*, LICENSE* and hidden ones.

    A file path yields itself. Symbolic links to directories are not followed (no cycles); a
    folder that cannot be listed is logged and skipped.
    """
    root = Path(path)
    if not root.is_dir():
        if not root.exists():
            raise DocumentParseError("no such file or directory", root)
        yield root
        return
    for folder, dirs, files in os.walk(root, onerror=_walk_error):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            file = Path(folder, name)
            if not _skipped(name) and file.is_file():  # no sockets, FIFOs or dangling links
                yield file


def _walk_error(error: OSError) -> None:
    log.warning("cannot list %s: %s", error.filename, error.strerror or error)


def _skipped(name: str) -> bool:
    lower = name.lower()
    return lower.startswith(".") or lower.startswith(SKIPPED_PREFIXES) or lower in SKIPPED_NAMES


def load(path: str | os.PathLike[str], *, on_error: OnError | None = None) -> Iterator[Document]:
    """Documents from a file or a directory tree, in a stable order.

    A bad file raises :class:`DocumentParseError`, or, when ``on_error`` is given, is reported as
    ``on_error(path, error)`` and the walk goes on with the next file.
    """
    root = Path(path)
    base = root if root.is_dir() else root.parent
    try:
        files = list(iter_source_files(root))
    except DocumentParseError as error:
        if on_error is None:
            raise
        on_error(root, error)
        return
    for file in files:
        try:
            documents = load_file(file, root=base)
        except DocumentParseError as error:
            if on_error is None:
                raise
            log.info("skipping %s: %s", file, error)
            on_error(file, error)
            continue
        yield from documents


def load_file(
    path: str | os.PathLike[str], *, root: str | os.PathLike[str] | None = None
) -> list[Document]:
    """The Documents in one file (JSONL gives many); ids relative to ``root`` (default: its folder)."""
    path = Path(path)
    doc_id = _relative_id(path, Path(root) if root is not None else path.parent)
    data = read_bytes(path)
    name = path.name.lower()
    if name.endswith(_JSONL_SUFFIXES):
        return jsonl.parse_jsonl(data, path)
    text = decode(data, path)
    if name.endswith(_MARKDOWN_SUFFIXES):
        return [markdown.parse_markdown(text, doc_id=doc_id, fallback_title=_stem(path))]
    if looks_like_html(text) and egov.is_statute(text):
        return [egov.parse_statute(text, doc_id=doc_id, path=path)]
    if not looks_like_html(text) and jsonl.looks_like_jsonl(text):
        return jsonl.parse_jsonl(data, path)
    document = page_document(text, doc_id=doc_id, fallback_title=_stem(path))
    if not document.sections:
        raise DocumentParseError("no text found in the file", path)
    return [document]


def _relative_id(path: Path, root: Path) -> str:
    for candidate, base in ((path, root), (path.resolve(), root.resolve())):
        try:
            return candidate.relative_to(base).as_posix()
        except ValueError:
            continue
    return path.name


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".html", ".htm", ".txt", ".md", ".markdown"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name
