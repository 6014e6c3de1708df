"""Whoosh with its default analyzer: what a user gets without a Japanese analyzer (an unspaced
Japanese run is one token, so most questions match almost nothing)."""

from __future__ import annotations

from typing import Any

from benchmarks.peers.whoosh_sudachi import WhooshPeer


class WhooshDefault(WhooshPeer):
    description = "Whoosh StandardAnalyzer, one field, OR query"

    def analyzer(self) -> Any:
        from whoosh.analysis import StandardAnalyzer

        return StandardAnalyzer()
