"""Synonym files in searches: given when an index is opened (``synonyms=``, the CLI's
``--synonyms``) or per search (``RankingConfig.synonyms``), expanded at query time only."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mofasearch import Document, Index, Section
from mofasearch.errors import MofaSearchError
from mofasearch.scoring import RankingConfig
from tests.conftest import disk_index
from tests.test_cli import assert_one_line_error, mofasearch

DOCS = [
    Document("cold-war", "冷戦の終結", [Section("ソ連は1991年12月に崩壊した。", number="1")]),
    Document("usa", "米国", [Section("米国の大統領が来日した。", number="1")]),
    Document("union", "連邦制", [Section("ソビエト連邦の成立は1922年である。", number="1")]),
    Document("congress", "議会", [Section("アメリカの議会が開かれた。", number="1")]),
]


def hits(ix: Index, query: str, **kw) -> list[str]:  # type: ignore[no-untyped-def]
    return [h.section_id for h in ix.search(query, group_by_document=False, **kw)]


@pytest.fixture
def synonyms(tmp_path: Path) -> Path:
    path = tmp_path / "synonyms.txt"
    path.write_text("# 略称\nソ連, ソビエト連邦\n米国 => アメリカ\n", encoding="utf-8")
    return path


def test_an_index_opened_with_synonyms_expands_query_words(tmp_path: Path, synonyms: Path):
    with disk_index(tmp_path, DOCS):
        pass
    with Index.open(tmp_path / "index") as plain:
        assert hits(plain, "ソ連の崩壊") == ["cold-war#1"]
    with Index.open(tmp_path / "index", synonyms=synonyms) as ix:
        assert ix.ranking.synonyms == (str(synonyms),)
        found = ix.search("ソ連の崩壊", group_by_document=False)
        assert [h.section_id for h in found] == ["cold-war#1", "union#1"]
        # the synonym is highlighted where it matched, and counts less than the word itself
        union = found[1]
        assert union.snippet.text[slice(*union.snippet.spans[0])] == "ソビエト連邦"
        direct = ix.search("ソビエト連邦の成立", group_by_document=False)
        assert direct[0].section_id == "union#1" and direct[0].score > union.score
        # both ways for "a, b" lines, one way for "=>"
        assert "cold-war#1" in hits(ix, "ソビエト連邦")
        assert hits(ix, "米国") == ["usa#1", "congress#1"]
        assert hits(ix, "アメリカ") == ["congress#1"]
        # a quoted phrase stays verbatim
        assert hits(ix, "「ソビエト連邦」") == ["union#1"]
        # explain names the synonym's term and weight
        account = ix.explain("ソ連の崩壊", "union#1")
        assert "ソビエト連邦" in account and account.startswith("union#1 matches")


def test_synonyms_per_search_and_an_edited_file(tmp_path: Path, synonyms: Path):
    with disk_index(tmp_path, DOCS) as ix:
        with_file = RankingConfig(synonyms=synonyms)
        assert hits(ix, "ソ連", ranking=with_file) == ["cold-war#1", "union#1"]
        assert hits(ix, "ソ連") == ["cold-war#1"]  # the index's own ranking has none
        synonyms.write_text("ソ連, 冷戦の敵\n", encoding="utf-8")
        stat = synonyms.stat()
        os.utime(synonyms, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
        assert hits(ix, "ソ連", ranking=with_file) == ["cold-war#1"]


def test_an_unreadable_synonym_file_is_an_error_naming_it(tmp_path: Path):
    missing = tmp_path / "missing.txt"
    with pytest.raises(MofaSearchError, match="missing.txt"):
        Index.create(tmp_path / "new", synonyms=[missing])
    assert not (tmp_path / "new").exists()  # nothing half-made
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("caf\xe9, coffee\n".encode("latin-1"))
    with disk_index(tmp_path, DOCS):
        pass
    with pytest.raises(MofaSearchError, match="latin1.txt.*UTF-8"):
        Index.open(tmp_path / "index", synonyms=latin1)
    with Index.in_memory(synonyms=()) as ix:
        assert ix.ranking.synonyms == ()


def test_synonym_paths_hold_when_the_working_directory_changes(tmp_path, synonyms, monkeypatch):
    monkeypatch.chdir(synonyms.parent)
    with Index.in_memory(synonyms=synonyms.name) as ix:
        with ix.writer() as w:
            for doc in DOCS:
                w.add(doc)
        monkeypatch.chdir(tmp_path.parent)
        assert hits(ix, "ソ連") == ["cold-war#1", "union#1"]


def test_cli_search_and_analyze_with_synonyms(tmp_path: Path, synonyms: Path):
    with disk_index(tmp_path, DOCS):
        pass
    run = mofasearch(
        "search", "ソ連", "--index", "index", "--synonyms", str(synonyms), "--json", cwd=tmp_path
    )
    assert run.code == 0, run.err
    assert [h["doc_id"] for h in run.json()["hits"]] == ["cold-war", "union"]
    run = mofasearch("analyze", "米国との関係", "--synonyms", str(synonyms), "--json", cwd=tmp_path)
    assert run.code == 0, run.err
    tokens = run.json()["tokens"]
    assert run.json()["query"] is True and tokens[0]["terms"] == ["米国", "アメリカ"]
    run = mofasearch("search", "ソ連", "--index", "index", "--synonyms", "nope.txt", cwd=tmp_path)
    line = assert_one_line_error(run, 1)
    assert "nope.txt" in line
