"""extract_metadata on images made here with known EXIF, on broken ones, and on real
camera files from the shared exif-samples fixtures (skipped when absent, failed
when absent and INLET_REQUIRE_FIXTURES=1)."""

from __future__ import annotations

import io
import math
import random
import struct
import zlib
from pathlib import Path
from typing import Any, NoReturn

import pytest
from PIL import Image, ImageOps
from PIL.ExifTags import GPS, IFD, Base
from PIL.TiffImagePlugin import IFDRational

from inlet import tiff
from inlet.images import register_heif
from inlet.metadata import extract_metadata
from inlet.stores.rangefile import RangeFile
from tests.support import shared_fixture

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "exif-samples"
FORMATS = ["JPEG", "TIFF", "PNG", "WEBP", "HEIF"]
MIME = {
    "JPEG": "image/jpeg",
    "TIFF": "image/tiff",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "HEIF": "image/heic",
}


def rational(num: int, den: int = 1) -> IFDRational:
    return IFDRational(num, den)


def dms(degrees: int, minutes: int, seconds: float) -> tuple[IFDRational, ...]:
    return rational(degrees), rational(minutes), rational(round(seconds * 100), 100)


def camera_exif(**overrides: Any) -> Image.Exif:
    """A typical camera's EXIF; ``overrides`` maps tag names (Base or GPS) to values,
    ``None`` removing the tag."""
    exif = Image.Exif()
    exif[Base.Make] = "Canon"
    exif[Base.Model] = "Canon EOS R6"
    exif[Base.Orientation] = 3
    sub = exif.get_ifd(IFD.Exif)
    sub[Base.DateTimeOriginal] = "2023:05:06 07:08:09"
    sub[Base.OffsetTimeOriginal] = "+02:00"
    sub[Base.FNumber] = rational(28, 10)
    sub[Base.ExposureTime] = rational(1, 250)
    sub[Base.ISOSpeedRatings] = 400
    sub[Base.FocalLength] = rational(50)
    sub[Base.LensModel] = "RF50mm F1.8 STM"
    gps = exif.get_ifd(IFD.GPSInfo)
    gps[GPS.GPSLatitudeRef] = "N"
    gps[GPS.GPSLatitude] = dms(48, 51, 29.4)
    gps[GPS.GPSLongitudeRef] = "E"
    gps[GPS.GPSLongitude] = dms(2, 17, 40.2)
    gps[GPS.GPSAltitudeRef] = b"\x00"
    gps[GPS.GPSAltitude] = rational(35)
    for name, value in overrides.items():
        # Every tag above 0x8000 used here belongs in the Exif IFD, every one below in IFD0.
        tag, ifd = (
            (GPS[name], gps)
            if name.startswith("GPS")
            else (Base[name], sub if Base[name] > 0x8000 else exif)
        )
        if value is None:
            ifd.pop(tag, None)
        else:
            ifd[tag] = value
    return exif


CAMERA_FIELDS: dict[str, Any] = {
    "orientation": 3,
    "make": "Canon",
    "model": "Canon EOS R6",
    "lens": "RF50mm F1.8 STM",
    "taken_at": "2023-05-06T07:08:09+02:00",
    "iso": 400,
    "f_number": 2.8,
    "exposure_time": 0.004,
    "focal_length": 50.0,
    "location": {"lat": 48 + 51 / 60 + 29.4 / 3600, "lon": 2 + 17 / 60 + 40.2 / 3600},
    "altitude": 35.0,
}


def encode(
    fmt: str, exif: Image.Exif | bytes | None = None, size: tuple[int, int] = (64, 48)
) -> bytes:
    if fmt == "HEIF":
        register_heif()
    buffer = io.BytesIO()
    extra: dict[str, Any] = {}
    if exif is not None:
        # Bytes, not the Exif object: Pillow's TIFF writer keeps sub-IFDs only that way.
        extra["exif"] = exif if isinstance(exif, bytes) else exif.tobytes()
    Image.new("RGB", size, "teal").save(buffer, format=fmt, **extra)
    return buffer.getvalue()


def extract(data: bytes) -> dict[str, Any]:
    result = extract_metadata(io.BytesIO(data), len(data))
    assert_clean(result)
    return result


def assert_clean(result: dict[str, Any]) -> None:
    """What the index may receive: no None, no NaN or infinity, anywhere."""
    assert result["size_bytes"] >= 0
    for value in result.values():
        assert value is not None
        numbers = value.values() if isinstance(value, dict) else [value]
        for number in numbers:
            if isinstance(number, float):
                assert math.isfinite(number)


def assert_fields(result: dict[str, Any], expected: dict[str, Any]) -> None:
    for key, value in expected.items():
        if key == "location":
            assert result[key] == {k: pytest.approx(v, abs=1e-7) for k, v in value.items()}
        elif isinstance(value, float):
            assert result[key] == pytest.approx(value), key
        else:
            assert result[key] == value, key


# --- every format ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_reads_every_field_in_every_format(fmt: str) -> None:
    data = encode(fmt, camera_exif())

    result = extract(data)

    assert set(result) == {"size_bytes", "format", "mime_type", "width", "height", *CAMERA_FIELDS}
    assert result["size_bytes"] == len(data)
    assert result["format"] == fmt
    assert result["mime_type"] == MIME[fmt]
    assert (result["width"], result["height"]) == (64, 48)
    assert_fields(result, CAMERA_FIELDS)


@pytest.mark.parametrize("fmt", FORMATS)
def test_size_is_as_stored_and_orientation_turns_it_into_the_displayed_size(fmt: str) -> None:
    data = encode(fmt, camera_exif(Orientation=6))

    result = extract(data)

    with Image.open(io.BytesIO(data)) as im:
        displayed = ImageOps.exif_transpose(im).size
    assert result["orientation"] == 6
    assert (result["height"], result["width"]) == displayed


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "PNG", "JPEG"])
def test_image_without_exif_has_format_and_size_only(fmt: str) -> None:
    data = encode(fmt, size=(31, 17))

    assert extract(data) == {
        "size_bytes": len(data),
        "format": fmt,
        "mime_type": f"image/{fmt.lower()}",
        "width": 31,
        "height": 17,
    }


def test_multi_picture_jpeg_is_a_jpeg() -> None:
    # Phones write MPO (several JPEGs in one file); Pillow calls it "MPO", the upload "JPEG".
    buffer = io.BytesIO()
    second = Image.new("RGB", (64, 48), "navy")
    Image.new("RGB", (64, 48)).save(
        buffer, "MPO", save_all=True, append_images=[second], exif=camera_exif().tobytes()
    )

    result = extract(buffer.getvalue())

    assert (result["format"], result["mime_type"]) == ("JPEG", "image/jpeg")
    assert_fields(result, CAMERA_FIELDS)


@pytest.mark.parametrize("options", [{}, {"lossless": True}], ids=["VP8", "VP8L"])
def test_webp_size_from_each_kind_of_image_chunk(options: dict[str, Any]) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (37, 21)).save(buffer, "WEBP", **options)

    result = extract(buffer.getvalue())

    assert (result["width"], result["height"]) == (37, 21)


def test_png_exif_after_the_image_data_is_found() -> None:
    # Pillow writes eXIf before IDAT; other writers put it after, where Pillow would
    # only see it after decoding the pixels.
    plain = encode("PNG", size=(300, 200))
    iend = plain.rindex(b"IEND") - 4
    payload = camera_exif().tobytes().removeprefix(b"Exif\x00\x00")
    chunk = struct.pack(">I", len(payload)) + b"eXIf" + payload
    chunk += struct.pack(">I", zlib.crc32(b"eXIf" + payload))
    data = plain[:iend] + chunk + plain[iend:]

    result = extract(data)

    assert_fields(result, CAMERA_FIELDS)
    assert "metadata_error" not in result


# --- values cameras really write -----------------------------------------------------


def test_strings_lose_nul_padding_and_spaces() -> None:
    data = encode("JPEG", camera_exif(Make="  Canon\x00\x00  ", Model="ION230\x00F", LensModel=""))

    result = extract(data)

    assert (result["make"], result["model"]) == ("Canon", "ION230")
    assert "lens" not in result
    assert "metadata_error" not in result


def test_utf8_in_ascii_fields_is_decoded() -> None:
    lens = "Æ 35mm ƒ/2"
    exif = camera_exif()
    exif.get_ifd(IFD.Exif)[Base.LensModel] = lens.encode()  # raw bytes, as phones write them

    assert extract(encode("JPEG", exif))["lens"] == lens


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"SubsecTimeOriginal": "123"}, "2023-05-06T07:08:09.123+02:00"),
        ({"OffsetTimeOriginal": None}, "2023-05-06T07:08:09"),
        ({"OffsetTimeOriginal": "   :  "}, "2023-05-06T07:08:09"),
        ({"OffsetTimeOriginal": "-05:30"}, "2023-05-06T07:08:09-05:30"),
        (
            {"DateTimeOriginal": None, "DateTimeDigitized": "2020:01:02 03:04:05"},
            "2020-01-02T03:04:05",
        ),
        (
            {
                "DateTimeOriginal": None,
                "OffsetTimeOriginal": None,
                "DateTime": "2019:12:31 23:59:59",
            },
            "2019-12-31T23:59:59",
        ),
    ],
)
def test_capture_time(overrides: dict[str, Any], expected: str) -> None:
    assert extract(encode("JPEG", camera_exif(**overrides)))["taken_at"] == expected


@pytest.mark.parametrize("blank", ["0000:00:00 00:00:00", "    :  :     :  :  ", ""])
def test_unset_clock_is_omitted_without_complaint(blank: str) -> None:
    result = extract(encode("JPEG", camera_exif(DateTimeOriginal=blank)))

    assert "taken_at" not in result
    assert "metadata_error" not in result


@pytest.mark.parametrize("garbage", ["2023:13:45 99:00:00", "yesterday"])
def test_unreadable_date_is_omitted_and_noted(garbage: str) -> None:
    result = extract(encode("JPEG", camera_exif(DateTimeOriginal=garbage)))

    assert "taken_at" not in result
    assert "DateTimeOriginal" in result["metadata_error"]
    assert result["make"] == "Canon"


def test_southern_and_western_positions_and_altitude_below_sea_level() -> None:
    exif = camera_exif(
        GPSLatitudeRef="S", GPSLongitudeRef="W", GPSAltitudeRef=b"\x01", GPSAltitude=rational(25, 2)
    )

    result = extract(encode("JPEG", exif))

    assert result["location"] == {
        "lat": pytest.approx(-CAMERA_FIELDS["location"]["lat"], abs=1e-7),
        "lon": pytest.approx(-CAMERA_FIELDS["location"]["lon"], abs=1e-7),
    }
    assert result["altitude"] == -12.5


def test_position_zero_zero_is_dropped_with_its_altitude() -> None:
    zero = (rational(0), rational(0), rational(0))
    result = extract(encode("JPEG", camera_exif(GPSLatitude=zero, GPSLongitude=zero)))

    assert "location" not in result
    assert "altitude" not in result
    assert "metadata_error" not in result


def test_position_out_of_range_is_dropped_and_noted() -> None:
    result = extract(encode("JPEG", camera_exif(GPSLatitude=dms(91, 0, 0))))

    assert "location" not in result
    assert "out of range" in result["metadata_error"]


def test_zero_denominators_never_become_nan() -> None:
    broken = rational(0, 0)
    exif = camera_exif(
        FNumber=broken,
        ExposureTime=rational(1, 0),
        FocalLength=broken,
        GPSLatitude=(rational(48), broken, rational(0)),
    )

    result = extract(encode("JPEG", exif))

    assert not {"f_number", "exposure_time", "focal_length", "location", "altitude"} & set(result)
    assert result["iso"] == 400


@pytest.mark.parametrize(
    ("ratings", "iso_speed", "expected"),
    [
        ((200, 400), None, 200),  # several values: the first
        (0, None, None),
        (65535, 51200, 51200),  # "too high for this tag": the real value is in ISOSpeed
    ],
)
def test_iso(ratings: Any, iso_speed: int | None, expected: int | None) -> None:
    exif = camera_exif(ISOSpeedRatings=ratings, ISOSpeed=iso_speed)

    assert extract(encode("JPEG", exif)).get("iso") == expected


@pytest.mark.parametrize("value", [0, 9, 65535])
def test_invalid_orientation_is_omitted(value: int) -> None:
    assert "orientation" not in extract(encode("JPEG", camera_exif(Orientation=value)))


# --- broken input ------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [b"", b"garbage" * 100, b"\x00" * 4096, b"\x89PNG\r\n\x1a\n" + b"\x00" * 50],
    ids=["empty", "text", "zeros", "png-magic-only"],
)
def test_unreadable_input_gives_size_and_error_and_never_raises(data: bytes) -> None:
    result = extract(data)

    assert result["size_bytes"] == len(data)
    assert result["metadata_error"]
    assert not {"width", "height", "make"} & set(result)


def test_jpeg_cut_after_its_exif_keeps_the_exif() -> None:
    # Pillow cannot open it at all; exifread still reads the EXIF segment.
    data = encode("JPEG", camera_exif())
    cut = data[: data.index(b"\xff\xdb")]  # up to the first quantisation table

    result = extract(cut)

    assert result["format"] == "JPEG"
    assert "width" not in result
    assert (
        result["metadata_error"]
        == "JPEG header unreadable: UnidentifiedImageError: cannot identify image file"
    )
    assert_fields(result, CAMERA_FIELDS)


@pytest.mark.parametrize("keep", [0.3, 0.5, 0.7, 0.9])
def test_truncated_exif_block_gives_what_could_be_read(keep: float) -> None:
    raw = camera_exif().tobytes()
    data = encode("JPEG", raw[: int(len(raw) * keep)])

    result = extract(data)

    assert (result["width"], result["height"]) == (64, 48)
    assert result["metadata_error"]
    for key in result:
        if key in CAMERA_FIELDS:  # whatever was read is right, not garbage from past the end
            assert_fields(result, {key: CAMERA_FIELDS[key]})
        else:
            assert key in {"size_bytes", "format", "mime_type", "width", "height", "metadata_error"}


def test_a_bad_pointer_costs_only_its_own_tag() -> None:
    raw = bytearray(camera_exif().tobytes())
    lens = b"RF50mm F1.8 STM\x00"
    entry = raw.index(struct.pack(">HHL", Base.LensModel, 2, len(lens)))
    raw[entry + 8 : entry + 12] = struct.pack(">L", 0xFFFF0000)

    result = extract(encode("JPEG", bytes(raw)))

    assert "lens" not in result
    assert "0xA434" in result["metadata_error"]
    assert_fields(result, {k: v for k, v in CAMERA_FIELDS.items() if k != "lens"})


@pytest.mark.parametrize("fmt", FORMATS)
def test_damaged_headers_never_raise(fmt: str) -> None:
    original = encode(fmt, camera_exif())
    rng = random.Random(fmt)
    for _ in range(150):
        data = bytearray(original)
        for _ in range(rng.choice([1, 3, 10])):
            data[rng.randrange(min(len(data), 1500))] = rng.randrange(256)
        if rng.random() < 0.2:
            data = data[: rng.randrange(len(data))]

        result = extract(bytes(data))  # asserts a clean result

        assert result["size_bytes"] == len(data)


def test_exif_that_is_not_tiff_structured_is_noted() -> None:
    result = extract(encode("JPEG", b"Exif\x00\x00" + b"not a tiff header at all"))

    assert (result["width"], result["height"]) == (64, 48)
    assert "TIFF" in result["metadata_error"]


# --- the stream ----------------------------------------------------------------------


class FailingReads(RangeFile):
    """Serves the first ``good`` bytes of ``data``, then fails like a lost connection."""

    def __init__(self, data: bytes, good: int, error: type[Exception]) -> None:
        def read_range(start: int, stop: int) -> bytes:
            if stop > good:
                raise error()
            return data[start:stop]

        super().__init__(read_range, len(data), block_size=16)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("error", [ConnectionResetError, TimeoutError])
def test_failures_of_the_stream_propagate(fmt: str, error: type[Exception]) -> None:
    # pillow_heif, for one, turns any OSError into "not an image": it must still surface.
    data = encode(fmt, camera_exif())

    with pytest.raises(error):
        extract_metadata(FailingReads(data, 100, error), len(data))  # type: ignore[arg-type]


class Interrupt(Exception):
    """Stands for a worker's time limit, raised wherever the parser happens to be."""


def _interrupting(*args: object, **kwargs: object) -> NoReturn:
    raise Interrupt("time is up")


def test_interrupts_end_the_extraction(monkeypatch: pytest.MonkeyPatch) -> None:
    data = encode("JPEG", camera_exif())
    monkeypatch.setattr(tiff, "read_tags", _interrupting)

    with pytest.raises(Interrupt):
        extract_metadata(io.BytesIO(data), len(data), interrupts=(Interrupt,))


def test_other_exceptions_in_a_parser_become_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    data = encode("JPEG", camera_exif())
    monkeypatch.setattr(tiff, "read_tags", _interrupting)

    result = extract_metadata(io.BytesIO(data), len(data))

    assert "Interrupt: time is up" in result["metadata_error"]
    assert (result["width"], result["height"]) == (Image.open(io.BytesIO(data)).size)


def test_large_jpeg_through_range_reads_fetches_only_its_header() -> None:
    noise = Image.effect_noise((4000, 3000), 80).convert("RGB")
    buffer = io.BytesIO()
    noise.save(buffer, "JPEG", quality=95, exif=camera_exif().tobytes())
    data = buffer.getvalue()
    reader = RangeFile(lambda start, stop: data[start:stop], len(data))

    result = extract_metadata(reader, len(data))  # type: ignore[arg-type]

    assert result == extract(data)
    assert (result["width"], result["height"]) == (4000, 3000)
    assert_fields(result, CAMERA_FIELDS)
    assert len(data) > 5_000_000
    assert reader.bytes_fetched <= 64 * 1024
    assert reader.requests == 1


def test_late_png_exif_costs_one_tail_read_not_the_whole_file() -> None:
    noise = Image.effect_noise((1500, 1000), 80).convert("RGB")
    buffer = io.BytesIO()
    noise.save(buffer, "PNG")
    plain = buffer.getvalue()
    iend = plain.rindex(b"IEND") - 4
    payload = camera_exif().tobytes().removeprefix(b"Exif\x00\x00")
    chunk = struct.pack(">I", len(payload)) + b"eXIf" + payload
    chunk += struct.pack(">I", zlib.crc32(b"eXIf" + payload))
    data = plain[:iend] + chunk + plain[iend:]
    reader = RangeFile(lambda start, stop: data[start:stop], len(data))

    result = extract_metadata(reader, len(data))  # type: ignore[arg-type]

    assert result["make"] == "Canon"
    assert reader.bytes_fetched < len(data) / 4


# --- real camera files -----------------------------------------------------------------


def sample_files() -> list[Path]:
    found = SAMPLES.rglob("*") if SAMPLES.is_dir() else iter(())
    # With none found, one case stands for them all: `samples` skips it, or fails it
    # when the run requires the fixtures, instead of an empty set pytest would skip.
    return sorted(p for p in found if p.suffix.lower() in {".jpg", ".tiff"}) or [SAMPLES]


def sample_id(path: Path) -> str:
    return str(path.relative_to(SAMPLES)) if path != SAMPLES else "none-found"


@pytest.fixture
def samples() -> Path:
    return shared_fixture(SAMPLES, "*.jpg")


@pytest.mark.parametrize("path", sample_files(), ids=sample_id)
def test_every_sample_extracts(samples: Path, path: Path) -> None:
    data = path.read_bytes()

    result = extract(data)

    assert result["size_bytes"] == len(data)
    assert "metadata_error" not in result  # the "invalid" ones lack EXIF, none has a bad one
    assert result["format"] == ("TIFF" if path.suffix == ".tiff" else "JPEG")
    assert result["width"] > 0
    assert result["height"] > 0
    # Through range reads, as the worker reads them: the same answer.
    reader = RangeFile(lambda start, stop: data[start:stop], len(data), block_size=4096)
    assert extract_metadata(reader, len(data)) == result  # type: ignore[arg-type]


# Checked by hand against exifread's output for the same files.
KNOWN_SAMPLES: dict[str, dict[str, Any]] = {
    "jpg/Canon_40D.jpg": {
        "make": "Canon",
        "model": "Canon EOS 40D",
        "taken_at": "2008-05-30T15:56:01.00",
        "orientation": 1,
        "iso": 100,
        "f_number": 7.1,
        "exposure_time": 1 / 160,
        "focal_length": 135.0,
        "width": 100,
        "height": 68,
    },
    "jpg/Nikon_D70.jpg": {
        "make": "NIKON CORPORATION",
        "model": "NIKON D70",
        "taken_at": "2008-03-15T09:52:01",
        "iso": 200,
        "f_number": 9.0,
        "exposure_time": 1 / 200,
        "focal_length": 100.0,
    },
    "jpg/gps/DSCN0010.jpg": {
        "make": "NIKON",
        "model": "COOLPIX P6000",
        "taken_at": "2008-10-22T16:28:39",
        "location": {"lat": 43 + 28 / 60 + 2.814 / 3600, "lon": 11 + 53 / 60 + 6.456 / 3600},
    },
    # Padded make, and a model with a NUL and a stray byte after it.
    "jpg/WWL_(Polaroid)_ION230.jpg": {"make": "WWL", "model": "ION230", "f_number": 2.8},
    "jpg/Pentax_K10D.jpg": {"make": "PENTAX Corporation", "model": "PENTAX K10D"},
    # Stored 450x600 and shown turned a quarter: a landscape photo.
    "jpg/orientation/landscape_6.jpg": {"orientation": 6, "width": 450, "height": 600},
    # The South hemisphere, written as 0° 22.278'.
    "jpg/Kodak_CX7530.jpg": {"location": {"lat": -22.278 / 60, "lon": 36 + 3.385 / 60}},
}


@pytest.mark.parametrize("name", sorted(KNOWN_SAMPLES))
def test_known_sample_values(samples: Path, name: str) -> None:
    result = extract((samples / name).read_bytes())

    assert_fields(result, KNOWN_SAMPLES[name])
    assert "metadata_error" not in result


def test_samples_without_exif_give_size_and_xmp_orientation(samples: Path) -> None:
    # The "invalid" files carry no EXIF, only an XMP packet; once they sent parsers into
    # endless loops.
    invalid = sorted((samples / "jpg" / "invalid").glob("*.jpg"))
    assert invalid, f"no jpg/invalid/*.jpg in {samples}"
    for path in invalid:
        result = extract(path.read_bytes())

        assert not {"make", "model", "taken_at", "metadata_error"} & set(result), path.name
        assert result["width"] > 0
        assert result.get("orientation", 1) == 1
