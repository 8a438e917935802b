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


# An XMP packet with the GPS properties phones and editors write, as attributes and as
# elements, beside properties that must survive.
GPS_XMP = (
    b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF'
    b' xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description rdf:about="" xmlns:exif="http://ns.adobe.com/exif/1.0/"'
    b' xmlns:tiff="http://ns.adobe.com/tiff/1.0/" xmlns:drone-dji="http://www.dji.com/drone-dji/1.0/"'
    b" exif:GPSLatitude=\"51,30.0000N\" exif:GPSLongitude='0,7.2000W'"
    b' drone-dji:GpsAltitude="+35.5" tiff:Make="XmpCam">'
    b"<exif:GPSAltitude>355/10</exif:GPSAltitude>"
    b"<exif:GPSVersionID><rdf:Seq><rdf:li>2.3.0.0</rdf:li></rdf:Seq></exif:GPSVersionID>"
    b'<exif:GPSMapDatum rdf:parseType="Literal"/>'
    b"<tiff:Model>XmpModel</tiff:Model>"
    b"</rdf:Description></rdf:RDF></x:xmpmeta>"
    b'<?xpacket end="w"?>'
)


def make_located_image(
    fmt: str,
    *,
    gps: tuple[float, float] = (51.5, -0.12),
    xmp: bytes | None = GPS_XMP,
    size: tuple[int, int] = (48, 32),
    seed: int = 0,
) -> bytes:
    """An image with EXIF GPS (and, unless ``xmp`` is None, an XMP packet with GPS)."""
    if fmt == "TIFF":
        return make_tiff(gps=gps, xmp=xmp, size=size, seed=seed)
    from PIL import PngImagePlugin

    rng = random.Random(seed)
    im = Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))
    exif = make_exif(make="ExifCam", gps=gps)
    kwargs: dict[str, object] = {"exif": exif}
    if xmp is not None and fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_itxt("XML:com.adobe.xmp", xmp.decode())
        kwargs["pnginfo"] = info
    elif xmp is not None:
        kwargs["xmp"] = xmp
    if fmt == "HEIF":
        from inlet.images import register_heif

        register_heif()
    if fmt in ("WEBP", "HEIF"):
        kwargs["lossless" if fmt == "WEBP" else "quality"] = True if fmt == "WEBP" else -1
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def _rationals(value: float) -> bytes:
    return b"".join(struct.pack("<LL", round(part * 10000), 10000) for part in _dms(value))


def make_tiff(
    *,
    gps: tuple[float, float] | None = (51.5, -0.12),
    xmp: bytes | None = None,
    size: tuple[int, int] = (48, 32),
    seed: int = 0,
) -> bytes:
    """An uncompressed RGB TIFF with a Make, a GPS IFD and an XMP tag (Pillow writes no
    GPS IFD into a TIFF), laid out as cameras and scanners do: IFD0, values, pixels."""
    width, height = size
    pixels = random.Random(seed).randbytes(width * height * 3)
    make = b"TiffCam\x00"
    xmp = xmp or b""
    # Offsets: header 8, IFD0 (2 + 12n + 4), GPS IFD (2 + 12*4 + 4), then the values.
    tags = 11 + (1 if gps else 0) + (1 if xmp else 0)
    ifd0_end = 8 + 2 + 12 * tags + 4
    gps_at = ifd0_end
    values_at = gps_at + (2 + 12 * 4 + 4 if gps else 0)
    bits_at, make_at = values_at, values_at + 6
    lat_at, lon_at = make_at + len(make), make_at + len(make) + 24
    xmp_at = lon_at + 24
    pixels_at = xmp_at + len(xmp) + (len(xmp) & 1)

    def entry(tag: int, kind: int, count: int, value: int | bytes) -> bytes:
        raw = value if isinstance(value, bytes) else struct.pack("<L", value)
        return struct.pack("<HHL", tag, kind, count) + raw.ljust(4, b"\x00")

    entries = [
        entry(256, 4, 1, width),
        entry(257, 4, 1, height),
        entry(258, 3, 3, bits_at),
        entry(259, 3, 1, 1),
        entry(262, 3, 1, 2),
        entry(271, 2, len(make), make_at),
        entry(273, 4, 1, pixels_at),
        entry(277, 3, 1, 3),
        entry(278, 4, 1, height),
        entry(279, 4, 1, len(pixels)),
        entry(284, 3, 1, 1),
    ]
    if xmp:
        entries.append(entry(700, 1, len(xmp), xmp_at))
    if gps:
        entries.append(entry(0x8825, 4, 1, gps_at))
    ifd0 = struct.pack("<H", len(entries)) + b"".join(entries) + struct.pack("<L", 0)
    gps_ifd = b""
    lat_values = lon_values = b""
    if gps:
        lat, lon = gps
        gps_ifd = (
            struct.pack("<H", 4)
            + entry(1, 2, 2, b"N" if lat >= 0 else b"S")
            + entry(2, 5, 3, lat_at)
            + entry(3, 2, 2, b"E" if lon >= 0 else b"W")
            + entry(4, 5, 3, lon_at)
            + struct.pack("<L", 0)
        )
        lat_values, lon_values = _rationals(lat), _rationals(lon)
    out = b"II*\x00" + struct.pack("<L", 8) + ifd0 + gps_ifd + struct.pack("<HHH", 8, 8, 8)
    out += make + (lat_values or bytes(24)) + (lon_values or bytes(24)) + xmp
    out = out.ljust(pixels_at, b"\x00")
    return out + pixels
