"""The public rendition of an image: the same bytes with every location removed.

:func:`strip_location` finds the EXIF (GPS IFD) and XMP (GPS properties) of a JPEG,
PNG, WebP, TIFF, HEIC/HEIF or GIF and removes the location without re-encoding
anything: the pixels are the same bytes. JPEG, WebP, TIFF, HEIF and GIF are edited in
place, keeping their length, so no offset anywhere in the file changes (a JPEG's
multi-picture offsets, a HEIF's item locations, a TIFF's strips); a PNG's metadata
chunks are rewritten (with their CRC), its image chunks are copied as they are.

Pure: bytes in, bytes out, never raises. A location it finds and cannot remove in
place (an XMP property it cannot match whole, a HEIF Exif item in pieces) makes the
result incomplete, and the caller serves nothing rather than the location.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from inlet.gps import Incomplete, blank_xmp, unlink_gps
from inlet.images import sniff
from inlet.pngmeta import strip_png

_EXIF_HEADER = b"Exif\x00\x00"
_APP1 = b"\xff\xe1"
_MAX_BOXES = 10_000  # a HEIF's boxes (or a WebP's chunks) walked before giving up


@dataclass(frozen=True)
class Removal:
    """What :func:`strip_location` made of an image."""

    data: bytes  # the bytes to serve publicly: the input itself when nothing was found
    changed: bool
    # False: a location was found that could not be removed; serve none of it.
    complete: bool = True


def strip_location(data: bytes) -> Removal:
    """The image in ``data`` without its location (see the module's docstring)."""
    strip = _STRIPPERS.get(sniff(data[:32]) or "")
    if strip is None:
        return Removal(data, changed=False)
    buf = bytearray(data)
    try:
        result = strip(buf)
    except Incomplete:
        return Removal(data, changed=False, complete=False)
    if isinstance(result, bytes):
        return Removal(result, changed=result != data)
    return Removal(bytes(buf), changed=True) if result else Removal(data, changed=False)


def _jpeg(buf: bytearray) -> bool:
    """Every APP1 Exif segment, those of embedded images (multi-picture, thumbnails)
    included: entropy-coded data cannot hold FF E1 (an FF there is followed by 00)."""
    changed = False
    pos = buf.find(_APP1)
    while pos >= 0:
        end = pos + 2 + int.from_bytes(buf[pos + 2 : pos + 4], "big")
        if buf.startswith(_EXIF_HEADER, pos + 4):
            changed |= unlink_gps(buf, pos + 10, end)
        pos = buf.find(_APP1, pos + 2)
    return blank_xmp(buf) or changed


def _webp(buf: bytearray) -> bool:
    changed = False
    for kind, start, end in _riff_chunks(buf):
        if kind == b"EXIF":
            skip = len(_EXIF_HEADER) if buf.startswith(_EXIF_HEADER, start) else 0
            changed |= unlink_gps(buf, start + skip, end)
    return blank_xmp(buf) or changed


def _riff_chunks(buf: bytearray) -> Iterator[tuple[bytes, int, int]]:
    pos = 12
    for _ in range(_MAX_BOXES):
        if pos + 8 > len(buf):
            return
        length = int.from_bytes(buf[pos + 4 : pos + 8], "little")
        yield bytes(buf[pos : pos + 4]), pos + 8, min(pos + 8 + length, len(buf))
        pos += 8 + length + (length & 1)


def _tiff(buf: bytearray) -> bool:
    return blank_xmp(buf) | unlink_gps(buf, 0, len(buf))


def _gif(buf: bytearray) -> bool:
    # A GIF's XMP application extension holds the packet as it is; blanking keeps its
    # "magic trailer" walkable, since every byte it skips by is still there.
    return blank_xmp(buf)


def _heif(buf: bytearray) -> bool:
    """The Exif items the ``meta`` box lists; the XMP (a ``mime`` item) is plain text."""
    changed = False
    for start, end in _heif_exif_items(buf):
        if end - start >= 4:
            tiff_start = start + 4 + int.from_bytes(buf[start : start + 4], "big")
            if buf.startswith(_EXIF_HEADER, tiff_start):  # some writers count from before it
                tiff_start += len(_EXIF_HEADER)
            changed |= unlink_gps(buf, tiff_start, end)
    return blank_xmp(buf) or changed


def _boxes(buf: bytearray, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, end) of the ISO BMFF boxes in ``buf[start:end]``."""
    pos = start
    for _ in range(_MAX_BOXES):
        if pos + 8 > end:
            return
        size, header = int.from_bytes(buf[pos : pos + 4], "big"), 8
        if size == 1:
            size, header = int.from_bytes(buf[pos + 8 : pos + 16], "big"), 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            return
        yield bytes(buf[pos + 4 : pos + 8]), pos + header, pos + size
        pos += size


def _heif_exif_items(buf: bytearray) -> list[tuple[int, int]]:
    meta = next((b for b in _boxes(buf, 0, len(buf)) if b[0] == b"meta"), None)
    if meta is None:
        return []
    children = {kind: (start, end) for kind, start, end in _boxes(buf, meta[1] + 4, meta[2])}
    exif_ids = _heif_items_of_type(buf, *children.get(b"iinf", (0, 0)), b"Exif")
    if not exif_ids:
        return []
    idat = children.get(b"idat", (0, 0))[0]
    spans = []
    for item, (method, extent) in _heif_locations(buf, *children.get(b"iloc", (0, 0))).items():
        if item not in exif_ids:
            continue
        if extent is None or method not in (0, 1):
            raise Incomplete("a HEIF Exif item stored in pieces or by reference")
        offset, length = extent
        offset += idat if method == 1 else 0
        spans.append((offset, len(buf) if length == 0 else min(offset + length, len(buf))))
    return spans


def _heif_items_of_type(buf: bytearray, start: int, end: int, kind: bytes) -> set[int]:
    if end - start < 6:
        return set()
    skip = 6 if buf[start] == 0 else 8  # version, flags, then a 16- or 32-bit count
    found = set()
    for box, payload, box_end in _boxes(buf, start + skip, end):
        version = buf[payload] if payload < box_end else 0
        if box != b"infe" or version < 2:
            continue
        width = 2 if version == 2 else 4
        item = int.from_bytes(buf[payload + 4 : payload + 4 + width], "big")
        if buf[payload + 6 + width : payload + 10 + width] == kind:
            found.add(item)
    return found


def _heif_locations(
    buf: bytearray, start: int, end: int
) -> dict[int, tuple[int, tuple[int, int] | None]]:
    """item id -> (construction method, [(offset, length)]) from an ``iloc`` box."""
    if end - start < 8:
        return {}
    read = _Reader(buf, start, end)
    version = read(1)
    read(3)
    sizes = read(1)
    offset_size, length_size = sizes >> 4, sizes & 15
    sizes = read(1)
    base_size, index_size = sizes >> 4, (sizes & 15) if version in (1, 2) else 0
    found: dict[int, tuple[int, tuple[int, int] | None]] = {}
    for _ in range(read(2 if version < 2 else 4)):
        item = read(2 if version < 2 else 4)
        method = read(2) & 15 if version in (1, 2) else 0
        read(2)
        base, count = read(base_size), read(2)
        if count == 1:
            read(index_size)
            found[item] = (method, (base + read(offset_size), read(length_size)))
        else:  # none, or several: only "in one piece" matters here
            read.skip(count * (index_size + offset_size + length_size))
            found[item] = (method, None)
        if read.overrun:
            found.pop(item)
            break
    return found


class _Reader:
    """Big-endian unsigned integers, one after the other; zeros past the end."""

    def __init__(self, buf: bytearray, start: int, end: int) -> None:
        self.buf, self.pos, self.end, self.overrun = buf, start, end, False

    def skip(self, width: int) -> None:
        self.pos += width
        self.overrun |= self.pos > self.end

    def __call__(self, width: int) -> int:
        if self.pos + width > self.end:
            self.overrun = True
            return 0
        value = int.from_bytes(self.buf[self.pos : self.pos + width], "big")
        self.pos += width
        return value


_STRIPPERS: dict[str, Callable[[bytearray], bool | bytes]] = {
    "JPEG": _jpeg,
    "PNG": strip_png,
    "WEBP": _webp,
    "TIFF": _tiff,
    "HEIF": _heif,
    "GIF": _gif,
}
