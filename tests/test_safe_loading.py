"""Opening and searching an index from an untrusted place never runs code read from its files.

Each hostile index below is built with real Whoosh writers and a payload planted where Whoosh
unpickles (TOC schema, TOC segment list, stored fields, posting blocks, posting values, inlined
postings, hash-table extras, the compound-file directory, a column's decompressor). Every
case is checked both ways: through mofasearch's storage it raises UnsafeIndexError and the
payload's file is not created; through plain Whoosh the same read does create it, which proves
the planted payload is live.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import shlex
import struct
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import columns, formats
from whoosh.codec.whoosh3 import W3Codec, W3Segment, W3TermInfo
from whoosh.fields import COLUMN, STORED, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import StructFile
from whoosh.index import _CURRENT_TOC_VERSION, TOC, FileIndex
from whoosh.query import Phrase, Term
from whoosh.system import _FLOAT_SIZE, _INT_SIZE, _LONG_SIZE, pack_uint, pack_ushort

from mofasearch import Document, Index, Section
from mofasearch.errors import UnsafeIndexError
from mofasearch.safepickle import (
    SafeCharacterBoosts,
    SafeCharacters,
    SafePositionBoosts,
    SafePositions,
    SafeW3Codec,
    allow_classes,
    allowed_names,
    loads,
)
from mofasearch.storage import file_storage, read_toc


class CreatesFile:
    """Pickles as ``os.system("touch PATH")``: plain ``pickle.loads`` creates the file."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self) -> Any:
        return (os.system, (f"touch {shlex.quote(self.path)}",))


def _plain_whoosh(read: Any) -> None:
    """The same read by plain Whoosh: the payload runs, then Whoosh may choke on its result."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)  # Whoosh leaves the file open on errors
        with contextlib.suppress(Exception):
            read()
        gc.collect()


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "payload-ran"


def test_payload_is_live(marker: Path) -> None:
    pickle.loads(pickle.dumps(CreatesFile(marker)))
    assert marker.exists()


# A normal index ------------------------------------------------------------------------------


def _small_index(path: Path) -> None:
    with Index.create(path) as ix, ix.writer() as w:
        for i in range(12):
            w.add(
                Document(
                    id=f"doc{i}",
                    title="日露首脳会談",
                    sections=[
                        Section(text=f"北方領土問題について協議した。第{i}回", number="1"),
                        Section(text="京都議定書の批准に向けて意見を交換した。", number="2"),
                    ],
                )
            )


def test_real_index_opens_and_searches_through_the_safe_storage(tmp_path: Path) -> None:
    _small_index(tmp_path / "ix")
    toc = read_toc(file_storage(tmp_path / "ix"))
    assert toc.segments and all(type(s.codec()) is SafeW3Codec for s in toc.segments)
    with Index.open(tmp_path / "ix") as ix:
        res = ix.search("北方領土")
        assert res.total == 12
        assert ix.get("doc3") is not None and ix.get("doc3").title == "日露首脳会談"
        assert ix.search('"京都議定書"').total == 12


def test_files_stay_plain_whoosh(tmp_path: Path) -> None:
    """The safe codec pickles as W3Codec: plain Whoosh still reads what mofasearch wrote."""
    _small_index(tmp_path / "ix")
    toc_bytes = next((tmp_path / "ix").glob("_MAIN_*.toc")).read_bytes()
    assert b"SafeW3Codec" not in toc_bytes and b"W3Codec" in toc_bytes
    ix = FileIndex(FileStorage(str(tmp_path / "ix")))
    with ix.searcher() as s:
        assert s.doc_count() == 24


def test_whoosh_schema_with_stock_fields_reads_back(tmp_path: Path) -> None:
    """Numeric, date, keyword, sortable and character-position fields all pass the allow-list."""
    from datetime import datetime

    from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC

    schema = Schema(
        id=ID(stored=True, unique=True),
        n=NUMERIC(stored=True, sortable=True),
        when=DATETIME(stored=True, sortable=True),
        kw=KEYWORD(stored=True, commas=True),
        body=TEXT(stored=True, chars=True, sortable=True),
        raw=STORED(),
    )
    ix = file_storage(tmp_path).create_index(schema)
    with ix.writer() as w:
        for i in range(30):
            w.add_document(
                id=f"x{i}",
                n=i,
                when=datetime(2004, 1, 1 + i % 28),
                kw="a,b",
                body="alpha beta gamma alpha",
                raw=b"\x00\xff",
            )
    ix = file_storage(tmp_path).open_index()
    with ix.searcher() as s:
        hits = s.search(Phrase("body", ["alpha", "beta"]), sortedby="n", limit=None, terms=True)
        assert [h["id"] for h in hits][:3] == ["x0", "x1", "x2"]
        assert hits[0]["raw"] == b"\x00\xff" and hits[0]["when"] == datetime(2004, 1, 1)
        m = s.reader().postings("body", "alpha")
        assert m.value_as("characters") == [(0, 0, 5), (3, 17, 22)]
        assert s.reader().column_reader("n")[5] == 5


# Hostile TOCs --------------------------------------------------------------------------------


def _write_toc(folder: Path, gen: int, schema_bytes: bytes, segments_bytes: bytes) -> None:
    """A TOC file in Whoosh 2.7's layout with the given pickles."""
    with open(folder / TOC._filename("MAIN", gen), "wb") as raw:
        f = StructFile(raw)
        for size in (_INT_SIZE, _LONG_SIZE, _FLOAT_SIZE):
            f.write_varint(size)
        f.write_int(-12345)
        f.write_int(_CURRENT_TOC_VERSION)
        for number in (2, 7, 4):
            f.write_varint(number)
        f.write_string(schema_bytes)
        f.write_int(gen)
        f.write_int(0)
        f.write(segments_bytes)
        f.flush()


def _next_toc(folder: Path, *, schema: Any = None, segments: Any = None) -> None:
    """Commit a hostile TOC over a real index (generation + 1, same layout)."""
    good = read_toc(file_storage(folder))
    schema_bytes = pickle.dumps(good.schema, 2) if schema is None else pickle.dumps(schema, 2)
    segments_bytes = pickle.dumps(good.segments if segments is None else segments, -1)
    _write_toc(folder, good.generation + 1, schema_bytes, segments_bytes)


class _NamesFunction:
    """Pickles as a call of ``func`` (a function inside an otherwise allowed package)."""

    def __init__(self, func: Any, *args: Any) -> None:
        self.func, self.args = func, args

    def __reduce__(self) -> Any:
        return (self.func, self.args)


def test_hostile_schema_in_toc(tmp_path: Path, marker: Path) -> None:
    _small_index(tmp_path / "ix")
    _next_toc(tmp_path / "ix", schema=CreatesFile(marker))
    # Index.open takes the schema from the code (its metadata proved they match), so the
    # stored schema pickle is never read at all ...
    with Index.open(tmp_path / "ix") as ix:
        assert ix.search("北方領土").total >= 0
    assert not marker.exists()
    # ... and a storage-level open that does read it refuses the hostile one
    with pytest.raises(UnsafeIndexError, match="posix.system|os.system"):
        file_storage(tmp_path / "ix").open_index()
    assert not marker.exists()
    _plain_whoosh(FileStorage(str(tmp_path / "ix")).open_index)
    assert marker.exists()


def test_hostile_segment_list_in_toc(tmp_path: Path, marker: Path) -> None:
    _small_index(tmp_path / "ix")
    _next_toc(tmp_path / "ix", segments=[CreatesFile(marker)])
    with pytest.raises(UnsafeIndexError):
        Index.open(tmp_path / "ix")
    assert not marker.exists()
    _plain_whoosh(FileStorage(str(tmp_path / "ix")).open_index)
    assert marker.exists()


@pytest.mark.parametrize(
    "name",
    ["whoosh.index.create_in", "whoosh.fields.ensure_schema", "mofasearch.storage.fsync_path"],
)
def test_functions_are_never_reachable(tmp_path: Path, name: str) -> None:
    """Not even functions of modules whose classes are allowed (whoosh.fields, mofasearch)."""
    import importlib

    module, _, attr = name.rpartition(".")
    func = getattr(importlib.import_module(module), attr)
    _small_index(tmp_path / "ix")
    (tmp_path / "target").mkdir()
    _next_toc(tmp_path / "ix", schema=_NamesFunction(func, str(tmp_path / "target")))
    with pytest.raises(UnsafeIndexError, match=name.replace(".", r"\.")):
        file_storage(tmp_path / "ix").open_index()
    assert not list((tmp_path / "target").iterdir())


def test_malformed_segment_entry_is_refused(tmp_path: Path) -> None:
    _small_index(tmp_path / "ix")
    segment = read_toc(file_storage(tmp_path / "ix")).segments[0]
    segment.segid = "../../../etc/passwd"
    _next_toc(tmp_path / "ix", segments=[segment])
    with pytest.raises(UnsafeIndexError, match="malformed segment"):
        file_storage(tmp_path / "ix").open_index()


def test_toc_with_python2_builtin_names_still_loads() -> None:
    """Protocol 2 writes Python 3 builtins under Python 2 names; they map before the check."""
    data = pickle.dumps({1: frozenset({2}), "b": b"\x00\xff"}, 2)
    assert b"__builtin__" in data
    assert loads(data) == {1: frozenset({2}), "b": b"\x00\xff"}


# Hostile segment files -----------------------------------------------------------------------


class _PlantingCodec(W3Codec):
    """Writes ordinary W3 segments (the TOC names W3Codec), with a payload planted at ``spot``."""

    def __init__(self, spot: str, payload: Any) -> None:
        super().__init__()
        self.spot = spot
        self.payload = payload

    def new_segment(self, storage: Any, indexname: str) -> W3Segment:
        return W3Segment(W3Codec(), indexname)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> Any:
        writer = super().postings_writer(dbfile, byteids=byteids)
        if self.spot == "posting block" and not byteids:
            writer._mini_ids = lambda: (self.payload,)
        if self.spot == "posting value":
            add = writer.add_posting
            value = pack_uint(1) + pickle.dumps([self.payload], 2)
            writer.add_posting = lambda id_, w, vbytes, length=None: add(id_, w, value, length)
        return writer

    def field_writer(self, storage: Any, segment: Any) -> Any:
        writer = super().field_writer(storage, segment)
        if self.spot == "hash-table extras":
            writer._tindex.extras["planted"] = self.payload
        if self.spot == "inlined postings":
            planted = pickle.dumps(self.payload, 2)

            def finish_term() -> None:
                writer._postwriter.finish_postings()
                head = W3TermInfo._struct.pack(1, 1.0, 1, 1, 1, 1.0, 0, 0)
                key = pack_ushort(writer._fieldid) + writer._btext
                writer._tindex.add(key, head + planted)

            writer.finish_term = finish_term
        return writer


def _plant_in_compound_directory(folder: Path, payload: Any) -> None:
    """Rewrite a .seg file's directory so its options pickle is the payload."""
    (seg,) = folder.glob("*.seg")
    with open(seg, "r+b") as f:
        (diroffset,) = struct.unpack("!q", f.read(8))
        f.seek(diroffset)
        directory = pickle.load(f)  # written by the test a moment ago
        f.seek(diroffset)
        f.truncate()
        pickle.dump(directory, f, -1)
        pickle.dump(payload, f, -1)
        end = f.tell()
        f.seek(8)
        f.write(struct.pack("!i", end - diroffset))


def _hostile_index(folder: Path, spot: str, payload: Any) -> None:
    schema = Schema(
        body=TEXT(phrase=True),
        extra=STORED(),
        packed=COLUMN(columns.PickleColumn(columns.CompressedBytesColumn())),
    )
    ix = FileStorage(str(folder)).create_index(schema)
    w = ix.writer(codec=_PlantingCodec(spot, payload))
    extra = payload if spot == "stored fields" else "fine"
    packed = payload if spot == "pickle column" else "fine"
    w.add_document(body="alpha beta", extra=extra, packed=packed)
    w.commit()
    if spot == "compound directory":
        _plant_in_compound_directory(folder, payload)


_READS = {
    "stored fields": lambda ix: ix.searcher().stored_fields(0),
    "pickle column": lambda ix: ix.reader().column_reader("packed")[0],
    "posting block": lambda ix: list(ix.reader().postings("body", "alpha").all_ids()),
    "posting value": lambda ix: ix.reader().postings("body", "alpha").value_as("positions"),
    "inlined postings": lambda ix: ix.searcher().search(Term("body", "alpha")).scored_length(),
    "hash-table extras": lambda ix: ix.reader(),
    "compound directory": lambda ix: ix.reader(),
}


@pytest.mark.parametrize("spot", sorted(_READS))
def test_hostile_segment_file(tmp_path: Path, marker: Path, spot: str) -> None:
    _hostile_index(tmp_path, spot, CreatesFile(marker))
    read = _READS[spot]
    with pytest.raises(UnsafeIndexError):
        read(file_storage(tmp_path).open_index())
    assert not marker.exists()
    _plain_whoosh(lambda: read(FileIndex(FileStorage(str(tmp_path)))))
    assert marker.exists(), f"the planted {spot} payload did not run under plain Whoosh"


def test_phrase_search_on_hostile_positions(tmp_path: Path, marker: Path) -> None:
    _hostile_index(tmp_path, "posting value", CreatesFile(marker))
    with file_storage(tmp_path).open_index().searcher() as s, pytest.raises(UnsafeIndexError):
        s.search(Phrase("body", ["alpha", "beta"]))
    assert not marker.exists()


def test_column_naming_another_decompressor_is_refused(tmp_path: Path) -> None:
    """CompressedBytesColumn imports the module its state names; only zlib is accepted."""
    already = "this" in sys.modules
    schema = Schema(c=COLUMN(columns.CompressedBytesColumn()))
    ix = file_storage(tmp_path).create_index(schema)
    w = ix.writer()
    w.add_document(c=b"value")
    w.schema["c"].column_type._module = "this"  # pickled into the TOC at commit
    w.commit()
    reader = file_storage(tmp_path).open_index().reader()
    with pytest.raises(UnsafeIndexError, match="'this'"):
        reader.column_reader("c")
    assert already or "this" not in sys.modules


# The allow-list itself -----------------------------------------------------------------------


class Registered:
    """A class a schema may contain once it is registered."""

    def __init__(self) -> None:
        self.mode = "C"


def test_allow_classes_takes_classes_only() -> None:
    with pytest.raises(TypeError):
        allow_classes(os.system)  # type: ignore[arg-type]
    data = pickle.dumps(Registered(), 2)
    with pytest.raises(UnsafeIndexError, match="Registered"):
        loads(data, schema=True)
    allow_classes(Registered)
    assert loads(data, schema=True).mode == "C"
    with pytest.raises(UnsafeIndexError):
        loads(data)  # stored values and postings never hold schema classes


def test_no_function_or_module_is_on_the_list() -> None:
    import importlib

    shims = {"_codecs.encode", "re._compile"}
    for name in allowed_names() - shims:
        module, _, attr = name.rpartition(".")
        try:
            found = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError):
            continue  # a name of a class that does not exist in this version: never resolves
        assert isinstance(found, type), name


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 5000), st.integers(0, 40), st.floats(0.5, 4.0, allow_nan=False)),
        min_size=1,
        max_size=30,
    )
)
def test_safe_formats_decode_like_whoosh(postings: list[tuple[int, int, float]]) -> None:
    positions = sorted({p for p, _, _ in postings})
    chars = []
    end = 0
    for p in positions:
        chars.append((p, end + 1, end + 3))
        end += 4
    boosts = [(p, 1.5) for p in positions]
    char_boosts = [(p, s, e, 2.0) for p, s, e in chars]
    pairs = [
        (formats.Positions(), SafePositions(), positions, "positions"),
        (formats.Characters(), SafeCharacters(), chars, "characters"),
        (formats.PositionBoosts(), SafePositionBoosts(), boosts, "position_boosts"),
        (formats.CharacterBoosts(), SafeCharacterBoosts(), char_boosts, "character_boosts"),
    ]
    for whoosh_format, safe_format, items, name in pairs:
        value = whoosh_format.encode(items)
        value = value[0] if isinstance(value, tuple) else value
        for what in (name, "positions"):
            assert safe_format.decode_as(what, value) == whoosh_format.decode_as(what, value)
