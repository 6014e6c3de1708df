"""The engine under test, behind the same interface as the peers (``benchmarks.peers.Engine``)."""
