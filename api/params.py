"""Query parameters of the API, validated into what the search layer takes.

Every error is :class:`InvalidParameter` naming the offending parameter, which the
resources turn into a 400 problem. Cursors are opaque to clients: base64url JSON of
the last hit's sort values, decoded back into ``search_after`` values here.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import zoneinfo
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any

from search.queries import (
    DEFAULT_RADIUS_KM,
    IMAGE_SORT,
    MAX_PAGE_SIZE,
    MAX_RADIUS_KM,
    MAX_TERM_LENGTH,
    ImageFilters,
)

# The filters of `GET /v1/images`, by parameter name:
# each names the ImageFilters field it fills.
TERM_PARAMS = ("make", "model", "format")
DATE_PARAMS = ("taken_from", "taken_to", "uploaded_from", "uploaded_to")
FILTER_PARAMS = (*TERM_PARAMS, *DATE_PARAMS, "near", "radius_km")
# Paging: `limit` items a page (this many unless given), `cursor` from the page before.
PAGE_PARAMS = ("limit", "cursor")
DEFAULT_PAGE_SIZE = 50
MAX_CURSOR_LENGTH = 1024
MAX_TZ_LENGTH = 64
# Names in Python's zone database that are not canonical IANA zones, or that the
# search server (Java's zone rules) does not know.
_NOT_ZONES = {"Factory", "localtime", "posixrules", "leap-seconds.list", "leapseconds"}


class InvalidParameter(ValueError):
    """A query parameter that cannot be used; ``param`` names it for the 400 answer."""

    def __init__(self, param: str, detail: str):
        super().__init__(f"{param}: {detail}")
        self.param = param
        self.detail = detail


class InvalidCursor(InvalidParameter):
    def __init__(self, detail: str = "not a cursor from a previous page"):
        super().__init__("cursor", detail)


def parse_image_filters(params: Mapping[str, Any], *, extra: Collection[str] = ()) -> ImageFilters:
    """Validate query parameters into :class:`ImageFilters`.

    ``extra`` names parameters the caller handles itself (``limit``, ``cursor``); any
    other unknown parameter is an error, so a typo does not silently widen a search.

    Dates are ISO 8601. A bare date means a whole UTC day: ``taken_to=2024-05-01``
    includes all of 1 May. A time without an offset is UTC. ``near`` is ``lat,lon``;
    ``radius_km`` defaults to :data:`DEFAULT_RADIUS_KM` when ``near`` is given.
    """
    for name in params:
        if name not in FILTER_PARAMS and name not in extra:
            raise InvalidParameter(name, "unknown parameter")
    values: dict[str, Any] = {}
    for name in FILTER_PARAMS:
        if name in params:
            values[name] = _single(name, params[name])

    terms = {name: _term(name, values[name]) for name in TERM_PARAMS if name in values}
    dates = {
        name: _instant(name, values[name], end=name.endswith("_to"))
        for name in DATE_PARAMS
        if name in values
    }
    for field in ("taken", "uploaded"):
        start, end = dates.get(f"{field}_from"), dates.get(f"{field}_to")
        if start is not None and end is not None and end < start:
            raise InvalidParameter(f"{field}_to", f"must not be before {field}_from")

    near = _lat_lon("near", values["near"]) if "near" in values else None
    radius = _radius("radius_km", values["radius_km"]) if "radius_km" in values else None
    if radius is not None and near is None:
        raise InvalidParameter("radius_km", "needs near=lat,lon")
    if near is not None and radius is None:
        radius = DEFAULT_RADIUS_KM

    return ImageFilters(
        make=terms.get("make"),
        model=terms.get("model"),
        format=terms.get("format"),
        taken_from=dates.get("taken_from"),
        taken_to=dates.get("taken_to"),
        uploaded_from=dates.get("uploaded_from"),
        uploaded_to=dates.get("uploaded_to"),
        near=near,
        radius_km=radius,
    )


def parse_page_size(
    value: str | None,
    *,
    param: str = "limit",
    default: int = DEFAULT_PAGE_SIZE,
    maximum: int = MAX_PAGE_SIZE,
) -> int:
    if value is None:
        return default
    try:
        size = int(value)
    except ValueError:
        raise InvalidParameter(param, f"not an integer: {value!r}") from None
    if not 1 <= size <= maximum:
        raise InvalidParameter(param, f"must be between 1 and {maximum}")
    return size


def encode_cursor(sort_values: Sequence[Any]) -> str:
    """An opaque, URL-safe cursor for ``search_after`` from a hit's sort values."""
    raw = json.dumps(list(sort_values), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str) -> list[Any]:
    """The sort values in ``cursor``; :class:`InvalidCursor` unless it is one of ours."""
    if not cursor or len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidCursor()
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.b64decode(padded, altchars=b"-_", validate=True)
        values = json.loads(raw)
    except (binascii.Error, ValueError):
        raise InvalidCursor() from None
    # Exactly the shape IMAGE_SORT produces: [epoch millis, image id].
    if not (
        isinstance(values, list)
        and len(values) == len(IMAGE_SORT)
        and isinstance(values[0], int)
        and not isinstance(values[0], bool)
        and isinstance(values[1], str)
    ):
        raise InvalidCursor()
    return values


def encode_position(position: str) -> str:
    """An opaque cursor for a listing position that is a plain string."""
    return base64.urlsafe_b64encode(position.encode()).rstrip(b"=").decode("ascii")


def decode_position(cursor: str, valid: Callable[[str], bool]) -> str:
    """The position in ``cursor`` if ``valid`` accepts it; :class:`InvalidCursor` if not."""
    if not cursor or len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidCursor()
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        position = base64.b64decode(padded, altchars=b"-_", validate=True).decode()
    except ValueError:  # not base64 (binascii.Error), not ASCII, not UTF-8 underneath
        raise InvalidCursor() from None
    if not valid(position):
        raise InvalidCursor()
    return position


def parse_timezone(value: str, *, param: str = "tz") -> str:
    """A canonical IANA zone name (``Europe/Berlin``) that both Python and the server know.

    Checked against the list of zones, never by opening a file named by the client.
    """
    if len(value) > MAX_TZ_LENGTH or value not in known_zones():
        shown = value if len(value) <= MAX_TZ_LENGTH else value[:MAX_TZ_LENGTH] + "…"
        raise InvalidParameter(param, f"unknown time zone {shown!r}; use an IANA name")
    return value


@cache
def known_zones() -> frozenset[str]:
    zones = zoneinfo.available_timezones()
    return frozenset(
        name
        for name in zones
        if name not in _NOT_ZONES and not name.startswith(("posix/", "right/", "Etc/Unknown"))
    )


# --- parameter parsing ------------------------------------------------------------


def _single(name: str, value: Any) -> str:
    if isinstance(value, list | tuple):
        raise InvalidParameter(name, "given more than once")
    if not isinstance(value, str):
        raise InvalidParameter(name, "must be a string")
    return value


def _term(name: str, value: str) -> str:
    if not value:
        raise InvalidParameter(name, "must not be empty")
    if len(value) > MAX_TERM_LENGTH:
        raise InvalidParameter(name, f"longer than {MAX_TERM_LENGTH} characters")
    return value


def _instant(name: str, value: str, *, end: bool) -> datetime:
    """An aware UTC datetime; a bare date is the start, or with ``end`` the last
    millisecond, of that UTC day."""
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime.combine(day, time.min, tzinfo=UTC)
            return moment + timedelta(days=1, milliseconds=-1) if end else moment
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidParameter(name, f"not an ISO 8601 date or time: {value!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _number(name: str, text: str, what: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise InvalidParameter(name, f"{what} is not a number: {text!r}") from None
    if not math.isfinite(number):
        raise InvalidParameter(name, f"{what} must be finite")
    return number


def _lat_lon(name: str, value: str) -> tuple[float, float]:
    parts = value.split(",")
    if len(parts) != 2:
        raise InvalidParameter(name, "expected lat,lon")
    lat = _number(name, parts[0].strip(), "latitude")
    lon = _number(name, parts[1].strip(), "longitude")
    if not -90 <= lat <= 90:
        raise InvalidParameter(name, "latitude must be between -90 and 90")
    if not -180 <= lon <= 180:
        raise InvalidParameter(name, "longitude must be between -180 and 180")
    return lat, lon


def _radius(name: str, value: str) -> float:
    radius = _number(name, value.strip(), "radius")
    if not 0 < radius <= MAX_RADIUS_KM:
        raise InvalidParameter(name, f"must be greater than 0 and at most {MAX_RADIUS_KM:g}")
    return radius
