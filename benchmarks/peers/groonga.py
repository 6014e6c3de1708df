"""Groonga (Debian's groonga-bin) with TokenBigram or TokenMecab, driven through one `groonga`
process per index over stdin, in its URI command form (no shell quoting to get wrong).

The question is split by the lexicon's own tokenizer (`table_tokenize`, inside the timed query),
then searched as an OR of those tokens, ranked by `scorer_tf_idf`.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from benchmarks.data import Passage
from benchmarks.peers import SLOW_TIMED_QUESTIONS, Engine, missing_program


class Groonga:
    """A `groonga DB` process answering one command per line with one JSON line."""

    def __init__(self, db: Path, create: bool = False) -> None:
        args = [
            "groonga",
            "--log-path",
            str(db.parent / "groonga.log"),
            "--query-log-path",
            "/dev/null",
        ]
        args += ["-n", str(db)] if create else [str(db)]
        self.proc = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8"
        )

    def __call__(self, command: str, **params: Any) -> Any:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"/d/{command}?{urlencode(params)}\n")
        self.proc.stdin.flush()
        header, *body = json.loads(self.proc.stdout.readline())
        if header[0] != 0:
            raise RuntimeError(f"groonga {command}: {header}")
        return body[0] if body else None

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def phrase(token: str) -> str:
    return '"' + token.replace("\\", "\\\\").replace('"', '\\"') + '"'


class GroongaPeer(Engine):
    tokenizer = ""
    timed_questions = SLOW_TIMED_QUESTIONS  # 13-20 ms a JaQuAD question

    def missing(self) -> str | None:
        return missing_program("groonga")

    def build(
        self, passages: Sequence[Passage], path: Path, terms: Sequence[Sequence[str]] | None = None
    ) -> None:
        path.mkdir(parents=True, exist_ok=True)
        db = Groonga(path / "db", create=True)
        try:
            db("table_create", name="Passages", flags="TABLE_HASH_KEY", key_type="ShortText")
            db(
                "column_create",
                table="Passages",
                name="body",
                flags="COLUMN_SCALAR",
                type="LongText",
            )
            db(
                "table_create",
                name="Terms",
                flags="TABLE_PAT_KEY",
                key_type="ShortText",
                default_tokenizer=self.tokenizer,
                normalizer="NormalizerAuto",
            )
            for start in range(0, len(passages), 500):
                rows = [{"_key": p.id, "body": p.content} for p in passages[start : start + 500]]
                db("load", table="Passages", values=json.dumps(rows, ensure_ascii=False))
            db(
                "column_create",
                table="Terms",
                name="body_index",
                flags="COLUMN_INDEX|WITH_POSITION",
                type="Passages",
                source="body",
            )
        finally:
            db.close()

    def open(self, path: Path) -> Any:
        return Groonga(path / "db")

    def search(self, handle: Any, query: str, k: int) -> list[str]:
        tokens = handle("table_tokenize", table="Terms", string=query, mode="GET")
        words = list(dict.fromkeys(t["value"] for t in tokens))
        if not words:
            return []
        found = handle(
            "select",
            table="Passages",
            match_columns="scorer_tf_idf(body)",
            query=" OR ".join(phrase(w) for w in words),
            output_columns="_key",
            sort_keys="-_score,_key",
            limit=k,
        )
        return [row[0] for row in found[0][2:]]

    def count(self, handle: Any) -> int:
        return int(handle("select", table="Passages", limit=0)[0][0][0])


class GroongaBigram(GroongaPeer):
    description = "Groonga TokenBigram + NormalizerAuto, OR of the question's tokens, tf-idf"
    tokenizer = "TokenBigram"


class GroongaMecab(GroongaPeer):
    description = "Groonga TokenMecab (IPA/naist dictionary), OR of tokens, tf-idf"
    tokenizer = "TokenMecab"
