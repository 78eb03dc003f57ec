"""ZIP archives made on the fly for the batch tests, the hostile ones included. Python's zipfile writes
most of them (it keeps whatever name it is given); the rest are its output with header bytes changed,
for what no archiver writes on purpose (an encrypted flag, sizes that lie)."""

from __future__ import annotations

import io
import struct
import warnings
import zipfile
from collections.abc import Iterable

MIB = 1024 * 1024
Member = tuple[str, bytes]


def archive(members: Iterable[Member], *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns about duplicate names, which we want
        with zipfile.ZipFile(buffer, "w") as out:
            for name, data in members:
                info = zipfile.ZipInfo(name, date_time=(2024, 3, 12, 9, 30, 0))
                info.compress_type = method
                out.writestr(info, data)
    return buffer.getvalue()


def zeros(size: int) -> bytes:
    """Bytes that deflate about a thousand to one: the stuff of zip bombs."""
    return b"\0" * size


def many_entries(count: int) -> bytes:
    return archive((f"note-{index}.txt", f"note {index}".encode()) for index in range(count))


def _records(data: bytes, signature: bytes) -> list[int]:
    offsets, at = [], data.find(signature)
    while at >= 0:
        offsets.append(at)
        at = data.find(signature, at + 1)
    return offsets


def with_flag(data: bytes, name: str, flag: int) -> bytes:
    """`data` with `flag` set on the entry `name`, in its local header and its directory record."""
    patched = bytearray(data)
    encoded = name.encode()
    for at in _records(data, b"PK\x03\x04"):
        (length,) = struct.unpack_from("<H", data, at + 26)
        if data[at + 30 : at + 30 + length] == encoded:
            struct.pack_into("<H", patched, at + 6, struct.unpack_from("<H", data, at + 6)[0] | flag)
    for at in _records(data, b"PK\x01\x02"):
        (length,) = struct.unpack_from("<H", data, at + 28)
        if data[at + 46 : at + 46 + length] == encoded:
            struct.pack_into("<H", patched, at + 8, struct.unpack_from("<H", data, at + 8)[0] | flag)
    return bytes(patched)


def encrypted(data: bytes, name: str) -> bytes:
    return with_flag(data, name, 0x0001)


def declaring_size(data: bytes, name: str, size: int) -> bytes:
    """`data` with the directory record of `name` declaring `size` unpacked bytes."""
    patched = bytearray(data)
    encoded = name.encode()
    for at in _records(data, b"PK\x01\x02"):
        (length,) = struct.unpack_from("<H", data, at + 28)
        if data[at + 46 : at + 46 + length] == encoded:
            struct.pack_into("<I", patched, at + 24, size)
    return bytes(patched)


def damaged(data: bytes, name: str) -> bytes:
    """`data` with the middle of the entry `name`'s packed bytes flipped: its checksum no longer matches."""
    patched = bytearray(data)
    encoded = name.encode()
    for at in _records(data, b"PK\x03\x04"):
        packed, _, length, extra = struct.unpack_from("<IIHH", data, at + 18)
        if data[at + 30 : at + 30 + length] == encoded:
            middle = at + 30 + length + extra + packed // 2
            patched[middle] ^= 0xFF
    return bytes(patched)
