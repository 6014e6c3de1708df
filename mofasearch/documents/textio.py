"""Reading files and turning bytes into text, the way Japanese pages are really encoded.

Old Japanese government pages are Shift_JIS (in practice its Microsoft superset CP932, which is
what browsers use for the ``shift_jis`` label), some are EUC-JP, newer ones UTF-8. The order of
evidence follows the browsers: a byte-order mark, then a ``<meta charset>`` declaration, then
strict trial decoding as UTF-8, CP932 and EUC-JP. UTF-8 goes first because random CP932 or EUC-JP
text almost never decodes as UTF-8, while the opposite happens often. Bytes that decode as both
CP932 and EUC-JP (short EUC-JP texts often do) are taken in the encoding that gives fewer
half-width katakana: EUC-JP's kana and kanji read as CP932 come out as strings of them.

EUC-JP is read as browsers read it (WHATWG, Microsoft's eucJP-ms), which has two rows more than
Python's ``euc_jp`` codec: the NEC special characters of row 13 (①, Ⅰ, ㈱, №), which government
pages number their paragraphs with, and the NEC-selected IBM kanji of rows 89-92 (髙, 﨑). They
are the same characters CP932 has at the Shift_JIS form of those rows.

Input that is not text (a NUL byte, or control and private-use characters that only appear when
binary data is decoded as CP932) is refused with :class:`DocumentParseError`, so a stray image in
a corpus directory is reported rather than indexed as mojibake.
"""

from __future__ import annotations

import codecs
import functools
import gzip
import os
import re
import zlib
from pathlib import Path

from mofasearch.errors import DocumentParseError

#: Files (or decompressed ``.gz`` contents) larger than this are refused: a corpus page is a few
#: kilobytes, the largest statute 1.6 MB; 50 MB keeps memory bounded when a directory holds a dump.
MAX_FILE_BYTES = 50 * 1024 * 1024

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_FALLBACKS = ("utf-8", "cp932", "euc_jp")
# WHATWG maps every Shift_JIS label to windows-31j (CP932); Python's shift_jis is stricter.
_ALIASES = {
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "csshiftjis": "cp932",
    "windows-31j": "cp932",
    "cp932": "cp932",
    "euc-jp": "euc_jp",
    "x-euc-jp": "euc_jp",
    "cseucpkdfmtjapanese": "euc_jp",
    "utf8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
}
_META_CHARSET = re.compile(
    rb"<meta[^>]{0,512}?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]{1,40})", re.I
)
# C0/C1 controls other than tab, newlines, form feed and ESC (ISO-2022-JP), and private use.
_NOT_TEXT = re.compile("[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f-\x9f\ue000-\uf8ff]")
_SAMPLE_CHARS = 65536
#: the legacy encodings an undeclared text is guessed between (UTF-8 is decisive when valid)
_AMBIGUOUS = frozenset({"cp932", "euc_jp"})
_HALF_WIDTH_KANA = re.compile("[\uff61-\uff9f]")
#: EUC-JP lead bytes of the rows browsers decode and Python's euc_jp does not: 13 and 89-92
_EXTENSION_LEADS = (0xAD, 0xF9, 0xFA, 0xFB, 0xFC)


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """The file's bytes, gunzipped when it ends in ``.gz``, refusing anything over the size cap."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _too_big(path)
        if path.name.lower().endswith(".gz"):
            with gzip.open(path, "rb") as stream:
                data = stream.read(MAX_FILE_BYTES + 1)
            if len(data) > MAX_FILE_BYTES:
                raise _too_big(path)
            return data
        return path.read_bytes()
    except OSError as error:
        reason = error.strerror or str(error)
        raise DocumentParseError(f"cannot read the file: {reason}", path) from error
    except (EOFError, zlib.error) as error:
        raise DocumentParseError(f"corrupt gzip data: {error}", path) from error


def _too_big(path: Path) -> DocumentParseError:
    limit = MAX_FILE_BYTES // (1024 * 1024)
    return DocumentParseError(f"file is larger than the {limit} MB limit; split it", path)


def declared_charset(data: bytes) -> str | None:
    """The Python codec named by a ``<meta charset>`` near the top of an HTML page, if usable."""
    match = _META_CHARSET.search(data, 0, 4096)
    if match is None:
        return None
    label = match.group(1).decode("ascii").lower()
    label = _ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def decode(data: bytes, path: str | os.PathLike[str] | None = None) -> str:
    """Decode bytes to text with newlines normalized to ``\\n``; DocumentParseError if not text."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return _checked(data.decode(codec), path)
            except UnicodeDecodeError as error:
                raise DocumentParseError(
                    f"invalid {codec} after its byte-order mark", path, error.start
                ) from None
    nul = data.find(b"\x00")
    if nul >= 0:
        raise DocumentParseError("binary data (NUL byte), not a text file", path, nul)
    codecs_to_try = list(_FALLBACKS)
    declared = declared_charset(data)
    if declared is not None:
        codecs_to_try.insert(0, declared)
    furthest = 0
    guesses: list[str] = []
    for codec in dict.fromkeys(codecs_to_try):
        try:
            text = _euc_jp(data) if codec == "euc_jp" else data.decode(codec)
        except UnicodeDecodeError as error:
            furthest = max(furthest, error.start)
            continue
        if not _looks_like_text(text):
            continue
        if codec not in _AMBIGUOUS or codec == declared or not _half_width(text):
            return normalize_newlines(text)  # (no half-width kana: no better guess to come)
        guesses.append(text)
    if guesses:
        # bytes that are valid CP932 and valid EUC-JP (short texts often are): EUC-JP's kana
        # and kanji read as CP932 are mostly half-width katakana, rare in real text
        return normalize_newlines(min(guesses, key=_half_width))
    raise DocumentParseError(
        "cannot decode as UTF-8, CP932 (Shift_JIS) or EUC-JP; save it as UTF-8", path, furthest
    )


def _euc_jp(data: bytes) -> str:
    """``data`` decoded as EUC-JP the way browsers do (see the module docstring).

    Python's codec does the work; where it stops at a character of the extension rows, those
    characters are taken from :func:`_extension_chars` and decoding resumes after them, so the
    cost stays linear. Any other undecodable byte raises as the codec would.
    """
    view = memoryview(data)
    pieces: list[str] = []
    pos = 0
    while True:
        try:
            pieces.append(str(view[pos:], "euc_jp"))
            return "".join(pieces)
        except UnicodeDecodeError as error:
            stop = pos + error.start
            pieces.append(str(view[pos:stop], "euc_jp"))
            table = _extension_chars()
            pos = stop
            while (char := table.get(data[pos : pos + 2])) is not None:
                pieces.append(char)
                pos += 2
            if pos == stop:
                raise UnicodeDecodeError(
                    "euc_jp", data, stop, stop + error.end - error.start, error.reason
                ) from None


@functools.cache
def _extension_chars() -> dict[bytes, str]:
    """EUC-JP bytes → character for rows 13 and 89-92: the character CP932 has at the same
    JIS row and cell (its Shift_JIS form), as in the WHATWG index browsers decode with."""
    table = {}
    for lead in _EXTENSION_LEADS:
        row = lead - 0xA0
        for trail in range(0xA1, 0xFF):
            cell = trail - 0xA0
            # JIS row and cell to Shift_JIS (JIS X 0208 Annex 1): two rows share a lead byte
            first = (row + 1) // 2 + (0x80 if row <= 62 else 0xC0)
            second = cell + (0x9E if row % 2 == 0 else 0x3F if cell <= 63 else 0x40)
            try:
                table[bytes((lead, trail))] = bytes((first, second)).decode("cp932")
            except UnicodeDecodeError:
                continue  # a cell that is empty in both
    return table


def _checked(text: str, path: str | os.PathLike[str] | None) -> str:
    if not _looks_like_text(text):
        raise DocumentParseError("binary data, not a text file", path, 0)
    return normalize_newlines(text.lstrip("\ufeff"))


def _looks_like_text(text: str) -> bool:
    """False when control or private-use characters betray binary data decoded as text."""
    sample = text[:_SAMPLE_CHARS]
    return len(_NOT_TEXT.findall(sample)) * 100 <= len(sample)


def _half_width(text: str) -> int:
    """How many half-width katakana the start of ``text`` holds."""
    return len(_HALF_WIDTH_KANA.findall(text, 0, _SAMPLE_CHARS))


def normalize_newlines(text: str) -> str:
    """``text`` with CRLF and lone CR line endings as ``\\n``, the only line ending parsers split on."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text
