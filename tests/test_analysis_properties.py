"""Invariants of the analysis chains, for any ``str`` (hypothesis)."""

from __future__ import annotations

import pickle
import threading
from concurrent.futures import ThreadPoolExecutor

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mofasearch.analysis import (
    analyze,
    bigram_analyzer,
    japanese_analyzer,
    reading_analyzer,
    sudachi,
)
from mofasearch.analysis.normalize import strip_ignorable

JAPANESE = (
    "日露首脳会談北方領土問題非核化十五百二〇のはがをにてでしたするアイランド・サミットＡＰＥＣｶﾞ"
)
texts = st.one_of(
    st.text(max_size=80),
    st.text(alphabet=JAPANESE + " 、。\n", max_size=80),
    st.text(alphabet=JAPANESE + "、\u200b\u200d\ufeff\u00ad\ufe0f\U000e0100", max_size=40),
    st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(JAPANESE), max_size=40),
    st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), max_size=3).flatmap(
        lambda s: st.sampled_from([s + "日露", "日" + s + "露", s])
    ),
)
CHAINS = {
    "main": japanese_analyzer(),
    "main-query": japanese_analyzer(query_subwords=True),
    "reading": reading_analyzer(),
    "reading-bigrams": reading_analyzer(bigrams=True),
    "bigram": bigram_analyzer(),
}
PROPS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def tokens(analyzer, text, mode="index"):  # type: ignore[no-untyped-def]
    return [
        (t.text, t.pos, t.startchar, t.endchar, t.stopped)
        for t in analyzer(text, positions=True, chars=True, removestops=False, mode=mode)
    ]


@PROPS
@given(texts)
def test_never_raises_and_positions_never_decrease(text: str) -> None:
    for analyzer in CHAINS.values():
        for mode in ("index", "query"):
            got = tokens(analyzer, text, mode)
            positions = [p for _, p, _, _, _ in got]
            assert positions == sorted(positions)
            for term, _, start, end, _ in got:
                assert 0 <= start <= end <= len(text)
                assert isinstance(term, str) and term


@PROPS
@given(texts)
def test_units_are_sudachi_surfaces_and_tile_the_text(text: str) -> None:
    units = analyze(text)
    assert "".join(t.surface for t in units) == text
    if text and len(text) < sudachi.MAX_CHUNK_CHARS:
        # Sudachi is shown the text without invisible characters; ``where`` maps back
        clean, where = strip_ignorable(sudachi.sanitize(text))
        if not clean:
            clean, where = sudachi.sanitize(text), None
        at = (lambda i: i) if where is None else where.__getitem__
        ms = sudachi.tokenizer((), "C").tokenize(clean)
        bounds = {0} | {at(m.end()) for m in ms}
        surfaces = {(at(m.begin()), at(m.end())): m.surface() for m in ms}
        for u in units:
            assert u.start in bounds and u.end in bounds
            if (u.start, u.end) in surfaces:  # not a merged lexicalized word
                visible = strip_ignorable(sudachi.sanitize(u.surface))[0] or u.surface
                assert surfaces[(u.start, u.end)] == visible


@PROPS
@given(texts)
def test_subword_offsets_lie_inside_their_unit(text: str) -> None:
    unit = None
    for t in japanese_analyzer()(text, positions=True, chars=True):
        if not t.subword:
            unit = (t.pos, t.startchar, t.endchar)
        else:
            assert unit is not None and t.pos == unit[0]
            assert unit[1] <= t.startchar < t.endchar <= unit[2]


@PROPS
@given(texts)
def test_same_input_same_tokens_and_pickle_round_trip(text: str) -> None:
    for analyzer in CHAINS.values():
        first = tokens(analyzer, text)
        assert tokens(analyzer, text) == first
        assert tokens(pickle.loads(pickle.dumps(analyzer)), text) == first


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(texts, min_size=8, max_size=8))
def test_eight_threads_agree_with_one(batch: list[str]) -> None:
    expected = [[tokens(a, text) for a in CHAINS.values()] for text in batch]
    barrier = threading.Barrier(8)

    def work(i: int) -> list[list[tuple]]:  # type: ignore[type-arg]
        barrier.wait()
        out = []
        for k in range(len(batch)):  # every thread walks every text, starting at its own
            text = batch[(i + k) % len(batch)]
            out.append([tokens(a, text) for a in CHAINS.values()])
        return out[len(batch) - i :] + out[: len(batch) - i]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(8)))
    for got in results:
        assert got == expected
