"""A source folder renamed and given again under its new name: its files now clash with the
records of the old name, a folder that is gone. The rejection names the file that holds the
id (not its folder as if it were a file) and says how the gone folder is forgotten; forgetting
it lets the files in."""

from __future__ import annotations

from pathlib import Path

from mofasearch import Index
from mofasearch.sources import sync


def test_a_clash_with_a_gone_source_names_its_file_and_the_way_out(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.md").write_text(
        "# 日露首脳会談\n\n北方領土問題について協議した。\n", encoding="utf-8"
    )
    sync(tmp_path / "ix", [src])
    src.rename(tmp_path / "src2")

    report = sync(tmp_path / "ix", [tmp_path / "src2"])
    [(path, reason)] = report.rejected
    assert path == str(tmp_path / "src2" / "a.md")
    assert f"is also in {src / 'a.md'}, which is gone" in reason, reason
    assert "with no PATH" in reason, reason

    report = sync(tmp_path / "ix")  # the remembered sources: the gone one is forgotten
    assert report.ok and report.forgotten_roots == [str(src)]
    with Index.open(tmp_path / "ix") as ix:
        assert list(ix.doc_ids()) == ["a.md"]
        assert ix.search("北方領土").total == 1


def test_a_clash_with_a_gone_single_file_source_names_that_file(tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    for folder in ("old", "new"):
        (tmp_path / folder / "a.md").write_text("# 題\n\n京都議定書の批准\n", encoding="utf-8")
    sync(tmp_path / "ix", [tmp_path / "old" / "a.md"])
    (tmp_path / "old" / "a.md").unlink()

    report = sync(tmp_path / "ix", [tmp_path / "new"])
    [(_, reason)] = report.rejected
    assert f"is also in {tmp_path / 'old' / 'a.md'}, which is gone" in reason, reason
