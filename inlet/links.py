"""Upload links: what a link is, its quotas of images and bytes, its label's rules.

A link's record outlives its expiry by `RETENTION` so admins can still look at an
expired link. Kept in Redis by inlet/stores/links.py.
"""

from __future__ import annotations

import time
import unicodedata
from dataclasses import dataclass
from typing import Any

RETENTION = 30 * 24 * 3600
MAX_LABEL = 100
# Bidirectional overrides and isolates can make a label read as something else.
_BIDI = set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A))


class LinkNotFound(LookupError):
    pass


class InvalidLabel(ValueError):
    pass


@dataclass(frozen=True)
class Shortfall:
    """Why a file did not fit a link's quota: no image left (``bytes_left`` None), or
    fewer bytes left than the file has."""

    bytes_left: int | None = None


def clean_label(raw: object) -> str | None:
    """A link's label trimmed, or None for no label; :class:`InvalidLabel` says why not."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise InvalidLabel("must be a string")
    label = unicodedata.normalize("NFC", raw.strip())
    if not label:
        return None
    if len(label) > MAX_LABEL:
        raise InvalidLabel(f"at most {MAX_LABEL} characters")
    if any(unicodedata.category(ch) == "Cc" or ord(ch) in _BIDI for ch in label):
        raise InvalidLabel("must not contain control characters")
    return label


@dataclass(frozen=True)
class Link:
    id: str
    created_at: int
    expires_at: int
    max_images: int | None
    used: int
    revoked: bool
    label: str | None = None
    # None: no byte limit (the default for links made before byte quotas).
    max_bytes: int | None = None
    used_bytes: int = 0

    @property
    def images_left(self) -> int | None:
        return None if self.max_images is None else max(0, self.max_images - self.used)

    @property
    def bytes_left(self) -> int | None:
        return None if self.max_bytes is None else max(0, self.max_bytes - self.used_bytes)

    def expired(self, now: float | None = None) -> bool:
        return (time.time() if now is None else now) >= self.expires_at

    def state(self, now: float | None = None) -> str:
        """active, expired, revoked or used_up (no image or no byte left); revoked and
        expired win over used_up."""
        if self.revoked:
            return "revoked"
        if self.expired(now):
            return "expired"
        if self.images_left == 0 or self.bytes_left == 0:
            return "used_up"
        return "active"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_at": _iso(self.created_at),
            "expires_at": _iso(self.expires_at),
            "max_images": self.max_images,
            "used": self.used,
            "max_bytes": self.max_bytes,
            "used_bytes": self.used_bytes,
            "revoked": self.revoked,
            "expired": self.expired(),
            "state": self.state(),
            "label": self.label,
        }


def _iso(epoch: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
