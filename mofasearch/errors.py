"""One error family for everything mofasearch raises.

Every error a caller can act on is a :class:`MofaSearchError`; the subclasses carry the data a
caller needs (the file, the query position, the index path) so that the command line can turn
them into one line of advice. Whoosh and Sudachi errors are wrapped at the boundary.
"""

from __future__ import annotations

import os


class MofaSearchError(Exception):
    """Base class of every error mofasearch raises on purpose."""

    #: one sentence telling the user what to do next; the CLI prints it after the message
    hint: str = ""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint


class QuerySyntaxError(MofaSearchError, ValueError):
    """A malformed query. ``position`` is the 0-based character offset of the problem."""

    hint = "check the query syntax (see README: Query language)"

    def __init__(self, message: str, query: str = "", position: int = 0) -> None:
        self.query = query
        self.position = position
        super().__init__(f"{message} at position {position}" if query else message)


class DocumentParseError(MofaSearchError, ValueError):
    """A file or text that could not be turned into a Document."""

    hint = "fix or remove the file, or pass on_error to skip bad files"

    def __init__(
        self, message: str, path: str | os.PathLike[str] | None = None, offset: int | None = None
    ) -> None:
        self.path = None if path is None else os.fspath(path)
        self.offset = offset
        where = ""
        if self.path is not None:
            where = f"{self.path}: "
        if offset is not None:
            message = f"{message} (at byte {offset})"
        super().__init__(where + message)


class IndexError_(MofaSearchError):
    """Base of the errors about an index directory (not exported under this name)."""

    def __init__(self, message: str, path: str | os.PathLike[str] | None = None, **kw: str) -> None:
        self.path = None if path is None else os.fspath(path)
        super().__init__(message, **kw)


class IndexNotFoundError(IndexError_):
    """No index at the given path."""

    hint = "build one with `mofasearch index [PATH ...] --index DIR`"


class IndexExistsError(IndexError_):
    """Index.create on a directory that already holds an index."""

    hint = "open it with Index.open, or rebuild with `mofasearch index --rebuild`"


class IndexLockedError(IndexError_):
    """Another writer holds the index lock."""

    hint = "wait for the other writer to finish, or pass a longer lock timeout"


class IndexVersionError(IndexError_):
    """The index was built with another schema, analyzer settings or Sudachi dictionary."""

    hint = "rebuild it with `mofasearch index --rebuild`"


class IndexDamagedError(IndexVersionError):
    """An index file is truncated, corrupt or missing (a disk fault, a copy cut short).

    A kind of :class:`IndexVersionError`: an index this mofasearch cannot read, and the remedy
    is the same rebuild. ``path`` is the index directory; the message names the file if known.
    """

    hint = "rebuild it with `mofasearch index --rebuild`"


class UnsafeIndexError(IndexError_):
    """The index files hold data that mofasearch refuses to load (e.g. a pickle of a disallowed class)."""

    hint = "only open indexes from a place you trust, or rebuild it from its sources"


class IndexStorageError(IndexError_):
    """The index directory cannot be read or written (permissions, full disk, missing parent)."""

    hint = "check the directory's permissions and free space"


class QueryTimeoutError(MofaSearchError):
    """A search ran past its time limit."""

    hint = "narrow the query or raise the time limit"


__all__ = [
    "MofaSearchError",
    "QuerySyntaxError",
    "DocumentParseError",
    "IndexNotFoundError",
    "IndexExistsError",
    "IndexLockedError",
    "IndexVersionError",
    "IndexDamagedError",
    "UnsafeIndexError",
    "IndexStorageError",
    "QueryTimeoutError",
]
