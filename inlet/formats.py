"""What a client may check before sending: the accepted formats, by extension and MIME type.

The server decides by content (inlet/images.py); these lists only let the upload page
and the terminal uploader refuse an obvious non-image before sending its bytes.
"""

from __future__ import annotations

from typing import Any

from inlet.images import ACCEPTED

# Pillow format name -> (extensions, MIME types a browser or OS may declare).
CLIENT_HINTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "JPEG": ((".jpg", ".jpeg", ".jpe", ".jfif"), ("image/jpeg", "image/pjpeg")),
    "PNG": ((".png",), ("image/png",)),
    "GIF": ((".gif",), ("image/gif",)),
    "WEBP": ((".webp",), ("image/webp",)),
    "TIFF": ((".tif", ".tiff"), ("image/tiff",)),
    "BMP": ((".bmp", ".dib"), ("image/bmp", "image/x-ms-bmp")),
    "HEIF": (
        (".heic", ".heif", ".hif"),
        ("image/heic", "image/heif", "image/heic-sequence", "image/heif-sequence"),
    ),
}
DISPLAY_NAMES = {"JPEG": "JPEG", "WEBP": "WebP", "HEIF": "HEIC/HEIF"}


def accepted_formats() -> dict[str, Any]:
    """The accepted formats as the upload page and the terminal uploader read them."""
    formats = [
        {
            "format": fmt,
            "name": DISPLAY_NAMES.get(fmt, fmt),
            "extensions": list(CLIENT_HINTS[fmt][0]),
            "mime_types": list(CLIENT_HINTS[fmt][1]),
        }
        for fmt in ACCEPTED
    ]
    return {
        "formats": formats,
        "extensions": sorted({e for f in formats for e in f["extensions"]}),
        "mime_types": sorted({m for f in formats for m in f["mime_types"]}),
    }


def image_extensions() -> frozenset[str]:
    return frozenset(e for exts, _ in CLIENT_HINTS.values() for e in exts)
