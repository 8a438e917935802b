"""What Inlet accepts as an image: decided by content, never by name or header.

Two stages. :func:`inspect`, in the request, is cheap and decisive: the magic bytes
must name an accepted format, and Pillow must open the header with exactly that
format and report bounded dimensions and frame count. No pixel is decoded there.
:func:`verify`, in a worker, decodes every pixel of every frame (up to a bound): an
image that fails it is rejected after the fact (:mod:`inlet.verification`).
"""

from __future__ import annotations

import re
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, TypeVar

from PIL import Image

from inlet.outcomes import Refusal

# Pillow format name -> MIME type served back.
ACCEPTED: dict[str, str] = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "GIF": "image/gif",
    "WEBP": "image/webp",
    "TIFF": "image/tiff",
    "BMP": "image/bmp",
    "HEIF": "image/heif",
}
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif"}
SNIFF_BYTES = 32
T = TypeVar("T")
_OBJECT_REPR = re.compile(r"\s*<[^<>]* at 0x[0-9a-fA-F]+>")

_heif_lock = threading.Lock()
_heif_ready = False


class ImageRejected(ValueError):
    """A file that is not an acceptable image, and why."""

    def __init__(self, reason: Refusal, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class ImageInfo:
    format: str
    mime_type: str
    width: int
    height: int


def register_heif() -> None:
    global _heif_ready  # noqa: PLW0603 - registering the opener is process-wide by nature
    with _heif_lock:
        if not _heif_ready:
            from pillow_heif import register_heif_opener

            register_heif_opener()
            _heif_ready = True


def sniff(head: bytes) -> str | None:  # noqa: PLR0911 - one return per signature
    """The Pillow format name that the leading bytes announce, if accepted."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    if head[:2] == b"BM" and len(head) >= 26:
        return "BMP"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "HEIF"
    return None


def mime_for(fmt: str, head: bytes = b"") -> str:
    if fmt == "HEIF" and head[8:12] in (b"heic", b"heix", b"hevc", b"hevx"):
        return "image/heic"
    if fmt == "HEIF" and head[8:12] == b"avif":
        return "image/avif"
    return ACCEPTED[fmt]


def inspect(fileobj: IO[bytes], *, max_pixels: int, max_frames: int = 1000) -> ImageInfo:
    """Check the header of ``fileobj``: an accepted format, bounded size and frames."""
    fileobj.seek(0)
    head = fileobj.read(SNIFF_BYTES)
    fmt = sniff(head)
    if fmt is None:
        raise ImageRejected(
            Refusal.NOT_AN_IMAGE,
            "not an accepted image: JPEG, PNG, GIF, WebP, TIFF, BMP or HEIC/HEIF expected",
        )
    with _opened(fileobj, fmt) as im:
        width, height = im.size
        if width * height > max_pixels:
            raise ImageRejected(
                Refusal.TOO_MANY_PIXELS,
                f"image has {width}x{height} pixels; at most {max_pixels} are accepted",
            )
        # Counting frames walks their headers and data blocks without decoding them.
        frames = _checked(fmt, lambda: int(getattr(im, "n_frames", 1)))
        if frames > max_frames:
            raise ImageRejected(
                Refusal.TOO_MANY_PIXELS, f"image has {frames} frames; at most {max_frames}"
            )
    return ImageInfo(fmt, mime_for(fmt, head), width, height)


def verify(fileobj: IO[bytes], *, fmt: str, max_frames: int) -> int:
    """Decode every pixel of the first ``max_frames`` frames; the frames decoded.

    Raises :class:`ImageRejected` for data that does not decode. Memory is bounded by
    the header checks already passed (pixels per frame) and, in the workers, by the
    pool's address-space limit: a MemoryError propagates to the caller.
    """
    with _opened(fileobj, fmt) as im:
        frames = min(int(getattr(im, "n_frames", 1)), max_frames)
        _checked(fmt, lambda: _load_frames(im, frames))
    return frames


def _load_frames(im: Image.Image, frames: int) -> None:
    for index in range(frames):
        im.seek(index)
        im.load()


@contextmanager
def _opened(fileobj: IO[bytes], fmt: str) -> Iterator[Image.Image]:
    if fmt == "HEIF":
        register_heif()
    fileobj.seek(0)
    with warnings.catch_warnings():
        # Our own pixel bound applies; Pillow's warning would only be noise.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        im = _checked(fmt, lambda: Image.open(fileobj, formats=[fmt]))
        with im:
            yield im


def _checked(fmt: str, step: Callable[[], T]) -> T:
    """Run one Pillow step, its complaints about the data as ImageRejected."""
    try:
        return step()
    except Image.DecompressionBombError as exc:
        raise ImageRejected(
            Refusal.TOO_MANY_PIXELS, f"image rejected as a decompression bomb: {exc}"
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        # Pillow reports truncated and corrupt data as OSError, SyntaxError or ValueError.
        raise ImageRejected(
            Refusal.UNDECODABLE, f"{fmt} image could not be decoded: {_reason(exc)}"
        ) from None


def _reason(exc: BaseException) -> str:
    # Pillow names the file object it read ("<tempfile.SpooledTemporaryFile object at
    # 0x7f…>"): noise to the uploader, and different every time.
    return _OBJECT_REPR.sub("", str(exc)).strip() or type(exc).__name__
