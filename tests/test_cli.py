"""End-to-end tests of the command line, through real subprocesses on a copy of corpus/.

Each launch costs about a second (Sudachi and Whoosh imports), so the tests share work: one
module-level working folder is searched once with no index (which builds it), and the other
tests reuse that index. Incremental indexing gets a folder of its own.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SEA_ISLAND = "2004-06-10_sea-island-summit_japan-russia-summit.txt"
APEC = "2002-10-27_apec_koizumi-kasyanov-meeting.txt"

HIT_KEYS = {
    "doc_id", "section_id", "title", "date", "url", "category", "section", "section_path",
    "heading", "score", "snippet", "spans", "other_sections",
}  # fmt: skip


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> dict:
        return json.loads(self.out)


def mofasearch(
    *args: str, cwd: Path, env: dict[str, str] | None = None, prefix: Sequence[str] = ()
) -> Run:
    """Run ``python -m mofasearch ARGS`` in ``cwd`` with a clean environment (after the
    ``prefix`` command, e.g. one that drops privileges)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MOFASEARCH_")}
    full_env.update(env or {})
    proc = subprocess.run(
        [*prefix, sys.executable, "-m", "mofasearch", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def assert_one_line_error(run: Run, code: int) -> str:
    """The failure contract: exit code, one line on stderr with advice, no traceback."""
    assert run.code == code, (run.code, run.out, run.err)
    assert "Traceback" not in run.err
    lines = [line for line in run.err.splitlines() if line.strip()]
    assert len(lines) == 1, run.err
    assert lines[0].startswith("mofasearch: ")
    assert " — " in lines[0], "the error must say what to do next"
    return lines[0]


def copy_corpus(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copytree(CORPUS, dest / "corpus")
    return dest


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_corpus(tmp_path_factory.mktemp("cli"))


@pytest.fixture(scope="module")
def first_search(work: Path) -> Run:
    """The first search in a folder with corpus/ and no index: it builds index/ first."""
    return mofasearch("search", "京都議定書", "--json", cwd=work)


# --------------------------------------------------------------------------- search


def test_first_search_builds_the_default_index(work: Path, first_search: Run) -> None:
    assert first_search.code == 0, first_search.err
    assert (work / "index").is_dir()
    assert "building" in first_search.err  # said on stderr, stdout stays pure JSON
    assert "\r" not in first_search.err, "no progress bar when stderr is not a terminal"
    assert first_search.json()["hits"]


def test_search_json_has_the_documented_shape(first_search: Run) -> None:
    result = first_search.json()
    assert set(result) == {"query", "total", "took_ms", "reason", "facets", "hits"}
    assert result["query"] == "京都議定書"
    assert result["total"] >= len(result["hits"]) >= 1
    assert result["reason"] is None
    for hit in result["hits"]:
        assert set(hit) == HIT_KEYS
        assert hit["date"] is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}", hit["date"])
        assert isinstance(hit["section_path"], list)
        assert isinstance(hit["score"], float)
        for start, end in hit["spans"]:
            assert 0 <= start < end <= len(hit["snippet"])
        for other in hit["other_sections"]:
            assert set(other) == {"section_id", "section", "heading", "score"}
    top = result["hits"][0]
    assert "日露首脳会談" in top["title"]
    assert top["date"] == "2004-06-10"
    marked = "".join(top["snippet"][s:e] for s, e in top["spans"])
    assert "京都議定書" in marked


def test_search_human_output(work: Path, first_search: Run) -> None:
    run = mofasearch("search", "京都議定書", "--limit", "1", cwd=work)
    assert run.code == 0, run.err
    assert run.err == ""
    first, snippet = run.out.splitlines()[:2]
    # rank, score, title, date, section number and heading path
    assert re.match(r"^ 1\s+\d+\.\d\d  .*日露首脳会談.*  2004-06-10  §\S+ ", first), first
    assert snippet.startswith("    ")
    assert "【京都議定書】" in snippet  # stdout is a pipe: marks, not colours
    assert "\x1b[" not in run.out


def test_zero_hits_is_success(work: Path, first_search: Run) -> None:
    run = mofasearch("search", "ペンギン", "--json", "--since", "2003-01-01", cwd=work)
    assert run.code == 0, run.err
    assert run.json()["hits"] == []
    assert run.json()["total"] == 0


def test_malformed_query_exits_2(work: Path, first_search: Run) -> None:
    line = assert_one_line_error(mofasearch("search", "(京都議定書", cwd=work), 2)
    assert "position" in line


def test_usage_errors_exit_2(work: Path) -> None:
    for args in (
        ("search",),
        ("search", "x", "--limit", "0"),
        ("search", "x", "--since", "2004-13-01"),
        ("search", "x", "--sort", "title"),
        ("analyze", "x", "--mode", "D"),
        ("frobnicate",),
        (),
    ):
        run = mofasearch(*args, cwd=work)
        line = assert_one_line_error(run, 2)
        assert "--help" in line, line


def test_unknown_index_path_exits_1(work: Path) -> None:
    for command in (("search", "京都"), ("stats",)):
        run = mofasearch(*command, "--index", "no-such-index", cwd=work)
        line = assert_one_line_error(run, 1)
        assert "no-such-index" in line
        assert "mofasearch index" in line  # the advice: how to build one
    assert not (work / "no-such-index").exists()


# --------------------------------------------------------------------------- analyze, stats


def test_analyze_json_and_text(work: Path) -> None:
    text = "京都議定書の早期批准"
    run = mofasearch("analyze", text, "--mode", "a", "--json", cwd=work)
    assert run.code == 0, run.err
    result = run.json()
    assert result["mode"] == "A" and result["query"] is False
    tokens = result["tokens"]
    surfaces = [t["surface"] for t in tokens]
    assert "議定" in surfaces and "批准" in surfaces  # mode A: short units
    for tok in tokens:
        assert text[tok["start"] : tok["end"]] == tok["surface"]
        assert set(tok) >= {"surface", "reading", "part_of_speech", "position", "start", "end"}

    human = mofasearch("analyze", text, cwd=work)
    assert human.code == 0, human.err
    rows = [line.split("\t") for line in human.out.splitlines()]
    assert all(len(row) == 6 for row in rows)
    assert any(row[1] == "議定書" for row in rows), human.out  # mode C: longer units
    assert ["-", "の", "(stop word)"] in [row[:3] for row in rows]


def test_stats_json_and_text(work: Path, first_search: Run) -> None:
    run = mofasearch("stats", "--json", cwd=work)
    assert run.code == 0, run.err
    stats = run.json()
    assert stats["documents"] == 2
    assert stats["sections"] > 2
    assert stats["sources"]["files"] == 2
    assert [Path(r).name for r in stats["sources"]["roots"]] == ["corpus"]

    text = mofasearch("stats", cwd=work, env={"MOFASEARCH_INDEX": str(work / "index")})
    assert text.code == 0, text.err
    assert "documents: 2" in text.out


# --------------------------------------------------------------------------- incremental index


@pytest.mark.slow
def test_index_is_incremental(tmp_path: Path) -> None:
    work = copy_corpus(tmp_path)
    corpus = work / "corpus"
    run = mofasearch("index", "--json", cwd=work)
    assert run.code == 0, run.err
    first = run.json()
    assert sorted(Path(p).name for p in first["added"]) == sorted([APEC, SEA_ISLAND])
    assert first["documents_added"] == 2

    # A changed file is re-indexed: its new words are found, the other file is left alone.
    page = corpus / APEC
    page.write_text(
        page.read_text(encoding="utf-8")
        + "\n\n4.追加事項\n\n両首脳はペンギン外交について協議した。\n",
        encoding="utf-8",
    )
    run = mofasearch("index", "--json", cwd=work)
    assert run.code == 0, run.err
    second = run.json()
    assert [Path(p).name for p in second["changed"]] == [APEC]
    assert second["added"] == [] and second["removed"] == [] and second["unchanged"] == 1

    run = mofasearch("search", "ペンギン", "--json", cwd=work)
    assert [h["title"] for h in run.json()["hits"]] == [
        "APEC首脳会合の際の小泉総理とカシヤノフ・ロシア首相の会談 (概要)"
    ]

    # A deleted file's document is removed.
    (corpus / SEA_ISLAND).unlink()
    run = mofasearch("index", "--json", cwd=work)
    assert run.code == 0, run.err
    third = run.json()
    assert [Path(p).name for p in third["removed"]] == [SEA_ISLAND]
    assert third["documents_deleted"] == 1
    run = mofasearch("search", "シーアイランド", "--json", cwd=work)
    assert run.code == 0 and run.json()["hits"] == []
    assert mofasearch("stats", "--json", cwd=work).json()["documents"] == 1


@pytest.mark.slow
def test_rejected_file_is_named_and_the_rest_indexed(tmp_path: Path) -> None:
    work = copy_corpus(tmp_path)
    (work / "corpus" / "broken.jsonl").write_text('{"id": "a", "title": \n', encoding="utf-8")
    run = mofasearch("index", cwd=work)
    assert run.code == 1
    assert "Traceback" not in run.err
    assert re.search(r"rejected \S*broken\.jsonl: ", run.err), run.err
    assert "1 input rejected, everything else was indexed" in run.err
    assert "updated" in run.out  # the summary of what was indexed

    stats = mofasearch("stats", "--json", cwd=work).json()
    assert stats["documents"] == 2  # both good pages were indexed
    assert stats["sources"]["files"] == 2  # the rejected file is not recorded: it is retried

    (work / "corpus" / "broken.jsonl").unlink()
    run = mofasearch("index", "--rebuild", "--json", cwd=work)
    assert run.code == 0, run.err
    rebuilt = run.json()
    assert rebuilt["rebuilt"] is True
    assert len(rebuilt["added"]) == 2 and rebuilt["documents_added"] == 2
