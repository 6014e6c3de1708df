"""The public Index API as a web application uses it: closing under load, results that leave
the process, documents and explanations read back, paging, and other processes' commits."""

from __future__ import annotations

import datetime
import json
import os
import pickle
import re
import shutil
import threading

import pytest

from mofasearch import Document, Index, Section
from mofasearch.errors import IndexNotFoundError, MofaSearchError

SECTIONS = 4


def page(n: int, *, date: datetime.date | None = None) -> Document:
    return Document(
        f"doc{n}",
        f"日露首脳会談{n}",
        [
            Section(
                f"京都議定書について第{n}回の協議を行った。項目{i}では平和条約も議論した。",
                heading=f"協議{i}",
                number=str(i + 1),
                path=("会談", f"協議{i}"),
            )
            for i in range(SECTIONS)
        ],
        date=date,
        url=f"https://www.mofa.go.jp/{n}.html",
        category="会談・訪問",
        meta={"n": str(n)},
    )


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture
def ix(tmp_path):
    index = Index.create(tmp_path / "ix")
    with index.writer() as w:
        for n in range(6):
            w.add(page(n, date=datetime.date(2000 + n % 3, 1, 1) if n % 2 else None))
    yield index
    index.close()


def test_close_while_a_search_is_starting_leaves_no_open_snapshot(tmp_path):
    with Index.create(tmp_path / "ix") as setup, setup.writer() as w:
        w.add(page(0))
    before = open_fds()
    ix = Index.open(tmp_path / "ix")
    checked, closed = threading.Event(), threading.Event()
    check = ix._check_open
    calls = []

    def check_then_wait() -> None:
        check()
        calls.append(1)
        if len(calls) == 1:  # the search has passed its check: the index closes now
            checked.set()
            closed.wait(10)

    ix._check_open = check_then_wait  # type: ignore[method-assign]
    outcome: list[object] = []

    def search() -> None:
        try:
            outcome.append(ix.search("京都議定書").total)
        except MofaSearchError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=search)
    thread.start()
    assert checked.wait(10)
    ix.close()
    closed.set()
    thread.join()
    assert len(outcome) == 1 and isinstance(outcome[0], MofaSearchError)
    assert "closed" in str(outcome[0])
    assert ix._snapshot is None
    assert open_fds() == before


def test_closing_under_concurrent_searches_releases_every_file(tmp_path):
    with Index.create(tmp_path / "ix") as setup:
        for n in range(3):
            with setup.writer() as w:
                w.add(page(n))
    before = open_fds()
    ix = Index.open(tmp_path / "ix")
    ix.search("京都議定書")
    start = threading.Barrier(5)
    unexpected: list[BaseException] = []

    def search() -> None:
        start.wait()
        try:
            while True:
                ix.search("京都議定書")
                ix.get("doc1")
        except MofaSearchError as exc:
            if "closed" not in str(exc):
                unexpected.append(exc)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            unexpected.append(exc)

    threads = [threading.Thread(target=search) for _ in range(4)]
    for t in threads:
        t.start()
    start.wait()
    ix.search("平和条約")
    ix.close()
    for t in threads:
        t.join()
    assert not unexpected, unexpected[0]
    assert ix._snapshot is None
    assert open_fds() == before
    for call in (
        lambda: ix.search("x"),
        lambda: ix.get("doc1"),
        lambda: ix.explain("x", "doc1#1"),
        ix.stats,
        ix.doc_ids,
        ix.writer,
    ):
        with pytest.raises(MofaSearchError, match="closed"):
            call()


def test_hits_and_results_pickle_with_their_snippets(ix):
    res = ix.search("平和条約", limit=3)
    again = pickle.loads(pickle.dumps(res))
    assert again == res
    assert [h.snippet for h in again] == [h.snippet for h in res]
    assert again.hits[0].snippet.spans  # the matched words still marked
    assert json.loads(json.dumps(again.to_dict())) == json.loads(json.dumps(res.to_dict()))
    hit = ix.search("京都議定書", group_by_document=False)[0]
    copy = pickle.loads(pickle.dumps(hit))
    assert copy == hit and copy.snippet == hit.snippet and copy.other_sections == ()


def test_a_replaced_hit_cuts_its_snippet_from_its_own_text(ix):
    import dataclasses

    hit = ix.search("京都議定書", group_by_document=False)[0]
    assert "京都" in hit.snippet.text  # cut once, and kept
    edited = dataclasses.replace(hit, text="外務大臣が会見した。")
    assert edited.snippet.text.startswith("外務大臣") and "京都" in hit.snippet.text


def test_get_returns_the_document_as_added(ix):
    many = Document(
        "長い文書",
        "多くの節",
        [
            Section(f"第{i}節の本文。", heading=f"見出し{i}", id=f"z{300 - i:03d}")
            for i in range(300)
        ],
        date=datetime.date(2004, 6, 10),
        meta={"法令番号": "平成十六年法律第一号"},
    )
    with ix.writer() as w:
        w.add(many)
    assert ix.get("長い文書") == many
    assert ix.get("doc3") == page(3, date=datetime.date(2000, 1, 1))
    assert ix.get("missing") is None
    assert ix.get("doc") is None
    shorter = Document("長い文書", "短く", [Section("一つだけ")])
    with ix.writer() as w:
        w.add(shorter)
    assert ix.get("長い文書") == shorter


def test_explain_gives_the_search_score_and_says_what_does_not_match(ix):
    for query in ("京都議定書", "平和条約 協議", "title:日露 京都議定書", '"平和条約"'):
        for hit in ix.search(query, group_by_document=False, limit=100):
            text = ix.explain(query, hit.section_id)
            head = text.splitlines()[0]
            assert head.startswith(f"{hit.section_id} matches ")
            score = float(re.search(r"score (\d+\.\d+)", head).group(1))  # type: ignore[union-attr]
            assert score == pytest.approx(hit.score, abs=5e-5)
    assert ix.explain("北方領土", "doc1#1").splitlines() == [
        "doc1#1 does not match '北方領土': score 0.0000 = sum of",
        "  (no query term occurs in this section)",
    ]
    assert ix.explain("京都議定書", "nope") == "nope: no such section in the index"
    with ix.writer() as w:
        w.delete("doc1")
    assert ix.explain("京都議定書", "doc1#1") == "doc1#1: no such section in the index"


def test_stats_and_doc_ids_after_deletes(ix):
    with ix.writer() as w:
        w.delete("doc0")
        w.delete("doc4")
        w.delete("never there")
    stats = ix.stats()
    assert (stats["documents"], stats["sections"]) == (4, 4 * SECTIONS)
    assert sorted(ix.doc_ids()) == ["doc1", "doc2", "doc3", "doc5"]


@pytest.mark.parametrize("grouped", [True, False])
@pytest.mark.parametrize("sort", ["score", "date", "-date"])
def test_pages_join_into_the_whole_ranking(ix, grouped, sort):
    whole = ix.search("平和条約 京都議定書", group_by_document=grouped, sort=sort, limit=1000)
    assert whole.total == len(whole) == (6 if grouped else 6 * SECTIONS)
    pages = [
        ix.search("平和条約 京都議定書", group_by_document=grouped, sort=sort, limit=5, offset=o)
        for o in range(0, whole.total + 5, 5)
    ]
    assert {p.total for p in pages} == {whole.total}
    assert [h.section_id for p in pages for h in p] == [h.section_id for h in whole]


def test_in_memory_index_answers_like_a_disk_index(ix):
    memory = Index.in_memory()
    with memory.writer() as w:
        for n in range(6):
            w.add(page(n, date=datetime.date(2000 + n % 3, 1, 1) if n % 2 else None))
    for grouped in (True, False):
        disk = ix.search("平和条約", group_by_document=grouped, limit=50)
        ram = memory.search("平和条約", group_by_document=grouped, limit=50)
        assert ram.hits == disk.hits and ram.total == disk.total and ram.facets == disk.facets
        assert [h.snippet for h in ram] == [h.snippet for h in disk]
    assert memory.get("doc2") == ix.get("doc2")
    assert memory.stats()["sections"] == ix.stats()["sections"]
    memory.close()
    with pytest.raises(MofaSearchError, match="closed"):
        memory.search("平和条約")


def test_another_process_commit_is_seen_by_the_next_search(ix):
    hits = list(ix.search("京都議定書", group_by_document=False, limit=100))
    pid = os.fork()
    if pid == 0:  # another process: replace documents and merge every segment away
        code = 1
        try:
            with Index.open(ix.path) as other:
                with other.writer() as w:
                    w.delete("doc0")
                    w.add(page(9))
                other.optimize()
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert ix.get("doc0") is None and ix.get("doc9") == page(9)
    assert ix.stats()["segments"] == 1
    res = ix.search("京都議定書", group_by_document=False, limit=100)
    assert res.total == 6 * SECTIONS
    assert "doc9#1" in {h.section_id for h in res}
    # hits taken before keep their text: their snippets need none of the merged-away files
    assert all("京都議定書" in h.snippet.text for h in hits)


def test_an_index_folder_removed_and_rebuilt_under_an_open_index(tmp_path):
    def build(doc: Document) -> None:
        with Index.create(tmp_path / "ix") as fresh, fresh.writer() as w:
            w.add(doc)

    build(page(0))
    ix = Index.open(tmp_path / "ix")
    assert ix.search("京都議定書", group_by_document=False).total == SECTIONS
    shutil.rmtree(tmp_path / "ix")
    for call in (lambda: ix.search("京都議定書"), lambda: ix.get("doc0"), ix.stats):
        with pytest.raises(IndexNotFoundError, match="no index in"):
            call()
    build(Document("後継", "再構築", [Section("北方領土問題の解決")]))
    res = ix.search("北方領土")
    assert [h.section_id for h in res] == ["後継#0"]
    assert ix.get("後継") is not None and ix.get("doc0") is None
    ix.close()
