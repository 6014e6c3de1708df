"""Restricted unpickling: opening and searching an index never runs code read from its files.

Whoosh 2.7.4 keeps most of an index as pickles, and ``pickle.loads`` calls whatever callable a
pickle names. Every place Whoosh unpickles while an index is opened and searched is routed
through :class:`RestrictedUnpickler`, whose ``find_class`` resolves only the names on an
explicit allow-list of classes (never a whole module, never an arbitrary function):

============================================  ==========================================  =======
read                                          where Whoosh does it                        policy
============================================  ==========================================  =======
schema (TOC)                                  ``index.TOC.read``: ``pickle.loads``        schema
segment list and codec (TOC)                  ``index.TOC.read``: ``read_pickle``         schema
compound-file directory (``.seg``)            ``filedb/compound.py``: ``read_pickle``     data
hash-table extras (``.trm`` field map)        ``filedb/filetables.py``: ``read_pickle``   data
posting block headers                         ``W3LeafMatcher._goto``: ``read_pickle``    data
posting block data                            ``W3LeafMatcher._read_data``: ``loads``     data
inlined postings                              ``W3TermInfo.from_bytes``: ``loads``        data
positions/characters/boosts of a posting      ``formats.*.decode_*``: ``loads``           none
stored fields and pickle columns              ``columns.PickleColumn.Reader``: ``loads``  data
compressed-block column headers               ``columns.CompressedBlockColumn``           data
============================================  ==========================================  =======

The reads through a file object are covered by :class:`SafeStructFile` / :class:`SafeBufferFile`
(their ``read_pickle``); the reads of bytes are covered by the codec readers below
(:class:`SafeW3Codec` and its readers), which the TOC loader installs in place of Whoosh's
``W3Codec``.
Whoosh's module globals are never patched: plain Whoosh code elsewhere in the process is
unaffected.

Besides classes, two stdlib callables a real index names resolve to stand-ins: ``_codecs.encode``
(how protocol 2 spells ``bytes``) to the ``bytes`` class itself, and ``re._compile`` (how a
compiled pattern pickles) to a shim accepting a string pattern and integer flags only.
"""

from __future__ import annotations

import _compat_pickle
import importlib
import io
import pickle
import re
import threading
import zlib
from collections.abc import Iterator
from typing import IO, Any

from whoosh import columns, formats
from whoosh.codec.whoosh3 import (
    W3Codec,
    W3FieldCursor,
    W3LeafMatcher,
    W3PerDocReader,
    W3PostingsWriter,
    W3TermInfo,
    W3TermsReader,
)
from whoosh.filedb.compound import SubFile
from whoosh.filedb.structfile import BufferFile, StructFile
from whoosh.matching import ListMatcher
from whoosh.reading import TermNotFound
from whoosh.system import _FLOAT_SIZE, _INT_SIZE, pack_int, pack_long

from mofasearch.errors import UnsafeIndexError


def _names(module: str, names: str) -> frozenset[str]:
    return frozenset(f"{module}.{name}" for name in names.split())


#: plain values: what stored fields, postings and file directories are made of
DATA_NAMES = (
    _names("builtins", "bool int float complex str bytes bytearray list tuple dict set frozenset")
    | _names("collections", "OrderedDict defaultdict")
    | _names("datetime", "date datetime time timedelta timezone")
    | _names("_codecs", "encode")
)

#: what a schema and a segment list are made of: Whoosh's stock field types, formats,
#: analysis components and columns, the segment and codec (mofasearch's own classes are added
#: with :func:`allow_classes` or listed in :data:`MOFASEARCH_NAMES`)
SCHEMA_NAMES = (
    DATA_NAMES
    | _names("re", "_compile")
    | _names(
        "whoosh.fields",
        "Schema ID IDLIST TEXT KEYWORD STORED NUMERIC DATETIME BOOLEAN NGRAM NGRAMWORDS COLUMN",
    )
    | _names(
        "whoosh.formats",
        "Existence Frequency Positions Characters PositionBoosts CharacterBoosts",
    )
    | _names("whoosh.analysis.analyzers", "CompositeAnalyzer")
    | _names("whoosh.analysis.tokenizers", "IDTokenizer RegexTokenizer CharsetTokenizer")
    | _names("whoosh.analysis.filters", "LowercaseFilter StopFilter StripFilter PassFilter")
    | _names("whoosh.analysis.ngrams", "NgramTokenizer NgramFilter")
    | _names(
        "whoosh.columns",
        "VarBytesColumn FixedBytesColumn RefBytesColumn NumericColumn BitColumn "
        "CompressedBytesColumn CompressedBlockColumn StructColumn PickleColumn "
        "VarBytesListColumn FixedBytesListColumn",
    )
    | _names("whoosh.codec.whoosh3", "W3Codec W3Segment")
)

#: mofasearch's analysis classes that are pickled inside a schema (resolved by name, so an
#: index opens before the analysis package has been imported)
MOFASEARCH_NAMES = (
    _names("mofasearch.analysis.tokenizer", "SudachiTokenizer BigramTokenizer")
    | _names(
        "mofasearch.analysis.filters",
        "PartOfSpeechStopFilter StopWordFilter SubwordFilter ReadingFilter",
    )
    | _names("mofasearch.analysis.analyzers", "JapaneseAnalyzer")
    | _names("mofasearch.analysis.synonyms", "SynonymFilter")
    | _names("mofasearch.analysis.settings", "AnalysisSettings")
)

_registry: dict[str, type] = {}
_registry_lock = threading.Lock()


def allow_classes(*classes: type) -> None:
    """Add classes (never functions or modules) that a schema may contain, e.g. analyzers.

    Call it from the module that defines them; a name resolves only to the very class
    registered, so a later class of the same name is still refused.
    """
    for cls in classes:
        if not isinstance(cls, type):
            raise TypeError(f"allow_classes takes classes, not {cls!r}")
        with _registry_lock:
            _registry[f"{cls.__module__}.{cls.__qualname__}"] = cls


def allowed_names() -> frozenset[str]:
    """Every dotted name a schema may contain (for documentation and tests)."""
    with _registry_lock:
        return SCHEMA_NAMES | MOFASEARCH_NAMES | frozenset(_registry)


def _compile_pattern(pattern: Any, flags: Any = 0) -> re.Pattern[Any]:
    """Stands in for ``re._compile``: how a tokenizer's compiled expression pickles."""
    if not isinstance(pattern, str | bytes) or type(flags) is not int:
        raise UnsafeIndexError(f"refusing re._compile({type(pattern).__name__}, ...)")
    return re.compile(pattern, flags)


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only allow-listed names and raises UnsafeIndexError otherwise."""

    def __init__(self, file: IO[bytes], *, schema: bool = False, where: str = "") -> None:
        super().__init__(file)
        self._schema = schema
        self._names = allowed_names() if schema else DATA_NAMES
        self._where = where

    def find_class(self, module: str, name: str) -> Any:
        # protocol 2 spells Python 3 names the Python 2 way (__builtin__.long is builtins.int)
        module, name = _compat_pickle.NAME_MAPPING.get(
            (module, name), (_compat_pickle.IMPORT_MAPPING.get(module, module), name)
        )
        dotted = f"{module}.{name}"
        if dotted in self._names:
            special = _SUBSTITUTES.get(dotted)
            if special is not None:
                return special
            found = getattr(importlib.import_module(module), name, None)
            if isinstance(found, type):
                return found
        elif self._schema and module.split(".")[0] == "mofasearch":
            found = self._mofasearch_class(module, name, dotted)
            if found is not None:
                return found
        where = f"{self._where}: " if self._where else ""
        raise UnsafeIndexError(
            f"{where}the index names {dotted}, which mofasearch does not load "
            "(only an allow-list of classes may appear in index files)",
            path=self._where or None,
        )

    @staticmethod
    def _mofasearch_class(module: str, name: str, dotted: str) -> type | None:
        if dotted not in MOFASEARCH_NAMES and dotted not in _registry:
            # a class may register itself when its module is imported
            try:
                importlib.import_module(module)
            except ImportError:
                return None
        with _registry_lock:
            registered = _registry.get(dotted)
        if registered is not None:
            return registered
        if dotted in MOFASEARCH_NAMES:
            found = getattr(importlib.import_module(module), name, None)
            if isinstance(found, type):
                return found
        return None


def _reader(data: bytes) -> io.BufferedReader:
    # a file with peek() lets the C unpickler read ahead: as fast as pickle.loads on bytes
    return io.BufferedReader(io.BytesIO(data))  # type: ignore[arg-type]


def loads(data: bytes, *, schema: bool = False, where: str = "") -> Any:
    """``pickle.loads`` restricted to plain values (or, with ``schema``, schema classes)."""
    return RestrictedUnpickler(_reader(data), schema=schema, where=where).load()


def load(file: IO[bytes], *, schema: bool = False, where: str = "") -> Any:
    """``pickle.load`` from a file object, restricted like :func:`loads`."""
    return RestrictedUnpickler(file, schema=schema, where=where).load()


class _NoGlobals(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise UnsafeIndexError(f"a posting value names {module}.{name}; postings hold numbers only")


def loads_numbers(data: bytes) -> Any:
    """Unpickle a posting value (positions, characters, boosts): no name may appear at all."""
    return _NoGlobals(_reader(data)).load()


def _read_pickle(f: Any) -> Any:
    try:
        return load(f.file, where=f._name or "")
    except UnsafeIndexError:
        # nothing more is read from a hostile file (Whoosh would leave it open)
        if not f.is_closed:
            f.close()
        raise


class SafeStructFile(StructFile):
    """A Whoosh file whose ``read_pickle`` is restricted to plain values."""

    def read_pickle(self) -> Any:
        return _read_pickle(self)

    def subset(self, offset: int, length: int, name: str | None = None) -> SafeStructFile:
        return SafeStructFile(SubFile(self.file, offset, length), name=name or self._name)


class SafeBufferFile(BufferFile):
    """An in-memory (or memory-mapped) Whoosh file with restricted ``read_pickle``."""

    def read_pickle(self) -> Any:
        return _read_pickle(self)

    def subset(self, position: int, length: int, name: str | None = None) -> SafeBufferFile:
        return SafeBufferFile(self.get(position, length), name=name or self._name)


def safe_file(f: Any) -> SafeStructFile | SafeBufferFile:
    """The same open file, reading pickles through the allow-list."""
    if isinstance(f, SafeStructFile | SafeBufferFile):
        return f
    if type(f) is BufferFile:
        return SafeBufferFile(f._buf, name=f._name, onclose=f.onclose)
    if type(f) is StructFile:
        return SafeStructFile(f.file, name=f._name, onclose=f.onclose)
    raise UnsafeIndexError(f"cannot read {f!r} through the allow-list")


class SafeFiles:
    """A view of a storage whose opened files read pickles through the allow-list.

    The codec readers get their files from the storage they are given, which for a compound
    segment is Whoosh's ``CompoundStorage`` (plain ``StructFile``/``BufferFile``): this view
    converts each file as it is opened.
    """

    def __init__(self, storage: Any) -> None:
        self._storage = storage

    def open_file(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return safe_file(self._storage.open_file(name, *args, **kwargs))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._storage, name)


# The codec: Whoosh's W3 readers with every unpickling read restricted.


#: a term with fewer postings than this keeps them in its term-index entry, not in a block of
#: the postings file (Whoosh's own option; its default of 1 turns it off)
INLINE_LIMIT = 4
#: blocks of fewer postings than this are not zlib-compressed (it saves nothing on them)
COMPRESS_MIN = 8


class PostingsWriter(W3PostingsWriter):
    """Whoosh's W3 postings writer with its inlining repaired (2.7.4 calls ``set_inline``, which
    ``W3TermInfo`` does not have, so ``inlinelimit`` > 1 raised) and small blocks written
    uncompressed (each block records its compression, and Whoosh's reader honours it). The files
    are the W3 format; plain Whoosh reads them."""

    # set by Whoosh's writer (untyped there)
    _terminfo: Any
    _compression: int

    def finish_postings(self) -> Any:
        if self.written() or len(self) >= self._inlinelimit:
            return super().finish_postings()
        terminfo = self._terminfo
        terminfo.add_block(self)
        # a format without values (an ID field) gets None per posting, as a block reader gives;
        # with no values Whoosh's ListMatcher would give "" (a str), which its own merge refuses
        values = self._values or (None,) * len(self._ids)
        terminfo.set_inlined(self._ids, self._weights, values)
        self._terminfo = None
        return terminfo

    def _write_block(self, last: bool = False) -> None:
        if len(self._ids) >= COMPRESS_MIN:
            super()._write_block(last)
            return
        level, self._compression = self._compression, 0
        try:
            super()._write_block(last)
        finally:
            self._compression = level


class SafeW3Codec(W3Codec):
    """Whoosh's default codec, reading through the allow-list; it pickles as ``W3Codec``.

    A segment carries its codec inside the TOC, so the TOC loader decides which codec reads the
    segment: it resolves ``whoosh.codec.whoosh3.W3Codec`` to this class. The files it writes are
    plain Whoosh 2.7.4 files.
    """

    def __init__(
        self,
        blocklimit: int = 128,
        compression: int = 3,
        inlinelimit: int = INLINE_LIMIT,
    ) -> None:
        super().__init__(blocklimit, compression, inlinelimit)

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (W3Codec, (), self.__dict__.copy())

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> PostingsWriter:
        return PostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )

    def terms_reader(self, storage: Any, segment: Any) -> SafeTermsReader:
        files = SafeFiles(storage)
        tiname = segment.make_filename(self.TERMS_EXT)
        tilen = files.file_length(tiname)
        tifile = files.open_file(tiname)
        postfile = segment.open_file(files, self.POSTS_EXT)
        return SafeTermsReader(self, tifile, tilen, postfile)

    def per_document_reader(self, storage: Any, segment: Any) -> SafePerDocReader:
        return SafePerDocReader(SafeFiles(storage), segment)

    def postings_reader(
        self, dbfile: Any, terminfo: Any, format_: Any, term: Any = None, scorer: Any = None
    ) -> Any:
        format_ = safe_format(format_)
        if terminfo.is_inlined():
            ids, weights, values = terminfo.inlined_postings()
            return ListMatcher(
                ids, weights, values, format_, scorer=scorer, term=term, terminfo=terminfo
            )
        offset, length = terminfo.extent()
        return SafeLeafMatcher(safe_file(dbfile), offset, length, format_, term=term, scorer=scorer)


_TERMINFO_SIZE = W3TermInfo._struct.size
_POINTER = pack_long(0) + pack_int(0)


def term_info_from_bytes(data: bytes) -> W3TermInfo:
    """``W3TermInfo.from_bytes`` with the inlined postings unpickled through the allow-list."""
    if not data[:1] or data[0] == 0:
        return W3TermInfo.from_bytes(data)  # a pointer into the postings file: no pickle
    terminfo = W3TermInfo.from_bytes(b"\x00" + data[1:_TERMINFO_SIZE] + _POINTER)
    terminfo._offset = terminfo._length = None
    inlined = loads(data[_TERMINFO_SIZE:], where="inlined postings")
    if not (isinstance(inlined, tuple) and len(inlined) == 3):
        raise UnsafeIndexError("inlined postings are not (ids, weights, values)")
    terminfo._inlined = inlined
    return terminfo


class SafeFieldCursor(W3FieldCursor):
    def term_info(self) -> W3TermInfo | None:
        if self._pos is None:
            return None
        return term_info_from_bytes(self._tindex.dbfile.get(self._datapos, self._datalen))


class SafeTermsReader(W3TermsReader):
    """The term dictionary; its field map (hash-table extras) is read by a safe file."""

    def cursor(self, fieldname: str, fieldobj: Any) -> SafeFieldCursor:
        return SafeFieldCursor(self._tindex, fieldname, self._keycoder, self._keydecoder, fieldobj)

    def items(self) -> Iterator[Any]:
        decode = self._keydecoder
        return ((decode(k), term_info_from_bytes(v)) for k, v in self._tindex.items())

    def items_from(self, fieldname: str, prefix: bytes) -> Iterator[Any]:
        decode = self._keydecoder
        start = self._keycoder(fieldname, prefix)
        return ((decode(k), term_info_from_bytes(v)) for k, v in self._tindex.items_from(start))

    def term_info(self, fieldname: str, tbytes: bytes) -> W3TermInfo:
        try:
            data = self._tindex[self._keycoder(fieldname, tbytes)]
        except KeyError:
            raise TermNotFound(f"No term {fieldname}:{tbytes!r}") from None
        return term_info_from_bytes(data)


class SafeLeafMatcher(W3LeafMatcher):
    """Posting blocks: the block header comes through a safe file, the data through loads."""

    def _read_data(self) -> None:
        data = self._postfile.get(self._dataoffset, self._nextoffset - self._dataoffset)
        if self._compression:
            data = zlib.decompress(data)
        self._data = loads(data, where="posting block")


class SafePerDocReader(W3PerDocReader):
    """Stored fields, columns and term vectors of one segment."""

    def column_reader(self, fieldname: str, column: Any) -> Any:
        if fieldname not in self._colfiles:
            self._colfiles[fieldname] = self._get_column_file(fieldname)
        colfile, offset, length = self._colfiles[fieldname]
        return column_reader(column, safe_file(colfile), offset, length, self._doccount)

    def vector(self, docnum: int, fieldname: str, format_: Any) -> SafeLeafMatcher:
        if self._vpostfile is None:
            self._prep_vectors()
        offset, length = self._vector_extent(docnum, fieldname)
        if not offset:
            raise ValueError(f"field {fieldname!r} has no vector in document {docnum}")
        return SafeLeafMatcher(self._vpostfile, offset, length, safe_format(format_), byteids=True)


class _SafePickleReader(columns.PickleColumn.Reader):
    def __getitem__(self, docnum: int) -> Any:
        value = self._child[docnum]
        return loads(value, where="stored value") if value else None

    def __iter__(self) -> Iterator[Any]:
        for value in self._child:
            yield loads(value, where="stored value") if value else None


_COMPRESSORS = frozenset({"zlib"})


def column_reader(column: Any, dbfile: Any, basepos: int, length: int, doccount: int) -> Any:
    """``column.reader(...)``, with pickled values unpickled through the allow-list.

    A compressed column names the module it decompresses with (``__import__(name)``): only zlib
    is accepted, as a column from a hostile schema could name any module.
    """
    if isinstance(column, columns.PickleColumn):
        _check_column(column._child)
        return _SafePickleReader(column._child.reader(dbfile, basepos, length, doccount))
    _check_column(column)
    return column.reader(dbfile, basepos, length, doccount)


def _check_column(column: Any) -> None:
    if isinstance(column, columns.PickleColumn):
        raise UnsafeIndexError("a pickle column nested inside another column")
    module = getattr(column, "_module", None)
    if module is not None and module not in _COMPRESSORS:
        raise UnsafeIndexError(f"a column decompresses with {module!r}; only zlib is accepted")
    child = getattr(column, "_child", None)
    if child is not None:
        _check_column(child)


def _codes(valuestring: bytes, header: int) -> list[Any]:
    if not valuestring.endswith(b"."):
        valuestring += b"."
    codes = loads_numbers(valuestring[header:])
    if not isinstance(codes, list):
        raise UnsafeIndexError("a posting value is not a list")
    return codes


def _positions(codes: list[Any], first: bool) -> list[int]:
    position = 0
    out = []
    for code in codes:
        position += code[0] if first else code
        out.append(position)
    return out


class SafePositions(formats.Positions):
    def decode_positions(self, valuestring: bytes) -> list[int]:
        return _positions(_codes(valuestring, _INT_SIZE), first=False)


class SafeCharacters(formats.Characters):
    def decode_characters(self, valuestring: bytes) -> list[tuple[int, int, int]]:
        position = endchar = 0
        out = []
        for dpos, dstart, span in _codes(valuestring, _INT_SIZE):
            position += dpos
            startchar = endchar + dstart
            endchar = startchar + span
            out.append((position, startchar, endchar))
        return out

    def decode_positions(self, valuestring: bytes) -> list[int]:
        return _positions(_codes(valuestring, _INT_SIZE), first=True)


class SafePositionBoosts(formats.PositionBoosts):
    def decode_position_boosts(self, valuestring: bytes) -> list[tuple[int, float]]:
        position = 0
        out = []
        for dpos, boost in _codes(valuestring, _INT_SIZE + _FLOAT_SIZE):
            position += dpos
            out.append((position, boost))
        return out

    def decode_positions(self, valuestring: bytes) -> list[int]:
        return _positions(_codes(valuestring, _INT_SIZE + _FLOAT_SIZE), first=True)


class SafeCharacterBoosts(formats.CharacterBoosts):
    def decode_character_boosts(self, valuestring: bytes) -> list[tuple[int, int, int, float]]:
        position = endchar = 0
        out = []
        for dpos, dstart, span, boost in _codes(valuestring, _INT_SIZE + _FLOAT_SIZE):
            position += dpos
            startchar = endchar + dstart
            endchar = startchar + span
            out.append((position, startchar, endchar, boost))
        return out


_SAFE_FORMATS: dict[type, type] = {
    formats.Positions: SafePositions,
    formats.Characters: SafeCharacters,
    formats.PositionBoosts: SafePositionBoosts,
    formats.CharacterBoosts: SafeCharacterBoosts,
}


def safe_format(format_: Any) -> Any:
    """The field's format with decoders that unpickle through :func:`loads_numbers`.

    The schema object itself is left alone (so it still compares equal to a fresh schema);
    a copy is made per matcher.
    """
    cls = type(format_)
    if cls in _SAFE_FORMATS.values():
        return format_
    safe = _SAFE_FORMATS.get(cls)
    if safe is None:
        if isinstance(format_, formats.Positions):
            raise UnsafeIndexError(f"format {cls.__qualname__} decodes postings with pickle")
        return format_
    copy: Any = object.__new__(safe)
    copy.__dict__.update(format_.__dict__)
    return copy


_SUBSTITUTES: dict[str, Any] = {
    # protocol 2 writes bytes as _codecs.encode(text, "latin1"); the bytes class does the same
    # in C (bytes(text, "latin1")), and like it can only turn a string into bytes
    "_codecs.encode": bytes,
    "re._compile": _compile_pattern,
    "whoosh.codec.whoosh3.W3Codec": SafeW3Codec,
}


__all__ = [
    "DATA_NAMES",
    "SCHEMA_NAMES",
    "MOFASEARCH_NAMES",
    "RestrictedUnpickler",
    "SafeW3Codec",
    "SafeBufferFile",
    "SafeFiles",
    "SafeStructFile",
    "allow_classes",
    "allowed_names",
    "load",
    "loads",
    "loads_numbers",
    "safe_file",
]
