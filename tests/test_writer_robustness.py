"""A writer under failure: its process killed with workers running, a badly typed document, a
batch that cannot be built, a damaged index. Each leaves the index as it was, the lock free and
the caller with a mofasearch error that names what went wrong, never a partial commit.

Real processes, a real index on disk and real Sudachi throughout: the children are Python
processes running the code below (``-c``), killed with real signals or short of disk space
through a real resource limit.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from test_parallel import make_doc

from mofasearch import Document, Index, Section, writer
from mofasearch.errors import DocumentParseError, IndexDamagedError, MofaSearchError

ROOT = Path(__file__).resolve().parent.parent


def make_index(path: Path, count: int) -> Index:
    ix = Index.create(path)
    with ix.writer() as w:
        for i in range(count):
            w.add(make_doc(i))
    return ix


def uncommitted(path: Path, before: set[str]) -> bool:
    """Whether the index in ``path`` is still the generation whose files were ``before``.

    A cancelled writer may leave new, unlisted segment files (the next commit removes them),
    but no new TOC, and every file of the committed generation is still there.
    """
    after = set(os.listdir(path))
    toc = {name for name in after | before if name.endswith(".toc")}
    return before <= after and toc <= before


def child_env() -> dict[str, str]:
    """The environment of a child process: it imports mofasearch from this checkout."""
    paths = [str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def run_child(code: str, *args: str, timeout: float = 120) -> Any:
    """Runs ``code`` in a new Python process; its last line of output is JSON."""
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=child_env(),
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


# a writer killed with its workers running -----------------------------------------------------

KILLED_WRITER = """
import sys, time
from mofasearch import Document, Index, Section

def doc(i):
    text = f"平和条約について{i}回目の協議を行い、経済協力を確認した。"
    return Document(f"k{i}", f"協議 {i}", [Section(text, "", "1"), Section(text * 3, "", "2")])

path, mode = sys.argv[1], sys.argv[2]
ix = Index.open(path)
w = ix.writer(jobs=2)
i = 0
while type(w._builder).__name__ != "ParallelBuilder":  # until the workers have started
    w.add(doc(i))
    i += 1
print(" ".join(str(proc.pid) for proc in w._builder._procs), flush=True)
if mode == "idle":  # the workers wait for the next batch
    time.sleep(600)
while True:  # the workers are building batches when the kill comes
    w.add(doc(i))
    i += 1
"""


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie left for an init that does not reap is dead too)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


def wait_gone(pids: list[int], seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while (left := [pid for pid in pids if alive(pid)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads process states from /proc")
@pytest.mark.parametrize(
    ("signum", "mode"), [(signal.SIGKILL, "busy"), (signal.SIGTERM, "idle")], ids=["kill", "term"]
)
def test_a_killed_writers_workers_release_the_lock_and_exit(tmp_path, signum, mode):
    path = tmp_path / "ix"
    make_index(path, 3).close()
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(path), mode],
        stdout=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    workers: list[int] = []
    try:
        assert child.stdout is not None
        workers = [int(pid) for pid in child.stdout.readline().split()]
        assert len(workers) == 2, "the child did not start its workers"
        time.sleep(0.5)
        child.send_signal(signum)
        child.wait(timeout=30)
        with Index.open(path) as ix:
            # the lock died with the writer: a new one gets it at once, the old contents intact
            with ix.writer(lock_timeout=3.0) as w:
                w.add(make_doc(3))
            assert sorted(ix.doc_ids()) == ["d0", "d1", "d2", "d3"]
            assert ix.search("北方領土").total == 4
        assert wait_gone(workers, 5.0) == [], "workers outlived their writer"
    finally:
        child.kill()
        child.wait()
        child.stdout.close()  # type: ignore[union-attr]
        for pid in workers:  # what this test started must not outlive it, even when it fails
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


# a badly typed document -----------------------------------------------------------------------


def bad(**changes: Any) -> Document:
    """Document ``d0`` with fields of the wrong type (a dataclass does not check them)."""
    fields: dict[str, Any] = {"id": "d0", "title": "不正", "sections": [Section("置き換え")]}
    fields.update(changes)
    return Document(**fields)


BAD_DOCUMENTS = {
    "date as str": bad(date="2020-01-01"),
    "text as int": bad(sections=[Section(1234)]),  # type: ignore[arg-type]
    "heading None": bad(sections=[Section("本文", None)]),  # type: ignore[arg-type]
    "path with an int": bad(sections=[Section("本文", "見出し", "1", ("章", 1))]),  # type: ignore[arg-type]
    "not a Section": bad(
        sections=[SimpleNamespace(text="本文", heading="", number="1", path=(), id="d0#1")]
    ),
    "category as int": bad(category=3),
    "url as bytes": bad(url=b"https://www.mofa.go.jp/"),
    "title None": bad(title=None),
    "meta value int": bad(meta={"法令番号": 1}),
    "no sections": bad(sections=[]),  # it would vanish, title and all, replacing d0
}


@pytest.mark.parametrize("doc", list(BAD_DOCUMENTS.values()), ids=list(BAD_DOCUMENTS))
def test_a_badly_typed_document_is_refused_by_its_own_add(tmp_path, doc):
    with make_index(tmp_path / "ix", 2) as ix:
        before = ix.get("d0")
        with ix.writer() as w:
            with pytest.raises(DocumentParseError, match="document 'd0'"):
                w.add(doc)
            assert not w._buffer and not w._deleted  # nothing buffered, nothing deleted
            w.add(make_doc(5))
        assert ix.get("d0") == before  # the indexed document of that id is untouched
        assert sorted(ix.doc_ids()) == ["d0", "d1", "d5"]


def test_an_id_that_is_not_a_str_is_refused():
    w = Index.in_memory().writer()
    with pytest.raises(DocumentParseError, match="id must be str, not int"):
        w.add(Document(7, "題", [Section("本文")]))  # type: ignore[arg-type]
    w.cancel()


def test_skipping_a_bad_document_loses_no_other_one(tmp_path):
    """The bad document sits in the middle of a batch handed over by a later add."""
    docs = [make_doc(i) for i in range(writer.BATCH + 40)]
    docs[100] = Document("d100", "不正", [Section("本文")], date="2020-01-01")  # type: ignore[arg-type]
    with Index.create(tmp_path / "ix") as ix:
        refused = []
        with ix.writer() as w:
            for doc in docs:
                try:
                    w.add(doc)
                except MofaSearchError:
                    refused.append(doc.id)
        assert refused == ["d100"]
        assert set(ix.doc_ids()) == {doc.id for doc in docs} - {"d100"}


# a batch that cannot be built -----------------------------------------------------------------

FULL_DISK_WRITER = """
import json, resource, signal, sys
from mofasearch import Document, Index, Section, writer
from mofasearch.errors import MofaSearchError

def doc(i):
    text = f"北方領土問題について{i}回目の協議を行い、経済協力を確認した。" * 12
    return Document(f"n{i}", f"日露協議 {i}", [Section(text, "", "1")])

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
limits = resource.getrlimit(resource.RLIMIT_FSIZE)
batch = min(writer.BATCH, writer.BATCH_SECTIONS)
failed = []
with Index.open(sys.argv[1]) as ix:
    w = ix.writer()
    for i in range(batch + int(sys.argv[2])):
        if i == batch - 1:  # this add hands the batch over: the disk is full meanwhile
            resource.setrlimit(resource.RLIMIT_FSIZE, (1, limits[1]))
        try:
            w.add(doc(i))
        except MofaSearchError as exc:  # the caller skips a document whose add failed
            failed.append([f"n{i}", type(exc).__name__])
        resource.setrlimit(resource.RLIMIT_FSIZE, limits)  # and then there is room again
    try:
        w.commit()
        outcome = "committed"
    except MofaSearchError as exc:
        outcome = str(exc)
print(json.dumps({"failed": failed, "commit": outcome, "batch": batch}))
"""


@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="needs RLIMIT_FSIZE and SIGXFSZ")
@pytest.mark.parametrize("more", [0, 40], ids=["commit-next", "more-adds"])
def test_a_batch_that_fails_to_build_fails_the_writer(tmp_path, more):
    """The batch's other documents were added without an error: the commit must not succeed
    without them (nor with half of them)."""
    path = tmp_path / "ix"
    make_index(path, 2).close()
    before = set(os.listdir(path))
    found = run_child(FULL_DISK_WRITER, str(path), str(more))
    batch = found["batch"]
    # the add that handed the batch over failed; every later one says the writer failed
    assert found["failed"][0] == [f"n{batch - 1}", "IndexStorageError"]
    assert [f[0] for f in found["failed"]] == [f"n{i}" for i in range(batch - 1, batch + more)]
    assert "rolled back" in found["commit"] and "File too large" in found["commit"]
    with Index.open(path) as ix:
        assert sorted(ix.doc_ids()) == ["d0", "d1"]  # no partial commit
        assert uncommitted(path, before)
        with ix.writer(lock_timeout=0) as w:  # the lock was released
            w.add(make_doc(2))
        assert sorted(ix.doc_ids()) == ["d0", "d1", "d2"]


def test_a_failed_writer_raises_when_its_with_block_ends(tmp_path):
    """A caller that goes on after a failed add does not get a silent end of the block."""
    path = tmp_path / "ix"
    make_index(path, 5).close()
    damage(path, "deleted")
    before = set(os.listdir(path))
    with (
        Index.open(path) as ix,
        pytest.raises(MofaSearchError, match="rolled back"),
        ix.writer() as w,
    ):
        with pytest.raises(IndexDamagedError):
            w.add(make_doc(0))
        with pytest.raises(MofaSearchError, match="rolled back"):
            w.add(make_doc(1))
    assert uncommitted(path, before)


# a damaged index ------------------------------------------------------------------------------


def damage(path: Path, how: str) -> str:
    seg = next(n for n in os.listdir(path) if n.endswith(".seg"))
    if how == "truncated":
        with open(path / seg, "r+b") as f:
            f.truncate(os.path.getsize(path / seg) // 2)
    else:
        os.remove(path / seg)
    return seg


@pytest.mark.parametrize("how", ["truncated", "deleted"])
@pytest.mark.parametrize("change", ["add", "delete"])
def test_changing_a_damaged_index_is_an_index_damaged_error(tmp_path, how, change):
    path = tmp_path / "ix"
    make_index(path, 20).close()
    seg = damage(path, how)
    before = set(os.listdir(path))
    with Index.open(path) as ix:
        with pytest.raises(IndexDamagedError, match=seg) as caught, ix.writer() as w:
            if change == "add":
                w.add(make_doc(3, tag="改訂"))  # replaces an indexed document
            else:
                w.delete("d3")
        assert caught.value.path == str(path)
        assert "rebuild" in caught.value.hint
        assert uncommitted(path, before)
        ix.writer(lock_timeout=0).cancel()  # the lock was released


def test_a_failed_writer_releases_the_lock_at_once(tmp_path):
    """A caller that catches the error and forgets the writer does not keep the index locked."""
    path = tmp_path / "ix"
    make_index(path, 5).close()
    damage(path, "truncated")
    with Index.open(path) as ix:
        w = ix.writer()
        with pytest.raises(IndexDamagedError):
            w.delete("d1")
        ix.writer(lock_timeout=0).cancel()
        with pytest.raises(MofaSearchError, match="rolled back"):
            w.commit()
        with pytest.raises(MofaSearchError, match="closed"):
            w.commit()


def test_an_empty_id_is_refused(tmp_path):
    with make_index(tmp_path / "ix", 1) as ix:
        with ix.writer() as w, pytest.raises(DocumentParseError, match="id must not be empty"):
            w.add(Document("", "題", [Section("本文")]))
        assert list(ix.doc_ids()) == ["d0"]


# section ids --------------------------------------------------------------------------------


def _doc(doc_id: str, *section_ids: str, text: str = "日露修好150周年の記念行事") -> Document:
    return Document(doc_id, f"題 {doc_id}", [Section(text, id=sid) for sid in section_ids])


def test_a_section_id_of_another_document_is_refused(tmp_path):
    """In the writer's own documents and in the committed index; the refused add changes
    nothing and the writer goes on."""
    with Index.create(tmp_path / "ix") as ix:
        with ix.writer() as w:
            w.add(_doc("a", "s1", "s2"))
            with pytest.raises(DocumentParseError, match="section id 's2' .* document 'a'") as got:
                w.add(_doc("b", "s3", "s2"))
            assert "delete document 'a'" in got.value.hint
            w.add(_doc("b", "s3"))
        with ix.writer() as w:
            with pytest.raises(DocumentParseError, match="section id 's1' .* document 'a'"):
                w.add(_doc("c", "s1"))  # held by a committed section
            with pytest.raises(DocumentParseError, match="section id 's3' .* document 'b'"):
                w.check([_doc("c", "s9"), _doc("d", "s3")])
            w.add(_doc("c", "s9"))
        assert sorted(ix.doc_ids()) == ["a", "b", "c"]
        assert [s.id for s in ix.get("b").sections] == ["s3"]
        hits = ix.search("日露修好", limit=20, group_by_document=False)
        assert sorted(hit.section_id for hit in hits) == ["s1", "s2", "s3", "s9"]


def test_a_section_id_is_free_once_its_document_changes(tmp_path):
    with Index.create(tmp_path / "ix") as ix:
        with ix.writer() as w:
            w.add(_doc("a", "s1"))
            w.add(_doc("b", "s2"))
        with ix.writer() as w:
            w.add(_doc("a", "s1", "s3"))  # a document may keep its own section ids
            w.delete("b")  # a deleted document's ids are free
            w.add(_doc("c", "s2"))
            w.add(_doc("a", "s4"))  # replaced (twice) without s1 and s3: they are free
            w.add(_doc("d", "s1", "s3"))
            # a group may move a section id: the document before it gives the id up
            w.check([_doc("c", "s5"), _doc("e", "s2")])
        assert {d: [s.id for s in ix.get(d).sections] for d in ix.doc_ids()} == {
            "a": ["s4"],
            "c": ["s2"],
            "d": ["s1", "s3"],
        }
        with ix.writer() as w:
            w.clear()  # every document goes: every id is free
            w.add(_doc("z", "s1", "s2", "s4"))
        assert list(ix.doc_ids()) == ["z"]


@pytest.mark.parametrize("handed", [False, True], ids=["buffered", "handed-over"])
def test_a_section_id_of_another_documents_own_form_is_refused(tmp_path, monkeypatch, handed):
    """Derived ids (doc id, ``#``, number) and a passage's id (its document's) are not kept by
    the writer, so it tells them apart by the document id: exactly while the document is
    buffered, by the id's form once its batch is handed over."""
    if handed:
        monkeypatch.setattr(writer, "BATCH", 1)
    derived = Document("page", "題", [Section("日露修好", number="1"), Section("京都議定書")])
    assert [s.id for s in derived.sections] == ["page#1", "page#1~1"]
    passage = _doc("q-7", "q-7")
    with Index.create(tmp_path / "ix") as ix:
        with ix.writer() as w:
            w.add(derived)
            w.add(passage)
            assert not w._owners  # own-form ids cost the writer nothing
            for taken, owner in [("page#1", "page"), ("q-7", "q-7")]:
                with pytest.raises(DocumentParseError, match=f"'{taken}' .* document '{owner}'"):
                    w.add(_doc("other", taken))
            if handed:  # page's ids are not kept: one of its own form is refused as ambiguous
                with pytest.raises(DocumentParseError, match="'page#9' has the form of .* 'page'"):
                    w.add(_doc("explicit", "page#9"))
            else:  # page is at hand: page#9 is not one of its ids
                w.add(_doc("explicit", "page#9"))
            # a document whose id extends another's ('#' and more) keeps its own ids
            w.add(Document("page#frag", "題", [Section("本文", number="2")]))
        assert sorted(ix.doc_ids()) == sorted(
            ["page", "page#frag", "q-7", *([] if handed else ["explicit"])]
        )
        with ix.writer() as w:  # committed: asked of the index, exactly
            with pytest.raises(DocumentParseError, match="'page#1' .* document 'page'"):
                w.add(_doc("late", "page#1"))
            w.add(_doc("late", "page#2"))


def test_an_explicit_id_given_first_keeps_it_from_a_derived_one(tmp_path):
    with Index.create(tmp_path / "ix") as ix, ix.writer() as w:
        w.add(_doc("first", "page#1"))
        with pytest.raises(DocumentParseError, match="'page#1' .* document 'first'"):
            w.add(Document("page", "題", [Section("日露修好", number="1")]))
