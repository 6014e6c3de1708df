"""Japanese analysis on Sudachi, as Whoosh analyzers.

Whoosh cannot segment Japanese (its default analyzer makes a sentence one token). This package
gives Whoosh-compatible tokenizers and filters, composed with ``|``, and the chains the index
uses:

- :func:`japanese_analyzer` — Sudachi units (split mode A, B or C, default C) with their A
  sub-units at the same position, normalized form folded for width and case, part-of-speech and
  word stops, query-time synonyms;
- :func:`reading_analyzer` — katakana readings, so kana queries find kanji (にちろ -> 日露);
  ``bigrams=True`` gives bigrams of joined readings, for multi-word kana queries;
- :func:`bigram_analyzer` — character bigrams over folded text, for recall where segmentation
  varies with context or punctuation;
- :func:`analyze` — the main chain made visible (``mofasearch analyze``).

Module map: ``settings`` (the picklable settings and the data files), ``sudachi`` (dictionary,
per-thread tokenizers, chunking), ``morphemes`` (one Sudachi pass per text, cached per thread,
shared by every chain), ``normalize``, ``tokenizer``, ``filters`` (the position policy),
``synonyms``, ``analyzers`` (the factories). Each module's docstring records its decisions.
"""

from __future__ import annotations

from mofasearch.analysis.analyzers import (
    AnalyzedToken,
    analyze,
    bigram_analyzer,
    japanese_analyzer,
    phrase_terms,
    pos_weight_table,
    reading_analyzer,
)
from mofasearch.analysis.filters import (
    PartOfSpeechStopFilter,
    ReadingBigramFilter,
    ReadingFilter,
    StopWordFilter,
    SubwordFilter,
)
from mofasearch.analysis.normalize import fold_term, katakanize_kana_runs, to_katakana
from mofasearch.analysis.settings import AnalysisSettings, question_words
from mofasearch.analysis.sudachi import dictionary_version
from mofasearch.analysis.synonyms import SynonymFilter
from mofasearch.analysis.tokenizer import BigramTokenizer, SudachiTokenizer

__all__ = [
    "AnalysisSettings",
    "AnalyzedToken",
    "BigramTokenizer",
    "PartOfSpeechStopFilter",
    "ReadingBigramFilter",
    "ReadingFilter",
    "StopWordFilter",
    "SubwordFilter",
    "SudachiTokenizer",
    "SynonymFilter",
    "analyze",
    "bigram_analyzer",
    "dictionary_version",
    "fold_term",
    "japanese_analyzer",
    "katakanize_kana_runs",
    "phrase_terms",
    "pos_weight_table",
    "question_words",
    "reading_analyzer",
    "to_katakana",
]
