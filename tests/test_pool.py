"""The in-memory posting pool gives Whoosh exactly the postings, in exactly the order, that
Whoosh's own pool gives: checked on random postings and on two real indexes built on disk, one
with each pool."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import index as whoosh_index

from mofasearch import Index, load, pool

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


def test_an_index_built_with_it_equals_one_built_with_whoosh_pool(tmp_path, corpus, monkeypatch):
    docs = list(load(corpus))
    with Index.create(tmp_path / "memory") as ix, ix.writer() as w:
        for doc in docs:
            w.add(doc)
    monkeypatch.setattr(pool, "install", lambda writer: writer.pool)  # Whoosh's own pool
    with Index.create(tmp_path / "whoosh") as ix, ix.writer() as w:
        for doc in docs:
            w.add(doc)
    built = _all_postings(tmp_path / "memory")
    assert sum(len(v) for v in built.values()) > 1000
    assert built == _all_postings(tmp_path / "whoosh")
