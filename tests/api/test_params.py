"""Query parameters validated into search inputs, without a server."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import pytest

from api.params import (
    PAGE_PARAMS,
    InvalidCursor,
    InvalidParameter,
    decode_cursor,
    decode_position,
    encode_cursor,
    parse_image_filters,
    parse_page_size,
    parse_timezone,
)
from search.queries import DEFAULT_RADIUS_KM, MAX_PAGE_SIZE, ImageFilters

# --- filters ---------------------------------------------------------------------


def test_no_filters_match_everything() -> None:
    assert parse_image_filters({}) == ImageFilters()


def test_all_filters() -> None:
    filters = parse_image_filters(
        {
            "make": "Canon",
            "model": "EOS R5",
            "format": "jpeg",
            "taken_from": "2024-01-01",
            "taken_to": "2024-01-31",
            "uploaded_from": "2024-02-01T10:00:00+02:00",
            "uploaded_to": "2024-02-02T10:00:00",
            "near": " 52.52, 13.405 ",
            "radius_km": "2.5",
            "limit": "5",
        },
        extra=PAGE_PARAMS,
    )
    assert filters == ImageFilters(
        make="Canon",
        model="EOS R5",
        format="jpeg",
        taken_from=datetime(2024, 1, 1, tzinfo=UTC),
        # A bare end date includes its whole (UTC) day.
        taken_to=datetime(2024, 1, 31, 23, 59, 59, 999000, tzinfo=UTC),
        # An offset is turned into UTC; a time without one is UTC.
        uploaded_from=datetime(2024, 2, 1, 8, tzinfo=UTC),
        uploaded_to=datetime(2024, 2, 2, 10, tzinfo=UTC),
        near=(52.52, 13.405),
        radius_km=2.5,
    )


def test_near_without_radius_uses_the_default() -> None:
    filters = parse_image_filters({"near": "0,0"})
    assert filters.radius_km == DEFAULT_RADIUS_KM


@pytest.mark.parametrize(
    ("params", "param", "detail"),
    [
        ({"colour": "red"}, "colour", "unknown parameter"),
        ({"limit": "5"}, "limit", "unknown parameter"),
        ({"make": ""}, "make", "must not be empty"),
        ({"model": "x" * 300}, "model", "longer than"),
        ({"format": ["jpeg", "png"]}, "format", "more than once"),
        ({"taken_from": "yesterday"}, "taken_from", "ISO 8601"),
        ({"taken_to": "2024-02-30"}, "taken_to", "ISO 8601"),
        ({"uploaded_from": "2024-13-01T00:00:00Z"}, "uploaded_from", "ISO 8601"),
        (
            {"uploaded_from": "2024-02-02", "uploaded_to": "2024-02-01"},
            "uploaded_to",
            "before uploaded_from",
        ),
        ({"taken_from": "2024-02-02T00:00:00Z", "taken_to": "2024-02-01"}, "taken_to", "before"),
        ({"near": "52.5"}, "near", "lat,lon"),
        ({"near": "52.5,13.4,1"}, "near", "lat,lon"),
        ({"near": "north,13.4"}, "near", "latitude is not a number"),
        ({"near": "91,0"}, "near", "latitude must be between"),
        ({"near": "-90.5,0"}, "near", "latitude must be between"),
        ({"near": "0,180.1"}, "near", "longitude must be between"),
        ({"near": "nan,0"}, "near", "finite"),
        ({"radius_km": "5"}, "radius_km", "needs near"),
        ({"near": "0,0", "radius_km": "-1"}, "radius_km", "greater than 0"),
        ({"near": "0,0", "radius_km": "0"}, "radius_km", "greater than 0"),
        ({"near": "0,0", "radius_km": "30000"}, "radius_km", "at most"),
        ({"near": "0,0", "radius_km": "inf"}, "radius_km", "finite"),
        ({"near": "0,0", "radius_km": "far"}, "radius_km", "not a number"),
    ],
)
def test_invalid_filters_name_the_parameter(
    params: dict[str, Any], param: str, detail: str
) -> None:
    with pytest.raises(InvalidParameter, match=detail) as caught:
        parse_image_filters(params)
    assert caught.value.param == param
    assert str(caught.value).startswith(f"{param}: ")
    assert isinstance(caught.value, ValueError)


def test_equal_bounds_are_fine() -> None:
    filters = parse_image_filters({"taken_from": "2024-01-01", "taken_to": "2024-01-01"})
    assert filters.taken_from is not None
    assert filters.taken_to is not None
    assert filters.taken_to > filters.taken_from


@pytest.mark.parametrize(
    ("value", "expected"), [(None, 50), ("1", 1), (str(MAX_PAGE_SIZE), MAX_PAGE_SIZE)]
)
def test_page_size(value: str | None, expected: int) -> None:
    assert parse_page_size(value) == expected


@pytest.mark.parametrize("value", ["", "0", "-1", "101", "ten", "1.5"])
def test_bad_page_size(value: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        parse_page_size(value)
    assert caught.value.param == "limit"


# --- cursors ---------------------------------------------------------------------


def test_cursor_round_trip() -> None:
    values = [1714564800000, "ab" * 32]
    cursor = encode_cursor(values)
    assert "=" not in cursor
    assert cursor.isascii()
    assert decode_cursor(cursor) == values


def test_negative_sort_values_round_trip() -> None:
    # A document without uploaded_at sorts with the smallest long.
    values = [-9223372036854775808, "x"]
    assert decode_cursor(encode_cursor(values)) == values


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "!!!",
        "not base64 at all",
        _b64(b"not json"),
        _b64(b'{"a": 1}'),
        _b64(b"[1]"),
        _b64(b'[1, "a", 2]'),
        _b64(b'["1", "a"]'),
        _b64(b'[true, "a"]'),
        _b64(b"[1, 2]"),
        _b64(b"[1.5, 2]"),
        "A" * 2000,
        "\U0009c69d\u00ad\U0010c4b7X ",  # not ASCII: found by schemathesis on /v1/links
    ],
)
def test_garbage_cursors(cursor: str) -> None:
    with pytest.raises(InvalidCursor) as caught:
        decode_cursor(cursor)
    assert caught.value.param == "cursor"
    assert isinstance(caught.value, ValueError)
    with pytest.raises(InvalidCursor):
        decode_position(cursor, lambda position: position.isdigit())


# --- time zones


def test_timezones() -> None:
    assert parse_timezone("Europe/Berlin") == "Europe/Berlin"
    for bad in (
        "Mars/Olympus",
        "",
        "../etc/passwd",
        "+01:00",
        # In Python's zone database, unknown to the search server.
        "Factory",
        "posixrules",
        "localtime",
        "posix/Europe/Paris",
        "right/UTC",
        "A" * 256,
    ):
        with pytest.raises(InvalidParameter) as caught:
            parse_timezone(bad)
        assert caught.value.param == "tz"
