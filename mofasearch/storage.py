"""Where an index's files live: on disk or in memory, opened safely and committed durably.

This module is the one place index files are opened. The index code gets every storage from
:func:`file_storage` / :func:`ram_storage` and opens or creates its Whoosh index through the
storage (``storage.open_index()``, ``storage.create_index(schema)``, ``storage.index_exists()``),
which gives it a :class:`SafeFileIndex`:

- **Safe loading.** The TOC (schema, segment list, codec) is read by :func:`read_toc` through
  the allow-list of :mod:`mofasearch.safepickle`; each segment's codec becomes
  :class:`~mofasearch.safepickle.SafeW3Codec`, whose readers restrict every other unpickling
  read (stored fields, postings, columns, the compound directory, hash-table extras).
- **Durability.** Whoosh never fsyncs; it commits by renaming a new TOC into place. Before that
  rename, :class:`SafeFileStorage` fsyncs every segment file not yet synced and the new TOC;
  after it, the directory. A commit that returned survives power loss (on file systems that
  honour fsync).
- **Locks** are Whoosh's ``fcntl.flock`` locks: POSIX only, released by the kernel when the
  holding process dies, so a killed writer never leaves a stale lock.
"""

from __future__ import annotations

import logging
import os
import pickle
import re
import struct
import threading
import time
import zlib
from typing import Any

from whoosh.codec.whoosh3 import W3Segment
from whoosh.fields import FieldType, Schema, ensure_schema
from whoosh.filedb.compound import CompoundStorage
from whoosh.filedb.filestore import FileStorage, OverlayStorage, RamStorage, Storage
from whoosh.index import _CURRENT_TOC_VERSION, _DEF_INDEX_NAME, TOC, EmptyIndexError, FileIndex
from whoosh.reading import EmptyReader, MultiReader, SegmentReader
from whoosh.system import _FLOAT_SIZE, _INT_SIZE, _LONG_SIZE
from whoosh.util import random_name

from mofasearch.errors import IndexDamagedError, IndexVersionError, UnsafeIndexError
from mofasearch.safepickle import SafeBufferFile, SafeStructFile, SafeW3Codec, load, loads

log = logging.getLogger("mofasearch.storage")

_SEGMENT_ID = re.compile(r"[0-9a-z]{1,64}")

#: what reading a truncated or corrupt index file raises: Whoosh's fixed-size reads, unpickling
#: (through the allow-list), zlib-compressed columns and blocks, stored text that is not UTF-8
DAMAGE_ERRORS: tuple[type[Exception], ...] = (
    EOFError,
    struct.error,
    zlib.error,
    pickle.UnpicklingError,
    UnicodeDecodeError,
)

#: also raised by Whoosh's readers on bytes that are not what the format says (a bad length, a
#: wrong type where a pickle or a table was expected); caught only where files are opened
_FORMAT_ERRORS: tuple[type[Exception], ...] = (
    *DAMAGE_ERRORS,
    ValueError,
    TypeError,
    AttributeError,
    IndexError,
    KeyError,
)


def damaged(
    folder: str | os.PathLike[str] | None, exc: BaseException, name: str = ""
) -> IndexDamagedError:
    """The error for an index whose file ``name`` (when known) cannot be read."""
    where = "memory" if not folder else os.fspath(folder)
    what = f"{name} is truncated or corrupt" if name else "a file is truncated or corrupt"
    detail = " ".join(str(exc).split()) or type(exc).__name__
    return IndexDamagedError(f"the index in {where} is damaged: {what} ({detail})", folder or None)


def file_storage(path: str | os.PathLike[str], *, durable: bool = True) -> SafeFileStorage:
    """The storage for an index directory (which must exist).

    ``durable=False`` skips the fsyncs (a throw-away index, a bulk build that is checked
    afterwards); commits stay atomic, but power loss may lose the last ones.
    """
    return SafeFileStorage(os.fspath(path), durable=durable)


def ram_storage() -> SafeRamStorage:
    """A storage that lives in this process's memory."""
    return SafeRamStorage()


# Reading the TOC


def read_toc(storage: Storage, indexname: str = _DEF_INDEX_NAME, schema: Any = None) -> TOC:
    """The latest committed TOC, unpickled through the allow-list and checked.

    Whoosh's ``TOC.read`` calls ``pickle.loads`` itself; this is the same file format read
    without it. When a writer removes the TOC just found (it committed a newer one), the
    newer one is read instead.
    """
    for attempt in range(10):
        gen = TOC._latest_generation(storage, indexname)
        if gen < 0:
            raise EmptyIndexError(f"Index {indexname!r} does not exist in {storage!r}")
        try:
            return _read_toc_file(storage, indexname, gen, schema)
        except (FileNotFoundError, NameError):
            if attempt == 9:
                raise
            time.sleep(0.01)
    raise AssertionError("unreachable")


def _read_toc_file(storage: Storage, indexname: str, gen: int, schema: Any) -> TOC:
    name = TOC._filename(indexname, gen)
    where = os.path.join(getattr(storage, "folder", "") or "", name)
    stream = storage.open_file(name)
    try:
        for what, size in (("int", _INT_SIZE), ("long", _LONG_SIZE), ("float", _FLOAT_SIZE)):
            if stream.read_varint() != size:
                raise IndexVersionError(f"{where}: written on another architecture ({what})")
        if stream.read_int() != -12345:
            raise IndexVersionError(f"{where}: written with another byte order")
        version = stream.read_int()
        release = (stream.read_varint(), stream.read_varint(), stream.read_varint())
        if version != _CURRENT_TOC_VERSION:
            raise IndexVersionError(f"{where}: TOC format {version} is not Whoosh 2.7's")
        schema_bytes = stream.read_string()
        if not schema:
            schema = loads(schema_bytes, schema=True, where=where)
        if stream.read_int() != gen:
            raise UnsafeIndexError(f"{where}: the TOC's generation does not match its name")
        stream.read_int()  # unused by Whoosh
        segments = load(stream.file, schema=True, where=where)
    except _FORMAT_ERRORS as exc:
        raise damaged(getattr(storage, "folder", None), exc, name) from exc
    finally:
        stream.close()
    schema = ensure_schema(schema)
    _check_toc(schema, segments, indexname, where)
    return TOC(schema, segments, gen, version=version, release=release)


def _check_toc(schema: Any, segments: Any, indexname: str, where: str) -> None:
    """What the allow-list cannot say: the objects are the expected kinds, names are plain."""
    if not isinstance(schema, Schema) or not all(
        isinstance(field, FieldType) for _, field in schema.items()
    ):
        raise UnsafeIndexError(f"{where}: the schema is not a Whoosh schema", path=where)
    if not isinstance(segments, list):
        raise UnsafeIndexError(f"{where}: the segment list is not a list", path=where)
    for segment in segments:
        ok = (
            type(segment) is W3Segment
            and isinstance(segment.__dict__.get("_codec"), SafeW3Codec)
            and isinstance(segment.__dict__.get("segid"), str)
            and _SEGMENT_ID.fullmatch(segment.segid) is not None
            and segment.__dict__.get("indexname") == indexname
            and type(segment.__dict__.get("_doccount")) is int
            and _is_docnum_set(segment.__dict__.get("_deleted"))
        )
        if not ok:
            raise UnsafeIndexError(f"{where}: the TOC lists a malformed segment", path=where)


def _is_docnum_set(value: Any) -> bool:
    return value is None or (isinstance(value, set) and all(type(n) is int for n in value))


# The index object


class SafeFileIndex(FileIndex):
    """Whoosh's ``FileIndex`` whose TOC reads go through :func:`read_toc`."""

    def __init__(
        self, storage: Storage, schema: Any = None, indexname: str = _DEF_INDEX_NAME
    ) -> None:
        # FileIndex.__init__ would read the TOC with Whoosh's own unpickler
        if not isinstance(storage, Storage):
            raise ValueError(f"{storage!r} is not a Storage object")
        self.storage = storage
        self._schema = ensure_schema(schema) if schema else None
        self.indexname = indexname
        read_toc(storage, indexname, self._schema)

    def _read_toc(self) -> TOC:
        return read_toc(self.storage, self.indexname, self._schema)

    def writer(self, procs: int = 1, **kwargs: Any) -> Any:
        kwargs.setdefault("codec", SafeW3Codec())
        return super().writer(procs, **kwargs)

    @classmethod
    def _reader(
        cls, storage: Storage, schema: Any, segments: Any, generation: int, reuse: Any = None
    ) -> Any:
        """Whoosh's ``_reader``, closing the segments it opened when a later one fails.

        A commit in another process can delete a segment's file between this reader's TOC
        read and its opening of the segment. Whoosh's ``reader()`` then retries from a fresh
        TOC, but the segments it had already opened were left open until garbage collection
        (a ``ResourceWarning`` each, and open files piling up under a busy writer).
        """
        if reuse is not None:
            return super()._reader(storage, schema, segments, generation, reuse=reuse)
        if not segments:
            return EmptyReader(schema)
        readers: list[Any] = []
        try:
            for segment in segments:
                readers.append(_SegmentReader(storage, schema, segment, generation=generation))
        except BaseException:
            for reader in readers:
                reader.close()
            raise
        if len(readers) == 1:
            return readers[0]
        return MultiReader(readers, generation=generation)


class _SegmentReader(SegmentReader):
    """Whoosh's ``SegmentReader``, closing every file it opened if it fails to open; a segment
    whose files cannot be read is an IndexDamagedError naming its file.

    Whoosh 2.7.4's ``__init__`` written out, because its ``open_compound_file`` leaves the file
    open when the compound directory at the file's end cannot be read (a truncated copy).
    """

    def __init__(
        self,
        storage: Storage,
        schema: Any,
        segment: Any,
        generation: int | None = None,
        codec: Any = None,
    ) -> None:
        self.schema = schema
        self.is_closed = False
        self._segment = segment
        self._segid = segment.segment_id()
        self._gen = generation
        name = segment.make_filename(segment.COMPOUND_EXT) if segment.is_compound() else ""
        dbfile = files = None
        try:
            if name:
                dbfile = storage.open_file(name)
                files = CompoundStorage(dbfile, use_mmap=storage.supports_mmap)
                # an overlay: a segment file may be added after the compound file was written
                self._storage = OverlayStorage(files, storage)
            else:
                self._storage = storage
            self._codec = codec if codec else segment.codec()
            self._terms = self._codec.terms_reader(self._storage, segment)
            self._perdoc = self._codec.per_document_reader(self._storage, segment)
        except BaseException as exc:
            for part in ("_terms", "_perdoc"):
                opened = self.__dict__.get(part)
                if opened is not None:
                    opened.close()
            if files is not None:
                files.close()  # and the file under it
            elif dbfile is not None and not dbfile.is_closed:  # (closed if found hostile)
                dbfile.close()
            if isinstance(exc, _FORMAT_ERRORS):
                raise damaged(getattr(storage, "folder", None), exc, name) from exc
            raise


def _index_class(indexclass: Any) -> type[SafeFileIndex]:
    if indexclass is None:
        return SafeFileIndex
    if isinstance(indexclass, type) and issubclass(indexclass, SafeFileIndex):
        return indexclass
    raise TypeError(f"{indexclass!r} would read the index without the allow-list")


class _SafeIndexes:
    """Open and create indexes as :class:`SafeFileIndex` (mixed into the storages)."""

    def open_index(
        self, indexname: str = _DEF_INDEX_NAME, schema: Any = None, indexclass: Any = None
    ) -> SafeFileIndex:
        return _index_class(indexclass)(self, schema=schema, indexname=indexname)  # type: ignore[arg-type]

    def create_index(
        self, schema: Any, indexname: str = _DEF_INDEX_NAME, indexclass: Any = None
    ) -> SafeFileIndex:
        if getattr(self, "readonly", False):
            raise PermissionError(f"{self!r} is read-only")
        return _index_class(indexclass).create(self, schema, indexname)  # type: ignore[return-value]


# Storages


class SafeFileStorage(_SafeIndexes, FileStorage):
    """A directory of index files: safe reads, and fsync at every commit point."""

    def __init__(self, path: str, *, durable: bool = True, **kwargs: Any) -> None:
        super().__init__(path, **kwargs)
        self.durable = durable
        self._synced: dict[str, tuple[int, int, int]] = {}
        self._sync_lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        # picklable for Whoosh's multiprocess writer; a copy starts with nothing known synced
        state = self.__dict__.copy()
        state["_synced"] = {}
        del state["_sync_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._sync_lock = threading.Lock()

    def open_file(self, name: str, **kwargs: Any) -> SafeStructFile:
        return SafeStructFile(open(self._fpath(name), "rb"), name=name, **kwargs)

    def temp_storage(self, name: str | None = None) -> FileStorage:
        """Whoosh's ``temp_storage`` without its exception cycle.

        Whoosh creates the folder through ``FileStorage.create()``, which keeps the
        ``FileExistsError`` of a folder already there in a local (``e = sys.exc_info()[1]``):
        a reference cycle through the traceback that holds every caller's frame, the segment
        writer being set up among them, until the garbage collector's next full collection.
        Every segment after the first in a writer meets an existing folder.
        """
        path = os.path.join(self.folder, name or f"{random_name()}.tmp")
        os.makedirs(path, exist_ok=True)
        return FileStorage(path)

    def create_file(self, name: str, excl: bool = False, mode: str = "wb", **kwargs: Any) -> Any:
        f = super().create_file(name, excl=excl, mode=mode, **kwargs)
        if self.durable and _WHOOSH_FILE.fullmatch(name) is None:
            # a file of ours beside the index (mofasearch.json): durable as soon as it is closed
            f.onclose = _then_sync(f.onclose, self.folder)
        return f

    def rename_file(self, oldname: str, newname: str, safe: bool = False) -> None:
        committing = self.durable and newname.endswith(".toc")
        if committing:
            # the new TOC must not reach the disk before the files it names
            self.sync_files()
        super().rename_file(oldname, newname, safe=safe)
        if self.durable:
            fsync_directory(self.folder)
            with self._sync_lock:
                synced = self._synced.pop(oldname, None)
                if synced is not None:
                    self._synced[newname] = synced  # same inode: no need to sync it again

    def sync_files(self) -> int:
        """fsync every file of the directory not synced since it was last written.

        Called before a TOC is renamed into place. Files of segments written by other
        processes (Whoosh's multiprocess writer) are covered because the directory is listed,
        not the files this object created. Returns how many files were synced.
        """
        count = 0
        with self._sync_lock:
            present: set[str] = set()
            with os.scandir(self.folder) as entries:
                for entry in entries:
                    if not entry.is_file(follow_symlinks=False):
                        continue
                    present.add(entry.name)
                    stat = entry.stat(follow_symlinks=False)
                    key = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
                    if self._synced.get(entry.name) == key:
                        continue
                    fsync_path(entry.path)
                    self._synced[entry.name] = key
                    count += 1
            for name in set(self._synced) - present:
                del self._synced[name]
        return count


class SafeRamStorage(_SafeIndexes, RamStorage):
    """An in-memory storage whose files read pickles through the allow-list."""

    def open_file(self, name: str, **kwargs: Any) -> SafeBufferFile:
        if name not in self.files:
            raise NameError(name)
        return SafeBufferFile(memoryview(self.files[name]), name=name, **kwargs)


# fsync helpers

#: Whoosh's own files: TOCs (and their temporary names) and segment files; these are synced at
#: the commit point instead of one by one
_WHOOSH_FILE = re.compile(r"_.+\.toc(\..*)?|[A-Za-z0-9]+_[0-9a-z]+\..+")


def _then_sync(onclose: Any, folder: str) -> Any:
    def sync(sfile: Any) -> None:
        if onclose is not None:
            onclose(sfile)
        sfile.file.flush()
        os.fsync(sfile.file.fileno())
        fsync_directory(folder)

    return sync


def fsync_path(path: str) -> None:
    """Flush one file's data and metadata to the device."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_directory(path: str) -> None:
    """Make renames and new names in a directory durable (a no-op where unsupported)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        log.debug("cannot open %s to fsync it", path)
        return
    try:
        os.fsync(fd)
    except OSError:
        log.debug("fsync of directory %s is not supported", path)
    finally:
        os.close(fd)


__all__ = [
    "SafeFileIndex",
    "SafeFileStorage",
    "SafeRamStorage",
    "file_storage",
    "fsync_directory",
    "fsync_path",
    "ram_storage",
    "read_toc",
]
