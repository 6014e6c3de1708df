"""JaQuAD retrieval through mofasearch: MRR@10, recall, build time and query latency.

Indexes every JaQuAD passage (11,144; title + text, one document each, as the benchmark
protocol asks) into a fresh on-disk index, runs the first N dev questions (default 2,000, the
order of ``queries.jsonl.gz``), and prints MRR@10, R@1, R@10, the index build time and the
p50/p95 search latency (query analysis included, snippets not computed).

    python benchmarks/jaquad_mrr.py [--data DIR] [--queries 2000] [--jobs 1]
        [--weight title=2.0 --weight bigram=0.25 ...] [--k1 body=1.2] [--b body=0.75] [--json]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _pairs(values: list[str]) -> dict[str, float]:
    out = {}
    for value in values:
        name, _, number = value.partition("=")
        out[name] = float(number)
    return out


def ranking_from_args(args: argparse.Namespace) -> Any:
    from mofasearch.scoring import DEFAULT_B, DEFAULT_K1, DEFAULT_WEIGHTS, RankingConfig

    return RankingConfig(
        weights={**dict(DEFAULT_WEIGHTS), **_pairs(args.weight)},
        k1={**dict(DEFAULT_K1), **_pairs(args.k1)},
        b={**dict(DEFAULT_B), **_pairs(args.b)},
        question_weight=args.question_weight,
        subword_weight=args.subword_weight,
    )


def build(index_dir: Path, passages: list[dict[str, Any]], jobs: int) -> tuple[Any, float]:
    from mofasearch import Index
    from mofasearch.documents.model import Document, Section

    started = time.perf_counter()
    ix = Index.create(index_dir)
    with ix.writer(jobs=jobs) as w:
        for p in passages:
            w.add(Document(p["id"], p["title"], [Section(p["text"], id=p["id"])]))
    return ix, time.perf_counter() - started


def evaluate(ix: Any, queries: list[dict[str, Any]], ranking: Any) -> dict[str, float]:
    """Each question as typed; one the query language rejects counts as a miss."""
    from mofasearch.errors import QuerySyntaxError

    reciprocal, at1, at10, latencies, rejected = [], 0, 0, [], 0
    for q in queries:
        started = time.perf_counter()
        try:
            res = ix.search(q["query"], limit=10, group_by_document=False, ranking=ranking)
            ids = [hit.section_id for hit in res]
        except QuerySyntaxError:
            rejected += 1
            ids = []
        latencies.append((time.perf_counter() - started) * 1000.0)
        relevant = set(q["relevant"])
        rank = next((i for i, sid in enumerate(ids, 1) if sid in relevant), None)
        reciprocal.append(1.0 / rank if rank else 0.0)
        at1 += rank == 1
        at10 += rank is not None
    latencies.sort()
    n = len(queries)
    return {
        "queries": n,
        "rejected": rejected,
        "mrr@10": sum(reciprocal) / n,
        "r@1": at1 / n,
        "r@10": at10 / n,
        "p50_ms": statistics.median(latencies),
        "p95_ms": latencies[int(0.95 * (n - 1))],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data",
        type=Path,
        # the rule of benchmarks.data.default_data_dir (this file also runs as a script, where
        # the benchmarks package is not importable), so the folder does not depend on the cwd
        default=Path(
            os.environ.get("MOFASEARCH_DATA")
            or Path(__file__).resolve().parents[2] / "shared" / "data"
        ),
        help="data folder (default: $MOFASEARCH_DATA, else ../shared/data beside the repository)",
    )
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--index", type=Path, help="reuse (or create) this index directory")
    parser.add_argument("--weight", action="append", default=[], metavar="FIELD=W")
    parser.add_argument("--k1", action="append", default=[], metavar="FIELD=K1")
    parser.add_argument("--b", action="append", default=[], metavar="FIELD=B")
    parser.add_argument("--question-weight", type=float, default=0.2)
    parser.add_argument("--subword-weight", type=float, default=0.5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    folder = args.data / "jaquad_retrieval"
    passages = _read_jsonl(folder / "passages.jsonl.gz")
    queries = _read_jsonl(folder / "queries.jsonl.gz")[: args.queries]
    ranking = ranking_from_args(args)
    with tempfile.TemporaryDirectory(prefix="jaquad-") as tmp:
        from mofasearch import Index

        build_s = None
        if args.index and args.index.exists():
            ix = Index.open(args.index)
        else:
            ix, build_s = build(args.index or Path(tmp) / "index", passages, args.jobs)
        with ix:
            evaluate(ix, queries[:50], ranking)  # warm the caches the way a server would be
            figures = evaluate(ix, queries, ranking)
            figures["build_s"] = build_s
            figures["passages"] = len(passages)
            figures["segments"] = ix.stats()["segments"]
    if args.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key:10} {value:.4f}" if isinstance(value, float) else f"{key:10} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
