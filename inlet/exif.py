"""Inlet's metadata fields from decoded EXIF tags, whichever parser decoded them.

Pillow and exifread both end up here as three plain mappings from tag number to value
(IFD0, the Exif IFD and the GPS IFD). Cameras write a lot of junk; a field is only
returned when it means something, so the index never holds an empty make, a
``0000:00:00`` date, a NaN f-number or a fix at 0°N 0°E.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

from PIL.ExifTags import GPS, Base

# The tags each IFD is read for: parsers only decode these, so one broken tag elsewhere
# costs nothing.
IFD0_TAGS = (Base.Make, Base.Model, Base.Orientation, Base.DateTime)
EXIF_TAGS = (
    Base.DateTimeOriginal,
    Base.DateTimeDigitized,
    Base.SubsecTime,
    Base.SubsecTimeOriginal,
    Base.SubsecTimeDigitized,
    Base.OffsetTime,
    Base.OffsetTimeOriginal,
    Base.OffsetTimeDigitized,
    Base.LensModel,
    Base.ISOSpeedRatings,
    Base.ISOSpeed,
    Base.FNumber,
    Base.ExposureTime,
    Base.FocalLength,
)
GPS_TAGS = (
    GPS.GPSLatitudeRef,
    GPS.GPSLatitude,
    GPS.GPSLongitudeRef,
    GPS.GPSLongitude,
    GPS.GPSAltitudeRef,
    GPS.GPSAltitude,
)

# (date, sub-second, UTC offset) in the order the capture time is looked for. The date
# of the last one lives in IFD0, all the others in the Exif IFD.
_DATE_TAGS = (
    (Base.DateTimeOriginal, Base.SubsecTimeOriginal, Base.OffsetTimeOriginal),
    (Base.DateTimeDigitized, Base.SubsecTimeDigitized, Base.OffsetTimeDigitized),
    (Base.DateTime, Base.SubsecTime, Base.OffsetTime),
)
_DATE_RE = re.compile(r"(\d{4})[:-](\d\d)[:-](\d\d)[ T](\d\d):(\d\d):(\d\d)")
_SUBSEC_RE = re.compile(r"\d{1,9}")
_OFFSET_RE = re.compile(r"[+-](\d\d):(\d\d)")
# Placeholders cameras write when the clock was never set.
_BLANK_DATE_CHARS = "0: -T"
_COORD_DECIMALS = 7  # about a centimetre; more digits are float noise


class Tags(NamedTuple):
    ifd0: Mapping[int, Any]
    exif: Mapping[int, Any]
    gps: Mapping[int, Any]


def fields(tags: Tags, notes: list[str]) -> dict[str, Any]:
    """The metadata fields that ``tags`` hold; problems worth reporting go to ``notes``."""
    ifd0, exif, gps = tags
    out: dict[str, Any] = {
        "orientation": orientation(ifd0.get(Base.Orientation)),
        "make": text(ifd0.get(Base.Make), "Make", notes),
        "model": text(ifd0.get(Base.Model), "Model", notes),
        "lens": text(exif.get(Base.LensModel), "LensModel", notes),
        "taken_at": taken_at(tags, notes),
        "iso": iso(exif),
        "f_number": positive(exif.get(Base.FNumber)),
        "exposure_time": positive(exif.get(Base.ExposureTime)),
        "focal_length": positive(exif.get(Base.FocalLength)),
    }
    where = location(gps, notes)
    if where is not None:
        out["location"] = where
        # A height without a usable position is as doubtful as the position was.
        out["altitude"] = altitude(gps)
    return {key: value for key, value in out.items() if value is not None}


def text(value: Any, name: str = "", notes: list[str] | None = None) -> str | None:
    """A trimmed string: ASCII fields end at their first NUL and are often space-padded."""
    if isinstance(value, (tuple, list)) and all(isinstance(v, int) for v in value):
        value = bytes(v & 0xFF for v in value)  # written as BYTE instead of ASCII
    if isinstance(value, bytes):
        value = _decode(value)
    elif isinstance(value, str):
        value = _redecode(value)
    else:
        return None
    for part in value.split("\x00"):
        part = part.strip()  # noqa: PLW2901 - the trimmed part is the value
        if part:
            if not part.isprintable() or "\ufffd" in part:
                if notes is not None:
                    notes.append(f"unreadable {name or 'text'} {part[:32]!r}")
                return None
            return part
    return None


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _redecode(value: str) -> str:
    # Pillow decodes ASCII fields as Latin-1, but phones write UTF-8 there.
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def number(value: Any) -> float | None:
    """A finite float from an int, float or rational; ``None`` for x/0 and anything else."""
    if isinstance(value, (tuple, list)):
        value = value[0] if value else None
    if value is None or isinstance(value, (str, bytes, bool)):
        return None
    if getattr(value, "denominator", 1) == 0:
        return None  # Pillow makes x/0 a NaN, exifread makes it raise
    try:
        result = float(value)
    except (TypeError, ValueError, OverflowError, ZeroDivisionError):
        return None
    return result if math.isfinite(result) else None


def positive(value: Any) -> float | None:
    result = number(value)
    # Zero is how cameras say "unknown" (a manual lens has no f-number).
    return result if result is not None and result > 0 else None


def integer(value: Any) -> int | None:
    result = number(value)
    return round(result) if result is not None else None


def orientation(value: Any) -> int | None:
    result = integer(value)
    return result if result is not None and 1 <= result <= 8 else None


def iso(exif: Mapping[int, Any]) -> int | None:
    result = integer(exif.get(Base.ISOSpeedRatings))
    if result is None or result <= 0 or result == 0xFFFF:
        # 65535 means "too high for this tag"; EXIF 2.3 puts the real value in ISOSpeed.
        result = integer(exif.get(Base.ISOSpeed)) or result
    return result if result is not None and result > 0 else None


def taken_at(tags: Tags, notes: list[str]) -> str | None:
    """ISO 8601 capture time: the first readable of DateTimeOriginal, -Digitized, DateTime."""
    for date_tag, subsec_tag, offset_tag in _DATE_TAGS:
        ifd = tags.ifd0 if date_tag == Base.DateTime else tags.exif
        raw = text(ifd.get(date_tag), date_tag.name, notes)
        if not raw or not raw.strip(_BLANK_DATE_CHARS):
            continue  # a clock that was never set is no damage
        stamp = _iso_datetime(raw)
        if stamp is None:
            notes.append(f"unreadable {date_tag.name} {raw[:32]!r}")
            continue
        subsec = text(tags.exif.get(subsec_tag))
        if subsec and _SUBSEC_RE.fullmatch(subsec):
            stamp += f".{subsec}"
        return stamp + _utc_offset(text(tags.exif.get(offset_tag)))
    return None


def _iso_datetime(raw: str) -> str | None:
    match = _DATE_RE.fullmatch(raw)
    if match is None:
        return None
    try:
        # Naive on purpose: EXIF times are local, the offset (if any) comes separately.
        moment = datetime(*(int(part) for part in match.groups()))
    except ValueError:
        return None
    return moment.isoformat()


def _utc_offset(raw: str | None) -> str:
    match = _OFFSET_RE.fullmatch(raw or "")
    if match is None:
        return ""
    # Real offsets run from -12:00 to +14:00; anything else is garbage, not a zone.
    return match[0] if int(match[1]) <= 14 and int(match[2]) < 60 else ""


def location(gps: Mapping[int, Any], notes: list[str]) -> dict[str, float] | None:
    lat = _coordinate(gps.get(GPS.GPSLatitude), gps.get(GPS.GPSLatitudeRef), "N", "S")
    lon = _coordinate(gps.get(GPS.GPSLongitude), gps.get(GPS.GPSLongitudeRef), "E", "W")
    if lat is None or lon is None:
        return None
    if abs(lat) > 90 or abs(lon) > 180:
        notes.append(f"GPS position out of range ({lat:.6g}, {lon:.6g})")
        return None
    if lat == 0 and lon == 0:
        return None  # what receivers without a fix write
    return {"lat": round(lat, _COORD_DECIMALS), "lon": round(lon, _COORD_DECIMALS)}


def _coordinate(value: Any, ref: Any, plus: str, minus: str) -> float | None:
    parts = value if isinstance(value, (tuple, list)) else (value,)
    if not 1 <= len(parts) <= 3:
        return None
    numbers = [number(part) for part in parts]
    if any(n is None for n in numbers):
        return None
    degrees = sum(n / 60**i for i, n in enumerate(numbers) if n is not None)
    hemisphere = (text(ref) or "")[:1].upper()
    if hemisphere == minus:
        return -abs(degrees)
    return abs(degrees) if hemisphere == plus else degrees


def altitude(gps: Mapping[int, Any]) -> float | None:
    metres = number(gps.get(GPS.GPSAltitude))
    if metres is None:
        return None
    ref = gps.get(GPS.GPSAltitudeRef)
    if isinstance(ref, bytes):  # Pillow hands BYTE tags over as bytes
        ref = ref[0] if ref else None
    return -abs(metres) if integer(ref) == 1 else metres
