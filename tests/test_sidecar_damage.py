"""A damaged side-car postings file (``.mfpost``) is an IndexDamagedError naming it.

The side-car keeps no checksum, so a search does not pay for checking it: a posting list
outside its field's arrays is caught where it is read, and a document number outside the
segment, which fails a search further on, sends the index to check its side-cars whole. Real
index on disk, the shipped corpus, the file damaged on purpose and at random.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import numpy as np
import pytest

from mofasearch import Index, load
from mofasearch.errors import IndexDamagedError, MofaSearchError
from mofasearch.impact import PostingsFile

QUERIES = ("京都議定書", "日露", "首脳会談で経済協力", "テロ対策")


@pytest.fixture(scope="module")
def built(corpus, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sidecar") / "index"
    with Index.create(path) as ix, ix.writer() as w:
        for doc in load(corpus):
            w.add(doc)
    return path


def _copy(built: Path, tmp_path: Path) -> tuple[Path, Path]:
    path = tmp_path / "index"
    shutil.copytree(built, path)
    (side,) = path.glob("*.mfpost")
    return path, side


def _overwrite(side: Path, array: str, value: int) -> None:
    """Writes ``value`` over every element of one of the file's arrays."""
    data = bytearray(side.read_bytes())
    found = PostingsFile(bytes(data))
    offset, dtype = found._where[array]
    raw = np.full(len(found._arrays[array]), value).astype(dtype).tobytes()
    data[offset : offset + len(raw)] = raw
    side.write_bytes(bytes(data))


def _search_all(path: Path) -> None:
    with Index.open(path) as ix:
        for query in QUERIES:
            list(ix.search(query))
            ix.search(query, group_by_document=False)


def test_the_index_is_sound_before_any_damage(built, tmp_path):
    path, _ = _copy(built, tmp_path)
    _search_all(path)
    with Index.open(path) as ix:
        snap = ix._acquire()
        try:
            assert snap.damaged_postings() is None
        finally:
            snap.release()


def test_postings_outside_their_arrays(built, tmp_path):
    path, side = _copy(built, tmp_path)
    _overwrite(side, "bigram.post_offsets", 1 << 30)
    with pytest.raises(IndexDamagedError, match=side.name) as info:
        _search_all(path)
    assert "rebuild" in info.value.hint


def test_document_numbers_outside_the_segment(built, tmp_path):
    path, side = _copy(built, tmp_path)
    _overwrite(side, "bigram.docs", 1 << 20)
    with pytest.raises(IndexDamagedError, match=side.name) as info:
        _search_all(path)
    assert "document number outside the segment" in str(info.value)


def test_random_damage_never_escapes_as_a_raw_error(built, tmp_path):
    rng = random.Random(7)
    outcomes = {"ok": 0, "damaged": 0}
    for trial in range(45):
        path, side = _copy(built, tmp_path / str(trial))
        data = bytearray(side.read_bytes())
        if trial % 3 == 0:
            for _ in range(rng.randint(1, 20)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        elif trial % 3 == 1:
            data = data[: rng.randrange(len(data))]
        else:
            at = rng.randrange(len(data))
            data[at : at + 64] = bytes(rng.randrange(256) for _ in range(64))
        side.write_bytes(bytes(data))
        try:
            _search_all(path)
            outcomes["ok"] += 1  # unreadable files are ignored; some bytes change no answer
        except IndexDamagedError:
            outcomes["damaged"] += 1
        except MofaSearchError as exc:  # pragma: no cover - shown if it ever happens
            pytest.fail(f"trial {trial}: {type(exc).__name__}: {exc}")
    assert outcomes["damaged"] > 0 and outcomes["ok"] > 0
