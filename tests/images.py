"""Images generated with known content and EXIF, for tests and benchmarks."""

from __future__ import annotations

import io
import random
import struct
import zlib

from PIL import ExifTags, Image


def _dms(value: float) -> tuple[float, float, float]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round((value - degrees - minutes / 60) * 3600, 4)
    return (float(degrees), float(minutes), float(seconds))


def make_exif(
    *,
    make: str | None = None,
    model: str | None = None,
    taken_at: str | None = None,
    offset: str | None = None,
    gps: tuple[float, float] | None = None,
) -> Image.Exif:
    exif = Image.Exif()
    if make is not None:
        exif[ExifTags.Base.Make] = make
    if model is not None:
        exif[ExifTags.Base.Model] = model
    ifd = exif.get_ifd(ExifTags.IFD.Exif)
    if taken_at is not None:
        ifd[ExifTags.Base.DateTimeOriginal] = taken_at
    if offset is not None:
        ifd[ExifTags.Base.OffsetTimeOriginal] = offset
    if gps is not None:
        lat, lon = gps
        gps_ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps_ifd[ExifTags.GPS.GPSLatitudeRef] = "N" if lat >= 0 else "S"
        gps_ifd[ExifTags.GPS.GPSLatitude] = _dms(lat)
        gps_ifd[ExifTags.GPS.GPSLongitudeRef] = "E" if lon >= 0 else "W"
        gps_ifd[ExifTags.GPS.GPSLongitude] = _dms(lon)
    return exif


def make_image(
    fmt: str = "JPEG",
    *,
    size: tuple[int, int] = (64, 48),
    seed: int | None = None,
    exif: Image.Exif | None = None,
    noise: bool = False,
) -> bytes:
    """A small image whose bytes differ per seed, so each seed is a distinct image."""
    rng = random.Random(seed)
    if noise:
        im = Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))
    else:
        color = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        im = Image.new("RGB", size, color)
        im.putpixel((0, 0), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    buf = io.BytesIO()
    kwargs: dict[str, object] = {}
    if exif is not None:
        kwargs["exif"] = exif
    if fmt == "HEIF":
        from inlet.images import register_heif

        register_heif()
    if fmt == "GIF":
        im = im.convert("P")
    im.save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def png_of_zeros(width: int, height: int) -> bytes:
    """A small file that decodes to width x height RGBA pixels (4 bytes each)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body).to_bytes(4, "big")
        return struct.pack(">I", len(body)) + kind + body + crc

    packer = zlib.compressobj(9)
    row = b"\x00" * (width * 4 + 1)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )
