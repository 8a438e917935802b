"""Removing a location in place: the GPS IFD of TIFF-structured data, and the GPS
properties of XMP.

Every edit keeps the length of what it edits, so the offsets of every container around
it (a JPEG's APP1, a HEIF item, a TIFF file's strips) stay valid and no pixel moves.
Coordinates are never set to zero (0° 0° is a place): the GPS IFD is unlinked, so no
reader finds it, and only then are its unreferenced bytes overwritten with zeros.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable

from inlet.exif import EXIF_IFD, GPS_IFD
from inlet.tiff import Entry, TiffBlock, entries, read_ifd, value_span

_ENDIANS = {b"II*\x00": "<", b"MM\x00*": ">"}
_MAX_IFDS = 64  # IFD0, its thumbnail IFD1, a multi-page TIFF's pages
# Where a TIFF's image data lies (strips, tiles, a JPEG thumbnail): never overwritten.
_DATA_TAGS = ((0x0111, 0x0117), (0x0144, 0x0145), (0x0201, 0x0202))
_DATA_TAG_SET = frozenset(tag for pair in _DATA_TAGS for tag in pair)

# An XMP property whose local name starts with GPS, in any namespace (exif:GPSLatitude,
# drone-dji:GpsLatitude, ...), or any property of a namespace whose prefix does (gps:…),
# as an attribute or as an element with its content. Namespace declarations stay.
_NAME = rb"(?!xmlns:)(?:(?i:gps)[\w.-]*:[\w.-]+|[A-Za-z_][\w.-]*:(?i:gps)[\w.-]*)"
_XMP_ATTRIBUTE = re.compile(rb"\s" + _NAME + rb"\s*=\s*(?:\"[^\"]*\"|'[^']*')")
_XMP_ELEMENT = re.compile(
    rb"<(" + _NAME + rb")(?:\s(?:[^<>\"']|\"[^\"]*\"|'[^']*')*)?(?:/>|>.*?</\1\s*>)", re.DOTALL
)
_XMP_LEFTOVER = re.compile(rb"[<\s]" + _NAME + rb"[\s=>/]")
_XMP_SPANS = (
    (b"<x:xmpmeta", b"</x:xmpmeta>"),
    (b"<x:xapmeta", b"</x:xapmeta>"),
    (b"<rdf:RDF", b"</rdf:RDF>"),
)


class Incomplete(ValueError):
    """A location was found that cannot be removed without rewriting the file."""


# --- XMP -----------------------------------------------------------------------------


def blank_xmp(buf: bytearray, start: int = 0, end: int | None = None) -> bool:
    """Blank the GPS properties of every XMP packet in ``buf[start:end]`` with spaces.

    Whitespace may stand between attributes and between elements, so the packet stays
    well-formed XML of the same length. True if anything was blanked; raises
    :class:`Incomplete` if a GPS property is left that could not be matched whole.
    """
    end = len(buf) if end is None else end
    changed = False
    for opening, closing in _XMP_SPANS:
        pos = buf.find(opening, start, end)
        while pos >= 0:
            stop = buf.find(closing, pos, end)
            stop = end if stop < 0 else stop + len(closing)
            changed |= _blank_packet(buf, pos, stop)
            pos = buf.find(opening, stop, end)
    return changed


def _blank_packet(buf: bytearray, start: int, end: int) -> bool:
    packet = bytes(buf[start:end])
    blanked = _XMP_ELEMENT.sub(lambda m: b" " * len(m[0]), packet)
    blanked = _XMP_ATTRIBUTE.sub(lambda m: b" " * len(m[0]), blanked)
    if _XMP_LEFTOVER.search(blanked):
        raise Incomplete("an XMP GPS property that is not well-formed")
    buf[start:end] = blanked
    return blanked != packet


# --- TIFF ----------------------------------------------------------------------------


def unlink_gps(buf: bytearray, start: int, end: int) -> bool:
    """Remove every GPS IFD of the TIFF-structured data in ``buf[start:end]``.

    The GPSInfo entry leaves its IFD (the entries after it move up, the count drops by
    one, the freed 12 bytes become zeros), then the GPS IFD and the values it points
    to are zeroed, except where they would overlap an IFD or image data. True if a GPS
    IFD was found.
    """
    endian = _ENDIANS.get(bytes(buf[start : start + 4]))
    end = min(end, len(buf))
    if endian is None or end - start < 8:
        return False
    block = TiffBlock(_reader(buf, start, end), end - start, endian)
    ifds = _ifd_offsets(block)
    protected = _protected(block, ifds)
    changed = False
    for offset in ifds:
        for gps in _drop_entries(buf, start, block, offset, GPS_IFD):
            _zero_ifd(buf, start, block, gps, protected)
            changed = True
    return changed


def _reader(buf: bytearray, start: int, end: int) -> Callable[[int, int], bytes]:
    size = end - start

    def read_at(offset: int, length: int) -> bytes:
        if offset < 0 or offset >= size:
            return b""
        return bytes(buf[start + offset : start + min(offset + length, size)])

    return read_at


def _count(block: TiffBlock, offset: int) -> int | None:
    head = block.read_at(offset, 2)
    if offset <= 0 or len(head) < 2:
        return None
    return int(struct.unpack(block.endian + "H", head)[0])


def _pointer(block: TiffBlock, position: int) -> int:
    raw = block.read_at(position, 4)
    return int(struct.unpack(block.endian + "L", raw)[0]) if len(raw) == 4 else 0


def _ifd_offsets(block: TiffBlock) -> list[int]:
    """IFD0 and the IFDs chained after it, then the Exif IFDs they point to."""
    found: list[int] = []
    offset = _pointer(block, 4)
    while offset and offset not in found and len(found) < _MAX_IFDS:
        count = _count(block, offset)
        if count is None:
            break
        found.append(offset)
        offset = _pointer(block, offset + 2 + 12 * count)
    exif = [
        _pointer(block, entry.position + 8)
        for ifd in found
        for entry in _entries(block, ifd)
        if entry.tag == EXIF_IFD
    ]
    return found + [offset for offset in exif if offset not in found]


def _entries(block: TiffBlock, offset: int) -> list[Entry]:
    count = _count(block, offset)
    return [] if count is None else entries(block, offset, count)


def _protected(block: TiffBlock, ifds: list[int]) -> list[tuple[int, int]] | None:
    """The spans no zeroing may touch: every IFD table and the image data; None when the
    image data cannot be located (then nothing outside the GPS entry is zeroed)."""
    spans = [(offset, 2 + 12 * (_count(block, offset) or 0) + 4) for offset in ifds]
    for offset in ifds:
        notes: list[str] = []
        tags = read_ifd(block, offset, _DATA_TAG_SET, "", notes)
        if notes:
            return None
        for where, length in _DATA_TAGS:
            starts, sizes = _ints(tags.get(where, ())), _ints(tags.get(length, ()))
            if starts is None or sizes is None:
                return None
            spans.extend(zip(starts, sizes, strict=False))
    return spans


def _ints(value: object) -> tuple[int, ...] | None:
    values = value if isinstance(value, tuple) else (value,)
    return values if all(type(v) is int for v in values) else None


def _drop_entries(buf: bytearray, start: int, block: TiffBlock, offset: int, tag: int) -> list[int]:
    """Take the ``tag`` entries out of the IFD at ``offset``; the offsets they held."""
    count = _count(block, offset)
    if count is None:
        return []
    found = entries(block, offset, count)
    kept = [entry for entry in found if entry.tag != tag]
    if len(kept) == len(found):
        return []
    tail = block.read_at(offset + 2 + 12 * count, 4)
    rewritten = struct.pack(block.endian + "H", len(kept))
    rewritten += b"".join(block.read_at(entry.position, 12) for entry in kept) + tail
    old_length = len(block.read_at(offset, 2 + 12 * count + 4))
    rewritten = rewritten[:old_length].ljust(old_length, b"\x00")
    buf[start + offset : start + offset + old_length] = rewritten
    return [_pointer_of(block, entry) for entry in found if entry.tag == tag]


def _pointer_of(block: TiffBlock, entry: Entry) -> int:
    return int(struct.unpack(block.endian + "L", entry.inline)[0])


def _zero_ifd(
    buf: bytearray,
    start: int,
    block: TiffBlock,
    offset: int,
    protected: list[tuple[int, int]] | None,
) -> None:
    count = _count(block, offset)
    if count is None or protected is None:
        return
    spans = [(offset, 2 + 12 * count + 4)]
    for entry in entries(block, offset, count):
        span = value_span(block, entry.kind, entry.values, entry.inline)
        if span is not None:
            spans.append(span)
    for where, claimed in spans:
        length = min(claimed, block.size - where)
        if where > 0 and length > 0 and not _overlaps(where, length, protected):
            buf[start + where : start + where + length] = bytes(length)


def _overlaps(where: int, length: int, spans: list[tuple[int, int]]) -> bool:
    return any(where < other + size and other < where + length for other, size in spans)
