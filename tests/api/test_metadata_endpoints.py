"""Metadata, search, statistics and delete over HTTP, with documents put in the real
search server the way the workers write them."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from falcon import testing

from inlet.settings import Settings
from inlet.stores.blobstore import S3BlobStore
from inlet.stores.dedup import HashIndex
from search import service
from search.documents import image_document
from search.indices import IndexNames
from tests.http import assert_problem, multipart
from tests.images import make_image


def put_doc(es: Elasticsearch, names: IndexNames, image_id: str, **fields: Any) -> None:
    uploaded = fields.pop("uploaded_at", "2026-05-01T10:00:00Z")
    service.index_image(es, names, image_document(image_id, fields, uploaded), refresh=True)


def upload_one(client: testing.TestClient, token: str, data: bytes) -> str:
    body, ctype = multipart([("images", "a.jpg", data, "image/jpeg")])
    result = client.simulate_post(
        f"/v1/uploads/{token}", body=body, headers={"Content-Type": ctype}
    )
    assert result.status_code == 201, result.text
    return hashlib.sha256(data).hexdigest()


def test_metadata_is_202_while_processing_then_200(
    client: testing.TestClient, new_link: Any, es: Elasticsearch, names: IndexNames
) -> None:
    data = make_image(seed=1)
    image_id = upload_one(client, new_link()["token"], data)
    pending = client.simulate_get(f"/v1/images/{image_id}/metadata")
    assert pending.status_code == 202
    assert pending.json == {"id": image_id, "status": "processing", "state": "pending"}
    put_doc(es, names, image_id, format="JPEG", model="X100V", make="FUJIFILM")
    done = client.simulate_get(f"/v1/images/{image_id}/metadata")
    assert done.status_code == 200
    assert done.json["model"] == "X100V"
    assert done.json["id"] == image_id
    assert done.json["uploaded_at"] == "2026-05-01T10:00:00Z"


@pytest.mark.parametrize("image_id", ["f" * 64, "nothex"])
def test_metadata_of_unknown_image_is_404(client: testing.TestClient, image_id: str) -> None:
    assert_problem(client.simulate_get(f"/v1/images/{image_id}/metadata"), 404)


def test_search_filters_and_cursor_pages(
    client: testing.TestClient, admin: dict[str, str], es: Elasticsearch, names: IndexNames
) -> None:
    ids = [hashlib.sha256(bytes([n])).hexdigest() for n in range(7)]
    for n, image_id in enumerate(ids):
        put_doc(
            es,
            names,
            image_id,
            format="PNG" if n % 2 else "JPEG",
            model="Pixel 8" if n < 4 else "iPhone 15",
            location={"lat": 48.85 + n * 0.001, "lon": 2.35}
            if n < 3
            else {"lat": -33.9, "lon": 151.2},
            uploaded_at=f"2026-05-0{n + 1}T10:00:00Z",
        )
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params = {"limit": "3"} | ({"cursor": cursor} if cursor else {})
        page = client.simulate_get("/v1/images", params=params, headers=admin).json
        seen += [doc["id"] for doc in page["images"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))  # newest upload first, each once
    pixel = client.simulate_get(
        "/v1/images", params={"model": "Pixel 8", "format": "PNG"}, headers=admin
    ).json["images"]
    assert {doc["id"] for doc in pixel} == {ids[1], ids[3]}
    near = client.simulate_get(
        "/v1/images", params={"near": "48.85,2.35", "radius_km": "5"}, headers=admin
    ).json["images"]
    assert {doc["id"] for doc in near} == set(ids[:3])
    window = client.simulate_get(
        "/v1/images",
        params={"uploaded_from": "2026-05-02", "uploaded_to": "2026-05-03"},
        headers=admin,
    ).json["images"]
    assert {doc["id"] for doc in window} == {ids[1], ids[2]}


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"near": "91,0"}, "near"),
        ({"radius_km": "5"}, "radius_km"),
        ({"taken_from": "yesterday"}, "taken_from"),
        ({"limit": "0"}, "limit"),
        ({"cursor": "garbage"}, "cursor"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_search_parameters_are_400(
    client: testing.TestClient,
    admin: dict[str, str],
    names: IndexNames,
    params: dict[str, str],
    name: str,
) -> None:
    doc = assert_problem(client.simulate_get("/v1/images", params=params, headers=admin), 400, name)
    assert doc["parameter"] == name


def test_search_and_stats_need_an_admin(client: testing.TestClient, new_link: Any) -> None:
    for path in ("/v1/images", "/v1/stats", "/v1/failures"):
        assert_problem(client.simulate_get(path), 401)
        link_auth = {"Authorization": f"Bearer {new_link()['token']}"}
        assert_problem(client.simulate_get(path, headers=link_auth), 403)


def test_stats_on_an_empty_deployment(
    client: testing.TestClient, admin: dict[str, str], names: IndexNames
) -> None:
    result = client.simulate_get("/v1/stats", params={"tz": "Asia/Tokyo"}, headers=admin).json
    assert result["most_popular_format"] is None
    assert result["formats"] == []
    assert result["top_cameras"] == []
    assert result["totals"] == {"images": 0, "uploads": 0}
    assert len(result["uploads_per_day"]) == 30
    assert_problem(
        client.simulate_get("/v1/stats", params={"tz": "Nowhere/Land"}, headers=admin), 400, "tz"
    )


def test_delete_image(
    client: testing.TestClient,
    admin: dict[str, str],
    new_link: Any,
    blob_store: S3BlobStore,
    redis_client: Any,
    settings: Settings,
) -> None:
    data = make_image(seed=2)
    image_id = upload_one(client, new_link()["token"], data)
    queue = f"{settings.redis_prefix}:celery:{settings.redis_prefix}.default"
    queued_before = redis_client.llen(queue)
    assert_problem(client.simulate_delete(f"/v1/images/{image_id}"), 401)
    assert client.simulate_delete(f"/v1/images/{image_id}", headers=admin).status_code == 204
    assert image_id not in set(blob_store.iter_ids())
    assert image_id not in HashIndex(redis_client, settings.redis_prefix)
    assert redis_client.llen(queue) == queued_before + 1  # the index clean-up task
    assert_problem(client.simulate_get(f"/v1/images/{image_id}"), 404)
    assert_problem(client.simulate_delete(f"/v1/images/{image_id}", headers=admin), 404)
