"""What a path on a user's disk is, before anything reads it: bounded answers for odd files.

A FIFO or a device would block or never end, a zip or gzip file may expand without limit,
a Shapefile's ``.cpg`` may lie about its text encoding. Each gets a clear ``InputError``
naming the file, or a decision the load report states (the encoding used and why).
"""

from __future__ import annotations

import codecs
import gzip
import io
import stat
import struct
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO

from geo.errors import InputError, InputTooLarge

# Text encodings tried in order when a file does not say (or says wrong): GB18030 is a superset of GBK.
FALLBACK_ENCODINGS = ("utf-8", "gb18030")

# Language driver ids of a DBF header (byte 29) that name a Chinese, Korean or Big5 code page.
_DBF_LANGUAGE_DRIVERS = {0x4D: "gbk", 0x7A: "gbk", 0x4E: "cp949", 0x4F: "big5", 0x78: "big5"}

_SPECIAL_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def check_openable(path: Path) -> None:
    """Refuse what cannot be read to an end: missing paths, FIFOs, devices, sockets, empty files."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError(path, "file not found") from None
    except OSError as exc:
        raise InputError(path, f"cannot be opened: {exc.strerror}") from exc
    for test, kind in _SPECIAL_KINDS:
        if test(info.st_mode):
            raise InputError(path, f"is {kind}, not a regular file", fix="copy the data into a file first")
    if stat.S_ISREG(info.st_mode) and info.st_size == 0:
        raise InputError(path, "the file is empty (0 bytes)")


def check_zip(path: Path, *, max_bytes: int) -> None:
    """A zip archive whose members would expand beyond ``max_bytes`` (a zip bomb) is refused unread."""
    try:
        with zipfile.ZipFile(path) as archive:
            total = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(path, f"is not a readable zip archive: {exc}") from exc
    if total > max_bytes:
        raise InputTooLarge(
            path,
            f"expands to {total:,} bytes, more than the {max_bytes:,} allowed",
            fix="unpack it yourself, or raise BATTLEMAP_ETL_MAX_DECOMPRESSED_BYTES",
        )


class _Capped(io.RawIOBase):
    """A binary stream that raises InputError once more than ``max_bytes`` have been read."""

    def __init__(self, inner: IO[bytes], path: Path, max_bytes: int) -> None:
        self._inner, self._path, self._max, self._read = inner, path, max_bytes, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._inner.read(len(buffer))
        self._read += len(data)
        if self._read > self._max:
            raise InputTooLarge(
                self._path,
                f"expands to more than the {self._max:,} bytes allowed",
                fix="unpack it yourself, or raise BATTLEMAP_ETL_MAX_DECOMPRESSED_BYTES",
            )
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._inner.close()
        super().close()


def expanded_size(path: Path) -> int:
    """The size of the file's content: a ``.gz`` by its trailer (the size mod 4 GiB), else on disk."""
    size = path.stat().st_size
    if path.suffix.lower() != ".gz" or size < 4:
        return size
    with path.open("rb") as handle:
        handle.seek(-4, 2)
        return max(size, struct.unpack("<I", handle.read(4))[0])


def open_binary(path: Path, *, max_bytes: int) -> IO[bytes]:
    """The file's bytes, gunzipped for ``.gz`` with at most ``max_bytes`` expanded."""
    if path.suffix.lower() != ".gz":
        return path.open("rb")
    return io.BufferedReader(_Capped(gzip.open(path, "rb"), path, max_bytes))  # type: ignore[arg-type]


def codec_name(name: str, *, path: Path, option: str = "--encoding") -> str:
    """A Python codec name for ``name`` (``GBK``, ``936``, ``UTF-8``); InputError when unknown."""
    text = name.strip().lower()
    text = {"65001": "utf-8", "936": "gbk", "ansi 936": "gbk"}.get(text, text)
    if text.isdigit():
        text = f"cp{text}"
    try:
        return codecs.lookup(text).name
    except LookupError:
        raise InputError(
            path, f"unknown text encoding {name!r}", field=option, fix="use e.g. utf-8, gbk or gb18030"
        ) from None


@dataclass(frozen=True)
class EncodingChoice:
    """The encoding a file's text is read with, and the sentence the load report prints about it."""

    encoding: str
    note: str


def shapefile_encoding(path: Path, *, forced: str | None, layer: str | None = None) -> EncodingChoice | None:
    """The text encoding of a Shapefile (or the Shapefiles of a zip or a folder).

    ``--encoding`` wins. Else the declared one (``.cpg``, or the DBF header's language driver)
    is tried on the attribute bytes, then UTF-8, then GB18030; the first that decodes every
    record is used. A ``.cpg`` saying UTF-8 over GBK bytes is very common in Chinese data.
    """
    if forced:
        encoding = codec_name(forced, path=path)
        return EncodingChoice(encoding, f"{encoding} (given by --encoding)")
    tables = list(_dbf_tables(path, layer))
    if not tables:
        return None
    declared_names = {_declared(path, name, cpg, header) for name, cpg, header, _ in tables} - {None}
    declared = declared_names.pop() if len(declared_names) == 1 else None
    candidates = list(dict.fromkeys([*([declared] if declared else []), *FALLBACK_ENCODINGS]))
    for encoding in candidates:
        if all(_decodes(open_records(), encoding) for _, _, _, open_records in tables):
            if encoding == declared:
                return EncodingChoice(encoding, f"{encoding} (as the file declares)")
            said = f"the file declares {declared}" if declared else "the file declares no encoding"
            return EncodingChoice(encoding, f"{encoding} ({said}, but its text is {encoding})")
    raise InputError(
        path,
        f"the attribute text is none of {', '.join(candidates)}",
        field="encoding",
        fix="pass --encoding with the file's encoding",
    )


def _declared(path: Path, name: str, cpg: bytes | None, header: bytes) -> str | None:
    if cpg is not None and cpg.strip():
        try:
            return codec_name(cpg.decode("ascii", "replace"), path=path, option=f"{name} .cpg")
        except InputError:
            return None
    return _DBF_LANGUAGE_DRIVERS.get(header[29]) if len(header) > 29 else None


def _dbf_tables(
    path: Path, layer: str | None
) -> Iterator[tuple[str, bytes | None, bytes, Callable[[], Iterator[bytes]]]]:
    """(name, .cpg bytes or None, DBF header, a function streaming the record bytes) per attribute table."""
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path) as archive:
            names = {n.lower(): n for n in archive.namelist()}
        for lower, name in names.items():
            if not lower.endswith(".dbf") or (layer and Path(lower).stem != layer.lower()):
                continue
            cpg_name = names.get(lower[:-4] + ".cpg")
            with zipfile.ZipFile(path) as archive:
                cpg = archive.read(cpg_name) if cpg_name else None
                with archive.open(name) as handle:
                    header = handle.read(32)
            yield name, cpg, header, partial(_zip_records, path, name)
        return
    dbfs = sorted(path.glob("*.dbf")) if path.is_dir() else [path.with_suffix(".dbf")]
    for dbf in dbfs:
        if not dbf.is_file() or (layer and path.is_dir() and dbf.stem.lower() != layer.lower()):
            continue
        cpg_path = dbf.with_suffix(".cpg")
        cpg = cpg_path.read_bytes()[:64] if cpg_path.is_file() else None
        with dbf.open("rb") as handle:
            header = handle.read(32)
        yield dbf.name, cpg, header, partial(_file_records, dbf)


def _zip_records(archive_path: Path, name: str) -> Iterator[bytes]:
    with zipfile.ZipFile(archive_path) as archive, archive.open(name) as handle:
        yield from _records(handle)


def _file_records(dbf: Path) -> Iterator[bytes]:
    with dbf.open("rb") as handle:
        yield from _records(handle)


def _records(handle: IO[bytes], block: int = 1 << 20) -> Iterator[bytes]:
    """The text of a DBF: its field names, then its record area (numbers, dates and flags are
    ASCII, so all of it is text), in blocks."""
    header = handle.read(32)
    if len(header) < 32:
        return
    count, header_length, record_length = struct.unpack("<IHH", header[4:12])
    descriptors = handle.read(max(header_length - 32, 0))
    names = [descriptors[i : i + 11].split(b"\0", 1)[0] for i in range(0, len(descriptors) - 31, 32)]
    yield b" ".join(name for name in names if not name.startswith(b"\r"))
    remaining = count * record_length
    while remaining > 0:
        data = handle.read(min(block, remaining))
        if not data:
            return
        remaining -= len(data)
        yield data


def _decodes(blocks: Iterator[bytes], encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for data in blocks:
            decoder.decode(data)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True
