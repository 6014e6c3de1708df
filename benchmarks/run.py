"""Run the benchmarks: ``python -m benchmarks.run [--all | --statutes --scale --cold-start] …``.

Writes ``run-<timestamp>.json`` (every figure, versions, git revision, machine, checksums) and
``run-<timestamp>.md`` into ``--out``, prints the Markdown tables, and draws plots when
matplotlib is installed. See ``benchmarks/README.md`` for the protocol.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import logging
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import data as D
from benchmarks import suite
from benchmarks.meta import machine_facts
from benchmarks.peers import REGISTRY, Engine, engine
from benchmarks.report import markdown, plots

log = logging.getLogger("benchmarks")
SCALE_SIZES = (1_000, 10_000, 100_000)
SCALE_QUESTIONS = 500
COLD_QUERY = "日露首脳会談"
OUT = D.ROOT / "benchmarks" / "out"


def parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_options(items: list[str]) -> dict[str, Any]:
    options = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SystemExit(f"option {item!r}: expected key=value")
        options[key.strip()] = parse_value(value.strip())
    return options


def positive(text: str) -> int:
    """A count given on the command line: a whole number of at least 1."""
    value = int(text)  # argparse turns the ValueError into "invalid positive value"
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
    return value


def sizes(text: str) -> list[int]:
    """``--scale-sizes``: parsed here, so a bad size stops the run before its first phase."""
    return [positive(s) for s in text.split(",") if s.strip()]


def arguments(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--data",
        type=Path,
        default=D.default_data_dir(),
        help="data folder (default: $MOFASEARCH_DATA, else ../shared/data beside the repository)",
    )
    p.add_argument("--sets", default="jaquad,jsquad,lawqa", help="question sets ('' for none)")
    p.add_argument("--engines", default=",".join(REGISTRY), help="engines, comma-separated")
    p.add_argument("--skip-engines", default="", help="engines to leave out")
    p.add_argument(
        "--queries",
        type=Path,
        action="append",
        default=[],
        help="also evaluate this query file (passages.jsonl(.gz) beside it)",
    )
    p.add_argument("--passages-file", type=Path, help="passages for --queries")
    p.add_argument("--quick", action="store_true", help="200 questions, 2,000 passages per set")
    p.add_argument("--questions", type=positive, help="first N questions of each set")
    p.add_argument("--passages", type=positive, help="N passages per set (relevant ones kept)")
    p.add_argument(
        "--latency-questions",
        type=positive,
        default=1000,
        help="questions per set in the top-10 latency pass (default 1000)",
    )
    p.add_argument("--statutes", action="store_true", help="index the 1,029 statutes")
    p.add_argument("--statute-files", type=positive, help="only the first N statute files")
    p.add_argument("--scale", action="store_true", help="the 1k/10k/100k section series")
    p.add_argument("--scale-sizes", type=sizes, default=list(SCALE_SIZES))
    p.add_argument("--scale-engines", default="mofasearch,mofasearch+grouped,whoosh-sudachi")
    p.add_argument("--cold-start", action="store_true", help="process start to first result")
    p.add_argument("--all", action="store_true", help="--statutes --scale --cold-start")
    p.add_argument(
        "--mofa-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="passed to mofasearch: create.X, writer.X, search.X (bare = search)",
    )
    p.add_argument(
        "--mofa-variant",
        action="append",
        default=[],
        metavar="LABEL:K=V,K=V",
        help="an extra mofasearch row with these options (ablations)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=OUT,
        help="output folder (default: benchmarks/out in the repository)",
    )
    p.add_argument("--keep-indexes", action="store_true", help="keep the work folder")
    p.add_argument("--no-plots", action="store_true")
    args = p.parse_args(argv)
    # the workers run in the repository root: a relative path would name another place there
    for name in ("data", "out", "passages_file"):
        if getattr(args, name) is not None:
            setattr(args, name, getattr(args, name).absolute())
    args.queries = [q.absolute() for q in args.queries]
    unknown = [n for n in args.sets.split(",") if n and n not in D.SETS]
    if unknown:
        p.error(f"--sets: unknown set {', '.join(unknown)}; known: {', '.join(D.SETS)}")
    for option in ("engines", "skip_engines", "scale_engines"):
        unknown = [n for n in getattr(args, option).split(",") if n and n not in REGISTRY]
        if unknown:
            p.error(
                f"--{option.replace('_', '-')}: unknown engine {', '.join(unknown)};"
                f" known: {', '.join(REGISTRY)}"
            )
    chosen = {n for n in args.engines.split(",") if n} - set(args.skip_engines.split(","))
    if args.mofa_variant and "mofasearch" not in chosen:
        p.error("--mofa-variant: adds rows to the mofasearch engine, which this run leaves out")
    if args.all:
        args.statutes = args.scale = args.cold_start = True
    if args.quick:
        args.questions = args.questions or 200
        args.passages = args.passages or 2000
        args.latency_questions = min(args.latency_questions, args.questions)
    return args


def make_engines(args: argparse.Namespace) -> tuple[list[Engine], dict[str, Any]]:
    """The engines that can run here, and a note for each one that cannot."""
    skip = {n for n in args.skip_engines.split(",") if n}
    names = [n for n in args.engines.split(",") if n and n not in skip]
    common = parse_options(args.mofa_option)
    wanted: list[tuple[str, dict[str, Any]]] = []
    build_only: set[str] = set()
    for name in names:
        wanted.append((name, common if name.startswith("mofasearch") else {}))
        if name == "mofasearch":
            for variant in args.mofa_variant:
                label, _, opts = variant.partition(":")
                own = parse_options([o for o in opts.split(",") if o])
                wanted.append((f"mofasearch@{label}", {**common, **own}))
                if own and all(key.startswith("writer.") for key in own):
                    build_only.add(f"mofasearch@{label}")
    engines, notes = [], {}
    for name, options in wanted:
        try:
            eng = engine(name, options)
        except KeyError as exc:  # a --mofa-option with an unknown prefix: one line, no traceback
            raise SystemExit(f"python -m benchmarks.run: {exc.args[0]}") from None
        # a variant of writer options only (writer.jobs=2) builds the same index: it is timed
        # building and not asked again (its answers are the mofasearch row's)
        eng.build_only = name in build_only
        why = eng.missing()
        notes[name] = {
            "description": eng.description,
            "options": options,
            "skipped": why,
            "max_questions": eng.max_questions,
            "timed_questions": eng.timed_questions,
            "build_only": eng.build_only,
        }
        if why:
            log.warning("skipping %s: %s", name, why)
        else:
            engines.append(eng)
    return engines, notes


def question_sets(args: argparse.Namespace) -> list[D.QuerySet]:
    sets = [
        D.load_set(args.data, name, questions=args.questions, passages=args.passages)
        for name in args.sets.split(",")
        if name
    ]
    for path in args.queries:
        sets.append(D.cut(D.load_custom(path, args.passages_file), args.questions, args.passages))
    return sets


def run_sets(
    args: argparse.Namespace,
    sets: list[D.QuerySet],
    engines: list[Engine],
    work: Path,
    results: dict[str, Any],
    floors: dict[str, float],
) -> dict[str, suite.Built]:
    built_sets = {}
    for qset in sets:
        corpus, built = suite.index_corpus(qset.name, qset.passages, engines, work, floors)
        corpus.update(checksums=qset.checksums, notes=qset.notes)
        results["corpora"][qset.name] = corpus
        log.info("%s: %d questions, interleaved", qset.name, len(qset.questions))
        answered = suite.answer_questions(engines, built, qset.questions, args.latency_questions)
        rankings = answered.pop("rankings")
        entry = {
            "questions": len(qset.questions),
            "notes": qset.notes,
            **answered,
            "quality": suite.quality(rankings, qset.questions, engines, answered["failed"]),
        }
        results["sets"][qset.name] = entry
        if qset.name == "lawqa":
            specific = [q for q in qset.questions if not q.generic]
            results["sets"]["lawqa-specific"] = {
                "questions": len(specific),
                "notes": ["the questions that are not generic_question"],
                "quality": suite.quality(rankings, specific, engines, answered["failed"]),
            }
        built_sets[qset.name] = built
    return built_sets


@functools.lru_cache(maxsize=1)
def statutes(data: Path, limit: int | None) -> tuple[list[D.Passage], dict[str, str], str]:
    """Loaded once for both the statutes corpus and the scale pool (parsing takes seconds)."""
    return D.load_statutes(data, limit)


def run_statutes(
    args: argparse.Namespace,
    engines: list[Engine],
    work: Path,
    results: dict[str, Any],
    floors: dict[str, float],
) -> None:
    passages, checksums, how = statutes(args.data, args.statute_files)
    large = [e for e in engines if e.large and not e.latency_only]
    corpus, _ = suite.index_corpus("statutes", passages, large, work, floors)
    corpus.update(
        checksums=checksums,
        notes=[f"{args.statute_files or D.STATUTE_FILES} statute files, {how}"],
    )
    results["corpora"]["statutes"] = corpus


def run_scale(
    args: argparse.Namespace,
    engines: list[Engine],
    work: Path,
    results: dict[str, Any],
    floors: dict[str, float],
) -> None:
    pool = D.scale_pool(args.data, statutes(args.data, args.statute_files)[0])
    questions = [q.text for q in D.load_set(args.data, "jaquad").questions[:SCALE_QUESTIONS]]
    wanted = set(args.scale_engines.split(","))
    chosen = [e for e in engines if e.name in wanted]
    for size in args.scale_sizes:
        passages = pool[:size]
        name = f"scale-{len(passages)}"
        corpus, built = suite.index_corpus(name, passages, chosen, work, floors)
        corpus["notes"] = [f"asked {size:,}; the pool holds {len(pool):,} real sections"]
        if corpus["analysis"].get("floor_reused"):
            corpus["notes"].append("floor: the sum of its texts' floor times measured above")
        corpus["queries"] = {
            e.name: suite.time_in_child(
                e,
                built.paths[e.index_key()],
                questions[: e.timed_questions],
            )
            for e in chosen
            if not e.build_only
        }
        results["corpora"][name] = corpus
        results["scale"].append(name)
        if size >= len(pool):
            break


def run_cold_start(
    args: argparse.Namespace,
    engines: list[Engine],
    built_sets: dict[str, suite.Built],
    work: Path,
    results: dict[str, Any],
) -> None:
    out: dict[str, Any] = {}
    corpus = D.ROOT / "corpus"
    if any(e.name == "mofasearch" for e in engines):
        try:
            out["mofasearch CLI, shipped corpus"] = suite.cli_cold_start(
                work / "shipped-index", COLD_QUERY, source=corpus
            )
        except (OSError, RuntimeError, ValueError, subprocess.SubprocessError) as exc:
            # `mofasearch index` failing or timing out is a row of the table, not a lost run
            out["mofasearch CLI, shipped corpus"] = {"error": str(exc)}
    name = next(iter(built_sets), None)
    if name is not None:
        built = built_sets[name]
        query = D.load_set(args.data, name).questions[0].text if name in D.SETS else COLD_QUERY
        for eng in engines:
            if not (eng.latency_only or eng.build_only):
                out[f"{eng.name}, {name}"] = suite.cold_start(
                    eng, built.paths[eng.index_key()], query
                )
        if "mofasearch" in built.paths:
            out[f"mofasearch CLI, {name}"] = suite.cli_cold_start(built.paths["mofasearch"], query)
    results["cold_start"] = out


def claim(out: Path) -> str:
    """The run's stamp, its ``run-<stamp>.json`` created here: a second run started in the same
    second takes ``<stamp>-2``, so no run writes over another's files or work folder."""
    out.mkdir(parents=True, exist_ok=True)
    base = time.strftime("%Y%m%d-%H%M%S")
    for n in itertools.count(1):
        stamp = base if n == 1 else f"{base}-{n}"
        try:
            (out / f"run-{stamp}.json").open("x").close()
        except FileExistsError:
            continue
        return stamp
    raise AssertionError("unreachable")


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    args = arguments(argv)
    started = time.time()
    try:  # missing data stops the run before anything is built or written
        sets = question_sets(args)
        if args.statutes or args.scale:
            D.statute_files(args.data)
    except (D.DataError, OSError) as exc:
        sys.stderr.write(
            f"python -m benchmarks.run: {exc} (the data folder is --data DIR, $MOFASEARCH_DATA"
            " or ../shared/data beside the repository)\n"
        )
        return 1
    engines, notes = make_engines(args)
    command = "python -m benchmarks.run " + shlex.join(sys.argv[1:] if argv is None else argv)
    results: dict[str, Any] = {
        "command": command,
        "meta": machine_facts(),
        "engines": notes,
        "corpora": {},
        "sets": {},
        "scale": [],
    }
    results["protocol"] = {
        k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k != "queries"
    }
    results["protocol"]["queries"] = [str(q) for q in args.queries]
    stamp = claim(args.out)
    work = args.out / f"work-{stamp}"
    target = args.out / f"run-{stamp}.json"

    def checkpoint() -> None:  # a run cut short still leaves every finished phase's figures
        results["wall_seconds"] = time.time() - started
        target.write_text(json.dumps(results, ensure_ascii=False, indent=1))

    checkpoint()
    floors: dict[str, float] = {}  # a text's floor seconds, for corpora mixed from others
    try:
        built_sets = run_sets(args, sets, engines, work, results, floors)
        checkpoint()
        if args.statutes:
            run_statutes(args, engines, work, results, floors)
            checkpoint()
        if args.scale:
            run_scale(args, engines, work, results, floors)
            checkpoint()
        if args.cold_start:
            run_cold_start(args, engines, built_sets, work, results)
    except KeyboardInterrupt:  # Ctrl-C: one line, not a traceback; the work folder goes below
        sys.stderr.write(f"interrupted; the finished phases' figures are in {target}\n")
        return 130
    finally:
        if not args.keep_indexes:
            shutil.rmtree(work, ignore_errors=True)
    results["meta"]["load_average_end"] = machine_facts()["load_average"]
    checkpoint()
    text = markdown(results)
    target.with_suffix(".md").write_text(text)
    if not args.no_plots:
        results["plots"] = plots(results, args.out, stamp)
    sys.stdout.write(text + f"\nJSON: {target}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
