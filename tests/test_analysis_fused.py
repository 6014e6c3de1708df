"""The main chain's one-loop path yields exactly what Whoosh's composed chain yields.

:class:`~mofasearch.analysis.analyzers.JapaneseAnalyzer` runs the standard head of the chain
as one loop; Whoosh's :class:`~whoosh.analysis.CompositeAnalyzer` over the same items is the
reference. Every token attribute a consumer can read is compared, under every combination of
the token-protocol options, on real passages and on awkward or generated text.
"""

from __future__ import annotations

import itertools
import pickle
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.analysis import CompositeAnalyzer, LowercaseFilter

from mofasearch.analysis import japanese_analyzer
from mofasearch.analysis.analyzers import JapaneseAnalyzer

AWKWARD = [
    "",
    "a",
    "・",
    "の",
    "ｶﾞｷﾞ・テスト ＡＢＣ　１２３ 三日月 ㍻ の は が",
    "北方領土問題について、日露の平和条約。シーアイランド・サミット",
    "２００５年に京都議定書が発効した。\n\n次の文です！何が？",
    "\x00\ud800😀" + "あ" * 300,
]

OPTIONS = [
    dict(zip(("positions", "chars", "removestops", "keeporiginal", "mode"), combo, strict=True))
    for combo in itertools.product(
        (False, True), (False, True), (True, False), (False, True), ("index", "query", "")
    )
]


def _tokens(analyzer, text, **kwargs):
    out = []
    for t in analyzer(text, **kwargs):
        out.append(
            (
                t.text,
                getattr(t, "pos", None) if t.positions else None,
                (t.startchar, t.endchar) if t.chars else None,
                t.stopped,
                t.subword,
                getattr(t, "original", None),
                t.boost,
                t.morph,
            )
        )
    return out


def _reference(analyzer):
    return CompositeAnalyzer(*analyzer.items)


def _assert_same(analyzer, text, **kwargs):
    assert _tokens(analyzer, text, **kwargs) == _tokens(_reference(analyzer), text, **kwargs), (
        text[:40],
        kwargs,
    )


CHAINS = [
    japanese_analyzer(),
    japanese_analyzer(subwords=False),
    japanese_analyzer(query_subwords=True),
    japanese_analyzer("A"),
]


def test_the_main_chain_takes_the_one_loop_path():
    chain = japanese_analyzer()
    assert type(chain) is JapaneseAnalyzer
    # the fused path is a single generator: no filter generators stacked on the tokenizer's
    assert chain("北方領土問題").gi_code.co_name == "_fused_indexing"
    assert chain("北方領土問題", chars=True).gi_code.co_name == "_fused_general"
    assert not _reference(chain)("北方領土問題").gi_code.co_name.startswith("_fused")


@pytest.mark.parametrize("chain", CHAINS, ids=["default", "no-subwords", "query-subwords", "A"])
def test_awkward_text_every_option(chain):
    for text in AWKWARD:
        for kwargs in OPTIONS:
            _assert_same(chain, text, **kwargs)
        _assert_same(chain, text, positions=True, chars=True, start_pos=7, start_char=100)
        _assert_same(chain, text, tokenize=False, positions=True, chars=True)


def test_real_passages(data):
    from benchmarks.data import load_set

    qset = load_set(data, "jaquad")
    texts = [p.text for p in qset.passages[:150]] + [q.text for q in qset.questions[:150]]
    chain = japanese_analyzer()
    for text in texts:
        _assert_same(chain, text, positions=True, mode="index")
        _assert_same(chain, text, positions=True, chars=True, removestops=False, mode="query")


def test_further_filters_run_after_the_loop(tmp_path: Path):
    path = tmp_path / "synonyms.txt"
    path.write_text("日露,ロシア\n", encoding="utf-8")
    with_synonyms = japanese_analyzer(synonyms=[str(path)])
    user_chain = japanese_analyzer() | LowercaseFilter()
    assert type(user_chain) is JapaneseAnalyzer and len(user_chain.items) == 5
    for chain in (with_synonyms, user_chain):
        for text in AWKWARD + ["日露関係とAPEC首脳会議"]:
            for kwargs in OPTIONS[::5]:
                _assert_same(chain, text, **kwargs)
    assert "ロシア" in [t.text for t in with_synonyms("日露関係", mode="query")]


def test_pickle_round_trip_keeps_the_class_and_tokens():
    chain = japanese_analyzer()
    again = pickle.loads(pickle.dumps(chain))
    assert type(again) is JapaneseAnalyzer and again == chain
    text = AWKWARD[5]
    assert _tokens(again, text, positions=True, chars=True) == _tokens(
        chain, text, positions=True, chars=True
    )


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(
        alphabet=st.sampled_from(
            list("日露北方領土問題のはが、。・ 　ＡＢａｂ１２三十ｶﾞアイ?「」\n")
        )
        | st.characters(),
        max_size=60,
    ),
    option=st.sampled_from(OPTIONS),
)
def test_generated_text(text, option):
    _assert_same(CHAINS[0], text, **option)
