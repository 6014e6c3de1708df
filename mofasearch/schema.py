"""The Whoosh schema: one Whoosh document per section.

Fields (why each exists):

- ``section_id`` (ID, unique, stored): the key hits are reported, tie-broken and explained by.
- ``doc_id`` (ID, stored, column): replacing or deleting a whole document is one
  ``delete_by_term``; the column lets grouping and ``doc_ids()`` run without stored fields.
- ``title`` (TEXT, positions): the document's title on every one of its sections, so a question
  naming the page's subject lifts every section of that page and the body picks the section.
- ``heading`` (TEXT, positions): the section's heading path (ancestor headings and its own).
- ``body`` (TEXT, positions): the section text. These three use the main Japanese chain
  (Sudachi C units, A sub-words added at index time).
- ``bigram`` (side-only): character bigrams of title + heading + body, the recall fallback
  when word segmentation differs between query and text.
- ``reading`` (side-only): katakana readings of title + heading + body, so a kana query
  (にちろ) finds its kanji spelling (日露).
  These two are not Whoosh fields: they need neither positions nor Whoosh queries, and they
  hold most of the postings, which Whoosh writes slowly. The writer analyzes them and stores
  their postings only in the segment's side-car file (:mod:`mofasearch.impact`).
- ``section_tree`` (KEYWORD): the section number and its ancestors' (``3``, ``3.(2)``), so that
  ``section:3`` matches 3 and its subsections with one term.
- ``answer_types`` (KEYWORD): the kinds of answer the body holds (``date``, ``person``,
  ``place``, ``number``; see :mod:`mofasearch.analysis.answertypes`), so a question asking
  いつ/誰/どこ/いくつ can lift the sections holding such a word. An index written before the
  field existed has none of its terms: its questions are ranked without it.
- ``category`` (ID, column), ``datenum`` (column, ``YYYYMMDD`` or 0): filters, facets and date
  sorting read these as numpy arrays per segment.
- ``label`` (column): the section's number and heading (see :func:`label_value`), so a
  document's other matching sections are reported without decoding their stored fields (text
  and tokens included: most of a stored record). A section written before the column existed
  has the column's empty default there, and its stored fields are read instead.
- stored only: ``ordinal``, ``title_text``, ``date``, ``url``, ``number``, ``path``, ``heading_text``,
  ``text`` (the body once, for snippets and ``get``), ``text_spans`` (the body's tokens with
  their offsets, packed: snippets highlight from them without analyzing the text again; an
  index without them is analyzed at query time), ``meta`` (JSON).

The schema version, the analysis fingerprint and the Sudachi dictionary version are recorded
beside the index (see :mod:`mofasearch.index`) and checked on open.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from functools import lru_cache
from typing import Any

from whoosh import columns
from whoosh.fields import COLUMN, ID, KEYWORD, STORED, TEXT, Schema

#: bump when fields or their analysis change; an index with another version must be rebuilt
SCHEMA_VERSION = 2

#: fields a bare query is scored against (RankingConfig gives their weights)
WORD_FIELDS = ("title", "heading", "body")
#: scored fields that live only in the side-car postings files
SIDE_FIELDS = ("bigram", "reading")
FALLBACK_FIELDS = SIDE_FIELDS
#: field names the query language accepts for ``field:`` and what they search
QUERY_FIELDS = {"title": ("title",), "heading": ("heading",)}


def _analysis() -> Any:
    import mofasearch.analysis as analysis

    return analysis


def word_analyzer() -> Any:
    return _analysis().japanese_analyzer(mode="C")


def bigram_analyzer() -> Any | None:
    factory = getattr(_analysis(), "bigram_analyzer", None)
    return factory() if factory is not None else None


def reading_analyzer() -> Any | None:
    factory = getattr(_analysis(), "reading_analyzer", None)
    return factory() if factory is not None else None


def build_schema() -> Schema:
    """The schema of a new index, with the analysis chains of :mod:`mofasearch.analysis`."""
    words = word_analyzer()
    fields: dict[str, Any] = {
        "section_id": ID(stored=True, unique=True, sortable=True),
        "doc_id": ID(stored=True, sortable=True),
        "title": TEXT(analyzer=words, phrase=True),
        "heading": TEXT(analyzer=words, phrase=True),
        "body": TEXT(analyzer=words, phrase=True),
        "section_tree": KEYWORD(lowercase=False, scorable=False),
        "answer_types": KEYWORD(lowercase=False, scorable=False),
        "category": ID(stored=True, sortable=True),
        "datenum": COLUMN(columns.NumericColumn("i", default=0)),
        "label": COLUMN(columns.VarBytesColumn()),
        "ordinal": STORED(),
        "title_text": STORED(),
        "date": STORED(),
        "url": STORED(),
        "number": STORED(),
        "path": STORED(),
        "heading_text": STORED(),
        "text": STORED(),
        "text_spans": STORED(),
        "meta": STORED(),
    }
    return Schema(**fields)


def label_value(number: str, heading: str) -> bytes:
    """The ``label`` column's value: number and heading in UTF-8 around a NUL, never empty (the
    column's default, b"", means "not written"); b"" for a number holding a NUL itself, whose
    section is then reported from its stored fields."""
    if "\x00" in number:
        return b""
    return number.encode("utf-8") + b"\x00" + heading.encode("utf-8")


def label_parts(value: bytes) -> tuple[str, str] | None:
    """(number, heading) of a ``label`` value; None for the empty default."""
    if not value:
        return None
    number, _, heading = value.partition(b"\x00")
    return number.decode("utf-8"), heading.decode("utf-8")


_SIDE_ANALYZERS: dict[str, Any] = {}


def side_analyzer(fieldname: str) -> Any:
    """The chain of a side-only field (built once per process; analyzers keep no text)."""
    found = _SIDE_ANALYZERS.get(fieldname)
    if found is None:
        found = bigram_analyzer() if fieldname == "bigram" else reading_analyzer()
        _SIDE_ANALYZERS[fieldname] = found
    return found


def field_analyzer(schema: Schema, fieldname: str) -> Any | None:
    """The analyzer of a scored field, Whoosh's or side-only; None for an unknown name."""
    if fieldname in SIDE_FIELDS:
        return side_analyzer(fieldname)
    if fieldname in schema:
        return schema[fieldname].analyzer
    return None


def query_analyzer(schema: Schema, synonyms: tuple[str, ...] = ()) -> Any:
    """The chain a query's words go through: the word fields' own, plus the query-time
    expansion of ``synonyms`` (synonym files) when there are any."""
    words = schema["body"].analyzer
    if not synonyms:
        return words
    return _with_synonyms(words.items[0].settings, synonyms)


@lru_cache(maxsize=16)
def _with_synonyms(settings: Any, synonyms: tuple[str, ...]) -> Any:
    return _analysis().japanese_analyzer(settings=replace(settings, synonyms=synonyms))


def analysis_fingerprint() -> str:
    """What the indexed terms depend on: the chains' settings and the dictionary version."""
    analysis = _analysis()
    settings = getattr(analysis, "AnalysisSettings", None)
    if settings is not None and hasattr(settings, "fingerprint"):
        try:
            return str(settings().fingerprint())
        except TypeError:
            pass
    parts = [repr(word_analyzer()), repr(bigram_analyzer()), repr(reading_analyzer())]
    parts.append(dictionary_version())
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def dictionary_version() -> str:
    return str(_analysis().dictionary_version())
