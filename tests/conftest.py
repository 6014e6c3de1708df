"""Shared fixtures: where the real data lives, and the shipped corpus."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


def data_dir() -> Path | None:
    """``$MOFASEARCH_DATA`` or ``../shared/data`` beside the repository, when present."""
    env = os.environ.get("MOFASEARCH_DATA")
    candidates = [Path(env)] if env else []
    candidates.append(ROOT.parent / "shared" / "data")
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return None


@pytest.fixture(scope="session")
def data() -> Path:
    """The shared evaluation data; tests that need it skip with a reason when it is absent."""
    found = data_dir()
    if found is None:
        pytest.skip("real data not found: set MOFASEARCH_DATA or place it at ../shared/data")
    return found


@pytest.fixture(scope="session")
def corpus() -> Path:
    return CORPUS


@contextmanager
def disk_index(folder: Path, documents: Iterable[Any]) -> Iterator[Any]:
    """A real index on disk in ``folder`` holding ``documents``, closed afterwards."""
    from mofasearch import Index

    index = Index.create(folder / "index")
    try:
        with index.writer() as w:
            for doc in documents:
                w.add(doc)
        yield index
    finally:
        index.close()
