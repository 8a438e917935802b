"""GET /v1/links/{id}/uploads and GET /v1/stats?link_id=, with the upload and image
documents put in the real search server the way the workers write them."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from falcon import testing

from inlet.stores.blobstore import S3BlobStore
from search import service
from search.documents import image_document, upload_document
from search.indices import IndexNames
from tests.api.test_link_listing import upload
from tests.http import assert_problem
from tests.images import make_image

NewLink = Callable[..., dict[str, Any]]
NOW = datetime.now(UTC).isoformat(timespec="milliseconds")


def record(
    es: Elasticsearch,
    names: IndexNames,
    link_id: str,
    image_id: str,
    *,
    duplicate: bool = False,
    filename: str = "photo.png",
    at: str = NOW,
) -> str:
    event_id = uuid.uuid4().hex
    doc = upload_document(event_id, image_id, link_id, at, duplicate, "PNG", filename)
    service.record_upload(es, names, doc, refresh=True)
    return event_id


def describe(es: Elasticsearch, names: IndexNames, image_id: str, **fields: Any) -> None:
    service.index_image(es, names, image_document(image_id, fields, NOW), refresh=True)


def test_a_links_uploads_newest_first_with_their_state(
    client: testing.TestClient,
    admin: dict[str, str],
    new_link: NewLink,
    es: Elasticsearch,
    names: IndexNames,
    blob_store: S3BlobStore,
) -> None:
    link = new_link()
    other = new_link()
    ready, processing, deleted = upload(
        client, link["token"], *(make_image("PNG", seed=n) for n in (1, 2, 3))
    )
    describe(es, names, ready, format="PNG", model="<img src=x onerror=alert(1)>", width=64)
    blob_store.delete(deleted)
    times = [f"2026-05-01T10:00:0{n}.000Z" for n in range(4)]
    record(es, names, link["id"], ready, filename="first.png", at=times[0])
    record(es, names, link["id"], processing, filename="second.png", at=times[1])
    record(es, names, link["id"], deleted, filename="third.png", at=times[2])
    record(es, names, link["id"], ready, duplicate=True, filename="again.png", at=times[3])
    record(es, names, other["id"], ready, filename="elsewhere.png")

    rows = []
    cursor = None
    while True:
        query = "limit=3" + (f"&cursor={cursor}" if cursor else "")
        result = client.simulate_get(
            f"/v1/links/{link['id']}/uploads", query_string=query, headers=admin
        )
        assert result.status_code == 200, result.text
        rows += result.json["uploads"]
        cursor = result.json["next_cursor"]
        if cursor is None:
            break
    assert [(r["filename"], r["state"], r["duplicate"]) for r in rows] == [
        ("again.png", "ready", True),
        ("third.png", "deleted", False),
        ("second.png", "pending", False),
        ("first.png", "ready", False),
    ]
    assert rows[0]["image_id"] == ready
    assert rows[0]["image"]["model"] == "<img src=x onerror=alert(1)>"
    assert rows[1]["image"] is None
    assert rows[3]["uploaded_at"] == times[0]


def test_uploads_of_an_unknown_link_are_404(
    client: testing.TestClient, admin: dict[str, str], names: IndexNames
) -> None:
    assert_problem(client.simulate_get("/v1/links/nope/uploads", headers=admin), 404, "nope")


def test_uploads_need_an_admin(client: testing.TestClient, new_link: NewLink) -> None:
    link = new_link()
    assert_problem(client.simulate_get(f"/v1/links/{link['id']}/uploads"), 401)


def test_uploads_refuse_a_foreign_cursor(
    client: testing.TestClient, admin: dict[str, str], new_link: NewLink
) -> None:
    link = new_link()
    result = client.simulate_get(
        f"/v1/links/{link['id']}/uploads", query_string="cursor=WzFd", headers=admin
    )
    assert_problem(result, 400, "cursor")


def stats(client: testing.TestClient, admin: dict[str, str], link_id: str | None) -> Any:
    query = f"link_id={link_id}" if link_id else ""
    result = client.simulate_get("/v1/stats", query_string=query, headers=admin)
    assert result.status_code == 200, result.text
    return result.json


def test_stats_for_one_link_are_exact_on_a_known_mix(
    client: testing.TestClient,
    admin: dict[str, str],
    new_link: NewLink,
    es: Elasticsearch,
    names: IndexNames,
) -> None:
    a, b, empty = new_link(), new_link(), new_link()
    jpeg, shared = upload(client, a["token"], make_image("JPEG", seed=1), make_image(seed=2))
    (only_b,) = upload(client, b["token"], make_image("PNG", seed=3))
    assert upload(client, b["token"], make_image(seed=2)) == [shared]
    assert upload(client, b["token"], make_image("PNG", seed=3)) == [only_b]
    describe(es, names, jpeg, format="JPEG", make="FUJIFILM", model="X100V")
    describe(es, names, shared, format="JPEG")
    describe(es, names, only_b, format="PNG", make="Canon", model="EOS R5")
    for link_id, image_id, duplicate in [
        (a["id"], jpeg, False),
        (a["id"], shared, False),
        (b["id"], only_b, False),
        (b["id"], shared, True),
        (b["id"], only_b, True),
    ]:
        record(es, names, link_id, image_id, duplicate=duplicate)

    for_a, for_b = stats(client, admin, a["id"]), stats(client, admin, b["id"])
    assert for_a["totals"] == {"images": 2, "uploads": 2}
    assert for_b["totals"] == {"images": 2, "uploads": 3}
    assert [(c["model"], c["count"]) for c in for_a["top_cameras"]] == [("X100V", 1)]
    assert [(c["model"], c["count"]) for c in for_b["top_cameras"]] == [("EOS R5", 1)]
    assert for_a["unknown_camera"] == for_b["unknown_camera"] == 1
    assert [(f["format"], f["count"]) for f in for_a["formats"]] == [("JPEG", 2)]
    assert [(f["format"], f["count"]) for f in for_b["formats"]] == [("JPEG", 1), ("PNG", 1)]
    assert for_b["uploads_per_day"][-1]["count"] == 3
    assert stats(client, admin, None)["totals"] == {"images": 3, "uploads": 5}
    nothing = stats(client, admin, empty["id"])
    assert nothing["totals"] == {"images": 0, "uploads": 0}
    assert nothing["top_cameras"] == []
    assert nothing["most_popular_format"] is None


@pytest.mark.parametrize("link_id", ["nope", "x" * 500])
def test_stats_for_an_unknown_link_are_404(
    client: testing.TestClient, admin: dict[str, str], link_id: str
) -> None:
    result = client.simulate_get("/v1/stats", query_string=f"link_id={link_id}", headers=admin)
    doc = assert_problem(result, 404, "no link")
    assert len(doc["detail"]) < 120


def test_the_console_config_names_the_tools_that_are_set(
    make_client: Callable[..., testing.TestClient], admin: dict[str, str]
) -> None:
    bare = make_client().simulate_get("/v1/console", headers=admin)
    defaults = {"max_images": 500, "max_bytes": 5 * 1024**3}
    assert bare.json == {"flower_url": None, "kibana_url": None, "link_defaults": defaults}
    tools = make_client(
        flower_url="https://flower.example",
        kibana_url="https://kibana.example",
        link_default_max_images=0,
        link_default_max_bytes=0,
    )
    assert tools.simulate_get("/v1/console", headers=admin).json == {
        "flower_url": "https://flower.example",
        "kibana_url": "https://kibana.example",
        "link_defaults": {"max_images": None, "max_bytes": None},
    }
    assert_problem(tools.simulate_get("/v1/console"), 401)
