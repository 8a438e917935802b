"""A PNG without its location: its metadata chunks rewritten, its image chunks copied.

PNG has no offsets between chunks, so a chunk may change length; each has a CRC, so a
changed one is written with its own. Where a location can be:

- ``eXIf``: EXIF, whose GPS IFD is unlinked in place (:func:`inlet.gps.unlink_gps`);
- ``iTXt``/``tEXt``/``zTXt`` text: an XMP packet (``XML:com.adobe.xmp``), or
  ImageMagick's hex-encoded ``Raw profile type exif/xmp/APP1``, compressed or not.

A compressed text chunk larger than :data:`MAX_TEXT` once inflated, or one that does not
inflate, cannot be checked, so it is left out.
"""

from __future__ import annotations

import struct
import zlib

from inlet.gps import blank_xmp, unlink_gps

MAX_TEXT = 16 * 1024 * 1024
_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_TEXT_CHUNKS = (b"tEXt", b"zTXt", b"iTXt")
_RAW_PROFILE = b"Raw profile type "
_HEX_LINE = 72  # hex digits per line, as ImageMagick writes them
_EXIF_HEADER = b"Exif\x00\x00"


def strip_png(buf: bytearray) -> bytes | bool:
    """The PNG in ``buf`` without its location; False when it had none."""
    out = [_SIGNATURE]
    changed = False
    pos = len(_SIGNATURE)
    while pos + 12 <= len(buf):
        length = int.from_bytes(buf[pos : pos + 4], "big")
        end = pos + 12 + length
        if end > len(buf):
            break
        kind, data = bytes(buf[pos + 4 : pos + 8]), bytes(buf[pos + 8 : end - 4])
        new = _chunk_data(kind, data)
        if new is None:
            out.append(bytes(buf[pos:end]))
        else:
            changed = True
            if new:
                out.append(_chunk(kind, new))
        pos = end
    if not changed:
        return False
    out.append(bytes(buf[pos:]))  # whatever follows the last whole chunk, as it was
    return b"".join(out)


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data).to_bytes(4, "big")
    return struct.pack(">I", len(data)) + kind + data + crc


def _chunk_data(kind: bytes, data: bytes) -> bytes | None:
    """A chunk's new data (b"" to leave it out), or None to keep it as it is."""
    if kind == b"eXIf":
        block = bytearray(data)
        skip = len(_EXIF_HEADER) if block.startswith(_EXIF_HEADER) else 0
        return bytes(block) if unlink_gps(block, skip, len(block)) else None
    if kind in _TEXT_CHUNKS:
        return _text_chunk(kind, data)
    return None


def _text_chunk(kind: bytes, data: bytes) -> bytes | None:
    keyword, _, rest = data.partition(b"\x00")
    if kind == b"tEXt":
        header, compressed, body = b"", False, rest
    elif kind == b"zTXt":
        header, compressed, body = rest[:1], True, rest[1:]
    else:
        flag = rest[:1] == b"\x01"
        language, _, after = rest[2:].partition(b"\x00")
        translated, _, body = after.partition(b"\x00")
        header, compressed = rest[:2] + language + b"\x00" + translated + b"\x00", flag
    text = _inflate(body) if compressed else body
    if text is None:
        return b""
    new = _text(keyword, text)
    if new is None:
        return None
    return keyword + b"\x00" + header + (zlib.compress(new) if compressed else new)


def _inflate(body: bytes) -> bytes | None:
    inflater = zlib.decompressobj()
    try:
        text = inflater.decompress(body, MAX_TEXT)
    except zlib.error:
        return None
    return None if inflater.unconsumed_tail else text


def _text(keyword: bytes, text: bytes) -> bytes | None:
    """The text without its location, or None when it had none."""
    if keyword.startswith(_RAW_PROFILE):
        return _raw_profile(text)
    buf = bytearray(text)
    return bytes(buf) if blank_xmp(buf) else None


def _raw_profile(text: bytes) -> bytes | None:
    """ImageMagick's "\\n<type>\\n<length>\\n<hex, 72 digits a line>": EXIF or XMP."""
    lines = text.split(b"\n")
    try:
        block = bytearray(bytes.fromhex(b"".join(lines[3:]).decode("ascii")))
    except (ValueError, UnicodeDecodeError):
        return None
    skip = len(_EXIF_HEADER) if block.startswith(_EXIF_HEADER) else 0
    changed = blank_xmp(block) | unlink_gps(block, skip, len(block))
    if not changed:
        return None
    digits = block.hex().encode()
    body = b"\n".join(digits[i : i + _HEX_LINE] for i in range(0, len(digits), _HEX_LINE))
    return b"\n".join(lines[:3]) + b"\n" + body + b"\n"
