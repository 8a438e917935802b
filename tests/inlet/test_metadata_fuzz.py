"""Property: whatever bytes follow an image signature, the extractor answers with
metadata or its documented note, never an exception, within a deadline."""

from __future__ import annotations

import io
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inlet.metadata import extract_metadata
from search.mappings import IMAGE_PROPERTIES

HEADERS = [
    b"\xff\xd8\xff\xe1",  # JPEG with an APP1 (EXIF) segment next
    b"\xff\xd8\xff\xe0",  # JPEG/JFIF
    b"II*\x00",  # TIFF, little-endian
    b"MM\x00*",  # TIFF, big-endian
    b"\x89PNG\r\n\x1a\n",
    b"\x00\x00\x00\x18ftypheic",
    b"RIFF\x00\x00\x00\x00WEBPVP8X",
    b"GIF89a",
]
MAX_NOTE = 500


@settings(
    max_examples=300,
    deadline=timedelta(seconds=2),
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(header=st.sampled_from(HEADERS), tail=st.binary(max_size=4096))
def test_any_bytes_behind_a_signature_give_metadata_or_a_note(header: bytes, tail: bytes) -> None:
    data = header + tail
    result = extract_metadata(io.BytesIO(data), len(data))
    assert result["size_bytes"] == len(data)
    assert set(result) <= set(IMAGE_PROPERTIES) | {"size_bytes", "metadata_error"}
    assert len(result.get("metadata_error", "")) <= MAX_NOTE
    for value in result.values():
        assert not isinstance(value, bytes)
