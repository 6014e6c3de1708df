"""The `index` summary counts rejected inputs as what they are: files, and folders too.

A folder that cannot be listed is rejected like a bad file (its documents kept), so the summary
must not call it a file. Real folders, a real index, the command line in process; no permissions
needed: a folder whose path outgrows PATH_MAX (4096) cannot be listed, even by root.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_sources import indexed_ids
from test_sources_sync import unlistable_source

from mofasearch import cli


def _index(capsys: pytest.CaptureFixture[str], index_dir: Path, src: Path) -> tuple[int, str]:
    code = cli.main(["index", "--index", str(index_dir), str(src)])
    return code, capsys.readouterr().err


def test_a_folder_that_cannot_be_listed_is_not_called_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index_dir, src = tmp_path / "index", unlistable_source(tmp_path)

    code, err = _index(capsys, index_dir, src)
    assert code == 1
    assert "cannot list the folder" in err
    assert "1 input rejected, everything else was indexed — fix or remove it and run" in err
    assert "file" not in err.splitlines()[-1]
    assert indexed_ids(index_dir) == {"top"}

    (src / "bad.jsonl").write_text('{"id": "b", "title": \n', encoding="utf-8")
    code, err = _index(capsys, index_dir, src)
    assert code == 1
    assert "rejected " + str(src / "bad.jsonl") + ": line 1: invalid JSON" in err
    assert "2 inputs rejected, everything else was indexed — fix or remove them and run" in err
