"""What Inlet accepts as an image: decided by content, never by name or header.

Two gates: the magic bytes must name an accepted format, then Pillow must open
the file with exactly that format, report a bounded pixel count and decode it
to the end (JPEGs at 1/8 scale, which still reads every entropy-coded byte).
"""

from __future__ import annotations

import re
import threading
import warnings
from dataclasses import dataclass
from typing import IO

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


def inspect(fileobj: IO[bytes], *, max_pixels: int) -> ImageInfo:
    """Check that `fileobj` holds one complete image of an accepted format."""
    fileobj.seek(0)
    head = fileobj.read(SNIFF_BYTES)
    fmt = sniff(head)
    if fmt is None:
        raise ImageRejected(
            Refusal.NOT_AN_IMAGE,
            "not an accepted image: JPEG, PNG, GIF, WebP, TIFF, BMP or HEIC/HEIF expected",
        )
    if fmt == "HEIF":
        register_heif()
    fileobj.seek(0)
    try:
        with warnings.catch_warnings():
            # Our own pixel bound applies; Pillow's warning would only be noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(fileobj, formats=[fmt]) as im:
                width, height = im.size
                if width * height > max_pixels:
                    raise ImageRejected(
                        Refusal.TOO_MANY_PIXELS,
                        f"image has {width}x{height} pixels; at most {max_pixels} are accepted",
                    )
                _decode(im)
    except Image.DecompressionBombError as exc:
        raise ImageRejected(
            Refusal.TOO_MANY_PIXELS, f"image rejected as a decompression bomb: {exc}"
        ) from None
    except ImageRejected:
        raise
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        # Pillow reports truncated and corrupt data as OSError, SyntaxError or ValueError.
        raise ImageRejected(
            Refusal.UNDECODABLE, f"{fmt} image could not be decoded: {_reason(exc)}"
        ) from None
    return ImageInfo(fmt, mime_for(fmt, head), width, height)


def _reason(exc: BaseException) -> str:
    # Pillow names the file object it read ("<tempfile.SpooledTemporaryFile object at
    # 0x7f…>"): noise to the uploader, and different every time.
    return _OBJECT_REPR.sub("", str(exc)).strip() or type(exc).__name__


def _decode(im: Image.Image) -> None:
    if im.format == "JPEG":
        # Decoding at 1/8 scale still parses the whole scan, so truncation is caught.
        im.draft("RGB", (max(1, im.width // 8), max(1, im.height // 8)))
    # Counting frames walks every frame's data blocks, so a truncated animation fails
    # here without decoding every frame's pixels.
    getattr(im, "n_frames", 1)
    im.seek(0)
    im.load()
