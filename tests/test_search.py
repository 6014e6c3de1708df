"""End-to-end search on the shipped corpus through the public API (real index on disk)."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mofasearch import Index, load
from mofasearch.errors import QuerySyntaxError

PAGE_2002 = "2002-10-27_apec_koizumi-kasyanov-meeting.txt"
PAGE_2004 = "2004-06-10_sea-island-summit_japan-russia-summit.txt"


@pytest.fixture(scope="module")
def ix(corpus, tmp_path_factory):
    index = Index.create(tmp_path_factory.mktemp("corpus") / "index")
    with index.writer() as w:
        for doc in load(corpus):
            w.add(doc)
    yield index
    index.close()


def test_kyoto_protocol_finds_section_3_2_of_2004(ix):
    res = ix.search("京都議定書")
    assert res[0].doc_id == PAGE_2004
    assert res[0].section == "3.(2)"
    assert res[0].section_path == ("個別案件", "京都議定書")
    assert res[0].date == datetime.date(2004, 6, 10)


def test_terror_finds_a_section_under_1_of_2002(ix):
    res = ix.search("テロ")
    assert res[0].doc_id == PAGE_2002
    assert res[0].section.split(".")[0] == "1"
    assert res[0].section_path[0] == "劇場占拠事件"


def test_hikaku_finds_denuclearization_section_in_top_3(ix):
    res = ix.search("非核", group_by_document=False)
    top = [(h.doc_id, h.section) for h in list(res)[:3]]
    assert (PAGE_2004, "3.(3)") in top


def test_sea_island_summit_without_middle_dot(ix):
    res = ix.search("シーアイランドサミット")
    assert res[0].doc_id == PAGE_2004


def test_kana_reading_finds_kanji(ix):
    res = ix.search("にちろ")
    assert res.total >= 1
    assert any("日露" in (h.title + h.heading + h.text) for h in res)


def test_date_filters_exclude_2002(ix):
    for res in (
        ix.search("日露 date:2003..2005"),
        ix.search("日露", since=datetime.date(2003, 1, 1)),
    ):
        assert {h.doc_id for h in res} == {PAGE_2004}
    assert {h.doc_id for h in ix.search("日露", until=datetime.date(2003, 1, 1))} == {PAGE_2002}
    assert {h.doc_id for h in ix.search("日露 date:平成16")} == {PAGE_2004}


def test_phrase_query(ix):
    res = ix.search('"平和条約"', group_by_document=False)
    assert res.total >= 2
    for hit in res:
        assert "平和条約" in hit.title + " ".join(hit.section_path) + hit.text
    same = ix.search("「平和条約」", group_by_document=False)
    assert [h.section_id for h in same] == [h.section_id for h in res]


def test_grouping_one_entry_per_page_with_other_sections(ix):
    res = ix.search("プーチン大統領")
    assert res.total == 2
    assert len({h.doc_id for h in res}) == len(res) == 2
    for hit in res:
        assert hit.other_sections, "each page has several sections naming Putin"
        scores = [o[3] for o in hit.other_sections]
        assert scores == sorted(scores, reverse=True)
        assert all(o[3] <= hit.score for o in hit.other_sections)
        assert hit.section_id not in {o[0] for o in hit.other_sections}
    flat = ix.search("プーチン大統領", group_by_document=False, limit=100)
    assert flat.total == len(flat) == sum(1 + len(h.other_sections) for h in res)


def test_facets_count_both_pages(ix):
    res = ix.search("日露")
    assert res.facets["year"] == {2002: 1, 2004: 1}
    assert sum(res.facets["category"].values()) == 2


def test_section_filter_includes_subsections(ix):
    res = ix.search("協力 section:3", group_by_document=False, limit=50)
    assert res.total > 0
    assert all(h.section == "3" or h.section.startswith("3.") for h in res)
    narrow = ix.search("協力", section="3.(3)", group_by_document=False)
    assert {h.section for h in narrow} == {"3.(3)"}


def test_a_section_filter_finds_a_number_however_the_section_writes_it(tmp_path):
    """The filter normalizes what it is given (``３．（２）`` is ``3.(2)``), but sections were
    indexed with their numbers as written: a hand-made ``３．（２）`` and a statute's
    ``附則(平成15年政令第277号)1`` were found by no spelling of their number, the one shown in
    results included; a number holding ・ was not even a valid filter."""
    from mofasearch import Document, Section
    from tests.conftest import disk_index

    numbers = {
        "w": "３．（２）",
        "s": "附則(平成15年政令第277号)1",
        "t": "附則(平成17年農林水産省・経済産業省令第8号)",
        "m": "別記9様式(甲)",
        "p": "1.(1)",
    }
    docs = [
        Document(f"d{key}", "条約", [Section(f"条約の締結 {key}", number=number, id=key)])
        for key, number in numbers.items()
    ]
    with disk_index(tmp_path, docs) as index:

        def found(section: str) -> set[str]:
            return {h.section_id for h in index.search("条約", section=section)}

        for key, number in numbers.items():
            [hit] = [h for h in index.search(f"条約 {key}", group_by_document=False)][:1]
            assert hit.section == number  # shown as written
            assert found(number) == found(f"§{number}") == {key}, number
        assert found("3.(2)") == found("3") == {"w"}
        assert found("附則.(平成15年政令第277号).1") == {"s"}
        assert found("附則") == {"s", "t"}
        assert found("別記9様式") == {"m"}
        query = index.search("条約 section:附則(平成17年農林水産省・経済産業省令第8号)")
        assert [h.section_id for h in query] == ["t"]


def test_boolean_operators(ix):
    both = ix.search("京都議定書 AND 北朝鮮", group_by_document=False, limit=50)
    for hit in both:
        assert "京都議定書" in hit.text + hit.title and "北朝鮮" in hit.text + hit.title
    without = ix.search("北朝鮮 -京都議定書", group_by_document=False, limit=50)
    assert without.total > 0
    assert all("京都議定書" not in h.text for h in without)
    either = ix.search("京都議定書 OR テロ")
    assert {h.doc_id for h in either} == {PAGE_2002, PAGE_2004}
    full_width = ix.search("京都議定書　ＯＲ　テロ")
    assert [h.section_id for h in full_width] == [h.section_id for h in either]


def test_field_queries(ix):
    res = ix.search("heading:京都議定書", group_by_document=False)
    assert [h.section for h in res] == ["3.(2)"]
    assert {h.doc_id for h in ix.search("title:シーアイランド")} == {PAGE_2004}


def test_prefix_query(ix):
    res = ix.search("平和*", group_by_document=False, limit=50)
    assert res.total > 0


def test_unknown_field_is_text(ix):
    res = ix.search("10:00")
    assert res.reason is None


def test_query_of_nothing_gives_reason(ix):
    res = ix.search("の")
    assert res.total == 0 and not list(res)
    assert res.reason


def test_malformed_query_raises_with_position(ix):
    with pytest.raises(QuerySyntaxError) as info:
        ix.search('京都 "議定書')
    assert info.value.position == 3


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ({"sort": "newest"}, "sort must be one of score, date, -date, not 'newest'"),
        ({"limit": -1}, "limit must be a whole number, 0 or more, not -1"),
        ({"offset": -3}, "offset must be a whole number, 0 or more, not -3"),
        ({"limit": 2.5}, "limit must be a whole number, 0 or more, not 2.5"),
        ({"limit": "ten"}, "limit must be a whole number, not 'ten'"),
        ({"offset": None}, "offset must be a whole number, not None"),
        (
            {"since": "2005-01-01", "until": datetime.date(2003, 1, 1)},
            "since 2005-01-01 is after until 2003-01-01: no date lies between them",
        ),
    ],
)
def test_a_bad_search_argument_is_a_mofasearch_error(ix, argument, message):
    """A caller's mistake, not a silent empty page: a ValueError that is a MofaSearchError."""
    with pytest.raises(QuerySyntaxError) as info:
        ix.search("日露", **argument)
    assert str(info.value) == message
    assert isinstance(info.value, ValueError) and info.value.hint
    assert len(ix.search("日露", limit="2", offset=1.0)) == 1  # whole numbers in any form


def test_paging_is_stable_and_tie_broken(ix):
    everything = ix.search("日露", group_by_document=False, limit=100)
    ids = [h.section_id for h in everything]
    pages = []
    for offset in range(0, len(ids), 3):
        pages.extend(
            h.section_id for h in ix.search("日露", group_by_document=False, limit=3, offset=offset)
        )
    assert pages == ids
    keys = [(-h.score, h.section_id) for h in everything]
    assert keys == sorted(keys)


def test_sort_by_date(ix):
    newest = ix.search("日露", sort="-date")
    assert [h.doc_id for h in newest] == [PAGE_2004, PAGE_2002]
    oldest = ix.search("日露", sort="date")
    assert [h.doc_id for h in oldest] == [PAGE_2002, PAGE_2004]


def test_snippet_marks_the_matched_surface(ix):
    hit = ix.search("京都議定書")[0]
    snippet = hit.snippet
    assert snippet.spans
    for start, end in snippet.spans:
        assert snippet.text[start:end] == "京都議定書"
    assert "<mark>京都議定書</mark>" in snippet.html()


def test_hits_outlive_the_index(corpus, tmp_path):
    index = Index.create(tmp_path / "ix")
    with index.writer() as w:
        for doc in load(corpus):
            w.add(doc)
    res = index.search("京都議定書")
    index.close()
    assert res[0].snippet.spans
    data = res.to_dict()
    assert data["hits"][0]["section"] == "3.(2)"
    assert data["hits"][0]["date"] == "2004-06-10"
    assert set(data) == {"query", "total", "took_ms", "reason", "facets", "hits"}


def test_explain_says_which_hits_only_follow_the_matches(ix):
    """A question with few matches is followed by sections sharing only its characters; explain
    says so instead of leaving a listed hit at "does not match"."""
    query = "プーチン大統領はいつ来日しましたか"
    note = "  (it shares only character bigrams: a search lists it after the matches)"
    kinds = []
    for hit in ix.search(query, group_by_document=False, limit=50):
        lines = ix.explain(query, hit.section_id).splitlines()
        matched = lines[0].startswith(f"{hit.section_id} matches ")
        assert matched == (note not in lines), lines
        kinds.append(matched)
    assert True in kinds and False in kinds
    assert kinds == sorted(kinds, reverse=True)  # every match first, then what follows
    assert note not in ix.explain("京都議定書", ix.search("日露")[0].section_id).splitlines()


def test_explain_names_terms_and_fields(ix):
    hit = ix.search("京都議定書")[0]
    text = ix.explain("京都議定書", hit.section_id)
    assert hit.section_id in text
    assert "  heading:" in text and "  body:" in text
    assert f"{hit.score:.4f}" in text
    parts = [float(line.split()[0]) for line in text.splitlines()[1:]]
    assert sum(parts) == pytest.approx(hit.score, abs=1e-3)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.text(
        alphabet=st.sampled_from(
            list('京都議定書日露のテロ "「」()（）-ＡＮＤORNOT*:：titlesection.date2004')
        )
        | st.characters(),
        max_size=40,
    )
)
def test_any_query_gives_results_or_syntax_error(ix, query):
    try:
        res = ix.search(query)
    except QuerySyntaxError as exc:
        assert 0 <= exc.position <= len(query)
        return
    assert res.total >= len(res)


def test_a_category_filter_selects_any_level_of_the_breadcrumb_trail(tmp_path):
    from mofasearch import Document, Section

    categories = {
        "koizumi": "会談・訪問 › 小泉総理大臣",
        "minister": "会談・訪問 › 外務大臣",
        "economy": "経済",
        "plain": None,
    }
    with Index.create(tmp_path / "index") as index:
        with index.writer() as w:
            for doc_id, category in categories.items():
                section = Section(text="首脳会談で経済協力について話し合った。")
                w.add(Document(id=doc_id, title="会談", sections=[section], category=category))

        def found(**kwargs):
            return sorted(h.doc_id for h in index.search("会談", limit=10, **kwargs))

        assert found(category="会談・訪問") == ["koizumi", "minister"]
        assert found(category="小泉総理大臣") == ["koizumi"]
        assert found(category="会談・訪問 › 小泉総理大臣") == ["koizumi"]
        assert found(category="会談・訪問>小泉総理大臣") == ["koizumi"]  # spaces, ASCII >
        assert found(category="ｹｲｻﾞｲ") == [] and found(category="経済") == ["economy"]
        assert found(category="小泉総理大臣 › 会談・訪問") == []  # levels in their order
        assert found(category="会談") == []  # a level, not a part of one
        assert sorted(h.doc_id for h in index.search("会談 category:外務大臣")) == ["minister"]
        # the facets keep each category's whole trail
        assert index.search("会談").facets["category"] == {
            "会談・訪問 › 小泉総理大臣": 1,
            "会談・訪問 › 外務大臣": 1,
            "経済": 1,
        }


@pytest.mark.parametrize("value", [None, 5, b"\xe6\x97\xa5\xe9\x9c\xb2"])
def test_text_arguments_of_another_type_are_a_type_error_naming_them(ix, value):
    with pytest.raises(TypeError, match="query must be str"):
        ix.search(value)
    with pytest.raises(TypeError, match="section_id must be str"):
        ix.explain("日露", value)
    with pytest.raises(TypeError, match="doc_id must be str"):
        ix.get(value)


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"bm25f_k1": -1}, "bm25f_k1 must be a finite number, 0 or more"),
        ({"default_k1": float("nan")}, "default_k1 must be a finite number"),
        ({"b": {"body": 1.5}}, "b\\['body'\\] must be between 0 and 1"),
        ({"weights": {"title": -2}}, "weights\\['title'\\] must be a finite number"),
        ({"pos_weights": {"名詞": -0.5}}, "pos_weights\\['名詞'\\] must be"),
    ],
)
def test_a_ranking_setting_bm25_cannot_take_is_refused(ix, setting, message):
    """A negative k1 can divide by zero: scores of inf or NaN, which no order sorts."""
    from mofasearch.scoring import RankingConfig

    with pytest.raises(ValueError, match=message):
        RankingConfig(**setting)
    assert ix.search("日露", ranking=RankingConfig(bm25f_k1=0, b={"body": 1})).total > 0
