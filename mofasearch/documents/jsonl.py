"""JSON Lines of pre-split text: passages (one section each) and documents (a list of sections).

``{"id", "title", "text"}`` is one Document of one section whose id is the line's ``id``;
``{"id", "title", "sections": [{"id", "text", "heading"?, "number"?, "path"?}]}`` is one Document
with those sections. Optional ``date`` (ISO or Japanese), ``url``, ``category`` and ``meta`` are
honoured; other fields (``doc_id``, ``section`` in the retrieval sets) go to ``meta`` as
strings so nothing the producer wrote is silently dropped: numbers as written, lists and objects
as compact JSON, as are the values of a nested ``meta`` and a ``title``, ``url`` or ``category``
that is a list or an object (kept under its own name); ``null`` is no value.

JSON Lines is UTF-8 by definition (RFC 8259), so every line is decoded strictly and an error
names the line and its byte offset. A ``\\ud800`` escape without its pair decodes to a lone
surrogate, which is not a character and cannot be encoded again; in text it becomes U+FFFD
(logged), as a strict UTF-8 decoder would make of the same bytes. A document id is identity, not
text: one with a lone surrogate is an error naming its line (as the writer refuses such an id),
since replacing it would make ``"\\ud800a"`` and ``"\\ud801a"`` the same document. A record with
neither ``text`` nor ``sections`` (a queries file, say) means the file is not a document file: an
error naming it, not an empty result. A ``.json`` file holds one such record, or an array of
them (:func:`parse_json`).
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import re
from collections.abc import Mapping
from typing import Any

from mofasearch.documents.dates import parse_date
from mofasearch.documents.model import Document, Section
from mofasearch.errors import DocumentParseError

log = logging.getLogger("mofasearch.documents")

_KNOWN = frozenset({"id", "title", "text", "sections", "date", "url", "category", "meta"})
#: the known fields read with :func:`_optional` (a list or an object there is kept in meta)
_OPTIONAL = frozenset({"title", "url", "category"})
_SURROGATE = re.compile("[\ud800-\udfff]")

PathLike = str | os.PathLike[str] | None


def looks_like_jsonl(text: str) -> bool:
    """True when the first non-blank line is a JSON object."""
    for line in text.split("\n", 50)[:50]:
        if line.strip():
            try:
                return isinstance(json.loads(line), dict)
            except (ValueError, RecursionError):
                return False
    return False


def parse_jsonl(data: bytes, path: PathLike = None) -> list[Document]:
    """Every record of a JSONL file as a Document; DocumentParseError names line and offset."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    documents: list[Document] = []
    offset = 0
    for lineno, raw in enumerate(data.split(b"\n"), 1):
        start, offset = offset, offset + len(raw) + 1
        if raw.strip():
            record = _record(raw, path, lineno, start)
            documents.append(_document(record, path, lineno, start))
    if not documents:
        raise DocumentParseError("the JSONL file holds no records", path)
    return documents


def parse_json(data: bytes, path: PathLike = None) -> list[Document]:
    """A ``.json`` file: one record of the JSONL shape, or an array of them. A ``.json`` file of
    JSON Lines is read as such; any other JSON (a ``package.json``) is not a document file: an
    error naming it, rather than its syntax indexed as the text of a page."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DocumentParseError("not UTF-8 (JSON must be UTF-8)", path, error.start) from None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        if error.msg == "Extra data" and looks_like_jsonl(text):
            return parse_jsonl(data, path)
        at = len(text[: error.pos].encode("utf-8"))
        raise DocumentParseError(f"invalid JSON ({error.msg})", path, at) from None
    except RecursionError:
        raise DocumentParseError("JSON nested too deeply", path, 0) from None
    records = value if isinstance(value, list) else [value]
    documents: list[Document] = []
    for number, record in enumerate(records, 1):
        if not isinstance(record, dict):
            raise DocumentParseError(f"record {number}: not a JSON object", path, 0)
        documents.append(_document(record, path, number, 0, where=f"record {number}"))
    if not documents:
        raise DocumentParseError("the JSON file holds no records", path)
    return documents


def _record(raw: bytes, path: PathLike, lineno: int, start: int) -> dict[str, Any]:
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DocumentParseError(
            f"line {lineno} is not UTF-8 (JSON Lines must be UTF-8)", path, start + error.start
        ) from None
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        at = start + len(line[: error.pos].encode("utf-8"))
        raise DocumentParseError(f"line {lineno}: invalid JSON ({error.msg})", path, at) from None
    except RecursionError:
        raise DocumentParseError(f"line {lineno}: JSON nested too deeply", path, start) from None
    if not isinstance(record, dict):
        raise DocumentParseError(f"line {lineno}: not a JSON object", path, start)
    return record


def _document(
    record: dict[str, Any], path: PathLike, lineno: int, start: int, *, where: str = ""
) -> Document:
    where = where or f"line {lineno}"

    def fail(message: str) -> DocumentParseError:
        return DocumentParseError(f"{where}: {message}", path, start)

    if "text" in record:
        if not isinstance(record["text"], str):
            raise fail('"text" must be a string')
        sections = [Section(text=_clean(record["text"]))]
    elif "sections" in record:
        if not isinstance(record["sections"], list):
            raise fail('"sections" must be a list')
        sections = [_section(item, fail) for item in record["sections"]]
        if not sections:  # the document would vanish from the index, title and all
            raise fail('"sections" is empty: a document needs at least one section')
    else:
        raise fail('a record needs "text" or "sections": this is not a document file')
    doc_id = record.get("id")
    if not isinstance(doc_id, str | int) or isinstance(doc_id, bool) or doc_id == "":
        raise fail('every record needs an "id" (a string)')
    if isinstance(doc_id, str) and _SURROGATE.search(doc_id):
        raise fail(f'the "id" {ascii(doc_id)} contains a lone surrogate (not a character)')
    meta = {
        _clean(key): _string(value)
        for key, value in record.items()
        if value is not None and (key not in _KNOWN or _misplaced(key, value))
    }
    if isinstance(record.get("meta"), Mapping):
        meta.update(
            {_clean(str(k)): _string(v) for k, v in record["meta"].items() if v is not None}
        )
    raw_date = record.get("date")
    date = _date(raw_date)
    if date is None and raw_date is not None and str(raw_date).strip():
        # not a date we can filter by (2004年頃, 2004), but a fact of the record: kept, not lost
        meta.setdefault("date", _string(raw_date))
    return Document(
        id=str(doc_id),
        title=_optional(record.get("title")) or "",
        sections=sections,
        date=date,
        url=_optional(record.get("url")),
        category=_optional(record.get("category")),
        meta=meta,
    )


def _section(item: Any, fail: Any) -> Section:
    if isinstance(item, str):
        return Section(text=_clean(item))
    if not isinstance(item, dict) or not isinstance(item.get("text"), str):
        raise fail('each section needs a "text" string')
    path = item.get("path") or ()
    if not isinstance(path, list | tuple) or not all(isinstance(p, str) for p in path):
        raise fail('a section "path" must be a list of strings')
    return Section(
        text=_clean(item["text"]),
        heading=_optional(item.get("heading")) or "",
        number=_optional(item.get("number")) or "",
        path=tuple(_clean(p) for p in path),
        id=_optional(item.get("id")) or "",
    )


def _string(value: Any) -> str:
    """A JSON value as meta text: strings as they are, numbers as written, ``true``/``false``,
    lists and objects as compact JSON (never Python's repr)."""
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, bool | list | dict):
        return _clean(json.dumps(value, ensure_ascii=False, separators=(",", ":")))
    return str(value)


def _misplaced(key: str, value: Any) -> bool:
    """A known field whose value cannot be what the field takes (a list as the title, an object
    as the url, a ``meta`` that is no object): kept in ``meta`` under its own name."""
    if key == "meta":
        return not isinstance(value, Mapping)
    return key in _OPTIONAL and isinstance(value, list | dict)


def _clean(text: str) -> str:
    if _SURROGATE.search(text) is None:
        return text
    log.warning("replacing lone surrogates by U+FFFD in %s", ascii(text[:40]))
    return _SURROGATE.sub("\ufffd", text)


def _optional(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    return _string(value)


def _date(value: Any) -> datetime.date | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return datetime.date.fromisoformat(value.strip()[:10])
    except ValueError:
        return parse_date(value)
