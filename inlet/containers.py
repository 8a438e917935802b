"""Walking image containers (WebP RIFF chunks, PNG chunks) for what a header parse
needs, without reading the image data."""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import Any, BinaryIO

_PNG_TAIL = 128 * 1024  # eXIf after the image data sits between the last IDAT and IEND


def webp_size(kind: bytes, data: bytes) -> tuple[int, int] | None:
    """(width, height) from the first 10 bytes of a WebP image chunk, if it is one."""
    if kind == b"VP8X" and len(data) == 10:
        return int.from_bytes(data[4:7], "little") + 1, int.from_bytes(data[7:10], "little") + 1
    if kind == b"VP8 " and data[3:6] == b"\x9d\x01\x2a":
        width = int.from_bytes(data[6:8], "little") & 0x3FFF
        return width, int.from_bytes(data[8:10], "little") & 0x3FFF
    if kind == b"VP8L" and data[:1] == b"\x2f" and len(data) >= 5:
        bits = int.from_bytes(data[1:5], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def png_raw_profile(info: Mapping[Any, Any]) -> bytes | None:
    # ImageMagick's convention from before eXIf existed, which Pillow reads too.
    profile = info.get("Raw profile type exif")
    if not isinstance(profile, str):
        return None
    try:
        return bytes.fromhex("".join(profile.split("\n")[3:]))
    except ValueError:
        return None


def png_late_exif(source: BinaryIO, size: int) -> bytes | None:
    """An eXIf chunk after the image data, searched for in the file's tail only.

    Walking every chunk would fetch the whole file; the chunks after the last IDAT are
    small, so the tail holds them. The CRC tells a chunk from bytes in compressed data.
    """
    start = max(8, size - _PNG_TAIL)
    source.seek(start)
    tail = source.read(size - start)
    pos = tail.rfind(b"eXIf")
    while pos >= 4:
        length = int.from_bytes(tail[pos - 4 : pos], "big")
        data = tail[pos + 4 : pos + 4 + length]
        crc = tail[pos + 4 + length : pos + 8 + length]
        if len(data) == length and crc == zlib.crc32(b"eXIf" + data).to_bytes(4, "big"):
            return data
        pos = tail.rfind(b"eXIf", 0, pos)
    return None
