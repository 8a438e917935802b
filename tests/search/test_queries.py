"""Query builders and response parsers, without a server."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from search.queries import (
    IMAGE_SORT,
    MAX_PAGE_SIZE,
    ImageFilters,
    image_search_query,
    local_today,
    page_from_hits,
    parse_stats,
    stats_query,
    window_bounds,
    window_days,
)


def test_no_filters_match_everything() -> None:
    assert image_search_query(ImageFilters(), 10) == {
        "size": 11,
        "track_total_hits": False,
        "sort": IMAGE_SORT,
        "query": {"match_all": {}},
    }


def test_every_filter_becomes_a_clause() -> None:
    filters = ImageFilters(
        make="Canon",
        model="EOS R5",
        format="jpeg",
        taken_from=datetime(2024, 1, 1, tzinfo=UTC),
        taken_to=datetime(2024, 1, 31, 23, 59, 59, 999000, tzinfo=UTC),
        uploaded_from=datetime(2024, 2, 1, 8, tzinfo=UTC),
        uploaded_to=datetime(2024, 2, 2, 10, tzinfo=UTC),
        near=(52.52, 13.405),
        radius_km=2.5,
    )
    assert image_search_query(filters, 5)["query"] == {
        "bool": {
            "filter": [
                {"term": {"make": "Canon"}},
                {"term": {"model": "EOS R5"}},
                {"term": {"format": "jpeg"}},
                {
                    "range": {
                        "taken_at": {
                            "gte": "2024-01-01T00:00:00.000Z",
                            "lte": "2024-01-31T23:59:59.999Z",
                        }
                    }
                },
                {
                    "range": {
                        "uploaded_at": {
                            "gte": "2024-02-01T08:00:00.000Z",
                            "lte": "2024-02-02T10:00:00.000Z",
                        }
                    }
                },
                {"geo_distance": {"distance": "2.5km", "location": {"lat": 52.52, "lon": 13.405}}},
            ]
        }
    }


def test_near_without_a_radius_searches_the_default_radius() -> None:
    clauses = image_search_query(ImageFilters(near=(0.0, 0.0)), 5)["query"]["bool"]["filter"]
    assert clauses == [
        {"geo_distance": {"distance": "10.0km", "location": {"lat": 0.0, "lon": 0.0}}}
    ]


def test_the_next_page_searches_after_the_cursor_values() -> None:
    body = image_search_query(ImageFilters(make="Apple"), 10, [1714564800000, "ab" * 32])
    assert body["search_after"] == [1714564800000, "ab" * 32]


def test_query_refuses_bad_sizes() -> None:
    with pytest.raises(ValueError, match="page size"):
        image_search_query(ImageFilters(), 0)
    with pytest.raises(ValueError, match="page size"):
        image_search_query(ImageFilters(), MAX_PAGE_SIZE + 1)


def _hit(n: int) -> dict[str, Any]:
    return {"_id": str(n), "_source": {"id": str(n)}, "sort": [1000 - n, str(n)]}


def test_page_from_hits() -> None:
    hits = [_hit(n) for n in range(4)]
    items, after = page_from_hits(hits, 3)
    assert [item["id"] for item in items] == ["0", "1", "2"]
    assert after == [998, "2"]

    items, after = page_from_hits(hits[:3], 3)
    assert len(items) == 3
    assert after is None
    assert page_from_hits([], 3) == ([], None)


# --- statistics ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "tz", "today"),
    [
        # 10:30 UTC is already tomorrow on Kiritimati (UTC+14)...
        (datetime(2024, 3, 15, 10, 30, tzinfo=UTC), "Pacific/Kiritimati", date(2024, 3, 16)),
        (datetime(2024, 3, 15, 9, 59, tzinfo=UTC), "Pacific/Kiritimati", date(2024, 3, 15)),
        # ...and 06:30 UTC still yesterday in Los Angeles (UTC-7 in March).
        (datetime(2024, 3, 15, 6, 30, tzinfo=UTC), "America/Los_Angeles", date(2024, 3, 14)),
        (datetime(2024, 3, 15, 7, 0, tzinfo=UTC), "America/Los_Angeles", date(2024, 3, 15)),
        (datetime(2024, 3, 15, 0, 0, tzinfo=UTC), "UTC", date(2024, 3, 15)),
    ],
)
def test_local_today(now: datetime, tz: str, today: date) -> None:
    assert local_today(tz, now) == today


def test_window_days() -> None:
    days = window_days(date(2024, 3, 1), 30)
    assert len(days) == 30
    assert days[0] == date(2024, 2, 1)  # 2024 is a leap year
    assert days[-1] == date(2024, 3, 1)
    assert days == sorted(days)


@pytest.mark.parametrize(
    ("today", "tz", "start", "end"),
    [
        (
            date(2024, 3, 16),
            "Pacific/Kiritimati",
            datetime(2024, 2, 15, 10, 0, tzinfo=UTC),
            datetime(2024, 3, 16, 10, 0, tzinfo=UTC),
        ),
        # The window spans the switch to daylight saving time on 10 March.
        (
            date(2024, 3, 15),
            "America/Los_Angeles",
            datetime(2024, 2, 15, 8, 0, tzinfo=UTC),
            datetime(2024, 3, 16, 7, 0, tzinfo=UTC),
        ),
        (
            date(2024, 3, 15),
            "UTC",
            datetime(2024, 2, 15, tzinfo=UTC),
            datetime(2024, 3, 16, tzinfo=UTC),
        ),
    ],
)
def test_window_bounds(today: date, tz: str, start: datetime, end: datetime) -> None:
    assert window_bounds(today, tz) == (start, end)


def test_stats_query() -> None:
    images, uploads = stats_query(date(2024, 3, 16), "Pacific/Kiritimati")
    assert images["size"] == 0
    assert images["track_total_hits"] is True
    cameras = images["aggs"]["cameras"]["terms"]
    assert cameras["field"] == "model"
    assert cameras["size"] == 10
    assert cameras["order"] == [{"_count": "desc"}, {"_key": "asc"}]
    assert images["aggs"]["unknown_camera"] == {"missing": {"field": "model"}}

    # Totals count every upload; only the histogram is limited to the window.
    assert uploads["query"] == {"match_all": {}}
    assert uploads["track_total_hits"] is True
    window = uploads["aggs"]["window"]
    assert window["filter"] == {
        "range": {
            "uploaded_at": {"gte": "2024-02-15T10:00:00.000Z", "lt": "2024-03-16T10:00:00.000Z"}
        }
    }
    histogram = window["aggs"]["per_day"]["date_histogram"]
    assert histogram["time_zone"] == "Pacific/Kiritimati"
    assert histogram["calendar_interval"] == "day"
    assert histogram["min_doc_count"] == 0
    assert histogram["extended_bounds"] == {"min": "2024-02-16", "max": "2024-03-16"}


def _buckets(*pairs: tuple[Any, int], sub: str | None = None) -> dict[str, Any]:
    buckets = []
    for key, count in pairs:
        bucket: dict[str, Any] = {"key": key, "doc_count": count}
        if sub is not None:
            bucket[sub] = {"buckets": [{"key": f"{sub}-of-{key}", "doc_count": count}]}
        buckets.append(bucket)
    return {"buckets": buckets}


def _responses(per_day: list[dict[str, Any]]) -> list[dict[str, Any]]:
    images = {
        "hits": {"total": {"value": 12, "relation": "eq"}, "hits": []},
        "aggregations": {
            "formats": _buckets(("png", 4), ("jpeg", 7), ("gif", 4), sub="mime_type"),
            "cameras": _buckets(("B", 2), ("A", 2), ("C", 5), sub="make"),
            "unknown_camera": {"doc_count": 3},
        },
    }
    uploads = {
        "hits": {"total": 40, "hits": []},
        "aggregations": {"window": {"doc_count": 5, "per_day": {"buckets": per_day}}},
    }
    return [images, uploads]


def test_parse_stats_orders_and_fills() -> None:
    today = date(2024, 3, 16)
    per_day = [
        {"key_as_string": "2024-02-16", "key": 0, "doc_count": 1},
        {"key_as_string": "2024-03-14", "key": 0, "doc_count": 3},
        {"key_as_string": "2024-03-16", "key": 0, "doc_count": 1},
    ]
    stats = parse_stats(_responses(per_day), today, "Pacific/Kiritimati")
    assert stats["most_popular_format"] == {
        "format": "jpeg",
        "mime_type": "mime_type-of-jpeg",
        "count": 7,
    }
    assert [(row["format"], row["count"]) for row in stats["formats"]] == [
        ("jpeg", 7),
        ("gif", 4),
        ("png", 4),
    ]
    assert stats["top_cameras"] == [
        {"make": "make-of-C", "model": "C", "count": 5},
        {"make": "make-of-A", "model": "A", "count": 2},
        {"make": "make-of-B", "model": "B", "count": 2},
    ]
    assert stats["unknown_camera"] == 3
    assert stats["totals"] == {"images": 12, "uploads": 40}
    days = stats["uploads_per_day"]
    assert len(days) == 30
    assert days[0] == {"date": "2024-02-16", "count": 1}
    assert days[-1] == {"date": "2024-03-16", "count": 1}
    assert days[-3] == {"date": "2024-03-14", "count": 3}
    assert sum(day["count"] for day in days) == 5
    assert set(stats) == {
        "most_popular_format",
        "formats",
        "top_cameras",
        "unknown_camera",
        "uploads_per_day",
        "totals",
    }


def test_parse_stats_reads_bucket_keys_in_the_zone_when_unformatted() -> None:
    # 2024-03-13T10:00:00Z is midnight of 14 March on Kiritimati.
    key = int(datetime(2024, 3, 13, 10, 0, tzinfo=UTC).timestamp() * 1000)
    stats = parse_stats(
        _responses([{"key": key, "doc_count": 2}]), date(2024, 3, 16), "Pacific/Kiritimati"
    )
    assert {"date": "2024-03-14", "count": 2} in stats["uploads_per_day"]


def test_parse_stats_of_nothing() -> None:
    empty: dict[str, Any] = {"buckets": []}
    images = {
        "hits": {"total": {"value": 0}},
        "aggregations": {"formats": empty, "cameras": empty, "unknown_camera": {"doc_count": 0}},
    }
    uploads = {
        "hits": {"total": {"value": 0}},
        "aggregations": {"window": {"per_day": empty}},
    }
    stats = parse_stats([images, uploads], date(2024, 1, 1), "UTC")
    assert stats["most_popular_format"] is None
    assert stats["formats"] == []
    assert stats["top_cameras"] == []
    assert stats["totals"] == {"images": 0, "uploads": 0}
    assert [day["count"] for day in stats["uploads_per_day"]] == [0] * 30
    assert stats["uploads_per_day"][0]["date"] == "2023-12-03"
