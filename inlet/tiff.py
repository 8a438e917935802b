"""A reader for the few EXIF tags Inlet indexes.

:func:`read_tags` reads IFD0, the Exif IFD and the GPS IFD of a TIFF-structured block
(the EXIF inside a JPEG, PNG, WebP or HEIF, or a TIFF file itself), decoding only the
wanted tags. Pillow's own EXIF parser decodes every tag of every IFD it reads,
MakerNote included, which for a camera JPEG costs several times the image open.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any, NamedTuple

from inlet.exif import EXIF_IFD, EXIF_TAGS, GPS_IFD, GPS_TAGS, IFD0_TAGS, Tags

# TIFF field type -> (struct code, bytes per value); a rational is two values.
_FIELD_TYPES = {
    1: ("B", 1),
    2: ("s", 1),
    3: ("H", 2),
    4: ("L", 4),
    5: ("L", 8),
    6: ("b", 1),
    7: ("s", 1),
    8: ("h", 2),
    9: ("l", 4),
    10: ("l", 8),
    11: ("f", 4),
    12: ("d", 8),
    13: ("L", 4),  # IFD: how some writers type the sub-IFD pointers
}
_RATIONAL_TYPES = (5, 10)
_MAX_FIELD_BYTES = 4096  # every tag read here is short; a larger count is corruption
_ENDIANS = {b"II*\x00": "<", b"MM\x00*": ">"}


@dataclass(frozen=True)
class TiffBlock:
    """TIFF-structured data; its offsets count from ``read_at(0, ...)``."""

    read_at: Callable[[int, int], bytes]
    size: int
    endian: str

    @classmethod
    def from_bytes(cls, data: bytes) -> TiffBlock | None:
        data = data.removeprefix(b"Exif\x00\x00")
        endian = _ENDIANS.get(data[:4])
        if endian is None:
            return None
        return cls(lambda offset, length: data[offset : offset + length], len(data), endian)

    @classmethod
    def from_stream(cls, stream: IO[bytes], size: int) -> TiffBlock | None:
        def read_at(offset: int, length: int) -> bytes:
            stream.seek(offset)
            return stream.read(length)

        endian = _ENDIANS.get(read_at(0, 4))
        return None if endian is None else cls(read_at, size, endian)


class Entry(NamedTuple):
    position: int  # of the 12-byte entry, from the start of the block
    tag: int
    kind: int
    values: int  # how many values of the type
    inline: bytes  # the value, or the offset of the value when it is longer than 4 bytes


def read_tags(block: TiffBlock, notes: list[str]) -> Tags:
    """The tags :func:`fields` uses, from IFD0 and the Exif and GPS IFDs it points to."""
    head = block.read_at(4, 4)
    if len(head) < 4:
        notes.append("EXIF data ends inside its TIFF header")
        return Tags({}, {}, {})
    (first,) = struct.unpack(block.endian + "L", head)
    ifd0 = read_ifd(block, first, IFD0_TAGS, "IFD0", notes)
    exif_ifd = (
        read_ifd(block, ifd0.pop(EXIF_IFD), EXIF_TAGS, "Exif", notes) if EXIF_IFD in ifd0 else {}
    )
    gps = read_ifd(block, ifd0.pop(GPS_IFD), GPS_TAGS, "GPS", notes) if GPS_IFD in ifd0 else {}
    return Tags(ifd0, exif_ifd, gps)


def read_ifd(
    block: TiffBlock, offset: Any, wanted: frozenset[int], name: str, notes: list[str]
) -> dict[int, Any]:
    """The ``wanted`` tags of the IFD at ``offset``; the others are skipped undecoded.

    No offset or count is trusted: a damaged entry is skipped with a note and the rest
    of the IFD still counts.
    """
    if not isinstance(offset, int) or not 0 < offset <= block.size - 2:
        notes.append(f"{name} IFD offset {offset!r} is outside the EXIF data")
        return {}
    head = block.read_at(offset, 2)
    if len(head) < 2:
        notes.append(f"{name} IFD is missing")
        return {}
    (count,) = struct.unpack(block.endian + "H", head)
    available = (block.size - offset - 2) // 12
    if count > available:
        notes.append(f"{name} IFD truncated: {available} of {count} entries")
    found: dict[int, Any] = {}
    unreadable = []
    for _, tag, kind, n, inline in entries(block, offset, count):
        if tag in wanted and tag not in found:
            value = _field(block, kind, n, inline)
            if value is None:
                unreadable.append(f"0x{tag:04X}")
            else:
                found[tag] = value
    if unreadable:
        notes.append(f"{name} tags unreadable: {', '.join(unreadable)}")
    return found


def entries(block: TiffBlock, offset: int, count: int) -> list[Entry]:
    """The entries of the IFD at ``offset`` (its count already read), as many as the
    data holds."""
    count = max(0, min(count, (block.size - offset - 2) // 12))
    raw = block.read_at(offset + 2, 12 * count)
    raw = raw[: len(raw) - len(raw) % 12]  # shorter than promised: no raise
    return [
        Entry(offset + 2 + 12 * index, *fields)
        for index, fields in enumerate(struct.iter_unpack(block.endian + "HHL4s", raw))
    ]


def value_span(block: TiffBlock, kind: int, count: int, inline: bytes) -> tuple[int, int] | None:
    """(offset, length) of an entry's value stored outside the entry, when it is."""
    size = count * _FIELD_TYPES.get(kind, ("", 0))[1]
    if size <= 4:
        return None
    (pointer,) = struct.unpack(block.endian + "L", inline)
    return pointer, size


def _field(block: TiffBlock, kind: int, count: int, inline: bytes) -> Any:
    code, unit = _FIELD_TYPES.get(kind, ("", 0))
    size = count * unit
    if not code or not 0 < size <= _MAX_FIELD_BYTES:
        return None
    if size <= 4:
        data = inline[:size]
    else:
        (pointer,) = struct.unpack(block.endian + "L", inline)
        if pointer + size > block.size:
            return None
        data = block.read_at(pointer, size)
        if len(data) != size:
            return None
    if code == "s":
        return data
    if kind in _RATIONAL_TYPES:
        pairs = struct.unpack(f"{block.endian}{2 * count}{code}", data)
        # x/0 becomes NaN, which number() drops (as it drops Pillow's and exifread's).
        values: tuple[Any, ...] = tuple(
            num / den if den else math.nan for num, den in zip(pairs[::2], pairs[1::2], strict=True)
        )
    else:
        values = struct.unpack(f"{block.endian}{count}{code}", data)
    return values[0] if count == 1 else values
