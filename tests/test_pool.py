"""The in-memory posting pool gives Whoosh exactly the postings, in exactly the order, that
Whoosh's own pool gives: checked on random postings and on two real indexes built on disk, one
with each pool. Its columns (and the side-car collector's) keep every value whatever the flush
and growth pattern."""

from __future__ import annotations

import gc
import os

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import index as whoosh_index
from whoosh.writing import SegmentWriter

from mofasearch import Index, impact, load, pool, segbuild
from mofasearch.documents.model import Document, Section
from mofasearch.impact import Collector

FIELDS = st.sampled_from(["body", "title", "heading", "doc_id"])
TERMS = st.binary(min_size=0, max_size=6)
VALUES = st.one_of(st.none(), st.binary(max_size=12))


@st.composite
def postings(draw):
    keys = draw(st.lists(st.tuples(FIELDS, TERMS), max_size=30, unique=True))
    items = []
    for docnum in range(draw(st.integers(0, 40))):  # documents arrive in docnum order
        for fieldname, term in draw(st.lists(st.sampled_from(keys), unique=True)) if keys else []:
            weight = draw(st.floats(0.5, 50, allow_nan=False))
            items.append((fieldname, term, docnum, weight, draw(VALUES)))
    return items


@settings(max_examples=200, deadline=None)
@given(postings())
def test_postings_come_back_in_whoosh_order(items):
    memory = pool.MemoryPool()
    for item in items:
        memory.add(item)
    assert len(memory) == len(items)
    assert memory.fieldnames == {item[0] for item in items}
    assert list(memory.iter_postings()) == sorted(items, key=lambda item: item[:3])
    assert len(memory) == 0  # spent


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.integers(-(2**31), 2**31 - 1), st.lists(st.integers(0, 99)))))
def test_a_column_keeps_every_value_across_flushes_and_growth(steps):
    column = pool.Column(np.int32, capacity=2)
    expected = []
    for step in steps:
        if isinstance(step, list):  # a block, as the collector's side fields add them
            column.extend(step)
            expected.extend(step)
        else:  # one value, as the hot loop appends it
            column.pending.append(step)
            expected.append(step)
            if len(column.pending) >= 3:
                column.flush()
        assert len(column) == len(expected)
    values = column.values()
    assert values.dtype == np.int32
    assert values.tolist() == expected


@settings(max_examples=100, deadline=None)
@given(postings())
def test_postings_come_back_in_order_when_the_columns_flush_often(items):
    saved = pool.FLUSH
    pool.FLUSH = 3
    try:
        memory = pool.MemoryPool()
        for item in items:
            memory.add(item)
        assert len(memory) == len(items)
        assert list(memory.iter_postings()) == sorted(items, key=lambda item: item[:3])
    finally:
        pool.FLUSH = saved


def test_flushing_often_builds_the_same_index(tmp_path, corpus, monkeypatch):
    """Flushes at every few postings (pool and side-car collector) change nothing on disk: the
    same Whoosh postings and the same side-car file, byte for byte."""
    docs = list(load(corpus))

    def build(path):
        with Index.create(path) as ix, ix.writer() as w:
            for doc in docs:
                w.add(doc)
        (sidecar,) = path.glob("*" + impact.SUFFIX)
        return _all_postings(path), sidecar.read_bytes()

    default = build(tmp_path / "default")
    monkeypatch.setattr(pool, "FLUSH", 5)
    monkeypatch.setattr(impact, "FLUSH", 7)
    often = build(tmp_path / "often")
    assert sum(len(v) for v in default[0].values()) > 1000
    assert often == default


def test_cleanup_releases_everything():
    memory = pool.MemoryPool()
    memory.add(("body", b"x", 0, 1.0, b"\x01"))
    memory.cleanup()
    assert len(memory) == 0
    assert list(memory.iter_postings()) == []


def _all_postings(path):
    ix = whoosh_index.open_dir(str(path))
    out = {}
    with ix.reader() as reader:
        for field in sorted(reader.indexed_field_names()):
            for term in reader.lexicon(field):
                m = reader.postings(field, term)
                found = []
                while m.is_active():
                    found.append((m.id(), m.weight(), m.value()))
                    m.next()
                out[field, term] = found
    ix.close()
    return out


def _build_with_both_pools(tmp_path, docs, monkeypatch):
    """``docs`` indexed at ``memory`` with the memory pool, then at ``whoosh`` with Whoosh's."""
    with Index.create(tmp_path / "memory") as ix, ix.writer() as w:
        for doc in docs:
            w.add(doc)
    monkeypatch.setattr(pool, "install", lambda writer: writer.pool)  # Whoosh's own pool
    with Index.create(tmp_path / "whoosh") as ix, ix.writer() as w:
        for doc in docs:
            w.add(doc)


def test_an_index_built_with_it_equals_one_built_with_whoosh_pool(tmp_path, corpus, monkeypatch):
    _build_with_both_pools(tmp_path, list(load(corpus)), monkeypatch)
    built = _all_postings(tmp_path / "memory")
    assert sum(len(v) for v in built.values()) > 1000
    assert built == _all_postings(tmp_path / "whoosh")


def _side_car(path):
    (name,) = [n for n in os.listdir(path) if n.endswith(impact.SUFFIX)]
    return (path / name).read_bytes()


def test_the_side_car_taken_from_the_pool_equals_the_one_collected_posting_by_posting(
    tmp_path, corpus, monkeypatch
):
    """With the memory pool the side-car's scored postings are taken from its arrays when the
    segment is written; with any other pool they are collected as Whoosh adds each posting.
    Both give the same file, byte for byte (slices of 97 postings, so the slicing is used)."""
    docs = list(load(corpus)) + [
        Document(f"n{i}", f"会議録 {i}", [Section(f"北方領土問題の第{i}回協議。{i}番の項目。")])
        for i in range(120)
    ]
    monkeypatch.setattr(impact, "POOL_SLICE", 97)
    taken = []
    add_pool = impact.Collector.add_pool
    monkeypatch.setattr(
        impact.Collector, "add_pool", lambda self, p: taken.append(len(p)) or add_pool(self, p)
    )
    _build_with_both_pools(tmp_path, docs, monkeypatch)
    assert len(taken) == 1 and taken[0] > 1000
    assert _side_car(tmp_path / "memory") == _side_car(tmp_path / "whoosh")


def test_finished_segments_and_writers_leave_no_reference_cycles(tmp_path, monkeypatch):
    """A finished segment's postings are freed at once, not at the garbage collector's next
    full collection: nothing the builder or the writer hooks on Whoosh's writers forms a cycle."""
    monkeypatch.setattr(segbuild, "ROLL_POSTINGS", 3000)
    docs = [
        Document(
            f"d{i}",
            f"会議 {i}",
            [Section(f"日露首脳会談の結果 {i}-{j} の項目。" * 5) for j in range(3)],
        )
        for i in range(600)
    ]
    finished = []
    finish = segbuild.SegmentBuilder._finish_segment

    def counted(builder):
        finished.append(builder._w is not None)
        finish(builder)

    monkeypatch.setattr(segbuild.SegmentBuilder, "_finish_segment", counted)
    gc.collect()
    gc.disable()
    try:
        with Index.create(tmp_path / "ix") as ix:
            with ix.writer() as w:
                for doc in docs:
                    w.add(doc)
            with ix.writer() as w:  # a writer that only deletes, then is cancelled
                w.delete("d1")
                w.cancel()
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        hooked = pool.MemoryPool | Collector | SegmentWriter
        kept = [type(o).__name__ for o in gc.garbage if isinstance(o, hooked)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert sum(finished) > 1  # several segments built (the commit merges them)
    assert not kept, kept
