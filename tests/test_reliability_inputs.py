"""Hostile documents and hostile queries: each is handled or refused clearly, in bounded time.

Documents: random bytes, wrong or missing encodings, empty pages, malformed and deeply nested
HTML, control characters, lone surrogates and a 10 MB single section are each either indexed
(and then searchable) or rejected with an error naming the file; in a batch every good file is
indexed and ``mofasearch index`` exits 1 naming each rejected one.

Queries: anything a person (or an attacker) can type gives results or QuerySyntaxError, quickly:
hypothesis-generated strings, a 10,000-string fuzz loop over the syntax's sharp edges, and
100,000-character queries; prefix expansion is capped and a per-search time limit is honoured.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_reliability_support import documents

from mofasearch import Document, Index, Section
from mofasearch.documents import load, load_file
from mofasearch.errors import MofaSearchError, QuerySyntaxError, QueryTimeoutError

GOOD_PAGE = (
    "日露首脳会談\n\n1. 北方領土\n北方領土問題について協議した。\n\n2. 経済\n経済協力を確認した。\n"
)
_RNG = random.Random(20040610)

HOSTILE: dict[str, bytes] = {
    "random.bin": _RNG.randbytes(16384),
    "random-small.txt": _RNG.randbytes(64),
    "wrong-charset.html": (
        '<html><head><meta charset="utf-8"><title>日露首脳会談</title></head>'
        "<body><h1>日露首脳会談</h1><p>北方領土問題について協議した。</p></body></html>"
    ).encode("cp932"),
    "no-charset.txt": GOOD_PAGE.encode("euc_jp"),
    "empty.txt": b"",
    "blank.html": b"<html><body>  \n </body></html>",
    "malformed.html": (
        "<html><body><p>北方<b><i></p></b>< <<>> </div></span><p>領土問題<table><tr><td>協議"
        "<script>if (a < b) {</style><!-- never closed"
    ).encode(),
    "nested.html": ("<div>" * 60000 + "北方領土問題について協議した。" + "</div>" * 60000).encode(),
    "controls.txt": (
        "日露\x00\x01\x07首脳\x1b会談\x7f\u200b\ufeff\n\n北方領土\x0c問題\x85について\u2028協議"
    ).encode(),
    "surrogate-bytes.txt": b"\xed\xa0\x80" + GOOD_PAGE.encode() + b"\xed\xb0\x80",
    "surrogate.jsonl": '{"id": "lone", "title": "北方\\ud800", "text": "北方領土\\udc00問題"}\n'.encode(),
    "not-documents.jsonl": b'{"id": "x", "name": "neither text nor sections"}\n',
    "truncated.jsonl.gz": b"\x1f\x8b\x08\x00\x00\x00\x00\x00",
}


def _outcome(path: Path, ix: Index) -> tuple[str, float]:
    """'indexed' or 'rejected' for one file, checking the promise either way."""
    start = time.perf_counter()
    try:
        docs = load_file(path)
    except MofaSearchError as exc:
        assert path.name in str(exc), f"the error does not name the file: {exc}"
        return "rejected", time.perf_counter() - start
    with ix.writer() as w:
        for doc in docs:
            w.add(doc)
    for doc in docs:
        assert ix.get(doc.id) is not None
    return "indexed", time.perf_counter() - start


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_file_is_indexed_or_named(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(HOSTILE[name])
    with Index.create(tmp_path / "ix") as ix:
        outcome, took = _outcome(path, ix)
        assert took < 60, f"{name} took {took:.1f} s"
        if outcome == "indexed":
            ix.search("北方領土")  # the index still answers
    if name in ("empty.txt", "blank.html", "not-documents.jsonl", "truncated.jsonl.gz"):
        assert outcome == "rejected"
    if name in ("no-charset.txt", "nested.html", "wrong-charset.html"):
        assert outcome == "indexed"


@pytest.mark.slow
def test_ten_megabyte_single_section(tmp_path: Path) -> None:
    sentence = "北方領土問題の解決に向けて両首脳は率直な意見交換を行った"  # no sentence end
    text = sentence * (10 * 1024 * 1024 // len(sentence.encode()) + 1)
    path = tmp_path / "huge.txt"
    path.write_text("巨大な頁\n\n" + text, encoding="utf-8")
    assert path.stat().st_size >= 10 * 1024 * 1024
    with Index.create(tmp_path / "ix") as ix:
        outcome, took = _outcome(path, ix)
        assert took < 600, f"a 10 MB section took {took:.0f} s"
        if outcome == "indexed":
            assert ix.search("北方領土").total == 1


def test_lone_surrogates_in_a_document_object(tmp_path: Path) -> None:
    doc = Document(
        id="lone\ud800",
        title="北方\udfff領土",
        sections=[Section(text="北方領土\ud800問題について協議した。", heading="\udc00")],
    )
    with Index.create(tmp_path / "ix") as ix:
        try:
            with ix.writer() as w:
                w.add(doc)
        except MofaSearchError as exc:
            assert "lone" in str(exc)
        else:
            assert ix.search("北方領土").total == 1
            assert ix.get(doc.id) is not None


def _batch(tmp_path: Path, corpus: Path, names: list[str]) -> None:
    """Index the shipped pages plus the named hostile files in one ``mofasearch index`` run."""
    src = tmp_path / "src"
    src.mkdir()
    for page in corpus.glob("*.txt"):
        (src / page.name).write_bytes(page.read_bytes())
    for name in names:
        (src / name).write_bytes(HOSTILE[name])
    rejected: list[Path] = []
    good = [doc.id for doc in load(src, on_error=lambda path, error: rejected.append(path))]
    rejected_names = {p.name for p in rejected}
    assert {p.name for p in corpus.glob("*.txt")} <= set(good)

    result = subprocess.run(
        [sys.executable, "-m", "mofasearch", "index", str(src), "--index", str(tmp_path / "ix")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    for name in rejected_names:
        assert name in result.stderr, f"{name} missing from the summary:\n{result.stderr}"
    with Index.open(tmp_path / "ix") as ix:
        assert set(good) <= set(ix.doc_ids())


def test_batch_indexes_every_good_file_and_names_the_bad(tmp_path: Path, corpus: Path) -> None:
    _batch(tmp_path, corpus, list(HOSTILE))


def test_batch_survives_a_document_the_index_cannot_take(tmp_path: Path, corpus: Path) -> None:
    _batch(tmp_path, corpus, ["surrogate.jsonl", "empty.txt"])


# Hostile queries -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory, corpus: Path) -> Index:
    path = tmp_path_factory.mktemp("queries") / "ix"
    ix = Index.create(path)
    with ix.writer() as w:
        for doc in load(corpus):
            w.add(doc)
        for b in range(10):
            for doc in documents(b, count=3):
                w.add(doc)
    return ix


def _bounded_search(ix: Index, query: str, limit_s: float = 5.0) -> None:
    start = time.perf_counter()
    try:
        res = ix.search(query)
        assert res.total >= len(list(res))
    except QuerySyntaxError as exc:
        assert 0 <= exc.position <= len(query)
    took = time.perf_counter() - start
    assert took < limit_s, f"{query[:80]!r} took {took:.2f} s"


SHARP = [
    '"',
    "「",
    "」",
    "『",
    "(",
    ")",
    "（",
    "）",
    "*",
    "＊",
    "-",
    "－",
    ":",
    "：",
    " ",
    "\u3000",
    "AND",
    "OR",
    "NOT",
    "and",
    "title:",
    "heading:",
    "section:",
    "category:",
    "date:",
    "xx:",
    "date:2004",
    "date:平成16",
    "date:2002-01-01..2003-12-31",
    "date:..",
    "section:3.(2)",
    "北方領土",
    "日露",
    "首脳",
    "経済",
    "a",
    "z",
    "\\",
    "'",
    "“",
    "”",
    "?",
    "~",
    "^2",
    "\u200b",
    "\ufeff",
    "\x00",
    "😀",
    "ｱ",
    "ｶﾞ",
    "北*",
    "a*",
    "*a",
    "**",
    "((",
    "))",
]


#: the same without brackets and quotes, so that half the loop reaches ranking, not the parser
BALANCED = [t for t in SHARP if not any(c in t for c in "\"「」『()（）“”'\\")]


def _fuzz_query(rng: random.Random) -> str:
    pool = SHARP if rng.random() < 0.5 else BALANCED
    parts = [rng.choice(pool) for _ in range(rng.randint(1, 12))]
    joiner = rng.choice(["", " ", "　"])
    return joiner.join(parts)


def test_fuzzed_queries_quick(index: Index) -> None:
    rng = random.Random(1)
    for _ in range(300):
        _bounded_search(index, _fuzz_query(rng))


@pytest.mark.slow
def test_fuzz_loop_ten_thousand_queries(index: Index) -> None:
    rng = random.Random(20041027)
    start = time.perf_counter()
    for _ in range(10_000):
        _bounded_search(index, _fuzz_query(rng))
    assert time.perf_counter() - start < 900


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.text(max_size=60))
def test_any_text_is_a_result_or_a_syntax_error(index: Index, query: str) -> None:
    _bounded_search(index, query)


@pytest.mark.parametrize(
    "query",
    [
        "北方領土" * 25_000,
        "(" * 100_000,
        '"' * 100_000,
        "*" * 100_000,
        "a* " * 33_333,
        "NOT " * 25_000,
        "title:" * 16_666,
    ],
    ids=["japanese", "parens", "quotes", "stars", "prefixes", "nots", "fields"],
)
def test_hundred_thousand_character_queries(index: Index, query: str) -> None:
    start = time.perf_counter()
    with pytest.raises(QuerySyntaxError):
        index.search(query)
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize(
    "query",
    [
        "\ud800",
        "title:\udc00",
        "北方\ud800領土",
        '"北方\ud800"',
    ],
)
def test_lone_surrogate_in_a_query(index: Index, query: str) -> None:
    _bounded_search(index, query)


def test_prefix_expansion_is_capped(index: Index) -> None:
    for query in ("北*", "b*", "経*", "title:日*"):
        _bounded_search(index, query, limit_s=2.0)


def test_per_search_time_limit(index: Index) -> None:
    with pytest.raises(QueryTimeoutError):
        index.search("北方領土 OR 経済 OR 首脳", time_limit=1e-9)
    assert index.search("北方領土", time_limit=30.0).total > 0
