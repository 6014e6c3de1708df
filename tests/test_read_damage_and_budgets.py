"""Reading an index in a long-running process: damaged or passing-unreadable side-car postings
files, and the snapshot and segment caches kept within their byte budgets.

Real indexes on disk (the shipped corpus, or a small one made here), real Sudachi.
"""

from __future__ import annotations

import random
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from mofasearch import Document, Index, Section, load
from mofasearch import snapshot as snapshot_module
from mofasearch.errors import IndexDamagedError, MofaSearchError
from mofasearch.scoring import RankingConfig
from mofasearch.segments import SegmentCache

#: queries whose answers need the side-only fields (character bigrams, readings)
SIDE_QUERIES = ("日露", "にちろ", "首脳会談で経済協力")

WORDS = [
    "経済",
    "協力",
    "首脳",
    "会談",
    "平和",
    "条約",
    "環境",
    "問題",
    "安全",
    "保障",
    "貿易",
    "投資",
    "文化",
    "交流",
    "教育",
    "科学",
    "技術",
    "開発",
    "援助",
    "人権",
    "難民",
    "食料",
    "資源",
    "海洋",
    "漁業",
    "観光",
    "医療",
    "気候",
    "領土",
    "外交",
]


@pytest.fixture(scope="module")
def built(corpus, tmp_path_factory) -> Path:
    """The shipped corpus, one commit per document (two segments, two side-car files)."""
    path = tmp_path_factory.mktemp("read") / "index"
    with Index.create(path) as ix:
        for doc in load(corpus):
            with ix.writer() as w:
                w.add(doc)
    return path


@pytest.fixture(scope="module")
def vocabulary_index(tmp_path_factory) -> Path:
    """Two hundred short sections over a small vocabulary: every word matches dozens."""
    rng = random.Random(5)
    path = tmp_path_factory.mktemp("vocabulary") / "index"
    with Index.create(path) as ix, ix.writer() as w:
        for n in range(200):
            words = rng.sample(WORDS, 5)
            text = f"{words[0]}と{words[1]}について、{words[2]}と{words[3]}の{words[4]}を議論した。"
            w.add(Document(id=f"d{n}", title=f"{words[0]}の会合", sections=[Section(text)]))
    return path


def _copy(built: Path, tmp_path: Path) -> Path:
    path = tmp_path / "index"
    shutil.copytree(built, path)
    return path


def _answers(ix: Index) -> list[list[tuple[str, float]]]:
    return [[(h.section_id, round(h.score, 9)) for h in ix.search(q)] for q in SIDE_QUERIES]


def _nonsense(rng: random.Random) -> str:
    """A query of four random CJK ideographs: terms that match nothing, or next to nothing."""
    return "".join(chr(rng.randrange(0x4E00, 0x4E00 + 3000)) for _ in range(4))


# --------------------------------------------------------------------------- side-car files


def test_a_truncated_side_car_is_damage_not_fewer_matches(built, tmp_path):
    path = _copy(built, tmp_path)
    side = sorted(path.glob("*.mfpost"))[0]
    data = side.read_bytes()
    side.write_bytes(data[: len(data) // 2])
    with Index.open(path) as ix:
        for query in SIDE_QUERIES:
            with pytest.raises(IndexDamagedError, match=side.name) as info:
                ix.search(query)
            assert "rebuild" in info.value.hint
        # what the damage leaves intact still answers
        assert len(list(ix.doc_ids())) == 2
        assert ix.stats()["sections"] > 0
        assert ix.search("title:日露").total == 1
        # a merge would carry the side-car's bigrams over: it must not drop them quietly
        with pytest.raises(IndexDamagedError, match=side.name):
            ix.optimize()
    with Index.open(path) as ix:
        assert ix.stats()["segments"] == 2  # nothing was merged


def test_an_empty_side_car_is_damage(built, tmp_path):
    path = _copy(built, tmp_path)
    side = sorted(path.glob("*.mfpost"))[0]
    side.write_bytes(b"")
    with Index.open(path) as ix, pytest.raises(IndexDamagedError, match=side.name):
        ix.search("日露")


def test_a_side_car_unreadable_for_a_moment_is_read_on_a_later_search(built, tmp_path):
    path = _copy(built, tmp_path)
    with Index.open(path) as ix:
        expected = _answers(ix)
    side = sorted(path.glob("*.mfpost"))[0]
    data = side.read_bytes()
    # a directory in its place: opening it succeeds, mapping it fails (as a passing OSError)
    side.unlink()
    side.mkdir()
    with Index.open(path) as ix:
        with pytest.raises(MofaSearchError):
            ix.search("日露")
        side.rmdir()
        side.write_bytes(data)
        assert _answers(ix) == expected


# --------------------------------------------------------------------------- cache budgets


def _entry_bytes(key: object, value: tuple) -> int:
    """The least an entry really holds: its key and value tuples and its arrays' data."""
    arrays = sum(part.nbytes for part in value if isinstance(part, np.ndarray))
    return sys.getsizeof(key) + sys.getsizeof(value) + arrays


def test_contribution_caches_stay_within_their_budget(vocabulary_index, monkeypatch):
    budget = 40_000
    monkeypatch.setattr(snapshot_module, "MAX_CONTRIBUTION_BYTES", budget)
    rng = random.Random(11)
    with Index.open(vocabulary_index) as ix:
        ix.search("経済")
        snap = ix._snapshot
        memo = snap.term_memo(ix.ranking)
        memo.max_bytes = budget
        for n in range(300):
            # words matching dozens of sections, and words matching nothing
            ix.search(WORDS[n % len(WORDS)] if n % 2 else _nonsense(rng))
        assert ix._snapshot is snap
        contrib = sum(_entry_bytes(k, v) for k, v in snap._contrib.items())
        memo_held = sum(_entry_bytes(k, v) for k, v in memo.items.items())
        assert contrib <= budget
        assert memo_held <= budget


def test_a_segments_postings_cache_stays_within_its_budget(built, monkeypatch):
    """Section filters are read from Whoosh's postings, kept per segment: distinct filters
    matching nothing must not pile up as entries that weigh nothing."""
    budget = 20_000
    monkeypatch.setattr(SegmentCache, "MAX_BYTES", budget)
    with Index.open(built) as ix:
        for n in range(300):
            ix.search("日露", section=f"{n + 100}.({n % 7 + 1})")
        caches = [cache for _, _, cache in ix._snapshot.leaves]
        for cache in caches:
            held = sum(_entry_bytes(k, v) for k, v in cache._postings.items())
            assert held <= budget


def test_length_norms_do_not_pile_up_with_ranking_configurations(vocabulary_index):
    with Index.open(vocabulary_index) as ix:
        ix.search("経済")
        snap = ix._snapshot
        for n in range(60):
            ix.search("経済 協力", ranking=RankingConfig(default_b=0.5 + n / 200))
        assert ix._snapshot is snap
        # bounded, not one array per field and configuration ever searched with
        assert len(snap._norms) < 60


def test_stored_fields_kept_per_segment_stay_within_their_byte_budget(tmp_path, monkeypatch):
    """Long sections (statutes' run to 35,000 characters) must not be kept by count alone."""
    from mofasearch.segments import stored_size
    from tests.conftest import disk_index

    budget = 150_000
    monkeypatch.setattr(SegmentCache, "MAX_STORED_BYTES", budget)
    long_text = "日本国と各国は経済協力について協議した。" * 250  # 5,000 characters
    docs = [Document(f"d{n}", f"記録{n}", [Section(long_text, id=f"d{n}#1")]) for n in range(40)]
    with disk_index(tmp_path, docs) as ix:
        res = ix.search("経済協力", limit=40, group_by_document=False)
        assert len(list(res)) == 40  # every section's stored fields were read
        (cache,) = [cache for _, _, cache in ix._snapshot.leaves]
        held = [stored_size(fields) for fields, _ in cache._stored.values()]
        assert 0 < len(held) < 40
        assert sum(held) <= budget
        assert cache._stored_bytes == sum(size for _, size in cache._stored.values())
        # what was dropped is read again, the same
        again = ix.search("経済協力", limit=40, group_by_document=False)
        assert [h.section_id for h in again] == [h.section_id for h in res]


def test_a_snapshot_does_not_open_a_segment_whose_side_car_a_merge_removed(
    tmp_path, corpus, monkeypatch
):
    """A reader lists a generation's segments; before it opens one's side-car, a merge in
    another writer commits and removes the file. Taken for a segment without a side-car, it
    would lose every bigram and reading match of the segment for the life of the snapshot."""
    path = tmp_path / "ix"
    docs = list(load(corpus))
    with Index.create(path) as first, first.writer() as w:
        w.add(docs[0])
    with Index.open(path) as ix:
        with Index.open(path) as fresh:
            wanted = {h.section_id for h in fresh.search("にちろ", limit=50)}
        assert wanted  # matched by reading only: the side-car's
        old = ix._ix.searcher()  # the reader that listed the old generation
        with Index.open(path) as other:
            with other.writer() as w:
                w.add(docs[1])
            other.optimize()  # every old segment merged away, its files removed
        assert not list(path.glob(f"{old.reader()._segment.segment_id()}.*"))
        handed = iter([old])
        real = ix._ix.searcher
        monkeypatch.setattr(ix._ix, "searcher", lambda: next(handed, None) or real())
        found = {h.section_id for h in ix.search("にちろ", limit=50)}
        assert found >= wanted and len(ix._snapshot.leaves) == 1


def test_opening_gives_up_when_every_generation_it_tries_is_gone(tmp_path, corpus, monkeypatch):
    from mofasearch import index as index_module
    from mofasearch.errors import IndexStorageError

    path = tmp_path / "ix"
    docs = list(load(corpus))
    with Index.create(path) as first, first.writer() as w:
        w.add(docs[0])
    with Index.open(path) as ix:
        stale = [ix._ix.searcher() for _ in range(index_module._OPEN_ATTEMPTS)]
        with Index.open(path) as other:
            with other.writer() as w:
                w.add(docs[1])
            other.optimize()
        handed = iter(stale)
        monkeypatch.setattr(ix._ix, "searcher", lambda: next(handed))
        with pytest.raises(IndexStorageError, match="changed under every attempt"):
            ix.search("にちろ")
        assert all(s.is_closed for s in stale)  # none left open
