"""Incremental indexing keeps faith with the files on disk: bad input never costs data.

Folders that cannot be listed keep their documents and are rejected by name; the walk never
reads an index (``mofasearch index .``); a document id belongs to one file, and the index ends
consistent with the files whatever order they arrive, clash or vanish in. Real files, real
indexes, real Sudachi; the command line runs in process (``cli.main``) or, where permissions
must be dropped, as a subprocess.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_cli import Run, mofasearch
from test_sources import indexed_ids, write_passages

from mofasearch import Index, cli, load
from mofasearch.documents import iter_source_files
from mofasearch.errors import DocumentParseError
from mofasearch.sources import FileRecord, Manifest, sync

# --------------------------------------------------------------------------- helpers

# Root reads every folder whatever its mode; dropping these two capabilities makes it obey them.
_DROP = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]


@pytest.fixture
def unprivileged(tmp_path: Path) -> list[str]:
    """The prefix that runs a command without root's power to read unreadable folders."""
    prefix = _DROP if os.geteuid() == 0 else []
    probe = tmp_path / "probe"
    probe.mkdir(mode=0o000)
    try:
        listed = subprocess.run(
            [*prefix, sys.executable, "-c", f"import os; os.listdir({str(probe)!r})"],
            capture_output=True,
        )
    except FileNotFoundError:
        listed = None  # no setpriv
    finally:
        probe.rmdir()
    if listed is None or listed.returncode == 0:
        pytest.skip("cannot run a process that permissions keep out of a folder")
    return prefix


def run_cli(prefix: list[str], *args: str, cwd: Path) -> Run:
    return mofasearch(*args, cwd=cwd, prefix=prefix)


def index_here(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``mofasearch index ARGS`` in process: exit code, stdout, stderr."""
    code = cli.main(["index", *args])
    out, err = capsys.readouterr()
    return code, out, err


def titles(index_dir: Path) -> dict[str, str]:
    with Index.open(index_dir) as ix:
        return {doc_id: ix.get(doc_id).title for doc_id in ix.doc_ids()}


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working folder, current for the test (paths are shown as given)."""
    monkeypatch.chdir(tmp_path)
    for name in [k for k in os.environ if k.startswith("MOFASEARCH_")]:
        monkeypatch.delenv(name)
    return tmp_path


# --------------------------------------------------------------------------- unreadable input


def test_unreadable_folder_is_rejected_and_its_documents_kept(
    tmp_path: Path, unprivileged: list[str]
) -> None:
    src = tmp_path / "src"
    (src / "locked").mkdir(parents=True)
    (src / "locked" / "a.txt").write_text("北方領土問題について協議した。\n", encoding="utf-8")
    (src / "b.txt").write_text("京都議定書の批准について。\n", encoding="utf-8")
    first = run_cli(unprivileged, "index", "src", cwd=tmp_path)
    assert first.code == 0, first.err

    (src / "locked").chmod(0o000)
    try:
        run = run_cli(unprivileged, "index", "src", cwd=tmp_path)
        again = run_cli(unprivileged, "index", cwd=tmp_path)  # the remembered sources
    finally:
        (src / "locked").chmod(0o755)
    for r in (run, again):
        assert r.code == 1, r.err
        assert "cannot list the folder: Permission denied" in r.err
        assert "Traceback" not in r.err
        assert "0 removed" in r.out and "0 deleted" in r.out
    assert "rejected src/locked: " in run.err
    assert indexed_ids(tmp_path / "index") == {"locked/a.txt", "b.txt"}

    readable = run_cli(unprivileged, "index", cwd=tmp_path)
    assert readable.code == 0, readable.err
    assert "2 unchanged" in readable.out


def test_unreadable_root_keeps_every_document(tmp_path: Path, unprivileged: list[str]) -> None:
    src = tmp_path / "src"
    src.mkdir()
    write_passages(src / "a.jsonl", [("a1", "京都議定書の批准")])
    write_passages(src / "b.jsonl", [("b1", "北方領土問題の解決")])
    assert run_cli(unprivileged, "index", "src", cwd=tmp_path).code == 0

    src.chmod(0o000)
    try:
        given = run_cli(unprivileged, "index", "src", cwd=tmp_path)
        remembered = run_cli(unprivileged, "index", cwd=tmp_path)
    finally:
        src.chmod(0o755)
    assert given.code == 1 and "rejected src: cannot list the folder" in given.err
    assert remembered.code == 1 and "cannot list the folder" in remembered.err
    assert "0 deleted" in given.out and "0 deleted" in remembered.out
    assert indexed_ids(tmp_path / "index") == {"a1", "b1"}


def _deep_folder(base: Path, length: int) -> Path:
    """A chain of folders under ``base`` whose full path is about ``length`` characters."""
    folder = base
    while len(str(folder)) < length:
        folder /= "d" * min(200, max(1, length - len(str(folder)) - 1))
    folder.mkdir(parents=True)
    return folder


def test_folder_that_cannot_be_listed_keeps_its_documents(tmp_path: Path) -> None:
    """No permissions needed: a moved project whose deepest folder outgrows PATH_MAX (4096)."""
    project = tmp_path / "p"
    src = project / "src"
    src.mkdir(parents=True)
    write_passages(src / "top.jsonl", [("top", "京都議定書の批准")])
    write_passages(_deep_folder(src, 3950) / "deep.jsonl", [("deep", "北方領土問題の解決")])
    assert sync(project / "index", [src]).ok
    assert indexed_ids(project / "index") == {"top", "deep"}

    moved = tmp_path / ("p" + "x" * 250)
    os.rename(project, moved)  # index/ and src/ move together; sync finds src/ from index/
    report = sync(moved / "index")
    assert [reason for _, reason in report.rejected] == [
        "cannot list the folder: File name too long"
    ]
    assert (report.removed, report.documents_deleted) == ([], 0)
    assert indexed_ids(moved / "index") == {"top", "deep"}


def unlistable_source(tmp_path: Path) -> Path:
    """A source folder holding top.jsonl (id "top") and, in a folder that cannot be listed
    (its path outgrows PATH_MAX once the project is moved), deep.jsonl (id "deep")."""
    src = tmp_path / "p" / "src"
    src.mkdir(parents=True)
    write_passages(src / "top.jsonl", [("top", "京都議定書の批准")])
    write_passages(_deep_folder(src, 3950) / "deep.jsonl", [("deep", "北方領土問題の解決")])
    moved = tmp_path / ("p" + "x" * 250)
    os.rename(tmp_path / "p", moved)  # the deepest folder's path now exceeds PATH_MAX
    return moved / "src"


def test_load_names_a_folder_it_cannot_list(tmp_path: Path) -> None:
    src = unlistable_source(tmp_path)
    with pytest.raises(DocumentParseError, match="cannot list the folder: File name too long"):
        list(load(src))
    errors: list[Path] = []
    assert [doc.id for doc in load(src, on_error=lambda p, e: errors.append(p))] == ["top"]
    assert len(errors) == 1 and str(errors[0]).startswith(str(src))


# --------------------------------------------------------------------------- index folders


def test_indexing_the_folder_that_holds_the_index(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (here / "a.txt").write_text("北方領土問題について協議した。\n", encoding="utf-8")
    for _ in range(2):
        code, out, err = index_here(capsys, ".")
        assert code == 0, err
        assert err == ""
    assert "0 added, 0 changed, 0 removed, 1 unchanged" in out  # settled on the second run
    assert indexed_ids(here / "index") == {"a.txt"}
    # a second index in the same folder skips its own files and the first index's
    code, _, err = index_here(capsys, "--index", "other", ".")
    assert code == 0, err
    assert indexed_ids(here / "other") == {"a.txt"}
    assert [p.name for p in iter_source_files(here)] == ["a.txt"]


# --------------------------------------------------------------------------- id clashes


def _bump(path: Path) -> None:
    """A new mtime even on a coarse clock, so the change is always seen."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def _write_record(path: Path, doc_id: str, title: str, text: str) -> None:
    record = {"id": doc_id, "title": title, "text": text}
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")


@pytest.mark.parametrize(("removed", "survivor"), [("b.jsonl", "甲"), ("a.jsonl", "乙")])
def test_id_in_two_files_is_rejected_until_one_goes(
    here: Path, capsys: pytest.CaptureFixture[str], removed: str, survivor: str
) -> None:
    (here / "s").mkdir()
    _write_record(here / "s" / "a.jsonl", "X", "甲", "りんご")
    _write_record(here / "s" / "b.jsonl", "X", "乙", "みかん")
    for run in range(2):  # reported every run until resolved; the first file keeps the id
        code, out, err = index_here(capsys, "s")
        assert code == 1
        assert "rejected s/b.jsonl: document id 'X' is also in s/a.jsonl, which keeps it" in err
        assert f"{1 - run} documents ({1 - run} sections) indexed" in out
        assert titles(here / "index") == {"X": "甲"}

    (here / "s" / removed).unlink()
    code, _, err = index_here(capsys, "s")
    assert code == 0, err
    assert titles(here / "index") == {"X": survivor}
    with Index.open(here / "index") as ix:
        assert len(ix.search("みかん" if survivor == "乙" else "りんご")) == 1
        assert len(ix.search("りんご" if survivor == "乙" else "みかん")) == 0
    code, out, _ = index_here(capsys, "s")
    assert code == 0 and "0 added, 0 changed, 0 removed, 1 unchanged" in out


def test_holder_of_an_id_keeps_it_whatever_the_walk_order(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    write_passages(src / "b.jsonl", [("X", "元の文書")])
    sync(tmp_path / "index", [src])
    write_passages(src / "a.jsonl", [("X", "横取りする文書")])  # walked first, new
    write_passages(src / "b.jsonl", [("X", "書き直した文書")])  # the holder, changed
    _bump(src / "b.jsonl")
    report = sync(tmp_path / "index")
    assert [(Path(p).name, r.split(",")[0]) for p, r in report.rejected] == [
        ("a.jsonl", f"document id 'X' is also in {src / 'b.jsonl'}")
    ]
    with Index.open(tmp_path / "index") as ix:
        assert ix.get("X").sections[0].text == "書き直した文書"


def test_files_that_swap_ids_both_succeed(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    write_passages(src / "a.jsonl", [("p", "外交")])
    write_passages(src / "b.jsonl", [("q", "条約")])
    sync(tmp_path / "index", [src])
    write_passages(src / "a.jsonl", [("q", "条約の批准")])
    write_passages(src / "b.jsonl", [("p", "外交の方針")])
    _bump(src / "a.jsonl")
    _bump(src / "b.jsonl")
    report = sync(tmp_path / "index")
    assert report.ok and (report.documents_added, report.documents_deleted) == (2, 0)
    with Index.open(tmp_path / "index") as ix:
        assert ix.get("q").sections[0].text == "条約の批准"
        assert ix.get("p").sections[0].text == "外交の方針"


def test_clash_left_by_an_older_version_is_settled(tmp_path: Path) -> None:
    """A manifest where two files hold one id (written before clashes were rejected), with the
    second file's document indexed: the next run makes the index agree with the first file."""
    src = tmp_path / "src"
    src.mkdir()
    _write_record(src / "a.jsonl", "X", "甲", "りんご")
    _write_record(src / "b.jsonl", "X", "乙", "みかん")
    index_dir = tmp_path / "index"
    sync(index_dir, [src / "b.jsonl"])  # the index holds 乙
    manifest = Manifest(index_dir)
    key = manifest.root_key(src)
    manifest.roots[key] = {}
    for name in ("a.jsonl", "b.jsonl"):
        st = (src / name).stat()
        sha = hashlib.sha256((src / name).read_bytes()).hexdigest()
        manifest.roots[key][name] = FileRecord(st.st_size, st.st_mtime_ns, sha, ("X",))
    manifest.save()

    for _ in range(2):
        report = sync(index_dir, [src])
        assert [Path(p).name for p, _ in report.rejected] == ["b.jsonl"]
        assert titles(index_dir) == {"X": "甲"}
    (src / "b.jsonl").unlink()
    report = sync(index_dir, [src])
    assert report.ok and titles(index_dir) == {"X": "甲"}


def test_id_repeated_in_one_file_counts_once_and_warns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    write_passages(src / "a.jsonl", [("X", "最初の記録"), ("Y", "別の文書"), ("X", "最後の記録")])
    with caplog.at_level(logging.WARNING, logger="mofasearch"):
        report = sync(tmp_path / "index", [src])
    assert report.ok and (report.documents_added, report.sections_added) == (2, 2)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        f"{src / 'a.jsonl'}: document id 'X' appears more than once; "
        "only the last record of each is indexed"
    ]
    with Index.open(tmp_path / "index") as ix:
        assert ix.get("X").sections[0].text == "最後の記録"
    assert Manifest.load(tmp_path / "index").roots["../src"]["a.jsonl"].doc_ids == ("X", "Y")


def _write_sections(path: Path, doc_id: str, *section_ids: str) -> None:
    sections = [{"id": sid, "text": f"{doc_id}の条約 {sid}"} for sid in section_ids]
    record = {"id": doc_id, "title": f"文書 {doc_id}", "sections": sections}
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")


def test_a_section_id_of_another_file_rejects_the_file_whole(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (here / "s").mkdir()
    _write_sections(here / "s" / "a.jsonl", "A", "1", "2")
    _write_sections(here / "s" / "b.jsonl", "B", "3", "2")
    _write_sections(here / "s" / "c.jsonl", "C", "4")
    code, out, err = index_here(capsys, "s")
    assert code == 1
    assert "rejected s/b.jsonl: document 'B': section id '2' is already the id of a section " in err
    assert "2 documents (3 sections) indexed" in out
    assert set(titles(here / "index")) == {"A", "C"}

    _write_sections(here / "s" / "b.jsonl", "B", "3", "5")  # fixed: indexed on the next run
    _bump(here / "s" / "b.jsonl")
    code, _, err = index_here(capsys, "s")
    assert code == 0, err
    with Index.open(here / "index") as ix:
        assert [s.id for s in ix.get("B").sections] == ["3", "5"]


def test_a_section_id_moved_to_a_file_walked_first_is_taken(tmp_path: Path) -> None:
    """The file that gives the id up comes later in the walk: the taker waits for it."""
    src = tmp_path / "src"
    src.mkdir()
    _write_sections(src / "b.jsonl", "B", "1", "2")
    sync(tmp_path / "index", [src])
    _write_sections(src / "a.jsonl", "A", "2")  # new, walked first
    _write_sections(src / "b.jsonl", "B", "1")  # gives "2" up
    _bump(src / "b.jsonl")
    report = sync(tmp_path / "index")
    assert report.ok, report.rejected
    with Index.open(tmp_path / "index") as ix:
        assert [s.id for s in ix.get("A").sections] == ["2"]
        assert [s.id for s in ix.get("B").sections] == ["1"]


def test_a_repeated_document_is_checked_as_the_one_indexed(tmp_path: Path) -> None:
    """The last record of a repeated id is the document: its section ids, not the first's."""
    src = tmp_path / "src"
    src.mkdir()
    lines = [
        {"id": "A", "title": "甲", "sections": [{"id": "s1", "text": "条約の締結"}]},
        {"id": "A", "title": "甲", "sections": [{"id": "s2", "text": "条約の批准"}]},
        {"id": "B", "title": "乙", "sections": [{"id": "s1", "text": "条約の署名"}]},
    ]
    (src / "a.jsonl").write_text(
        "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8"
    )
    report = sync(tmp_path / "index", [src])
    assert report.ok, report.rejected
    with Index.open(tmp_path / "index") as ix:
        assert [s.id for s in ix.get("A").sections] == ["s2"]
        assert [s.id for s in ix.get("B").sections] == ["s1"]


def test_a_section_id_of_a_deleted_file_is_free_in_the_same_run(tmp_path: Path) -> None:
    """The file that held the id is deleted in the run that a new file takes it."""
    src = tmp_path / "src"
    src.mkdir()
    _write_sections(src / "b.jsonl", "B", "1", "2")
    _write_sections(src / "c.jsonl", "C", "3")
    sync(tmp_path / "index", [src])
    (src / "b.jsonl").unlink()
    _write_sections(src / "a.jsonl", "A", "2")
    report = sync(tmp_path / "index")
    assert report.ok, report.rejected
    assert (report.added, report.removed) == ([str(src / "a.jsonl")], [str(src / "b.jsonl")])
    assert (report.documents_added, report.documents_deleted) == (1, 1)
    with Index.open(tmp_path / "index") as ix:
        assert [s.id for s in ix.get("A").sections] == ["2"]
        assert ix.get("B") is None
        assert [hit.section_id for hit in ix.search('"Aの条約"')] == ["2"]
    again = sync(tmp_path / "index")
    assert again.ok and (again.added, again.unchanged) == ([], 2)


def test_a_section_id_given_up_by_a_changed_file_is_free_in_the_same_run(tmp_path: Path) -> None:
    """The file walked after the taker drops the document that held the id."""
    src = tmp_path / "src"
    src.mkdir()
    _write_sections(src / "b.jsonl", "B", "1", "2")
    sync(tmp_path / "index", [src])
    _write_sections(src / "a.jsonl", "A", "2")
    _write_sections(src / "b.jsonl", "D", "4")  # B and its sections go
    _bump(src / "b.jsonl")
    report = sync(tmp_path / "index")
    assert report.ok, report.rejected
    assert (report.documents_added, report.documents_deleted) == (2, 1)
    with Index.open(tmp_path / "index") as ix:
        assert sorted(ix.doc_ids()) == ["A", "D"]
        assert [s.id for s in ix.get("A").sections] == ["2"]


# --------------------------------------------------------------------------- roots


def test_a_root_given_twice_is_synced_once(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (here / "s").mkdir()
    write_passages(here / "s" / "a.jsonl", [("a1", "京都議定書の批准")])
    write_passages(here / "s" / "b.jsonl", [("b1", "北方領土問題の解決")])
    code, out, err = index_here(capsys, "s", "s/")
    assert code == 0, err
    assert "files 2 added, 0 changed, 0 removed, 0 unchanged; 2 documents" in out
    (here / "s" / "b.jsonl").unlink()
    code, out, err = index_here(capsys, "s", "./s")
    assert (code, err) == (0, "")
    assert "files 0 added, 0 changed, 1 removed, 1 unchanged; 0 documents" in out
    assert "1 deleted" in out
    assert indexed_ids(here / "index") == {"a1"}


def test_a_root_that_became_a_symlink_loop_is_rejected_and_kept(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (here / "s").mkdir()
    write_passages(here / "s" / "a.jsonl", [("a1", "京都議定書の批准")])
    assert index_here(capsys, "s")[0] == 0
    (here / "s" / "a.jsonl").unlink()
    (here / "s").rmdir()
    (here / "s").symlink_to("loop")
    (here / "loop").symlink_to("s")
    for args in ((), ("s",), ("loop",)):  # remembered, or given
        code, out, err = index_here(capsys, *args)
        assert code == 1
        name = args[0] if args else str(here / "s")
        assert err.startswith(
            f"mofasearch: rejected {name}: cannot examine it: Too many levels of symbolic links\n"
        )
        assert "0 deleted" in out
    assert indexed_ids(here / "index") == {"a1"}


def test_a_file_that_renames_a_document_keeps_its_section_ids(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    _write_sections(src / "c.jsonl", "C", "3", "4")
    _write_sections(src / "e.jsonl", "E", "5")
    sync(tmp_path / "index", [src])
    _write_sections(src / "c.jsonl", "D", "3")  # the same section, its document renamed
    _bump(src / "c.jsonl")
    report = sync(tmp_path / "index")
    assert report.ok, report.rejected
    assert report.changed == [str(src / "c.jsonl")]
    assert (report.documents_added, report.documents_deleted) == (1, 1)
    with Index.open(tmp_path / "index") as ix:
        assert sorted(ix.doc_ids()) == ["D", "E"]
        assert [s.id for s in ix.get("D").sections] == ["3"]
        assert [hit.doc_id for hit in ix.search('"Dの条約"')] == ["D"]
    again = sync(tmp_path / "index")
    assert again.ok and (again.changed, again.unchanged) == ([], 2)


def test_a_renamed_document_moved_to_another_file_still_takes_its_id(tmp_path: Path) -> None:
    """c.jsonl gives document X up for Y (same section id) while d.jsonl takes X."""
    src = tmp_path / "src"
    src.mkdir()
    _write_sections(src / "c.jsonl", "X", "7")
    sync(tmp_path / "index", [src])
    _write_sections(src / "c.jsonl", "Y", "7")
    _bump(src / "c.jsonl")
    _write_sections(src / "d.jsonl", "X", "8")
    report = sync(tmp_path / "index")
    assert report.ok, report.rejected
    assert (report.documents_added, report.documents_deleted) == (2, 0)
    with Index.open(tmp_path / "index") as ix:
        assert sorted(ix.doc_ids()) == ["X", "Y"]
        assert [s.id for s in ix.get("X").sections] == ["8"]
        assert [s.id for s in ix.get("Y").sections] == ["7"]


def test_a_writer_checks_documents_as_if_the_replaced_ones_were_deleted(tmp_path: Path) -> None:
    from mofasearch import Document, Section
    from mofasearch.errors import DocumentParseError

    with Index.create(tmp_path / "index") as ix:
        with ix.writer() as w:
            w.add(Document("C", "文書", [Section("本文。", id="s3")]))
        renamed = [Document("D", "文書", [Section("本文。", id="s3")])]
        with ix.writer() as w:
            with pytest.raises(DocumentParseError, match="'s3' is already the id of a section"):
                w.check(renamed)
            w.check(renamed, replacing=["C"])
            w.delete("C")
            w.add(renamed[0])
        assert sorted(ix.doc_ids()) == ["D"]


def test_a_file_inside_a_folder_given_in_the_same_run_is_indexed_once(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (here / "s").mkdir()
    write_passages(here / "s" / "a.jsonl", [("a1", "京都議定書の批准")])
    code, out, err = index_here(capsys, "s", "s/a.jsonl")
    assert (code, err) == (0, "")
    assert "files 1 added, 0 changed, 0 removed, 0 unchanged; 1 documents" in out
    assert indexed_ids(here / "index") == {"a1"}
    assert index_here(capsys, "s/a.jsonl", "s")[0] == 0  # either order, every later run
    assert sorted(Manifest.load(here / "index").roots) == ["../s"]


def test_a_folder_inside_a_remembered_folder_is_synced_through_it(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (here / "s" / "sub").mkdir(parents=True)
    (here / "s" / "sub" / "c.md").write_text("# 題\n日露首脳会談。\n", encoding="utf-8")
    (here / "s" / "d.md").write_text("# 題\n京都議定書。\n", encoding="utf-8")
    assert index_here(capsys, "s")[0] == 0
    assert indexed_ids(here / "index") == {"sub/c.md", "d.md"}
    (here / "s" / "sub" / "e.md").write_text("# 題\n北方領土。\n", encoding="utf-8")
    code, out, err = index_here(capsys, "s/sub")
    assert (code, err) == (0, "")
    assert "files 1 added, 0 changed, 0 removed, 2 unchanged" in out
    # the file keeps the id it has under the remembered folder: no second copy as c.md
    assert indexed_ids(here / "index") == {"sub/c.md", "sub/e.md", "d.md"}
    assert sorted(Manifest.load(here / "index").roots) == ["../s"]


def test_a_remembered_folder_inside_a_given_one_keeps_its_files(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (here / "s" / "sub").mkdir(parents=True)
    (here / "s" / "sub" / "c.md").write_text("# 題\n日露首脳会談。\n", encoding="utf-8")
    assert index_here(capsys, "s/sub")[0] == 0
    assert indexed_ids(here / "index") == {"c.md"}
    (here / "s" / "d.md").write_text("# 題\n京都議定書。\n", encoding="utf-8")
    (here / "s" / "sub" / "c.md").write_text("# 題\n日露首脳会談の記録。\n", encoding="utf-8")
    _bump(here / "s" / "sub" / "c.md")
    code, out, err = index_here(capsys, "s")
    assert (code, err) == (0, "")
    assert "files 1 added, 1 changed, 0 removed, 0 unchanged" in out
    assert indexed_ids(here / "index") == {"c.md", "d.md"}  # not c.md and sub/c.md
    for args, unchanged in (((), 2), (("s",), 2), (("s/sub",), 1)):
        code, out, _ = index_here(capsys, *args)
        assert code == 0 and f"0 added, 0 changed, 0 removed, {unchanged} unchanged;" in out
    assert indexed_ids(here / "index") == {"c.md", "d.md"}


def test_the_sources_list_is_readable_like_the_index_files(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    _write_sections(src / "a.jsonl", "A", "1")
    old = os.umask(0o022)
    try:
        sync(tmp_path / "index", [src])
    finally:
        os.umask(old)
    listed = (tmp_path / "index" / "mofasearch-sources.json").stat().st_mode & 0o777
    meta = (tmp_path / "index" / "mofasearch.json").stat().st_mode & 0o777
    assert listed == meta == 0o644


def test_the_index_folder_is_not_a_source(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (here / "s").mkdir()
    write_passages(here / "s" / "a.jsonl", [("a1", "京都議定書の批准")])
    code, out, err = index_here(capsys, "s", "--index", "s")
    assert (code, out) == (1, "")
    assert err.startswith("mofasearch: s is the index folder itself")
    assert sorted(p.name for p in (here / "s").iterdir()) == ["a.jsonl"]  # nothing written


def test_files_named_in_shift_jis_are_indexed_and_listed(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (here / "s").mkdir()
    name = os.fsencode(here / "s") + b"/" + "議事録.md".encode("cp932")
    try:
        with open(name, "w", encoding="utf-8") as f:
            f.write("# 議事録\n日露首脳会談。\n")
    except (OSError, UnicodeError):
        pytest.skip("this file system takes only UTF-8 file names")
    code, out, err = index_here(capsys, "s")
    assert (code, err) == (0, "")
    assert "files 1 added" in out
    assert indexed_ids(here / "index") == {"議事録.md"}
    code, out, err = index_here(capsys, "s")  # the sources list kept the name: unchanged
    assert (code, err) == (0, "")
    assert "0 added, 0 changed, 0 removed, 1 unchanged" in out
