"""Segmentation golden file: what the main chain indexes for real phrases and sentences.

``tests/golden/segmentation.tsv`` holds ``text<TAB>expected terms`` lines grouped under
``## source`` headers; ``# NOTE:`` lines explain a known-bad split on the line after them.
Terms are the indexed terms of each kept unit separated by spaces, a unit's A sub-units in
brackets: ``北方領土[北方|領土] 問題``.

To regenerate after an intended change (a person reviews the diff)::

    MOFASEARCH_UPDATE_GOLDEN=1 pytest tests/test_analysis_golden.py

The texts and comments are kept; only the expected terms are recomputed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mofasearch.analysis import japanese_analyzer

GOLDEN = Path(__file__).parent / "golden" / "segmentation.tsv"
UPDATE = os.environ.get("MOFASEARCH_UPDATE_GOLDEN") == "1"


def render(text: str) -> str:
    """The main chain's indexed terms of ``text`` in the golden file's notation."""
    units: list[list[str]] = []
    for t in japanese_analyzer()(text, positions=True, mode="index"):
        if t.subword and units:
            units[-1].append(t.text)
        else:
            units.append([t.text])
    return " ".join(u[0] + (f"[{'|'.join(u[1:])}]" if len(u) > 1 else "") for u in units)


def read_golden() -> list[tuple[int, str, str]]:
    """``(line number, text, expected)`` for every data line."""
    out = []
    for no, line in enumerate(GOLDEN.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        text, _, expected = line.partition("\t")
        out.append((no, text, expected))
    return out


def regenerate() -> None:
    lines = []
    for line in GOLDEN.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            lines.append(line)
        else:
            text = line.partition("\t")[0]
            lines.append(f"{text}\t{render(text)}")
    GOLDEN.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_golden_file_is_large_and_sourced() -> None:
    rows = read_golden()
    text = GOLDEN.read_text(encoding="utf-8")
    assert len(rows) >= 150
    for source in ("## mofa", "## egov", "## jaquad", "## jsquad", "## lawqa"):
        assert source in text
    assert "# NOTE:" in text


def test_segmentation_matches_golden() -> None:
    if UPDATE:
        regenerate()
    mismatches = [
        f"line {no}: {text}\n  expected: {expected}\n  got:      {render(text)}"
        for no, text, expected in read_golden()
        if render(text) != expected
    ]
    if mismatches:
        pytest.fail(
            f"{len(mismatches)} segmentation change(s); if intended, regenerate with "
            "MOFASEARCH_UPDATE_GOLDEN=1 and review the diff:\n" + "\n".join(mismatches[:20])
        )
