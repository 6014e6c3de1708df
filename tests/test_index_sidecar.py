"""Side-car term lookup: the sampled search finds every term and nothing else."""

from __future__ import annotations

import numpy as np
import pytest

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


def test_a_collected_field_without_terms_is_answered_by_the_side_car(tmp_path, monkeypatch):
    """A corpus without headings: the side-car declares the heading field, so a term's heading
    postings are known empty without a lookup in Whoosh's term index (one per segment)."""
    import mofasearch.segments as segments
    from mofasearch import Document, Section
    from tests.conftest import disk_index

    docs = [Document(f"d{i}", "日露関係", [Section(f"平和条約の交渉 第{i}回")]) for i in range(5)]
    with disk_index(tmp_path, docs) as ix:
        expected = [(h.section_id, h.score) for h in ix.search("平和条約", group_by_document=False)]
        snap = ix._acquire()
        try:
            (reader, _, cache), *_ = snap.leaves
            assert cache.side is not None and "heading" not in cache.side.fields
            assert {"title", "heading", "body"} <= cache.side.declared

            def whoosh_lookup(*args):  # type: ignore[no-untyped-def]
                raise AssertionError("asked Whoosh for a field the side-car covers")

            monkeypatch.setattr(segments, "segment_postings", whoosh_lookup)
            ids, weights = cache.postings(reader, "heading", "平和条約")
            assert len(ids) == 0 and len(weights) == 0
            assert len(cache.postings(reader, "body", "平和")[0]) == 5
            # a side-car that does not declare the field (an older file) leaves it to Whoosh
            cache.side.declared = frozenset()
            with pytest.raises(AssertionError, match="asked Whoosh"):
                cache.postings(reader, "heading", "交渉")
        finally:
            snap.release()
        monkeypatch.undo()
        again = [(h.section_id, h.score) for h in ix.search("平和条約", group_by_document=False)]
        assert again == expected


def test_a_side_car_without_declared_fields_still_reads():
    from mofasearch.impact import PostingsFile, _pack

    words = [b"a", b"b"]
    arrays = {
        "body.blob": np.frombuffer(b"".join(words), dtype=np.uint8),
        "body.term_offsets": np.array([0, 1, 2], dtype=np.int64),
        "body.post_offsets": np.array([0, 1, 3], dtype=np.int64),
        "body.docs": np.array([0, 0, 1], dtype=np.int32),
        "body.weights": np.array([1, 2, 1], dtype=np.float32),
    }
    header = {"fields": {"body": 2}, "lengths": {}, "doccount": 2}
    side = PostingsFile(b"".join(bytes(part) for part in _pack(header, arrays)))
    assert side.declared == frozenset()
    assert side.postings("heading", "a") is None  # unknown: the caller asks Whoosh
    ids, weights = side.postings("body", "b")
    assert ids.tolist() == [0, 1] and weights.tolist() == [2.0, 1.0]
