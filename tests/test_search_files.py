"""How a search process holds an index's files: segment files read through open files, not
mapped whole (a map keeps every page a search touched resident), and closed again when the
index is closed or simply dropped."""

from __future__ import annotations

import gc
import os
import warnings
from pathlib import Path

import pytest

from mofasearch import Index, load


def _open_files(folder: Path) -> int:
    """This process's descriptors open on files in ``folder``."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        count += target.startswith(str(folder))
    return count


pytestmark = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs Linux /proc")


@pytest.fixture()
def built(corpus, tmp_path):
    path = tmp_path / "ix"
    with Index.create(path) as ix, ix.writer() as w:
        for doc in load(corpus):
            w.add(doc)
    return path


def test_segment_files_are_not_mapped(built):
    with Index.open(built) as ix:
        assert ix.search("京都議定書").total > 0
        segments = [name for name in os.listdir(built) if name.endswith(".seg")]
        assert segments
        with open("/proc/self/maps", encoding="utf-8") as fh:
            mapped = fh.read()
        assert not any(name in mapped for name in segments)


def test_closing_the_index_closes_its_files(built):
    before = _open_files(built)
    ix = Index.open(built)
    assert ix.search("京都議定書").total > 0
    assert _open_files(built) > before
    ix.close()
    assert _open_files(built) == before


def test_an_index_dropped_without_close_closes_its_files(built):
    before = _open_files(built)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ix = Index.open(built)
        assert ix.search("京都議定書").total > 0
        del ix
        gc.collect()
    # closed by the snapshot, not left to the garbage collector (which warns: unclosed file)
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]
    assert _open_files(built) == before
