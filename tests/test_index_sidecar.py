"""Side-car term lookup: the sampled search finds every term and nothing else."""

from __future__ import annotations

import numpy as np

from mofasearch.impact import _Terms


def _terms(words: list[bytes]) -> _Terms:
    blob = np.frombuffer(b"".join(words), dtype=np.uint8)
    offsets = np.concatenate(([0], np.cumsum([len(w) for w in words]))).astype(np.int64)
    return _Terms(blob, offsets)


def test_find_every_term_and_only_those():
    words = sorted({f"{i:05d}語{i % 7}".encode() for i in range(0, 3000, 3)})
    terms = _terms(words)
    for i, word in enumerate(words):
        assert terms.find(word) == i
    for absent in (b"", b"0", b"00001", "99999語".encode(), b"\xff", words[-1] + b"x"):
        assert terms.find(absent) == -1
    assert _terms([]).find(b"a") == -1
    assert _terms([b"a"]).find(b"a") == 0
