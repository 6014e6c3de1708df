"""A document's other matching sections are reported from the ``label`` column.

Grouped hits list every other matching section of their document (id, number, heading); those
come from columns instead of the sections' stored fields. This checks them against the
documents as given, on a real index on disk: two segments, a segment written without the
column (as by an older mofasearch) beside them, all of them merged into one, and after a
delete; and that the column really spares the stored fields.
"""

from __future__ import annotations

import pytest

from mofasearch import Document, Index, Section, segbuild
from mofasearch.schema import label_parts, label_value


def _doc(n: int) -> Document:
    sections = [
        Section(
            text=f"条約の締結について第{n}回の協議を行った。議題{i}の条約案を検討した。",
            heading="" if i == 2 else f"条約交渉 {n}-{i}",
            number=f"{i}.({n})" if i != 3 else f"{i}\x00{n}",  # a number with a NUL: no label
            path=("協議", f"議題{i}"),
        )
        for i in range(1, 6)
    ]
    return Document(id=f"doc-{n}", title=f"協議 {n}", sections=sections)


def _expected(docs: list[Document]) -> dict[str, tuple[str, str]]:
    return {s.id: (s.number, s.heading) for d in docs for s in d.sections}


def _check(ix: Index, docs: list[Document]) -> int:
    """Every grouped hit's other sections as the documents say; returns how many were seen."""
    want = _expected(docs)
    seen = 0
    results = ix.search("条約", limit=100)
    assert len(results) == len({d.id for d in docs})
    for hit in results:
        assert len(hit.other_sections) == 4
        for section_id, number, heading, score in hit.other_sections:
            assert (number, heading) == want[section_id]
            assert section_id.startswith(hit.doc_id + "#")
            assert score > 0
            seen += 1
    return seen


def _without_label(schema):  # type: ignore[no-untyped-def]
    out = segbuild_fast_schema(schema)
    out.remove("label")
    return out


segbuild_fast_schema = segbuild.fast_schema


def test_label_value_round_trip() -> None:
    assert label_parts(label_value("3.(2)", "京都議定書")) == ("3.(2)", "京都議定書")
    assert label_parts(label_value("", "")) == ("", "")
    assert label_parts(label_value("1", "a\x00b")) == ("1", "a\x00b")
    assert label_value("1\x002", "x") == b""
    assert label_parts(b"") is None


def test_other_sections_from_columns(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = [_doc(n) for n in range(6)]
    with Index.create(tmp_path / "index") as ix:
        for part in (docs[:2], docs[2:4]):  # two segments with the column
            with ix.writer() as w:
                for doc in part:
                    w.add(doc)
        stored_reads = 0
        snap = ix._acquire()
        snapshot_cls = type(snap)
        snap.release()
        original = snapshot_cls.stored_fields

        def counted(self, docnum):  # type: ignore[no-untyped-def]
            nonlocal stored_reads
            stored_reads += 1
            return original(self, docnum)

        with monkeypatch.context() as m:
            m.setattr(snapshot_cls, "stored_fields", counted)
            assert _check(ix, docs[:4]) == 16
            # one stored record per hit, and one per other section whose number holds a NUL
            assert stored_reads == 4 + 4
            # the same search again: labels are decoded once per segment, never re-read
            assert _check(ix, docs[:4]) == 16
            assert stored_reads == 4 + 4 + 4

        # a segment written as by a version without the column
        with monkeypatch.context() as m:
            m.setattr(segbuild, "fast_schema", _without_label)
            with ix.writer() as w:
                for doc in docs[4:]:
                    w.add(doc)
        snap = ix._acquire()
        try:
            assert [r.has_column("label") for r, _, _ in snap.leaves] == [True, True, False]
        finally:
            snap.release()
        assert _check(ix, docs) == 24

        ix.optimize()  # merged: the old sections get the column's empty default
        snap = ix._acquire()
        try:
            assert len(snap.leaves) == 1 and snap.leaves[0][0].has_column("label")
        finally:
            snap.release()
        assert _check(ix, docs) == 24

        with ix.writer() as w:
            w.delete("doc-1")
        assert _check(ix, [d for d in docs if d.id != "doc-1"]) == 20

    with Index.open(tmp_path / "index") as again:
        assert _check(again, [d for d in docs if d.id != "doc-1"]) == 20
