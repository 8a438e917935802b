"""An image's bytes as the domain knows them: content-addressed ids, their object keys,
what the store says about an object, and the store's failures as domain errors
(raised by the adapter, inlet/stores/blobstore.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


class StoreUnavailable(ConnectionError):
    """The blob store could not be reached or answered with a server error."""


class RangeNotSatisfiable(ValueError):
    """The requested byte range lies outside the object."""


def is_image_id(value: str) -> bool:
    return bool(SHA256_RE.match(value))


def key_for(image_id: str) -> str:
    """Object key for an image id: fanned out so no prefix grows too large."""
    if not is_image_id(image_id):
        raise ValueError(f"not a SHA-256 hex digest: {image_id!r}")
    return f"{image_id[:2]}/{image_id[2:4]}/{image_id}"


def id_from_key(key: str) -> str | None:
    image_id = key.rsplit("/", 1)[-1]
    return image_id if is_image_id(image_id) and key == key_for(image_id) else None


@dataclass(frozen=True)
class BlobInfo:
    size: int
    content_type: str
    metadata: dict[str, str]
