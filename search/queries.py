"""Pure query builders and response parsers: no client, no I/O.

Everything here is unit-tested without a server; :mod:`search.service` sends the
bodies and parses the answers. The builders take typed values (:class:`ImageFilters`,
dates, sizes) and know nothing of HTTP: the request's parameter names, and turning
them into these values, belong to :mod:`api.params`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from search.documents import isoformat_utc
from search.scope import StatsScope

STATS_DAYS = 30
TOP_CAMERAS = 10
# More formats than Pillow can decode, so the list is never cut short.
MAX_FORMATS = 100
DAY_FORMAT = "yyyy-MM-dd"

MAX_PAGE_SIZE = 100
DEFAULT_RADIUS_KM = 10.0
# Half the Earth's circumference: every point is nearer than this.
MAX_RADIUS_KM = 20_038.0
# Longer keyword values are not indexed (ignore_above), so they can never match.
MAX_TERM_LENGTH = 256

# The keyword fields of an image document that a filter matches exactly.
TERM_FIELDS = ("make", "model", "format")

# Newest first; the id breaks ties so that search_after never skips or repeats a hit.
IMAGE_SORT: list[dict[str, Any]] = [
    {"uploaded_at": {"order": "desc"}},
    {"id": {"order": "asc"}},
]


# --- image search -------------------------------------------------------------


@dataclass(frozen=True)
class ImageFilters:
    """What an image search is narrowed by; every bound is inclusive, every instant
    aware, ``near`` a (lat, lon) in degrees and ``radius_km`` in (0, MAX_RADIUS_KM]."""

    make: str | None = None
    model: str | None = None
    format: str | None = None
    taken_from: datetime | None = None
    taken_to: datetime | None = None
    uploaded_from: datetime | None = None
    uploaded_to: datetime | None = None
    near: tuple[float, float] | None = None  # (lat, lon)
    radius_km: float | None = None


def image_search_query(
    filters: ImageFilters, size: int, search_after: Sequence[Any] | None = None
) -> dict[str, Any]:
    """The search body for one page of images, newest upload first.

    Asks for ``size + 1`` hits: the extra one only tells :func:`page_from_hits`
    whether there is a next page, so the last page has no cursor.
    """
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ValueError(f"page size must be between 1 and {MAX_PAGE_SIZE}, got {size}")
    clauses = image_filter_clauses(filters)
    body: dict[str, Any] = {
        "size": size + 1,
        "track_total_hits": False,
        "sort": IMAGE_SORT,
        "query": {"bool": {"filter": clauses}} if clauses else {"match_all": {}},
    }
    if search_after is not None:
        body["search_after"] = list(search_after)
    return body


def image_filter_clauses(filters: ImageFilters) -> list[dict[str, Any]]:
    clauses: list[dict[str, Any]] = []
    for field in TERM_FIELDS:
        value = getattr(filters, field)
        if value is not None:
            clauses.append({"term": {field: value}})
    for field, start, end in (
        ("taken_at", filters.taken_from, filters.taken_to),
        ("uploaded_at", filters.uploaded_from, filters.uploaded_to),
    ):
        bounds = {}
        if start is not None:
            bounds["gte"] = isoformat_utc(start)
        if end is not None:
            bounds["lte"] = isoformat_utc(end)
        if bounds:
            clauses.append({"range": {field: bounds}})
    if filters.near is not None:
        lat, lon = filters.near
        radius = filters.radius_km if filters.radius_km is not None else DEFAULT_RADIUS_KM
        clauses.append(
            {"geo_distance": {"distance": f"{radius}km", "location": {"lat": lat, "lon": lon}}}
        )
    return clauses


def page_from_hits(
    hits: Sequence[Mapping[str, Any]], size: int
) -> tuple[list[dict[str, Any]], list[Any] | None]:
    """The page's documents and the sort values to search after for the next page
    (None on the last page)."""
    page = hits[:size]
    items = [dict(hit["_source"]) for hit in page]
    after = list(page[-1]["sort"]) if len(hits) > size and page else None
    return items, after


# --- statistics -----------------------------------------------------------------


def local_today(tz: str, now: datetime | None = None) -> date:
    """Today's date in ``tz``; ``now`` (aware) is for tests."""
    return (now or datetime.now(UTC)).astimezone(ZoneInfo(tz)).date()


def window_days(today: date, days: int = STATS_DAYS) -> list[date]:
    """``days`` dates ending with ``today``, oldest first."""
    if days < 1:
        raise ValueError(f"days must be positive, got {days}")
    return [today - timedelta(days=offset) for offset in range(days - 1, -1, -1)]


def window_bounds(today: date, tz: str, days: int = STATS_DAYS) -> tuple[datetime, datetime]:
    """The window as UTC instants: local midnight of the first day, inclusive, to
    local midnight after ``today``, exclusive. Computed here rather than left to the
    server's date rounding so that it is exact and testable."""
    zone = ZoneInfo(tz)
    first = window_days(today, days)[0]
    start = datetime.combine(first, time.min, tzinfo=zone)
    end = datetime.combine(today + timedelta(days=1), time.min, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def stats_query(
    today: date, tz: str, days: int = STATS_DAYS, scope: StatsScope | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two search bodies, for the images and the uploads alias, sent as one ``_msearch``.

    Images (one document per unique image): totals, formats with their MIME type, the
    top cameras by model and how many images have no model. Uploads: the total ever
    accepted (the query matches everything, or ``scope``) and, inside a ``filter``
    aggregation for the window, uploads per local day.
    """
    images = _image_aggregations()
    if scope is not None:
        images["query"] = scope.images_clause()
    start, end = window_bounds(today, tz, days)
    first = window_days(today, days)[0]
    uploads = {
        "size": 0,
        "track_total_hits": True,
        "query": scope.uploads_clause() if scope else {"match_all": {}},
        "aggs": {
            "window": {
                "filter": {
                    "range": {
                        "uploaded_at": {"gte": isoformat_utc(start), "lt": isoformat_utc(end)}
                    }
                },
                "aggs": {
                    "per_day": {
                        "date_histogram": {
                            "field": "uploaded_at",
                            "calendar_interval": "day",
                            "time_zone": tz,
                            "format": DAY_FORMAT,
                            "min_doc_count": 0,
                            "extended_bounds": {
                                "min": first.isoformat(),
                                "max": today.isoformat(),
                            },
                        }
                    }
                },
            }
        },
    }
    return images, uploads


def _image_aggregations() -> dict[str, Any]:
    """Formats with their MIME type, the top cameras with their make, and how many
    images have no camera model."""
    by_count: list[dict[str, str]] = [{"_count": "desc"}, {"_key": "asc"}]
    return {
        "size": 0,
        "track_total_hits": True,
        "aggs": {
            "formats": {
                "terms": {"field": "format", "size": MAX_FORMATS, "order": by_count},
                "aggs": {"mime_type": {"terms": {"field": "mime_type", "size": 1}}},
            },
            "cameras": {
                "terms": {"field": "model", "size": TOP_CAMERAS, "order": by_count},
                "aggs": {"make": {"terms": {"field": "make", "size": 1}}},
            },
            "unknown_camera": {"missing": {"field": "model"}},
        },
    }


def parse_stats(
    responses: Sequence[Mapping[str, Any]], today: date, tz: str, days: int = STATS_DAYS
) -> dict[str, Any]:
    """The statistics document from the two ``_msearch`` responses (images, uploads).

    Days are filled in here, not only by ``extended_bounds``, so the answer always
    has exactly ``days`` entries ending with ``today`` whatever the server returns.
    """
    images, uploads = responses
    image_aggs = images["aggregations"]

    formats = [
        {
            "format": bucket["key"],
            "mime_type": _top_key(bucket.get("mime_type")),
            "count": bucket["doc_count"],
        }
        for bucket in image_aggs["formats"]["buckets"]
    ]
    formats.sort(key=lambda row: (-row["count"], row["format"]))

    cameras = [
        {
            "make": _top_key(bucket.get("make")),
            "model": bucket["key"],
            "count": bucket["doc_count"],
        }
        for bucket in image_aggs["cameras"]["buckets"]
    ]
    cameras.sort(key=lambda row: (-row["count"], row["model"]))

    per_day = _per_day(uploads["aggregations"]["window"]["per_day"]["buckets"], tz)

    return {
        "most_popular_format": formats[0] if formats else None,
        "formats": formats,
        "top_cameras": cameras[:TOP_CAMERAS],
        "unknown_camera": image_aggs["unknown_camera"]["doc_count"],
        "uploads_per_day": [
            {"date": day.isoformat(), "count": per_day.get(day.isoformat(), 0)}
            for day in window_days(today, days)
        ],
        "totals": {"images": total_hits(images), "uploads": total_hits(uploads)},
    }


def _per_day(buckets: Sequence[Mapping[str, Any]], tz: str) -> dict[str, int]:
    per_day: dict[str, int] = {}
    zone = ZoneInfo(tz)
    for bucket in buckets:
        day = bucket.get("key_as_string")
        if not isinstance(day, str):
            # The key is the bucket's local midnight in epoch millis.
            day = datetime.fromtimestamp(bucket["key"] / 1000, zone).date().isoformat()
        per_day[day] = per_day.get(day, 0) + bucket["doc_count"]
    return per_day


def total_hits(response: Mapping[str, Any]) -> int:
    total = response["hits"]["total"]
    # An object since Elasticsearch 7 / OpenSearch 1; a bare number before that.
    return int(total["value"] if isinstance(total, Mapping) else total)


def _top_key(agg: Mapping[str, Any] | None) -> Any:
    buckets = agg.get("buckets", []) if agg else []
    return buckets[0]["key"] if buckets else None
