"""The postings codec: terms with a few postings are inlined in the term index and small blocks
are left uncompressed (Whoosh's own options, its inlining repaired), yet every posting reads
back, through plain Whoosh too, exactly as Whoosh's default settings write it."""

from __future__ import annotations

from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from mofasearch import Document, Index, Section, load, safepickle

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def _docs() -> list[Document]:
    docs = list(load(CORPUS))
    # a term in many sections (blocks of 128 and a compressed tail), plus rare ones
    docs += [
        Document(
            f"n{i}",
            f"議事録 {i}",
            [Section(f"北方領土問題の第{i}回協議。固有語{i}番が現れる。", number="1")],
        )
        for i in range(300)
    ]
    return docs


def _build(path: Path, docs: list[Document], *, optimize: bool = False) -> None:
    with Index.create(path) as ix:
        half = len(docs) // 2
        for part in (docs[:half], docs[half:]):  # two commits: two segments to merge
            with ix.writer() as w:
                for doc in part:
                    w.add(doc)
        if optimize:
            ix.optimize()


def _read(path: Path) -> tuple[dict, dict]:
    """Every posting (through plain Whoosh) and how the terms are stored."""
    postings: dict = {}
    kinds = {"inlined": 0, "plain block": 0, "compressed block": 0}
    ix = whoosh_index.open_dir(str(path))
    with ix.reader() as reader:
        for leaf, base in reader.leaf_readers():
            for field in sorted(leaf.indexed_field_names()):
                for term in leaf.lexicon(field):
                    m = leaf.postings(field, term)
                    info = leaf._terms.term_info(field, term)
                    if info.is_inlined():
                        kinds["inlined"] += 1
                    else:
                        kinds["compressed block" if m._compression else "plain block"] += 1
                    found = postings.setdefault((field, term), [])
                    while m.is_active():
                        found.append((base + m.id(), m.weight(), m.value()))
                        m.next()
    ix.close()
    return postings, kinds


@pytest.mark.parametrize("optimize", [False, True], ids=["two segments", "merged"])
def test_postings_read_back_as_whoosh_defaults_write_them(tmp_path, monkeypatch, optimize):
    docs = _docs()
    _build(tmp_path / "ours", docs, optimize=optimize)
    ours, kinds = _read(tmp_path / "ours")
    assert all(count > 0 for count in kinds.values()), kinds

    monkeypatch.setattr(safepickle.SafeW3Codec.__init__, "__defaults__", (128, 3, 1))
    monkeypatch.setattr(safepickle, "COMPRESS_MIN", 0)
    _build(tmp_path / "whoosh", docs, optimize=optimize)
    theirs, stock = _read(tmp_path / "whoosh")
    assert stock["inlined"] == 0 and stock["plain block"] == 0

    assert sum(len(v) for v in ours.values()) > 5_000
    assert ours == theirs


def test_searches_over_inlined_terms(tmp_path):
    _build(tmp_path / "ix", _docs())
    with Index.open(tmp_path / "ix") as ix:
        # 固有語7番 occurs once: inlined; the phrase reads its positions from the term index
        assert [h.doc_id for h in ix.search('"固有語7番"')] == ["n7"]
        assert [h.doc_id for h in ix.search("固有語7番 協議")][:1] == ["n7"]
        assert ix.search('"北方領土問題"').total >= 300
        assert ix.get("n7").sections[0].text.startswith("北方領土問題の第7回")
