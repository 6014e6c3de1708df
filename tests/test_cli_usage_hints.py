"""Usage errors point at the help that answers them, and name what was typed."""

from __future__ import annotations

import pytest

from mofasearch import cli


def _usage_error(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(list(args))
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("mofasearch: "), err
    return err


@pytest.mark.parametrize(
    ("args", "command"),
    [
        (("search", "京都", "--bogus"), "search"),
        (("search", "--bogus", "京都"), "search"),
        (("analyze", "京都", "extra"), "analyze"),
        (("stats", "extra"), "stats"),
        (("index", "--bogus"), "index"),
    ],
)
def test_an_unknown_argument_points_at_its_command_help(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], command: str
) -> None:
    """It pointed at `mofasearch --help`, which lists the commands but not their options."""
    err = _usage_error(capsys, *args)
    assert "unrecognized arguments" in err
    assert err.endswith(f"see `mofasearch {command} --help`\n"), err


@pytest.mark.parametrize("command", [("search", "京都"), ("analyze", "京都")])
def test_an_empty_synonyms_path_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], command: tuple[str, ...]
) -> None:
    """`--synonyms "$FILE"` with FILE unset named the working directory as the file."""
    err = _usage_error(capsys, *command, "--synonyms", "")
    assert "--synonyms" in err and "empty" in err, err


def test_an_empty_category_is_refused_as_an_empty_section_is(
    tmp_path, corpus, capsys: pytest.CaptureFixture[str]
) -> None:
    """An empty category found nothing, silently (a form's "all" choice passed as "")."""
    from mofasearch import Index, load
    from mofasearch.errors import QuerySyntaxError

    with Index.create(tmp_path / "ix") as ix:
        with ix.writer() as w:
            for doc in load(corpus):
                w.add(doc)
        for empty in ("", " "):
            with pytest.raises(QuerySyntaxError, match="empty category"):
                ix.search("日露", category=empty)
        assert ix.search("日露", category=None).total == 2
    capsys.readouterr()
    assert cli.main(["search", "日露", "--index", str(tmp_path / "ix"), "--category", ""]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "empty category" in err


def test_a_missing_path_names_corpus_only_where_there_is_one(
    tmp_path, monkeypatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.main(["index", "nowhere", "--index", "ix"]) == 1
    err = capsys.readouterr().err
    assert "no such file or directory: nowhere" in err and "corpus/" not in err
    (tmp_path / "corpus").mkdir()
    assert cli.main(["index", "nowhere", "--index", "ix"]) == 1
    assert "with no PATH to use corpus/" in capsys.readouterr().err


def test_sections_without_number_or_heading_are_named_by_their_ids(
    tmp_path, monkeypatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only a page's lead (``doc#0``) is the lead section; a JSONL document's sections, which
    have no numbers, were all printed as "(lead section)"."""
    import json

    (tmp_path / "docs").mkdir()
    record = {
        "id": "faq",
        "title": "よくある質問",
        "sections": [{"id": f"faq#q{n}", "text": f"旅券の申請について{n}。"} for n in range(3)],
    }
    (tmp_path / "docs" / "faq.jsonl").write_text(json.dumps(record, ensure_ascii=False) + "\n")
    (tmp_path / "docs" / "page.txt").write_text("旅券の話。\n\n1.申請\n旅券の申請。\n")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["index", "docs", "--index", "ix"]) == 0
    capsys.readouterr()
    assert cli.main(["search", "旅券", "--index", "ix"]) == 0
    out = capsys.readouterr().out
    assert "(lead section)" in out  # the page's text before its 1.
    faq = [line for line in out.splitlines() if "#q" in line]
    assert faq and "(lead section)" not in "".join(faq), out
