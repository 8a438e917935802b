"""Image metadata for the search index, read from the stored bytes.

One plain function, :func:`extract_metadata`. It reads headers only and never decodes a
pixel. Pillow opens the image lazily (format, size, where the EXIF is); the EXIF tags
are read with :func:`inlet.tiff.read_tags`, which decodes only the dozen tags indexed
where Pillow's parser decodes every tag. Where Pillow would read the whole file to find
EXIF (WebP, PNG's eXIf after the image data) a few chunk headers are walked here
instead. exifread is the second opinion, asked only when something stumbled, so the
common case costs less than a bare Pillow open + getexif().

``width`` and ``height`` are the stored dimensions, before ``orientation`` is applied,
for every format (Pillow itself reports TIFF, and pillow_heif HEIF, as displayed).

Bad bytes never raise: whatever could be read is returned, with a short
``metadata_error``. Failures of the stream itself (the store went away, a timeout)
always propagate so the task can retry, even where a parser would have swallowed them.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, BinaryIO, cast

from PIL import Image, TiffImagePlugin

from inlet import containers, exif, tiff
from inlet.images import mime_for, register_heif, sniff

# Exceptions that end the extraction instead of becoming a note about the file: a
# worker's time limit, for one, arrives as an ordinary Exception raised wherever the
# parser happens to be. Set per call by extract_metadata.
_interrupts: ContextVar[tuple[type[BaseException], ...]] = ContextVar("interrupts", default=())

_SNIFF_BYTES = 32
_WEBP_MAX_CHUNKS = 100_000
_MAX_NOTE = 500
_NO_EXIF_FORMATS = {"GIF", "BMP"}
# Pillow's own fallback (Image.getexif), so the index agrees with ImageOps.exif_transpose.
_XMP_ORIENTATION = re.compile(rb'tiff:Orientation(?:="|>)([0-9])')
_OBJECT_REPR = re.compile(r"\s*<[^<>]* at 0x[0-9a-fA-F]+>")


def extract_metadata(
    fileobj: BinaryIO, size: int, *, interrupts: tuple[type[BaseException], ...] = ()
) -> dict[str, Any]:
    """Metadata of the image in ``fileobj`` (seekable, ``size`` bytes long).

    Only keys with a value are present. Never raises for malformed or unknown input;
    exceptions raised by ``fileobj`` itself, and ``interrupts``, are re-raised.
    """
    token = _interrupts.set(interrupts)
    try:
        return _extract_all(fileobj, size)
    finally:
        _interrupts.reset(token)


def _extract_all(fileobj: BinaryIO, size: int) -> dict[str, Any]:
    # An in-memory buffer cannot fail, so it needs no guard (which costs on every read).
    source = fileobj if type(fileobj) is io.BytesIO else cast("BinaryIO", _Source(fileobj))
    result: dict[str, Any] = {"size_bytes": size}
    notes: list[str] = []
    try:
        _extract(source, size, result, notes)
    except Exception as exc:  # noqa: BLE001 - bad bytes must never fail the job
        _pass_interrupts(exc)
        notes.append(_describe(exc))
    failure = _failure(source)
    if failure is not None:
        raise failure
    if notes:
        result["metadata_error"] = "; ".join(dict.fromkeys(notes))[:_MAX_NOTE]
    return result


@dataclass
class _Header:
    width: int | None = None
    height: int | None = None
    tags: exif.Tags | None = None
    # The EXIF block as found (None for TIFF, where the file is the block).
    raw_exif: bytes | None = None
    # Set where the EXIF orientation tag no longer tells the truth (pillow_heif resets it).
    orientation: int | None = None
    xmp: bytes | None = None


def _extract(source: BinaryIO, size: int, result: dict[str, Any], notes: list[str]) -> None:
    head = source.read(_SNIFF_BYTES)
    fmt = sniff(head)
    if fmt is None:
        notes.append("not a recognised image format")
        return
    result["format"] = fmt
    result["mime_type"] = mime_for(fmt, head)

    before = len(notes)
    header = _parse_header(source, size, fmt, notes)
    if _failure(source) is not None:
        return
    if len(notes) > before and fmt not in _NO_EXIF_FORMATS:
        header.tags = _second_opinion(source, size, header, notes)

    if header.width and header.height:
        result["width"], result["height"] = header.width, header.height
    if header.tags is not None:
        result.update(exif.fields(header.tags, notes))
    if header.orientation is not None:
        result["orientation"] = header.orientation
    elif "orientation" not in result and header.xmp:
        match = _XMP_ORIENTATION.search(header.xmp)
        if match and exif.orientation(int(match[1])):
            result["orientation"] = int(match[1])


def _parse_header(source: BinaryIO, size: int, fmt: str, notes: list[str]) -> _Header:
    """Dimensions and EXIF tags; parser warnings and errors become notes."""
    header = _Header()
    with warnings.catch_warnings(record=True) as caught:
        # "always": the default action would hide a warning seen once before in this process.
        warnings.simplefilter("always")
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            if fmt == "WEBP":
                _parse_webp(source, header, notes)
            else:
                _parse_with_pillow(source, size, fmt, header, notes)
        except Exception as exc:  # noqa: BLE001 - reported, then exifread gets its turn
            _pass_interrupts(exc)
            notes.append(f"{fmt} header unreadable: {_describe(exc)}")
    # Pillow reports damaged data with plain UserWarnings; other categories (deprecations
    # and the like) are not about this file.
    notes.extend(str(w.message) for w in caught if issubclass(w.category, UserWarning))
    return header


def _parse_with_pillow(
    source: BinaryIO, size: int, fmt: str, header: _Header, notes: list[str]
) -> None:
    if fmt == "HEIF":
        register_heif()
    source.seek(0)
    with Image.open(source, formats=[fmt]) as im:
        header.width, header.height = im.size
        if isinstance(im, TiffImagePlugin.TiffImageFile):
            # Pillow reports a TIFF's size turned by its orientation; the tags hold the stored one.
            header.width = im.tag_v2.get(TiffImagePlugin.IMAGEWIDTH, header.width)
            header.height = im.tag_v2.get(TiffImagePlugin.IMAGELENGTH, header.height)
        header.raw_exif = im.info.get("exif")
        if fmt == "PNG" and not header.raw_exif:
            # PngImageFile.getexif() would decode the pixels to reach a late eXIf chunk.
            header.raw_exif = containers.png_raw_profile(im.info) or containers.png_late_exif(
                source, size
            )
        xmp = im.info.get("xmp") or im.info.get("XML:com.adobe.xmp")
        header.xmp = xmp.encode() if isinstance(xmp, str) else xmp
        if fmt == "HEIF":
            _heif_orientation(im.info, header)
    if header.raw_exif:
        header.tags = _read_tags(tiff.TiffBlock.from_bytes(header.raw_exif), notes)
    elif fmt == "TIFF":
        header.tags = _read_tags(tiff.TiffBlock.from_stream(source, size), notes)


def _read_tags(block: tiff.TiffBlock | None, notes: list[str]) -> exif.Tags | None:
    if block is None:
        notes.append("EXIF data is not TIFF-structured")
        return None
    return tiff.read_tags(block, notes)


def _heif_orientation(info: Mapping[Any, Any], header: _Header) -> None:
    # libheif applies the file's rotation when decoding, so pillow_heif reports the displayed
    # size and sets the EXIF orientation to 1, keeping the original in "original_orientation".
    original = exif.orientation(info.get("original_orientation"))
    if original is None:
        return
    header.orientation = original
    if original >= 5 and header.width and header.height:
        header.width, header.height = header.height, header.width


def _parse_webp(source: BinaryIO, header: _Header, notes: list[str]) -> None:
    """Walk the RIFF chunks: Pillow would read the whole file and allocate the canvas."""
    source.seek(12)
    for _ in range(_WEBP_MAX_CHUNKS):
        chunk = source.read(8)
        if len(chunk) < 8:
            break
        kind, length = chunk[:4], int.from_bytes(chunk[4:], "little")
        start = source.tell()
        if kind == b"EXIF":
            header.raw_exif = source.read(length)
        elif kind == b"XMP ":
            header.xmp = source.read(length)
        elif header.width is None and (size := containers.webp_size(kind, source.read(10))):
            header.width, header.height = size
        source.seek(start + length + (length & 1))  # chunks are padded to even sizes
    if header.width is None:
        raise SyntaxError("no WebP image chunk")
    if header.raw_exif:
        header.tags = _read_tags(tiff.TiffBlock.from_bytes(header.raw_exif), notes)


def _second_opinion(source: BinaryIO, size: int, header: _Header, notes: list[str]) -> exif.Tags:
    """The tags read so far, completed by what exifread reads where they stopped."""
    # exifread reads past the end of a truncated EXIF block into whatever follows, so it
    # gets only the block itself, and values it claims beyond that block are dropped.
    if header.raw_exif is not None:
        block = header.raw_exif.removeprefix(b"Exif\x00\x00")
        stream: BinaryIO = io.BytesIO(block)
        limit = len(block)
    else:
        stream, limit = source, size
    ours = header.tags or exif.Tags({}, {}, {})
    try:
        theirs = _exifread_tags(stream, limit)
    except Exception as exc:  # noqa: BLE001 - the second opinion is optional
        _pass_interrupts(exc)
        notes.append(f"exifread failed: {_describe(exc)}")
        return ours
    return exif.Tags(*({**t, **o} for t, o in zip(theirs, ours, strict=True)))


def _exifread_tags(stream: BinaryIO, limit: int) -> exif.Tags:
    import exifread

    found = exifread.process_file(stream, details=False, extract_thumbnail=False)
    groups: dict[str, tuple[dict[int, Any], frozenset[int]]] = {
        "Image": ({}, exif.IFD0_TAGS),
        "EXIF": ({}, exif.EXIF_TAGS),
        "GPS": ({}, exif.GPS_TAGS),
    }
    for name, tag in found.items():
        group = groups.get(name.split(" ", 1)[0])
        if group is None or not hasattr(tag, "values") or tag.tag not in group[1]:
            continue
        if tag.field_offset + tag.field_length <= limit:
            group[0][tag.tag] = tag.values
    return exif.Tags(*(ifd for ifd, _ in groups.values()))


def _pass_interrupts(exc: Exception) -> None:
    if isinstance(exc, _interrupts.get()):
        raise exc


def _describe(exc: BaseException) -> str:
    # Object reprs ("<_io.BytesIO object at 0x7f...>") would make every note unique.
    text = _OBJECT_REPR.sub("", str(exc))[:120]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _failure(source: object) -> Exception | None:
    return source.failure if isinstance(source, _Source) else None


class _Source:
    """The caller's stream, remembering its own failures.

    Parsers catch OSError and carry on (pillow_heif turns it into "not an image"); a
    ConnectionError from the store must reach the task instead, so it is kept here and
    re-raised once parsing is over.
    """

    __slots__ = ("_raw", "failure")

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.failure: Exception | None = None

    def read(self, size: int = -1) -> bytes:
        try:
            return self._raw.read(size)
        except Exception as exc:
            self.failure = self.failure or exc
            raise

    def seek(self, offset: int, whence: int = 0) -> int:
        try:
            return self._raw.seek(offset, whence)
        except Exception as exc:
            self.failure = self.failure or exc
            raise

    def tell(self) -> int:
        try:
            return self._raw.tell()
        except Exception as exc:
            self.failure = self.failure or exc
            raise
