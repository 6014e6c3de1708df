"""The benchmark harness: metric definitions, data checks, and an end-to-end smoke run on a tiny
slice of the real data (seconds), so the harness never rots."""

from __future__ import annotations

import json
import math
import shutil
import statistics
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchmarks import data as D
from benchmarks import metrics, suite
from benchmarks.peers import SLOW_TIMED_QUESTIONS, engine
from benchmarks.report import markdown
from benchmarks.run import arguments, main, make_engines, parse_options
from benchmarks.terms import chunks, sudachi_terms

# --- metrics ---------------------------------------------------------------------------------


def test_reciprocal_rank_is_one_over_the_first_relevant_rank_within_the_cut():
    assert metrics.reciprocal_rank(["a", "b", "c"], {"c"}) == pytest.approx(1 / 3)
    assert metrics.reciprocal_rank(["a", "b", "c"], {"b", "c"}) == 0.5
    assert metrics.reciprocal_rank([str(i) for i in range(20)], {"10"}, k=10) == 0.0
    assert metrics.reciprocal_rank([], {"a"}) == 0.0


def test_ndcg_matches_hand_computed_values():
    assert metrics.ndcg(["a"], {"a"}) == 1.0
    assert metrics.ndcg(["x", "a"], {"a"}) == pytest.approx(1 / math.log2(3))
    # two relevant, found at ranks 1 and 3: (1 + 1/log2 4) / (1 + 1/log2 3)
    want = (1 + 1 / 2) / (1 + 1 / math.log2(3))
    assert metrics.ndcg(["a", "x", "b"], {"a", "b"}) == pytest.approx(want)
    assert metrics.ndcg(["a", "a"], {"a", "b"}) == pytest.approx(1 / (1 + 1 / math.log2(3)))


def test_recall_counts_the_share_of_relevant_found():
    assert metrics.recall(["a", "x", "b"], {"a", "b", "c", "d"}, 10) == 0.5
    assert metrics.recall(["x"] * 10 + ["a"], {"a"}, 10) == 0.0
    assert metrics.recall(["x"] * 10 + ["a"], {"a"}, 100) == 1.0


def test_evaluate_counts_an_unanswered_question_as_zero():
    scores = metrics.evaluate({"q1": ["a"]}, {"q1": ["a"], "q2": ["b"]})
    assert scores == {"mrr@10": 0.5, "ndcg@10": 0.5, "recall@10": 0.5, "recall@100": 0.5}
    with pytest.raises(ValueError):
        metrics.evaluate({}, {"q": []})
    with pytest.raises(ValueError):
        metrics.evaluate({}, {})


@given(
    st.lists(st.sampled_from("abcdefgh"), max_size=12), st.sets(st.sampled_from("abcd"), min_size=1)
)
def test_metrics_are_bounded_and_perfect_rankings_score_one(ranked, relevant):
    for value in (
        metrics.reciprocal_rank(ranked, relevant),
        metrics.ndcg(ranked, relevant),
        metrics.recall(ranked, relevant, 10),
    ):
        assert 0.0 <= value <= 1.0 + 1e-12
    perfect = sorted(relevant)
    assert metrics.reciprocal_rank(perfect, relevant) == 1.0
    assert metrics.ndcg(perfect, relevant) == pytest.approx(1.0)
    assert metrics.recall(perfect, relevant, 10) == 1.0


# --- analysis helpers and options --------------------------------------------------------------


@given(st.text(alphabet="あい。\n漢字ab ", max_size=300), st.integers(min_value=1, max_value=40))
def test_chunks_rebuild_the_text_and_respect_the_size(text, size):
    pieces = list(chunks(text, size))
    assert "".join(pieces) == text
    assert all(0 < len(p) <= size for p in pieces)


def test_sudachi_terms_are_normalized_and_drop_particles():
    terms = sudachi_terms("日露首脳会談が行われた。")
    assert "が" not in terms and "。" not in terms
    assert "会談" in terms or "首脳会談" in terms
    assert sudachi_terms("シュミレーション") == ["シミュレーション"]  # normalized form


def test_mofa_options_parse_json_values_and_keep_strings():
    assert parse_options(["writer.jobs=2", "search.mode=fast", "x=true"]) == {
        "writer.jobs": 2,
        "search.mode": "fast",
        "x": True,
    }
    with pytest.raises(SystemExit):
        parse_options(["novalue"])


# --- data ----------------------------------------------------------------------------------------


def test_statute_split_keeps_every_character_of_the_body(data):
    path = D.statute_files(data)[0]
    page = path.read_bytes().decode("cp932")
    sections = D.split_statute(page, path.stem)
    assert len(sections) > 1 and sections[1].heading.startswith("第")
    whole = D.plain_text(page[page.upper().index("</TITLE>") + 8 :]).replace("\n", "")
    joined = "".join(s.text for s in sections).replace("\n", "")
    assert joined == whole
    assert len({s.id for s in sections}) == len(sections)


def test_a_set_with_missing_text_fails_its_count_check(data, tmp_path):
    folder = tmp_path / D.SETS["lawqa"].folder
    folder.mkdir()
    source = data / D.SETS["lawqa"].folder
    lines = (source / "passages.jsonl").read_text(encoding="utf-8").splitlines()
    (folder / "passages.jsonl").write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    shutil.copy(source / "queries.jsonl", folder / "queries.jsonl")
    with pytest.raises(D.DataError, match="lawqa passages: expected 114, found 113"):
        D.load_set(tmp_path, "lawqa")


def test_cut_keeps_the_passages_the_kept_questions_need(data):
    qset = D.load_set(data, "jsquad", questions=10, passages=50)
    ids = {p.id for p in qset.passages}
    assert len(qset.passages) == 50 and len(qset.questions) == 10
    assert all(r in ids for q in qset.questions for r in q.relevant)


@pytest.mark.skipif(shutil.which("groonga") is None, reason="groonga not installed")
def test_an_engine_that_drops_sections_fails_the_run(data, tmp_path):
    # Groonga keys passages by id: a repeated id silently keeps one row, which must not pass.
    passages = D.load_set(data, "lawqa").passages[:5]
    passages.append(passages[0])
    with pytest.raises(suite.CountError, match="indexed 5 sections of 6"):
        suite.index_corpus("dup", passages, [engine("groonga-bigram")], tmp_path)


# --- end to end ----------------------------------------------------------------------------------


def test_smoke_run_writes_json_and_markdown(data, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(suite, "SHORT_BUILD_RUNS", 2)  # every compared build here: two each
    # peers from the standard library and the core dependencies, so the smoke run needs no extra
    engines = ["fts5-trigram", "fts5-sudachi", "whoosh-sudachi"]
    if engine("mofasearch").missing() is None:
        engines += ["mofasearch", "mofasearch+grouped"]
    argv = [
        "--data",
        str(data),
        "--sets",
        "lawqa",
        "--questions",
        "12",
        "--passages",
        "40",
        "--engines",
        ",".join(engines),
        "--statutes",
        "--statute-files",
        "2",
        "--scale",
        "--scale-sizes",
        "60",
        "--scale-engines",
        "whoosh-sudachi,mofasearch+grouped",
        "--mofa-variant",
        "jobs2:writer.jobs=2",
        "--out",
        str(tmp_path),
        "--no-plots",
    ]
    assert main(argv) == 0
    (found,) = tmp_path.glob("run-*.json")
    results = json.loads(found.read_text())
    assert not list(tmp_path.glob("work-*")), "the work folder is removed"
    assert set(results["corpora"]) == {"lawqa", "statutes", "scale-60"}
    lawqa = results["corpora"]["lawqa"]
    assert lawqa["sections"] == 40 and lawqa["analysis"]["morphemes"] > 1000
    for name in (e for e in engines if e != "mofasearch+grouped"):  # timed on mofasearch's
        build = lawqa["builds"][name]
        assert build["count"] == 40 and build["seconds"] > 0 and build["size_bytes"] > 0
        if name in ("whoosh-sudachi", "mofasearch"):  # the builds the targets compare
            runs = build["runs"]
            assert len(runs) == 2 and build["own_seconds"] == statistics.median(runs)
        else:
            assert "runs" not in build
        assert build["peak_rss"] >= build["rss_baseline"] > 0
        # every engine is timed on the 12 (a slow peer on its first SLOW_TIMED_QUESTIONS)
        assert results["sets"]["lawqa"]["latency"][name]["n"] == 12
        q = results["sets"]["lawqa"]["quality"][name]
        assert q["n"] == 12 and 0.2 < q["mrr@10"] <= q["recall@10"] <= q["recall@100"] <= 1
    assert lawqa["builds"]["fts5-sudachi"]["includes_terms_pass"] is True
    if "mofasearch" in engines:  # the writer-only variant is built and not asked
        # the grouped search is timed on mofasearch's index, and in the scale series
        assert results["sets"]["lawqa"]["latency"]["mofasearch+grouped"]["n"] == 12
        assert "mofasearch+grouped" not in results["sets"]["lawqa"]["quality"]
        assert results["corpora"]["scale-60"]["queries"]["mofasearch+grouped"]["n"] > 0
        # ... and reported in the scale table, on mofasearch's index (no build of its own)
        assert "| 60 | mofasearch+grouped | – | – | – | – |" in markdown(results)
        assert lawqa["builds"]["mofasearch[writer.jobs=2]"]["count"] == 40
        assert "mofasearch@jobs2" not in results["sets"]["lawqa"]["latency"]
        assert "mofasearch@jobs2" not in results["sets"]["lawqa"]["quality"]
    specific = results["sets"]["lawqa-specific"]
    assert specific["notes"] == ["the questions that are not generic_question"]  # not "66"
    assert specific["questions"] == sum(
        not q.generic for q in D.load_set(data, "lawqa").questions[:12]
    )
    scale = results["corpora"]["scale-60"]
    assert (
        scale["queries"]["whoosh-sudachi"]["n"] == SLOW_TIMED_QUESTIONS  # a slow peer
        and scale["queries"]["whoosh-sudachi"]["rss"] > 0
    )
    # no engine of the scale phase indexes Sudachi terms: the floor alone, no pre-pass
    assert lawqa["analysis"]["terms_seconds"] > 0
    assert scale["analysis"]["floor_seconds"] > 0 and "terms_seconds" not in scale["analysis"]
    assert results["meta"]["versions"]["whoosh"] == "2.7.4"
    out = capsys.readouterr().out
    assert "### Quality — lawqa (12 questions)" in out and "| fts5-trigram |" in out
    assert "| whoosh-sudachi | 12 |" in out
    assert markdown(results) in found.with_suffix(".md").read_text()


def test_only_short_compared_builds_are_built_again(data, tmp_path, monkeypatch):
    qset = D.load_set(data, "lawqa", questions=1, passages=20)
    engines = [engine("fts5-trigram"), engine("fts5-sudachi"), engine("whoosh-sudachi")]
    monkeypatch.setattr(suite, "SHORT_BUILD_SECONDS", 0.0)  # none is short
    corpus, _ = suite.index_corpus("long", qset.passages, engines, tmp_path)
    assert all("runs" not in b for b in corpus["builds"].values())
    monkeypatch.setattr(suite, "SHORT_BUILD_SECONDS", 1e9)  # every one is
    monkeypatch.setattr(suite, "SHORT_BUILD_RUNS", 3)
    corpus, _ = suite.index_corpus("short", qset.passages, engines, tmp_path)
    # naive Whoosh is one side of the build targets: timed three times, its median reported
    naive = corpus["builds"]["whoosh-sudachi"]
    assert len(naive["runs"]) == 3 and naive["own_seconds"] == statistics.median(naive["runs"])
    # the other peers are context: one build each
    assert "runs" not in corpus["builds"]["fts5-trigram"]
    fts5 = corpus["builds"]["fts5-sudachi"]  # the shared pre-pass is added once, after
    assert "runs" not in fts5
    assert fts5["seconds"] == fts5["own_seconds"] + corpus["analysis"]["terms_seconds"]


def test_cold_start_times_a_fresh_process(data, tmp_path):
    qset = D.load_set(data, "lawqa", questions=1, passages=20)
    eng = engine("fts5-trigram")
    _, built = suite.index_corpus("cold", qset.passages, [eng], tmp_path)
    timed = suite.cold_start(eng, built.paths["fts5-trigram"], qset.questions[0].text, runs=2)
    assert len(timed["runs_s"]) == 2 and 0 < timed["median_s"] < 30


def test_a_writer_only_variant_is_built_and_not_asked_again():
    args = arguments(
        [
            "--engines",
            "mofasearch",
            "--mofa-variant",
            "jobs2:writer.jobs=2",
            "--mofa-variant",
            "nofill:ranking.bigram_fill=false",
        ]
    )
    engines, notes = make_engines(args)
    by_name = {e.name: e for e in engines}
    assert by_name["mofasearch@jobs2"].build_only and notes["mofasearch@jobs2"]["build_only"]
    assert not by_name["mofasearch@nofill"].build_only and not by_name["mofasearch"].build_only
    # the jobs variant has its own build; the ranking variant shares mofasearch's
    assert by_name["mofasearch@jobs2"].index_key() != by_name["mofasearch"].index_key()
    assert by_name["mofasearch@nofill"].index_key() == by_name["mofasearch"].index_key()


def test_quick_mode_and_unknown_engines():
    args = arguments(["--quick"])
    assert (args.questions, args.passages, args.latency_questions) == (200, 2000, 200)
    assert arguments(["--all"]).scale and arguments(["--all"]).cold_start
    with pytest.raises(KeyError, match="unknown engine"):
        engine("elasticsearch")


def test_a_variant_without_the_engine_it_varies_is_refused(capsys):
    # a variant row is made only next to the mofasearch row: without it, none would appear
    for argv in (["--engines", "bm25s"], ["--skip-engines", "mofasearch"]):
        with pytest.raises(SystemExit):
            arguments([*argv, "--mofa-variant", "jobs2:writer.jobs=2"])
        assert "--mofa-variant" in capsys.readouterr().err
    assert arguments(["--mofa-variant", "jobs2:writer.jobs=2"]).mofa_variant


def test_a_refused_question_counts_as_failed_not_as_a_crash(data, tmp_path):
    mofa = engine("mofasearch")
    if mofa.missing():
        pytest.skip(mofa.missing())
    qset = D.load_set(data, "jsquad")
    first = qset.questions[0]
    # an unclosed ASCII quote is a syntax error (unlike an unmatched 「 or 」, which is prose)
    refused = first._replace(qid="refused", text='"' + first.text)
    questions = [first, refused]
    needed = {r for q in questions for r in q.relevant}
    passages = [p for i, p in enumerate(qset.passages) if p.id in needed or i < 10]
    _, built = suite.index_corpus("refuse", passages, [mofa], tmp_path)
    answered = suite.answer_questions([mofa], built, questions, latency_questions=2, warmup=0)
    figures = suite.quality(answered["rankings"], questions, [mofa], answered["failed"])
    assert answered["failed"] == {"mofasearch": ["refused"]}
    assert figures["mofasearch"]["failed"] == 1 and figures["mofasearch"]["mrr@10"] <= 0.5


def test_scattered_sections_of_one_document_are_added_once():
    from benchmarks.engines.mofa import documents

    passages = [
        D.Passage("a#1", "A", "一", "a"),
        D.Passage("q", "Q", "二"),
        D.Passage("a#2", "A", "三", "a", "第二条"),
    ]
    docs = list(documents(passages))
    assert [d.id for d in docs] == ["a", "q"]
    assert [s.id for s in docs[0].sections] == ["a#1", "a#2"]
    assert docs[0].sections[1].heading == "第二条" and docs[1].sections[0].text == "二"


def test_rankings_come_from_chunked_child_processes_and_slow_peers_are_timed_on_fewer(
    data, tmp_path, monkeypatch
):
    fast, slow = engine("mofasearch"), engine("whoosh-sudachi")
    if fast.missing():
        pytest.skip(fast.missing())
    qset = D.load_set(data, "lawqa", questions=12)
    monkeypatch.setattr(slow, "timed_questions", 5)
    monkeypatch.setattr(suite, "RANKING_CHUNK", 5)  # 12 questions: chunks of 5, 5 and 2
    _, built = suite.index_corpus("chunks", qset.passages, [fast, slow], tmp_path)
    answered = suite.answer_questions([fast, slow], built, qset.questions, 12, warmup=0)
    assert answered["latency"]["mofasearch"]["n"] == 12
    assert answered["latency"]["whoosh-sudachi"]["n"] == 5
    for name in ("mofasearch", "whoosh-sudachi"):
        assert set(answered["rankings"][name]) == {q.qid for q in qset.questions}
    handle = fast.open(built.paths["mofasearch"])
    try:  # the children's rankings are the engine's own
        for q in qset.questions:
            assert answered["rankings"]["mofasearch"][q.qid] == fast.search(handle, q.text, 100)
    finally:
        fast.close(handle)


def test_a_corpus_mixed_from_measured_texts_takes_the_sum_of_their_floors(data, tmp_path):
    passages = D.load_set(data, "lawqa").passages[:30]
    naive, floors = engine("whoosh-sudachi"), {}
    whole, _ = suite.index_corpus("whole", passages, [naive], tmp_path, floors)
    assert len(floors) == len({p.content for p in passages}) and min(floors.values()) > 0
    assert whole["analysis"]["morphemes"] > 0 and "floor_reused" not in whole["analysis"]
    assert math.isclose(sum(floors.values()), whole["analysis"]["floor_seconds"], rel_tol=0.05)
    part = passages[::3]
    mixed, built = suite.index_corpus("mixed", part, [naive], tmp_path, floors)
    assert mixed["analysis"] == {
        "floor_seconds": sum(floors[p.content] for p in part),
        "floor_reused": True,
    }
    assert mixed["builds"]["whoosh-sudachi"]["count"] == len(part)
    # a text measured nowhere, or an engine needing the term pre-pass, runs the floor again
    fresh, _ = suite.index_corpus(
        "fresh", [*part, D.load_set(data, "jsquad").passages[0]], [naive], tmp_path, floors
    )
    assert "floor_reused" not in fresh["analysis"] and fresh["analysis"]["morphemes"] > 0


def test_numeric_ids_in_a_query_file_are_read_as_strings(tmp_path):
    # rankings come back from child processes through JSON, whose object keys are strings
    questions, passages = tmp_path / "q.jsonl", tmp_path / "p.jsonl"
    questions.write_text('{"qid": 7, "query": "京都", "relevant": [3]}\n', encoding="utf-8")
    passages.write_text('{"id": 3, "title": "t", "text": "京都"}\n', encoding="utf-8")
    (q,) = D.load_questions(questions)
    (p,) = D.load_passages(passages)
    assert (q.qid, q.relevant, p.id) == ("7", ("3",), "3")


def test_a_timed_build_starts_after_the_engine_has_imported_its_libraries():
    """The build clock measures indexing: each engine's imports (and the Sudachi dictionary of
    the two that analyze inside their build) are done by ``prepare``, before the clock starts."""
    import subprocess
    import sys

    probe = (
        "import sys; from benchmarks.peers import engine\n"
        "before = set(sys.modules)\n"
        "for name in ('mofasearch', 'whoosh-sudachi'):\n"
        "    engine(name).prepare()\n"
        "from mofasearch.analysis import sudachi\n"
        "from benchmarks import terms\n"
        "loaded = sudachi.dictionary.cache_info().misses\n"
        "sudachi.tokenizer((), 'C')  # what the index-time chains ask for\n"
        "print(sorted({'mofasearch.segbuild', 'mofasearch.parallel', 'whoosh.writing'}"
        " - set(sys.modules)), 'mofasearch.segbuild' in before, loaded,"
        " sudachi.dictionary.cache_info().misses, terms._local.tokenizer is not None)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["[]", "False", "1", "1", "True"]


def test_speed_steps_time_each_step_of_a_search_in_a_child(data, tmp_path, monkeypatch):
    """``benchmarks.speed --parts steps``: the timers are installed in the child's search code
    and every step of a plain search is reported, within the question's total."""
    from benchmarks import speed

    monkeypatch.setenv("MOFASEARCH_DATA", str(data))
    path = tmp_path / "ix"
    build = {"kind": "build", "engine": "mofa", "jobs": 1, "passages": 300, "path": str(path)}
    speed.run_child(speed.ROOT, build)
    steps = speed.run_child(speed.ROOT, {"kind": "steps", "path": str(path), "questions": 30})
    for label in ("evaluate", "evaluate: analysis of the words", "side-term contributions"):
        assert 0 < steps[label] < steps["total"], label
    for label in ("rank", "hits", "facets"):
        assert 0 < steps[label] < steps["total"], label
    assert steps["evaluate: word contributions"] < steps["evaluate"]


# --- usage: options, paths, output files, interruption -------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["--engines", "elasticsearch"],
        ["--skip-engines", "fts5"],
        ["--scale-engines", "mofasearch,lucene"],
        ["--sets", "squad"],
        ["--questions", "-3"],
        ["--passages", "0"],
        ["--latency-questions", "0"],
        ["--statute-files", "-1"],
        ["--scale-sizes", "1k"],
        ["--scale-sizes", "100,-5"],
    ],
)
def test_a_bad_option_value_is_a_usage_error(argv, capsys):
    with pytest.raises(SystemExit) as stopped:
        arguments(argv)
    assert stopped.value.code == 2
    # the usage, then one line that says what is wrong
    assert capsys.readouterr().err.splitlines()[-1].startswith("python -m benchmarks.run: error:")


def test_paths_do_not_depend_on_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MOFASEARCH_DATA", "data")
    assert arguments([]).out == D.ROOT / "benchmarks" / "out"  # what the README promises
    args = arguments(["--out", "o", "--queries", "q.jsonl", "--passages-file", "p.jsonl"])
    assert (args.out, args.queries, args.passages_file, args.data) == (
        tmp_path / "o",
        [tmp_path / "q.jsonl"],
        tmp_path / "p.jsonl",
        tmp_path / "data",
    )
    assert D.default_data_dir() == tmp_path / "data"  # benchmarks.speed's children run elsewhere


def _tiny_query_file(folder):
    (folder / "q.jsonl").write_text(
        '{"qid": "1", "query": "京都議定書の批准", "relevant": ["a"]}\n', encoding="utf-8"
    )
    (folder / "passages.jsonl").write_text(
        '{"id": "a", "title": "京都議定書", "text": "ロシアの京都議定書の早期批准"}\n'
        '{"id": "b", "title": "北方領土", "text": "北方領土問題の解決"}\n',
        encoding="utf-8",
    )
    return folder / "q.jsonl"


def test_a_run_from_another_folder_with_a_relative_out_works(tmp_path, monkeypatch):
    # the workers run in the repository root: a relative work folder was looked for there
    if engine("fts5-trigram").missing():
        pytest.skip(engine("fts5-trigram").missing())
    _tiny_query_file(tmp_path)
    monkeypatch.chdir(tmp_path)
    argv = ["--sets", "", "--queries", "q.jsonl", "--engines", "fts5-trigram"]
    assert main([*argv, "--out", "o", "--no-plots"]) == 0
    (found,) = (tmp_path / "o").glob("run-*.json")
    assert json.loads(found.read_text())["sets"]["custom:q"]["quality"]["fts5-trigram"]["n"] == 1


def test_two_runs_started_in_the_same_second_keep_both_results(tmp_path, monkeypatch):
    import benchmarks.run as run

    monkeypatch.setattr(run.time, "strftime", lambda *a: "20260101-000000")
    argv = ["--sets", "", "--engines", "fts5-trigram", "--out", str(tmp_path), "--no-plots"]
    assert main(argv) == 0 and main(argv) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "run-20260101-000000-2.json",
        "run-20260101-000000-2.md",
        "run-20260101-000000.json",
        "run-20260101-000000.md",
    ]


def test_missing_data_is_one_line_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["--data", str(tmp_path / "none"), "--sets", "lawqa", "--out", str(out)]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "lawqa_jp_retrieval" in err and "--data" in err
    assert not out.exists()


def test_an_interrupted_run_says_so_and_leaves_no_work_folder(tmp_path, monkeypatch, capsys):
    import benchmarks.run as run

    def interrupted(*args):
        work = next(a for a in args if isinstance(a, Path) and a.name.startswith("work-"))
        work.mkdir(parents=True)  # as a phase that has begun building does
        raise KeyboardInterrupt

    monkeypatch.setattr(run, "run_sets", interrupted)
    argv = ["--sets", "", "--engines", "fts5-trigram", "--out", str(tmp_path), "--no-plots"]
    try:
        code = main(argv)
    except KeyboardInterrupt:
        pytest.fail("Ctrl-C ended the run with a traceback")
    assert code == 130 and "interrupted" in capsys.readouterr().err
    assert not list(tmp_path.glob("work-*"))
    (found,) = tmp_path.glob("run-*.json")
    assert json.loads(found.read_text())["command"].startswith("python -m benchmarks.run")


def test_a_failing_cli_cold_start_is_a_row_not_a_crash(tmp_path, monkeypatch):
    import subprocess

    import benchmarks.run as run

    def fails(*args, **kwargs):
        raise subprocess.CalledProcessError(1, ["mofasearch", "index"])

    monkeypatch.setattr(suite, "cli_cold_start", fails)
    results = {}
    run.run_cold_start(arguments([]), [engine("mofasearch")], {}, tmp_path, results)
    assert "exit status 1" in results["cold_start"]["mofasearch CLI, shipped corpus"]["error"]


def _results(**extra):
    meta = {
        "date": "d",
        "git_revision": "r",
        "cpu": "c",
        "cpus": 2,
        "memory_bytes": 1,
        "platform": "p",
        "load_average": [0],
        "versions": {},
    }
    return {"command": "c", "meta": meta, "engines": {}, "corpora": {}, "sets": {}, "scale": []} | (
        extra
    )


def test_an_error_message_keeps_the_markdown_table_well_formed():
    error = "mofasearch search failed: Traceback\n  line 1 | 2\nValueError: x"
    text = markdown(_results(cold_start={"mofasearch CLI, jaquad": {"error": error}}))
    rows = [line for line in text.splitlines() if line.startswith("|")]
    assert len(rows) == 3 and all(line.endswith("|") for line in rows)
    assert {line.replace("\\|", "").count("|") for line in rows} == {4}


def test_the_scale_plot_skips_a_writer_only_variant(tmp_path):
    pytest.importorskip("matplotlib")
    from benchmarks.report import plots

    build = {"seconds": 1.0, "peak_rss": 1, "size_bytes": 1}
    corpus = {
        "sections": 10,
        "analysis": {"floor_seconds": 0.5},
        "builds": {"mofasearch": build, "mofasearch[writer.jobs=2]": build},
        "queries": {"mofasearch": {"p50": 1.0, "p99": 2.0}},
    }
    made = plots(_results(corpora={"scale-10": corpus}, scale=["scale-10"]), tmp_path, "x")
    assert made == [str(tmp_path / "scale-x.png")]


def test_speed_rejects_an_unknown_part_and_a_count_below_one(capsys):
    from benchmarks import speed

    for argv in (["--parts", "bogus"], ["--parts", "bogus", "--repeats", "0"]):
        with pytest.raises(SystemExit) as stopped:
            speed.main(argv)
        assert stopped.value.code == 2
    assert "python -m benchmarks.speed" in capsys.readouterr().err


def test_the_other_scripts_find_the_data_as_the_readme_says(tmp_path, monkeypatch):
    from benchmarks import bench_analysis, jaquad_mrr

    monkeypatch.setenv("MOFASEARCH_DATA", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    seen = []
    monkeypatch.setattr(bench_analysis, "run", lambda data, *a: seen.append(Path(data)) or {})
    monkeypatch.setattr(bench_analysis, "markdown", lambda result: "")
    bench_analysis.main([])

    def read(path):
        seen.append(path)
        raise StopIteration

    monkeypatch.setattr(jaquad_mrr, "_read_jsonl", read)
    with pytest.raises(StopIteration):
        jaquad_mrr.main([])
    assert seen == [tmp_path, tmp_path / "jaquad_retrieval" / "passages.jsonl.gz"]
