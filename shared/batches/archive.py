"""A ZIP archive on disk, read without unpacking it: its central directory record by record, then each
entry streamed out through stream-unzip, never whole in memory.

The central directory is what every ZIP tool lists, so it decides what the entries are; each entry's
own header must agree with it (a disagreement is how one archive shows different files to different
readers). Whole-archive refusals (not a ZIP, damaged, too many entries, too large together) come before
anything is stored; everything else is decided entry by entry, and a refused entry is reported with a
stable code while the others go on.
"""

from __future__ import annotations

import re
import struct
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from stream_unzip import (
    BZ2Error,
    DeflateError,
    IntegrityError,
    MissingPasswordError,
    PasswordError,
    SizeIntegrityError,
    TruncatedDataError,
    UnsupportedFeatureError,
    UnzipError,
    stream_unzip,
)

from shared.batches.errors import ArchiveTooLarge, CorruptArchive, EmptyArchive, NotAZip, TooManyEntries
from shared.config import LimitsSettings
from shared.documents.filenames import extension
from shared.documents.spool import SpoolWriter
from shared.errors import TooLarge

# Why an entry became no document; clients match on these codes.
TOO_LARGE = "too_large"
RATIO_EXCEEDED = "ratio_exceeded"
NESTED_ARCHIVE = "nested_archive"
UNSAFE_NAME = "unsafe_name"
DUPLICATE_NAME = "duplicate_name"
ENCRYPTED = "encrypted"
SYMLINK = "symlink"
UNSUPPORTED_COMPRESSION = "unsupported_compression"
UNSUPPORTED_TYPE = "unsupported_type"
CORRUPT_ENTRY = "corrupt_entry"
QUOTA_EXCEEDED = "quota_exceeded"

_LOCAL = b"PK\x03\x04"
_CENTRAL = b"PK\x01\x02"
_END = b"PK\x05\x06"
_END64 = b"PK\x06\x06"
_LOCATOR64 = b"PK\x06\x07"
_END_SIZE, _LOCATOR_SIZE, _END64_SIZE, _CENTRAL_SIZE, _LOCAL_SIZE = 22, 20, 56, 46, 30
_END_SEARCH = _END_SIZE + 0xFFFF  # the end record and the longest comment it may carry
_ZIP64_EXTRA = 0x0001
_FULL32 = 0xFFFFFFFF

_READABLE_METHODS = {0: "stored", 8: "deflate", 9: "deflate64", 12: "bzip2"}
_METHOD_NAMES = {14: "LZMA", 93: "Zstandard", 95: "XZ", 96: "JPEG", 97: "WavPack", 98: "PPMd"}
_ENCRYPTED_FLAGS = 0x0001 | 0x0040  # encrypted (ZipCrypto or AES), strongly encrypted
_AES_METHOD = 99
_UTF8_FLAG = 0x0800
_UNIX_HOSTS = (3, 19)  # "made by" Unix or OS X: the external attributes hold a file mode
_FILE_TYPE_BITS, _SYMLINK_TYPE = 0o170000, 0o120000

# A directory record is 46 bytes and the entry's name, extra fields and comment: this leaves room for
# long names, not for a directory that makes the reader allocate far more than the entries need.
_DIRECTORY_BYTES_PER_ENTRY = 2048
# Below this an entry costs nothing to unpack whatever its ratio (a page of blank lines packs 500 to 1).
RATIO_FLOOR = 1024 * 1024
_READ_BYTES = 64 * 1024

ARCHIVE_EXTENSIONS = frozenset(
    {".zip", ".zipx", ".jar", ".war", ".ear", ".apk", ".7z", ".rar", ".tar", ".gz", ".tgz", ".bz2", ".tbz",
     ".tbz2", ".xz", ".txz", ".zst", ".lz", ".lzma", ".z", ".cab", ".iso", ".arj", ".lzh", ".cpio"}
)  # fmt: skip
# ZIP itself is not here: a Word document is a ZIP too, so the upload's own check tells them apart.
_ARCHIVE_MAGIC = (
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"PK\x07\x08", "a split ZIP archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"BZh", "a bzip2 archive"),
    (b"\xfd7zXZ\x00", "an XZ archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\x28\xb5\x2f\xfd", "a Zstandard archive"),
    (b"MSCF", "a Windows cabinet archive"),
)
_TAR_MAGIC_AT = 257
# Archivers' bookkeeping, not the person's files: skipped like folders.
_METADATA_FOLDERS = ("__MACOSX",)
_METADATA_FILES = (".DS_Store",)
_DRIVE = re.compile(r"[A-Za-z]:")


@dataclass(frozen=True)
class Entry:
    """One record of the central directory, with the sizes it declares."""

    index: int
    name: str
    raw_name: bytes
    flags: int
    method: int
    size: int
    packed: int
    offset: int
    made_by: int
    external: int
    name_error: str | None = None

    @property
    def is_directory(self) -> bool:
        return self.name.endswith("/")

    @property
    def basename(self) -> str:
        return self.name.rstrip("/").rsplit("/", 1)[-1]

    @property
    def is_encrypted(self) -> bool:
        return bool(self.flags & _ENCRYPTED_FLAGS) or self.method == _AES_METHOD

    @property
    def is_symlink(self) -> bool:
        return self.made_by >> 8 in _UNIX_HOSTS and (self.external >> 16) & _FILE_TYPE_BITS == _SYMLINK_TYPE

    def refused(self, code: str, reason: str) -> Refusal:
        return Refusal(self.name[:1024], code, reason)


@dataclass(frozen=True)
class Refusal:
    name: str
    code: str
    reason: str


@dataclass(frozen=True)
class _End:
    entries: int
    directory_size: int
    directory_at: int


# --- the directory ------------------------------------------------------------------------------


def read_directory(path: Path, head: bytes, size: int, limits: LimitsSettings) -> list[Entry]:
    """Every record of the archive's central directory; raises a 4xx domain error for an archive that
    is not a ZIP, is damaged, has more entries than allowed or declares more bytes than allowed."""
    if head.startswith(_END):
        raise EmptyArchive("The archive holds no files.")
    if not head.startswith(_LOCAL):
        raise NotAZip(
            "The file is not a ZIP archive. Upload a ZIP here, or single documents to /api/v1/documents."
        )
    with path.open("rb") as handle:
        end = _end_record(handle, size)
        if end.entries > limits.batch_max_entries:
            raise TooManyEntries(
                f"The archive has {end.entries:,} entries; at most {limits.batch_max_entries:,} are accepted.",
                extra={"max_entries": limits.batch_max_entries},
            )
        if end.directory_size > _DIRECTORY_BYTES_PER_ENTRY * max(end.entries, 1):
            raise ArchiveTooLarge(
                f"The archive's directory takes {end.directory_size:,} bytes for {end.entries:,} entries, far "
                "more than their names need.",
                extra={"max_bytes": limits.batch_max_total_bytes},
            )
        entries = list(_records(handle, end))
    declared = sum(entry.size for entry in entries)
    if declared > limits.batch_max_total_bytes:
        raise ArchiveTooLarge(
            f"The archive unpacks to {declared:,} bytes; at most {limits.batch_max_total_bytes:,} are accepted.",
            extra={"max_bytes": limits.batch_max_total_bytes},
        )
    if all(_skipped(entry) for entry in entries):
        raise EmptyArchive("The archive holds no files, only folders.")
    _check_layout(entries, end.directory_at)
    return entries


def _end_record(handle: BinaryIO, size: int) -> _End:
    start = max(0, size - _END_SEARCH)
    handle.seek(start)
    tail = handle.read()
    at = tail.rfind(_END)
    while at >= 0 and len(tail) - at < _END_SIZE:
        at = tail.rfind(_END, 0, at)
    if at < 0:
        raise CorruptArchive("The archive has no end record: it is truncated or damaged.")
    disk, directory_disk, here, entries, directory_size, directory_at, _ = struct.unpack(
        "<HHHHIIH", tail[at + 4 : at + _END_SIZE]
    )
    end_at = start + at
    if entries == 0xFFFF or directory_size == _FULL32 or directory_at == _FULL32:
        locator = tail[at - _LOCATOR_SIZE : at] if at >= _LOCATOR_SIZE else b""
        if locator.startswith(_LOCATOR64):
            _, record_at, disks = struct.unpack("<IQI", locator[4:])
            handle.seek(record_at)
            record = handle.read(_END64_SIZE)
            if len(record) < _END64_SIZE or not record.startswith(_END64) or disks > 1:
                raise CorruptArchive("The archive's ZIP64 end record is damaged.")
            disk, directory_disk, here, entries, directory_size, directory_at = struct.unpack(
                "<IIQQQQ", record[16:]
            )
            end_at = record_at
    if disk or directory_disk or here != entries:
        raise CorruptArchive("The archive is split across several files; upload it as one ZIP file.")
    if directory_at + directory_size != end_at:
        raise CorruptArchive(
            "The archive's directory is not where its end record says: it has data before or inside it."
        )
    return _End(entries, directory_size, directory_at)


def _records(handle: BinaryIO, end: _End) -> Iterator[Entry]:
    handle.seek(end.directory_at)
    left = end.directory_size
    for index in range(end.entries):
        fixed = handle.read(_CENTRAL_SIZE)
        if len(fixed) < _CENTRAL_SIZE or not fixed.startswith(_CENTRAL):
            raise CorruptArchive(f"The archive's directory is damaged at entry {index + 1}.")
        (made_by, _, flags, method, _, _, _, packed, size, name_length, extra_length, comment_length, _, _,
         external, offset) = struct.unpack("<HHHHHHIIIHHHHHII", fixed[4:])  # fmt: skip
        variable = handle.read(name_length + extra_length + comment_length)
        left -= _CENTRAL_SIZE + len(variable)
        if len(variable) < name_length + extra_length + comment_length or left < 0:
            raise CorruptArchive(f"The archive's directory is damaged at entry {index + 1}.")
        raw_name = variable[:name_length]
        size, packed, offset = _zip64_sizes(
            variable[name_length : name_length + extra_length], size, packed, offset
        )
        name, name_error = _decode_name(raw_name, flags)
        yield Entry(index, name, raw_name, flags, method, size, packed, offset, made_by, external, name_error)


def _zip64_sizes(extra: bytes, size: int, packed: int, offset: int) -> tuple[int, int, int]:
    """The sizes and offset a ZIP64 extra field holds for those the record marks as too large for it."""
    at = 0
    while at + 4 <= len(extra):
        tag, length = struct.unpack("<HH", extra[at : at + 4])
        data = extra[at + 4 : at + 4 + length]
        at += 4 + length
        if tag != _ZIP64_EXTRA:
            continue
        values = [value for (value,) in struct.iter_unpack("<Q", data[: len(data) // 8 * 8])]
        wanted = [size == _FULL32, packed == _FULL32, offset == _FULL32]
        if sum(wanted) > len(values):
            raise CorruptArchive("An entry's ZIP64 sizes are missing from the archive's directory.")
        given = iter(values)
        size = next(given) if wanted[0] else size
        packed = next(given) if wanted[1] else packed
        offset = next(given) if wanted[2] else offset
    return size, packed, offset


def _decode_name(raw: bytes, flags: int) -> tuple[str, str | None]:
    """The name as text. Without the UTF-8 flag the ZIP format says code page 437, but many archivers
    (macOS among them) write UTF-8 without setting it: UTF-8 is tried first, as unzip tools do."""
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError:
        if not flags & _UTF8_FLAG:
            return raw.decode("cp437"), None
    return raw.decode("utf-8", "replace"), "The name is not valid UTF-8, though the archive says it is."


def _check_layout(entries: list[Entry], directory_at: int) -> None:
    """Each entry's data must lie between its header and the next entry's: entries sharing bytes are
    how the densest zip bombs multiply one stream, and no archiver writes them."""
    ordered = sorted(entries, key=lambda entry: entry.offset)
    for entry, following in zip(ordered, [*ordered[1:], None], strict=True):
        limit = following.offset if following is not None else directory_at
        if entry.offset + _LOCAL_SIZE + entry.packed > limit:
            raise CorruptArchive(
                "Entries of the archive overlap; it is damaged, or a zip bomb that reuses one stream."
            )


# --- screening, before anything is unpacked ------------------------------------------------------


def screen(entries: list[Entry], limits: LimitsSettings) -> list[tuple[Entry, Refusal | None]]:
    """The files of the archive (folders and archivers' bookkeeping left out), each with the reason it
    is refused before being read, or None when it may be read."""
    files = [entry for entry in entries if not _skipped(entry)]
    names = Counter(_name_key(entry.name) for entry in files)
    return [(entry, _refusal(entry, limits, duplicate=names[_name_key(entry.name)] > 1)) for entry in files]


def _skipped(entry: Entry) -> bool:
    parts = entry.name.split("/")
    return (
        (entry.is_directory and entry.size == 0)
        or parts[0] in _METADATA_FOLDERS
        or parts[-1] in _METADATA_FILES
    )


def _name_key(name: str) -> str:
    # Two spellings of one name (composed and decomposed accents) are one file wherever it is unpacked.
    return unicodedata.normalize("NFC", name)


def _refusal(entry: Entry, limits: LimitsSettings, *, duplicate: bool) -> Refusal | None:
    problem = entry.name_error or name_problem(entry.name)
    if problem is None and entry.is_directory:
        problem = "The name is a folder's, but the entry holds data."
    if problem is not None:
        return entry.refused(UNSAFE_NAME, problem)
    if duplicate:
        return entry.refused(
            DUPLICATE_NAME, "The archive holds more than one entry of this name; which is meant is unclear."
        )
    if entry.is_symlink:
        return entry.refused(SYMLINK, "The entry is a symbolic link, not a file.")
    if entry.is_encrypted:
        return entry.refused(ENCRYPTED, "The entry is encrypted; add it to the archive without a password.")
    if is_archive_name(entry.name):
        return entry.refused(
            NESTED_ARCHIVE, "The entry is an archive itself; upload it as a batch of its own."
        )
    if entry.method not in _READABLE_METHODS:
        method = _METHOD_NAMES.get(entry.method, f"method {entry.method}")
        return entry.refused(
            UNSUPPORTED_COMPRESSION,
            f"The entry is compressed with {method}; accepted: stored, deflate, deflate64 and bzip2.",
        )
    if entry.size > limits.batch_entry_bytes:
        return entry.refused(
            TOO_LARGE,
            f"The entry unpacks to {entry.size:,} bytes; the limit is {limits.batch_entry_bytes:,}.",
        )
    if ratio_exceeded(entry.size, entry.packed, limits.batch_max_ratio):
        return entry.refused(
            RATIO_EXCEEDED,
            f"The entry unpacks to {entry.size // max(entry.packed, 1):,} times its packed size (at most "
            f"{limits.batch_max_ratio:,} is accepted); it looks like a zip bomb.",
        )
    return None


def name_problem(name: str) -> str | None:
    """Why `name` may not name a file taken out of an archive, or None when it may. Checked as written
    and in compatibility form (a fullwidth solidus becomes a slash in tools that normalise)."""
    if not name.strip("/ "):
        return "The entry has no name."
    for form in dict.fromkeys((name, unicodedata.normalize("NFKC", name))):
        if any(unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co") for char in form):
            return "The name holds control or invisible formatting characters."
        if "\\" in form:
            return "The name holds a backslash, which Windows reads as a folder separator."
        if form.startswith("/"):
            return "The name is an absolute path."
        if _DRIVE.match(form):
            return "The name starts with a drive letter."
        parts = form.split("/")
        if any(part not in ("", ".") and not part.strip(". ") for part in parts):
            return "The name has a part made only of dots, which climbs out of the archive ('..')."
        if "" in parts[:-1]:
            return "The name has an empty folder in it."
    return None


def ratio_exceeded(size: int, packed: int, max_ratio: int) -> bool:
    """Whether an entry of `size` bytes packed into `packed` is a bomb by its ratio."""
    return size > RATIO_FLOOR and size > max_ratio * max(packed, 1)


def is_archive_name(name: str) -> bool:
    return extension(name.rstrip("/").rsplit("/", 1)[-1]) in ARCHIVE_EXTENSIONS


def archive_content(head: bytes) -> str | None:
    """What archive (other than ZIP) the bytes are, or None."""
    for magic, what in _ARCHIVE_MAGIC:
        if head.startswith(magic):
            return what
    if head[_TAR_MAGIC_AT : _TAR_MAGIC_AT + 5] == b"ustar":
        return "a tar archive"
    return None


# --- unpacking one entry -------------------------------------------------------------------------


def read_entry(handle: BinaryIO, entry: Entry, writer: SpoolWriter) -> Refusal | None:
    """Stream the entry's bytes into `writer` (whose limit is the size the directory declares), checked
    against the entry's CRC-32 and sizes; a refusal when they cannot be read or do not match. A
    directory that understates the packed size cannot make this unpack more than it declares."""
    files = stream_unzip(_chunks(handle, entry.offset), chunk_size=_READ_BYTES)
    try:
        name, _, chunks = next(files)
        if name != entry.raw_name:
            return entry.refused(
                CORRUPT_ENTRY, "The entry's own header names another file than the directory."
            )
        for chunk in chunks:
            writer.write(chunk)
    except StopIteration:
        return entry.refused(CORRUPT_ENTRY, "The archive's directory points at no entry.")
    except TooLarge:
        return entry.refused(
            CORRUPT_ENTRY, "The entry unpacks to more than the archive's directory declares."
        )
    except (MissingPasswordError, PasswordError):
        return entry.refused(ENCRYPTED, "The entry is encrypted; add it to the archive without a password.")
    except UnsupportedFeatureError:
        return entry.refused(
            UNSUPPORTED_COMPRESSION, "The entry is written in a way that cannot be read as it streams."
        )
    except UnzipError as exc:
        return entry.refused(CORRUPT_ENTRY, f"The entry is damaged: {_damage(exc)}.")
    finally:
        files.close()
    if writer.size != entry.size:
        return entry.refused(
            CORRUPT_ENTRY, "The entry unpacks to fewer bytes than the archive's directory says."
        )
    return None


def _chunks(handle: BinaryIO, start: int) -> Iterator[bytes]:
    handle.seek(start)
    while chunk := handle.read(_READ_BYTES):
        yield chunk


def _damage(error: UnzipError) -> str:
    if isinstance(error, SizeIntegrityError):
        return "its size does not match its header"
    if isinstance(error, IntegrityError):
        return "its checksum does not match its content"
    if isinstance(error, TruncatedDataError):
        return "it is cut short"
    if isinstance(error, DeflateError | BZ2Error):
        return "its compressed data is invalid"
    return "its header is not where the directory says"
