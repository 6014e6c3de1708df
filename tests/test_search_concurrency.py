"""One Index shared by threads while a writer commits, and an Index used across os.fork()."""

from __future__ import annotations

import os
import threading

from mofasearch import Document, Index, Section

SECTIONS = 5


def batch(n: int) -> Document:
    return Document(
        f"doc{n}",
        f"会談記録{n}",
        [Section(f"京都議定書について第{n}回の協議。項目{i}。") for i in range(SECTIONS)],
    )


def test_eight_threads_search_while_a_writer_commits(tmp_path):
    ix = Index.create(tmp_path / "ix")
    with ix.writer() as w:
        w.add(batch(0))
    errors: list[BaseException] = []
    seen: list[int] = []
    stop = threading.Event()

    def searcher() -> None:
        try:
            while not stop.is_set():
                res = ix.search("京都議定書", group_by_document=False, limit=3)
                grouped = ix.search("京都議定書", limit=100)
                # a committed snapshot holds whole documents only
                assert res.total % SECTIONS == 0
                assert all(len(h.other_sections) == SECTIONS - 1 for h in grouped)
                seen.append(res.total)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=searcher) for _ in range(8)]
    for t in threads:
        t.start()
    try:
        for n in range(1, 8):
            with ix.writer(lock_timeout=5) as w:
                w.add(batch(n))
            with ix.writer(lock_timeout=5) as w:  # an update replaces every section at once
                w.add(batch(n))
    finally:
        stop.set()
        for t in threads:
            t.join()
    ix.close()
    assert not errors, errors[0]
    assert seen and max(seen) <= 8 * SECTIONS
    with Index.open(tmp_path / "ix") as again:
        assert again.search("京都議定書", group_by_document=False).total == 8 * SECTIONS


def test_index_opened_before_fork_works_in_the_child(tmp_path):
    ix = Index.create(tmp_path / "ix")
    with ix.writer() as w:
        w.add(batch(0))
        w.add(batch(1))
    before = [h.section_id for h in ix.search("京都議定書", group_by_document=False)]
    pid = os.fork()
    if pid == 0:  # the child: search, write, search again; report by exit code only
        code = 1
        try:
            after = [h.section_id for h in ix.search("京都議定書", group_by_document=False)]
            with ix.writer() as w:
                w.add(batch(2))
            grown = ix.search("京都議定書", group_by_document=False, limit=100).total
            code = 0 if after == before and grown == 3 * SECTIONS else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    # the parent's snapshot is untouched, and it sees the child's commit
    assert [h.section_id for h in ix.search("京都議定書", group_by_document=False)] == before[:10]
    assert ix.search("京都議定書", group_by_document=False, limit=100).total == 3 * SECTIONS
    ix.close()
