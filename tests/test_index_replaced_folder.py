"""An open Index follows its folder when the index there is replaced by another one, not only
when it gets a new commit: a folder removed and built again, or a symbolic link switched to a
freshly built index (a blue/green deployment). The replacement may well have the generation
number the old index had (two indexes built with one commit each), so the number alone does
not tell them apart."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from mofasearch import Document, Index, Section
from mofasearch.errors import IndexVersionError

OLD = Document("old", "日露首脳会談", [Section("京都議定書の批准について協議した。", number="1")])
NEW = Document("new", "日米首脳会談", [Section("北方領土問題の解決を話し合った。", number="1")])


def _build(path: Path, doc: Document) -> None:
    with Index.create(path) as fresh, fresh.writer() as w:
        w.add(doc)


def _sees_only_new(ix: Index) -> None:
    assert list(ix.doc_ids()) == ["new"]
    assert ix.search("京都議定書").total == 0
    assert [hit.doc_id for hit in ix.search("北方領土")] == ["new"]
    assert ix.get("old") is None and ix.get("new") is not None
    assert ix.stats()["documents"] == 1


def test_an_index_rebuilt_in_its_folder_is_seen_without_a_search_in_between(
    tmp_path: Path,
) -> None:
    _build(tmp_path / "ix", OLD)
    with Index.open(tmp_path / "ix") as ix:
        assert list(ix.doc_ids()) == ["old"]
        shutil.rmtree(tmp_path / "ix")
        _build(tmp_path / "ix", NEW)
        _sees_only_new(ix)


def test_a_switched_symbolic_link_is_followed(tmp_path: Path) -> None:
    _build(tmp_path / "blue", OLD)
    _build(tmp_path / "green", NEW)
    (tmp_path / "current").symlink_to("blue")
    with Index.open(tmp_path / "current") as ix:
        assert ix.search("京都議定書").total == 1
        (tmp_path / "next").symlink_to("green")
        os.replace(tmp_path / "next", tmp_path / "current")
        _sees_only_new(ix)
        with ix.writer() as w:  # and goes on with the new one
            w.add(OLD)
        assert sorted(ix.doc_ids()) == ["new", "old"]
    with Index.open(tmp_path / "green") as green:
        assert sorted(green.doc_ids()) == ["new", "old"]
    with Index.open(tmp_path / "blue") as blue:
        assert list(blue.doc_ids()) == ["old"]


def test_a_replacement_built_by_another_version_is_refused(tmp_path: Path) -> None:
    _build(tmp_path / "blue", OLD)
    _build(tmp_path / "green", NEW)
    meta = tmp_path / "green" / "mofasearch.json"
    found = json.loads(meta.read_text(encoding="utf-8"))
    meta.write_text(json.dumps({**found, "analysis": "0123456789abcdef"}), encoding="utf-8")
    (tmp_path / "current").symlink_to("blue")
    with Index.open(tmp_path / "current") as ix:
        assert ix.search("京都議定書").total == 1
        (tmp_path / "next").symlink_to("green")
        os.replace(tmp_path / "next", tmp_path / "current")
        for call in (lambda: ix.search("北方領土"), lambda: ix.get("new"), ix.stats):
            with pytest.raises(IndexVersionError, match="analyzer settings"):
                call()
