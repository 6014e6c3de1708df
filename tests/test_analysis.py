"""The analysis chains: token protocol, sub-words and phrases in a real index, normalization,
readings, bigrams, stops, synonyms, user dictionaries, long input, pickling."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from whoosh import fields, index, query
from whoosh.qparser import QueryParser

from mofasearch.analysis import (
    AnalysisSettings,
    AnalyzedToken,
    analyze,
    bigram_analyzer,
    dictionary_version,
    japanese_analyzer,
    phrase_terms,
    question_words,
    reading_analyzer,
)
from mofasearch.errors import MofaSearchError


def terms(analyzer, text, **kw):  # type: ignore[no-untyped-def]
    return [t.text for t in analyzer(text, **kw)]


def full(analyzer, text, **kw):  # type: ignore[no-untyped-def]
    kw.setdefault("positions", True)
    kw.setdefault("chars", True)
    return [(t.text, t.pos, t.startchar, t.endchar) for t in analyzer(text, **kw)]


# --- token protocol -------------------------------------------------------------------------


def test_whole_tokens_with_subwords_at_the_unit_position() -> None:
    assert full(japanese_analyzer(), "北方領土問題について") == [
        ("北方領土", 0, 0, 4),
        ("北方", 0, 0, 2),
        ("領土", 0, 2, 4),
        ("問題", 1, 4, 6),
        ("つく", 2, 7, 9),
    ]


def test_start_pos_and_start_char_shift_everything() -> None:
    got = full(japanese_analyzer(), "北方領土問題", start_pos=10, start_char=100)
    assert got[0] == ("北方領土", 10, 100, 104)
    assert got[-1] == ("問題", 11, 104, 106)


def test_removestops_false_marks_stops_without_taking_positions() -> None:
    toks = [
        (t.text, t.pos, t.stopped, t.startchar, t.endchar)
        for t in japanese_analyzer()("日露の関係", positions=True, chars=True, removestops=False)
    ]
    assert toks == [("日露", 0, False, 0, 2), ("の", 0, True, 2, 3), ("関係", 1, False, 3, 5)]
    kept = terms(japanese_analyzer(), "日露の関係")
    assert kept == ["日露", "関係"]


def test_offsets_point_into_the_original_text_after_normalization() -> None:
    text = "ＡＰＥＣで十五日、ｶﾀｶﾅﾃｽﾄ"
    for t in japanese_analyzer()(text, chars=True):
        assert text[t.startchar : t.endchar]
    got = full(japanese_analyzer(), text)
    assert ("apec", 0, 0, 4) in got
    assert ("15", 1, 5, 7) in got
    assert text[got[-1][2] : got[-1][3]] == "ﾃｽﾄ"


def test_keeporiginal_gives_the_surface() -> None:
    toks = [(t.text, t.original) for t in japanese_analyzer()("ＡＰＥＣ", keeporiginal=True)]
    assert toks == [("apec", "ＡＰＥＣ")]


def test_tokenize_false_gives_the_whole_value() -> None:
    assert terms(japanese_analyzer(), "日露関係", tokenize=False) == ["日露関係"]


def test_query_mode_keeps_subwords_unless_disabled() -> None:
    default = japanese_analyzer()
    assert terms(default, "北方領土", mode="query") == ["北方領土"]
    assert terms(default, "北方領土", mode="index") == ["北方領土", "北方", "領土"]
    on = japanese_analyzer(query_subwords=True)
    assert terms(on, "北方領土", mode="query") == ["北方領土", "北方", "領土"]
    assert terms(japanese_analyzer(subwords=False), "北方領土") == ["北方領土"]
    assert phrase_terms(on, "北方領土問題") == ["北方領土", "問題"]


def test_split_modes() -> None:
    assert terms(japanese_analyzer("A"), "北方領土問題") == ["北方", "領土", "問題"]
    assert terms(japanese_analyzer(mode="c"), "北方領土") == ["北方領土", "北方", "領土"]
    with pytest.raises(MofaSearchError):
        japanese_analyzer("D")


# --- normalization --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("十五日", ["15", "日"]),
        ("二〇〇四年", ["2004", "年"]),
        ("百五十", ["150"]),
        ("ＡＰＥＣ１２３", ["apec", "123"]),
        ("apec首脳会合", ["apec", "首脳", "会合"]),
        ("ｶﾞｽ", ["ガス"]),
    ],
)
def test_normalized_form_width_and_case(text: str, expected: list[str]) -> None:
    assert terms(japanese_analyzer(subwords=False), text) == expected


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("一般に知られる", "一般"),
        ("万一の場合", "万一"),
        ("四国へ行く", "四国"),
        ("十分に検討した", "十分"),
        ("三日月が出た", "三日月"),
        ("十分", "十分"),
        ("三日月", "三日月"),
        ("三位一体の改革", "三位一体"),
    ],
)
def test_lexicalized_words_keep_their_numerals(text: str, word: str) -> None:
    assert word in terms(japanese_analyzer(), text)


def test_minutes_stay_numbers() -> None:
    assert terms(japanese_analyzer(), "十時十分に") == ["10", "時", "10", "分"]


# --- stops ----------------------------------------------------------------------------------


def test_pos_stops_use_level_prefixes() -> None:
    text = "日露は三つの島で"
    assert terms(japanese_analyzer(), text) == ["日露", "3", "つ", "島"]
    no_numerals = japanese_analyzer(stoptags=["助詞", "助動詞", "名詞,数詞"])
    assert terms(no_numerals, text) == ["日露", "つ", "島"]


def test_stop_words_and_question_words() -> None:
    assert terms(japanese_analyzer(), "これは何ですか") == ["何"]
    assert terms(japanese_analyzer(), "誰がどこでいつ") == ["誰", "どこ", "いつ"]
    assert terms(japanese_analyzer(stopwords=[]), "これは何") == ["此れ", "何"]
    words = question_words()
    assert {"何", "誰", "どこ", "いつ"} <= words


def test_a_kanji_sudachi_does_not_know_is_a_word_not_a_stopped_symbol(tmp_path: Path) -> None:
    """Sudachi's character table stops at the Basic Multilingual Plane: 𠮷 (of 𠮷野家) and 𩸽
    came out as symbols, which the chain stops, so they could never be searched for."""
    from mofasearch import Document, Index, Section

    assert terms(japanese_analyzer(), "𩸽の塩焼き") == ["𩸽", "塩焼き"]
    assert terms(japanese_analyzer(), "𠮷野家") == ["𠮷", "野家"]
    assert terms(japanese_analyzer(), "※注意") == ["注意"]  # a real symbol is still stopped
    [token, *_] = analyze("𠮷野家")
    assert (token.surface, token.start, token.end, token.stopped) == ("𠮷", 0, 1, False)
    with Index.create(tmp_path / "ix") as ix:
        with ix.writer() as w:
            w.add(Document("a", "魚", [Section("𩸽の塩焼きを食べた。")]))
            w.add(Document("b", "店", [Section("𠮷野家で食べた。")]))
        for query, expected in (("𩸽", "a#0"), ("𠮷", "b#0")):
            [hit] = ix.search(query)
            assert hit.section_id == expected
            assert hit.snippet.spans == ((0, 1),)


# --- readings, bigrams ----------------------------------------------------------------------


def test_reading_chain_meets_kana_queries() -> None:
    r = reading_analyzer()
    assert terms(r, "日露", mode="query") == terms(r, "にちろ", mode="query") == ["ニチロ"]
    assert terms(r, "プーチン大統領")[0] == terms(r, "ぷーちん", mode="query")[0]
    assert terms(r, "北方領土") == ["ホッポウリョウド", "ホッポウ", "リョウド"]


def test_reading_bigrams_meet_multiword_kana_queries() -> None:
    r = reading_analyzer(bigrams=True)
    query = terms(r, "にちろしゅうこう", mode="query")
    assert query == ["ニチ", "チロ", "ロシ", "シュ", "ュウ", "ウコ", "コウ"]
    assert query == terms(r, "日露修好")
    assert full(r, "日露の修好")[:3] == [("ニチ", 0, 0, 2), ("チロ", 1, 0, 2), ("シュ", 2, 3, 5)]
    assert terms(reading_analyzer(), "にちろしゅうこう", mode="query") == ["ニチロシュウコウ"]


def test_bigrams_bridge_context_and_punctuation() -> None:
    b = bigram_analyzer()
    assert terms(b, "シーアイランド・サミット") == terms(b, "シーアイランドサミット")
    assert set(terms(b, "非核化")) <= set(terms(b, "完全な非核化に向けて"))
    assert full(b, "核、非核") == [("核", 0, 0, 1), ("非核", 1, 2, 4)]
    assert full(b, "ｶﾞｽ") == [("ガス", 0, 0, 3)]


# --- a real index on disk -------------------------------------------------------------------


@pytest.fixture()
def ix(tmp_path: Path):  # type: ignore[no-untyped-def]
    schema = fields.Schema(
        id=fields.ID(stored=True),
        body=fields.TEXT(analyzer=japanese_analyzer()),
        reading=fields.TEXT(analyzer=reading_analyzer()),
        bigram=fields.TEXT(analyzer=bigram_analyzer()),
    )
    ix = index.create_in(str(tmp_path), schema)
    docs = {
        "1": "北方領土問題の解決に向けて協議した。",
        "2": "日露修好150周年を記念する。",
        "3": "プーチン大統領と会談した。",
        "4": "完全な非核化に向けて努力する。",
        "5": "シーアイランド・サミットの際に会談した。",
    }
    with ix.writer() as w:
        for key, text in docs.items():
            w.add_document(id=key, body=text, reading=text, bigram=text)
    yield ix
    ix.close()


def search_ids(ix, q) -> set[str]:  # type: ignore[no-untyped-def]
    with ix.searcher() as s:
        return {hit["id"] for hit in s.search(q, limit=None)}


def test_phrase_queries_of_both_granularities(ix) -> None:  # type: ignore[no-untyped-def]
    an = japanese_analyzer()
    assert search_ids(ix, query.Phrase("body", phrase_terms(an, "北方領土問題"))) == {"1"}
    assert search_ids(ix, query.Phrase("body", ["領土", "問題"])) == {"1"}
    assert search_ids(ix, query.Term("body", "北方")) == {"1"}
    assert search_ids(ix, query.Phrase("body", ["問題", "北方"])) == set()
    # the query parser analyzes a Japanese run as the main chain does
    qp = QueryParser("body", ix.schema)
    assert search_ids(ix, qp.parse('"北方領土問題"')) == {"1"}


def test_reading_and_bigram_fields(ix) -> None:  # type: ignore[no-untyped-def]
    r = reading_analyzer()
    for kana, expected in (("にちろ", "2"), ("ぷーちん", "3")):
        q = query.And([query.Term("reading", t) for t in terms(r, kana, mode="query")])
        assert search_ids(ix, q) == {expected}
    b = bigram_analyzer()
    for text, expected in (("シーアイランドサミット", "5"), ("非核化", "4")):
        q = query.Phrase("bigram", terms(b, text))
        assert search_ids(ix, q) == {expected}


# --- synonyms, user dictionaries -----------------------------------------------------------


def test_simple_synonyms_expand_at_query_time_only(tmp_path: Path) -> None:
    path = tmp_path / "syn.txt"
    path.write_text("# comment\n首脳, トップ\nＡＰＥＣ => アジア太平洋経済協力\n", encoding="utf-8")
    an = japanese_analyzer(synonyms=[str(path)])
    assert terms(an, "首脳会談") == ["首脳", "会談"]
    got = [(t.text, t.pos) for t in an("首脳会談", positions=True, mode="query")]
    assert got == [("首脳", 0), ("トップ", 0), ("会談", 1)]
    assert "首脳" in terms(an, "トップ", mode="query")
    # a multi-unit synonym adds each of its units at the position
    got = [(t.text, t.pos) for t in an("apec", positions=True, mode="query")]
    assert got == [("apec", 0), ("アジア", 0), ("太平洋", 0), ("経済", 0), ("協力", 0)]
    assert "apec" not in terms(an, "アジア太平洋経済協力", mode="query")


def test_sudachi_synonym_csv(tmp_path: Path) -> None:
    path = tmp_path / "synonyms.txt"
    path.write_text(
        "000001,1,0,1,0,0,0,(IT),曖昧検索,,\n"
        "000001,1,0,1,0,0,2,(IT),あいまい検索,,\n"
        "000001,1,1,2,0,0,0,(IT),ファジー検索,,\n"
        "000001,1,2,2,0,0,2,(IT),ファジーサーチ,,\n"
        "\n"
        "000002,1,0,1,0,0,0,,外務省,,\n"
        "000002,1,0,1,0,1,0,,MOFA,,\n",
        encoding="utf-8",
    )
    an = japanese_analyzer(synonyms=[str(path)])
    got = terms(an, "外務省", mode="query")
    assert "mofa" in got
    assert "外務省" in terms(an, "mofa", mode="query")
    fuzzy = terms(japanese_analyzer(), "ファジー検索", mode="query")
    # flag 1 is a target only, flag 2 never used
    assert not set(fuzzy) & {"ファジーサーチ"}
    assert "ファジーサーチ" not in terms(an, "曖昧検索", mode="query")


def test_bad_synonym_file_is_a_mofasearch_error(tmp_path: Path) -> None:
    an = japanese_analyzer(synonyms=[str(tmp_path / "missing.txt")])
    with pytest.raises(MofaSearchError):
        terms(an, "日露", mode="query")


def test_user_dictionary(tmp_path: Path) -> None:
    import sudachidict_core

    system = Path(sudachidict_core.__file__).parent / "resources" / "system.dic"
    csv = tmp_path / "user.csv"
    csv.write_text(
        "日露修好,4786,4786,5000,日露修好,名詞,固有名詞,一般,*,*,*,"
        "ニチロシュウコウ,日露修好,*,C,*,*,*,*\n",
        encoding="utf-8",
    )
    out = tmp_path / "user.dic"
    subprocess.run(
        [Path(sys.executable).parent / "sudachipy", "ubuild", "-s", system, "-o", out, csv],
        check=True,
        capture_output=True,
    )
    assert terms(japanese_analyzer(), "日露修好")[:2] == ["日露", "修好"]
    an = japanese_analyzer(user_dictionaries=[str(out)])
    assert terms(an, "日露修好150周年") == ["日露修好", "150", "周年"]
    with pytest.raises(MofaSearchError):
        terms(japanese_analyzer(user_dictionaries=[str(tmp_path / "nope.dic")]), "日露")


# --- robustness, pickling, analyze() ---------------------------------------------------------


def test_long_input_is_chunked_with_shifted_offsets() -> None:
    sentence = "日露首脳会談が行われた。"
    text = sentence * 6000  # 72,000 characters, over 200,000 UTF-8 bytes
    toks = [(t.text, t.startchar, t.endchar) for t in japanese_analyzer()(text, chars=True)]
    per = len(terms(japanese_analyzer(), sentence))
    assert len(toks) == per * 6000
    assert [t for t, _, _ in toks[-per:]] == terms(japanese_analyzer(), sentence)
    for _, start, end in toks[-per:]:
        assert text[start:end] in sentence
    last_end = [t.endchar for t in japanese_analyzer()(sentence, chars=True)][-1]
    assert toks[-1][2] == len(text) - len(sentence) + last_end


def test_hostile_input_gives_tokens_or_nothing() -> None:
    for text in ["", "\x00\x07", "\ud800日露\udfff", "😀👍🏽テスト", "あ" * 100_000, " " * 50]:
        for an in (japanese_analyzer(), reading_analyzer(), bigram_analyzer()):
            list(an(text, positions=True, chars=True, removestops=False))
    got = full(japanese_analyzer(), "\ud800日露")
    assert got == [("日露", 0, 1, 3)]


def test_analyzers_pickle_as_settings() -> None:
    for an in (japanese_analyzer(synonyms=()), reading_analyzer(), bigram_analyzer()):
        data = pickle.dumps(an)
        assert b"sudachipy" not in data
        back = pickle.loads(data)
        assert back == an
        assert terms(back, "北方領土問題") == terms(an, "北方領土問題")


def test_settings_fingerprint() -> None:
    base = AnalysisSettings()
    assert base.fingerprint() == AnalysisSettings(mode="c").fingerprint()
    assert base.fingerprint() != AnalysisSettings(mode="A").fingerprint()
    assert base.fingerprint() != AnalysisSettings(stopwords=()).fingerprint()
    assert "sudachidict-core" in dictionary_version()
    assert pickle.loads(pickle.dumps(base)) == base


def test_analyze_shows_every_unit() -> None:
    toks = analyze("北方領土問題について")
    assert toks[0] == AnalyzedToken(
        surface="北方領土",
        terms=("北方領土", "北方", "領土"),
        reading="ホッポウリョウド",
        part_of_speech=("名詞", "普通名詞", "一般", "*", "*", "*"),
        position=0,
        start=0,
        end=4,
    )
    stopped = [t for t in toks if t.stopped]
    assert stopped and all(t.terms == () and t.position is None for t in stopped)
    assert [t.surface for t in toks] == ["北方領土", "問題", "に", "つい", "て"]
    assert json.loads(json.dumps(toks[0].to_dict()))["terms"] == ["北方領土", "北方", "領土"]
    assert [t.term for t in analyze("北方領土", mode="A")] == ["北方", "領土"]


def test_greek_letters_are_words_and_other_symbols_are_stopped():
    # Sudachi tags α, β, μ as 記号,文字: letters of words (α線, β版, μm), not punctuation
    a = japanese_analyzer()
    assert terms(a, "α線とβ版") == ["α", "線", "β", "版"]
    assert "ω" in terms(a, "Ω")  # folded to lower case, as Latin letters are
    assert terms(a, "※注意〒") == ["注意"]


def test_one_stop_tag_or_word_given_as_a_string_is_one_not_its_characters():
    # stoptags="助詞" stopped tags starting with 助 or 詞 (neither is a tag): nothing at all
    one = AnalysisSettings(stoptags="助詞", stopwords="日本")
    assert one.stoptags == ("助詞",) and one.stopwords == ("日本",)
    assert one == AnalysisSettings(stoptags=["助詞"], stopwords=("日本",))
    assert terms(japanese_analyzer(settings=one), "日本は京都へ行く") == ["京都", "行く"]
    direct = japanese_analyzer(stoptags="助詞", stopwords="日本")
    assert terms(direct, "日本は京都へ行く") == ["京都", "行く"]
