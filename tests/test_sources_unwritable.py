"""``sources.sync`` called as a library: an index folder it cannot make or write is an
``IndexStorageError`` naming it (every error of an index is a ``MofaSearchError``), before any
file is read, as ``Index.create`` and the writer say it."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_reliability_support import NOBODY, public_directory, run_forked

from mofasearch.errors import IndexStorageError
from mofasearch.sources import sync


def _sources(folder: Path) -> Path:
    src = folder / "src"
    src.mkdir()
    (src / "a.md").write_text(
        "# 日露首脳会談\n\n北方領土問題について協議した。\n", encoding="utf-8"
    )
    for path in (folder, src, src / "a.md"):
        path.chmod(0o755)
    return src


def test_an_index_folder_under_a_file_is_a_storage_error(tmp_path: Path) -> None:
    src = _sources(tmp_path)
    (tmp_path / "blocker").write_text("not a folder", encoding="utf-8")
    with pytest.raises(IndexStorageError) as caught:
        sync(tmp_path / "blocker" / "ix", [src])
    assert "blocker" in str(caught.value)


@pytest.mark.parametrize("rebuild", [False, True])
def test_an_index_folder_that_cannot_be_made_is_a_storage_error(rebuild: bool) -> None:
    with public_directory() as root:
        src = _sources(root)
        locked = root / "locked"
        locked.mkdir()
        locked.chmod(0o555)
        sync(root / "warm", [src])  # imports everything the unprivileged child needs

        result = run_forked(lambda: sync(locked / "ix", [src], rebuild=rebuild), uid=NOBODY)
        assert result.get("error") == "IndexStorageError", result
        assert str(locked / "ix") in result["message"]
        assert not (locked / "ix").exists()


def test_rebuilding_an_unreadable_index_in_a_read_only_folder_is_a_storage_error() -> None:
    with public_directory() as root:
        src = _sources(root)
        ix = root / "ix"
        sync(ix, [src])
        (ix / "mofasearch.json").write_text("{}", encoding="utf-8")  # another version's
        before = sorted(p.name for p in ix.iterdir())
        for path in (ix, *ix.iterdir()):
            path.chmod(0o555 if path == ix else 0o444)

        result = run_forked(lambda: sync(ix, [src], rebuild=True), uid=NOBODY)
        assert result.get("error") == "IndexStorageError", result
        assert str(ix) in result["message"]
        assert sorted(p.name for p in ix.iterdir()) == before
