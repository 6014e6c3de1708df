"""How the command line turns failures into exit codes, in process (no subprocess needed)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from mofasearch import cli
from mofasearch.errors import IndexLockedError, QuerySyntaxError
from mofasearch.progress import ProgressBar, SyncProgress


def _raise(exc: BaseException):  # type: ignore[no-untyped-def]
    def command(args: object) -> int:
        raise exc

    return command


@pytest.mark.parametrize(
    ("exc", "code", "expected"),
    [
        (QuerySyntaxError("unbalanced parenthesis", "(a", 0), 2, "check the query syntax"),
        (IndexLockedError("index is locked", "ix"), 1, "wait for the other writer"),
        (
            RuntimeError("boom\nbang"),
            1,
            "internal error: RuntimeError: boom bang; run with MOFASEARCH_DEBUG=1",
        ),
        (KeyboardInterrupt(), 130, "interrupted"),
    ],
)
def test_failures_become_one_line(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    exc: BaseException,
    code: int,
    expected: str,
) -> None:
    monkeypatch.delenv("MOFASEARCH_DEBUG", raising=False)
    monkeypatch.setattr(cli, "cmd_stats", _raise(exc))
    assert cli.main(["stats"]) == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("mofasearch: ")
    assert expected in err
    assert "Traceback" not in err


def test_advice_is_not_repeated(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from mofasearch.errors import IndexVersionError

    error = IndexVersionError("built with other settings; " + IndexVersionError.hint, "ix")
    monkeypatch.setattr(cli, "cmd_stats", _raise(error))
    assert cli.main(["stats"]) == 1
    err = capsys.readouterr().err
    assert err == f"mofasearch: built with other settings — {IndexVersionError.hint}\n"


def test_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOFASEARCH_DEBUG", "1")
    monkeypatch.setattr(cli, "cmd_stats", _raise(RuntimeError("boom")))
    with pytest.raises(RuntimeError, match="boom"):
        cli.main(["stats"])


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["search", "--help"])
    assert exit_info.value.code == 0
    assert "--since" in capsys.readouterr().out


def test_snippet_marks() -> None:
    class Snip:
        text = "ロシアの京都議定書\n早期批准"
        spans = ((4, 9), (10, 14))

    assert cli.mark_snippet(Snip, tty=False) == "ロシアの【京都議定書】 【早期批准】"
    assert cli.mark_snippet(Snip, tty=True) == (
        "ロシアの\x1b[1;31m京都議定書\x1b[0m \x1b[1;31m早期批准\x1b[0m"
    )


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal() -> None:
    events = [SyncProgress(i, 4, 2 * i, 10 * i, f"f{i}") for i in range(1, 5)]
    pipe = io.StringIO()
    with ProgressBar(pipe) as bar:
        for event in events:
            bar(event)
    assert pipe.getvalue() == ""

    terminal = _Terminal()
    with ProgressBar(terminal) as bar:
        for event in events:
            bar(event)
    drawn = terminal.getvalue()
    assert "4/4" in drawn
    assert "docs/s" in drawn and "sections/s" in drawn


def test_index_needs_something_to_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no corpus/ here and no index remembering sources
    assert cli.main(["index"]) == 1
    err = capsys.readouterr().err
    assert "nothing to index" in err and "mofasearch index PATH" in err
    assert not (tmp_path / "index").exists()
