"""Answer types: a question asking いつ/誰/どこ/いくつ lifts the sections holding such a word."""

from __future__ import annotations

from pathlib import Path

import pytest

from mofasearch import Document, Index, Section
from mofasearch.analysis.answertypes import answer_types, question_type
from mofasearch.scoring import RankingConfig

OFF = RankingConfig(answer_type_weight=0.0)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("日露修好150周年の行事はいつ行われたか", "date"),
        ("条約が署名されたのは何年ですか", "date"),
        ("首脳会談で誰と会ったか", "person"),
        ("会合はどこで開かれたか", "place"),
        ("どの国が参加したか", "place"),
        ("何人が参加したか", "number"),
        ("交渉はどのくらい続いたか", "number"),
        ("交渉は何年間続いたか", "number"),  # a duration is an amount, not a date
        ("いつ、誰が署名したか", "person"),  # the last interrogative decides
        ("日露関係の今後の課題", None),
        ("何が問題か", None),  # 何 alone names no kind
    ],
)
def test_the_interrogative_says_what_kind_of_answer_is_wanted(question: str, kind: str) -> None:
    assert question_type(question) == kind


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("2004年6月10日に発表した。", ["date", "number"]),
        ("平成16年に署名された。", ["date", "number"]),
        ("小泉総理大臣はプーチン大統領と会談した。", ["person"]),
        ("会合は東京で開かれた。", ["place"]),
        ("3人が参加した。", ["number"]),
        ("江戸時代の制度を調べた。", ["date", "place"]),
        ("今後の課題について意見を交換した。", []),
    ],
)
def test_a_text_holds_the_kinds_its_words_are(text: str, kinds: list[str]) -> None:
    assert answer_types(text) == kinds


def _docs() -> list[Document]:
    return [
        Document("with-place", "会合の記録", [Section("会合は東京で開かれた。", id="with-place")]),
        Document(
            "no-place", "会合の記録", [Section("会合は大きな部屋で開かれた。", id="no-place")]
        ),
    ]


def _build(path: Path) -> Index:
    ix = Index.create(path)
    with ix.writer() as w:
        for doc in _docs():
            w.add(doc)
    return ix


def _scores(ix: Index, query: str, ranking: RankingConfig | None = None) -> dict[str, float]:
    kwargs = {} if ranking is None else {"ranking": ranking}
    return {h.section_id: h.score for h in ix.search(query, group_by_document=False, **kwargs)}


def test_a_question_multiplies_the_scores_of_sections_holding_its_kind(tmp_path: Path) -> None:
    with _build(tmp_path / "ix") as ix:
        question = "会合はどこで開かれたか"
        on, off = _scores(ix, question), _scores(ix, question, OFF)
        assert set(on) == set(off) == {"with-place", "no-place"}
        assert on["with-place"] == pytest.approx(off["with-place"] * 1.1, rel=1e-9)
        assert on["no-place"] == pytest.approx(off["no-place"], rel=1e-12)
        weighted = _scores(ix, question, RankingConfig(answer_type_weight=0.5))
        assert weighted["with-place"] == pytest.approx(off["with-place"] * 1.5, rel=1e-9)
        # the same words without an interrogative, or with an operator: no factor
        for query in ("会合 開かれた", "会合 AND どこ"):
            assert _scores(ix, query) == _scores(ix, query, OFF)
        # another kind than the section holds: no factor
        assert _scores(ix, "会合はいつ開かれたか") == _scores(ix, "会合はいつ開かれたか", OFF)


def test_explain_shows_the_factor_and_sums_to_the_score(tmp_path: Path) -> None:
    with _build(tmp_path / "ix") as ix:
        question = "会合はどこで開かれたか"
        score = _scores(ix, question)["with-place"]
        text = ix.explain(question, "with-place")
        assert f"score {score:.4f} = 1.1 (the question asks for a place" in text
        plain = ix.explain(question, "no-place")
        assert "asks for" not in plain
        assert f"score {_scores(ix, question)['no-place']:.4f} = sum of" in plain


def test_an_index_written_before_answer_types_ranks_without_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sections written without the field get no factor and raise nothing; opened by this
    code, the index records the kinds of the sections written from then on."""
    import mofasearch.index as index_module
    from mofasearch import schema

    def without_types():  # type: ignore[no-untyped-def]
        found = schema.build_schema()
        found.remove("answer_types")
        return found

    monkeypatch.setattr(index_module, "build_schema", without_types)
    _build(tmp_path / "old").close()
    monkeypatch.undo()
    question = "会合はどこで開かれたか"
    with Index.open(tmp_path / "old") as old:
        assert _scores(old, question) == _scores(old, question, OFF)
        with old.writer() as w:
            w.add(Document("later", "会合の記録", [Section("会合は大阪で開かれた。", id="later")]))
        on, off = _scores(old, question), _scores(old, question, OFF)
        assert on["later"] == pytest.approx(off["later"] * 1.1, rel=1e-9)
        assert on["with-place"] == pytest.approx(off["with-place"], rel=1e-12)
