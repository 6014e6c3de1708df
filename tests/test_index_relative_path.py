"""An index opened by a relative path keeps working when the process changes its working
directory afterwards (a web server daemonizing, a worker that chdirs), as a file opened by a
relative name would."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_reliability_support import documents

from mofasearch import Index


@pytest.mark.parametrize("make", ["create", "open", "open_or_create"])
def test_an_index_opened_by_a_relative_path_survives_a_change_of_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make: str
) -> None:
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    monkeypatch.chdir(project)
    if make == "open":
        Index.create("ix").close()
    with getattr(Index, make)("ix") as ix:
        with ix.writer() as w:
            for doc in documents(1, count=2):
                w.add(doc)
        assert ix.search("北方領土").total == 2

        monkeypatch.chdir(elsewhere)
        assert ix.search("北方領土").total == 2
        with ix.writer() as w:
            for doc in documents(2, count=3):
                w.add(doc)
        assert ix.search("北方領土").total == 5
        assert ix.stats()["documents"] == 5
        ix.optimize()
        assert sorted(ix.doc_ids()) == sorted(
            doc.id for batch in (1, 2) for doc in documents(batch, count=3 if batch == 2 else 2)
        )
    assert not (elsewhere / "ix").exists()
    with Index.open(project / "ix") as again:
        assert again.search("北方領土").total == 5
