"""GET /v1/links (newest first, paged, with states) and link labels."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

import pytest
from falcon import testing

from inlet.settings import Settings
from inlet.stores.links import LinkStore
from tests.http import assert_problem, multipart
from tests.images import make_image

NewLink = Callable[..., dict[str, Any]]


def upload(client: testing.TestClient, token: str, *datas: bytes) -> list[str]:
    files = [("images", f"photo-{i}.png", data, "image/png") for i, data in enumerate(datas)]
    body, ctype = multipart(files)
    result = client.simulate_post(
        f"/v1/uploads/{token}", body=body, headers={"Content-Type": ctype}
    )
    assert result.status_code in (201, 207), result.text
    return [hashlib.sha256(data).hexdigest() for data in datas]


def all_pages(client: testing.TestClient, admin: dict[str, str], limit: int) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        query = f"limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        result = client.simulate_get("/v1/links", query_string=query, headers=admin)
        assert result.status_code == 200, result.text
        pages.append([link["id"] for link in result.json["links"]])
        cursor = result.json["next_cursor"]
        if cursor is None:
            return pages


def test_links_are_listed_newest_first_a_page_at_a_time(
    client: testing.TestClient, admin: dict[str, str], new_link: NewLink
) -> None:
    created = [new_link(label=f"event {n}")["id"] for n in range(5)]
    pages = all_pages(client, admin, limit=2)
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [link_id for page in pages for link_id in page] == created[::-1]


def test_a_link_whose_record_expired_drops_out_of_the_list(
    client: testing.TestClient,
    admin: dict[str, str],
    new_link: NewLink,
    redis_client: Any,
    settings: Settings,
) -> None:
    kept, gone, newest = (new_link()["id"] for _ in range(3))
    redis_client.delete(f"{settings.redis_prefix}:link:{gone}")
    assert all_pages(client, admin, limit=1) == [[newest], [kept]]
    assert all_pages(client, admin, limit=5) == [[newest, kept]]


@pytest.mark.parametrize("cursor", ["nope", "MTIz", "x" * 2000])
def test_a_foreign_cursor_is_400(
    client: testing.TestClient, admin: dict[str, str], cursor: str
) -> None:
    result = client.simulate_get("/v1/links", query_string=f"cursor={cursor}", headers=admin)
    assert_problem(result, 400, "cursor")


def test_listing_needs_an_admin(client: testing.TestClient) -> None:
    assert_problem(client.simulate_get("/v1/links"), 401)


def test_each_link_has_its_state(
    client: testing.TestClient,
    admin: dict[str, str],
    new_link: NewLink,
    redis_client: Any,
    settings: Settings,
) -> None:
    active = new_link(max_images=2)
    used_up = new_link(max_images=1)
    upload(client, used_up["token"], make_image("PNG", seed=1))
    revoked = new_link()
    assert client.simulate_delete(f"/v1/links/{revoked['id']}", headers=admin).status_code == 200
    expired = LinkStore(redis_client, settings.redis_prefix).create(int(time.time()) - 5, None)
    listed = {
        link["id"]: link for link in client.simulate_get("/v1/links", headers=admin).json["links"]
    }
    assert listed[active["id"]]["state"] == "active"
    assert listed[used_up["id"]]["state"] == "used_up"
    assert listed[used_up["id"]]["used"] == 1
    assert listed[revoked["id"]]["state"] == "revoked"
    assert listed[expired.id]["state"] == "expired"
    assert active["state"] == "active"


def test_a_label_is_trimmed_and_returned_everywhere(
    client: testing.TestClient, admin: dict[str, str], new_link: NewLink
) -> None:
    created = new_link(label="  Wedding 2026-12-05 ")
    assert created["label"] == "Wedding 2026-12-05"
    one = client.simulate_get(f"/v1/links/{created['id']}", headers=admin).json
    listed = client.simulate_get("/v1/links", headers=admin).json["links"]
    revoked = client.simulate_delete(f"/v1/links/{created['id']}", headers=admin).json
    assert one["label"] == listed[0]["label"] == revoked["label"] == "Wedding 2026-12-05"
    assert new_link()["label"] is None
    assert new_link(label="   ")["label"] is None


@pytest.mark.parametrize(
    ("label", "words"),
    [
        ("x" * 101, "at most 100"),
        ("bell\x07", "control"),
        ("line\nbreak", "control"),
        ("evil\u202etxt.exe", "control"),
        (42, "string"),
        (["a"], "string"),
    ],
)
def test_a_bad_label_is_422_naming_it(
    client: testing.TestClient, admin: dict[str, str], label: object, words: str
) -> None:
    result = client.simulate_post(
        "/v1/links", json={"expires_in": 60, "label": label}, headers=admin
    )
    doc = assert_problem(result, 422, "label", words)
    assert doc["field"] == "label"
    assert client.simulate_get("/v1/links", headers=admin).json["links"] == []


def test_a_label_of_100_characters_is_accepted(new_link: NewLink) -> None:
    assert new_link(label="é" * 100)["label"] == "é" * 100
