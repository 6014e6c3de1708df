"""Golden files: the two shipped MOFA pages and three statutes of different shapes.

Each golden JSON was read against its source page by a person (every number, heading, path,
the date, the title, the category). They change only on purpose:
``MOFASEARCH_UPDATE_GOLDEN=1 pytest tests/test_parsers_golden.py``, then review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from mofasearch.documents import Document, load_file

GOLDEN = Path(__file__).resolve().parent / "golden" / "documents"
UPDATE_ENV = "MOFASEARCH_UPDATE_GOLDEN"

MOFA_PAGES = {
    "mofa_2002-10-27_apec.json": "2002-10-27_apec_koizumi-kasyanov-meeting.txt",
    "mofa_2004-06-10_sea-island.json": "2004-06-10_sea-island-summit_japan-russia-summit.txt",
}
STATUTES = {
    # plain articles without captions or chapters, ○２ paragraphs, 号 items, an article-less 附則
    "statute_jinshin_hogo.json": "html/7c95805f6688c1ad.html",
    # enacting formula, chapters, captions, 附則 articles, amending laws' 附則, a 別表 table
    "statute_fufu_zaisan_keiyaku_toki.json": "html/c6f5c2274cc26fcc.html",
    # no articles at all: main text with a table and images, then 附則
    "statute_bunka_kunsho.json": "html/0bc12b5da95a7dfc.html",
}


def as_json(document: Document) -> dict[str, Any]:
    return {
        "id": document.id,
        "title": document.title,
        "date": document.date.isoformat() if document.date else None,
        "url": document.url,
        "category": document.category,
        "meta": dict(document.meta),
        "sections": [
            {
                "id": section.id,
                "number": section.number,
                "heading": section.heading,
                "path": list(section.path),
                "text": section.text,
            }
            for section in document.sections
        ],
    }


def check_golden(name: str, document: Document) -> None:
    path = GOLDEN / name
    actual = as_json(document)
    if os.environ.get(UPDATE_ENV) == "1":
        path.write_text(json.dumps(actual, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return
    assert path.exists(), f"missing {path}: create it with {UPDATE_ENV}=1 and review it"
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert actual["sections"] == expected["sections"]
    assert actual == expected


@pytest.mark.parametrize("golden, page", sorted(MOFA_PAGES.items()))
def test_mofa_page_matches_golden(corpus: Path, golden: str, page: str) -> None:
    [document] = load_file(corpus / page, root=corpus)
    check_golden(golden, document)


@pytest.mark.parametrize("golden, statute", sorted(STATUTES.items()))
def test_statute_matches_golden(data: Path, golden: str, statute: str) -> None:
    root = data / "egov_law_html_2013"
    [document] = load_file(root / statute, root=root)
    check_golden(golden, document)
