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
  holding process dies, so a killed writer never leaves a stale lock. An in-memory index's locks
  (:class:`MemoryLock`) behave the same way within the process: refused at once unless waited
  for, released when the writer holding one is garbage-collected.
- **Temporary files** of an in-memory index's writers stay in memory, private to the writer
  (Whoosh's ``RamStorage`` shared ``$TMPDIR/MAIN.tmp`` between every in-memory index).
"""

from __future__ import annotations

import logging
import os
import pickle
import re
import struct
import threading
import time
import weakref
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from io import BytesIO
from typing import Any

from whoosh.codec.whoosh3 import W3Segment
from whoosh.fields import FieldType, Schema, ensure_schema
from whoosh.filedb.compound import CompoundStorage
from whoosh.filedb.filestore import FileStorage, OverlayStorage, RamStorage, Storage
from whoosh.filedb.structfile import StructFile
from whoosh.index import _CURRENT_TOC_VERSION, _DEF_INDEX_NAME, TOC, EmptyIndexError, FileIndex
from whoosh.reading import EmptyReader, MultiReader, SegmentReader
from whoosh.system import _FLOAT_SIZE, _INT_SIZE, _LONG_SIZE
from whoosh.util import random_name

from mofasearch.errors import (
    IndexDamagedError,
    IndexLockedError,
    IndexVersionError,
    UnsafeIndexError,
)
from mofasearch.impact import DamagedPostingsError
from mofasearch.safepickle import SafeBufferFile, SafeStructFile, SafeW3Codec, load, loads

log = logging.getLogger("mofasearch.storage")

_SEGMENT_ID = re.compile(r"[0-9a-z]{1,64}")

#: the lock Whoosh's writer takes (``FileIndex.lock("WRITELOCK")``); whoever holds it may
#: change the index's files
WRITE_LOCK = f"{_DEF_INDEX_NAME}_WRITELOCK"

#: what reading a truncated or corrupt index file raises: Whoosh's fixed-size reads, unpickling
#: (through the allow-list), zlib-compressed columns and blocks, stored text that is not UTF-8,
#: a side-car postings file that contradicts itself
DAMAGE_ERRORS: tuple[type[Exception], ...] = (
    DamagedPostingsError,
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


@contextmanager
def write_locked(
    storage: Storage, timeout: float, path: str | os.PathLike[str] | None = None
) -> Iterator[None]:
    """Holds the index's write lock, the one Whoosh's writer takes, waiting up to ``timeout``
    seconds for it; IndexLockedError naming ``path`` when another writer keeps it longer.

    For changes to an index's files made outside a writer (creating the index), so that they
    never interleave with a writer's or with another such change.
    """
    lock = storage.lock(WRITE_LOCK)
    deadline = time.monotonic() + timeout
    while not lock.acquire(blocking=False):
        if time.monotonic() >= deadline:
            raise IndexLockedError(
                f"another writer holds the lock of the index in {path or 'memory'}", path
            )
        time.sleep(0.05)
    try:
        yield
    finally:
        lock.release()


def generation_size(
    storage: Storage, generation: int, segment_ids: Iterable[str], extra: Iterable[str] = ()
) -> int:
    """Bytes of one committed generation: its TOC, every file of its segments (the side-car
    postings too: they carry the segment's name) and the ``extra`` files.

    Not everything in the folder: a writer's unfinished segments and temporary files are no
    part of the index. And a commit removes the files of older generations at any moment, so
    a file gone by the time it is measured counts nothing instead of failing.
    """
    wanted = set(segment_ids)
    others = set(extra)
    toc = TOC._filename(_DEF_INDEX_NAME, generation)
    pattern = TOC._segment_pattern(_DEF_INDEX_NAME)
    total = 0
    for name in storage.list():
        match = pattern.fullmatch(name)
        if name == toc or name in others or (match is not None and match.group(1) in wanted):
            total += _length_if_present(storage, name)
    return total


def latest_generation(storage: Storage, indexname: str = _DEF_INDEX_NAME) -> int:
    """The newest committed generation in ``storage`` (-1 without an index)."""
    return int(TOC._latest_generation(storage, indexname))


def committed_state(storage: Storage, indexname: str = _DEF_INDEX_NAME) -> tuple[int, ...]:
    """What changes when the index in ``storage`` does: its latest committed generation and,
    on disk, which file its TOC is (device, inode, change time); ``(-1,)`` without an index.

    The generation alone tells each commit, but not another index put in the folder's place
    (the folder removed and built again, a symbolic link switched to a fresh build): that one
    may well have the very generation number the old one had.
    """
    gen = latest_generation(storage, indexname)
    folder = getattr(storage, "folder", "")
    if gen < 0 or not folder:
        return (gen,)
    try:
        st = os.stat(os.path.join(folder, TOC._filename(indexname, gen)))
    except OSError:  # removed by a newer commit since the listing: the next look tells
        return (gen, -1, -1, -1)
    return (gen, st.st_dev, st.st_ino, st.st_ctime_ns)


def _length_if_present(storage: Storage, name: str) -> int:
    try:
        return int(storage.file_length(name))
    except (FileNotFoundError, NameError):  # removed since listed (NameError: in memory)
        return 0


def _named(storage: Storage) -> str | None:
    """The index folder as the caller named it, for messages; None in memory."""
    return getattr(storage, "given", None) or getattr(storage, "folder", None) or None


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
    where = os.path.join(_named(storage) or "", name)
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
        raise damaged(_named(storage), exc, name) from exc
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
        if not segments:
            return _EmptyReader(schema, generation)
        if reuse is not None:
            return super()._reader(storage, schema, segments, generation, reuse=reuse)
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
                raise damaged(_named(storage), exc, name) from exc
            raise


class _EmptyReader(EmptyReader):
    """Whoosh's reader of an index without segments, knowing its generation (Whoosh's says
    None, so a searcher of an empty index was never up to date and its size unknown)."""

    def __init__(self, schema: Any, generation: int) -> None:
        super().__init__(schema)
        self._gen = generation

    def generation(self) -> int:
        return self._gen


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


#: every file storage of the process, so a forked child can renew their locks
_FILE_STORAGES: weakref.WeakSet[SafeFileStorage] = weakref.WeakSet()


def _renew_locks_after_fork() -> None:
    """In a forked child: a storage's lock taken by a thread of the parent (syncing files for
    a commit) is inherited held, by a thread the child does not have; a commit would wait on
    it for ever. Only the thread that forked lives on, and it held none of them."""
    for store in list(_FILE_STORAGES):
        store._sync_lock = threading.Lock()


os.register_at_fork(after_in_child=_renew_locks_after_fork)


class SafeFileStorage(_SafeIndexes, FileStorage):
    """A directory of index files: safe reads, and fsync at every commit point."""

    def __init__(self, path: str, *, durable: bool = True, **kwargs: Any) -> None:
        # Whoosh names every file through its folder: made absolute, so that a process that
        # changes its working directory later (a server going into the background) still
        # finds its index; messages name the folder as the caller did
        super().__init__(os.path.abspath(path), **kwargs)
        self.given = path
        self.durable = durable
        self._synced: dict[str, tuple[int, int, int]] = {}
        self._sync_lock = threading.Lock()
        _FILE_STORAGES.add(self)

    def __getstate__(self) -> dict[str, Any]:
        # picklable for Whoosh's multiprocess writer; a copy starts with nothing known synced
        state = self.__dict__.copy()
        state["_synced"] = {}
        del state["_sync_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._sync_lock = threading.Lock()
        _FILE_STORAGES.add(self)

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
    """An in-memory storage whose files read pickles through the allow-list, with locks that
    behave like the file locks and temporary files of its own."""

    def __init__(self) -> None:
        super().__init__()
        self._locks_guard = threading.Lock()

    def open_file(self, name: str, **kwargs: Any) -> SafeBufferFile:
        if name not in self.files:
            raise NameError(name)
        return SafeBufferFile(memoryview(self.files[name]), name=name, **kwargs)

    def lock(self, name: str) -> MemoryLock:
        """A new hold on the lock ``name``, as ``FileStorage.lock`` opens a new file lock.

        Whoosh's ``RamStorage.lock`` handed out the ``threading.Lock`` itself, whose
        ``acquire()`` blocks, while Whoosh's writer polls it for its timeout expecting a
        refusal: a second writer waited forever (in the same thread, a deadlock). It also
        made the lock on first use without a guard, so two threads could each make one.
        """
        with self._locks_guard:
            shared = self.locks.get(name)
            if shared is None:
                shared = self.locks[name] = threading.Lock()
        return MemoryLock(shared)

    def temp_storage(self, name: str | None = None) -> RamStorage:
        """A new in-memory storage for one writer's temporary files.

        Whoosh's gave every in-memory index of every process the same ``$TMPDIR/MAIN.tmp``,
        emptied by any writer's commit or cancel under the others' open files (and unusable
        where the temporary folder is not writable). ``name`` names nothing here: nothing
        is shared.
        """
        return _RamTempStorage()


class MemoryLock:
    """One hold on a lock of a :class:`SafeRamStorage`, behaving like Whoosh's file locks.

    ``acquire()`` refuses at once unless ``blocking`` (Whoosh's writer polls it until its lock
    timeout); any thread may release it (a writer can be cancelled from another thread); and a
    hold dropped while locked releases the lock when it is garbage-collected, as the kernel
    drops the flock of a file closed with a writer nobody committed or cancelled.
    """

    def __init__(self, shared: threading.Lock) -> None:
        self._shared = shared
        self.locked = False

    def acquire(self, blocking: bool = False) -> bool:
        if not self._shared.acquire(blocking):
            return False
        self.locked = True
        return True

    def release(self) -> None:
        if not self.locked:
            raise RuntimeError("this lock was not acquired")
        self.locked = False
        self._shared.release()

    def __del__(self) -> None:
        if self.locked:
            self.release()


class _RamTempStorage(RamStorage):
    """A writer's temporary files in memory.

    Whoosh's posting pool writes its sorted runs through the raw file and closes that, not the
    ``StructFile`` whose ``onclose`` keeps a ``RamStorage`` file's bytes: here the raw file
    keeps them itself when closed, so both ways of writing work.
    """

    def create_file(self, name: str, **kwargs: Any) -> StructFile:
        return StructFile(_KeptBytesIO(self.files, name), name=name)


class _KeptBytesIO(BytesIO):
    """A file in memory whose bytes are stored under its name in ``files`` when it is closed."""

    def __init__(self, files: dict[str, bytes], name: str) -> None:
        super().__init__()
        self._files = files
        self._name = name

    def close(self) -> None:
        if not self.closed:
            self._files[self._name] = self.getvalue()
        super().close()


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
    "WRITE_LOCK",
    "MemoryLock",
    "SafeFileIndex",
    "SafeFileStorage",
    "SafeRamStorage",
    "committed_state",
    "file_storage",
    "fsync_directory",
    "fsync_path",
    "generation_size",
    "latest_generation",
    "ram_storage",
    "read_toc",
    "write_locked",
]
