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


def test_a_segment_past_the_side_car_bound_keeps_its_side_only_fields(
    tmp_path, corpus, monkeypatch
):
    """A merge past ``MAX_POSTINGS`` wrote no side-car, and with it lost the bigram and reading
    postings (kept nowhere else): matches by bigram or reading vanished for good. Its side-car
    now holds the side-only fields alone; the word fields are read from Whoosh: the answers are
    those of the same merge within the bound, scores and all."""
    from mofasearch import Index, impact, load

    queries = ["日露", "にちろ", "首脳会談で経済協力", "ぷーちん", "京都議定書 批准"]

    def merged(path, bound):  # type: ignore[no-untyped-def]
        with Index.create(path) as ix:
            for doc in load(corpus):  # one segment each
                with ix.writer() as w:
                    w.add(doc)
            monkeypatch.setattr(impact, "MAX_POSTINGS", bound)
            ix.optimize()
            monkeypatch.undo()
            assert ix.stats()["segments"] == 1
            snap = ix._acquire()
            try:
                ((_, _, cache),) = snap.leaves
                fields, declared = set(cache.side.fields), set(cache.side.declared)
            finally:
                snap.release()
            found = [
                [(h.section_id, h.score) for h in ix.search(q, group_by_document=False)]
                for q in queries
            ]
        return fields, declared, found

    fields, declared, expected = merged(tmp_path / "within", impact.MAX_POSTINGS)
    assert {"body", "bigram", "reading"} <= fields and all(expected)
    fields, declared, found = merged(tmp_path / "past", 100)
    assert fields == {"bigram", "reading"}  # the side-only fields, their only copy
    assert "body" not in declared  # the word fields are left to Whoosh's postings
    assert found == expected
