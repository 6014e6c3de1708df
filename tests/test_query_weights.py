"""Query word weights: by part of speech (``RankingConfig.pos_weights``), and the A sub-units
of a query's longer units, which score but never match alone (``query_subunits``)."""

from __future__ import annotations

import pytest

from mofasearch import Document, Section
from mofasearch.analysis import japanese_analyzer, pos_weight_table
from mofasearch.analysis.sudachi import pos_names, pos_weights
from mofasearch.scoring import DEFAULT_POS_WEIGHTS, RankingConfig
from tests.conftest import disk_index

OFF = RankingConfig(pos_weights={})
QUESTION = "ラオスで建てられた寺院は？"


def _ids_of(names, wanted):
    return [i for i, pos in enumerate(names) if pos[: len(wanted)] == wanted]


def test_the_longest_matching_tag_wins_and_others_weigh_one():
    names = pos_names(())
    table = pos_weights((), (("名詞", 2.0), ("名詞,固有名詞", 3.0), ("動詞,一般", 0.25)))
    assert len(table) == len(names) + 1 and table[-1] == 1.0  # the whole-value token
    proper = _ids_of(names, ("名詞", "固有名詞"))
    common = _ids_of(names, ("名詞", "普通名詞"))
    verbs = _ids_of(names, ("動詞", "一般"))
    particles = _ids_of(names, ("助詞",))
    assert proper and common and verbs and particles
    assert {table[i] for i in proper} == {3.0}
    assert {table[i] for i in common} == {2.0}
    assert {table[i] for i in verbs} == {0.25}
    assert {table[i] for i in particles} == {1.0}


def test_no_table_without_weights_or_a_sudachi_chain():
    from mofasearch.analysis import bigram_analyzer

    assert pos_weight_table(japanese_analyzer(), ()) is None
    assert pos_weight_table(bigram_analyzer(), DEFAULT_POS_WEIGHTS) is None
    assert pos_weight_table(japanese_analyzer(), DEFAULT_POS_WEIGHTS) is not None


DOCS = [
    Document("a", "記録", [Section("ラオスの寺院は古い。", id="a#1")]),
    Document("b", "記録", [Section("その寺院は百年前に建てられた。", id="b#1")]),
    Document("c", "記録", [Section("川の近くに家がある。", id="c#1")]),
    Document("d", "記録", [Section("山の上に城がある。", id="d#1")]),
    Document("e", "国名", [Section("ポルトガルの国名の名称は長い。", id="e#1")]),
    Document("f", "国名", [Section("ポルトガルの国名は長い。", id="f#1")]),
]


@pytest.fixture(scope="module")
def ix(tmp_path_factory):
    with disk_index(tmp_path_factory.mktemp("pos"), DOCS) as index:
        yield index


def _evaluate(ix, query, config):
    from mofasearch.search import SearchRequest, evaluate

    snap = ix._acquire()  # noqa: SLF001 - the evaluated query is internal
    try:
        return evaluate(snap, snap.schema, SearchRequest(query), config)
    finally:
        snap.release()


def _terms(ix, query, config):
    _, result = _evaluate(ix, query, config)
    return {(name, term): weight for name, term, weight in result.terms if name == "body"}


def test_query_words_get_their_part_of_speech_weight(ix):
    on = _terms(ix, QUESTION, RankingConfig())
    off = _terms(ix, QUESTION, OFF)
    assert off == {("body", "ラオス"): 1.0, ("body", "建てる"): 1.0, ("body", "寺院"): 1.0}
    # a place name x1.5, a verb x0.5, a common noun unchanged
    assert on == {("body", "ラオス"): 1.5, ("body", "建てる"): 0.5, ("body", "寺院"): 1.0}


def test_the_weights_change_the_ranking(ix):
    def ranked(config):
        return [h.section_id for h in ix.search(QUESTION, group_by_document=False, ranking=config)]

    # the section naming the place outranks the one sharing the verb; without the weights
    # the other comes first (both words are as rare, and it shares more of the bigrams)
    assert ranked(RankingConfig()) == ["a#1", "b#1"]
    assert ranked(OFF) == ["b#1", "a#1"]


def test_explain_shows_the_weight_and_still_sums_to_the_score(ix):
    hit = next(iter(ix.search(QUESTION, group_by_document=False)))
    text = ix.explain(QUESTION, hit.section_id)
    assert "body:ラオス  (weight 1.5" in text
    assert f"score {hit.score:.4f}" in text


SUBUNITS = "ポルトガルの正式名称は？"  # 正式名称 is one unit; 正式 and 名称 its A sub-units


def test_sub_units_of_a_query_unit_score_at_the_sub_word_weight(ix):
    on = _terms(ix, SUBUNITS, RankingConfig(pos_weights={}))
    off = _terms(ix, SUBUNITS, RankingConfig(pos_weights={}, query_subunits=False))
    assert off == {("body", "ポルトガル"): 1.0, ("body", "正式名称"): 1.0}
    assert on == {**off, ("body", "正式"): 0.5, ("body", "名称"): 0.5}
    half = _terms(ix, SUBUNITS, RankingConfig(pos_weights={}, subword_weight=0.25))
    assert half[("body", "名称")] == 0.25


def test_sub_units_rank_but_never_match_alone(ix):
    on_mask, _ = _evaluate(ix, "正式名称 OR 城", RankingConfig())
    off_mask, _ = _evaluate(ix, "正式名称 OR 城", RankingConfig(query_subunits=False))
    assert (on_mask == off_mask).all()  # e#1 holds 名称, and still does not match

    def scores(config):
        return {
            h.section_id: h.score
            for h in ix.search(SUBUNITS, group_by_document=False, ranking=config)
        }

    on, off = scores(RankingConfig()), scores(RankingConfig(query_subunits=False))
    assert on.keys() == off.keys()
    assert on["e#1"] > off["e#1"]  # it holds the sub-unit 名称
    assert on["f#1"] == pytest.approx(off["f#1"], abs=1e-12)  # it holds neither
