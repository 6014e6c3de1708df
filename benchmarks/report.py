"""Turn a run's JSON into Markdown tables (and plots when matplotlib is installed).

Every peer row carries the ratio mofasearch / peer for its headline figures, so the comparison
is read off the row: below 1 means mofasearch is faster (time) or smaller (memory, size), above
1 means better (quality).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from benchmarks.suite import SHORT_BUILD_RUNS, SHORT_BUILD_SECONDS

log = logging.getLogger("benchmarks")
MB = 1024 * 1024
NAIVE = "whoosh-sudachi"
MOFA = "mofasearch"


def _f(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _ratio(mine: float | None, theirs: float | None) -> str:
    if mine is None or not theirs:
        return "–"
    return f"{mine / theirs:.2f}"


def _cell(text: str) -> str:
    """Text for one table cell: a line break or a pipe (an error message's) would break the row."""
    return " ".join(text.split()).replace("|", "\\|")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(map(_cell, row)) + " |" for row in rows]
    return lines + [""]


def _mb(value: float | None) -> str:
    return "–" if not value else f"{value / MB:,.0f}"


def indexing(name: str, corpus: dict[str, Any], engines: dict[str, Any]) -> list[str]:
    sections, chars = corpus["sections"], corpus["characters"]
    analysis = corpus["analysis"]
    floor, terms = analysis["floor_seconds"], analysis.get("terms_seconds")
    builds = corpus["builds"]
    naive = builds.get(NAIVE, {}).get("seconds")
    mofa = builds.get(MOFA, {})
    notes = "; ".join(corpus.get("notes", []))
    lines = [
        f"### Indexing — {name}: {sections:,} sections, {chars:,} characters"
        + (f" ({notes})" if notes else ""),
        "",
    ]
    rows = [
        [
            "Sudachi floor (tokenize + attributes)",
            _f(floor),
            f"{sections / floor:,.0f}",
            f"{chars / floor:,.0f}",
            _mb(analysis.get("peak_rss")),
            "–",
            "1.00",
            _ratio(floor, naive),
            _ratio(mofa.get("seconds"), floor),
        ],
    ]
    if terms:  # absent when no engine of the phase indexes Sudachi terms
        rows.append(
            [
                "Sudachi terms pre-pass (shared)",
                _f(terms),
                f"{sections / terms:,.0f}",
                f"{chars / terms:,.0f}",
                "–",
                "–",
                _ratio(terms, floor),
                _ratio(terms, naive),
                "–",
            ]
        )
    for key, b in builds.items():
        label = key + (" ¹" if b.get("includes_terms_pass") else "")
        s = b["seconds"]
        rows.append(
            [
                label,
                _f(s),
                f"{sections / s:,.0f}",
                f"{chars / s:,.0f}",
                _mb(b["peak_rss"])
                + (f" + {_mb(b['peak_rss_children'])}" if b.get("peak_rss_children") else ""),
                _f(b["size_bytes"] / MB, 1),
                _ratio(s, floor),
                _ratio(s, naive),
                "–" if key == MOFA else _ratio(mofa.get("seconds"), s),
            ]
        )
    lines += _table(
        [
            "engine",
            "wall s",
            "sections/s",
            "chars/s",
            "peak RSS MB",
            "index MB",
            "× floor",
            "× naive Whoosh",
            "mofasearch / engine",
        ],
        rows,
    )
    return lines


def latency(name: str, entry: dict[str, Any], engines: dict[str, Any]) -> list[str]:
    lat = entry["latency"]
    mofa = lat.get(MOFA, {})
    most = max((s.get("n", 0) for s in lat.values()), default=0)
    lines = [f"### Query latency — {name} (warm, top-10, ms, interleaved)", ""]
    rows = []
    for eng, s in lat.items():
        if not s:
            continue
        note = "" if s["n"] == most else f" (first {s['n']:,}: slow peer)"
        rows.append(
            [
                eng + note,
                str(s["n"]),
                _f(s["p50"]),
                _f(s["p95"]),
                _f(s["p99"]),
                _f(s["mean"]),
                "–" if eng == MOFA else _ratio(mofa.get("p50"), s["p50"]),
                "–" if eng == MOFA else _ratio(mofa.get("p99"), s["p99"]),
            ]
        )
    lines += _table(
        [
            "engine",
            "questions",
            "p50",
            "p95",
            "p99",
            "mean",
            "mofasearch / engine p50",
            "p99 ratio",
        ],
        rows,
    )
    return lines


def quality(name: str, entry: dict[str, Any], engines: dict[str, Any]) -> list[str]:
    q = entry["quality"]
    mofa = q.get(MOFA, {})
    lines = [f"### Quality — {name} ({entry['questions']:,} questions)", ""]
    rows = []
    for eng, m in q.items():
        note = "" if m["n"] == entry["questions"] else f" (first {m['n']:,})"
        if m.get("failed"):
            note += f" ({m['failed']} refused)"
        rows.append(
            [
                eng + note,
                _f(m["mrr@10"], 3),
                _f(m["ndcg@10"], 3),
                _f(m["recall@10"], 3),
                _f(m["recall@100"], 3),
                "–" if eng == MOFA else _ratio(mofa.get("mrr@10"), m["mrr@10"]),
                "–" if eng == MOFA else _ratio(mofa.get("ndcg@10"), m["ndcg@10"]),
            ]
        )
    lines += _table(
        ["engine", "MRR@10", "nDCG@10", "R@10", "R@100", "mofasearch / engine MRR", "nDCG ratio"],
        rows,
    )
    return lines


def scale(results: dict[str, Any]) -> list[str]:
    lines = [
        "### Scale series (build in a fresh process; JaQuAD questions at top-10 in a process"
        " that only searches)",
        "",
    ]
    rows = []
    for name in results["scale"]:
        c = results["corpora"][name]
        floor = c["analysis"]["floor_seconds"]
        for key, b in c["builds"].items():
            q = c["queries"].get(key, {})
            rows.append(
                [
                    f"{c['sections']:,}",
                    key,
                    _f(b["seconds"]),
                    _ratio(b["seconds"], floor),
                    _mb(b["peak_rss"]),
                    _f(b["size_bytes"] / MB, 1),
                    str(q["n"]) if "n" in q else "–",
                    _f(q.get("p50")),
                    _f(q.get("p99")),
                    _mb(q.get("rss")),
                    _f(q.get("open_seconds"), 3),
                ]
            )
        for key, q in c["queries"].items():  # timed on another engine's index (latency only)
            if key not in c["builds"]:
                rows.append(
                    [
                        f"{c['sections']:,}",
                        key,
                        *["–"] * 4,
                        str(q["n"]) if "n" in q else "–",
                        _f(q.get("p50")),
                        _f(q.get("p99")),
                        _mb(q.get("rss")),
                        _f(q.get("open_seconds"), 3),
                    ]
                )
        rows.append(
            [
                f"{c['sections']:,}",
                "Sudachi floor" + (" ²" if c["analysis"].get("floor_reused") else ""),
                _f(floor),
                "1.00",
                _mb(c["analysis"].get("peak_rss")),
                "–",
                "–",
                "–",
                "–",
                "–",
                "–",
            ]
        )
    lines += _table(
        [
            "sections",
            "engine",
            "build s",
            "× floor",
            "peak RSS MB",
            "index MB",
            "questions",
            "p50 ms",
            "p99 ms",
            "search RSS MB",
            "open s",
        ],
        rows,
    )
    if any(results["corpora"][n]["analysis"].get("floor_reused") for n in results["scale"]):
        lines += [
            "",
            "² the sum of its sections' own floor times, each measured in this run's set and"
            " statute phases (the floor is per text, so a mix of texts costs the sum).",
            "",
        ]
    return lines


def cold(results: dict[str, Any]) -> list[str]:
    lines = ["### Cold start (process start to first result, median of 5)", ""]
    rows = []
    for label, c in results.get("cold_start", {}).items():
        if "error" in c:
            rows.append([label, "–", c["error"][:120]])
        else:
            rows.append([label, _f(c["median_s"], 3), ", ".join(f"{s:.3f}" for s in c["runs_s"])])
    return lines + _table(["what", "median s", "runs s"], rows)


def header(results: dict[str, Any]) -> list[str]:
    m = results["meta"]
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v)
    lines = [
        "## mofasearch benchmarks",
        "",
        f"`{results['command']}`",
        "",
        f"- date {m['date']}, git {m['git_revision']}"
        + (" (uncommitted changes)" if m.get("git_dirty") else ""),
        f"- machine: {m['cpu']}, {m['cpus']} CPUs, {_mb(m['memory_bytes'])} MB, "
        f"{m['platform']}; load average at start {m['load_average']}, "
        f"at end {m.get('load_average_end')}",
        f"- versions: {versions}",
        f"- wall time of the run: {results.get('wall_seconds', 0):,.0f} s",
        "",
    ]
    skipped = [
        f"- **{n}** skipped: {e['skipped']}" for n, e in results["engines"].items() if e["skipped"]
    ]
    slow = [
        f"- {n}: first {e['max_questions']} questions of each set (slow peer)"
        for n, e in results["engines"].items()
        if e["max_questions"] and not e["skipped"]
    ]
    timed = [
        n for n, e in results["engines"].items() if e.get("timed_questions") and not e["skipped"]
    ]
    if timed:
        counts = {results["engines"][n]["timed_questions"] for n in timed}
        slow.append(
            f"- timed on the first {'/'.join(map(str, sorted(counts)))} questions of each set"
            f" (slow to answer): {', '.join(timed)}"
        )
    return (
        lines
        + skipped
        + slow
        + (
            [
                "",
                "¹ build time includes the shared Sudachi terms "
                "pre-pass (the same for every Sudachi-term peer).",
                "",
                f"A build shorter than {SHORT_BUILD_SECONDS:g} s of mofasearch or naive Whoosh "
                f"(whoosh-sudachi) is the median of {SHORT_BUILD_RUNS}, each in a fresh process, "
                "taken in rounds over those engines; the other engines' builds are timed once.",
                "",
            ]
        )
    )


def markdown(results: dict[str, Any]) -> str:
    engines = results["engines"]
    lines = header(results)
    scale_names = set(results["scale"])
    for name, corpus in results["corpora"].items():
        if name not in scale_names:
            lines += indexing(name, corpus, engines)
    for name, entry in results["sets"].items():
        if "latency" in entry:
            lines += latency(name, entry, engines)
    for name, entry in results["sets"].items():
        lines += quality(name, entry, engines)
    if results["scale"]:
        lines += scale(results)
    if results.get("cold_start"):
        lines += cold(results)
    return "\n".join(lines)


def plots(results: dict[str, Any], out: Path, stamp: str) -> list[str]:
    """Latency distributions per set and the scale curve; [] when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log.info("matplotlib not installed: no plots")
        return []
    made = []
    for name, entry in results["sets"].items():
        lat = {e: s["samples_ms"] for e, s in entry.get("latency", {}).items() if s}
        if not lat:
            continue
        fig, ax = plt.subplots(figsize=(8, 0.45 * len(lat) + 1.5))
        ax.boxplot(
            list(lat.values()),
            orientation="horizontal",
            tick_labels=list(lat),
            whis=(1, 99),
            showfliers=False,
        )
        ax.set_xscale("log")
        ax.set_xlabel("ms per question (warm, top-10; whiskers p1–p99)")
        ax.set_title(f"Query latency — {name}")
        fig.tight_layout()
        made.append(_save(fig, out / f"latency-{name}-{stamp}.png"))
    if results["scale"]:
        fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
        corpora = [results["corpora"][n] for n in results["scale"]]
        sizes = [c["sections"] for c in corpora]
        left.plot(
            sizes, [c["analysis"]["floor_seconds"] for c in corpora], "k--", label="Sudachi floor"
        )
        for key in corpora[-1]["builds"]:
            left.plot(sizes, [c["builds"][key]["seconds"] for c in corpora], "o-", label=key)
            if key not in corpora[-1]["queries"]:  # a writer-only variant is built, never asked
                continue
            right.plot(sizes, [c["queries"][key]["p50"] for c in corpora], "o-", label=f"{key} p50")
            right.plot(sizes, [c["queries"][key]["p99"] for c in corpora], "x:", label=f"{key} p99")
        for ax, what in ((left, "build seconds"), (right, "ms per question")):
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("sections")
            ax.set_ylabel(what)
            ax.legend(fontsize=7)
        fig.tight_layout()
        made.append(_save(fig, out / f"scale-{stamp}.png"))
    return made


def _save(fig: Any, path: Path) -> str:
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=110)
    plt.close(fig)
    return str(path)
