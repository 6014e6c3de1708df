"""Sudachi resources: one dictionary per process, one tokenizer per thread, safe input.

Why this shape:

- ``Dictionary`` is memory-mapped and cheap to share, so it is loaded once per process (per set of
  user dictionaries). A Sudachi ``Tokenizer`` refuses to be used by two threads at once
  ("Tokenizer is already in use"), so each thread gets its own, made on first use.
- Nothing here pickles; analyzers pickle their settings and come back here lazily.
- Sudachi rejects input over 49,149 UTF-8 bytes. :func:`chunks` cuts long text at sentence
  boundaries (else at a space or punctuation, else anywhere) into pieces it accepts; callers shift
  offsets by the chunk start. Sudachi checks a second limit on the text as it rewrites it
  (㍿ -> 株式会社, ㌫ -> パーセント), which can be several times longer: a chunk refused so
  (:func:`too_long`) is cut again into smaller ones. Lone surrogates cannot be encoded;
  :func:`sanitize` replaces them with U+FFFD, which keeps every offset.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from functools import lru_cache
from typing import Any

from mofasearch.errors import MofaSearchError

log = logging.getLogger("mofasearch.analysis")

#: Sudachi's input limit is 49,149 bytes; a code point is at most 4 UTF-8 bytes
MAX_CHUNK_CHARS = 12_000
_SENTENCE_END = re.compile(r"[。．！？!?\n]")
_SOFT_BREAK = re.compile(r"[\s、，,.・」』）)]")
_SURROGATE = re.compile("[\ud800-\udfff]")

_local = threading.local()
_lock = threading.Lock()


@lru_cache(maxsize=1)
def dictionary_version() -> str:
    """The SudachiPy and system dictionary versions (part of every settings fingerprint)."""
    from importlib.metadata import version

    return f"sudachipy {version('sudachipy')}; sudachidict-core {version('sudachidict-core')}"


@lru_cache(maxsize=8)
def dictionary(key: tuple[str, ...] = ()) -> Any:
    """The Sudachi dictionary with the user dictionaries ``key`` (loaded once per process)."""
    from sudachipy import Dictionary

    try:
        if key:
            return Dictionary(config=json.dumps({"userDict": list(key)}))
        return Dictionary()
    except Exception as exc:  # Sudachi raises plain exceptions for unreadable dictionaries
        raise MofaSearchError(
            f"cannot load the Sudachi dictionary {list(key) or 'core'}: {exc}",
            hint="check the user dictionary paths (compiled with `sudachipy ubuild`)",
        ) from exc


def tokenizer(key: tuple[str, ...], mode: str) -> Any:
    """This thread's Sudachi tokenizer for dictionary ``key`` and split ``mode``."""
    cache = getattr(_local, "tokenizers", None)
    if cache is None:
        cache = _local.tokenizers = {}
    tok = cache.get((key, mode))
    if tok is None:
        from sudachipy import SplitMode

        with _lock:  # the first load of a dictionary happens once, whichever thread comes first
            dic = dictionary(key)
        tok = cache[(key, mode)] = dic.tokenizer(mode=getattr(SplitMode, mode))
    return tok


@lru_cache(maxsize=8)
def pos_names(key: tuple[str, ...] = ()) -> tuple[tuple[str, ...], ...]:
    """Every part of speech of the dictionary, indexed by ``part_of_speech_id()``."""
    dic = dictionary(key)
    out: list[tuple[str, ...]] = []
    while True:
        pos = dic.pos_of(len(out))
        if pos is None:
            return tuple(out)
        out.append(tuple(pos))


def _tag_prefix(tag: str) -> tuple[str, ...]:
    """``"名詞, 固有名詞"`` -> ``("名詞", "固有名詞")``: a tag as the levels it fixes."""
    return tuple(t.strip() for t in tag.split(",") if t.strip())


def _matches(prefix: tuple[str, ...], pos: tuple[str, ...]) -> bool:
    return bool(prefix) and pos[: len(prefix)] == prefix


@lru_cache(maxsize=32)
def pos_table(key: tuple[str, ...], tags: tuple[str, ...]) -> tuple[bool, ...]:
    """For each part-of-speech id, whether some tag is a level-wise prefix of it.

    Precomputed once so a filter decides with one tuple index instead of comparing tuples.
    """
    prefixes = [_tag_prefix(tag) for tag in tags]
    return tuple(any(_matches(p, pos) for p in prefixes) for pos in pos_names(key))


@lru_cache(maxsize=32)
def pos_weights(key: tuple[str, ...], weights: tuple[tuple[str, float], ...]) -> tuple[float, ...]:
    """For each part-of-speech id, the weight of the longest tag of ``weights`` (``"名詞,固有名詞"``
    and the like) that is a level-wise prefix of it, 1.0 where none is; one more 1.0 at the end,
    for the whole-value token (part of speech -1)."""
    tags = sorted(((_tag_prefix(tag), w) for tag, w in weights), key=lambda item: -len(item[0]))
    out = [next((w for p, w in tags if _matches(p, pos)), 1.0) for pos in pos_names(key)]
    return (*out, 1.0)


def sanitize(text: str) -> str:
    """Replace lone surrogates (not encodable as UTF-8) by U+FFFD; offsets are unchanged."""
    return _SURROGATE.sub("\ufffd", text)


def too_long(exc: Exception) -> bool:
    """Whether Sudachi refused a piece for its length, as written or as it rewrote it (its
    message: "Input is too long, it can't be more than 65535 bytes")."""
    return "too long" in str(exc)


def chunks(text: str, limit: int = MAX_CHUNK_CHARS) -> list[tuple[int, str]]:
    """``(offset, piece)`` pairs covering ``text``, each small enough for Sudachi."""
    if len(text) <= limit:
        return [(0, text)]
    out = []
    start = 0
    n = len(text)
    while start < n:
        end = min(start + limit, n)
        if end < n:
            end = _cut(text, start, end)
        out.append((start, text[start:end]))
        start = end
    return out


def _cut(text: str, start: int, end: int) -> int:
    """The best place to end a chunk in ``text[start:end]``: after a sentence if possible."""
    lower = start + (end - start) // 2
    for pattern in (_SENTENCE_END, _SOFT_BREAK):
        last = None
        for m in pattern.finditer(text, lower, end):
            last = m
        if last is not None:
            return last.end()
    return end
