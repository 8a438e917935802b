from __future__ import annotations

import io

import pytest

from inlet.images import ImageRejected, inspect, sniff
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
def test_truncated_images_are_undecodable(fmt: str) -> None:
    data = make_image(fmt, size=(200, 200), noise=True)
    with pytest.raises(ImageRejected) as caught:
        inspect(io.BytesIO(data[: len(data) * 2 // 3]), max_pixels=1_000_000)
    assert caught.value.reason is Refusal.UNDECODABLE
