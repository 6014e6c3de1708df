"""Every construct of the README's query language, checked by the sections it matches.

A small index of hand-made documents whose right answer is known for each query: the documented
forms, their full-width spellings, mixed scripts, combinations of negation, fields and groups,
and queries whose answer must not depend on sections deleted but not yet merged away.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mofasearch import Document, Section
from mofasearch.errors import QuerySyntaxError
from tests.conftest import disk_index

D = dt.date

DOCS = [
    Document(
        "kyoto",
        "記録",
        [
            Section("日本は京都議定書を批准した。", heading="京都議定書", number="1", id="k1"),
            Section("米国は京都議定書から離脱した。", heading="米国の立場", number="2", id="k2"),
            Section("温暖化対策を議論した。", heading="温暖化", number="2.(1)", id="k3"),
        ],
        date=D(2004, 6, 10),
        category="会談・訪問 › 小泉総理大臣",
    ),
    Document(
        "osaka",
        "日露首脳会談",
        [
            Section(
                "日露の関係について首脳が大阪で会談した。", heading="日露関係", number="1", id="o1"
            ),
            Section("日露修好150周年を祝った。", heading="記念行事", number="3", id="o2"),
            Section("G8サミットでの協力を確認した。", heading="Ｇ８", number="3.(2)", id="o3"),
        ],
        date=D(2003, 1, 15),
        category="会談・訪問 › 森総理大臣",
    ),
    Document(
        "notes",
        "記録",
        [
            Section("北朝鮮の非核化と平和条約を議論した。", heading="非核化", number="1", id="n1"),
            Section("日露関係と日露修好条約。", number="2", id="n2"),
            Section(
                "賛成または反対の意見、AND と OR と NOT の話。", heading="用語", number="3", id="n3"
            ),
        ],
    ),
]
ALL = {"k1", "k2", "k3", "o1", "o2", "o3", "n1", "n2", "n3"}


@pytest.fixture(scope="module")
def ix(tmp_path_factory):
    with disk_index(tmp_path_factory.mktemp("semantics"), DOCS) as index:
        yield index


def ids(index, query: str) -> set[str]:  # type: ignore[no-untyped-def]
    res = index.search(query, group_by_document=False, limit=100)
    found = {hit.section_id for hit in res}
    assert res.total == len(found)
    return found


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # operators, and their full-width spellings
        ("京都議定書 AND 批准", {"k1"}),
        ("京都議定書 ＡＮＤ 批准", {"k1"}),
        ("京都議定書\u3000ＡＮＤ\u3000批准", {"k1"}),
        ("米国 OR 温暖化", {"k2", "k3"}),
        ("米国 ＯＲ 温暖化", {"k2", "k3"}),
        ("京都議定書 NOT 米国", {"k1"}),
        ("京都議定書 ＮＯＴ 米国", {"k1"}),
        ("京都議定書 -米国", {"k1"}),
        ("京都議定書 －米国", {"k1"}),
        # only upper-case whole words are operators: these are words of the text
        ("NOTE", {"n3"}),
        ("and", {"n3"}),
        # a negated compound is excluded as written, as a phrase
        ("日露 -日露修好", {"o1", "o3"}),
        ("-日露修好", ALL - {"o2", "n2"}),
        # quoted phrases; stop words and punctuation between the words do not count
        ('"日露修好"', {"o2", "n2"}),
        ("「日露修好」", {"o2", "n2"}),
        ("“日露修好”", {"o2", "n2"}),
        ("『日露修好』", {"o2", "n2"}),
        ('"日露関係"', {"o1", "n2"}),
        ('"日露の関係"', {"o1", "n2"}),
        ('"日露、関係"', {"o1", "n2"}),
        # groups
        ("(米国 OR 大阪) AND 会談", {"o1"}),
        ("（米国 ＯＲ 大阪） ＡＮＤ 会談", {"o1"}),
        ("議論 -(米国 OR 温暖化)", {"n1"}),
        ("京都議定書 (-米国 OR 批准)", {"k1"}),
        ("米国 (-議定書 OR 離脱)", {"k2"}),
        ("(京都議定書 -米国) OR 非核化", {"k1", "n1"}),
        ("-(米国 OR 日露)", {"k1", "k3", "n1", "n3"}),
        ("NOT NOT 米国", {"k2"}),
        # prefixes
        ("議定*", {"k1", "k2"}),
        ("議定＊", {"k1", "k2"}),
        ("平和条*", {"n1"}),
        ("-平和条*", ALL - {"n1"}),
        # text fields, on words, phrases, prefixes and groups
        ("title:日露", {"o1", "o2", "o3"}),
        ("ｔｉｔｌｅ：日露", {"o1", "o2", "o3"}),
        ('title:"日露首脳会談"', {"o1", "o2", "o3"}),
        ("heading:(京都 OR 非核化)", {"k1", "n1"}),
        ("heading:（京都 ＯＲ 非核化）", {"k1", "n1"}),
        ("heading:「日露の関係」", {"o1"}),
        ("heading:京都議*", {"k1"}),
        ("heading:(京都 -議定書)", set()),
        ("heading:(-京都)", ALL - {"k1"}),
        ("-heading:京都議*", ALL - {"k1"}),
        ("-title:(日* OR 大阪)", {"k1", "k2", "k3", "n1", "n2", "n3"}),
        ("title:日露 heading:Ｇ８", {"o3"}),
        # a minus after the colon negates the field's value
        ("title:-日露", ALL - {"o1", "o2", "o3"}),
        ("title:－日露", ALL - {"o1", "o2", "o3"}),
        ("京都議定書 heading:-京都", {"k2"}),
        ('heading:-"日露の関係"', ALL - {"o1"}),
        ("heading:-(京都 OR 非核化)", ALL - {"k1", "n1"}),
        ("heading:-京都議*", ALL - {"k1"}),
        ("date:-2004", {"o1", "o2", "o3", "n1", "n2", "n3"}),
        ("section:-3", {"k1", "k2", "k3", "o1", "n1", "n2"}),
        ("title:日露 OR heading:京都", {"k1", "o1", "o2", "o3"}),
        # sections: the number and its subsections, full-width too
        ("section:3", {"o2", "o3", "n3"}),
        ("section:3.(2)", {"o3"}),
        ("section:３．（２）", {"o3"}),
        ("section:§3.(2)", {"o3"}),
        ("section:2", {"k2", "k3", "n2"}),
        ("-section:3", {"k1", "k2", "k3", "o1", "n1", "n2"}),
        # categories: any level or run of levels of the breadcrumb trail
        ("category:会談・訪問", {"k1", "k2", "k3", "o1", "o2", "o3"}),
        ("category:小泉総理大臣", {"k1", "k2", "k3"}),
        ('category:"会談・訪問 › 小泉総理大臣"', {"k1", "k2", "k3"}),
        ("category:会談･訪問", {"k1", "k2", "k3", "o1", "o2", "o3"}),
        ("category:会談", set()),
        # dates: years, months, days, eras, ranges (inclusive); undated documents never match
        ("date:2004", {"k1", "k2", "k3"}),
        ("date:2004-06", {"k1", "k2", "k3"}),
        ("date:2004-06-10", {"k1", "k2", "k3"}),
        ("date:2004-06-11", set()),
        ("date:平成16", {"k1", "k2", "k3"}),
        ("date:平成16年6月", {"k1", "k2", "k3"}),
        ("date:H16", {"k1", "k2", "k3"}),
        ("date:2002-01-01..2003-12-31", {"o1", "o2", "o3"}),
        ("date:2003..2005", {"k1", "k2", "k3", "o1", "o2", "o3"}),
        ("date:..2003-01-15", {"o1", "o2", "o3"}),
        ("date:2004-06-10..", {"k1", "k2", "k3"}),
        ("date:2003〜2003", {"o1", "o2", "o3"}),
        ("date:2004.6.10", {"k1", "k2", "k3"}),
        ("date:H16.6.10", {"k1", "k2", "k3"}),
        ("date:平成16.06", {"k1", "k2", "k3"}),
        ("date:2004/6/10", {"k1", "k2", "k3"}),
        ("date:2003-2004", {"k1", "k2", "k3", "o1", "o2", "o3"}),
        ("date:２００２－２００３", {"o1", "o2", "o3"}),
        ("date:２００３～２００３", {"o1", "o2", "o3"}),
        ("-date:2004", {"o1", "o2", "o3", "n1", "n2", "n3"}),
        ("京都議定書 date:2003", set()),
        ("京都議定書 OR date:2003", {"k1", "k2", "o1", "o2", "o3"}),
        # mixed scripts and widths
        ("150周年", {"o2"}),
        ("１５０周年", {"o2"}),
        ("G8", {"o3"}),
        ("Ｇ８", {"o3"}),
        ("heading:G8", {"o3"}),
        ('"Ｇ８サミット"', {"o3"}),
        ("ｇ８*", {"o3"}),
        ('"修好150"', {"o2"}),
        # prose: the quoted phrases must match, the text only ranks
        ("「日露」の「関係」", {"o1", "n2"}),
        ('"日露" "米国"', set()),
    ],
)
def test_each_documented_form_matches_exactly_its_sections(ix, query, expected):
    assert ids(ix, query) == expected


@pytest.mark.parametrize("query", ["の", "「の」", '"、"', "-", "-の", "title:の"])
def test_a_query_of_stop_words_only_finds_nothing_and_says_why(ix, query):
    res = ix.search(query)
    assert (res.total, list(res)) == (0, [])
    assert res.reason is not None


@pytest.mark.parametrize(
    ("query", "without"),
    [("京都議定書 AND の", "京都議定書"), ("京都議定書 -の", "京都議定書"), ("の OR 米国", "米国")],
)
def test_a_stop_word_operand_neither_matches_nor_excludes(ix, query, without):
    assert ids(ix, query) == ids(ix, without)


def test_a_query_of_only_a_negation_finds_every_other_section(ix):
    assert ids(ix, "-米国") == ids(ix, "NOT 米国") == ALL - {"k2"}


@pytest.mark.parametrize(
    ("query", "position"),
    [
        ("AND OR NOT", 0),
        ("NOT NOT", 4),
        ("京都 AND （）", 7),
        ("京都 NOT （米国", 7),
        ("-()", 1),
        ("heading:()", 8),
        ('京都 "米国', 3),
        ("京都 AND 「」", 7),
        ("-title:", 1),
        ("date:2004..2003", 5),
        ("date:2004-2003", 5),
        ("date:2004.13", 5),
        ("title:京都*)", 9),
    ],
)
def test_a_malformed_query_is_a_syntax_error_at_the_problem(ix, query, position):
    with pytest.raises(QuerySyntaxError) as info:
        ix.search(query)
    assert info.value.position == position


SOUP = st.lists(
    st.sampled_from(
        list('()（）"“”「」『』:：*＊-－ \u3000~〜.．')
        + ["AND", "OR", "NOT", "ＡＮＤ", "ＯＲ", "ＮＯＴ", "title:", "heading:", "section:"]
        + ["category:", "date:", "ｔｉｔｌｅ：", "body:", "京都", "議定書", "米国", "日露", "の"]
        + ["、", "2004", "平成16", "3.(2)", "..", "›", "§", "G8", "Ｇ８", "150周年", "何", "ﾆﾁﾛ"]
    ),
    max_size=12,
).map("".join)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(SOUP)
def test_searching_any_query_returns_results_or_raises_a_syntax_error(ix, query):
    try:
        ix.search(query, limit=3)
    except QuerySyntaxError as exc:
        assert 0 <= exc.position <= len(query)


# -- what was fixed -----------------------------------------------------------------------------


def test_half_width_katakana_matches_by_reading_like_full_width(ix):
    # ﾆﾁﾛ is ニチロ folded to full width: the same reading of 日露, the same sections and scores
    full = ix.search("ニチロ", group_by_document=False, limit=100)
    half = ix.search("ﾆﾁﾛ", group_by_document=False, limit=100)
    assert {hit.section_id for hit in full} == {"o1", "o2", "o3", "n2"}
    assert [(h.section_id, h.score) for h in half] == [(h.section_id, h.score) for h in full]


@pytest.mark.parametrize("kana", ["にちろ", "ニチロ", "ﾆﾁﾛ"])
def test_a_negated_kana_word_excludes_what_the_word_matches(ix, kana):
    # にちろ matches 日露 by reading, so -にちろ must leave out those very sections
    matched = ids(ix, kana)
    assert matched == {"o1", "o2", "o3", "n2"}
    assert ids(ix, f"-{kana}") == ALL - matched
    assert ids(ix, f"議論 -{kana}") == {"k3", "n1"}


REPLACED = [
    Document("a", "記録", [Section("中国と京都議定書について話した。", id="a#1")]),
    Document("b", "記録", [Section("京都議定書を批准した。", id="b#1")]),
    Document("c", "記録", [Section("東京都府中市に住んでいる。", id="c#1")]),
    Document("d", "記録", [Section("京都府の知事が来た。", id="d#1")]),
]
#: the same index as REPLACED after the change below, built fresh
CHANGED = [
    Document("a", "記録", [Section("韓国と京都議定書について話した。", id="a#1")]),
    *REPLACED[1:3],
]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # a prose quote found in no live section only ranks: 中国 was only in the old a#1
        ("京都議定書「中国」", {"a#1", "b#1"}),
        # no live section holds the word 京都府 (the old d#1 did): its bigrams match
        ("京都府 -米国", {"c#1"}),
        ("京都府 OR 米国", {"c#1"}),
    ],
)
def test_sections_deleted_but_not_merged_away_do_not_change_a_match(tmp_path, query, expected):
    with disk_index(tmp_path / "fresh", CHANGED) as fresh:
        assert ids(fresh, query) == expected
    with disk_index(tmp_path / "changed", REPLACED) as index:
        with index.writer() as w:
            w.add(CHANGED[0])
            w.delete("d")
        assert ids(index, query) == expected


@pytest.mark.parametrize("query", ["の", "の は", "のは", "は が を", "の AND は", "は"])
def test_particles_alone_are_no_words_by_reading_either(ix, query):
    # は is a particle, not 葉 or 派 read as ハ: nothing to search, and the reason says so
    res = ix.search(query)
    assert res.total == 0 and res.reason is not None
    assert ids(ix, f"日露 -{query.split()[0]}") == ids(ix, "日露")
