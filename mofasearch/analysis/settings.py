"""Analysis settings (a picklable value) and the data files behind their defaults.

An analyzer pickles as its :class:`AnalysisSettings` only: Whoosh stores the schema, analyzers
included, in the index, and Sudachi objects refuse to pickle. Everything heavy (the dictionary,
tokenizers, the part-of-speech table, synonym maps) is rebuilt lazily from the settings, once per
process or thread. The fingerprint names everything that changes the indexed terms, so an index
built with other settings or another dictionary is detected instead of silently going stale.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path

from mofasearch.errors import MofaSearchError

MODES = ("A", "B", "C")


def _data_lines(name: str) -> tuple[str, ...]:
    """Non-blank, non-comment lines of a data file shipped in ``mofasearch/data``."""
    text = resources.files("mofasearch").joinpath("data", name).read_text(encoding="utf-8")
    return _lines(text)


def _lines(text: str) -> tuple[str, ...]:
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(line)
    return tuple(out)


@cache
def default_stoptags() -> tuple[str, ...]:
    """Part-of-speech prefixes stopped by default (``data/stoptags.txt``)."""
    return _data_lines("stoptags.txt")


@cache
def default_stopwords() -> tuple[str, ...]:
    """Stop words, as indexed terms (``data/stopwords.txt``)."""
    return _data_lines("stopwords.txt")


@cache
def question_words() -> frozenset[str]:
    """Low-information question words (indexed terms) that search may down-weight.

    They are not stop words: the index keeps them.
    """
    return frozenset(_data_lines("question_words.txt"))


@cache
def lexicalized_words() -> tuple[tuple[str, str, str, str], ...]:
    """``(surface, reading, not_after, after)`` rows of ``data/lexicalized.tsv``."""
    text = resources.files("mofasearch").joinpath("data", "lexicalized.tsv").read_text("utf-8")
    rows = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.rstrip("\n").split("\t") + ["", "", ""]
        rows.append((cols[0], cols[1], cols[2], cols[3]))
    return tuple(rows)


@dataclass(frozen=True)
class AnalysisSettings:
    """Everything that decides the analyzers' output; frozen, hashable, picklable.

    ``stoptags``/``stopwords`` of None mean the shipped defaults. ``user_dictionaries`` are
    compiled Sudachi user dictionary paths. ``synonyms`` are synonym files (a simple
    ``a, b, c`` file or SudachiDict's ``synonyms.txt`` CSV), expanded at query time only.
    ``query_subwords`` decides whether queries also get A sub-units (see ``analyzers``).
    """

    mode: str = "C"
    subwords: bool = True
    query_subwords: bool = False
    stoptags: tuple[str, ...] | None = None
    stopwords: tuple[str, ...] | None = None
    user_dictionaries: tuple[str, ...] = ()
    synonyms: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        mode = str(self.mode).upper()
        if mode not in MODES:
            raise MofaSearchError(
                f"unknown Sudachi split mode {self.mode!r}", hint="use mode A, B or C"
            )
        object.__setattr__(self, "mode", mode)
        for name in ("stoptags", "stopwords"):
            value = getattr(self, name)
            if isinstance(value, str):  # one tag or word, not its characters ("助詞", not 助, 詞)
                value = (value,)
            if value is not None and not isinstance(value, tuple):
                value = tuple(value)
            object.__setattr__(self, name, value)
        for name in ("user_dictionaries", "synonyms"):
            value = getattr(self, name)
            if isinstance(value, str | Path):
                value = (value,)
            object.__setattr__(self, name, tuple(str(Path(p)) for p in value))

    @property
    def stop_tags(self) -> tuple[str, ...]:
        return default_stoptags() if self.stoptags is None else self.stoptags

    @property
    def stop_words(self) -> frozenset[str]:
        return _frozen(default_stopwords() if self.stopwords is None else self.stopwords)

    @property
    def dictionary_key(self) -> tuple[str, ...]:
        """What selects the Sudachi dictionary object (shared by every mode)."""
        return self.user_dictionaries

    def fingerprint(self) -> str:
        """A short hash of the settings, the data files, the dictionary and any user files."""
        from mofasearch.analysis.sudachi import dictionary_version

        h = hashlib.sha256()
        h.update(repr(sorted(asdict(self).items())).encode())
        h.update(dictionary_version().encode())
        h.update(repr((default_stoptags(), default_stopwords(), lexicalized_words())).encode())
        for path in self.user_dictionaries + self.synonyms:
            h.update(_file_digest(path).encode())
        return h.hexdigest()[:16]


@lru_cache(maxsize=64)
def _frozen(words: tuple[str, ...]) -> frozenset[str]:
    return frozenset(words)


def _file_digest(path: str) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return "missing:" + path
