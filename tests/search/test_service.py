"""The search operations against the real server: statistics, search, reconcile."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from elasticsearch import Elasticsearch

from api.params import parse_image_filters
from devstack import servers
from inlet.settings import Settings
from search.client import make_client
from search.documents import image_document, upload_document
from search.errors import SearchError, SearchUnavailable
from search.indices import IndexNames, index_names
from search.queries import ImageFilters, local_today
from search.service import (
    delete_image,
    fetch_stats,
    get_image,
    index_image,
    indexed_ids,
    record_upload,
    search_images,
)
from tests.support import refresh

LA = "America/Los_Angeles"
TODAY = date(2024, 3, 15)  # in LA; daylight saving time began on 10 March


def image_id(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def at_local(day: date, tz: str, hour: int = 0, minute: int = 0, second: int = 0) -> str:
    """An upload time given as local wall-clock time, written in UTC like the API does."""
    moment = datetime.combine(day, time(hour, minute, second), tzinfo=ZoneInfo(tz))
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# --- statistics ------------------------------------------------------------------

FORMATS = ["jpeg"] * 8 + ["png"] * 4 + ["webp"] * 4 + ["gif"] * 2 + ["heif"]
# (make, model) per image: two three-way leaders, a model without make, nine models
# with one image each (so more than ten models), and two images without a model.
CAMERAS: list[tuple[str | None, str | None]] = [
    *[("Alpha", "A1")] * 3,
    *[("Beta", "B2")] * 3,
    *[(None, "C3")] * 2,
    *[("Maker", f"M{n:02}") for n in range(1, 10)],
    ("Orphan", None),
    (None, None),
]


def index_stats_images(es: Elasticsearch, names: IndexNames) -> list[str]:
    ids = []
    for n, (fmt, (make, model)) in enumerate(zip(FORMATS, CAMERAS, strict=True)):
        metadata = {"format": fmt, "mime_type": f"image/{fmt}", "make": make, "model": model}
        ids.append(image_id(f"stats-{n}"))
        doc = image_document(ids[-1], metadata, "2024-03-01T12:00:00Z")
        index_image(es, names, doc)
    return ids


UPLOAD_TIMES = [
    at_local(TODAY, LA, 23, 59, 59),  # today, last second
    at_local(TODAY + timedelta(days=1), LA),  # tomorrow in LA: totals only
    at_local(TODAY - timedelta(days=3), LA, 12),
    at_local(TODAY - timedelta(days=3), LA, 12, 30),
    at_local(TODAY - timedelta(days=29), LA),  # the window's first moment
    at_local(TODAY - timedelta(days=30), LA, 23, 59, 59),  # the second before it
    "2024-03-15T03:00:00Z",  # 14 March, 20:00 in LA, although 15 March in UTC
    "2024-03-15T07:00:00Z",  # 15 March, 00:00 in LA
    "2023-01-01T00:00:00Z",  # long ago: totals only
]


def record_stats_uploads(es: Elasticsearch, names: IndexNames, ids: list[str]) -> None:
    for n, uploaded_at in enumerate(UPLOAD_TIMES):
        doc = upload_document(f"event-{n}", ids[n], "link-1", uploaded_at, n % 2 == 1, "jpeg")
        record_upload(es, names, doc)


def formats_of(counts: dict[str, int]) -> list[dict[str, Any]]:
    rows = [{"format": f, "mime_type": f"image/{f}", "count": c} for f, c in counts.items()]
    return sorted(rows, key=lambda row: (-row["count"], row["format"]))


def expected_days(counts: dict[date, int]) -> list[dict[str, Any]]:
    days = [TODAY - timedelta(days=offset) for offset in range(29, -1, -1)]
    return [{"date": day.isoformat(), "count": counts.get(day, 0)} for day in days]


def test_stats(es: Elasticsearch, names: IndexNames) -> None:
    ids = index_stats_images(es, names)
    record_stats_uploads(es, names, ids)
    refresh(es, names)

    formats = formats_of({"jpeg": 8, "png": 4, "webp": 4, "gif": 2, "heif": 1})
    assert fetch_stats(es, names, TODAY, LA) == {
        "most_popular_format": {"format": "jpeg", "mime_type": "image/jpeg", "count": 8},
        "formats": formats,
        "top_cameras": [
            {"make": "Alpha", "model": "A1", "count": 3},
            {"make": "Beta", "model": "B2", "count": 3},
            {"make": None, "model": "C3", "count": 2},
            *[{"make": "Maker", "model": f"M{n:02}", "count": 1} for n in range(1, 8)],
        ],
        "unknown_camera": 2,
        "uploads_per_day": expected_days(
            {
                TODAY - timedelta(days=29): 1,
                TODAY - timedelta(days=3): 2,
                TODAY - timedelta(days=1): 1,
                TODAY: 2,
            }
        ),
        "totals": {"images": 19, "uploads": 9},
    }
    assert formats[1:3] == [  # a tie in count is broken by name
        {"format": "png", "mime_type": "image/png", "count": 4},
        {"format": "webp", "mime_type": "image/webp", "count": 4},
    ]

    # Deleting an image removes it from the image statistics; its uploads happened
    # and still count.
    delete_image(es, names, ids[0], refresh=True)
    stats = fetch_stats(es, names, TODAY, LA)
    assert stats["most_popular_format"] == {
        "format": "jpeg",
        "mime_type": "image/jpeg",
        "count": 7,
    }
    assert stats["top_cameras"][:3] == [
        {"make": "Beta", "model": "B2", "count": 3},
        {"make": "Alpha", "model": "A1", "count": 2},
        {"make": None, "model": "C3", "count": 2},
    ]
    assert stats["totals"] == {"images": 18, "uploads": 9}
    assert sum(day["count"] for day in stats["uploads_per_day"]) == 6


@pytest.mark.parametrize("tz", ["Pacific/Kiritimati", "UTC", "Asia/Kolkata", LA])
def test_uploads_per_day_agree_with_python_in_any_zone(
    es: Elasticsearch, names: IndexNames, tz: str
) -> None:
    # Every hour for 33 days around the window, so that every zone's midnight is crossed.
    start = datetime(2024, 2, 10, tzinfo=UTC)
    moments = [start + timedelta(hours=h, minutes=7) for h in range(33 * 24)]
    for n, moment in enumerate(moments):
        uploaded_at = moment.isoformat().replace("+00:00", "Z")
        record_upload(es, names, upload_document(f"e{n}", "x", "l", uploaded_at, False))
    refresh(es, names)

    today = date(2024, 3, 12)
    window = {today - timedelta(days=offset) for offset in range(30)}
    local_days = [moment.astimezone(ZoneInfo(tz)).date() for moment in moments]
    expected = {day: local_days.count(day) for day in window}

    stats = fetch_stats(es, names, today, tz)
    assert stats["uploads_per_day"] == expected_days_for(today, expected)
    assert stats["totals"] == {"images": 0, "uploads": len(moments)}
    assert stats["most_popular_format"] is None


def expected_days_for(today: date, counts: dict[date, int]) -> list[dict[str, Any]]:
    days = [today - timedelta(days=offset) for offset in range(29, -1, -1)]
    return [{"date": day.isoformat(), "count": counts.get(day, 0)} for day in days]


def test_stats_today_for_real(es: Elasticsearch, names: IndexNames) -> None:
    tz = "Pacific/Kiritimati"
    now = datetime.now(UTC)
    today = local_today(tz, now)
    record_upload(es, names, upload_document("now", "x", "l", now, False), refresh=True)
    stats = fetch_stats(es, names, today, tz)
    assert stats["uploads_per_day"][-1] == {"date": today.isoformat(), "count": 1}


def test_stats_of_empty_indices(es: Elasticsearch, names: IndexNames) -> None:
    stats = fetch_stats(es, names, TODAY, LA)
    assert stats["formats"] == []
    assert stats["top_cameras"] == []
    assert stats["unknown_camera"] == 0
    assert len(stats["uploads_per_day"]) == 30
    assert stats["totals"] == {"images": 0, "uploads": 0}


# --- documents -------------------------------------------------------------------


def test_indexing_twice_keeps_one_document(es: Elasticsearch, names: IndexNames) -> None:
    image = image_id("twice")
    first = image_document(image, {"format": "png"}, "2024-03-01T00:00:00Z")
    index_image(es, names, first)
    second = image_document(image, {"format": "png", "width": 10}, "2024-03-01T00:00:00Z")
    index_image(es, names, second, refresh=True)
    assert es.count(index=names.images)["count"] == 1
    assert get_image(es, names, image) == second

    upload = upload_document("ev", image, "l", "2024-03-01T00:00:00Z", False)
    record_upload(es, names, upload)
    record_upload(es, names, upload, refresh=True)
    assert es.count(index=names.uploads)["count"] == 1


def test_get_and_delete_missing(es: Elasticsearch, names: IndexNames) -> None:
    assert get_image(es, names, image_id("nothing")) is None
    delete_image(es, names, image_id("nothing"))


def test_missing_indices_are_errors_not_absences(es: Elasticsearch) -> None:
    names = index_names("test-never-created")
    with pytest.raises(SearchError, match="index_not_found"):
        get_image(es, names, image_id("x"))
    with pytest.raises(SearchError, match="index_not_found"):
        delete_image(es, names, image_id("x"))
    with pytest.raises(SearchError, match="index_not_found"):
        indexed_ids(es, names, [image_id("x")])
    with pytest.raises(SearchError, match="index_not_found") as caught:
        fetch_stats(es, names, TODAY, LA)
    assert not isinstance(caught.value, SearchUnavailable)


def test_indexed_ids(es: Elasticsearch, names: IndexNames) -> None:
    ids = [image_id(f"reconcile-{n}") for n in range(5)]
    for image in ids[:3]:
        index_image(es, names, image_document(image, {}, "2024-03-01T00:00:00Z"))
    # mget reads in real time: no refresh needed.
    assert indexed_ids(es, names, ids) == set(ids[:3])
    assert indexed_ids(es, names, []) == set()


# --- image search ----------------------------------------------------------------

BERLIN = (52.52, 13.405)
SYDNEY = (-33.87, 151.21)
UPLOAD_BASE = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
TAKEN_BASE = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)


def search_fixture(n: int) -> dict[str, Any]:
    lat, lon = BERLIN if n < 5 else SYDNEY
    return image_document(
        image_id(f"search-{n}"),
        {
            "format": "png" if n % 2 else "jpeg",
            "make": "Canon" if n % 3 == 0 else "Nikon",
            "model": f"Model {n % 4}",
            "taken_at": TAKEN_BASE + timedelta(days=n),
            "location": (lat + n * 0.001, lon),  # Berlin ones within ~500 m of each other
        },
        # Pairs share an upload time: the id has to break the tie.
        UPLOAD_BASE + timedelta(minutes=n // 2),
    )


@pytest.fixture
def searchable(es: Elasticsearch, names: IndexNames) -> list[dict[str, Any]]:
    docs = [search_fixture(n) for n in range(25)]
    for doc in docs:
        index_image(es, names, doc)
    refresh(es, names)
    return docs


def newest_first(docs: list[dict[str, Any]]) -> list[str]:
    ordered = sorted(docs, key=lambda doc: doc["id"])
    ordered.sort(key=lambda doc: doc["uploaded_at"], reverse=True)
    return [doc["id"] for doc in ordered]


def walk(
    es: Elasticsearch, names: IndexNames, filters: ImageFilters, size: int
) -> tuple[list[str], int]:
    seen: list[str] = []
    pages = 0
    after = None
    while True:
        items, after = search_images(es, names, filters, size, after)
        pages += 1
        seen += [item["id"] for item in items]
        if after is None:
            return seen, pages
        assert len(items) == size
        assert pages < 100


def test_pagination_walks_every_image_once(
    es: Elasticsearch, names: IndexNames, searchable: list[dict[str, Any]]
) -> None:
    seen, pages = walk(es, names, ImageFilters(), 4)
    assert seen == newest_first(searchable)
    assert len(set(seen)) == 25
    assert pages == 7

    # An exact multiple of the page size ends without an empty extra page.
    seen, pages = walk(es, names, ImageFilters(), 5)
    assert len(seen) == 25
    assert pages == 5


def test_items_are_the_documents(
    es: Elasticsearch, names: IndexNames, searchable: list[dict[str, Any]]
) -> None:
    items, _ = search_images(es, names, ImageFilters(), 1)
    newest = next(doc for doc in searchable if doc["id"] == newest_first(searchable)[0])
    assert items == [newest]


@pytest.mark.parametrize(
    ("params", "matches"),
    [
        ({"make": "Canon"}, lambda n: n % 3 == 0),
        ({"make": "canon"}, lambda n: False),  # keyword: exact
        ({"model": "Model 1"}, lambda n: n % 4 == 1),
        ({"format": "png", "make": "Nikon"}, lambda n: n % 2 == 1 and n % 3 != 0),
        ({"taken_from": "2024-01-04", "taken_to": "2024-01-08"}, lambda n: 3 <= n <= 7),
        ({"taken_from": "2024-01-04T12:00:00Z"}, lambda n: n >= 3),
        ({"taken_to": "2024-01-04T11:59:59Z"}, lambda n: n <= 2),
        (
            {"uploaded_from": "2024-03-01T12:03:00Z", "uploaded_to": "2024-03-01T13:04:00+01:00"},
            lambda n: 6 <= n <= 9,
        ),
        ({"near": f"{BERLIN[0]},{BERLIN[1]}", "radius_km": "50"}, lambda n: n < 5),
        ({"near": f"{BERLIN[0]},{BERLIN[1]}", "radius_km": "0.25"}, lambda n: n <= 2),
        ({"near": f"{SYDNEY[0]},{SYDNEY[1]}"}, lambda n: n >= 5),
        ({"near": "0,0", "radius_km": "100"}, lambda n: False),
        ({"near": f"{BERLIN[0]},{BERLIN[1]}", "format": "png"}, lambda n: n < 5 and n % 2 == 1),
    ],
)
def test_filters(
    es: Elasticsearch,
    names: IndexNames,
    searchable: list[dict[str, Any]],
    params: dict[str, str],
    matches: Any,
) -> None:
    filters = parse_image_filters(params)
    seen, _ = walk(es, names, filters, 3)
    expected = [doc for n, doc in enumerate(searchable) if matches(n)]
    assert seen == newest_first(expected)


def test_searching_after_the_end_is_an_empty_page(es: Elasticsearch, names: IndexNames) -> None:
    items, after = search_images(es, names, ImageFilters(), 10, [0, ""])
    assert (items, after) == ([], None)


# --- an unreachable server -------------------------------------------------------


def test_unreachable_server_raises_search_unavailable(settings: Settings) -> None:
    down = make_client(
        settings.replace(elasticsearch_url=f"http://127.0.0.1:{servers.free_port()}")
    )
    names = index_names(settings.index_prefix)
    doc = image_document(image_id("down"), {}, "2024-03-01T00:00:00Z")
    with pytest.raises(SearchUnavailable):
        index_image(down, names, doc)
    with pytest.raises(SearchUnavailable):
        fetch_stats(down, names, TODAY, LA)
    with pytest.raises(ConnectionError):
        search_images(down, names, ImageFilters(), 10)
