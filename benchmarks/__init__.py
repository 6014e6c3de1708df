"""Benchmarks: indexing throughput, query latency and ranking quality of mofasearch, side by side
with peer engines, on real Japanese data, in one run.

Run from the repository root: ``python -m benchmarks.run --help``. See ``benchmarks/README.md``.
"""
