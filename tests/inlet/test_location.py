"""The public rendition: every location removed, every pixel and other tag kept."""

from __future__ import annotations

import io
import re
import struct
import warnings
import zlib
from xml.etree import ElementTree

import exifread
import pytest
from PIL import ExifTags, Image, PngImagePlugin

from inlet.location import strip_location
from inlet.metadata import extract_metadata
from tests.images import GPS_XMP, make_exif, make_image, make_located_image, make_tiff

FORMATS = ["JPEG", "PNG", "WEBP", "TIFF", "HEIF"]
GPS_TEXT = re.compile(rb"(?i):gps")


def pixels(data: bytes) -> tuple[str, tuple[int, int], bytes]:
    if data[4:8] == b"ftyp":
        from inlet.images import register_heif

        register_heif()
    with Image.open(io.BytesIO(data)) as im:
        return im.mode, im.size, im.tobytes()


def xmp_packet(data: bytes) -> bytes:
    start, end = data.index(b"<x:xmpmeta"), data.index(b"</x:xmpmeta>")
    return data[start : end + len(b"</x:xmpmeta>")]


def gps_ifd(data: bytes) -> dict[int, object]:
    with Image.open(io.BytesIO(data)) as im, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dict(im.getexif().get_ifd(ExifTags.IFD.GPSInfo))


def exifread_gps(data: bytes) -> list[str]:
    tags = exifread.process_file(io.BytesIO(data), details=False)
    return [name for name in tags if name.startswith("GPS")]


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_location_goes_and_everything_else_stays(fmt: str) -> None:
    original = make_located_image(fmt, seed=3)
    before = extract_metadata(io.BytesIO(original), len(original))
    assert before["location"] == {"lat": 51.5, "lon": -0.12}  # the test image is located

    removal = strip_location(original)

    assert removal.changed
    assert removal.complete
    public = removal.data
    # Edited in place: the same length, so every offset in the container still holds.
    assert len(public) == len(original)
    assert pixels(public) == pixels(original)
    after = extract_metadata(io.BytesIO(public), len(public))
    assert "location" not in after
    assert "altitude" not in after
    assert "metadata_error" not in after
    assert after["make"] == before["make"]
    if fmt != "HEIF":  # pillow_heif hands over its EXIF only through info["exif"]
        assert gps_ifd(public) == {}
    if fmt in ("JPEG", "TIFF"):  # the second opinion, another parser
        assert exifread_gps(original) != []
        assert exifread_gps(public) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_xmp_keeps_its_other_properties_and_stays_well_formed(fmt: str) -> None:
    public = strip_location(make_located_image(fmt, seed=4)).data
    packet = xmp_packet(public)
    assert not GPS_TEXT.search(packet)
    root = ElementTree.fromstring(packet)  # noqa: S314 - the packet is our own test data
    description = root.find(".//{http://www.w3.org/1999/02/22-rdf-syntax-ns#}Description")
    assert description is not None
    assert description.get("{http://ns.adobe.com/tiff/1.0/}Make") == "XmpCam"
    assert description.findtext("{http://ns.adobe.com/tiff/1.0/}Model") == "XmpModel"


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_second_pass_finds_nothing(fmt: str) -> None:
    once = strip_location(make_located_image(fmt, seed=5)).data
    again = strip_location(once)
    assert not again.changed
    assert again.data is once


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF", "BMP", "HEIF"])
def test_an_image_without_a_location_is_served_as_it_is(fmt: str) -> None:
    exif = None if fmt in ("GIF", "BMP") else make_exif(make="Cam", taken_at="2024:05:01 10:00:00")
    original = make_image(fmt, exif=exif, seed=6)
    removal = strip_location(original)
    assert not removal.changed
    assert removal.complete
    assert removal.data is original


def test_a_location_in_only_the_exif_or_only_the_xmp_goes_too() -> None:
    exif_only = make_located_image("JPEG", xmp=None, seed=7)
    assert strip_location(exif_only).changed
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, format="JPEG", xmp=GPS_XMP)
    removal = strip_location(buf.getvalue())
    assert removal.changed
    assert not GPS_TEXT.search(removal.data)


def test_tiff_gps_values_are_zeroed_and_the_strips_untouched() -> None:
    original = make_tiff(gps=(48.8566, 2.3522), seed=8)
    latitude = struct.pack("<LL", 480000, 10000)  # 48° as the GPS IFD stores it
    assert latitude in original
    public = strip_location(original).data
    assert latitude not in public
    strip = original[-48 * 32 * 3 :]
    assert public.endswith(strip)
    # The unlinked IFD0 keeps its other tags in order and no GPS pointer.
    with Image.open(io.BytesIO(public)) as im:
        assert im.getexif()[ExifTags.Base.Make] == "TiffCam"
        assert ExifTags.Base.GPSInfo not in im.getexif()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")


def _with_chunks(png: bytes, *chunks: bytes) -> bytes:
    idat = png.index(b"IDAT") - 4  # before the image data, where readers look first
    return png[:idat] + b"".join(chunks) + png[idat:]


def test_png_compressed_xmp_and_imagemagick_raw_profiles_lose_the_location() -> None:
    exif = make_exif(make="RawCam", gps=(-33.86, 151.21)).tobytes()
    digits = exif.hex()
    lines = "\n".join(digits[i : i + 72] for i in range(0, len(digits), 72))
    profile = f"\nexif\n{len(exif):8d}\n{lines}\n".encode()
    png = _with_chunks(
        make_image("PNG", seed=9),
        _png_chunk(b"zTXt", b"Raw profile type exif\x00\x00" + zlib.compress(profile)),
        _png_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x01\x00\x00\x00" + zlib.compress(GPS_XMP)),
    )
    assert extract_metadata(io.BytesIO(png), len(png))["location"]["lat"] == -33.86

    public = strip_location(png).data

    meta = extract_metadata(io.BytesIO(public), len(public))
    assert "location" not in meta
    assert meta["make"] == "RawCam"
    assert pixels(public) == pixels(png)
    with Image.open(io.BytesIO(public)) as im:
        im.load()  # every chunk CRC checked
        assert isinstance(im, PngImagePlugin.PngImageFile)
        xmp = im.info["XML:com.adobe.xmp"]
    assert "GPS" not in xmp
    assert "XmpModel" in xmp


def test_png_text_that_cannot_be_checked_is_left_out() -> None:
    png = _with_chunks(make_image("PNG", seed=10), _png_chunk(b"zTXt", b"Comment\x00\x00garbage"))
    removal = strip_location(png)
    assert removal.changed
    assert b"zTXt" not in removal.data
    assert pixels(removal.data) == pixels(png)


def test_an_xmp_gps_property_it_cannot_match_whole_withholds_the_image() -> None:
    broken = GPS_XMP.replace(b"</exif:GPSAltitude>", b"")
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, format="JPEG", xmp=broken)
    removal = strip_location(buf.getvalue())
    assert not removal.complete


def test_what_is_not_an_image_is_returned_untouched() -> None:
    for data in (b"", b"hello", b"\xff\xd8\xff", b"II*\x00", b"\x89PNG\r\n\x1a\n"):
        removal = strip_location(data)
        assert removal.data == data
        assert not removal.changed


def test_a_second_image_inside_a_jpeg_loses_its_location_too() -> None:
    # Multi-picture JPEGs (depth maps, previews) carry whole JPEGs after the first one's
    # end, each with its own EXIF; their offsets survive because nothing moves.
    first, second = make_located_image("JPEG", seed=11), make_located_image("JPEG", seed=12)
    public = strip_location(first + second).data
    assert len(public) == len(first + second)
    for part in (public[: len(first)], public[len(first) :]):
        assert "location" not in extract_metadata(io.BytesIO(part), len(part))
    assert pixels(public[: len(first)]) == pixels(first)
    assert pixels(public[len(first) :]) == pixels(second)


def test_properties_of_a_gps_namespace_go_and_its_declaration_stays() -> None:
    packet = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF'
        b' xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description'
        b' xmlns:gps="http://example.com/gps/" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        b' gps:Lat="51.5" dc:format="image/jpeg"><gps:Lon>-0.12</gps:Lon>'
        b"</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, format="JPEG", xmp=packet)
    public = xmp_packet(strip_location(buf.getvalue()).data)
    assert b"51.5" not in public
    assert b"-0.12" not in public
    root = ElementTree.fromstring(public)  # noqa: S314 - the packet is our own test data
    description = root.find(".//{http://www.w3.org/1999/02/22-rdf-syntax-ns#}Description")
    assert description is not None
    assert description.get("{http://purl.org/dc/elements/1.1/}format") == "image/jpeg"
