"""Analysis speed against the Sudachi floor, on the JaQuAD passages.

The *Sudachi floor* is what any Sudachi-based analyzer must pay: ``tokenize`` plus reading every
morpheme attribute the main chain uses (surface, normalized form, reading, part of speech,
offsets, and the A split where the chain asks for it). The main chain is timed as Whoosh's
indexer drives it (``positions=True``, every token consumed), in the same run, on the same texts,
so the ratio is meaningful on a shared machine. The ratio to bare ``tokenize`` is reported too.

    python -m benchmarks.bench_analysis [--data DIR] [--limit N] [--json out.json]
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.data import default_data_dir


def load_passages(data_dir: str | Path, limit: int | None = None) -> list[str]:
    path = Path(data_dir) / "jaquad_retrieval" / "passages.jsonl.gz"
    out = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            out.append(json.loads(line)["text"])
            if limit is not None and len(out) >= limit:
                break
    return out


def _stages() -> dict[str, Callable[[str], int]]:
    """One function per stage; each analyzes one text and returns its token count."""
    from sudachipy import SplitMode

    from mofasearch.analysis import bigram_analyzer, japanese_analyzer, reading_analyzer, sudachi
    from mofasearch.analysis.morphemes import _SPLIT, _pos_classes, clear_cache

    tok = sudachi.tokenizer((), "C")
    kinds, _ = _pos_classes(())
    split_a = SplitMode.A

    def bare(text: str) -> int:
        return len(tok.tokenize(text))

    def floor(text: str) -> int:
        n = 0
        for m in tok.tokenize(text):
            m.surface()
            m.normalized_form()
            m.reading_form()
            pos = m.part_of_speech_id()
            b, e = m.begin(), m.end()
            if e - b > 1 and kinds[pos] == _SPLIT:  # the A split, where the chain asks for it
                for p in m.split(split_a):
                    p.surface(), p.normalized_form(), p.reading_form(), p.part_of_speech_id()
            n += 1
        return n

    main = japanese_analyzer()

    def main_chain(text: str) -> int:
        clear_cache()  # no help from an earlier stage's Sudachi pass
        n = 0
        for t in main(text, positions=True, mode="index"):
            t.text, t.pos  # noqa: B018 - consume as Whoosh's indexer does
            n += 1
        return n

    chains = (main, reading_analyzer(), bigram_analyzer())

    def all_field_chains(text: str) -> int:
        """Main, reading and bigram chains over one text, as the index's fields see it."""
        clear_cache()
        n = 0
        for analyzer in chains:
            for _t in analyzer(text, positions=True, mode="index"):
                n += 1
        return n

    return {
        "bare_tokenize": bare,
        "sudachi_floor": floor,
        "main_chain": main_chain,
        "all_field_chains": all_field_chains,
    }


def _one_round(
    stages: dict[str, Callable[[str], int]], texts: list[str], block: int = 100
) -> dict[str, Any]:
    """CPU seconds and tokens per stage. Stages take turns block by block (100 texts), so a
    busy moment on a shared machine weighs on every stage alike, while each block is long
    enough for the stage to run warm, as it does when indexing."""
    clock = time.process_time
    seconds = dict.fromkeys(stages, 0.0)
    tokens = dict.fromkeys(stages, 0)
    for i in range(0, len(texts), block):
        chunk = texts[i : i + block]
        for name, fn in stages.items():
            t0 = clock()
            tokens[name] += sum(fn(text) for text in chunk)
            seconds[name] += clock() - t0
    return {"seconds": seconds, "tokens": tokens}


def run(data_dir: str | Path, limit: int | None = None, repeat: int = 3) -> dict[str, Any]:
    """Time bare tokenize, the floor, the main chain and all three field chains.

    Returns CPU seconds (best of ``repeat`` rounds per stage), token counts and the ratios.
    """
    from mofasearch.analysis import dictionary_version

    texts = load_passages(data_dir, limit)
    stages = _stages()
    _one_round(stages, texts[:50])  # load the dictionary and warm up outside the timings
    best: dict[str, float] = {}
    tokens: dict[str, int] = {}
    for _ in range(repeat):
        gc.collect()
        got = _one_round(stages, texts)
        tokens = got["tokens"]
        for name, sec in got["seconds"].items():
            best[name] = min(best.get(name, sec), sec)
    sec = {name: round(value, 4) for name, value in best.items()}
    return {
        "passages": len(texts),
        "chars": sum(map(len, texts)),
        "dictionary": dictionary_version(),
        "repeat": repeat,
        "seconds": sec,
        "tokens": tokens,
        "main_vs_floor": round(sec["main_chain"] / sec["sudachi_floor"], 3),
        "main_vs_bare": round(sec["main_chain"] / sec["bare_tokenize"], 3),
        "all_fields_vs_floor": round(sec["all_field_chains"] / sec["sudachi_floor"], 3),
    }


def markdown(result: dict[str, Any]) -> str:
    chars = result["chars"]
    lines = [
        f"JaQuAD passages: {result['passages']:,} ({chars:,} characters), "
        f"{result['dictionary']}, CPU seconds, best of {result['repeat']} rounds",
        "",
        "| stage | seconds | tokens | M chars/s | × floor |",
        "|---|---:|---:|---:|---:|",
    ]
    floor = result["seconds"]["sudachi_floor"]
    for name, sec in result["seconds"].items():
        lines.append(
            f"| {name} | {sec:.3f} | {result['tokens'][name]:,} | {chars / sec / 1e6:.2f} "
            f"| {sec / floor:.2f} |"
        )
    lines.append("")
    lines.append(
        f"main chain / Sudachi floor = {result['main_vs_floor']}; "
        f"main chain / bare tokenize = {result['main_vs_bare']}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data",
        default=default_data_dir(),
        help="the shared data folder (default: $MOFASEARCH_DATA, else ../shared/data beside the"
        " repository, wherever the command runs)",
    )
    parser.add_argument("--limit", type=int, default=None, help="first N passages only")
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs per stage")
    parser.add_argument("--json", default=None, help="also write the result to this file")
    args = parser.parse_args(argv)
    result = run(args.data, args.limit, args.repeat)
    sys.stdout.write(markdown(result) + "\n")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
