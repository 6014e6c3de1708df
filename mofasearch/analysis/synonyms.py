"""Synonym files and query-time synonym expansion.

Two formats are read, detected per file:

- simple: one group per line, ``a, b, c`` (all equivalent) or ``a, b => c, d`` (a and b expand
  to c and d); ``#`` starts a comment.
- SudachiDict ``synonyms.txt``: CSV rows ``group,体言/用言,展開制御,語彙番号,語形種別,略語,
  表記ゆれ,分野,見出し,,`` with groups sharing the group number. 展開制御 0 expands both ways,
  1 is only a target (never triggers an expansion), 2 is never used.

Words are analyzed by the same chain as the text (so 〇〇 written in full-width or as a
spelling variant still meets its entry) and expanded at query time only: the index stays
small and a changed synonym file needs no re-index: a file is read again when its size or
modification time changes, so an edit takes effect at the next query of a running process.
Synonyms share the position of the word they expand, so phrases keep working; a multi-unit
synonym adds each of its units there.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import threading
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from whoosh.analysis import Filter, Token

from mofasearch.analysis import sudachi
from mofasearch.analysis.morphemes import POS, TERM, records
from mofasearch.analysis.settings import AnalysisSettings
from mofasearch.errors import MofaSearchError

log = logging.getLogger("mofasearch.analysis")
_lock = threading.Lock()

Rules = list[tuple[list[str], list[str]]]  # (triggers, targets) as written


def parse_simple(text: str) -> Rules:
    """Rules of a simple synonym file."""
    rules: Rules = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if "=>" in line:
            left, right = line.split("=>", 1)
            rules.append((_words(left), _words(right)))
        else:
            words = _words(line)
            rules.append((words, words))
    return rules


def parse_sudachi(text: str) -> Rules:
    """Rules of a SudachiDict ``synonyms.txt`` file (one rule per group)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for row in csv.reader(io.StringIO(text)):
        if len(row) < 9 or not row[0].strip():
            continue
        flag = row[2].strip() or "0"
        if flag == "2" or not row[8].strip():
            continue
        groups.setdefault(row[0].strip(), []).append((row[8].strip(), flag))
    return [([w for w, f in g if f == "0"], [w for w, _ in g]) for g in groups.values()]


def _words(part: str) -> list[str]:
    return [w.strip() for w in part.split(",") if w.strip()]


def read_rules(path: str) -> Rules:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise MofaSearchError(
            f"cannot read synonym file {path}: {exc.strerror or exc}",
            hint="check the synonyms path",
        ) from exc
    except UnicodeDecodeError as exc:
        raise MofaSearchError(
            f"synonym file {path} is not UTF-8 text (byte {exc.start})",
            hint="save it as UTF-8",
        ) from exc
    first = next((ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")), "")
    if first.split(",", 1)[0].strip().isdigit() and first.count(",") >= 8:
        return parse_sudachi(text)
    return parse_simple(text)


def check_files(paths: tuple[str, ...]) -> None:
    """Reads each synonym file once: a MofaSearchError naming the first that cannot be read."""
    for path in paths:
        read_rules(path)


def synonym_map(settings: AnalysisSettings) -> dict[str, tuple[str, ...]]:
    """term -> the terms it expands to, with every word analyzed like the text (read again
    when a file's size or modification time has changed)."""
    return _synonym_map(settings, tuple(_stamp(path) for path in settings.synonyms))


def _stamp(path: str) -> tuple[int, int]:
    try:
        st = os.stat(path)
    except OSError:
        return (-1, -1)  # read_rules names the file and the reason
    return (st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=16)
def _synonym_map(
    settings: AnalysisSettings, stamps: tuple[tuple[int, int], ...]
) -> dict[str, tuple[str, ...]]:
    with _lock:
        out: dict[str, list[str]] = {}
        for path in settings.synonyms:
            for triggers, targets in read_rules(path):
                target_terms = [t for w in targets for t in _terms(w, settings)]
                for word in triggers:
                    key = _terms(word, settings)
                    if len(key) != 1:
                        log.debug("synonym %r is not one unit; it cannot trigger", word)
                        continue
                    bucket = out.setdefault(key[0], [])
                    bucket.extend(t for t in target_terms if t != key[0] and t not in bucket)
        return {k: tuple(v) for k, v in out.items() if v}


def _terms(word: str, s: AnalysisSettings) -> list[str]:
    stopped = sudachi.pos_table(s.dictionary_key, s.stop_tags)
    return [r[TERM] for r in records(word, s.mode, s.dictionary_key) if not stopped[r[POS]]]


class SynonymFilter(Filter):
    """At query time, adds each unit's synonyms at its position (index time: no change)."""

    def __init__(self, settings: AnalysisSettings) -> None:
        self.settings = settings

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        syn: dict[str, tuple[str, ...]] | None = None
        for t in tokens:
            if t.mode != "query" or t.stopped or t.subword:
                yield t
                continue
            if syn is None:
                syn = synonym_map(self.settings)
            text = t.text
            yield t
            extra = syn.get(text)
            if extra:
                for term in extra:
                    t.text = term
                    t.subword = True
                    yield t
                t.text = text
                t.subword = False
