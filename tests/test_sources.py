"""Incremental indexing (mofasearch.sources) on real indexes in temporary folders."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mofasearch import Index, load
from mofasearch.errors import MofaSearchError
from mofasearch.progress import SyncProgress
from mofasearch.sources import MANIFEST_NAME, Manifest, remembered_roots, sync

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def write_passages(path: Path, records: list[tuple[str, str]]) -> None:
    """A passages JSONL file: one Document per (id, text)."""
    lines = [
        json.dumps({"id": i, "title": f"題 {i}", "text": t}, ensure_ascii=False) for i, t in records
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def indexed_ids(index_dir: Path) -> set[str]:
    with Index.open(index_dir) as ix:
        return set(ix.doc_ids())


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder with a source folder of two passages files, not yet indexed."""
    src = tmp_path / "proj" / "src"
    src.mkdir(parents=True)
    write_passages(src / "a.jsonl", [("a1", "京都議定書の批准"), ("a2", "北方領土問題の解決")])
    write_passages(src / "b.jsonl", [("b1", "日露修好150周年の記念行事")])
    return tmp_path / "proj"


def test_first_sync_adds_everything_and_remembers_the_root(project: Path) -> None:
    report = sync(project / "index", [project / "src"])
    assert sorted(Path(p).name for p in report.added) == ["a.jsonl", "b.jsonl"]
    assert (report.documents_added, report.sections_added) == (3, 3)
    assert report.ok and not report.changed and not report.removed
    assert indexed_ids(project / "index") == {"a1", "a2", "b1"}
    assert remembered_roots(project / "index") == [(project / "src").resolve()]
    # written atomically: no temporary file left behind
    assert [p.name for p in (project / "index").iterdir() if "sources" in p.name] == [MANIFEST_NAME]


def test_second_sync_without_changes_does_nothing(project: Path) -> None:
    sync(project / "index", [project / "src"])
    os.utime(project / "src" / "a.jsonl")  # touched, same content
    report = sync(project / "index")  # no paths: the remembered sources
    assert (report.added, report.changed, report.removed) == ([], [], [])
    assert report.unchanged == 2 and report.documents_added == 0
    # the new mtime is remembered, so the next run does not even hash the file
    rec = Manifest.load(project / "index").roots["../src"]["a.jsonl"]
    assert rec.mtime_ns == (project / "src" / "a.jsonl").stat().st_mtime_ns


def test_changed_file_is_reindexed_and_vanished_ids_deleted(project: Path) -> None:
    sync(project / "index", [project / "src"])
    write_passages(
        project / "src" / "a.jsonl",
        [("a1", "京都議定書の早期批准に向けた協力"), ("a3", "新しい節")],
    )
    report = sync(project / "index")
    assert [Path(p).name for p in report.changed] == ["a.jsonl"]
    assert report.documents_added == 2 and report.documents_deleted == 1
    assert indexed_ids(project / "index") == {"a1", "a3", "b1"}
    with Index.open(project / "index") as ix:
        assert "早期批准" in ix.get("a1").sections[0].text


def test_deleted_file_removes_its_documents(project: Path) -> None:
    sync(project / "index", [project / "src"])
    (project / "src" / "a.jsonl").unlink()
    report = sync(project / "index", [project / "src"])
    assert [Path(p).name for p in report.removed] == ["a.jsonl"]
    assert report.documents_deleted == 2
    assert indexed_ids(project / "index") == {"b1"}


def test_id_shared_by_two_files_is_rejected_and_the_holder_kept(project: Path) -> None:
    write_passages(project / "src" / "c.jsonl", [("b1", "同じ識別子の別の文書")])
    report = sync(project / "index", [project / "src"])
    assert [(Path(p).name, r.split(",")[0]) for p, r in report.rejected] == [
        ("c.jsonl", f"document id 'b1' is also in {project / 'src' / 'b.jsonl'}")
    ]
    (project / "src" / "c.jsonl").unlink()
    assert sync(project / "index").ok
    assert indexed_ids(project / "index") == {"a1", "a2", "b1"}
    with Index.open(project / "index") as ix:
        assert ix.get("b1").sections[0].text == "日露修好150周年の記念行事"


def test_rejected_file_is_reported_and_retried(project: Path) -> None:
    bad = project / "src" / "bad.jsonl"
    bad.write_text('{"id": "x1", "title": \n', encoding="utf-8")
    report = sync(project / "index", [project / "src"])
    assert not report.ok
    assert [Path(p).name for p, _ in report.rejected] == ["bad.jsonl"]
    assert report.rejected[0][1]  # a reason
    assert indexed_ids(project / "index") == {"a1", "a2", "b1"}  # the good files are in

    write_passages(bad, [("x1", "直した文書")])
    report = sync(project / "index")
    assert report.ok and [Path(p).name for p in report.added] == ["bad.jsonl"]
    assert indexed_ids(project / "index") == {"a1", "a2", "b1", "x1"}


def test_unreadable_file_is_rejected_with_the_reason(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tests run as root, where chmod cannot make a file unreadable: fail the read itself.
    from mofasearch import sources

    real = sources._sha256

    def sha256(path: Path) -> str:
        if path.name == "b.jsonl":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(sources, "_sha256", sha256)
    report = sync(project / "index", [project / "src"])
    assert [(Path(p).name, reason) for p, reason in report.rejected] == [
        ("b.jsonl", "Permission denied")
    ]
    assert indexed_ids(project / "index") == {"a1", "a2"}
    monkeypatch.setattr(sources, "_sha256", real)
    assert [Path(p).name for p in sync(project / "index").added] == ["b.jsonl"]


def test_file_that_breaks_keeps_its_previous_documents_until_fixed(project: Path) -> None:
    sync(project / "index", [project / "src"])
    (project / "src" / "b.jsonl").write_text("not json at all\n", encoding="utf-8")
    report = sync(project / "index")
    assert [Path(p).name for p, _ in report.rejected] == ["b.jsonl"]
    assert indexed_ids(project / "index") == {"a1", "a2", "b1"}
    again = sync(project / "index")  # still counted as changed, so it is retried every run
    assert [Path(p).name for p, _ in again.rejected] == ["b.jsonl"]


def test_rebuild_starts_over_from_remembered_sources(project: Path) -> None:
    index_dir = project / "index"
    index_dir.mkdir()
    (index_dir / "README.md").write_text("build output\n", encoding="utf-8")
    sync(index_dir, [project / "src"])
    report = sync(index_dir, rebuild=True)
    assert report.rebuilt and len(report.added) == 2 and report.documents_added == 3
    assert indexed_ids(index_dir) == {"a1", "a2", "b1"}
    assert (index_dir / "README.md").read_text(encoding="utf-8") == "build output\n"


def test_interrupted_rebuild_keeps_the_old_index(project: Path) -> None:
    index_dir = project / "index"
    sync(index_dir, [project / "src"])
    write_passages(project / "src" / "c.jsonl", [("c1", "新しい文書")])
    before = Manifest.load(index_dir).roots

    def interrupt(p: SyncProgress) -> None:
        if p.files_done == 2:  # after two files: a rebuild half done
            raise KeyboardInterrupt

    with Index.open(index_dir) as reader:  # a search process that stays open throughout
        with pytest.raises(KeyboardInterrupt):
            sync(index_dir, rebuild=True, progress=interrupt)
        assert indexed_ids(index_dir) == {"a1", "a2", "b1"}
        assert Manifest.load(index_dir).roots == before
        assert reader.search("北方領土")[0].doc_id == "a2"
        report = sync(index_dir, rebuild=True)  # the next rebuild lands whole
        assert report.documents_added == 4
        assert reader.search("新しい文書")[0].doc_id == "c1"
        assert reader.search("北方領土")[0].doc_id == "a2"
    assert indexed_ids(index_dir) == {"a1", "a2", "b1", "c1"}


def test_rebuild_of_a_root_drops_the_others(project: Path) -> None:
    other = project / "other"
    other.mkdir()
    write_passages(other / "o.jsonl", [("o1", "別の資料")])
    sync(project / "index", [project / "src", other])
    report = sync(project / "index", [other], rebuild=True)
    assert report.rebuilt and report.documents_added == 1
    assert indexed_ids(project / "index") == {"o1"}
    assert remembered_roots(project / "index") == [other.resolve()]
    empty = project / "empty"
    empty.mkdir()
    sync(project / "index", [empty], rebuild=True)  # nothing to index: an empty index
    assert indexed_ids(project / "index") == set()


def test_rebuild_recovers_an_index_built_with_other_settings(project: Path) -> None:
    from mofasearch.errors import IndexVersionError
    from mofasearch.index import META_FILE

    sync(project / "index", [project / "src"])
    meta_path = project / "index" / META_FILE
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["dictionary"] = "some other dictionary"
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(IndexVersionError):
        sync(project / "index")
    report = sync(project / "index", rebuild=True)
    assert report.ok and report.documents_added == 3
    assert indexed_ids(project / "index") == {"a1", "a2", "b1"}


def test_sync_and_rebuild_wait_for_another_writer(project: Path) -> None:
    from mofasearch.errors import IndexLockedError

    sync(project / "index", [project / "src"])
    write_passages(project / "src" / "new.jsonl", [("n1", "新しい文書")])
    with Index.open(project / "index") as ix, ix.writer():
        for rebuild in (False, True):
            with pytest.raises(IndexLockedError):
                sync(project / "index", rebuild=rebuild, lock_timeout=0.2)
    assert indexed_ids(project / "index") == {"a1", "a2", "b1"}  # nothing was pulled away
    assert sync(project / "index").added == [str(project / "src" / "new.jsonl")]


def test_moved_project_keeps_its_sources(project: Path, tmp_path: Path) -> None:
    sync(project / "index", [project / "src"])
    moved = tmp_path / "moved"
    os.rename(project, moved)  # index/ and src/ move together; mtimes are unchanged
    report = sync(moved / "index")
    assert report.unchanged == 2 and not (report.added or report.changed or report.removed)


def test_forgotten_root_documents_are_removed(project: Path) -> None:
    other = project / "other"
    other.mkdir()
    write_passages(other / "o.jsonl", [("o1", "別の資料")])
    sync(project / "index", [project / "src"])
    sync(project / "index", [other])  # a second root; the first is left alone
    assert indexed_ids(project / "index") == {"a1", "a2", "b1", "o1"}
    shutil.rmtree(other)
    report = sync(project / "index")
    assert report.forgotten_roots == [str(other.resolve())]
    assert indexed_ids(project / "index") == {"a1", "a2", "b1"}
    assert remembered_roots(project / "index") == [(project / "src").resolve()]


def test_lost_manifest_is_recovered_by_redoing_the_work(project: Path) -> None:
    """A crash after the commit but before the manifest is written: the next run redoes it."""
    sync(project / "index", [project / "src"])
    (project / "index" / MANIFEST_NAME).unlink()
    report = sync(project / "index", [project / "src"])
    assert len(report.added) == 2 and report.documents_deleted == 0
    assert indexed_ids(project / "index") == {"a1", "a2", "b1"}


_STOP_AFTER_COMMIT = """
import os, sys
from mofasearch.sources import sync
from mofasearch.writer import Writer

commit = Writer.commit

def commit_then_die(self, *args, **kwargs):
    commit(self, *args, **kwargs)
    os._exit(3)  # the process dies between the commit and the final sources list

Writer.commit = commit_then_die
sync(sys.argv[1], [sys.argv[2]])
"""


def _sync_dying_after_the_commit(index_dir: Path, root: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _STOP_AFTER_COMMIT, str(index_dir), str(root)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 3, done.stderr


def test_a_file_new_in_a_run_that_died_after_its_commit_is_deleted_with_its_file(
    project: Path,
) -> None:
    """The first run dies after committing a.jsonl and b.jsonl, before the final sources list;
    b.jsonl is deleted before the next run, which must not keep b1 with no file owning it."""
    _sync_dying_after_the_commit(project / "index", project / "src")
    assert indexed_ids(project / "index") == {"a1", "a2", "b1"}
    (project / "src" / "b.jsonl").unlink()
    report = sync(project / "index", [project / "src"])
    assert report.ok and [Path(p).name for p in report.removed] == ["b.jsonl"]
    assert indexed_ids(project / "index") == {"a1", "a2"}
    again = sync(project / "index")
    assert not (again.added or again.changed or again.removed) and again.documents_deleted == 0


def test_a_document_renamed_in_a_run_that_died_after_its_commit_goes_with_its_file(
    project: Path,
) -> None:
    sync(project / "index", [project / "src"])
    write_passages(project / "src" / "b.jsonl", [("b2", "日露修好150周年の記念行事")])
    _sync_dying_after_the_commit(project / "index", project / "src")
    assert indexed_ids(project / "index") == {"a1", "a2", "b2"}
    (project / "src" / "b.jsonl").unlink()
    sync(project / "index")
    assert indexed_ids(project / "index") == {"a1", "a2"}


def test_a_run_that_died_before_its_commit_is_redone(project: Path) -> None:
    """Dying after the sources list of the coming commit is saved but before the commit: the
    files it names are read again and the index is as if the run had finished."""
    script = _STOP_AFTER_COMMIT.replace("commit(self, *args, **kwargs)\n", "")
    done = subprocess.run(
        [sys.executable, "-c", script, str(project / "index"), str(project / "src")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 3, done.stderr
    assert indexed_ids(project / "index") == set()
    report = sync(project / "index")
    assert report.ok and sorted(Path(p).name for p in report.added + report.changed) == [
        "a.jsonl",
        "b.jsonl",
    ]
    assert indexed_ids(project / "index") == {"a1", "a2", "b1"}
    again = sync(project / "index")
    assert not (again.added or again.changed or again.removed)


def test_empty_folder_gives_an_empty_index(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    report = sync(tmp_path / "index", [tmp_path / "empty"])
    assert report.ok and report.documents_added == 0
    assert indexed_ids(tmp_path / "index") == set()
    with Index.open(tmp_path / "index") as ix:
        assert ix.stats()["documents"] == 0


def test_missing_path_is_an_error(project: Path) -> None:
    with pytest.raises(MofaSearchError, match="no such file or directory") as info:
        sync(project / "index", [project / "nope"])
    assert info.value.hint


def test_progress_reports_every_file(project: Path) -> None:
    events: list[SyncProgress] = []
    sync(project / "index", [project / "src"], progress=events.append)
    assert [(e.files_done, e.files_total) for e in events] == [(0, 2), (1, 2), (2, 2), (2, 2)]
    assert (events[-1].documents, events[-1].sections) == (3, 3)
    assert [e.phase for e in events] == ["indexing"] * 3 + ["committing"]


def test_shipped_corpus_matches_a_plain_load(tmp_path: Path) -> None:
    """sync indexes exactly the documents that load() finds in the same folder."""
    shutil.copytree(CORPUS, tmp_path / "corpus")
    report = sync(tmp_path / "index", [tmp_path / "corpus"])
    expected = {doc.id for doc in load(tmp_path / "corpus")}
    assert report.ok and indexed_ids(tmp_path / "index") == expected
    assert len(expected) == 2


# --------------------------------------------------------------------------- property

_IDS = ["p", "q", "r", "s"]
_file_contents = st.lists(
    st.tuples(st.sampled_from(_IDS), st.sampled_from(["外交", "条約の批准", "首脳会談"])),
    min_size=1,
    max_size=3,
    unique_by=lambda r: r[0],
)
_steps = st.lists(
    st.dictionaries(
        st.sampled_from(["f1.jsonl", "f2.jsonl", "f3.jsonl"]), st.none() | _file_contents
    ),
    min_size=1,
    max_size=3,
)


def _folder_documents(src: Path, names: Iterable[str]) -> dict[str, tuple[str, str]]:
    """id -> (title, text) of the documents in the named files of ``src``."""
    return {doc.id: (doc.title, doc.sections[0].text) for name in names for doc in load(src / name)}


def _index_documents(index_dir: Path) -> dict[str, tuple[str, str]]:
    with Index.open(index_dir) as ix:
        docs = (ix.get(doc_id) for doc_id in ix.doc_ids())
        return {d.id: (d.title, d.sections[0].text) for d in docs if d is not None}


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=_steps)
def test_index_always_matches_its_folder(tmp_path_factory: pytest.TempPathFactory, steps) -> None:  # type: ignore[no-untyped-def]
    """After any sequence of creates, edits and deletes, every file that was not rejected has
    exactly its documents in the index; a file is rejected only when another file holds one of
    its ids; a run with nothing changed changes nothing; and once the rejected files are
    removed, the index holds exactly what the folder produces."""
    base = tmp_path_factory.mktemp("prop")
    src = base / "src"
    src.mkdir()
    for step in steps:
        for name, records in step.items():
            path = src / name
            if records is None:
                path.unlink(missing_ok=True)
            else:
                write_passages(path, records)
                # a new mtime even on a coarse clock, so the change is always seen
                st_ = path.stat()
                os.utime(path, ns=(st_.st_atime_ns, st_.st_mtime_ns + 1_000_000_000))
        report = sync(base / "index", [src])
        rejected = sorted(Path(p).name for p, _ in report.rejected)
        assert all("is also in" in reason for _, reason in report.rejected)
        on_disk = sorted(p.name for p in src.iterdir())
        accepted = _folder_documents(src, [n for n in on_disk if n not in rejected])
        ids_of = {n: {d.id for d in load(src / n)} for n in on_disk}
        for name in rejected:  # each clashes with a file that was kept
            assert any(ids_of[name] & ids_of[o] for o in on_disk if o not in rejected)
        index = _index_documents(base / "index")
        assert {i: index.get(i) for i in accepted} == accepted
        again = sync(base / "index")  # converged: nothing to do but repeat the rejections
        assert (again.documents_added, again.documents_deleted) == (0, 0)
        assert sorted(Path(p).name for p, _ in again.rejected) == rejected
        assert _index_documents(base / "index") == index
    for name in rejected:
        (src / name).unlink()
    assert sync(base / "index", [src]).ok
    assert _index_documents(base / "index") == _folder_documents(src, sorted(os.listdir(src)))
