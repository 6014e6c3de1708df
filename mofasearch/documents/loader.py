"""Finding source files, detecting their format, and turning each into Documents.

Detection goes by name first, then by content, so that a page saved without an extension still
loads: ``.jsonl``/``.ndjson`` (optionally ``.gz``) are JSONL, ``.json`` one record of that shape
or an array of them; ``.md``/``.markdown`` Markdown; XML whose root is ``<Law>`` (or the
e-Gov 法令API response holding one), whatever the file is named, an e-Gov statute in
法令標準XML; HTML
(by extension or by its first bytes) is an e-Gov statute when it carries e-Gov's markup, else a
page; anything else that decodes is a page in plain text, whose rules find nothing to strip or
cut in text without MOFA structure and keep it as one lead section.

Document ids: the file path relative to the root given to :func:`load` (POSIX separators; for a
single file, relative to its folder), except JSONL records, which carry their own ids.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

from mofasearch.documents import egov, egov_xml, jsonl, markdown
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
#: A folder holding this file is a mofasearch index (``mofasearch.index.META_FILE``, written
#: first when an index is created): never walked as a source.
INDEX_MARKER = "mofasearch.json"
_JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")
_JSON_SUFFIXES = (".json", ".json.gz")
_MARKDOWN_SUFFIXES = (".md", ".markdown", ".md.gz", ".markdown.gz")

# the errors for which Path.is_file says False: no such file, not a folder on the way, loops
_NOT_A_FILE = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP})

OnError = Callable[[Path, DocumentParseError], object]


def iter_source_files(
    path: str | os.PathLike[str], *, on_error: OnError | None = None
) -> Iterator[Path]:
    """The files ``load`` reads under ``path``, sorted, skipping README*, LICENSE* and hidden ones.

    A file path yields itself. Symbolic links to directories are not followed (no cycles); a
    symbolic link to a file is read unless the walk reads that file already. A
    folder that holds :data:`INDEX_MARKER` is a mofasearch index, not a source: it is skipped with
    everything under it, so ``mofasearch index .`` never reads the index it is writing (its
    segments, lock and metadata) nor any other index kept among the sources.

    A folder that cannot be listed raises :class:`DocumentParseError` naming it, or, when
    ``on_error`` is given, is reported as ``on_error(folder, error)`` and the walk goes on
    without it. It is never silently skipped: a caller keeping an index in step would take the
    files it could not see for deleted ones. A file whose type cannot be checked (a folder
    that can be listed but not entered) is yielded, so that reading it names the reason.
    """
    root = Path(path)
    if not root.is_dir():
        if not root.exists():
            raise DocumentParseError("no such file or directory", root)
        yield root
        return

    def walk_error(error: OSError) -> None:
        if isinstance(error, FileNotFoundError):
            return  # removed while we walked: it is gone, not unreadable
        folder = Path(error.filename) if error.filename else root
        problem = DocumentParseError(f"cannot list the folder: {error.strerror or error}", folder)
        if on_error is None:
            raise problem from error
        on_error(folder, problem)

    found: list[Path] = []
    for folder, dirs, files in os.walk(root, onerror=walk_error):
        if INDEX_MARKER in files:
            log.info("skipping %s: it holds a mofasearch index", folder)
            dirs[:] = []
            continue
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(
            Path(folder, name)
            for name in sorted(files)
            if not _skipped(name) and _is_file(Path(folder, name))
        )
    yield from _without_repeated_links(found)


def _without_repeated_links(files: list[Path]) -> Iterator[Path]:
    """``files`` without a symbolic link to a file that is among them already (as itself or
    through an earlier link): one file read twice would be two documents, every hit twice."""
    links = [os.path.islink(f) for f in files]
    if not any(links):
        yield from files
        return
    seen = {_identity(f) for f, link in zip(files, links, strict=True) if not link}
    for file, link in zip(files, links, strict=True):
        if link:
            identity = _identity(file)
            if identity is not None and identity in seen:
                log.info("skipping %s: it links to a file read already", file)
                continue
            seen.add(identity)
        yield file


def _identity(path: Path) -> tuple[int, int] | None:
    """The device and inode of the file ``path`` leads to (None when it cannot be examined)."""
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_dev, found.st_ino


def _is_file(path: Path) -> bool:
    """False for sockets, FIFOs, dangling links and link loops (as ``Path.is_file``); True when
    the file cannot be checked at all (permission denied), so that reading it names the reason
    instead of the file silently dropping out of the walk."""
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError as error:
        return error.errno not in _NOT_A_FILE


def _skipped(name: str) -> bool:
    lower = name.lower()
    return lower.startswith(".") or lower.startswith(SKIPPED_PREFIXES) or lower in SKIPPED_NAMES


def load(path: str | os.PathLike[str], *, on_error: OnError | None = None) -> Iterator[Document]:
    """Documents from a file or a directory tree, in a stable order.

    A bad file (or a folder that cannot be listed) raises :class:`DocumentParseError`, or, when
    ``on_error`` is given, is reported as ``on_error(path, error)`` and the walk goes on with the
    next file.
    """
    root = Path(path)
    base = root if root.is_dir() else root.parent
    try:
        files = list(iter_source_files(root, on_error=on_error))
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
    if name.endswith(_JSON_SUFFIXES):
        return jsonl.parse_json(data, path)
    text = decode(data, path)
    if name.endswith(_MARKDOWN_SUFFIXES):
        document = markdown.parse_markdown(text, doc_id=doc_id, fallback_title=_stem(path))
    elif egov_xml.is_law_xml(text):
        document = egov_xml.parse_law_xml(text, doc_id=doc_id, path=path)
    elif looks_like_html(text) and egov.is_statute(text):
        document = egov.parse_statute(text, doc_id=doc_id, path=path)
    elif not looks_like_html(text) and jsonl.looks_like_jsonl(text):
        return jsonl.parse_jsonl(data, path)
    else:
        document = page_document(text, doc_id=doc_id, fallback_title=_stem(path))
    if not document.sections:
        # an empty page or Markdown file (its title is only the file name), or a statute page
        # with no provision (cut off after its header): nothing to index, and the writer would
        # refuse the document without naming the file
        raise DocumentParseError("no text found in the file", path)
    return [document]


def _relative_id(path: Path, root: Path) -> str:
    for candidate, base in ((path, root), (path.resolve(), root.resolve())):
        try:
            return _readable(candidate.relative_to(base).as_posix())
        except ValueError:
            continue
    return _readable(path.name)


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".html", ".htm", ".txt", ".md", ".markdown"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return _readable(name)


def _readable(name: str) -> str:
    """A file name as text even when its bytes are not UTF-8 (Python hands them over as lone
    surrogates, which no index can store): Japanese names unpacked from a Windows archive are
    Shift_JIS (CP932), read as such; other bytes are written as ``\\xNN``. Either way the same
    file always gets the same id."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:  # lone surrogates: the bytes Python could not decode
        raw = os.fsencode(name)
    try:
        return raw.decode("cp932")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "backslashreplace")
