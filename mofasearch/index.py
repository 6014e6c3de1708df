"""The public ``Index``: create/open an index of sectioned documents, write, search, explain.

An index is a Whoosh index (one Whoosh document per section, see :mod:`mofasearch.schema`) plus
``mofasearch.json`` beside it, recording the schema version, the analysis fingerprint and the
Sudachi dictionary version. ``Index.open`` reads that file before Whoosh unpickles anything and
raises :class:`~mofasearch.errors.IndexVersionError` naming the rebuild command when any differs.

Searches share one :class:`~mofasearch.snapshot.Snapshot` (a Whoosh searcher plus numpy caches)
until the index changes (a new commit, or another index in the folder's place: see
``storage.committed_state``), so threads of a web app search concurrently on committed states;
a snapshot is closed when the last search on it ends. After ``os.fork()`` the child drops the
parent's snapshot (its file offsets are shared with the parent) and opens its own.
"""

from __future__ import annotations

import datetime
import errno
import json
import logging
import os
import re
import stat
import threading
import weakref
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from whoosh.index import EmptyIndexError

from mofasearch import storage
from mofasearch.documents.model import Document
from mofasearch.errors import (
    IndexDamagedError,
    IndexExistsError,
    IndexNotFoundError,
    IndexStorageError,
    IndexVersionError,
    MofaSearchError,
    QuerySyntaxError,
)
from mofasearch.results import Results
from mofasearch.schema import (
    SCHEMA_VERSION,
    analysis_fingerprint,
    build_schema,
    dictionary_version,
    side_analyzer,
)
from mofasearch.scoring import RankingConfig
from mofasearch.search import SORTS, SearchRequest, run_search
from mofasearch.segments import SegmentCache
from mofasearch.snapshot import Snapshot, SupersededError
from mofasearch.writer import Writer, document_from_stored

log = logging.getLogger("mofasearch.index")

#: a reading term (katakana and the prolonged-sound mark only)
META_FILE = "mofasearch.json"
REBUILD = "mofasearch index --rebuild"
#: how long ``Index.create`` waits for the write lock by default: only another process
#: creating the same index (or rebuilding it) holds the lock of a folder without an index, and
#: only for a moment
CREATE_LOCK_TIMEOUT = 10.0
#: how many newer commits opening a snapshot follows before it gives up (see _open_snapshot)
_OPEN_ATTEMPTS = 5
#: a committed table of contents (not one being written, ``_MAIN_1.toc.<time>``)
_COMMITTED_TOC = re.compile(r"_MAIN_[0-9]+\.toc")

_OPEN_INDEXES: weakref.WeakSet[Index] = weakref.WeakSet()

#: synonym files given to an Index constructor: a path, several, or None (the ranking's own)
Synonyms = str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | None


def _after_fork_in_child() -> None:
    for ix in list(_OPEN_INDEXES):
        ix._forget_after_fork()


os.register_at_fork(after_in_child=_after_fork_in_child)


class Index:
    """A section-aware search index on disk (``create``/``open``) or in memory."""

    def __init__(
        self, whoosh_index: Any, store: Any, path: Path | None, ranking: RankingConfig | None
    ) -> None:
        self._ix = whoosh_index
        self._storage = store
        self.path = path
        self.ranking = ranking or RankingConfig()
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        #: the index's committed state when the snapshot was taken (``storage.committed_state``)
        self._state: tuple[int, ...] = ()
        self._segment_caches: dict[str, SegmentCache] = {}
        self._closed = False
        self._schema: Any = None
        _OPEN_INDEXES.add(self)

    # lifecycle --------------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        *,
        ranking: RankingConfig | None = None,
        synonyms: Synonyms = None,
        lock_timeout: float = CREATE_LOCK_TIMEOUT,
    ) -> Index:
        """A new empty index in ``path`` (created if missing); IndexExistsError if one is there.

        Created under the index's write lock, looking again for an index once it holds it:
        Whoosh's create deletes every table of contents in the folder, so another process's
        create, or its first commit, must never land between the look and the create. Waits
        up to ``lock_timeout`` seconds for the lock (another process creating the same index
        holds it for a moment), then IndexLockedError.

        ``synonyms``: synonym files its searches expand (``RankingConfig.synonyms``; query time
        only, so they can be given, changed or dropped at any open)."""
        target = Path(path)
        ranking = _with_synonyms(ranking, synonyms)
        if _has_committed_index(target):
            raise _exists(target)
        with _storage_errors(target):
            target.mkdir(parents=True, exist_ok=True)
            store = storage.file_storage(target)
            store.supports_mmap = False  # as in open()
            with storage.write_locked(store, lock_timeout, target):
                if _has_committed_index(target):
                    raise _exists(target)
                # the metadata first: a table of contents never exists without it (a metadata
                # file left by a create that failed before its TOC is simply rewritten)
                _write_meta(store)
                ix = store.create_index(build_schema())
        log.info("created index in %s", target)
        return cls(ix, store, target, ranking)

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        ranking: RankingConfig | None = None,
        synonyms: Synonyms = None,
    ) -> Index:
        """The index in ``path``: IndexNotFoundError, IndexVersionError or UnsafeIndexError."""
        target = Path(path)
        ranking = _with_synonyms(ranking, synonyms)
        if not target.is_dir():
            if target.exists():
                raise IndexNotFoundError(
                    f"no index in {target}: it is a file, not a directory",
                    target,
                    hint="give the index's directory, not a file",
                )
            raise IndexNotFoundError(f"no index in {target} (no such directory)", target)
        with _storage_errors(target):
            store = storage.file_storage(target)
            # Whoosh would map each compound segment file whole and keep every page a search
            # touched resident (stored fields, term index, postings): 81 MB of a JaQuAD search
            # process's 426 MB; read through the file instead, searches are as fast
            store.supports_mmap = False
            _check_meta(store, target)
            try:
                # the schema comes from this code, never from the index's pickle: the metadata
                # check above has proved they match, and a hostile schema cannot choose files
                ix = store.open_index(schema=build_schema())
            except EmptyIndexError:
                raise IndexNotFoundError(f"no index in {target}", target) from None
        return cls(ix, store, target, ranking)

    @classmethod
    def open_or_create(
        cls,
        path: str | os.PathLike[str],
        *,
        ranking: RankingConfig | None = None,
        synonyms: Synonyms = None,
        lock_timeout: float = CREATE_LOCK_TIMEOUT,
    ) -> Index:
        """The index in ``path``, created first when there is none (see ``create``); when
        another process creates it meanwhile, the index that process made is opened."""
        target = Path(path)
        if not _has_committed_index(target):
            try:
                return cls.create(
                    target, ranking=ranking, synonyms=synonyms, lock_timeout=lock_timeout
                )
            except IndexExistsError:
                pass
        return cls.open(target, ranking=ranking, synonyms=synonyms)

    @classmethod
    def in_memory(cls, *, ranking: RankingConfig | None = None, synonyms: Synonyms = None) -> Index:
        """An index that lives in this process's memory (gone when closed)."""
        ranking = _with_synonyms(ranking, synonyms)
        store = storage.ram_storage()
        ix = store.create_index(build_schema())
        _write_meta(store)
        return cls(ix, store, None, ranking)

    def close(self) -> None:
        with self._lock:
            if self._snapshot is not None:
                self._snapshot.retire()
                self._snapshot = None
            self._segment_caches.clear()
            self._closed = True

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Index({str(self.path) if self.path else 'in memory'!r})"

    @property
    def schema(self) -> Any:
        """The Whoosh schema (read once: Whoosh's own property re-reads the TOC each time)."""
        if self._schema is None:
            self._schema = self._ix.schema
        return self._schema

    # writing ----------------------------------------------------------------------------------

    def writer(self, *, jobs: int = 1, lock_timeout: float = 0.0) -> Writer:
        """A writer (context manager: commits on success, rolls back on an exception)."""
        self._check_open()
        return Writer(self, jobs=jobs, lock_timeout=lock_timeout)

    def optimize(self) -> None:
        """Merges every segment into one (drops deleted sections; searches get a bit faster)."""
        w = self.writer()
        try:
            w.commit(optimize=True)
        finally:
            w.cancel()

    def _changed(self) -> None:
        """Called after a commit through this Index: the next search takes a new snapshot."""
        with self._lock:
            if self._snapshot is not None:
                self._snapshot.retire()
                self._snapshot = None

    # searching --------------------------------------------------------------------------------

    def _acquire(self) -> Snapshot:
        self._check_open()
        with self._lock:
            # again under the lock: a close() that ran since the first check would otherwise
            # leave behind the snapshot this call opens, its files open until the Index goes
            self._check_open()
            snap = self._snapshot
            # taken before a new snapshot is opened: a commit landing in between costs one
            # more opening at the next call, never a stale snapshot kept
            state = storage.committed_state(self._storage)
            if snap is not None and state != self._state:
                snap.retire()
                # forgotten at once: should opening the new state fail, the next call must not
                # find this closed snapshot up to date
                snap = self._snapshot = None
            if snap is None:
                # opening reads every segment's directory and columns: a ValueError here is
                # the file format's (a column of the wrong size), not the caller's
                with _storage_errors(self.path, value_errors=True):
                    if self.path is not None:
                        # another index may have taken the folder's place (built by another
                        # version): its metadata must match this code's, as at open
                        _check_meta(self._storage, self.path)
                    snap = self._open_snapshot()
                live = {cache.segid for _, _, cache in snap.leaves}
                for segid in list(self._segment_caches):
                    if segid not in live:
                        del self._segment_caches[segid]
                self._snapshot = snap
                self._state = state
            return snap.acquire()

    def _open_snapshot(self) -> Snapshot:
        """A snapshot of the latest commit. One whose segment lost its side-car to a newer
        commit while it was being opened is given up for that commit, a few times at most."""
        for attempt in range(_OPEN_ATTEMPTS):
            try:
                searcher = self._ix.searcher()
            except EmptyIndexError:  # the folder's index was removed since it was opened
                raise IndexNotFoundError(f"no index in {self.path}", self.path) from None
            try:
                return Snapshot(searcher, self._segment_caches, self._storage)
            except SupersededError as exc:
                searcher.close()
                if attempt == _OPEN_ATTEMPTS - 1:
                    raise IndexStorageError(
                        f"the index in {self.path} changed under every attempt to read it"
                        f" (a segment's postings file, {exc}, went with each newer commit)",
                        self.path,
                        hint="search again: commits are coming faster than a search can open them",
                    ) from None
            except BaseException:
                searcher.close()
                raise
        raise AssertionError("unreachable")

    def search(
        self,
        query: str,
        *,
        limit: int = 10,
        offset: int = 0,
        since: Any = None,
        until: Any = None,
        category: str | None = None,
        section: str | None = None,
        sort: str = "score",
        group_by_document: bool = True,
        time_limit: float | None = None,
        ranking: RankingConfig | None = None,
    ) -> Results:
        """Ranked sections (grouped by document by default); QuerySyntaxError on bad queries."""
        _need_str("query", query)
        if sort not in SORTS:
            raise _bad_argument(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
        first, last = _as_date(since), _as_date(until)
        if first is not None and last is not None and first > last:
            # as the query language refuses date:2005..2003: no hits would hide the mistake
            raise _bad_argument(
                f"since {first} is after until {last}: no date lies between them",
                "since and until are inclusive: give since on or before until",
            )
        request = SearchRequest(
            query,
            _count("limit", limit),
            _count("offset", offset),
            first,
            last,
            _category(category),
            _section_number(section),
            sort,
            group_by_document,
            time_limit,
        )
        snap = self._acquire()
        try:
            with _storage_errors(self.path, snapshot=snap):
                return run_search(
                    snap, snap.schema, request, ranking or self.ranking, self._snippet_maker
                )
        finally:
            snap.release()

    def _snippet_maker(
        self, terms: set[str], *, readings: Collection[str] = (), bigrams: Collection[str] = ()
    ) -> Any:
        """Snippets for one query: its words through the body chain; matches made through a
        reading (にちろ → 日露) by the reading chain when the query scored reading terms; the
        query's bigrams only for a section whose words did not match (a bigram-only hit)."""
        from mofasearch.snippets import make_snippet

        analyzer = self.schema["body"].analyzer
        frozen = frozenset(terms)
        also = [(side_analyzer("reading"), frozenset(readings))] if readings else []
        fallback = [(side_analyzer("bigram"), frozenset(bigrams))] if bigrams else []

        def make(text: str, tokens: Any = None) -> Any:
            return make_snippet(
                text, set(frozen), analyzer, also=also, fallback=fallback, tokens=tokens
            )

        return make

    def explain(self, query: str, section_id: str, *, ranking: RankingConfig | None = None) -> str:
        """A readable account of which terms in which fields gave the section its score."""
        from mofasearch.explain import explain

        _need_str("query", query)
        _need_str("section_id", section_id)

        snap = self._acquire()
        try:
            with _storage_errors(self.path, snapshot=snap):
                return explain(snap, snap.schema, query, section_id, ranking or self.ranking)
        finally:
            snap.release()

    def analyze(self, text: str, **kwargs: Any) -> list[Any]:
        from mofasearch.analysis import analyze

        return analyze(text, **kwargs)

    # documents --------------------------------------------------------------------------------

    def get(self, doc_id: str) -> Document | None:
        """The document as indexed (sections in their order), or None."""
        _need_str("doc_id", doc_id)
        snap = self._acquire()
        try:
            with snap.lock, _storage_errors(self.path):
                stored = [dict(s) for s in snap.searcher.documents(doc_id=doc_id)]
        finally:
            snap.release()
        return document_from_stored(stored) if stored else None

    def doc_ids(self) -> Iterator[str]:
        """Ids of the indexed documents (each once)."""
        snap = self._acquire()
        try:
            columns = snap.columns
            codes = set(columns["doc"][snap.live].tolist())
            names = columns["doc_names"]
            found = [names[c] for c in sorted(codes)]
        finally:
            snap.release()
        return iter(found)

    def stats(self) -> dict[str, Any]:
        """Figures for ``mofasearch stats``; ``size_bytes`` counts the files of the generation
        counted (its table of contents, its segments' files, the metadata), not a writer's
        unfinished files."""
        snap = self._acquire()
        try:
            documents = len(set(snap.columns["doc"][snap.live].tolist()))
            sections = int(snap.live.sum())
            segments = len(snap.leaves)
            # the size of the very generation counted, whatever a writer does meanwhile
            generation = snap.searcher.reader().generation()
            segment_ids = [cache.segid for _, _, cache in snap.leaves]
        finally:
            snap.release()
        with _storage_errors(self.path):
            meta = _read_meta(self._storage) or {}
            size = storage.generation_size(self._storage, generation, segment_ids, [META_FILE])
        return {
            "path": str(self.path) if self.path else None,
            "documents": documents,
            "sections": sections,
            "segments": segments,
            "size_bytes": int(size),
            "schema_version": meta.get("schema_version"),
            "fingerprint": meta.get("analysis"),
            "dictionary": meta.get("dictionary"),
        }

    # internals --------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise MofaSearchError("this index is closed", hint="open it again with Index.open")

    def _forget_after_fork(self) -> None:
        """In a forked child: never touch the parent's open files; reopen lazily."""
        self._lock = threading.Lock()
        self._snapshot = None
        self._segment_caches = {}


def _with_synonyms(ranking: RankingConfig | None, synonyms: Synonyms) -> RankingConfig:
    """``ranking`` (default: the default ranking) with ``synonyms`` as its synonym files when
    given; each file is read once here, so a missing or unreadable one is an error naming it
    before any search."""
    ranking = ranking or RankingConfig()
    if synonyms is not None:
        ranking = replace(ranking, synonyms=synonyms)  # type: ignore[arg-type]  # normalized there
    if ranking.synonyms:
        from mofasearch.analysis.synonyms import check_files

        check_files(ranking.synonyms)
    return ranking


def _as_date(value: Any) -> datetime.date | None:
    """A date from a ``date``/``datetime`` or an ISO ``YYYY-MM-DD`` string."""
    if value is None or type(value) is datetime.date:
        return value
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"not a date: {value!r} (use YYYY-MM-DD)") from None
    raise TypeError(f"since/until take a date, not {type(value).__name__}")


def _need_str(name: str, value: Any) -> None:
    """A TypeError naming the argument, not one from deep inside (``'NoneType' object has no
    attribute 'encode'``) when a caller passes None or bytes for text."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be str, not {type(value).__name__}")


def _count(name: str, value: Any) -> int:
    """``limit`` or ``offset``: a whole number, 0 or more."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise _bad_argument(f"{name} must be a whole number, not {value!r}") from None
    if number < 0 or isinstance(value, float) and number != value:
        raise _bad_argument(f"{name} must be a whole number, 0 or more, not {value!r}")
    return number


def _bad_argument(
    message: str,
    hint: str = 'limit and offset take whole numbers (0 or more), sort "score", "date" or "-date"',
) -> QuerySyntaxError:
    """A search argument the caller got wrong: a ``ValueError`` (a ``QuerySyntaxError``, bad
    usage to the command line) saying what it takes."""
    error = QuerySyntaxError(message)
    error.hint = hint
    return error


def _category(value: str | None) -> str | None:
    """An empty category is a mistake (a form's "all" choice passed as ""), not a category no
    document has: refused as an empty section number is, rather than finding nothing."""
    if isinstance(value, str) and not value.strip():
        raise _bad_argument(
            f"category filter: empty category: {value!r}",
            "give a category as results show it (会談・訪問), or None for every category",
        )
    return value


def _section_number(value: str | None) -> str | None:
    """``３．（２）``, ``3(2)`` and ``§3.(2)`` mean ``3.(2)``, as in the query language."""
    if value is None:
        return None
    from mofasearch.query.values import section_number

    try:
        return section_number(value)
    except ValueError as exc:
        hint = "give a section number as search results show it, e.g. §3 or 3.(2)"
        raise _bad_argument(f"section filter: {exc}", hint) from None


def _has_committed_index(target: Path) -> bool:
    """Whether ``target`` holds a committed table of contents, what Whoosh opens.

    Not ``_has_whoosh_index``: a TOC being written (``_MAIN_0.toc.<time>``) is not one yet,
    and opening the folder then would find no index."""
    try:
        if not target.is_dir():
            return False
        return any(_COMMITTED_TOC.fullmatch(p.name) for p in target.iterdir())
    except OSError as exc:
        raise _os_error(target, exc) from exc


def _exists(target: Path) -> IndexExistsError:
    return IndexExistsError(f"an index already exists in {target}", target)


def _has_whoosh_index(target: Path) -> bool:
    try:
        return target.is_dir() and any(p.name.startswith("_MAIN_") for p in target.iterdir())
    except OSError as exc:
        raise _os_error(target, exc) from exc


def check_directory(path: str | os.PathLike[str]) -> None:
    """IndexStorageError naming ``path`` when it cannot hold an index: it or a parent is a
    file, it cannot be listed, or it is missing and cannot be created. Nothing is created.

    For callers that create the directory themselves (``sources.sync``), so that a wrong
    ``--index`` is one clear error before any work is done.
    """
    target = Path(path)
    try:
        blocker = _file_in_the_way(target)
        if blocker is not None:
            raise _not_a_directory(target, blocker)
        if target.is_dir():
            _has_whoosh_index(target)  # lists it: IndexStorageError when it cannot be read
            return
        parent = next(p for p in target.absolute().parents if p.exists())
    except OSError as exc:  # a parent that may not be searched
        raise _os_error(target, exc) from exc
    if not os.access(parent, os.W_OK | os.X_OK):
        raise IndexStorageError(
            f"cannot create the index directory {target}: no permission to write in {parent}",
            target,
        )


def _file_in_the_way(target: Path) -> Path | None:
    """``target`` or its nearest existing parent when that is not a directory, else None.

    OSError when a parent cannot be searched."""
    for candidate in (target, *target.parents):
        try:
            mode = candidate.stat().st_mode
        except (FileNotFoundError, NotADirectoryError):
            continue
        return None if stat.S_ISDIR(mode) else candidate
    return None


def _not_a_directory(target: Path, blocker: Path) -> IndexStorageError:
    what = "it is" if blocker == target else f"{blocker} is"
    return IndexStorageError(
        f"cannot use {target} as an index directory: {what} a file, not a directory",
        target,
        hint="choose another index directory, or move the file away",
    )


def _meta() -> dict[str, Any]:
    return {
        "format": "mofasearch-index",
        "schema_version": SCHEMA_VERSION,
        "analysis": analysis_fingerprint(),
        "dictionary": dictionary_version(),
    }


def _write_meta(store: Any) -> None:
    data = json.dumps(_meta(), ensure_ascii=False, indent=1).encode("utf-8")
    f = store.create_file(META_FILE)
    try:
        f.write(data)
    finally:
        f.close()


def _read_meta(store: Any) -> dict[str, Any] | None:
    if not store.file_exists(META_FILE):
        return None
    f = store.open_file(META_FILE)
    try:
        raw = f.read()
    finally:
        f.close()
    try:
        found = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _check_meta(store: Any, target: Path) -> None:
    found = _read_meta(store)
    if found is None:
        if _has_whoosh_index(target):
            raise IndexVersionError(
                f"{target} holds an index without {META_FILE} (made by another program or an "
                f"older mofasearch); rebuild it with `{REBUILD}`",
                target,
            )
        raise IndexNotFoundError(f"no index in {target}", target)
    expected = _meta()
    if not found:
        raise IndexVersionError(
            f"the {META_FILE} of the index in {target} is damaged (not a JSON object); "
            f"rebuild it with `{REBUILD}`",
            target,
        )
    version = found.get("schema_version")
    if isinstance(version, int) and version > expected["schema_version"]:
        raise IndexVersionError(
            f"the index in {target} was built by a newer mofasearch (schema version {version}, "
            f"this one reads {expected['schema_version']})",
            target,
            hint=f"upgrade mofasearch to search it, or rebuild it with `{REBUILD}`",
        )
    labels = {
        "schema_version": "schema version",
        "analysis": "analyzer settings",
        "dictionary": "Sudachi dictionary",
    }
    for key, label in labels.items():
        if found.get(key) != expected[key]:
            raise IndexVersionError(
                f"the index in {target} was built with {label} {found.get(key)!r}, this "
                f"mofasearch uses {expected[key]!r}; rebuild it with `{REBUILD}`",
                target,
            )


@contextmanager
def _storage_errors(
    path: Path | None, *, value_errors: bool = False, snapshot: Snapshot | None = None
) -> Iterator[None]:
    """Maps errors at the storage boundary to the error family: OS errors to IndexStorageError
    / IndexNotFoundError, what a truncated or corrupt file raises (and, where only the files
    can cause one, ``ValueError``) to IndexDamagedError. With a ``snapshot``, an IndexError
    (a document number out of range) is an IndexDamagedError when one of its side-car postings
    files proves damaged, and stays what it is otherwise."""
    damage: tuple[type[Exception], ...] = storage.DAMAGE_ERRORS
    if value_errors:
        damage = (*damage, ValueError)
    try:
        yield
    except MofaSearchError:
        raise
    except OSError as exc:
        raise _os_error(path, exc) from exc
    except damage as exc:
        raise storage.damaged(path, exc) from exc
    except IndexError as exc:
        found = snapshot.damaged_postings() if snapshot is not None else None
        if found is None:
            raise
        name, problem = found
        raise storage.damaged(path, ValueError(problem), name) from exc


def _os_error(path: Path | None, exc: OSError) -> MofaSearchError:
    if path is not None and exc.errno in (errno.ENOTDIR, errno.EEXIST):
        try:
            blocker = _file_in_the_way(path)
        except OSError:
            blocker = None
        if blocker is not None:
            return _not_a_directory(path, blocker)
    if exc.errno == errno.ENOENT:
        if path is not None and exc.filename and _is_inside(exc.filename, path):
            # the directory and its TOC are there, a file the TOC lists is not
            name = Path(exc.filename).name
            return IndexDamagedError(
                f"the index in {path} is damaged: its file {name} is missing", path
            )
        return IndexNotFoundError(f"no index in {path}: {exc}", path)
    return IndexStorageError(f"cannot use the index in {path}: {exc}", path)


def _is_inside(filename: str | bytes | os.PathLike[str], folder: Path) -> bool:
    try:
        inside = Path(os.fsdecode(filename)).resolve().parent == folder.resolve()
        return inside and folder.is_dir()
    except (OSError, ValueError):
        return False
