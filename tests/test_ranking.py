"""Ranking behaviour beyond BM25F: prose queries, and what the ranking options change."""

from __future__ import annotations

import datetime

import pytest

from mofasearch import Document, Section, search
from mofasearch.compile import is_prose
from mofasearch.errors import QuerySyntaxError
from mofasearch.scoring import RankingConfig
from tests.conftest import disk_index

DOCS = [
    Document(
        "kenpo",
        "日本共産党",
        [
            Section("1946年に独自の憲法草案として「日本人民共和国憲法草案」を発表した。", id="k#1"),
            Section("党の機関紙は毎日発行され、党員が読むことが求められる。", id="k#2"),
        ],
    ),
    Document(
        "naiyou",
        "記録",
        [Section("会議の内容は公開され、議事録の内容が確認された。", id="n#1")],
    ),
    Document(
        "tsuyu",
        "梅雨",
        [Section("梅雨前線は中国の江淮（長江流域・淮河流域）に北上する。", id="t#1")],
    ),
]


@pytest.fixture(scope="module")
def ix(tmp_path_factory):
    with disk_index(tmp_path_factory.mktemp("ranking"), DOCS) as index:
        yield index


def _ids(ix, query, **kwargs):
    return [h.section_id for h in ix.search(query, group_by_document=False, limit=20, **kwargs)]


@pytest.mark.parametrize(
    ("query", "prose"),
    [
        ("「日本人民共和国憲法草案」の内容は。", True),
        ("江淮（長江流域・淮河流域）とはどこの国にあるでしょうか", True),
        ("京都議定書 批准", True),
        ("京都議定書 AND 批准", False),
        ("京都議定書 OR 批准", False),
        ("京都議定書 -批准", False),
        ("title:京都 会談", False),
        ("議定* 会談", False),
        ("協力 section:3", False),
        ("2002-2003年の会談", True),
    ],
)
def test_is_prose(query, prose):
    assert is_prose(query) is prose


def test_prose_quote_must_match_and_question_words_only_rank(ix):
    # the answer holds the quoted name but not the question's own word (内容)
    assert _ids(ix, "「日本人民共和国憲法草案」の内容は。")[0] == "k#1"
    # the quote is still required: the section about 内容 alone is not a match
    assert "n#1" not in _ids(ix, "「日本人民共和国憲法草案」の内容は。")


def test_prose_items_split_by_brackets_need_one_word_in_all(ix):
    found = _ids(ix, "江淮（長江流域・淮河流域）とはどこの国にあるでしょうか")
    assert found[0] == "t#1"


def test_operators_keep_the_boolean_reading(ix):
    # an explicit AND requires both sides, as documented
    assert _ids(ix, "日本人民共和国憲法草案 AND 内容") == []
    assert _ids(ix, "「日本人民共和国憲法草案」 AND 内容") == []


def test_prose_reading_can_be_switched_off(ix):
    strict = RankingConfig(prose_and=False)
    assert _ids(ix, "「日本人民共和国憲法草案」の内容は。", ranking=strict) == []
    assert _ids(ix, "「日本人民共和国憲法草案」の内容は。")[0] == "k#1"


def test_prose_quote_found_nowhere_only_ranks(ix):
    # a blank to fill inside the quote: the phrase is in no section, so it cannot be required
    assert _ids(ix, "「独自のXXXX草案」を発表したのは何年か")[0] == "k#1"
    # as a query of its own (not prose with other items) the phrase keeps its exact meaning
    assert _ids(ix, "「独自のXXXX草案」") == []
    # with an operator the boolean reading holds: the phrase is required
    assert _ids(ix, "「独自のXXXX草案」 AND 発表") == []


def test_a_quoted_question_word_is_the_blank_not_a_requirement(tmp_path):
    docs = [
        Document("answer", "憲法", [Section("1946年に憲法草案を発表した。", id="a#1")]),
        Document("other", "記録", [Section("何が発表されたかは分からない。", id="o#1")]),
    ]
    with disk_index(tmp_path, docs) as index:
        # 「何」 marks what is asked: the answer holds 1946, not 何
        assert _ids(index, "憲法草案を発表したのは「何」年か")[0] == "a#1"
        # a quote of other words is still required, and an operator keeps the phrase
        assert _ids(index, "「何が発表」された憲法草案") == ["o#1"]
        assert _ids(index, "「何」 AND 憲法草案") == []


def test_sections_sharing_only_bigrams_follow_too_few_matches(ix):
    # 草案 is a word of k#1; n#1 only shares the bigram 会議 with 会議録 (no word, no 60% share)
    res = ix.search("会議録と草案", group_by_document=False, limit=10)
    assert [h.section_id for h in res][:2] == ["k#1", "n#1"]
    assert res.total == len(res)
    assert res[0].score > 0 and res[1].score > 0
    # grouped by document, the second tier brings other documents only
    grouped = ix.search("会議録と草案", limit=10)
    assert [h.doc_id for h in grouped][:2] == ["kenpo", "naiyou"]


#: one match of 会議録と草案 (k#1) and documents whose sections share only the bigram 会議
FILLED = [
    DOCS[0],
    *(
        Document(
            f"m{i}",
            "記録",
            [
                Section(f"会議の内容は第{i}回目に公開された。", id=f"m{i}#1"),
                Section("長い会議が続いた" + "。" * i, id=f"m{i}#2"),
            ],
            date=datetime.date(2000 + i % 3, 1, 1),
        )
        for i in range(5)
    ),
]


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    with disk_index(tmp_path_factory.mktemp("filled"), FILLED) as index:
        yield index


@pytest.mark.parametrize("grouped", [False, True])
def test_the_filled_result_set_does_not_depend_on_the_page_or_order(filled, grouped):
    # which sections follow the matches is the query's, not the page's: every page and every
    # sort order reports the same total and facets, and the pages put together are the list
    whole = filled.search("会議録と草案", group_by_document=grouped, limit=100)
    ids = [h.section_id for h in whole]
    assert len(ids) == whole.total == (6 if grouped else 11)
    for sort in ("score", "date", "-date"):
        pages = [
            filled.search("会議録と草案", group_by_document=grouped, limit=2, offset=i, sort=sort)
            for i in range(0, whole.total + 2, 2)
        ]
        assert {p.total for p in pages} == {whole.total}
        assert all(p.facets == whole.facets for p in pages)
        paged = [h.section_id for p in pages for h in p]
        assert sorted(paged) == sorted(ids) and len(paged) == len(set(paged))
        assert paged[0] == "k#1"  # the match before every section sharing bigrams only
        if sort != "score":  # the second tier in date order too
            years = [h.date.year for h in [h for p in pages for h in p][1:]]
            assert years == sorted(years, reverse=sort == "-date")


@pytest.mark.parametrize("grouped", [False, True])
def test_the_fill_stops_at_fill_units(filled, monkeypatch, grouped):
    whole = filled.search("会議録と草案", group_by_document=grouped, limit=100)
    monkeypatch.setattr(search, "FILL_UNITS", 3)
    capped = filled.search("会議録と草案", group_by_document=grouped, limit=100)
    assert [h.section_id for h in capped] == [h.section_id for h in whole][:3]
    assert capped.total == 3
    # a query matching FILL_UNITS sections already is not followed
    monkeypatch.setattr(search, "FILL_UNITS", 1)
    assert [h.section_id for h in filled.search("会議録と草案", group_by_document=grouped)] == [
        "k#1"
    ]


def test_no_bigram_filling_for_operators_or_when_switched_off(ix):
    assert "n#1" not in _ids(ix, "会議録 AND 草案")
    assert _ids(ix, "会議録と草案", ranking=RankingConfig(bigram_fill=False)) == ["k#1"]


@pytest.mark.parametrize(
    "query",
    [
        "梅雨前線が北上する（長江流域の国は？",
        "淮河流域）に北上するのは何前線か",
        "1946年に発表した『』は何という憲法草案か",
        "憲法草案 （）",
    ],
)
def test_prose_question_with_loose_punctuation_is_answered(ix, query):
    # a question typed as a sentence is never refused for its punctuation: it is ranked
    ids = _ids(ix, query)
    assert ids and ids[0] == ("k#1" if "憲法" in query else "t#1")
    assert is_prose(query)


@pytest.mark.parametrize("query", ["梅雨前線 AND （長江流域", "梅雨前線 -淮河流域）", "title:『』"])
def test_operator_query_with_loose_punctuation_is_a_syntax_error(ix, query):
    with pytest.raises(QuerySyntaxError) as info:
        ix.search(query)
    assert 0 <= info.value.position < len(query)
