"""EXIF: the tags Inlet indexes, and the fields made from them.

:func:`inlet.tiff.read_tags` reads these tags; :func:`fields` turns tags (from that
reader or from exifread) into index fields. Cameras write a lot of junk; a field is
only returned when it means something, so the index never holds an empty make, a
``0000:00:00`` date, a NaN f-number or a fix at 0°N 0°E.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

# Tag numbers (TIFF 6.0, EXIF 2.32).
MAKE, MODEL, ORIENTATION, DATETIME = 0x010F, 0x0110, 0x0112, 0x0132
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
EXPOSURE_TIME, F_NUMBER, ISO_SPEED_RATINGS, ISO_SPEED = 0x829A, 0x829D, 0x8827, 0x8833
DATETIME_ORIGINAL, DATETIME_DIGITIZED = 0x9003, 0x9004
OFFSET_TIME, OFFSET_TIME_ORIGINAL, OFFSET_TIME_DIGITIZED = 0x9010, 0x9011, 0x9012
SUBSEC_TIME, SUBSEC_TIME_ORIGINAL, SUBSEC_TIME_DIGITIZED = 0x9290, 0x9291, 0x9292
FOCAL_LENGTH, LENS_MODEL = 0x920A, 0xA434
GPS_LAT_REF, GPS_LAT, GPS_LON_REF, GPS_LON, GPS_ALT_REF, GPS_ALT = 1, 2, 3, 4, 5, 6

IFD0_TAGS = frozenset({MAKE, MODEL, ORIENTATION, DATETIME, EXIF_IFD, GPS_IFD})
EXIF_TAGS = frozenset(
    {
        *(DATETIME_ORIGINAL, DATETIME_DIGITIZED, LENS_MODEL, FOCAL_LENGTH),
        *(SUBSEC_TIME, SUBSEC_TIME_ORIGINAL, SUBSEC_TIME_DIGITIZED),
        *(OFFSET_TIME, OFFSET_TIME_ORIGINAL, OFFSET_TIME_DIGITIZED),
        *(ISO_SPEED_RATINGS, ISO_SPEED, F_NUMBER, EXPOSURE_TIME),
    }
)
GPS_TAGS = frozenset({GPS_LAT_REF, GPS_LAT, GPS_LON_REF, GPS_LON, GPS_ALT_REF, GPS_ALT})

# (name, date, sub-second, UTC offset), in the order the capture time is looked for.
# The last date lives in IFD0, everything else in the Exif IFD.
_DATE_TAGS = (
    ("DateTimeOriginal", DATETIME_ORIGINAL, SUBSEC_TIME_ORIGINAL, OFFSET_TIME_ORIGINAL),
    ("DateTimeDigitized", DATETIME_DIGITIZED, SUBSEC_TIME_DIGITIZED, OFFSET_TIME_DIGITIZED),
    ("DateTime", DATETIME, SUBSEC_TIME, OFFSET_TIME),
)
_DATE_RE = re.compile(r"(\d{4})[:-](\d\d)[:-](\d\d)[ T](\d\d):(\d\d):(\d\d)")
_SUBSEC_RE = re.compile(r"\d{1,9}")
_OFFSET_RE = re.compile(r"[+-](\d\d):(\d\d)")
_BLANK_DATE_CHARS = "0: -T"  # what cameras whose clock was never set write
_COORD_DECIMALS = 7  # about a centimetre; more digits are float noise


class Tags(NamedTuple):
    ifd0: Mapping[int, Any]
    exif: Mapping[int, Any]
    gps: Mapping[int, Any]


# --- fields --------------------------------------------------------------------------


def fields(tags: Tags, notes: list[str]) -> dict[str, Any]:
    """The index fields that ``tags`` hold; problems worth reporting go to ``notes``."""
    ifd0, exif_ifd, gps = tags
    out: dict[str, Any] = {
        "orientation": orientation(ifd0.get(ORIENTATION)),
        "make": text(ifd0.get(MAKE), "Make", notes),
        "model": text(ifd0.get(MODEL), "Model", notes),
        "lens": text(exif_ifd.get(LENS_MODEL), "LensModel", notes),
        "taken_at": taken_at(tags, notes),
        "iso": iso(exif_ifd),
        "f_number": positive(exif_ifd.get(F_NUMBER)),
        "exposure_time": positive(exif_ifd.get(EXPOSURE_TIME)),
        "focal_length": positive(exif_ifd.get(FOCAL_LENGTH)),
    }
    if gps:
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
        try:
            decoded = value.decode("utf-8")  # phones write UTF-8 into "ASCII" fields
        except UnicodeDecodeError:
            decoded = value.decode("latin-1")
    elif isinstance(value, str):
        decoded = value
    else:
        return None
    for part in decoded.split("\x00"):
        stripped = part.strip()
        if stripped:
            if not stripped.isprintable():
                if notes is not None:
                    notes.append(f"unreadable {name or 'text'} {stripped[:32]!r}")
                return None
            return stripped
    return None


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


def iso(exif_ifd: Mapping[int, Any]) -> int | None:
    result = integer(exif_ifd.get(ISO_SPEED_RATINGS))
    if result is None or result <= 0 or result == 0xFFFF:
        # 65535 means "too high for this tag"; EXIF 2.3 puts the real value in ISOSpeed.
        result = integer(exif_ifd.get(ISO_SPEED)) or result
    return result if result is not None and result > 0 else None


def taken_at(tags: Tags, notes: list[str]) -> str | None:
    """ISO 8601 capture time: the first readable of DateTimeOriginal, -Digitized, DateTime."""
    for name, date_tag, subsec_tag, offset_tag in _DATE_TAGS:
        ifd = tags.ifd0 if date_tag == DATETIME else tags.exif
        raw = text(ifd.get(date_tag), name, notes)
        if not raw or not raw.strip(_BLANK_DATE_CHARS):
            continue  # a clock that was never set is no damage
        stamp = _iso_datetime(raw)
        if stamp is None:
            notes.append(f"unreadable {name} {raw[:32]!r}")
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
        year, month, day, hour, minute, second = (int(part) for part in match.groups())
        moment = datetime(year, month, day, hour, minute, second)
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
    lat = _coordinate(gps.get(GPS_LAT), gps.get(GPS_LAT_REF), "N", "S")
    lon = _coordinate(gps.get(GPS_LON), gps.get(GPS_LON_REF), "E", "W")
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
    degrees = 0.0
    for part, scale in zip(parts, (1.0, 60.0, 3600.0), strict=False):
        part_value = number(part)
        if part_value is None:
            return None
        degrees += part_value / scale
    hemisphere = (text(ref) or "")[:1].upper()
    if hemisphere == minus:
        return -abs(degrees)
    return abs(degrees) if hemisphere == plus else degrees


def altitude(gps: Mapping[int, Any]) -> float | None:
    metres = number(gps.get(GPS_ALT))
    if metres is None:
        return None
    ref = gps.get(GPS_ALT_REF)
    if isinstance(ref, bytes):  # exifread hands some BYTE tags over as bytes
        ref = ref[0] if ref else None
    return -abs(metres) if integer(ref) == 1 else metres
