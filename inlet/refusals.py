"""The refusals ingest answers per file, worded once for every path that gives them."""

from __future__ import annotations

from inlet.links import Link, Shortfall
from inlet.outcomes import Outcome, Refusal, Refused


def store_unavailable(filename: str) -> Refused:
    return Refused(filename, Refusal.STORE_UNAVAILABLE, "the image store is unavailable; try again")


def is_store_failure(outcome: Outcome) -> bool:
    return isinstance(outcome, Refused) and outcome.reason is Refusal.STORE_UNAVAILABLE


def quota_refusal(filename: str, link: Link, shortfall: Shortfall, size: int = 0) -> Refused:
    if shortfall.bytes_left is None:
        detail = f"this link's quota of {link.max_images} images is used up"
    elif shortfall.bytes_left == 0:
        detail = f"this link's quota of {link.max_bytes} bytes is used up"
    else:
        detail = (
            f"this file's {size} bytes do not fit in the {shortfall.bytes_left} bytes left "
            f"of this link's quota of {link.max_bytes} bytes"
        )
    return Refused(filename, Refusal.QUOTA_USED_UP, detail)


def unknown_hash(filename: str) -> Refused:
    detail = "no stored image has this SHA-256; send the file's bytes"
    return Refused(filename, Refusal.UNKNOWN_HASH, detail)
