"""Whoosh with a character 2-gram analyzer: the recall-oriented classic for CJK text, and slow
in Whoosh (many postings per character), so it answers only the first 500 questions of a set."""

from __future__ import annotations

from typing import Any

from benchmarks.peers import SLOW_TIMED_QUESTIONS
from benchmarks.peers.whoosh_sudachi import WhooshPeer


class WhooshBigram(WhooshPeer):
    description = "Whoosh 2-gram analyzer (NgramAnalyzer(2, 2)), one field, OR query"
    max_questions = 500
    timed_questions = SLOW_TIMED_QUESTIONS  # 0.3-1.4 s a JaQuAD question
    large = False

    def analyzer(self) -> Any:
        from whoosh.analysis import NgramAnalyzer

        return NgramAnalyzer(2, 2)
