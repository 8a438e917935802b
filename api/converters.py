"""Route converters: a URL segment that does not fit never reaches a resource."""

from __future__ import annotations

from falcon.routing import BaseConverter

from inlet.blobs import is_image_id


class ImageIdConverter(BaseConverter):
    """``{image_id:image_id}``: a SHA-256 as 64 lowercase hex digits, else no route (404)."""

    def convert(self, value: str) -> str | None:
        return value if is_image_id(value) else None
