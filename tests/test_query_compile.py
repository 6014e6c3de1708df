"""The query language evaluated against a real index: what each construct matches."""

from __future__ import annotations

import string

import pytest

from mofasearch import Document, Section
from mofasearch.compile import MAX_PREFIX_TERMS
from tests.conftest import disk_index

#: more distinct words starting with "zq" than a prefix query scores (zqaa, zqab, ...)
WORDS = [f"zq{a}{b}" for a in string.ascii_lowercase for b in string.ascii_lowercase][:100]


@pytest.fixture(scope="module")
def ix(tmp_path_factory):
    docs = [
        Document(f"d{i}", "記録", [Section(f"{word} について述べた。", id=f"d{i}#1")])
        for i, word in enumerate(WORDS)
    ]
    docs.append(Document("other", "記録", [Section("川の近くに家がある。", id="other#1")]))
    with disk_index(tmp_path_factory.mktemp("prefix"), docs) as index:
        yield index


def _ids(ix, query):
    res = ix.search(query, group_by_document=False, limit=1000)
    return {hit.section_id for hit in res}, res.total


def test_a_prefix_matches_every_word_past_the_scoring_cap(ix):
    assert len(WORDS) > MAX_PREFIX_TERMS
    ids, total = _ids(ix, "zq*")
    assert total == len(WORDS)
    assert ids == {f"d{i}#1" for i in range(len(WORDS))}


def test_a_negated_prefix_excludes_every_word_past_the_scoring_cap(ix):
    ids, total = _ids(ix, "-zq*")
    assert (ids, total) == ({"other#1"}, 1)


COMPOUNDS = [
    Document("summit", "記録", [Section("日露首脳会談が行われた。", id="summit#1")]),
    Document("meeting", "記録", [Section("APEC首脳会合に出席した。", id="meeting#1")]),
    Document("treaty", "記録", [Section("平和条約を締結する。", id="treaty#1")]),
    Document("president", "記録", [Section("プーチン大統領が訪日した。", id="president#1")]),
    # the same words apart: no word here starts with 首脳会 or 平和条
    Document(
        "apart", "記録", [Section("首脳は明日会談し、平和と安全の条約を論じた。", id="apart#1")]
    ),
]


@pytest.fixture(scope="module")
def compounds(tmp_path_factory):
    with disk_index(tmp_path_factory.mktemp("compounds"), COMPOUNDS) as index:
        yield index


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # stems the analyzer splits into several words (首脳 + 会, 平和 + 条, プーチン + 大 + 統)
        ("首脳会*", {"summit#1", "meeting#1"}),
        ("首脳会談*", {"summit#1"}),
        ("日露首脳*", {"summit#1"}),
        ("平和条*", {"treaty#1"}),
        ("プーチン大統*", {"president#1"}),
        ("ＡＰＥＣ首脳会＊", {"meeting#1"}),
        ("title:首脳会*", set()),
        # a stem that is one word still expands as before
        ("大統*", {"president#1"}),
    ],
)
def test_a_prefix_spanning_several_words_matches_them_in_a_row(compounds, query, expected):
    ids, total = _ids(compounds, query)
    assert (ids, total) == (expected, len(expected))


def test_a_negated_prefix_spanning_several_words_excludes_them(compounds):
    ids, _ = _ids(compounds, "-首脳会*")
    assert ids == {"treaty#1", "president#1", "apart#1"}


def test_a_prefix_spanning_several_words_marks_them_in_the_snippet(compounds):
    hits = list(compounds.search("平和条*", group_by_document=False))
    assert [hit.section_id for hit in hits] == ["treaty#1"]
    snippet = hits[0].snippet
    assert "".join(snippet.text[a:b] for a, b in snippet.spans) == "平和条約"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # the compound as written: 首脳 and 会談 apart (apart#1) are not 首脳会談
        ("-首脳会談", {"meeting#1", "treaty#1", "president#1", "apart#1"}),
        ("-日露首脳会談", {"meeting#1", "treaty#1", "president#1", "apart#1"}),
        ("NOT 首脳会談", {"meeting#1", "treaty#1", "president#1", "apart#1"}),
        # a single word is excluded wherever it is
        ("-首脳", {"treaty#1", "president#1"}),
        # the items of a group are ANDed, each read as written
        ("NOT (首脳 条約)", {"summit#1", "meeting#1", "treaty#1", "president#1"}),
        ("-(首脳会談 OR 平和条約)", {"meeting#1", "president#1", "apart#1"}),
        ("-title:首脳会談", {"summit#1", "meeting#1", "treaty#1", "president#1", "apart#1"}),
        # text found nowhere as written excludes nothing, not what shares a word or bigrams
        ("-会談首脳", {"summit#1", "meeting#1", "treaty#1", "president#1", "apart#1"}),
        ("-ほげ会談", {"summit#1", "meeting#1", "treaty#1", "president#1", "apart#1"}),
    ],
)
def test_a_negation_excludes_the_text_as_written_not_any_of_its_words(compounds, query, expected):
    ids, total = _ids(compounds, query)
    assert (ids, total) == (expected, len(expected))


def test_a_negation_narrows_a_search_by_the_compound_only(compounds):
    ids, _ = _ids(compounds, "首脳 -首脳会談")
    assert ids == {"meeting#1", "apart#1"}
