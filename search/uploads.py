"""Pure builders for reading the uploads index: one link's uploads, newest first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from search.queries import MAX_PAGE_SIZE

# Newest first; the event id breaks ties so that search_after never skips or repeats.
UPLOAD_SORT: list[dict[str, Any]] = [
    {"uploaded_at": {"order": "desc"}},
    {"event_id": {"order": "asc"}},
]
# What the admin console shows of an uploaded image next to its upload.
SUMMARY_FIELDS = ["id", "format", "mime_type", "make", "model", "width", "height"]


def link_uploads_query(
    link_id: str, size: int, search_after: Sequence[Any] | None = None
) -> dict[str, Any]:
    """One page of a link's uploads; ``size + 1`` hits tell whether another follows."""
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ValueError(f"page size must be between 1 and {MAX_PAGE_SIZE}, got {size}")
    body: dict[str, Any] = {
        "size": size + 1,
        "track_total_hits": False,
        "sort": UPLOAD_SORT,
        "query": {"bool": {"filter": [{"term": {"link_id": link_id}}]}},
    }
    if search_after is not None:
        body["search_after"] = list(search_after)
    return body
