"""What a search returns, as a result page shows it: explanations that agree with the hits
listed, on a real index on disk."""

from __future__ import annotations

import pytest

from mofasearch import Document, Section
from mofasearch.search import FILL_UNITS
from tests.conftest import disk_index

FOLLOWS = "  (it shares only character bigrams: a search lists it after the matches)"
QUESTION = "大統領はいつ来日したか"


def _question_corpus() -> list[Document]:
    """Two documents holding the question's words, and more documents sharing only its
    characters (統領, 来日 inside other words) than a search lets follow the matches."""
    matching = [
        Document(f"match{n}", "首脳会談", [Section(f"大統領が来日した。第{n}回の会談。")])
        for n in range(2)
    ]
    sharing = [
        Document(
            f"share{n:03d}",
            "記録",
            [Section("統領の来訪。" + "記録を残した。" * (1 + n % 7) + f"整理番号{n}。")],
        )
        for n in range(FILL_UNITS + 20)
    ]
    return matching + sharing


@pytest.fixture(scope="module")
def question_ix(tmp_path_factory):
    with disk_index(tmp_path_factory.mktemp("question"), _question_corpus()) as index:
        yield index


def test_explain_says_a_section_follows_only_when_a_search_lists_it(question_ix):
    """Sections sharing only the question's bigrams follow its matches up to ``FILL_UNITS``;
    explain tells the ones a search lists from the ones past that cut, which no search lists."""
    flat = question_ix.search(QUESTION, group_by_document=False, limit=1000)
    grouped = question_ix.search(QUESTION, limit=1000)
    listed = {h.section_id for h in flat}
    listed |= {h.section_id for h in grouped}
    listed |= {other[0] for h in grouped for other in h.other_sections}
    notes = {}
    for doc in _question_corpus():
        for section in doc.sections:
            lines = question_ix.explain(QUESTION, section.id).splitlines()
            if " does not match " in lines[0] and "score 0.0000" not in lines[0]:
                notes[section.id] = FOLLOWS in lines
    assert len(notes) == FILL_UNITS + 20
    assert {sid for sid, note in notes.items() if note} == set(notes) & listed
    assert 0 < len(set(notes) & listed) < len(notes)
