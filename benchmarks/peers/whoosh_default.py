"""Whoosh with its default analyzer: what a user gets without a Japanese analyzer (an unspaced
Japanese run is one token, so most questions match almost nothing)."""

from __future__ import annotations

from typing import Any

from benchmarks.peers.whoosh_sudachi import WhooshPeer


class WhooshDefault(WhooshPeer):
    description = "Whoosh StandardAnalyzer, one field, OR query"
    # no Japanese analyzer: compared on the question sets, not built on the statutes and scale
    # series (43 s of a full run for a row that only repeats Whoosh's writing cost)
    large = False

    def analyzer(self) -> Any:
        from whoosh.analysis import StandardAnalyzer

        return StandardAnalyzer()
