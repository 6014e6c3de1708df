"""What the command line writes on stderr is one line per message, whatever it names: a file
name holding a line break or an escape sequence, or a library warning about an exception."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from mofasearch import cli

NAME = "bad\nname\x1b[31m.txt"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOFASEARCH_INDEX", raising=False)
    monkeypatch.delenv("MOFASEARCH_DEBUG", raising=False)


def test_a_rejected_file_is_named_on_one_line_without_its_escapes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The name went out as it is: its line break split the message, and its escape sequence
    reached the terminal."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / NAME).write_bytes(b"\x00")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["index", "docs", "--index", "ix"]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith("mofasearch: rejected docs/bad\\nname\\x1b[31m.txt: "), lines
    assert "\x1b" not in lines[0]


def _logs_a_failure(args: object) -> int:
    try:
        raise OSError("disk gone")
    except OSError:
        logging.getLogger("mofasearch.writer").exception("removing temporary files failed")
    return 0


def test_a_library_warning_with_an_exception_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``log.exception`` in the library printed its traceback under the warning."""
    monkeypatch.setattr(cli, "cmd_stats", _logs_a_failure)
    assert cli.main(["stats"]) == 0
    err = capsys.readouterr().err
    assert err == "mofasearch: ERROR: removing temporary files failed: OSError: disk gone\n", err


def test_debugging_still_shows_the_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MOFASEARCH_DEBUG", "1")
    monkeypatch.setattr(cli, "cmd_stats", _logs_a_failure)
    assert cli.main(["stats"]) == 0
    assert "Traceback" in capsys.readouterr().err
