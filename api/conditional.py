"""Conditional GETs (RFC 9110, section 13): whether an If-None-Match names what we
would send, so the answer can be 304 with no body. Images and our static files
both carry strong ETags made from a SHA-256 of their bytes."""

from __future__ import annotations


def if_none_match(header: str | None, etag: str) -> bool:
    """True when ``header`` (If-None-Match) lists ``etag``, or is ``*``.

    The comparison is weak (W/ is ignored), as RFC 9110 asks of If-None-Match.
    """
    if not header:
        return False
    candidates = [c.strip().removeprefix("W/") for c in header.split(",")]
    return "*" in candidates or etag in candidates
