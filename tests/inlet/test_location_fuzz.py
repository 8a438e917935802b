"""Property: whatever the bytes, the stripper answers and never raises; where it edits
in place, the length never changes; a second pass over a complete answer finds nothing."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inlet.location import strip_location
from tests.images import make_located_image

SEEDS = {
    fmt: make_located_image(fmt, size=(16, 12), seed=1)
    for fmt in ("JPEG", "WEBP", "TIFF", "HEIF", "PNG")
}
IN_PLACE = ("JPEG", "WEBP", "TIFF", "HEIF")
HEADERS = [
    b"\xff\xd8\xff\xe1\x00\x40Exif\x00\x00II*\x00\x08\x00\x00\x00",
    b"II*\x00",
    b"MM\x00*",
    b"\x89PNG\r\n\x1a\n",
    b"\x00\x00\x00\x18ftypheic",
    b"RIFF\x00\x00\x00\x00WEBPVP8X",
    b"GIF89a",
]
FUZZ = settings(
    max_examples=300,
    deadline=timedelta(seconds=2),
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    fmt = draw(st.sampled_from(sorted(SEEDS)))
    data = bytearray(SEEDS[fmt])
    for _ in range(draw(st.integers(1, 16))):
        position = draw(st.integers(0, len(data) - 1))
        data[position] = draw(st.integers(0, 255))
    return fmt, bytes(data)


@FUZZ
@given(case=mutated())
def test_damaged_images_never_raise_and_keep_their_length(case: tuple[str, bytes]) -> None:
    fmt, data = case
    removal = strip_location(data)
    if not removal.changed:
        assert removal.data is data
    if fmt in IN_PLACE:
        assert len(removal.data) == len(data)
    if removal.complete and removal.changed and fmt in IN_PLACE:
        assert not strip_location(removal.data).changed


@FUZZ
@given(header=st.sampled_from(HEADERS), tail=st.binary(max_size=4096))
def test_any_bytes_behind_a_signature_never_raise(header: bytes, tail: bytes) -> None:
    data = header + tail
    removal = strip_location(data)
    assert isinstance(removal.data, bytes)
    if not header.startswith(b"\x89PNG"):
        assert len(removal.data) == len(data)
