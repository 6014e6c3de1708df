"""Where an index's files live: on disk or in memory.

Provisional: plain Whoosh storages. This module is the one place index files are opened, so
that safe loading, fsync-on-commit and lock timeouts can be added here without touching the
index code.
"""

from __future__ import annotations

import os

from whoosh.filedb.filestore import FileStorage, RamStorage, Storage


def file_storage(path: str | os.PathLike[str]) -> Storage:
    """The storage for an index directory (which must exist)."""
    return FileStorage(os.fspath(path))


def ram_storage() -> Storage:
    """A storage that lives in this process's memory."""
    return RamStorage()
