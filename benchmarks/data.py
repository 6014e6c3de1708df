"""The benchmark data: question sets, statutes, the scale pool, checksums and expected counts.

Counts are asserted on every load so that a run over truncated or changed data cannot pass for
a faster one. Files are read in place from the shared data folder, never copied.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import os
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent


class Passage(NamedTuple):
    """One indexed unit (a section). ``content`` is the text every engine indexes."""

    id: str
    title: str
    text: str
    doc_id: str = ""  # the document it belongs to; "" = a document of its own
    heading: str = ""

    @property
    def content(self) -> str:
        return "\n".join(part for part in (self.title, self.heading, self.text) if part)


class Question(NamedTuple):
    qid: str
    text: str
    relevant: tuple[str, ...]
    generic: bool = False


@dataclass(frozen=True)
class SetSpec:
    folder: str
    passages: str
    queries: str
    expected_passages: int
    expected_queries: int
    take: int | None  # protocol: the first N questions in file order (None = all)


SETS: dict[str, SetSpec] = {
    "jaquad": SetSpec(
        "jaquad_retrieval", "passages.jsonl.gz", "queries.jsonl.gz", 11_144, 31_748, 2000
    ),
    "jsquad": SetSpec("jsquad_retrieval", "passages.jsonl", "queries.jsonl", 2_304, 4_442, None),
    "lawqa": SetSpec("lawqa_jp_retrieval", "passages.jsonl", "queries.jsonl", 114, 72, None),
}
LAWQA_SPECIFIC = 66  # lawqa questions that are not `generic_question`
STATUTE_FILES = 1_029
STATUTES = "egov_law_html_2013"


class DataError(Exception):
    """The data is missing or does not have the counts the protocol expects."""


@dataclass
class QuerySet:
    name: str
    passages: list[Passage]
    questions: list[Question]
    checksums: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def default_data_dir() -> Path:
    """``$MOFASEARCH_DATA`` or ``../shared/data`` beside the repository."""
    env = os.environ.get("MOFASEARCH_DATA")
    # absolute: child processes (benchmarks.speed's) run in another folder
    return Path(env).absolute() if env else ROOT.parent / "shared" / "data"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_jsonl(path: Path) -> Iterator[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:  # type: ignore[operator]
        for line in fh:
            if line.strip():
                yield json.loads(line)


def expect(what: str, got: int, want: int) -> None:
    if got != want:
        raise DataError(f"{what}: expected {want:,}, found {got:,}")


def load_passages(path: Path) -> list[Passage]:
    return [Passage(str(r["id"]), r.get("title", ""), r["text"]) for r in read_jsonl(path)]


def load_questions(path: Path) -> list[Question]:
    return [
        Question(
            str(r["qid"]),  # ids travel through JSON (ranking processes): strings throughout
            r["query"],
            tuple(str(pid) for pid in r["relevant"]),
            bool(r.get("generic_question")),
        )
        for r in read_jsonl(path)
    ]


def load_set(
    data: Path, name: str, *, questions: int | None = None, passages: int | None = None
) -> QuerySet:
    """A protocol set, counts asserted; ``questions``/``passages`` cut it down for quick runs.

    A passage cut keeps every passage a kept question needs, so metrics stay meaningful.
    """
    spec = SETS[name]
    folder = data / spec.folder
    ppath, qpath = folder / spec.passages, folder / spec.queries
    if not ppath.is_file() or not qpath.is_file():
        raise DataError(f"{name}: {folder} lacks {spec.passages} or {spec.queries}")
    all_passages = load_passages(ppath)
    all_questions = load_questions(qpath)
    expect(f"{name} passages", len(all_passages), spec.expected_passages)
    expect(f"{name} questions", len(all_questions), spec.expected_queries)
    if name == "lawqa":
        expect(
            "lawqa specific questions", sum(not q.generic for q in all_questions), LAWQA_SPECIFIC
        )
    chosen = all_questions[: spec.take] if spec.take else all_questions
    qset = QuerySet(
        name, all_passages, chosen, {spec.passages: sha256(ppath), spec.queries: sha256(qpath)}
    )
    return cut(qset, questions, passages)


def load_custom(queries: Path, passages: Path | None = None) -> QuerySet:
    """Any query file of the protocol's format, with the passages file beside it by default."""
    if passages is None:
        found = [
            p
            for p in (queries.parent / "passages.jsonl.gz", queries.parent / "passages.jsonl")
            if p.is_file()
        ]
        if not found:
            raise DataError(f"no passages.jsonl(.gz) beside {queries}; give --passages-file")
        passages = found[0]
    qset = QuerySet(
        f"custom:{queries.name.split('.')[0]}",
        load_passages(passages),
        load_questions(queries),
        {str(passages): sha256(passages), str(queries): sha256(queries)},
    )
    known = {p.id for p in qset.passages}
    missing = sum(1 for q in qset.questions for r in q.relevant if r not in known)
    if missing:
        raise DataError(f"{queries}: {missing} relevant ids are not in {passages}")
    return qset


def cut(qset: QuerySet, questions: int | None, passages: int | None) -> QuerySet:
    if questions is not None and questions < len(qset.questions):
        qset.notes.append(f"first {questions} of {len(qset.questions)} questions")
        qset.questions = qset.questions[:questions]
    if passages is not None and passages < len(qset.passages):
        needed = {r for q in qset.questions for r in q.relevant}
        kept, spare = [], passages - len(needed)
        for p in qset.passages:
            if p.id in needed:
                kept.append(p)
            elif spare > 0:
                kept.append(p)
                spare -= 1
        qset.notes.append(f"{len(kept)} of {len(qset.passages)} passages")
        qset.passages = kept
    return qset


# --- statutes: the 1,029 e-Gov HTML pages, one section per article (条) ---------------------

_ARTICLE = re.compile(r'<DIV class="item"><B>(第[^<]*?条[^<]*)</B>')
_ARTTITLE = '<DIV class="arttitle">'
_TAG = re.compile(r"<[^>]+>")
_TITLE = re.compile(r"<TITLE>(.*?)</TITLE>", re.S | re.I)
_SPACE = re.compile(r"[ \t\r]*\n[ \t\r\n]*")


def plain_text(fragment: str) -> str:
    """Text of an HTML fragment: tags dropped, entities decoded, blank runs folded."""
    return _SPACE.sub("\n", html.unescape(_TAG.sub("", fragment.replace("<BR>", "\n")))).strip()


def split_statute(page: str, doc_id: str) -> list[Passage]:
    """Split one statute page at its articles; the text before the first article (title block,
    table of contents, preamble) is section 0, so no text is dropped. An article's own
    ``（見出し）`` line belongs to it."""
    found = _TITLE.search(page)
    title = plain_text(found.group(1)) if found else doc_id
    body = page[found.end() :] if found else page
    cuts, headings = [0], [""]
    for match in _ARTICLE.finditer(body):
        start = match.start()
        caption = body.rfind(_ARTTITLE, cuts[-1], start)
        cuts.append(caption if caption >= 0 else start)
        headings.append(match.group(1))
    cuts.append(len(body))
    sections = []
    for ordinal, (start, end) in enumerate(zip(cuts, cuts[1:], strict=False)):
        text = plain_text(body[start:end])
        if text:
            sections.append(Passage(f"{doc_id}#{ordinal}", title, text, doc_id, headings[ordinal]))
    return sections


def statute_files(data: Path) -> list[Path]:
    files = sorted((data / STATUTES / "html").glob("*.html"))
    expect("statute files", len(files), STATUTE_FILES)
    return files


def load_statutes(
    data: Path, limit: int | None = None
) -> tuple[list[Passage], dict[str, str], str]:
    """All statutes as sections, a checksum over the files (in name order), and how they were
    split: by ``mofasearch.documents.load`` (the parser users get) when it is importable, else by
    :func:`split_statute` at articles."""
    files = statute_files(data)[:limit]
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.read_bytes())
    checksums = {f"{STATUTES}/html/*.html": digest.hexdigest()}
    try:
        from mofasearch.documents import load_file
    except ImportError:
        passages: list[Passage] = []
        for path in files:
            passages.extend(split_statute(path.read_bytes().decode("cp932"), path.stem))
        return passages, checksums, "split at articles (条) by benchmarks.data.split_statute"
    passages = []
    for path in files:
        for doc in load_file(path, root=path.parent):
            passages.extend(
                Passage(s.id, doc.title, s.text, doc.id, s.heading) for s in doc.sections
            )
    return passages, checksums, "sections from mofasearch.documents.load_file"


def scale_pool(data: Path, statutes: Sequence[Passage]) -> list[Passage]:
    """Every real section we have (statute articles and all QA passages), in a fixed shuffle,
    so that the scale series' sizes are prefixes of one another."""
    pool = list(statutes)
    for name, spec in SETS.items():  # ids are prefixed: the two SQuAD sets share article titles
        pool.extend(
            p._replace(id=f"{name}:{p.id}")
            for p in load_passages(data / spec.folder / spec.passages)
        )
    random.Random(0).shuffle(pool)
    return pool


def characters(passages: Sequence[Passage]) -> int:
    return sum(len(p.content) for p in passages)
