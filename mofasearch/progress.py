"""A progress bar for indexing, shown on a terminal and silent everywhere else.

The library reports progress as plain :class:`SyncProgress` values through a callback; only this
module (used by the command line) turns them into a bar. The bar goes to stderr so that stdout
stays clean for ``--json`` and pipes, and it is drawn only when stderr is a terminal: a log file
or a CI console gets no carriage-return noise.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from types import TracebackType
from typing import IO, Any


@dataclass(frozen=True, slots=True)
class SyncProgress:
    """How far an indexing run has come (cumulative counts)."""

    files_done: int
    files_total: int
    documents: int
    sections: int
    path: str = ""
    #: "indexing" while files are read and added, "committing" while the writer commits
    phase: str = "indexing"


class ProgressBar:
    """A ``progress`` callback for :func:`mofasearch.sources.sync` that draws a tqdm bar.

    The ETA comes from the file count; documents and sections per second go in the postfix,
    because files vary in size and those two rates are what a user compares between runs.
    """

    def __init__(self, stream: IO[str] | None = None, *, enabled: bool | None = None) -> None:
        self.stream = sys.stderr if stream is None else stream
        self.enabled = _is_terminal(self.stream) if enabled is None else enabled
        self._bar: Any = None
        self._started = 0.0

    def __call__(self, event: SyncProgress) -> None:
        if not self.enabled:
            return
        if self._bar is None:
            self._bar = self._open(event.files_total)
        bar = self._bar
        if bar.desc != event.phase:
            bar.set_description_str(event.phase, refresh=False)
        if bar.total != event.files_total:
            bar.total = event.files_total
        bar.update(event.files_done - bar.n)
        elapsed = max(time.perf_counter() - self._started, 1e-9)
        bar.set_postfix_str(
            f"{event.documents / elapsed:.1f} docs/s, {event.sections / elapsed:.1f} sections/s",
            refresh=True,
        )

    def _open(self, total: int) -> Any:
        from tqdm import tqdm

        self._started = time.perf_counter()
        return tqdm(
            total=total,
            unit="file",
            desc="indexing",
            file=self.stream,
            leave=False,
            dynamic_ncols=True,
        )

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
