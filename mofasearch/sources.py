"""Incremental indexing: keep an index in step with the files it was built from.

An index remembers its sources in a small JSON manifest inside the index directory
(:data:`MANIFEST_NAME`): each root that was given (file or directory, stored relative to the index
directory so that a project folder can be moved) and, for every file under it, its size,
``mtime_ns``, SHA-256 and the document ids it produced. :func:`sync` compares the manifest with
the file system and applies the difference in one writer commit: new files are added, changed
files re-added (``writer.add`` replaces a document by id; ids a file no longer produces are
deleted), and the documents of deleted files are removed.

The manifest is written (atomically, by rename) twice: just before the commit, with every file
the run changes recorded as not yet indexed and owning both the document ids it had and those it
is being given, and after the commit as it is. A crash in between leaves an index that may be
ahead of its manifest; the next run re-reads those files and redoes the same adds and deletes,
which are idempotent, so even a file new in the stopped run and deleted before the next one
leaves no document behind. A file that fails to parse is reported and not recorded, so the next run
retries it; when a file that was indexed before now fails, its previous documents are kept (and
its record, marked so that it still counts as changed) until it parses again.

Bad input never costs data. A folder that cannot be listed (or a root that cannot be examined)
is a rejected input like a bad file: the files recorded under it are kept, not taken for
deleted, and the run exits 1 naming it. The walk skips any folder that is a mofasearch index
(see :func:`mofasearch.documents.iter_source_files`), so ``mofasearch index .`` does not read
the index it writes; that index holds its metadata file from its creation on, before the walk.

A document id belongs to one file. A file producing an id that another file already holds is
rejected, naming both; the holder keeps its document and the rejected file is retried every run,
so the clash is reported until it is resolved, and once the holder drops the id or goes away
the other file is indexed. The ids a changed file held before are reserved for it during the
run, so a holder keeps its ids whatever the order files are visited in (between two new files,
the first in the walk wins); the documents a rejected file keeps from before give way to a file
that produces their ids now. An id repeated inside one file is indexed once (the last record
wins, as ``Writer.add`` would have it) and logged as a warning naming the file.

A file counts as unchanged when its size and ``mtime_ns`` are as recorded (the hash is computed
only when they differ, and a touched file whose hash is the same is not re-indexed). Like
``make``, this misses a rewrite that keeps both size and modification time; ``--rebuild`` covers
that.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import secrets
import stat
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mofasearch.errors import DocumentParseError, IndexStorageError, MofaSearchError
from mofasearch.progress import SyncProgress

if TYPE_CHECKING:
    from mofasearch.documents import Document

log = logging.getLogger("mofasearch.sources")

#: the manifest's file name inside the index directory
MANIFEST_NAME = "mofasearch-sources.json"
_FORMAT = 1
_HASH_CHUNK = 1 << 20

# Whoosh's own file names in an index directory: the TOC generations and segment files.
_INDEX_FILE = re.compile(r"^_?MAIN_[A-Za-z0-9]+\.[A-Za-z0-9]+$")


@dataclass(frozen=True, slots=True)
class FileRecord:
    """What the manifest remembers about one source file."""

    size: int
    mtime_ns: int
    sha256: str
    doc_ids: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "mtime_ns": self.mtime_ns,
            "sha256": self.sha256,
            "doc_ids": list(self.doc_ids),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FileRecord:
        return cls(
            size=int(data["size"]),
            mtime_ns=int(data["mtime_ns"]),
            sha256=str(data["sha256"]),
            doc_ids=tuple(str(d) for d in data["doc_ids"]),
        )


@dataclass(slots=True)
class SyncReport:
    """What one :func:`sync` run did. Paths are shown as the user gave the roots."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    documents_added: int = 0
    documents_deleted: int = 0
    sections_added: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)
    forgotten_roots: list[str] = field(default_factory=list)
    rebuilt: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when every input was indexed (the command line exits 1 otherwise)."""
        return not self.rejected

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "changed": self.changed,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "documents_added": self.documents_added,
            "documents_deleted": self.documents_deleted,
            "sections_added": self.sections_added,
            "rejected": [{"path": p, "reason": r} for p, r in self.rejected],
            "forgotten_roots": self.forgotten_roots,
            "rebuilt": self.rebuilt,
            "seconds": round(self.seconds, 3),
        }


# --------------------------------------------------------------------------- the manifest


class Manifest:
    """The roots an index was built from and, per root, its files (relative path → record)."""

    def __init__(self, index_dir: Path, roots: dict[str, dict[str, FileRecord]] | None = None):
        self.index_dir = index_dir
        self.roots: dict[str, dict[str, FileRecord]] = roots or {}

    @classmethod
    def load(cls, index_dir: str | os.PathLike[str]) -> Manifest:
        """The manifest of ``index_dir``; empty when there is none yet (a new or foreign index)."""
        index_dir = Path(index_dir)
        path = index_dir / MANIFEST_NAME
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(index_dir)
        except (OSError, ValueError) as exc:
            raise MofaSearchError(
                f"cannot read the list of indexed sources {path}: {exc}",
                hint="rebuild the index with `mofasearch index --rebuild PATH ...`",
            ) from exc
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            raise MofaSearchError(
                f"{path} is not a sources list this version understands",
                hint="rebuild the index with `mofasearch index --rebuild PATH ...`",
            )
        roots = {
            key: {rel: FileRecord.from_json(rec) for rel, rec in files.items()}
            for key, files in data["roots"].items()
        }
        return cls(index_dir, roots)

    def save(self) -> None:
        """Write the manifest atomically (temporary file, fsync, rename)."""
        data = {
            "format": _FORMAT,
            "roots": {
                key: {rel: rec.to_json() for rel, rec in sorted(files.items())}
                for key, files in sorted(self.roots.items())
            },
        }
        try:
            raw = json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")
        except UnicodeEncodeError:  # a file name that is not UTF-8: kept as JSON escapes
            raw = json.dumps(data, indent=1).encode("ascii")
        # not mkstemp, whose file is private (0600): the list is read by whoever may search the
        # index (`mofasearch stats`), so it gets the mode the umask gives the index's own files
        tmp = self.index_dir / f".sources-{secrets.token_hex(8)}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(raw)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.index_dir / MANIFEST_NAME)
        except BaseException:
            with _suppress_oserror():
                os.unlink(tmp)
            raise

    def root_key(self, root: Path) -> str:
        """How a root is stored: relative to the index directory when possible, POSIX style."""
        absolute = _real(root)
        try:
            rel = os.path.relpath(absolute, _real(self.index_dir))
        except ValueError:  # another drive on Windows
            return absolute.as_posix()
        return Path(rel).as_posix()

    def root_path(self, key: str) -> Path:
        return _real(self.index_dir / key)

    def owners(self) -> Counter[str]:
        """How many recorded files produce each document id: one, except in a manifest written
        before clashing ids were rejected."""
        counts: Counter[str] = Counter()
        for files in self.roots.values():
            for rec in files.values():
                counts.update(rec.doc_ids)
        return counts


def _real(path: Path) -> Path:
    """``path`` made absolute, its symbolic links resolved as far as they go. Not
    ``Path.resolve``, which raises RuntimeError on a link loop before Python 3.13: a root that
    is a loop is rejected like any other root that cannot be examined."""
    return Path(os.path.realpath(path))


def remembered_roots(index_dir: str | os.PathLike[str]) -> list[Path]:
    """The source roots an index remembers (absolute paths); empty for a new index."""
    manifest = Manifest.load(index_dir)
    return [manifest.root_path(key) for key in sorted(manifest.roots)]


# --------------------------------------------------------------------------- planning


@dataclass(slots=True)
class _Job:
    """One file to (re)load: where it is, how it is named, and what it produced before."""

    key: str
    rel: str
    path: Path
    root_dir: Path
    display: str
    previous: FileRecord | None
    size: int = 0
    mtime_ns: int = 0
    sha256: str = ""
    error: str | None = None  # why the file could not even be read


@dataclass(slots=True)
class _Plan:
    jobs: list[_Job] = field(default_factory=list)
    deletions: list[tuple[str, str, str]] = field(default_factory=list)  # key, rel, display
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # display, reason
    roots: dict[str, tuple[str, bool]] = field(default_factory=dict)  # key: display, is a folder
    refreshed: list[tuple[str, str, FileRecord]] = field(default_factory=list)
    forgotten: list[str] = field(default_factory=list)  # keys of roots that are gone
    unchanged: int = 0

    @property
    def needs_writer(self) -> bool:
        return bool(self.jobs or self.deletions or self.forgotten)


def _plan(manifest: Manifest, roots: Sequence[Path], displays: Sequence[str]) -> _Plan:
    plan = _Plan()
    shared = {doc_id for doc_id, n in manifest.owners().items() if n > 1}
    remembered = {key: manifest.root_path(key) for key in manifest.roots}
    for root, display in _owning_roots(manifest, remembered, roots, displays):
        inner = [path for path in remembered.values() if _within(path, _real(root))]
        _plan_root(plan, manifest, root, display, shared, inner)
    return plan


def _owning_roots(
    manifest: Manifest,
    remembered: dict[str, Path],
    roots: Sequence[Path],
    displays: Sequence[str],
) -> list[tuple[Path, str]]:
    """The roots to walk for the given ones, so that each file belongs to one root only (its
    document ids are made from its path under that root: a file seen through two roots would
    be indexed twice, or clash with itself).

    A file belongs to the innermost remembered root that holds it. So a path inside a
    remembered folder is synced through that folder (``mofasearch index src/sub`` once ``src``
    is remembered walks ``src``); a new path inside another new folder given in the same run is
    covered by it (``src src/a.txt``); and the remembered roots inside a given folder are
    synced with it, each walked on its own (the folder's walk leaves their files to them).
    """
    reals = [_real(root) for root in roots]
    owned: list[tuple[Path, str]] = []
    for root, real, display in zip(roots, reals, displays, strict=True):
        if manifest.root_key(root) in remembered:
            owned.append((root, display))
            continue
        holders = [path for path in remembered.values() if _within(real, path)]
        if holders:
            holder = max(holders, key=lambda path: len(path.parts))
            log.info("%s is inside the remembered source %s: syncing that", display, holder)
            owned.append((holder, str(holder)))
        elif not any(_within(real, other) for other in reals):
            owned.append((root, display))
    for root, _ in list(owned):
        real = _real(root)
        owned.extend(
            (path, str(path))
            for path in remembered.values()
            if _within(path, real) and not _gone(path)
        )
    return owned


def _within(path: Path, folder: Path) -> bool:
    """Whether ``path`` lies strictly inside ``folder`` (both real, absolute paths)."""
    return path != folder and path.is_relative_to(folder)


def _plan_root(
    plan: _Plan,
    manifest: Manifest,
    root: Path,
    display: str,
    shared: set[str],
    inner: Sequence[Path] = (),
) -> None:
    """Plan one root: its files to (re)load, and its recorded files to forget.

    Recorded files under a folder that could not be listed are neither: not seeing a file is
    not knowing it is gone. Files that share an id with another recorded file (a manifest
    written before clashes were rejected) are reloaded, so the clash is settled and reported.
    Files under the ``inner`` roots (remembered roots inside this folder) are theirs: skipped,
    and forgotten here if this root recorded them too.
    """
    from mofasearch.documents import iter_source_files

    try:
        is_dir = stat.S_ISDIR(root.stat().st_mode)  # a link loop is an error, not a file
    except OSError as exc:
        plan.unreadable.append((display, f"cannot examine it: {exc.strerror or exc}"))
        return
    key = manifest.root_key(root)
    if key in plan.roots:  # given twice (`src src/`): its files are planned once
        return
    known = manifest.roots.setdefault(key, {})
    root_dir = root if is_dir else root.parent
    plan.roots[key] = (display, is_dir)
    unlisted: list[str] = []

    def cannot_list(folder: Path, error: DocumentParseError) -> None:
        rel = Path(os.path.relpath(folder, root_dir)).as_posix()
        unlisted.append(rel)
        plan.unreadable.append((_shown(display, rel, is_dir), _reason(error)))

    theirs = [Path(os.path.relpath(path, _real(root_dir))).as_posix() for path in inner]
    seen: set[str] = set()
    for path in sorted(iter_source_files(root, on_error=cannot_list)):
        rel = Path(os.path.relpath(path, root_dir)).as_posix()
        if theirs and any(rel == other or rel.startswith(other + "/") for other in theirs):
            continue
        seen.add(rel)
        prev = known.get(rel)
        force = prev is not None and not shared.isdisjoint(prev.doc_ids)
        _plan_file(plan, key, rel, Path(path), root_dir, _shown(display, rel, is_dir), prev, force)
    for rel in sorted(set(known) - seen):
        if not any(folder == "." or rel.startswith(folder + "/") for folder in unlisted):
            plan.deletions.append((key, rel, _shown(display, rel, is_dir)))


def _shown(display: str, rel: str, is_dir: bool) -> str:
    """A file (or folder) under a root as the user would write it."""
    return os.path.join(display, rel) if is_dir and rel != "." else display


def _plan_file(
    plan: _Plan,
    key: str,
    rel: str,
    path: Path,
    root_dir: Path,
    shown: str,
    prev: FileRecord | None,
    force: bool = False,
) -> None:
    job = _Job(key, rel, path, root_dir, shown, prev)
    try:
        st = path.stat()
    except OSError as exc:
        job.error = exc.strerror or str(exc)
        plan.jobs.append(job)
        return
    job.size, job.mtime_ns = st.st_size, st.st_mtime_ns
    unchanged = prev is not None and (prev.size, prev.mtime_ns) == (job.size, job.mtime_ns)
    if unchanged and not force:
        plan.unchanged += 1
        return
    try:
        job.sha256 = _sha256(path)
    except OSError as exc:
        job.error = exc.strerror or str(exc)
        plan.jobs.append(job)
        return
    if prev is not None and prev.sha256 == job.sha256 and not force:
        # Touched but not changed: remember the new stat so the next run skips hashing it.
        plan.refreshed.append(
            (key, rel, FileRecord(job.size, job.mtime_ns, prev.sha256, prev.doc_ids))
        )
        plan.unchanged += 1
        return
    plan.jobs.append(job)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# --------------------------------------------------------------------------- sync


ProgressCallback = Callable[[SyncProgress], None]


def sync(
    index: str | os.PathLike[str],
    paths: Iterable[str | os.PathLike[str]] | None = None,
    *,
    rebuild: bool = False,
    jobs: int = 1,
    lock_timeout: float = 0.0,
    progress: ProgressCallback | None = None,
) -> SyncReport:
    """Bring the index at ``index`` in step with ``paths`` (or with the sources it remembers).

    ``paths`` None means every root the index remembers. Roots the index remembers but that
    are not in ``paths`` are left alone. ``rebuild`` starts from an empty index and manifest
    (keeping the remembered roots when ``paths`` is None). Files that fail to parse or to be
    read, folders that cannot be listed and files whose document ids another file holds end up
    in :attr:`SyncReport.rejected` (what they produced before is kept); everything else is
    indexed in one commit.

    A rebuild replaces the old index in that one commit, so searches see the old index until
    then and a rebuild that fails or is interrupted leaves it as it was. Only an index this
    version cannot open (other settings, another format) is removed first.

    An index folder that cannot be made or written (a file in the way, no permission) is an
    :class:`~mofasearch.errors.IndexStorageError` naming it, raised before any file is read.
    """
    from mofasearch.index import Index, check_directory

    started = time.perf_counter()
    index_dir = Path(index)
    check_directory(index_dir)  # a folder that cannot hold the index: before any work
    report = SyncReport(rebuilt=rebuild)
    roots, displays = _resolve_roots(index_dir, paths)
    for root, display in zip(roots, displays, strict=True):
        if _real(root) == _real(index_dir):
            # its files would be written among the sources, and a folder holding an index is
            # never read as one: nothing would be indexed
            raise MofaSearchError(
                f"{display} is the index folder itself: the index cannot be built among its sources",
                hint="give the index another folder with --index DIR",
            )
    if rebuild and not _opens(index_dir):
        _wipe(index_dir, lock_timeout)
    # Plan under the write lock: two runs at once never both act on one stale manifest.
    with (
        Index.open_or_create(index_dir) as ix,
        ix.writer(jobs=jobs, lock_timeout=lock_timeout) as w,
    ):
        before = _loaded_or_empty(index_dir) if rebuild else Manifest.load(index_dir)
        if rebuild:
            w.clear()  # the old sections go in the same commit as the new ones arrive
            manifest = Manifest(index_dir)
        else:  # records are frozen: a copy of each root's table is a copy of the manifest
            manifest = Manifest(index_dir, {k: dict(v) for k, v in before.roots.items()})
        plan = _plan(manifest, roots, displays)
        report.rejected.extend(plan.unreadable)
        if paths is None:
            plan.forgotten = [k for k in sorted(manifest.roots) if _gone(manifest.root_path(k))]
            report.forgotten_roots = [str(manifest.root_path(k)) for k in plan.forgotten]
        if plan.needs_writer or rebuild:
            _apply(w, manifest, plan, report, progress)
            if progress is not None:  # analysis of the last batch happens in the commit
                n = len(plan.jobs)
                progress(
                    SyncProgress(
                        n, n, report.documents_added, report.sections_added, phase="committing"
                    )
                )
            _pending(before, manifest).save()  # what the index may hold if the run stops here
            w.commit()
        else:
            w.cancel()  # nothing to change: no new index generation
        for key, rel, rec in plan.refreshed:
            manifest.roots[key][rel] = rec
        report.unchanged = plan.unchanged
        manifest.save()  # after the commit, still under the lock
    report.seconds = time.perf_counter() - started
    log.info("sync %s: %s", index_dir, report.to_dict())
    return report


def _loaded_or_empty(index_dir: Path) -> Manifest:
    """The manifest a rebuild replaces (an unreadable one counts as empty: it is rebuilt)."""
    try:
        return Manifest.load(index_dir)
    except MofaSearchError:
        return Manifest(index_dir)


def _pending(before: Manifest, after: Manifest) -> Manifest:
    """The manifest saved just before a commit: every file whose record the run changes is
    recorded with the document ids it had and those it is being given, under a record that
    matches no file. A run that stops between the commit and the final manifest (or before
    the commit) leaves the index holding either set; the next run then re-reads each such file
    and, for a file deleted since, deletes both sets, so no document is left that no file
    owns. (Without it a file new in the stopped run was unknown to the next one, and its
    documents stayed in the index after the file was deleted.)"""
    roots: dict[str, dict[str, FileRecord]] = {}
    for key in before.roots.keys() | after.roots.keys():
        old, new = before.roots.get(key, {}), after.roots.get(key, {})
        files = roots[key] = {}
        for rel in old.keys() | new.keys():
            was, now = old.get(rel), new.get(rel)
            if was == now:
                assert was is not None
                files[rel] = was
                continue
            ids = (was.doc_ids if was else ()) + (now.doc_ids if now else ())
            files[rel] = FileRecord(-1, -1, "", tuple(dict.fromkeys(ids)))
    return Manifest(after.index_dir, roots)


def _resolve_roots(
    index_dir: Path, paths: Iterable[str | os.PathLike[str]] | None
) -> tuple[list[Path], list[str]]:
    if paths is None:
        manifest = Manifest.load(index_dir) if index_dir.is_dir() else Manifest(index_dir)
        keys = sorted(manifest.roots)
        roots = [r for r in (manifest.root_path(k) for k in keys) if not _gone(r)]
        return roots, [str(r) for r in roots]
    roots, displays = [], []
    for given in paths:
        root = Path(given)
        if _gone(root):
            # (corpus/ is only worth naming where there is one)
            default = " (run `mofasearch index` with no PATH to use corpus/)"
            raise MofaSearchError(
                f"no such file or directory: {os.fspath(given)}",
                hint="check the path" + (default if Path("corpus").is_dir() else ""),
            )
        roots.append(root)
        displays.append(os.fspath(given).rstrip("/\\") or os.fspath(given))
    return roots, displays


def _gone(path: Path) -> bool:
    """Whether ``path`` is known not to exist; a path that cannot be examined (permission
    denied on the way) is not gone, and planning it reports why it cannot be read."""
    try:
        path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return True
    except OSError:
        return False
    return False


def _apply(
    writer: Any,
    manifest: Manifest,
    plan: _Plan,
    report: SyncReport,
    progress: ProgressCallback | None,
) -> None:
    """Load and add each planned file, then delete what no file produces any more.

    A file claiming an id reserved for a file not yet loaded waits until every other file is
    done (see :class:`_Claims`); only then is it indexed or rejected.
    """
    from mofasearch.documents import load_file

    stale: set[str] = set()
    for key, rel, shown in plan.deletions:
        stale.update(manifest.roots[key].pop(rel).doc_ids)
        report.removed.append(shown)
    for key in plan.forgotten:  # a remembered root that is gone: its files count as deleted
        for rec in manifest.roots.pop(key).values():
            stale.update(rec.doc_ids)
    claims = _Claims(manifest, plan)
    waiting: list[tuple[_Job, list[Document]]] = []
    if progress is not None and plan.jobs:  # start the clock before the first file
        progress(SyncProgress(0, len(plan.jobs), 0, 0))
    for done, job in enumerate(plan.jobs, start=1):
        docs = _load(load_file, job, report)
        if docs is None:
            claims.reject(job)
        elif claims.must_wait(job, docs) or _section_clash(writer, docs, claims.dropped(job, docs)):
            # (a section id may be freed by a file later in the walk: it is checked again)
            waiting.append((job, docs))
        else:
            _settle(writer, manifest, claims, job, docs, report, stale, checked=True)
        if progress is not None:
            progress(
                SyncProgress(
                    done, len(plan.jobs), report.documents_added, report.sections_added, job.display
                )
            )
    claims.lift(job for job, _ in waiting)
    # What no file produces any more goes before the waiting files are checked again, so the
    # section ids of a deleted file's documents are free for them in this run. (Nothing that
    # owns an id now, or that a waiting file produces, is deleted: what it keeps or adds stays.)
    coming = {doc.id for _, docs in waiting for doc in docs}
    _delete_unowned(writer, manifest, stale, report, keep=coming)
    for job, docs in waiting:
        _settle(writer, manifest, claims, job, docs, report, stale)
    for job in claims.rejected:
        # Its record matches no file, so the next run retries it even when it did not change
        # (a file rejected for a clash is unchanged while the other file holds the id).
        manifest.roots[job.key][job.rel] = FileRecord(-1, -1, "", claims.kept_by(job))
    _delete_unowned(writer, manifest, stale, report)


def _delete_unowned(
    writer: Any, manifest: Manifest, stale: set[str], report: SyncReport, keep: Iterable[str] = ()
) -> None:
    """Delete the documents of ``stale`` (but ``keep``) that no recorded file produces; they
    leave ``stale``, so each is deleted and counted once."""
    still_owned = manifest.owners()
    for doc_id in sorted(stale.difference(keep)):
        if doc_id not in still_owned:
            writer.delete(doc_id)
            stale.discard(doc_id)
            report.documents_deleted += 1


def _settle(
    writer: Any,
    manifest: Manifest,
    claims: _Claims,
    job: _Job,
    docs: list[Document],
    report: SyncReport,
    stale: set[str],
    *,
    checked: bool = False,
) -> None:
    """Index one loaded file, or reject it when another file holds one of its ids (or another
    document one of its section ids)."""
    docs = _unique(docs, job.display)
    new_ids = tuple(doc.id for doc in docs)
    dropped = claims.dropped(job, docs)
    clash = claims.clash(job, new_ids)
    if clash is None and not checked:  # a file is indexed whole or not at all
        clash = _section_clash(writer, docs, dropped)
    if clash is not None:
        report.rejected.append((job.display, clash))
        log.debug("rejected %s: %s", job.display, clash)
        claims.reject(job)
        return
    # the documents the file no longer has go first (their section ids are free for the new
    # ones: a renamed document); they are counted when the run's stale documents are deleted
    for doc_id in dropped:
        writer.delete(doc_id)
    for doc in docs:
        writer.add(doc)
        report.sections_added += len(doc.sections)
    report.documents_added += len(docs)
    if job.previous is not None:
        stale.update(set(job.previous.doc_ids) - set(new_ids))
        report.changed.append(job.display)
    else:
        report.added.append(job.display)
    claims.take(job, new_ids)
    manifest.roots[job.key][job.rel] = FileRecord(job.size, job.mtime_ns, job.sha256, new_ids)


def _section_clash(writer: Any, docs: list[Document], dropped: Sequence[str] = ()) -> str | None:
    """Why ``writer`` would refuse one of ``docs`` (a section id another document holds), the
    last of each id being the one added (see :func:`_unique`), with the file's ``dropped``
    documents deleted first."""
    try:
        writer.check(list({doc.id: doc for doc in docs}.values()), replacing=dropped)
    except DocumentParseError as exc:
        return str(exc)
    return None


def _unique(docs: list[Document], display: str) -> list[Document]:
    """One document per id, the last of each (as ``Writer.add`` keeps); repeats are logged."""
    by_id = {doc.id: doc for doc in docs}
    if len(by_id) < len(docs):
        repeated = [doc_id for doc_id, n in Counter(doc.id for doc in docs).items() if n > 1]
        shown = ", ".join(repr(doc_id) for doc_id in repeated[:5])
        if len(repeated) > 5:
            shown += f" and {len(repeated) - 5} more"
        ids = "document ids" if len(repeated) > 1 else "document id"
        log.warning(
            "%s: %s %s more than once; only the last record of each is indexed",
            display,
            ids,
            shown + (" appear" if len(repeated) > 1 else " appears"),
        )
    return list(by_id.values())


class _Claims:
    """Which file holds each document id during one run: never more than one.

    Files the run does not reload hold the ids they produced. The ids a reloaded file held
    before are reserved for it until it has been loaded: another file claiming one of them
    waits (:meth:`must_wait`) until every file that does not wait is done. So a file that keeps
    its ids keeps them whatever the order of the walk, and files that swap ids both succeed.
    A rejected file keeps its previous ids only as long as no file produces them now: what
    is kept to spare data gives way to what is on disk.
    """

    def __init__(self, manifest: Manifest, plan: _Plan) -> None:
        self._manifest = manifest
        self._roots = plan.roots
        reloading = {(job.key, job.rel) for job in plan.jobs}
        self.held: dict[str, tuple[str, str]] = {}
        for key, files in sorted(manifest.roots.items()):
            for rel, rec in sorted(files.items()):
                if (key, rel) not in reloading:
                    for doc_id in rec.doc_ids:
                        self.held.setdefault(doc_id, (key, rel))
        self.reserved: dict[str, tuple[str, str]] = {}
        #: each reloaded file's reserved ids, so releasing them costs only their number
        self._reserved_by: dict[tuple[str, str], list[str]] = {}
        for job in plan.jobs:
            for doc_id in job.previous.doc_ids if job.previous else ():
                if doc_id not in self.held and doc_id not in self.reserved:
                    self.reserved[doc_id] = (job.key, job.rel)
                    self._reserved_by.setdefault((job.key, job.rel), []).append(doc_id)
        self.kept: dict[str, tuple[str, str]] = {}
        self.rejected: list[_Job] = []  # those that had documents before

    def must_wait(self, job: _Job, docs: list[Document]) -> bool:
        me = (job.key, job.rel)
        return any(self.reserved.get(doc.id, me) != me for doc in docs)

    def lift(self, jobs: Iterable[_Job]) -> None:
        """The waiting files wait no more: their reservations are dropped and, in order, each
        takes what is free."""
        for job in jobs:
            self._release((job.key, job.rel))

    def clash(self, job: _Job, ids: Sequence[str]) -> str | None:
        """Why ``job`` cannot have ``ids`` (naming the file that holds them), or None."""
        me = (job.key, job.rel)
        others = ((i, self.held.get(i, me), self.reserved.get(i, me)) for i in ids)
        taken = [(i, held if held != me else reserved) for i, held, reserved in others]
        taken = [(i, holder) for i, holder in taken if holder != me]
        if not taken:
            return None
        doc_id, holder = taken[0]
        more = f" (and {len(taken) - 1} more)" if len(taken) > 1 else ""
        name, gone = self._name(holder)
        keeps = (
            "which is gone (its source is forgotten by `mofasearch index` with no PATH)"
            if gone
            else "which keeps it"
        )
        return (
            f"document id {doc_id!r}{more} is also in {name}, {keeps}; "
            "a document id must come from one file only"
        )

    def dropped(self, job: _Job, docs: list[Document]) -> tuple[str, ...]:
        """The documents ``job``'s file produced before and not now, that no other file holds
        or waits for: indexing the file deletes them."""
        if job.previous is None:
            return ()
        me = (job.key, job.rel)
        now = {doc.id for doc in docs}
        return tuple(
            doc_id
            for doc_id in job.previous.doc_ids
            if doc_id not in now
            and self.held.get(doc_id, me) == me
            and self.reserved.get(doc_id, me) == me
        )

    def take(self, job: _Job, ids: Sequence[str]) -> None:
        me = (job.key, job.rel)
        self._release(me)
        for doc_id in ids:
            self.held[doc_id] = me
            self.kept.pop(doc_id, None)

    def reject(self, job: _Job) -> None:
        """A rejected file keeps the previous ids no other file holds (for now)."""
        me = (job.key, job.rel)
        self._release(me)
        if job.previous is None:
            return
        self.rejected.append(job)
        for doc_id in job.previous.doc_ids:
            if self.held.get(doc_id, me) == me and self.reserved.get(doc_id, me) == me:
                self.kept.setdefault(doc_id, me)

    def kept_by(self, job: _Job) -> tuple[str, ...]:
        """The previous ids a rejected file still has at the end of the run."""
        me = (job.key, job.rel)
        return (
            tuple(i for i in job.previous.doc_ids if self.kept.get(i) == me) if job.previous else ()
        )

    def _release(self, me: tuple[str, str]) -> None:
        for doc_id in self._reserved_by.pop(me, ()):
            del self.reserved[doc_id]

    def _name(self, holder: tuple[str, str]) -> tuple[str, bool]:
        """The holding file as shown, and whether it is gone (a remembered root not synced in
        this run keeps its records, even of files no longer there, until it is synced)."""
        key, rel = holder
        if key in self._roots:
            display, is_dir = self._roots[key]
            return _shown(display, rel, is_dir), False
        root = self._manifest.root_path(key)
        # a root that is one file records it under its own name (files are named from its
        # folder); a folder root that is gone cannot say it is a folder any more
        path = root if rel == root.name and not root.is_dir() else root / rel
        return str(path), _gone(path)


def _load(
    load_file: Callable[..., list[Document]], job: _Job, report: SyncReport
) -> list[Document] | None:
    """One file's documents, or None (and a line in the report) when it cannot be used."""
    if job.error is not None:
        report.rejected.append((job.display, job.error))
        return None
    try:
        return list(load_file(job.path, root=job.root_dir))
    except DocumentParseError as exc:
        report.rejected.append((job.display, _reason(exc)))
    except MofaSearchError as exc:
        report.rejected.append((job.display, str(exc)))
    except (OSError, ValueError) as exc:
        report.rejected.append((job.display, f"{type(exc).__name__}: {exc}"))
    log.debug("rejected %s: %s", job.display, report.rejected[-1][1])
    return None


def _reason(exc: DocumentParseError) -> str:
    """The error without the path it starts with (the report shows the path as given)."""
    reason = str(exc)
    if exc.path is not None and reason.startswith(f"{exc.path}: "):
        reason = reason[len(exc.path) + 2 :]
    return reason


def _opens(index_dir: Path) -> bool:
    """Whether this version can open the index in ``index_dir`` (so a rebuild can replace it
    in one commit); False also when there is none."""
    from mofasearch.index import Index

    try:
        Index.open(index_dir).close()
    except Exception as exc:  # whatever keeps it from opening, the rebuild is the remedy
        log.info("rebuild: the index in %s does not open (%s); removing it first", index_dir, exc)
        return False
    return True


def _wipe(index_dir: Path, lock_timeout: float) -> None:
    """Remove an index's own files (never anything else the directory holds, like a README).

    Done under the index's write lock, so a rebuild cannot pull the files from under a writer.
    """
    if not index_dir.is_dir():
        return
    from mofasearch import storage
    from mofasearch.index import META_FILE

    try:
        with storage.write_locked(storage.file_storage(index_dir), lock_timeout, index_dir):
            for entry in index_dir.iterdir():
                own = _INDEX_FILE.match(entry.name) or entry.name in (MANIFEST_NAME, META_FILE)
                if own and entry.is_file():
                    entry.unlink()
    except OSError as exc:
        raise IndexStorageError(
            f"cannot remove the index in {index_dir} to rebuild it: {exc.strerror or exc}",
            index_dir,
        ) from exc


class _suppress_oserror:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return exc[0] is not None and issubclass(exc[0], OSError)  # type: ignore[arg-type]
