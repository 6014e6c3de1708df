"""Durability and resources: fsync at the commit point; read-only, full and missing directories.

Tests run as root here, so a read-only directory is simulated by a forked child that drops to
``nobody``, and a full disk by a child with ``RLIMIT_FSIZE`` (SIGXFSZ ignored, so writes fail
with EFBIG like they would with ENOSPC).
"""

from __future__ import annotations

import gc
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from test_reliability_support import NOBODY, documents, public_directory, run_forked

from mofasearch import Index
from mofasearch.errors import IndexNotFoundError, IndexStorageError
from mofasearch.index import check_directory
from mofasearch.storage import file_storage


def _build(path: Path, batches: int = 2) -> None:
    with Index.create(path) as ix:
        for b in range(batches):
            with ix.writer() as w:
                for doc in documents(b):
                    w.add(doc)


def _state(path: Path) -> tuple[int, list[str]]:
    with Index.open(path) as ix:
        return ix.search("北方領土", limit=100).total, sorted(ix.doc_ids())


# Reading while another process commits --------------------------------------------------------


def test_a_segment_deleted_under_a_reader_leaves_no_open_file(tmp_path: Path) -> None:
    """A commit elsewhere can delete a segment's file between a reader's TOC read and its opening
    of that segment; the segments the reader had already opened must be closed, not leaked."""
    _build(tmp_path, batches=3)
    store = file_storage(tmp_path)
    store.supports_mmap = False  # as Index.open reads: each open segment holds its file open
    ix = store.open_index()
    segments = ix._read_toc().segments
    assert len(segments) >= 2, "the test needs a reader that opens several segments"
    os.remove(tmp_path / f"{segments[-1].segment_id()}.seg")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(FileNotFoundError):
            ix.reader()
        gc.collect()
    leaks = [w for w in caught if issubclass(w.category, ResourceWarning)]
    assert not leaks, [str(w.message) for w in leaks]


# Durability ----------------------------------------------------------------------------------


def test_commit_fsyncs_segments_and_toc_before_rename_and_directory_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ix"
    _build(path, batches=1)
    events: list[tuple[str, bool]] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        target = os.readlink(f"/proc/self/fd/{fd}")
        events.append((target, (path / "_MAIN_2.toc").exists()))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    with Index.open(path) as ix, ix.writer() as w:
        for doc in documents(1):
            w.add(doc)
    monkeypatch.undo()

    assert (path / "_MAIN_2.toc").exists()
    before_rename = {Path(t).name for t, renamed in events if not renamed}
    after_rename = {Path(t).name for t, renamed in events if renamed}
    segments = {p.name for p in path.glob("*.seg")}
    assert segments and segments <= before_rename, "a segment file was not synced before commit"
    assert any(re.fullmatch(r"_MAIN_2\.toc\..+", name) for name in before_rename)
    assert path.name in after_rename, "the directory was not synced after the TOC rename"
    # everything in the directory is known synced: a second sweep finds nothing to do
    assert file_storage(path).sync_files() >= 0
    store = file_storage(path)
    store.sync_files()
    assert store.sync_files() == 0


def test_non_durable_storage_never_fsyncs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(os, "fsync", lambda fd: calls.append(fd))
    store = file_storage(tmp_path, durable=False)
    from whoosh.fields import ID, Schema

    ix = store.create_index(Schema(id=ID(stored=True)))
    with ix.writer() as w:
        w.add_document(id="a")
    assert calls == []
    assert file_storage(tmp_path).open_index().doc_count() == 1


# Read-only directory -------------------------------------------------------------------------


def test_read_only_directory_searches_and_refuses_writes_cleanly() -> None:
    with public_directory() as root:
        path = root / "ix"
        _build(path)
        before = _state(path)

        def as_nobody() -> dict[str, object]:
            with Index.open(path) as ix:
                total = ix.search("北方領土", limit=100).total
                try:
                    with ix.writer() as w:
                        w.add(documents(9)[0])
                except IndexStorageError as exc:
                    return {"total": total, "error": "IndexStorageError", "message": str(exc)}
                return {"total": total, "error": None}

        as_nobody()  # once as root: imports and loads everything the child will need
        with Index.open(path) as ix, ix.writer() as w:
            w.delete("b9-d0")  # undo that run
        before = _state(path)
        result = run_forked(as_nobody, uid=NOBODY)
        assert "ok" in result, result
        assert result["ok"]["total"] == before[0]
        assert result["ok"]["error"] == "IndexStorageError"
        assert str(path) in result["ok"]["message"]
        assert _state(path) == before


# Full disk -----------------------------------------------------------------------------------


def _fill_the_disk(path: Path) -> dict[str, object]:
    """A commit in a child whose files may not grow past the index's biggest file."""
    biggest = max(p.stat().st_size for p in path.iterdir() if p.is_file())

    def write_too_much() -> str:
        with Index.open(path) as ix, ix.writer() as w:
            for doc in documents(5, count=200, size=40):
                w.add(doc)
        return "committed"

    return run_forked(write_too_much, fsize=biggest + 4096)


def test_full_disk_keeps_the_last_commit_and_no_lock(tmp_path: Path) -> None:
    path = tmp_path / "ix"
    _build(path)
    before = _state(path)
    result = _fill_the_disk(path)
    assert "error" in result, result
    assert "File too large" in str(result["message"])
    assert _state(path) == before
    # the failed writer left no lock behind and no visible half-segment
    with Index.open(path) as ix, ix.writer(lock_timeout=1.0) as w:
        w.add(documents(7, count=1)[0])
    assert _state(path)[1] == sorted(before[1] + ["b7-d0"])


def test_full_disk_is_a_clear_storage_error(tmp_path: Path) -> None:
    path = tmp_path / "ix"
    _build(path)
    result = _fill_the_disk(path)
    assert result.get("error") == "IndexStorageError", result
    assert str(path) in str(result["message"])


# Missing directory ---------------------------------------------------------------------------


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError, match="no such directory"):
        Index.open(tmp_path / "nowhere")
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(IndexStorageError) as info:
        Index.create(tmp_path / "file" / "ix")
    assert str(tmp_path / "file") in str(info.value)


def test_a_file_is_not_an_index_directory(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(IndexNotFoundError, match="not a directory"):
        Index.open(tmp_path / "file")
    for target in (tmp_path / "file", tmp_path / "file" / "ix"):
        with pytest.raises(IndexStorageError, match="not a directory"):
            Index.create(target)
        with pytest.raises(IndexStorageError, match="file is a file"):
            check_directory(target / "deeper")
    check_directory(tmp_path / "new" / "ix")  # missing is fine, and nothing is created
    assert not (tmp_path / "new").exists()


def test_unlistable_directory_is_a_storage_error() -> None:
    with public_directory() as root:
        path = root / "ix"
        path.mkdir(mode=0)

        def as_nobody() -> list[str]:
            found = []
            for attempt in (Index.open_or_create, Index.create, check_directory):
                try:
                    attempt(path)
                except IndexStorageError as exc:
                    found.append(f"{type(exc).__name__}: {exc}")
            return found

        result = run_forked(as_nobody, uid=NOBODY)
        assert "ok" in result, result
        assert len(result["ok"]) == 3, result
        for message in result["ok"]:
            assert str(path) in message and "ermission denied" in message


def test_cli_on_missing_index_is_one_clear_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mofasearch", "search", "北方領土", "--index", "nowhere"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "nowhere" in result.stderr
