"""``mofasearch search --limit/--offset``: pages that are disjoint, cover every hit, and say
where they are, in the text output and in --json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mofasearch import cli

DOCUMENTS = 23


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder whose default index/ holds DOCUMENTS documents, each matching 会談."""
    folder = tmp_path_factory.mktemp("paging")
    (folder / "docs").mkdir()
    with open(folder / "docs" / "docs.jsonl", "w", encoding="utf-8") as out:
        for i in range(DOCUMENTS):
            record = {
                "id": f"d{i}",
                "title": f"首脳会談 {i}",
                "date": f"{2000 + i % 9}-0{1 + i % 9}-1{i % 10}",
                "sections": [{"id": f"d{i}#1", "text": "首脳会談が行われた。" * (1 + i % 4)}],
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    assert cli.main(["index", str(folder / "docs"), "--index", str(folder / "index")]) == 0
    return folder


@pytest.fixture
def run(folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    monkeypatch.chdir(folder)
    monkeypatch.delenv("MOFASEARCH_INDEX", raising=False)
    monkeypatch.delenv("MOFASEARCH_DEBUG", raising=False)
    capsys.readouterr()

    def main(*args: str) -> tuple[int, str, str]:
        code = cli.main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return main


@pytest.mark.parametrize("sort", ["score", "date", "-date"])
def test_pages_are_disjoint_and_cover_every_hit(run: Any, sort: str) -> None:
    code, out, err = run("search", "会談", "--limit", "100", "--sort", sort, "--json")
    assert code == 0, err
    every = [hit["doc_id"] for hit in json.loads(out)["hits"]]
    assert len(every) == DOCUMENTS
    paged: list[str] = []
    for offset in range(0, DOCUMENTS + 5, 5):
        code, out, err = run(
            "search", "会談", "--limit", "5", "--offset", str(offset), "--sort", sort, "--json"
        )
        assert code == 0, err
        page = json.loads(out)
        assert page["total"] == DOCUMENTS
        paged += [hit["doc_id"] for hit in page["hits"]]
    assert paged == every


def test_a_page_numbers_its_hits_from_the_offset(run: Any) -> None:
    code, out, _ = run("search", "会談", "--limit", "5", "--offset", "20")
    assert code == 0
    lines = out.splitlines()
    assert [line.split()[0] for line in lines if line[:3].strip().isdigit()] == ["21", "22", "23"]
    assert lines[-1].startswith(f"-- 21–23 of {DOCUMENTS} documents")


@pytest.mark.parametrize("offset", [DOCUMENTS, DOCUMENTS + 1, 1000])
def test_an_offset_past_the_last_hit_says_how_many_there_are(run: Any, offset: int) -> None:
    """It said "no hits beyond the first 1000" when there were 23 in all."""
    code, out, err = run("search", "会談", "--offset", str(offset))
    assert (code, err) == (0, "")
    assert out == f"no hits beyond the first {DOCUMENTS}\n"


def test_an_offset_with_nothing_found_says_no_hits(run: Any) -> None:
    code, out, _ = run("search", "火星探査", "--offset", "10")
    assert (code, out) == (0, "no hits\n")
