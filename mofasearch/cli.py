"""The ``mofasearch`` command line: a thin shell over the library.

Each subcommand parses its arguments, calls the library, and formats the result for a person or
(``--json``) for a program. Failures become one line on stderr that says what to do next:
``mofasearch: <what went wrong> — <what to do>``. Exit codes: 0 success (zero hits included),
2 bad usage or query syntax, 1 any other error, 130 interrupted. A traceback is shown only when
``MOFASEARCH_DEBUG`` is set.
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import logging
import os
import re
import shlex
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from mofasearch import __version__
from mofasearch.errors import (
    IndexLockedError,
    IndexNotFoundError,
    MofaSearchError,
    QuerySyntaxError,
)

DEFAULT_CORPUS = "corpus"
DEFAULT_INDEX = "index"
EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

_MARK_TTY = ("\x1b[1;31m", "\x1b[0m")  # bold red, like grep --color
_MARK_PLAIN = ("【", "】")

#: option values that start with "-" (argparse would take them for options): --sort -date
_DASH_VALUES = {"--sort": ("-date",)}


# --------------------------------------------------------------------------- entry point


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (the console script exits with it)."""
    debug = bool(os.environ.get("MOFASEARCH_DEBUG"))
    _quiet_whoosh_compile_warnings()
    _raw_file_names()
    parser = build_parser()
    shielded, originals = _shield_negations(
        sys.argv[1:] if argv is None else argv, _value_options(parser, "search")
    )
    _Parser.originals = originals
    args, extra = parser.parse_known_args(_join_dash_values(shielded))
    if extra and getattr(args, "run", None) is cmd_search and _words(extra):
        args.query = [*args.query, *(w for w in extra if w != "--")]  # `京都 --json 批准`
    elif extra:
        _command_parser(parser, args).error(f"unrecognized arguments: {' '.join(extra)}")
    for name, value in vars(args).items():
        if isinstance(value, str) and value in originals:
            setattr(args, name, originals[value])
        elif isinstance(value, list):  # index PATHs, --synonyms FILEs: paths as typed
            setattr(args, name, [originals.get(v, v) for v in value])
    handler = _LogToStderr(debug)
    logger = logging.getLogger("mofasearch")
    logger.addHandler(handler)
    saved_level = logger.level
    if debug:
        logger.setLevel(logging.DEBUG)
    try:
        return _run(args, debug)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved_level)


def _run(args: argparse.Namespace, debug: bool) -> int:
    try:
        code = int(args.run(args))
        _flush_stdout()
        return code
    except KeyboardInterrupt:
        _say("interrupted")
        return EXIT_INTERRUPTED
    except QuerySyntaxError as exc:
        _fail(exc, args)
        return EXIT_USAGE
    except MofaSearchError as exc:
        _fail(exc, args)
        return EXIT_ERROR
    except BrokenPipeError:
        # The reader went away (`mofasearch search … | head`): stop quietly.
        _silence_stdout()
        return EXIT_ERROR
    except UnicodeEncodeError as exc:
        if debug:
            raise
        bad = exc.object[exc.start]
        if "\ud800" <= bad <= "\udfff":  # not text at all: no output encoding is to blame
            return _internal_error(exc)
        # Japanese text on an output whose encoding cannot show it (LANG=en_US.ISO-8859-1,
        # PYTHONIOENCODING=ascii).
        _say(
            f"the output's encoding ({exc.encoding}) cannot show {bad!r} — "
            "use --json, or set a UTF-8 locale (e.g. LANG=C.UTF-8) or PYTHONIOENCODING=utf-8"
        )
        return EXIT_ERROR
    except Exception as exc:
        if debug:
            raise
        return _internal_error(exc)


def _internal_error(exc: BaseException) -> int:
    detail = " ".join(str(exc).split())
    _say(
        f"internal error: {type(exc).__name__}: {detail}; "
        "run with MOFASEARCH_DEBUG=1 for the traceback"
    )
    return EXIT_ERROR


def _shield_negations(
    argv: Sequence[str], search_values: frozenset[str] = frozenset()
) -> tuple[list[str], dict[str, str]]:
    """``-批准`` (a query excluding 批准) given as a query, not taken for an unknown option.

    argparse reads any word that starts with "-" as an option. Our options are ASCII words, so
    a word holding other text (``-批准``, ``-title:京都``) or a ``-`` before a phrase or a group
    (``-"日露修好"``) is passed in the full-width form the query language reads the same
    (``－批准``) and given back as typed once parsed (the map returned). After ``search``, whose
    only one-dash option is ``-h``, so is an ASCII word (``-APEC``), unless it is the value of
    one of ``search_values`` (the options that take one: ``--category -x`` stays an error).
    """
    out: list[str] = []
    originals: dict[str, str] = {}
    searching = next((a for a in argv if not a.startswith("-")), None) == "search"
    for arg in argv:
        negation = len(arg) > 1 and arg[0] == "-" and (not arg.isascii() or arg[1] in '"(')
        if searching and not negation and len(arg) > 1 and arg[0] == "-" and arg[1] != "-":
            negation = arg != "-h" and not (out and out[-1] in search_values)
        if "--" not in out and negation:
            shielded = "\uff0d" + arg[1:]
            originals[shielded] = arg
            arg = shielded
        out.append(arg)
    return out, originals


def _words(extra: Sequence[str]) -> bool:
    """Whether what argparse left over is query words (the QUERY words after an option are
    left over: its positional takes one run of words), none of them an unknown option."""
    after_dashes = False
    for word in extra:
        if word == "--":
            after_dashes = True
        elif word.startswith("-") and not after_dashes:
            return False
    return True


def _value_options(parser: argparse.ArgumentParser, command: str) -> frozenset[str]:
    """The option strings of ``command`` that take a value."""
    sub = _commands(parser)[command]
    return frozenset(name for a in sub._actions if a.nargs != 0 for name in a.option_strings)


def _command_parser(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> argparse.ArgumentParser:
    """The parser of the command ``args`` runs, whose errors point at that command's help."""
    run = getattr(args, "run", None)
    return next((p for p in _commands(parser).values() if p.get_default("run") is run), parser)


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _join_dash_values(argv: Sequence[str]) -> list[str]:
    """``--sort -date`` as ``--sort=-date``: argparse reads a lone ``-date`` as an option."""
    out: list[str] = []
    for arg in argv:
        if out and out[-1] in _DASH_VALUES and arg in _DASH_VALUES[out[-1]] and "--" not in out:
            out[-1] = f"{out[-1]}={arg}"
        else:
            out.append(arg)
    return out


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line with a hint, exit code 2."""

    #: the words :func:`_shield_negations` changed, to name them in errors as typed
    originals: dict[str, str] = {}

    def error(self, message: str) -> NoReturn:
        for shielded, typed in self.originals.items():
            message = message.replace(shielded, typed)
        self.exit(EXIT_USAGE, f"mofasearch: {message} — see `{self.prog} --help`\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="mofasearch",
        description="Section-aware Japanese full-text search (Whoosh + Sudachi).",
    )
    parser.add_argument("--version", action="version", version=f"mofasearch {__version__}")
    sub = parser.add_subparsers(
        title="commands", metavar="COMMAND", parser_class=_Parser, required=True
    )
    _add_index(sub)
    _add_search(sub)
    _add_analyze(sub)
    _add_stats(sub)
    return parser


def _index_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--index",
        type=_directory_name,
        metavar="DIR",
        default=None,
        help=f"index directory (default: $MOFASEARCH_INDEX or {DEFAULT_INDEX}/)",
    )


def _json_option(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--json", action="store_true", help=f"print {what} as one JSON object")


# --------------------------------------------------------------------------- index


def _add_index(sub: Any) -> None:
    p = sub.add_parser(
        "index",
        help="build or update an index (incremental)",
        description="Index files and folders. Runs are incremental: new files are added, "
        "changed files re-indexed and the documents of deleted files removed.",
    )
    p.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help=f"files or folders (default: the remembered sources, else {DEFAULT_CORPUS}/)",
    )
    _index_option(p)
    p.add_argument(
        "--jobs", type=_positive_int, default=1, metavar="N", help="worker processes (default 1)"
    )
    p.add_argument("--rebuild", action="store_true", help="start from scratch instead of updating")
    _json_option(p, "the summary")
    p.set_defaults(run=cmd_index)


def cmd_index(args: argparse.Namespace) -> int:
    from mofasearch import sources
    from mofasearch.index import check_directory
    from mofasearch.progress import ProgressBar

    index_dir, _ = _index_dir(args)
    paths: list[str] | None = list(args.paths) or None
    if paths is None and not _remembers_sources(index_dir):
        if not Path(DEFAULT_CORPUS).exists():
            raise MofaSearchError(
                f"nothing to index: no PATH given and no {DEFAULT_CORPUS}/ folder here",
                hint="pass the files or folders to index: `mofasearch index PATH ...`",
            )
        paths = [DEFAULT_CORPUS]
    check_directory(index_dir)
    with ProgressBar() as bar:
        report = sources.sync(index_dir, paths, rebuild=args.rebuild, jobs=args.jobs, progress=bar)
    if args.json:
        _print_json({"index": str(index_dir), **report.to_dict()})
    else:
        print(_index_summary(index_dir, report))
    return _report_rejected(report)


def _remembers_sources(index_dir: Path) -> bool:
    from mofasearch import sources

    try:
        return bool(sources.remembered_roots(index_dir))
    except MofaSearchError:
        return False


def _index_summary(index_dir: Path, report: Any) -> str:
    verb = "rebuilt" if report.rebuilt else "updated"
    files = (
        f"{len(report.added)} added, {len(report.changed)} changed, "
        f"{len(report.removed)} removed, {report.unchanged} unchanged"
    )
    docs = (
        f"{report.documents_added} documents ({report.sections_added} sections) indexed, "
        f"{report.documents_deleted} deleted"
    )
    return f"{verb} {index_dir}: files {files}; {docs} in {report.seconds:.1f} s"


def _report_rejected(report: Any) -> int:
    if report.ok:
        return EXIT_OK
    for path, reason in report.rejected:
        _say(f"rejected {path}: {reason}")
    n = len(report.rejected)  # files, and folders that could not be listed
    _say(
        f"{n} input{'s' if n > 1 else ''} rejected, everything else was indexed — "
        f"fix or remove {'them' if n > 1 else 'it'} and run `mofasearch index` again"
    )
    return EXIT_ERROR


# --------------------------------------------------------------------------- search


def _synonyms_option(p: Any, what: str) -> None:
    p.add_argument(
        "--synonyms",
        action="append",
        type=_file_name,
        metavar="FILE",
        help=f"a synonym file (`a, b, c` per line, or SudachiDict's synonyms.txt): {what}",
    )


def _add_search(sub: Any) -> None:
    p = sub.add_parser(
        "search",
        help="search an index",
        description="Search an index. With no index yet (or an empty one, as an interrupted "
        "first build leaves) and a corpus/ folder here, the index is built first.",
    )
    p.add_argument(
        "query",
        metavar="QUERY",
        nargs="+",
        help="the query (see README: Query language); words given apart are one query, "
        "joined by spaces",
    )
    _index_option(p)
    p.add_argument("--limit", type=_positive_int, default=10, metavar="N", help="hits per page")
    p.add_argument("--offset", type=_non_negative_int, default=0, metavar="N", help="hits to skip")
    p.add_argument("--since", type=_iso_date, metavar="YYYY-MM-DD", help="earliest date")
    p.add_argument("--until", type=_iso_date, metavar="YYYY-MM-DD", help="latest date")
    p.add_argument("--category", metavar="C", help="only this category")
    p.add_argument("--section", metavar="S", help="only this section and its subsections")
    p.add_argument("--sort", choices=("score", "date", "-date"), default="score", help="hit order")
    _synonyms_option(p, "the query's words also match their synonyms (repeatable)")
    _json_option(p, "the results")
    p.set_defaults(run=cmd_search)


def cmd_search(args: argparse.Namespace) -> int:
    # `mofasearch search 京都議定書 批准` is what one types, unquoted: the words are one query
    query = " ".join(args.query)
    index_dir, explicit = _index_dir(args)
    with _open_index(index_dir, build_if_missing=not explicit, synonyms=args.synonyms) as ix:
        res = ix.search(
            query,
            limit=args.limit,
            offset=args.offset,
            since=args.since,
            until=args.until,
            category=args.category,
            section=args.section,
            sort=args.sort,
        )
        if args.json:
            _print_json(results_to_json(query, res))
        else:
            _print_hits(res, offset=args.offset, tty=_color(sys.stdout))
    return EXIT_OK


def _open_index(index_dir: Path, *, build_if_missing: bool, synonyms: Any = None) -> Any:
    """Open the index; build the default one from corpus/ first when it does not exist yet, or
    was never built (a first build stopped by Ctrl-C leaves an empty index behind)."""
    from mofasearch.index import Index, check_directory

    build = build_if_missing and Path(DEFAULT_CORPUS).is_dir()
    try:
        ix = Index.open(index_dir, synonyms=synonyms)
    except IndexNotFoundError:
        if not build:
            raise
        state = f"no index at {index_dir}/ yet"
    else:
        if not (build and _never_built(ix, index_dir)):
            return ix
        ix.close()
        state = f"the index at {index_dir}/ is empty"
    from mofasearch import sources
    from mofasearch.progress import ProgressBar

    check_directory(index_dir)
    _say(f"{state}: building it from {DEFAULT_CORPUS}/ first")
    with ProgressBar() as bar:
        report = sources.sync(index_dir, [DEFAULT_CORPUS], progress=bar)
    for path, reason in report.rejected:
        _say(f"rejected {path}: {reason}")
    _say(
        f"indexed {report.documents_added} documents ({report.sections_added} sections) "
        f"in {report.seconds:.1f} s"
    )
    return Index.open(index_dir, synonyms=synonyms)


def _never_built(ix: Any, index_dir: Path) -> bool:
    """Whether the index has no list of sources and no document: what a first build leaves when
    it is stopped before it gets to write either (an index filled by the library has documents)."""
    from mofasearch.sources import MANIFEST_NAME

    return not (index_dir / MANIFEST_NAME).exists() and not ix.stats()["documents"]


def results_to_json(query: str, res: Any) -> dict[str, Any]:
    """The ``search --json`` object, exactly as the public contract shapes it."""
    return {**res.to_dict(), "query": query}


def _other_to_json(other: Any) -> dict[str, Any]:
    if isinstance(other, tuple | list):
        section_id, section, heading, score = other
    else:
        section_id, section, heading, score = (
            other.section_id,
            other.section,
            other.heading,
            other.score,
        )
    return {"section_id": section_id, "section": section, "heading": heading, "score": score}


def _print_hits(res: Any, *, offset: int, tty: bool) -> None:
    hits = list(res)
    if not hits:
        why = f" ({res.reason})" if res.reason else ""
        more = f" beyond the first {min(offset, res.total)}" if offset and res.total else ""
        print(f"no hits{more}{why}")
        return
    for rank, hit in enumerate(hits, start=offset + 1):
        print(_hit_line(rank, hit))
        if hit.snippet is not None and hit.snippet.text:
            print("    " + mark_snippet(hit.snippet, tty=tty))
        others = [_other_to_json(o) for o in hit.other_sections or ()]
        if others:
            also = ", ".join(
                _section_label(o["section"], (o["heading"],), o["section_id"], hit.doc_id)
                for o in others[:5]
            )
            extra = f" and {len(others) - 5} more" if len(others) > 5 else ""
            print(f"    also: {also}{extra}")
    first, last = offset + 1, offset + len(hits)
    # the command line searches grouped by document (the library's default)
    print(f"-- {first}–{last} of {res.total} documents, {res.took_ms:.1f} ms")


def _hit_line(rank: int, hit: Any) -> str:
    date = hit.date.isoformat() if hit.date else "----------"
    path = tuple(hit.section_path) or (hit.heading,)
    where = _section_label(hit.section, path, hit.section_id, hit.doc_id)
    return "  ".join([f"{rank:>2}", f"{hit.score:6.2f}", printable(hit.title), date, where])


def _section_label(number: str, path: Sequence[str], section_id: str, doc_id: str) -> str:
    """§number and headings; a section with neither is the lead (``doc#0``, the text before
    a page's first numbered section), or else named by its id (JSONL sections have no numbers)."""
    heading = " › ".join(p for p in path if p)
    label = " ".join(x for x in (f"§{number}" if number else "", heading) if x)
    if not label:
        own = section_id.removeprefix(f"{doc_id}#")
        label = "(lead section)" if own == "0" else ("#" + own if own != section_id else own)
    return printable(label)


#: control characters (C0, DEL, C1): an ESC in an indexed title could drive the terminal
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` on one line with no control characters: line breaks and tabs become spaces,
    other controls U+FFFD. One character for one, so snippet spans keep their offsets."""
    return _CONTROL.sub(lambda m: " " if m.group() in "\t\n\r" else "\ufffd", text)


def _escaped(text: str) -> str:
    """``text`` with its control characters written as escapes (``\\n``, ``\\x1b``): a token
    or a file name that holds a line break or a tab keeps its line and column and shows what
    it holds, and no escape sequence reaches the terminal."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def mark_snippet(snippet: Any, *, tty: bool) -> str:
    """The snippet on one line with its matched spans marked (ANSI on a terminal, 【】 otherwise)."""
    start_mark, end_mark = _MARK_TTY if tty else _MARK_PLAIN
    text = printable(snippet.text)
    out, pos = [], 0
    for start, end in sorted(snippet.spans):
        if start < pos:  # overlapping spans: mark the union once
            start = pos
        if end <= start:
            continue
        out += [text[pos:start], start_mark, text[start:end], end_mark]
        pos = end
    out.append(text[pos:])
    return "".join(out)


# --------------------------------------------------------------------------- analyze, stats


def _add_analyze(sub: Any) -> None:
    p = sub.add_parser(
        "analyze",
        help="show how text is split into search terms",
        description="Show the tokens the Japanese analyzer produces for TEXT.",
    )
    p.add_argument("text", metavar="TEXT", help="the text to analyze")
    p.add_argument(
        "--mode",
        type=str.upper,
        choices=("A", "B", "C"),
        default="C",
        help="Sudachi split mode: A short units, C long units (default C)",
    )
    p.add_argument(
        "--query",
        action="store_true",
        help="analyze as a query is (sub-words and synonyms a search looks for)",
    )
    _synonyms_option(p, "expand its words as a search would (implies --query; repeatable)")
    _json_option(p, "the tokens")
    p.set_defaults(run=cmd_analyze)


def cmd_analyze(args: argparse.Namespace) -> int:
    from mofasearch.analysis import AnalysisSettings, analyze

    settings = None
    if args.synonyms:
        from mofasearch.analysis.synonyms import check_files

        settings = AnalysisSettings(synonyms=tuple(args.synonyms))
        check_files(settings.synonyms)
        args.query = True
    tokens = [
        tok.to_dict()
        for tok in analyze(args.text, mode=args.mode, query=args.query, settings=settings)
    ]
    if args.json:
        _print_json({"text": args.text, "mode": args.mode, "query": args.query, "tokens": tokens})
        return EXIT_OK
    for tok in tokens:
        print("\t".join(_token_columns(tok)))
    return EXIT_OK


def _token_columns(tok: dict[str, Any]) -> list[str]:
    """position, surface, indexed terms, reading, part of speech, start-end (tab-separated)."""
    terms = tok.get("terms", tok.get("term", ""))
    if isinstance(terms, list | tuple):
        terms = " ".join(str(t) for t in terms)
    pos = tok.get("part_of_speech", tok.get("pos", ""))
    if isinstance(pos, list | tuple):
        pos = ",".join(str(p) for p in pos if p and p != "*")
    position = tok.get("position")
    stopped = tok.get("stopped") or position is None
    return [
        "-" if position is None else str(position),
        _escaped(str(tok.get("surface", ""))),
        "(stop word)" if stopped and not terms else _escaped(str(terms)),
        _escaped(str(tok.get("reading", ""))),
        str(pos),
        f"{tok.get('start', '')}-{tok.get('end', '')}",
    ]


def _add_stats(sub: Any) -> None:
    p = sub.add_parser(
        "stats",
        help="describe an index",
        description="Show an index's size, contents and remembered sources.",
    )
    _index_option(p)
    _json_option(p, "the figures")
    p.set_defaults(run=cmd_stats)


def cmd_stats(args: argparse.Namespace) -> int:
    from mofasearch import sources
    from mofasearch.index import Index

    index_dir, _ = _index_dir(args)
    with Index.open(index_dir) as ix:
        stats = dict(ix.stats())
    manifest = sources.Manifest.load(index_dir)
    stats["path"] = str(index_dir)
    stats["sources"] = {
        "roots": [str(manifest.root_path(k)) for k in sorted(manifest.roots)],
        "files": sum(len(files) for files in manifest.roots.values()),
    }
    if args.json:
        _print_json(stats)
        return EXIT_OK
    for key, value in stats.items():
        if key == "sources":
            print(f"source files: {value['files']}")
            for root in value["roots"]:
                print(f"source root: {root}")
        elif key == "size_bytes":
            print(f"size: {_human_size(int(value))}")
        else:
            print(f"{key.replace('_', ' ')}: {value}")
    return EXIT_OK


# --------------------------------------------------------------------------- helpers


def _index_dir(args: argparse.Namespace) -> tuple[Path, bool]:
    """The index directory and whether the user named it with ``--index``."""
    if args.index:
        return Path(args.index), True
    return Path(os.environ.get("MOFASEARCH_INDEX") or DEFAULT_INDEX), False


def _directory_name(text: str) -> str:
    # `--index "$DIR"` with DIR unset must not fall back to the default index (and build it)
    if not text:
        raise argparse.ArgumentTypeError("expected a directory, got an empty string")
    return text


def _file_name(text: str) -> str:
    if not text:  # `--synonyms "$FILE"` with FILE unset would name the working directory
        raise argparse.ArgumentTypeError("expected a file, got an empty string")
    return text


def _positive_int(text: str) -> int:
    value = _whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, got {text!r}")
    return value


def _non_negative_int(text: str) -> int:
    value = _whole_number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number of at least 0, got {text!r}")
    return value


def _whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def _iso_date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def _human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def _color(stream: Any) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _print_json(obj: Any) -> None:
    text = json.dumps(obj, ensure_ascii=False, default=_json_default)
    try:
        text.encode(getattr(sys.stdout, "encoding", None) or "utf-8")
    except UnicodeEncodeError:
        # The same JSON with \u escapes: valid on any output encoding, and for text that is not
        # Unicode (an argument's bytes that were not UTF-8) it stays valid JSON.
        text = json.dumps(obj, default=_json_default)
    print(text)


def _json_default(obj: Any) -> Any:
    if isinstance(obj, datetime.date):
        return obj.isoformat()
    if isinstance(obj, tuple | set | frozenset):
        return list(obj)
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    raise TypeError(f"{type(obj).__name__} is not JSON serializable")


def _say(message: str) -> None:
    # a file name may hold a line break or an escape sequence: one line, shown as escapes
    print(f"mofasearch: {_escaped(message)}", file=sys.stderr, flush=True)


def _fail(exc: MofaSearchError, args: argparse.Namespace) -> None:
    message = " ".join(str(exc).split()) or type(exc).__name__
    hint = getattr(exc, "hint", "")
    if hint and message.endswith(hint):  # the message already ends with the advice
        message = message[: -len(hint)].rstrip(" ;,.—-") or message
    hint = _advice(exc, hint, getattr(args, "index", None))
    _say(f"{message} — {hint}" if hint else message)


_INDEX_COMMAND = re.compile(r"`(mofasearch index\b[^`]*)`")


def _advice(exc: MofaSearchError, hint: str, index: str | None) -> str:
    """The library's hint as a command line to run here: commands name the ``--index`` given
    (and drop the placeholder when none was); a lock has no timeout option to raise here."""
    if isinstance(exc, IndexLockedError):
        return "wait for the other writer to finish, then run the command again"

    def concrete(match: re.Match[str]) -> str:
        command = match.group(1).replace(" --index DIR", "")
        return f"`{command} --index {shlex.quote(index)}`" if index else f"`{command}`"

    return _INDEX_COMMAND.sub(concrete, hint)


def _raw_file_names() -> None:
    """A file name whose bytes are not UTF-8 reaches Python as lone surrogates; printed, it
    goes out as the bytes it has on disk, as ``ls`` prints it, instead of failing the output.
    (``--json`` escapes it instead: see :func:`_print_json`.)"""
    stdout = sys.stdout
    if isinstance(stdout, io.TextIOWrapper) and stdout.errors == "strict":
        stdout.reconfigure(errors="surrogateescape")


def _flush_stdout() -> None:
    """Write the output still buffered now, where a failure is handled like any other: left to
    the exit, a closed pipe or a full disk is reported by Python itself ("Exception ignored",
    exit code 120)."""
    if sys.stdout is None:  # started with stdout closed
        return
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        _silence_stdout()
        raise MofaSearchError(
            f"cannot write the output: {exc.strerror or exc}",
            hint="check that where the output goes has room and can be written",
        ) from None


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _quiet_whoosh_compile_warnings() -> None:
    """Whoosh 2.7.4's sources raise SyntaxWarnings when compiled without a .pyc cache.

    They are about Whoosh's own code, not the user's input, and would otherwise be printed above
    the results. Left alone when the user chose warning filters with ``-W``/``PYTHONWARNINGS``.
    """
    if sys.warnoptions:
        return
    for category in (SyntaxWarning, DeprecationWarning):
        warnings.filterwarnings("ignore", category=category, module=r".*whoosh.*")


class _LogToStderr(logging.Handler):
    """Library warnings as one line each on the current stderr (everything, with tracebacks,
    when debugging)."""

    def __init__(self, debug: bool) -> None:
        super().__init__(logging.DEBUG if debug else logging.WARNING)
        self.debug = debug
        self.setFormatter(logging.Formatter("mofasearch: %(levelname)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            print(self.format(record) if self.debug else self._line(record), file=sys.stderr)
        except Exception:
            self.handleError(record)

    def _line(self, record: logging.LogRecord) -> str:
        """The record on one line: its exception (``log.exception``) as its type and message."""
        line = f"mofasearch: {record.levelname}: {record.getMessage()}"
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None:
            line += f": {type(exc).__name__}: {' '.join(str(exc).split())}"
        return _escaped(line)
