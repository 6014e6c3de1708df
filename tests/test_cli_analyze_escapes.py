"""``mofasearch analyze``: one line of six tab-separated columns per token, whatever the text."""

from __future__ import annotations

import json

import pytest

from mofasearch import cli

HOSTILE = "京都\n大阪\t東京\x1b[31m赤\r\x07"


def _analyze(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert cli.main(["analyze", *args]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return out


@pytest.mark.parametrize("query", [(), ("--query",)])
def test_control_characters_in_tokens_keep_the_table_and_the_terminal_intact(
    capsys: pytest.CaptureFixture[str], query: tuple[str, ...]
) -> None:
    """A line break or tab in a token's surface broke its line in two or added a column, and
    an escape character went to the terminal as it is."""
    tokens = json.loads(_analyze(capsys, HOSTILE, "--json", *query))["tokens"]
    lines = _analyze(capsys, HOSTILE, *query).splitlines()
    assert len(lines) == len(tokens)
    assert all(len(line.split("\t")) == 6 for line in lines), lines
    text = "\n".join(lines)
    assert not any(c in text for c in "\x1b\r\x07"), lines
    assert "\\n" in text and "\\x1b" in text  # shown, escaped, where they were


def test_ordinary_tokens_are_printed_as_they_are(capsys: pytest.CaptureFixture[str]) -> None:
    (line,) = _analyze(capsys, "京都").splitlines()
    assert line.split("\t")[:4] == ["0", "京都", "京都", "キョウト"]
