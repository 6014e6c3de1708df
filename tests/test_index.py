"""Index lifecycle and writing: create/open, versions, replace/delete, rollback, get, stats."""

from __future__ import annotations

import datetime
import json

import pytest

from mofasearch import Document, Index, Section
from mofasearch.errors import (
    IndexExistsError,
    IndexLockedError,
    IndexNotFoundError,
    IndexVersionError,
)
from mofasearch.writer import BATCH, section_tree


def doc(doc_id: str, *texts: str, title: str = "日露首脳会談", **kw) -> Document:
    sections = [
        Section(text, heading=f"見出し{i}", number=str(i + 1), path=("議題", f"見出し{i}"))
        for i, text in enumerate(texts)
    ]
    return Document(doc_id, title, sections, **kw)


def ids(res):
    return [h.section_id for h in res]


def test_create_open_and_errors(tmp_path):
    path = tmp_path / "deep" / "index"
    with Index.create(path) as ix, ix.writer() as w:
        w.add(doc("a", "京都議定書の批准"))
    with pytest.raises(IndexExistsError):
        Index.create(path)
    with Index.open(path) as ix:
        assert ix.search("京都議定書")[0].doc_id == "a"
    with Index.open_or_create(path) as ix:
        assert list(ix.doc_ids()) == ["a"]
    with pytest.raises(IndexNotFoundError):
        Index.open(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(IndexNotFoundError):
        Index.open(tmp_path / "empty")
    with Index.open_or_create(tmp_path / "fresh") as ix:
        assert list(ix.doc_ids()) == []


@pytest.mark.parametrize("key", ["schema_version", "analysis", "dictionary"])
def test_version_mismatch_names_the_rebuild_command(tmp_path, key):
    Index.create(tmp_path / "ix").close()
    meta_file = tmp_path / "ix" / "mofasearch.json"
    meta = json.loads(meta_file.read_text())
    meta[key] = "something else"
    meta_file.write_text(json.dumps(meta))
    with pytest.raises(IndexVersionError) as info:
        Index.open(tmp_path / "ix")
    assert "mofasearch index --rebuild" in str(info.value)


def test_add_replaces_every_section_of_a_document():
    ix = Index.in_memory()
    with ix.writer() as w:
        w.add(doc("a", "京都議定書", "北方領土", "平和条約"))
    with ix.writer() as w:
        w.add(doc("a", "エネルギー協力"))
    assert ix.search("京都議定書").total == 0
    assert ix.search("エネルギー").total == 1
    assert len(ix.get("a").sections) == 1
    assert ix.stats()["sections"] == 1


def test_add_twice_in_one_writer_keeps_the_last():
    ix = Index.in_memory()
    with ix.writer() as w:
        w.add(doc("a", "京都議定書"))
        for i in range(BATCH + 5):  # the first version of "a" is handed to Whoosh meanwhile
            w.add(doc(f"filler{i}", "別の話題"))
        w.add(doc("a", "北方領土"))
        w.add(doc("b", "平和条約"))
        w.add(doc("b", "非核化協力"))
    assert ix.search("京都議定書").total == 0
    assert ix.search("北方領土").total == 1
    assert ix.search("平和条約").total == 0
    assert ix.get("b").sections[0].text == "非核化協力"


def test_delete():
    ix = Index.in_memory()
    with ix.writer() as w:
        w.add(doc("a", "京都議定書"))
        w.add(doc("b", "京都議定書の批准"))
    with ix.writer() as w:
        w.delete("a")
        w.delete("never-indexed")
    assert [h.doc_id for h in ix.search("京都議定書")] == ["b"]
    assert ix.get("a") is None
    assert list(ix.doc_ids()) == ["b"]


def test_writer_that_raises_rolls_back():
    ix = Index.in_memory()
    with ix.writer() as w:
        w.add(doc("a", "京都議定書"))
    with pytest.raises(RuntimeError), ix.writer() as w:
        w.delete("a")
        w.add(doc("b", "北方領土"))
        raise RuntimeError("boom")
    assert list(ix.doc_ids()) == ["a"]
    assert ix.search("北方領土").total == 0
    with ix.writer() as w:  # the lock was released
        w.add(doc("c", "平和条約"))
    assert sorted(ix.doc_ids()) == ["a", "c"]


def test_clear_replaces_the_index_at_the_commit(tmp_path):
    with Index.create(tmp_path / "ix") as ix:
        with ix.writer() as w:
            w.add(doc("a", "京都議定書"))
            w.add(doc("b", "北方領土"))
        with ix.writer() as w:
            w.add(doc("early", "平和条約"))  # given before the clear: cleared too
            for i in range(BATCH + 5):  # some of them handed to the segment builder already
                w.add(doc(f"filler{i}", "別の話題"))
            w.clear()
            w.add(doc("b", "エネルギー協力"))
            w.add(doc("c", "非核化協力"))
            # until the commit, searches see the old index whole
            assert sorted(h.doc_id for h in ix.search("京都議定書 OR 北方領土")) == ["a", "b"]
        assert sorted(ix.doc_ids()) == ["b", "c"]
        assert ix.search("京都議定書 OR 北方領土 OR 平和条約 OR 話題").total == 0
        assert ix.get("b").sections[0].text == "エネルギー協力"
        assert ix.stats()["sections"] == 2
    # the old segments' files are gone from the folder, not just from the table of contents
    with Index.open(tmp_path / "ix") as ix:
        assert sorted(ix.doc_ids()) == ["b", "c"]
        assert ix.search("エネルギー")[0].doc_id == "b"
    segments = {f.name.split(".")[0] for f in (tmp_path / "ix").glob("MAIN_*.*")}
    assert len(segments) == 1


def test_cleared_writer_that_is_cancelled_keeps_the_index(tmp_path):
    with Index.create(tmp_path / "ix") as ix:
        with ix.writer() as w:
            w.add(doc("a", "京都議定書"))
        with pytest.raises(RuntimeError), ix.writer() as w:
            w.clear()
            w.add(doc("b", "北方領土"))
            raise RuntimeError("interrupted")
    with Index.open(tmp_path / "ix") as ix:
        assert list(ix.doc_ids()) == ["a"]
        assert ix.search("京都議定書")[0].doc_id == "a"
        with ix.writer() as w:  # and a clear with nothing added empties it
            w.clear()
        assert list(ix.doc_ids()) == [] and ix.search("京都議定書").total == 0


def test_get_round_trips_the_document():
    original = Document(
        "https://example.jp/page",
        "シーアイランド・サミットの際の日露首脳会談",
        [
            Section("前文です。", id="lead"),
            Section("京都議定書の批准。", "京都議定書", "3.(2)", ("個別案件", "京都議定書")),
        ],
        date=datetime.date(2004, 6, 10),
        url="https://example.jp/page",
        category="会談",
        meta={"source": "外務省"},
    )
    ix = Index.in_memory()
    with ix.writer() as w:
        w.add(original)
    assert ix.get(original.id) == original
    assert ix.get("missing") is None


def test_lock_timeout_raises_index_locked(tmp_path):
    ix = Index.create(tmp_path / "ix")
    with ix.writer() as w:
        w.add(doc("a", "京都議定書"))
        with pytest.raises(IndexLockedError):
            ix.writer(lock_timeout=0.2)
    with ix.writer(lock_timeout=0.2) as w:
        w.add(doc("b", "北方領土"))
    assert sorted(ix.doc_ids()) == ["a", "b"]


def test_stats(tmp_path):
    with Index.create(tmp_path / "ix") as ix:
        with ix.writer() as w:
            w.add(doc("a", "京都議定書", "北方領土"))
            w.add(doc("b", "平和条約"))
        stats = ix.stats()
    assert stats["documents"] == 2 and stats["sections"] == 3
    assert stats["segments"] == 1 and stats["size_bytes"] > 0
    assert stats["schema_version"] >= 1 and stats["dictionary"] and stats["fingerprint"]


def test_multiprocess_writer(tmp_path):
    with Index.create(tmp_path / "ix") as ix:
        with ix.writer(jobs=2) as w:
            for i in range(40):
                w.add(doc(f"d{i}", f"京都議定書 その{i}", "北方領土"))
        assert len(list(ix.doc_ids())) == 40
        res = ix.search("京都議定書", limit=50)
        assert res.total == 40


def test_search_sees_each_commit():
    ix = Index.in_memory()
    assert ix.search("京都議定書").total == 0
    for i in range(3):
        with ix.writer() as w:
            w.add(doc(f"d{i}", "京都議定書"))
        assert ix.search("京都議定書").total == i + 1


def test_section_tree():
    assert section_tree("3.(2)") == ["3", "3.(2)"]
    assert section_tree("") == []
    assert section_tree("1.(1).イ") == ["1", "1.(1)", "1.(1).イ"]


def test_closed_index_refuses_work():
    ix = Index.in_memory()
    ix.close()
    with pytest.raises(Exception, match="closed"):
        ix.search("京都")


def test_an_index_of_a_newer_mofasearch_says_to_upgrade(tmp_path):
    Index.create(tmp_path / "ix").close()
    meta_file = tmp_path / "ix" / "mofasearch.json"
    meta = json.loads(meta_file.read_text())
    meta["schema_version"] += 1
    meta_file.write_text(json.dumps(meta))
    with pytest.raises(IndexVersionError, match="built by a newer mofasearch") as info:
        Index.open(tmp_path / "ix")
    assert info.value.hint.startswith("upgrade mofasearch to search it")


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", ""])
def test_a_damaged_metadata_file_is_named_as_damaged(tmp_path, content):
    Index.create(tmp_path / "ix").close()
    (tmp_path / "ix" / "mofasearch.json").write_text(content)
    with pytest.raises(IndexVersionError, match="mofasearch.json of the index .* is damaged"):
        Index.open(tmp_path / "ix")
