"""The command line on what users really type and meet: the labels it prints pasted back,
options written as the docs write them, wrong index paths, damaged indexes, hostile text.

One real index is built per module (through the CLI, from a copy of corpus/); most tests run
the CLI in process (``cli.main``, as tests/test_cli_errors.py does), and the ones about how the
command line is split run it as a subprocess (as tests/test_cli.py does).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_cli import Run, assert_one_line_error, copy_corpus, mofasearch

from mofasearch import Index, cli
from mofasearch.errors import IndexDamagedError, IndexVersionError, QuerySyntaxError
from mofasearch.storage import file_storage

Main = Callable[..., Run]


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with corpus/ and its default index/, built by `mofasearch index`."""
    folder = copy_corpus(tmp_path_factory.mktemp("usage"))
    built = mofasearch("index", cwd=folder)
    assert built.code == 0, built.err
    return folder


@pytest.fixture
def main(work: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Main:
    """``main(*args, cwd=work)``: the CLI run in process in ``cwd``."""
    monkeypatch.delenv("MOFASEARCH_INDEX", raising=False)
    monkeypatch.delenv("MOFASEARCH_DEBUG", raising=False)

    def run(*args: str, cwd: Path = work) -> Run:
        monkeypatch.chdir(cwd)
        try:
            code = cli.main(list(args))
        except SystemExit as exc:  # argparse's usage errors
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return Run(code, out, err)

    return run


def advice(run: Run, code: int) -> str:
    """The one-line error, which must not be an internal error."""
    line = assert_one_line_error(run, code)
    assert "internal error" not in line, line
    return line


# --------------------------------------------------------------------------- --section


def test_section_label_as_printed_filters_like_the_number(main: Main) -> None:
    by_number = main("search", "首脳", "--section", "3", "--json")
    assert by_number.code == 0, by_number.err
    assert by_number.json()["hits"], "the test needs hits in section 3"
    for spelling in ("§3", "§ 3", "§３．"):
        pasted = main("search", "首脳", "--section", spelling, "--json")
        assert pasted.code == 0, (spelling, pasted.err)
        assert pasted.json()["hits"] == by_number.json()["hits"], spelling


@pytest.mark.parametrize("value", ["", ".", "§", "3((2)", "3.)"])
def test_bad_section_is_a_usage_error(main: Main, value: str) -> None:
    line = advice(main("search", "首脳", "--section", value), 2)
    assert "section" in line and "3.(2)" in line, line


def test_library_section_filter_raises_query_syntax_error(work: Path) -> None:
    with Index.open(work / "index") as ix:
        with pytest.raises(QuerySyntaxError, match="section"):
            ix.search("首脳", section=".")
        with pytest.raises(QuerySyntaxError):
            ix.search("首脳", section="")
        assert list(ix.search("首脳", section="§3")) == list(ix.search("首脳", section="3"))


# --------------------------------------------------------------------------- --sort -date


def test_sort_minus_date_as_the_docs_write_it(work: Path) -> None:
    spaced = mofasearch("search", "首脳", "--sort", "-date", "--json", cwd=work)
    joined = mofasearch("search", "首脳", "--sort=-date", "--json", cwd=work)
    assert spaced.code == 0, spaced.err
    assert spaced.json()["hits"] == joined.json()["hits"]
    dates = [hit["date"] for hit in spaced.json()["hits"]]
    assert len(dates) >= 2 and dates == sorted(dates, reverse=True)


def test_other_options_still_refuse_dash_values(main: Main) -> None:
    assert main("search", "首脳", "--category", "-date").code == 2
    assert cli._join_dash_values(["search", "--", "--sort", "-date"]) == [
        "search",
        "--",
        "--sort",
        "-date",
    ]


@pytest.mark.parametrize(("command", "option"), [("search", "--limit"), ("index", "--jobs")])
def test_minimum_of_one_is_stated(main: Main, command: str, option: str) -> None:
    args = (command, "x", option, "-1") if command == "search" else (command, option, "-1")
    line = advice(main(*args), 2)
    assert "at least 1" in line, line


# --------------------------------------------------------------------------- index paths


def test_index_path_that_is_a_file(main: Main, tmp_path: Path, work: Path) -> None:
    shutil.copytree(work / "corpus", tmp_path / "corpus")
    (tmp_path / "f").write_text("not an index")
    for args, named in (
        (("index", "corpus", "--index", "f"), "f"),
        (("index", "corpus", "--index", "f/ix"), "f/ix"),
        (("search", "京都", "--index", "f"), "f"),
    ):
        line = advice(main(*args, cwd=tmp_path), 1)
        assert named in line and "not a directory" in line, line
        assert "no such directory" not in line
    assert (tmp_path / "f").read_text() == "not an index"


def test_default_index_path_that_is_a_file(main: Main, tmp_path: Path, work: Path) -> None:
    shutil.copytree(work / "corpus", tmp_path / "corpus")
    (tmp_path / "index").write_text("")
    line = advice(main("search", "京都", cwd=tmp_path), 1)
    assert "index" in line and "not a directory" in line, line


def _setpriv() -> str | None:
    if os.geteuid() != 0:
        return ""  # an unprivileged user meets permissions as they are
    return shutil.which("setpriv")


@pytest.mark.skipif(_setpriv() is None, reason="needs setpriv to drop root's file access")
def test_unreadable_index_directory(work: Path, tmp_path: Path) -> None:
    shutil.copytree(work / "corpus", tmp_path / "corpus")
    (tmp_path / "u").mkdir(mode=0)
    prefix = [p for p in [_setpriv()] if p]
    if prefix:
        prefix.append("--bounding-set=-dac_override,-dac_read_search")
    try:
        for args, named in (
            (["index", "corpus", "--index", "u"], "u"),
            (["index", "corpus", "--index", "u/ix"], "u/ix"),
            (["search", "京都", "--index", "u"], "u"),
        ):
            proc = subprocess.run(
                [*prefix, sys.executable, "-m", "mofasearch", *args],
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=300,
            )
            line = advice(Run(proc.returncode, proc.stdout, proc.stderr), 1)
            assert named in line and "ermission" in line, line
    finally:
        (tmp_path / "u").chmod(0o700)


# --------------------------------------------------------------------------- damaged index


def _segment(index: Path) -> Path:
    (found,) = index.glob("*.seg")
    return found


@pytest.mark.parametrize("damage", ["truncate-2000", "truncate-0", "delete"])
def test_damaged_segment_says_to_rebuild(main: Main, work: Path, damage: str) -> None:
    damaged = work / f"damaged-{damage}"
    shutil.copytree(work / "index", damaged)
    segment = _segment(damaged)
    if damage == "delete":
        segment.unlink()
    else:
        with open(segment, "r+b") as f:
            f.truncate(int(damage.split("-")[1]))
    for command in (("search", "京都"), ("stats",)):
        line = advice(main(*command, "--index", damaged.name), 1)
        assert f"the index in {damaged.name} is damaged" in line, line
        assert segment.name in line, line
        assert f"`mofasearch index --rebuild --index {damaged.name}`" in line, line
    # the advice works
    assert main("index", "--rebuild", "--index", damaged.name).code == 0
    assert main("search", "京都", "--index", damaged.name, "--json").json()["hits"]


def test_damaged_toc_names_the_rebuild_with_the_index(main: Main, work: Path) -> None:
    damaged = work / "damaged-toc"
    shutil.copytree(work / "index", damaged)
    (toc,) = damaged.glob("_MAIN_*.toc")
    with open(toc, "r+b") as f:
        f.truncate(10)
    line = advice(main("search", "京都", "--index", damaged.name), 1)
    assert "damaged" in line and toc.name in line, line
    assert f"--rebuild --index {damaged.name}`" in line, line


def test_library_raises_index_damaged_error(work: Path, tmp_path: Path) -> None:
    shutil.copytree(work / "index", tmp_path / "ix")
    with open(_segment(tmp_path / "ix"), "r+b") as f:
        f.truncate(2000)
    with Index.open(tmp_path / "ix") as ix, pytest.raises(IndexDamagedError) as info:
        ix.search("京都")
    assert isinstance(info.value, IndexVersionError)  # caught where a rebuild is the remedy
    assert info.value.path == str(tmp_path / "ix")
    assert _segment(tmp_path / "ix").name in str(info.value)


# --------------------------------------------------------------------------- hints


def test_version_error_hint_names_the_index(main: Main, work: Path) -> None:
    other = work / "other-version"
    shutil.copytree(work / "index", other)
    meta = json.loads((other / "mofasearch.json").read_text())
    meta["schema_version"] = -1
    (other / "mofasearch.json").write_text(json.dumps(meta))
    line = advice(main("search", "京都", "--index", other.name), 1)
    assert f"`mofasearch index --rebuild --index {other.name}`" in line, line


def test_not_found_hint_is_a_command_to_run(main: Main, work: Path) -> None:
    line = advice(main("stats", "--index", "missing dir"), 1)
    assert "`mofasearch index [PATH ...] --index 'missing dir'`" in line, line


def test_lock_hint_is_something_the_cli_can_do(main: Main, work: Path) -> None:
    lock = file_storage(work / "index").lock("MAIN_WRITELOCK")
    assert lock.acquire(blocking=False)
    try:
        line = advice(main("index", "--rebuild"), 1)
    finally:
        lock.release()
    assert "wait for the other writer" in line, line
    assert "timeout" not in line, line


# --------------------------------------------------------------------------- hostile text


def test_control_characters_are_not_printed_raw(main: Main, tmp_path: Path) -> None:
    title = "日露\x1b[2J首脳\x07会談\x9b31m結果"
    text = "北方領土\x1b]0;pwned\x07問題について\x00協議した。"
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "evil.jsonl").write_text(
        json.dumps({"id": "evil", "title": title, "text": text}, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    assert main("index", "docs", "--index", "ix", cwd=tmp_path).code == 0
    shown = main("search", "北方領土", "--index", "ix", cwd=tmp_path)
    assert shown.code == 0, shown.err
    assert "首脳" in shown.out and "【北方領土】" in shown.out
    controls = [c for c in shown.out if (ord(c) < 32 and c != "\n") or 0x7F <= ord(c) <= 0x9F]
    assert controls == [], shown.out
    as_json = main("search", "北方領土", "--index", "ix", "--json", cwd=tmp_path).json()
    assert as_json["hits"][0]["title"] == title  # --json keeps the data exactly


def test_snippet_marks_keep_their_place_around_controls() -> None:
    class Snip:
        text = "a\x1bb京都\tc"
        spans = ((3, 5),)

    assert cli.mark_snippet(Snip(), tty=False) == "a\ufffdb【京都】 c"
    assert cli.mark_snippet(Snip(), tty=True).count("\x1b") == 2  # only the colour marks


# --------------------------------------------------------------------------- -word queries


@pytest.mark.parametrize("args", [("-批准",), ("--limit", "3", "-批准"), ("-批准", "--limit", "3")])
def test_a_negated_word_alone_is_a_query_not_an_option(main: Main, args: tuple[str, ...]) -> None:
    """README: `-` directly before a word excludes it; argparse took `-批准` for an option."""
    run = main("search", *args, "--json")
    assert run.code == 0, run.err
    assert run.json()["query"] == "-批准"  # given back as typed
    same = main("search", "NOT 批准", "--json")
    assert run.json()["total"] == same.json()["total"] > 0
    assert main("analyze", "-批准", "--json").json()["text"] == "-批准"
    assert main("search", "--", "-批准").code == 0  # the documented argparse way still works


def test_a_dash_path_to_index_is_the_path_typed(main: Main, tmp_path: Path, work: Path) -> None:
    """`-資料` is shielded from argparse like a query; a PATH must still be the folder named."""
    shutil.copytree(work / "corpus", tmp_path / "-資料")
    run = main("index", "-資料", "--index", "ix", "--json", cwd=tmp_path)
    assert run.code == 0, run.err
    assert sorted(Path(p).parent.name for p in run.json()["added"]) == ["-資料", "-資料"]


# --------------------------------------------------------------------------- stdout


def _without_buffering_overrides() -> dict[str, str]:
    """The environment of a user's shell: stdout block-buffered, as it is by default."""
    drop = ("MOFASEARCH_", "PYTHONUNBUFFERED", "PYTHONIOENCODING")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)}


@pytest.mark.parametrize(
    "args", [("search", "京都"), ("search", "京都", "--json"), ("stats",), ("analyze", "京都")]
)
def test_a_closed_pipe_is_quiet(work: Path, args: tuple[str, ...]) -> None:
    """`mofasearch search 京都 | head -1` with the reader gone before anything is written."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = _run_into(write_end, work, *args)
    finally:
        os.close(write_end)
    assert (proc.returncode, proc.stderr) == (1, "")


def _run_into(stdout: Any, work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The command line in a fresh process writing its output to ``stdout`` (a file or a
    descriptor), with the buffering of a normal environment."""
    return subprocess.run(
        [sys.executable, "-m", "mofasearch", *args],
        cwd=work,
        env=_without_buffering_overrides(),
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=300,
    )


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_output_that_cannot_be_written_is_one_line(work: Path) -> None:
    with open("/dev/full", "w") as full:
        proc = _run_into(full, work, "search", "京都")
    line = advice(Run(proc.returncode, "", proc.stderr), 1)
    assert "cannot write the output: No space left on device" in line, line


def test_an_output_encoding_without_japanese(work: Path) -> None:
    """PYTHONIOENCODING=ascii (or a Latin-1 locale): JSON still prints, text fails clearly."""
    ascii_env = {"PYTHONIOENCODING": "ascii"}
    as_json = mofasearch("search", "京都", "--json", cwd=work, env=ascii_env)
    assert as_json.code == 0, as_json.err
    assert as_json.out.isascii()
    expected = mofasearch("search", "京都", "--json", cwd=work).json()
    assert {**as_json.json(), "took_ms": 0} == {**expected, "took_ms": 0}

    text = mofasearch("search", "京都", cwd=work, env=ascii_env)
    assert text.code == 1 and "Traceback" not in text.err
    (line,) = text.err.splitlines()
    assert line.startswith("mofasearch: the output's encoding (ascii) cannot show"), line
    assert "LANG=C.UTF-8" in line and "internal error" not in line


def test_an_argument_that_is_not_utf8(work: Path) -> None:
    """Bytes that are not UTF-8 reach Python as lone surrogates: JSON escapes them, plain
    output gives the bytes back as they came (as ``ls`` does with such a file name)."""
    env = {**_without_buffering_overrides(), "PYTHONIOENCODING": "utf-8"}
    runs = [
        subprocess.run(
            [sys.executable, "-m", "mofasearch", *args],
            cwd=work,
            env=env,
            capture_output=True,
            timeout=300,
        )
        for args in ([b"search", b"\xff\xe4\xba\xac", b"--json"], [b"analyze", b"\xff"])
    ]
    search, analyze = runs
    assert search.returncode == 0, search.stderr
    assert json.loads(search.stdout.decode("utf-8"))["query"] == "\udcff京"
    assert (analyze.returncode, analyze.stderr) == (0, b"")
    assert analyze.stdout.startswith(b"-\t\xff\t(stop word)\t")


@pytest.mark.parametrize("query", ['-"京都議定書"', "-title:京都", "-(京都 OR 批准)"])
def test_a_negated_phrase_or_field_alone_is_a_query(main: Main, query: str) -> None:
    """README: `NOT` and `-` apply to one word, phrase, field or parenthesized group."""
    run = main("search", query, "--json")
    assert run.code == 0, run.err
    assert run.json()["query"] == query
    same = main("search", "NOT " + query[1:], "--json")
    assert run.json()["hits"] == same.json()["hits"] != []


def test_words_given_apart_are_one_query(main: Main) -> None:
    together = main("search", "京都議定書 -批准", "--json")
    apart = main("search", "京都議定書", "-批准", "--json")
    assert apart.code == together.code == 0, apart.err
    assert apart.json()["query"] == "京都議定書 -批准"
    assert apart.json()["hits"] == together.json()["hits"] != []


def test_an_ascii_negated_word_and_words_after_options_are_the_query(main: Main) -> None:
    """`mofasearch search 首脳 -APEC` and `首脳 --json 京都`: argparse took `-APEC` for an
    unknown option, and the words after an option for unrecognized arguments."""
    typed = main("search", "首脳", "--json", "-APEC")
    assert typed.code == 0, typed.err
    assert typed.json()["query"] == "首脳 -APEC"
    same = main("search", "首脳 NOT APEC", "--json")
    assert typed.json()["hits"] == same.json()["hits"] != []
    assert typed.json()["total"] < main("search", "首脳", "--json").json()["total"]
    later = main("search", "首脳", "--limit", "5", "京都", "--json")
    assert later.code == 0, later.err
    assert later.json()["query"] == "首脳 京都"
    # still usage errors: an unknown long option, a word after a command without a query,
    # and a dash value of an option that takes one
    assert "unrecognized arguments: --bogus " in advice(main("search", "首脳", "--bogus"), 2)
    assert "unrecognized arguments: extra " in advice(main("stats", "extra"), 2)
    assert "expected one argument" in advice(main("search", "首脳", "--category", "-x"), 2)
    assert main("search", "-h").code == 0


def test_a_shielded_word_is_named_as_typed_in_usage_errors(main: Main) -> None:
    line = advice(main("stats", "-批准"), 2)
    assert "unrecognized arguments: -批准 " in line, line
    line = advice(main("search", "京都", "--sort", "-日付"), 2)
    assert "invalid choice: '-日付'" in line, line


@pytest.mark.parametrize("args", [("search", "京都"), ("index",), ("stats",)])
def test_an_empty_index_option_is_not_the_default_index(
    main: Main, tmp_path: Path, work: Path, args: tuple[str, ...]
) -> None:
    """`--index "$DIR"` with DIR unset: a usage error, not a search of (or build of) index/."""
    shutil.copytree(work / "corpus", tmp_path / "corpus")
    line = advice(main(*args, "--index", "", cwd=tmp_path), 2)
    assert "--index: expected a directory, got an empty string" in line, line
    assert not (tmp_path / "index").exists()
