"""Segment builders: worker processes (``jobs > 1``), segment roll-over, replacement of documents
already handed over, cancellation and worker failures."""

from __future__ import annotations

import os

import pytest

from mofasearch import Document, Index, Section, segbuild, writer
from mofasearch.errors import MofaSearchError
from mofasearch.impact import SUFFIX


def make_doc(i: int, tag: str = "") -> Document:
    return Document(
        f"d{i}",
        f"日露協力の記録 {i}",
        [
            Section(f"平和条約と北方領土問題について{i}回目の協議を行った。{tag}", "協議", "1"),
            Section("経済関係の発展とエネルギー協力を確認した。" * (1 + i % 3), "経済", "2"),
        ],
    )


def ranking(ix: Index, query: str, limit: int = 20) -> list[tuple[str, float]]:
    return [(h.section_id, h.score) for h in ix.search(query, limit=limit, group_by_document=False)]


QUERIES = ["北方領土問題", "エネルギー協力", "平和条約 協議", "にちろ", "非核"]


def test_workers_build_what_one_process_builds(tmp_path, monkeypatch):
    monkeypatch.setattr(writer, "PARALLEL_MIN_SECTIONS", 64)
    docs = [make_doc(i) for i in range(400)]
    with Index.create(tmp_path / "one") as one, Index.create(tmp_path / "two") as two:
        with one.writer() as w:
            for doc in docs:
                w.add(doc)
        with two.writer(jobs=2) as w:
            for doc in docs:
                w.add(doc)
            assert type(w._builder).__name__ == "ParallelBuilder"
        assert two.stats()["sections"] == one.stats()["sections"] == 800
        assert two.stats()["segments"] == 2  # one per worker
        for query in QUERIES:
            a, b = ranking(one, query), ranking(two, query)
            assert [s for s, _ in a] == [s for s, _ in b], query
            assert [x for _, x in a] == pytest.approx([x for _, x in b], abs=1e-9), query


def test_replaced_after_hand_over_keeps_only_the_last_version(tmp_path, monkeypatch):
    monkeypatch.setattr(writer, "PARALLEL_MIN_SECTIONS", 64)
    words = {1: ("カモノハシ", "ゾウアザラシ"), 2: ("ハリモグラ", "オオアリクイ")}
    with Index.create(tmp_path / "ix") as ix:
        for jobs, (old, new) in words.items():
            with ix.writer(jobs=jobs) as w:
                for i in range(300):  # several batches are handed over meanwhile
                    w.add(make_doc(i, tag=old))
                w.add(make_doc(3, tag=new))
                w.delete("d5")
            assert ix.stats()["documents"] == 299
            assert ix.get("d5") is None
            assert new in ix.get("d3").sections[0].text
            assert ix.search(f'"{new}"').total == 1
            assert ix.search(f'"{old}"', limit=1).total == 298


def test_segments_roll_over_and_each_has_its_side_car(tmp_path, monkeypatch):
    monkeypatch.setattr(segbuild, "ROLL_POSTINGS", 3_000)
    monkeypatch.setattr(writer, "BATCH_SECTIONS", 16)  # the roll-over is checked per batch
    with Index.create(tmp_path / "ix") as ix, Index.create(tmp_path / "ref") as ref:
        with ix.writer() as w:
            for i in range(200):
                w.add(make_doc(i))
        monkeypatch.setattr(segbuild, "ROLL_POSTINGS", 10**9)
        with ref.writer() as w:
            for i in range(200):
                w.add(make_doc(i))
        assert ix.stats()["segments"] > 2 and ref.stats()["segments"] == 1
        sides = [n for n in os.listdir(ix.path) if n.endswith(SUFFIX)]
        assert len(sides) == ix.stats()["segments"]
        for query in QUERIES:
            a, b = ranking(ix, query), ranking(ref, query)
            assert [s for s, _ in a] == [s for s, _ in b], query
            assert [x for _, x in a] == pytest.approx([x for _, x in b], abs=1e-9), query


def test_cancel_with_workers_running_changes_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(writer, "PARALLEL_MIN_SECTIONS", 64)
    with Index.create(tmp_path / "ix") as ix:
        with ix.writer() as w:
            w.add(make_doc(0))
        before = set(os.listdir(ix.path))
        w = ix.writer(jobs=2)
        for i in range(1, 200):
            w.add(make_doc(i))
        assert w._builder is not None
        w.cancel()
        assert sorted(ix.doc_ids()) == ["d0"]
        with ix.writer() as w:  # the next commit cleans up what the workers left
            w.add(make_doc(1))
        after = set(os.listdir(ix.path))
        assert sorted(ix.doc_ids()) == ["d0", "d1"]
        assert len(after - before) <= 6  # one new segment's files and a new TOC, nothing else


def test_a_failing_worker_fails_the_commit(tmp_path, monkeypatch):
    monkeypatch.setattr(writer, "PARALLEL_MIN_SECTIONS", 64)
    real = segbuild.section_fields

    def failing(schema, doc, ordinal, section):
        if doc.id == "d150":
            raise RuntimeError("cannot index d150")
        return real(schema, doc, ordinal, section)

    # the workers are forked from this process, so they see the patch
    monkeypatch.setattr(segbuild, "section_fields", failing)
    with Index.create(tmp_path / "ix") as ix:
        with pytest.raises(MofaSearchError, match="d150"), ix.writer(jobs=2) as w:
            for i in range(300):
                w.add(make_doc(i))
        assert list(ix.doc_ids()) == []
        with ix.writer(lock_timeout=1.0) as w:  # the lock was released
            w.add(make_doc(1))
        assert list(ix.doc_ids()) == ["d1"]


def test_jobs_in_memory_index_builds_in_process(monkeypatch):
    monkeypatch.setattr(writer, "PARALLEL_MIN_SECTIONS", 8)
    ix = Index.in_memory()
    with ix.writer(jobs=2) as w:
        for i in range(40):
            w.add(make_doc(i))
        assert w._builder is None or type(w._builder).__name__ == "SegmentBuilder"
    assert ix.stats()["documents"] == 40
