"""The command line after a Ctrl-C: the next command picks up where the interrupted one left.

Runs the CLI in process (``cli.main``) in a copy of corpus/, with the interruption raised from
the progress callback, as a Ctrl-C arrives while files are being indexed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_cli import copy_corpus

from mofasearch import cli
from mofasearch.progress import ProgressBar, SyncProgress


def _interrupt_after_first_file(self: ProgressBar, event: SyncProgress) -> None:
    if event.files_done:
        raise KeyboardInterrupt


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    copy_corpus(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MOFASEARCH_INDEX", raising=False)
    monkeypatch.delenv("MOFASEARCH_DEBUG", raising=False)

    def main(*args: str) -> tuple[int, str, str]:
        code = cli.main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return main


def test_a_search_after_an_interrupted_first_build_builds_the_index(
    run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first search builds index/ from corpus/; a Ctrl-C during that build left an empty
    index behind, and every later search then said "no hits" instead of building it."""
    with monkeypatch.context() as patch:
        patch.setattr(ProgressBar, "__call__", _interrupt_after_first_file)
        code, _, err = run("search", "京都議定書", "--json")
    assert code == 130 and err.endswith("mofasearch: interrupted\n"), err
    code, out, err = run("search", "京都議定書", "--json")
    assert code == 0, err
    assert '"total": 1' in out, (out, err)
    assert "building it from corpus/" in err


def test_a_search_after_an_interrupted_first_index_run_builds_the_index(
    run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(ProgressBar, "__call__", _interrupt_after_first_file)
        code, _, _ = run("index")
    assert code == 130
    code, out, err = run("search", "京都議定書", "--json")
    assert code == 0, err
    assert '"total": 1' in out, (out, err)


def test_an_index_filled_by_the_library_is_not_rebuilt(run: Any) -> None:
    """Only an index with no documents and no remembered sources counts as never built."""
    from mofasearch import Document, Index, Section

    with Index.create("index") as ix, ix.writer() as w:
        w.add(Document("own", "自前の文書", [Section("京都議定書の批准")]))
    code, out, err = run("search", "京都議定書", "--json")
    assert code == 0, err
    assert '"total": 1' in out and '"doc_id": "own"' in out, out
    assert err == ""
