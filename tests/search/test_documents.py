"""Document builders: known fields only, JSON-safe values, no server needed."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta, timezone

import pytest

from search.documents import (
    IMAGE_METADATA_FIELDS,
    image_document,
    isoformat_utc,
    upload_document,
)
from search.mappings import IMAGE_PROPERTIES, UPLOAD_PROPERTIES

IMAGE_ID = "ab" * 32


def test_metadata_fields_are_the_mapping_minus_the_ones_set_here() -> None:
    assert {"id", "uploaded_at"} | IMAGE_METADATA_FIELDS == set(IMAGE_PROPERTIES)
    assert "id" not in IMAGE_METADATA_FIELDS


def test_image_document_keeps_known_fields_and_drops_unknown_and_none() -> None:
    metadata = {
        "format": "jpeg",
        "mime_type": "image/jpeg",
        "width": 4000,
        "height": 3000,
        "make": "Canon",
        "model": "EOS R5",
        "lens": None,
        "f_number": 2.8,
        "taken_at": "2024-04-30T10:00:00",
        "GPSInfo": {"raw": 1},
        "thumbnail": b"\xff\xd8",
    }
    doc = image_document(IMAGE_ID, metadata, "2024-05-01T11:00:00Z")
    assert doc == {
        "id": IMAGE_ID,
        "format": "jpeg",
        "mime_type": "image/jpeg",
        "width": 4000,
        "height": 3000,
        "make": "Canon",
        "model": "EOS R5",
        "f_number": 2.8,
        "taken_at": "2024-04-30T10:00:00",
        "uploaded_at": "2024-05-01T11:00:00Z",
    }
    assert set(doc) <= set(IMAGE_PROPERTIES)


def test_image_document_never_contains_values_json_cannot_carry() -> None:
    metadata = {"exposure_time": math.nan, "focal_length": math.inf, "iso": 100, "lens": b"x"}
    doc = image_document(IMAGE_ID, metadata, "2024-05-01T11:00:00Z")
    assert "exposure_time" not in doc
    assert "focal_length" not in doc
    assert "lens" not in doc
    assert doc["iso"] == 100
    json.dumps(doc, allow_nan=False)


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ({"lat": 52.5, "lon": 13.4}, {"lat": 52.5, "lon": 13.4}),
        # A pair is (lat, lon); stored as an object because the server reads a bare
        # array as [lon, lat].
        ((52.5, 13.4), {"lat": 52.5, "lon": 13.4}),
        ([-33, 151], {"lat": -33.0, "lon": 151.0}),
        ({"lat": 91, "lon": 0}, None),
        ((0, 181), None),
        ((math.nan, 0), None),
        ((True, 0), None),
        ("52.5,13.4", None),
        ((1, 2, 3), None),
        ({"lat": "x", "lon": 1}, None),
    ],
)
def test_image_document_location(location: object, expected: dict[str, float] | None) -> None:
    doc = image_document(IMAGE_ID, {"location": location}, "2024-05-01T11:00:00Z")
    assert doc.get("location") == expected


def test_datetimes_become_iso_strings() -> None:
    cest = timezone(timedelta(hours=2))
    doc = image_document(
        IMAGE_ID,
        {"taken_at": datetime(2024, 4, 30, 10, 0, tzinfo=cest)},
        datetime(2024, 5, 1, 13, 0, tzinfo=cest),
    )
    assert doc["taken_at"] == "2024-04-30T08:00:00.000Z"
    assert doc["uploaded_at"] == "2024-05-01T11:00:00.000Z"

    # EXIF time without an offset stays without one.
    naive = image_document(IMAGE_ID, {"taken_at": datetime(2024, 4, 30, 10, 0)}, "2024-05-01")
    assert naive["taken_at"] == "2024-04-30T10:00:00.000"


def test_documents_are_deterministic() -> None:
    # A task that runs twice must write the same document: no wall-clock fields.
    first = image_document(IMAGE_ID, {"format": "PNG"}, "2024-05-01T11:00:00Z")
    assert image_document(IMAGE_ID, {"format": "PNG"}, "2024-05-01T11:00:00Z") == first


def test_isoformat_utc_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        isoformat_utc(datetime(2024, 1, 1))


def test_upload_document() -> None:
    doc = upload_document(
        "ev1",
        IMAGE_ID,
        "link1",
        "2024-05-01T11:00:00Z",
        True,
        "png",
        "IMG_1.png",
        sender="0a1b2c3d4e5f",
    )
    assert doc == {
        "event_id": "ev1",
        "image_id": IMAGE_ID,
        "link_id": "link1",
        "uploaded_at": "2024-05-01T11:00:00Z",
        "duplicate": True,
        "format": "png",
        "filename": "IMG_1.png",
        "sender": "0a1b2c3d4e5f",
    }
    assert set(doc) == set(UPLOAD_PROPERTIES)
    without_format = upload_document(
        "ev2", IMAGE_ID, "link1", datetime(2024, 5, 1, tzinfo=UTC), False, sender=""
    )
    assert "format" not in without_format
    assert "filename" not in without_format
    assert "sender" not in without_format
    assert without_format["uploaded_at"] == "2024-05-01T00:00:00.000Z"


def test_upload_document_bounds_the_filename() -> None:
    doc = upload_document("ev1", IMAGE_ID, "link1", "2024-05-01T11:00:00Z", False, "png", "a" * 999)
    assert doc["filename"] == "a" * 255
