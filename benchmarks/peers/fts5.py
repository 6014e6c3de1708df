"""SQLite FTS5: the trigram tokenizer over the raw content, and the default unicode61 tokenizer
over the shared Sudachi terms. Both rank by FTS5's built-in bm25(); the question becomes an OR of
quoted tokens (a quoted string is matched literally, so no query syntax can leak in)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.data import Passage
from benchmarks.peers import SLOW_TIMED_QUESTIONS, Engine
from benchmarks.terms import sudachi_terms


def quoted(tokens: Sequence[str]) -> str:
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in dict.fromkeys(tokens))


class Fts5(Engine):
    tokenize = ""
    timed_questions = SLOW_TIMED_QUESTIONS  # 12-31 ms a JaQuAD question (OR of many terms)

    def missing(self) -> str | None:
        con = sqlite3.connect(":memory:")
        try:
            con.execute(f"CREATE VIRTUAL TABLE t USING fts5(x, tokenize='{self.tokenize}')")
        except sqlite3.OperationalError as exc:
            return f"SQLite {sqlite3.sqlite_version} lacks FTS5 {self.tokenize}: {exc}"
        finally:
            con.close()
        return None

    def rows(self, passages: Sequence[Passage], terms: Sequence[Sequence[str]] | None) -> Any:
        raise NotImplementedError

    def build(
        self, passages: Sequence[Passage], path: Path, terms: Sequence[Sequence[str]] | None = None
    ) -> None:
        path.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(path / "fts.sqlite")
        con.execute(
            f"CREATE VIRTUAL TABLE p USING fts5(pid UNINDEXED, body, tokenize='{self.tokenize}')"
        )
        with con:
            con.executemany("INSERT INTO p(pid, body) VALUES (?, ?)", self.rows(passages, terms))
        con.execute("INSERT INTO p(p) VALUES ('optimize')")
        con.commit()
        con.close()

    def open(self, path: Path) -> Any:
        return sqlite3.connect(path / "fts.sqlite")

    def match(self, query: str) -> str:
        raise NotImplementedError

    def search(self, handle: Any, query: str, k: int) -> list[str]:
        match = self.match(query)
        if not match:
            return []
        rows = handle.execute("SELECT pid FROM p WHERE p MATCH ? ORDER BY rank LIMIT ?", (match, k))
        return [row[0] for row in rows]

    def count(self, handle: Any) -> int:
        return int(handle.execute("SELECT count(*) FROM p").fetchone()[0])


class Fts5Trigram(Fts5):
    description = "SQLite FTS5 trigram tokenizer, OR of the question's trigrams, bm25()"
    tokenize = "trigram"

    def rows(self, passages: Sequence[Passage], terms: Sequence[Sequence[str]] | None) -> Any:
        return ((p.id, p.content) for p in passages)

    def match(self, query: str) -> str:
        grams = [query[i : i + 3] for i in range(len(query) - 2)]
        return quoted([g for g in grams if not any(c.isspace() for c in g)])


class Fts5Sudachi(Fts5):
    description = "SQLite FTS5 unicode61 over the shared Sudachi terms, OR query, bm25()"
    tokenize = "unicode61"
    uses_terms = True

    def rows(self, passages: Sequence[Passage], terms: Sequence[Sequence[str]] | None) -> Any:
        assert terms is not None
        return ((p.id, " ".join(t)) for p, t in zip(passages, terms, strict=True))

    def match(self, query: str) -> str:
        return quoted(sudachi_terms(query))
