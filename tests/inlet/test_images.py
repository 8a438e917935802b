from __future__ import annotations

import io

import pytest
from PIL import Image

from inlet.images import ImageRejected, inspect, sniff, verify
from inlet.outcomes import Refusal
from tests.images import make_image


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP", "TIFF", "BMP", "HEIF"])
def test_accepted_formats_are_sniffed_and_inspected(fmt: str) -> None:
    data = make_image(fmt, size=(40, 30), seed=1)
    assert sniff(data[:32]) == fmt
    info = inspect(io.BytesIO(data), max_pixels=10_000)
    assert (info.format, info.width, info.height) == (fmt, 40, 30)


@pytest.mark.parametrize(
    "head",
    [b"<svg", b"%!PS-Adobe-3.0 EPSF", b"\x00\x00\x01\x00", b"PK\x03\x04", b"", b"GIF90a"],
)
def test_everything_else_is_not_an_image(head: bytes) -> None:
    with pytest.raises(ImageRejected) as caught:
        inspect(io.BytesIO(head + b"\x00" * 64), max_pixels=10_000)
    assert caught.value.reason is Refusal.NOT_AN_IMAGE


def test_pixel_bound() -> None:
    data = make_image("PNG", size=(101, 100))
    with pytest.raises(ImageRejected, match="101x100 pixels") as caught:
        inspect(io.BytesIO(data), max_pixels=10_000)
    assert caught.value.reason is Refusal.TOO_MANY_PIXELS


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP", "TIFF"])
def test_truncated_images_pass_the_header_check_and_fail_verification(fmt: str) -> None:
    data = make_image(fmt, size=(200, 200), noise=True)
    cut = io.BytesIO(data[: len(data) * 2 // 3])
    with pytest.raises(ImageRejected) as caught:
        # Some formats keep vital data at the end, and the header check sees it missing.
        verify(cut, fmt=inspect(cut, max_pixels=1_000_000).format, max_frames=10)
    assert caught.value.reason is Refusal.UNDECODABLE


def test_corrupt_entropy_data_fails_verification() -> None:
    data = bytearray(make_image("JPEG", size=(256, 256), noise=True, seed=3))
    scan = data.index(b"\xff\xda")
    for offset in range(scan + 200, len(data) - 200, 50):
        data[offset] = 0xFF  # markers in the middle of the scan
    info = inspect(io.BytesIO(bytes(data)), max_pixels=1_000_000)
    with pytest.raises(ImageRejected) as caught:
        verify(io.BytesIO(bytes(data)), fmt=info.format, max_frames=10)
    assert caught.value.reason is Refusal.UNDECODABLE


def test_verification_decodes_frames_up_to_the_bound() -> None:
    frames = [Image.new("RGB", (16, 16), color=(n * 20, 0, 0)) for n in range(12)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:])
    assert verify(io.BytesIO(buffer.getvalue()), fmt="GIF", max_frames=100) == 12
    assert verify(io.BytesIO(buffer.getvalue()), fmt="GIF", max_frames=5) == 5
    with pytest.raises(ImageRejected, match="12 frames"):
        inspect(io.BytesIO(buffer.getvalue()), max_pixels=10_000, max_frames=10)
