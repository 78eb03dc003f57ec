"""The guards of ZIP batches, without a running product: names, ratios, the directory and reading one
entry as a stream, on archives made here (tests/zips.py)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from shared.batches import archive
from shared.batches.errors import ArchiveTooLarge, CorruptArchive, EmptyArchive, NotAZip, TooManyEntries
from shared.config import LimitsSettings
from shared.documents.spool import SpoolWriter
from tests import zips

LIMITS = LimitsSettings(
    MAX_UPLOAD_BYTES=10 * zips.MIB, BATCH_MAX_ENTRIES=50, BATCH_MAX_TOTAL_BYTES=64 * zips.MIB
)


@pytest.mark.parametrize(
    "name",
    [
        "report.pdf",
        "folder/sub/report.pdf",
        "./notes.txt",
        "Résumé 2024.docx",
        "a..b.txt",
        "..hidden",
        "x/.profile",
    ],
)
def test_ordinary_names_are_safe(name: str) -> None:
    assert archive.name_problem(name) is None


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("../evil.txt", "dots"),
        ("a/../../evil.txt", "dots"),
        ("a/.../b.txt", "dots"),
        ("a/.. /b.txt", "dots"),
        ("/etc/passwd", "absolute"),
        ("C:/Windows/win.ini", "drive letter"),
        ("c:evil.txt", "drive letter"),
        ("..\\..\\boot.ini", "backslash"),
        ("a\\b.txt", "backslash"),
        ("\uff0e\uff0e\uff0fevil.txt", "dots"),  # fullwidth "../", a slash once normalised
        ("invoice\u202etxt.exe", "invisible"),  # right-to-left override: shows as "invoiceexe.txt"
        ("bell\x07.txt", "control"),
        ("a//b.txt", "empty folder"),
        ("", "no name"),
        (" ", "no name"),
    ],
)
def test_names_that_climb_out_or_hide_are_unsafe(name: str, why: str) -> None:
    problem = archive.name_problem(name)
    assert problem is not None and why in problem.lower(), problem


def test_the_ratio_guard_spares_small_entries_and_catches_bombs() -> None:
    assert not archive.ratio_exceeded(archive.RATIO_FLOOR, 1, 100)  # small: costs nothing whatever its ratio
    assert archive.ratio_exceeded(archive.RATIO_FLOOR + 1, 1000, 100)
    assert not archive.ratio_exceeded(50 * zips.MIB, zips.MIB, 100)  # 50 to 1: a document can be that
    assert archive.ratio_exceeded(5 * zips.MIB, 5 * 1024, 100)  # what zeros deflate to
    assert archive.ratio_exceeded(5 * zips.MIB, 0, 100)


@pytest.mark.parametrize("name", ["inner.zip", "a/b/backup.tar.gz", "x.7z", "PHOTOS.RAR", "lib.jar"])
def test_archives_are_known_by_name(name: str) -> None:
    assert archive.is_archive_name(name)
    assert not archive.is_archive_name("letter.docx")


def test_archives_are_known_by_content() -> None:
    import gzip

    assert archive.archive_content(gzip.compress(b"x")) == "a gzip archive"
    tar = io.BytesIO()
    import tarfile

    with tarfile.open(fileobj=tar, mode="w") as out:
        info = tarfile.TarInfo("x.txt")
        out.addfile(info, io.BytesIO(b""))
    assert archive.archive_content(tar.getvalue()) == "a tar archive"
    assert archive.archive_content(b"%PDF-1.7") is None


def _entries(tmp_path: Path, data: bytes, limits: LimitsSettings = LIMITS) -> list[archive.Entry]:
    path = tmp_path / "batch.zip"
    path.write_bytes(data)
    return archive.read_directory(path, data[:8192], len(data), limits)


def _screened(tmp_path: Path, data: bytes) -> dict[str, str | None]:
    screened = archive.screen(_entries(tmp_path, data), LIMITS)
    return {entry.name: refusal.code if refusal else None for entry, refusal in screened}


def test_each_entry_is_screened_by_what_the_directory_says(tmp_path: Path) -> None:
    data = zips.archive(
        [
            ("good.txt", b"a plain note"),
            ("folder/", b""),
            ("__MACOSX/._good.txt", b"resource fork"),
            ("../evil.txt", b"x"),
            ("dup.txt", b"one"),
            ("dup.txt", b"two"),
            ("inner.zip", zips.archive([("x.txt", b"x")])),
            ("bomb.txt", zips.zeros(5 * zips.MIB)),
            ("huge.txt", zips.zeros(11 * zips.MIB)),
            ("secret.txt", b"secret"),
        ]
    )
    screened = _screened(tmp_path, zips.encrypted(data, "secret.txt"))
    assert screened == {
        "good.txt": None,
        "../evil.txt": "unsafe_name",
        "dup.txt": "duplicate_name",
        "inner.zip": "nested_archive",
        "bomb.txt": "ratio_exceeded",
        "huge.txt": "too_large",
        "secret.txt": "encrypted",
    }


def test_a_compression_method_stream_unzip_cannot_read_is_refused(tmp_path: Path) -> None:
    data = zips.archive([("packed.txt", b"text " * 100)], method=zipfile.ZIP_LZMA)
    assert _screened(tmp_path, data) == {"packed.txt": "unsupported_compression"}


def test_a_symbolic_link_is_refused(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        info = zipfile.ZipInfo("link.txt")
        info.create_system = 3
        info.external_attr = 0o120777 << 16
        out.writestr(info, "/etc/passwd")
    assert _screened(tmp_path, buffer.getvalue()) == {"link.txt": "symlink"}


def test_whole_archive_refusals(tmp_path: Path) -> None:
    with pytest.raises(NotAZip):
        _entries(tmp_path, b"%PDF-1.7 not an archive")
    with pytest.raises(EmptyArchive):
        _entries(tmp_path, zips.archive([]))
    with pytest.raises(EmptyArchive):
        _entries(tmp_path, zips.archive([("only/", b""), ("folders/", b"")]))
    with pytest.raises(CorruptArchive):
        _entries(tmp_path, zips.archive([("a.txt", b"text " * 1000)])[:-30])
    with pytest.raises(TooManyEntries) as many:
        _entries(tmp_path, zips.many_entries(51))
    assert many.value.extra == {"max_entries": 50}
    with pytest.raises(ArchiveTooLarge):
        _entries(tmp_path, zips.declaring_size(zips.archive([("a.txt", b"small")]), "a.txt", 2**31))


def test_entries_that_share_their_bytes_are_refused_whole(tmp_path: Path) -> None:
    """Two directory records pointing at one entry: how the densest zip bombs multiply one stream."""
    data = zips.archive([("a.txt", b"text " * 100)])
    start = data.index(b"PK\x01\x02")
    end = data.index(b"PK\x05\x06")
    record = data[start:end].replace(b"a.txt", b"b.txt")
    tail = bytearray(data[end:])
    tail[8:12] = (2).to_bytes(2, "little") * 2  # entries on this disk, entries in all
    tail[12:16] = (2 * (end - start)).to_bytes(4, "little")
    with pytest.raises(CorruptArchive, match="overlap"):
        _entries(tmp_path, data[:end] + record + bytes(tail))


def _read(tmp_path: Path, data: bytes, name: str) -> tuple[archive.Refusal | None, bytes]:
    path = tmp_path / "batch.zip"
    path.write_bytes(data)
    entries = {entry.name: entry for entry in archive.read_directory(path, data[:8192], len(data), LIMITS)}
    writer = SpoolWriter(tmp_path / "spool", entries[name].size)
    with path.open("rb") as handle:
        refusal = archive.read_entry(handle, entries[name], writer)
    spooled = writer.finish()
    content = spooled.path.read_bytes()
    writer.discard()
    return refusal, content


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2])
def test_an_entry_streams_out_whole(tmp_path: Path, method: int) -> None:
    text = b"".join(b"line %d of a long text file\n" % n for n in range(20_000))
    data = zips.archive([("first.txt", b"first"), ("long.txt", text), ("last.txt", b"last")], method=method)
    assert _read(tmp_path, data, "long.txt") == (None, text)
    assert _read(tmp_path, data, "last.txt") == (None, b"last")


def test_an_entry_written_with_a_data_descriptor_streams_out(tmp_path: Path) -> None:
    """Archivers writing to a pipe put the sizes after the data; the directory still has them."""

    class Unseekable(io.RawIOBase):
        def __init__(self) -> None:
            self.data = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, b) -> int:  # type: ignore[override]
            self.data += b
            return len(b)

    sink = Unseekable()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as out:
        with out.open("streamed.txt", "w") as entry:
            entry.write(b"written through a pipe " * 1000)
        out.writestr("after.txt", b"after")
    data = bytes(sink.data)
    assert _read(tmp_path, data, "streamed.txt") == (None, b"written through a pipe " * 1000)
    assert _read(tmp_path, data, "after.txt") == (None, b"after")


def test_a_damaged_entry_is_refused_and_the_next_reads(tmp_path: Path) -> None:
    data = zips.damaged(
        zips.archive([("broken.txt", b"some text to damage " * 200), ("fine.txt", b"fine")]), "broken.txt"
    )
    refusal, _ = _read(tmp_path, data, "broken.txt")
    assert refusal is not None and refusal.code == "corrupt_entry"
    assert _read(tmp_path, data, "fine.txt") == (None, b"fine")


def test_a_directory_that_understates_an_entry_cannot_make_it_unpack_more(tmp_path: Path) -> None:
    data = zips.declaring_size(zips.archive([("a.txt", b"twelve bytes")]), "a.txt", 5)
    refusal, content = _read(tmp_path, data, "a.txt")
    assert refusal is not None and refusal.code == "corrupt_entry"
    assert len(content) <= 5
    overstated = zips.declaring_size(zips.archive([("a.txt", b"twelve bytes")]), "a.txt", 50)
    refusal, _ = _read(tmp_path, overstated, "a.txt")
    assert refusal is not None and refusal.code == "corrupt_entry"
