from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from falcon import testing

from inlet import tokens
from inlet.settings import Settings
from tests.http import admin_token, assert_problem, bearer


def test_create_link_returns_an_absolute_upload_url_and_a_link_token(
    client: testing.TestClient, admin: dict[str, str], settings: Settings
) -> None:
    before = int(time.time())
    result = client.simulate_post(
        "/v1/links", json={"expires_in": 600, "max_images": 3}, headers=admin
    )
    assert result.status_code == 201
    body = result.json
    assert body["url"] == f"http://falconframework.org/v1/uploads/{body['token']}"
    assert body["max_images"] == 3
    expires = datetime.fromisoformat(body["expires_at"]).timestamp()
    assert before + 600 <= expires <= time.time() + 601
    claims = tokens.verify(settings.secret_key, body["token"], tokens.TokenKind.LINK)
    assert claims.subject == body["id"]
    assert result.headers["location"] == f"/v1/links/{body['id']}"


def test_public_base_url_is_honoured(make_client: Any, admin: dict[str, str]) -> None:
    client = make_client(public_base_url="https://img.example.com/")
    result = client.simulate_post("/v1/links", json={"expires_in": 60}, headers=admin)
    assert result.json["url"].startswith("https://img.example.com/v1/uploads/")


def test_expires_at_in_rfc3339(client: testing.TestClient, admin: dict[str, str]) -> None:
    when = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    result = client.simulate_post(
        "/v1/links", json={"expires_at": when.isoformat().replace("+00:00", "Z")}, headers=admin
    )
    assert result.status_code == 201
    assert result.json["expires_at"] == when.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_link_without_quotas_gets_the_default_ones_and_null_asks_for_none(
    make_client: Any, admin: dict[str, str]
) -> None:
    client = make_client(link_default_max_images=7, link_default_max_bytes=3 * 1024 * 1024)
    plain = client.simulate_post("/v1/links", json={"expires_in": 60}, headers=admin).json
    assert (plain["max_images"], plain["max_bytes"]) == (7, 3 * 1024 * 1024)
    assert (plain["used"], plain["used_bytes"]) == (0, 0)
    unlimited = client.simulate_post(
        "/v1/links", json={"expires_in": 60, "max_images": None, "max_bytes": None}, headers=admin
    ).json
    assert (unlimited["max_images"], unlimited["max_bytes"]) == (None, None)
    stored = client.simulate_get(f"/v1/links/{unlimited['id']}", headers=admin).json
    assert (stored["max_images"], stored["max_bytes"], stored["state"]) == (None, None, "active")
    given = client.simulate_post(
        "/v1/links", json={"expires_in": 60, "max_bytes": 1000}, headers=admin
    ).json
    assert (given["max_images"], given["max_bytes"]) == (7, 1000)
    off = make_client(link_default_max_images=0, link_default_max_bytes=0)
    none = off.simulate_post("/v1/links", json={"expires_in": 60}, headers=admin).json
    assert (none["max_images"], none["max_bytes"]) == (None, None)


def test_the_shipped_defaults_are_500_images_and_5_gib(
    client: testing.TestClient, admin: dict[str, str]
) -> None:
    link = client.simulate_post("/v1/links", json={"expires_in": 60}, headers=admin).json
    assert (link["max_images"], link["max_bytes"]) == (500, 5 * 1024**3)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "expires_in"),
        ({"expires_in": 60, "expires_at": "2999-01-01T00:00:00Z"}, "expires_in"),
        ({"expires_in": 0}, "expires_in"),
        ({"expires_in": "60"}, "expires_in"),
        ({"expires_in": True}, "expires_in"),
        ({"expires_in": 10**9}, "expires_in"),
        ({"expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
        ({"expires_at": "next tuesday"}, "expires_at"),
        ({"expires_at": "2999-01-01T00:00:00"}, "expires_at"),
        ({"expires_in": 60, "max_images": 0}, "max_images"),
        ({"expires_in": 60, "max_images": 2.5}, "max_images"),
        ({"expires_in": 60, "max_bytes": 0}, "max_bytes"),
        ({"expires_in": 60, "max_bytes": -5}, "max_bytes"),
        ({"expires_in": 60, "max_bytes": "5GiB"}, "max_bytes"),
        ({"expires_in": 60, "max_bytes": 1.5}, "max_bytes"),
        ({"expires_in": 60, "max_bytes": False}, "max_bytes"),
        ({"expires_in": 60, "max_bytes": 2**50 + 1}, "max_bytes"),
        ({"expires_in": 60, "colour": "red"}, "colour"),
    ],
)
def test_invalid_link_requests_name_the_field(
    client: testing.TestClient, admin: dict[str, str], body: dict[str, Any], field: str
) -> None:
    result = client.simulate_post("/v1/links", json=body, headers=admin)
    doc = assert_problem(result, 422, field)
    assert doc["field"] == field


def test_malformed_json_is_a_400(client: testing.TestClient, admin: dict[str, str]) -> None:
    result = client.simulate_post(
        "/v1/links",
        body=b'{"expires_in": 60',
        headers={**admin, "Content-Type": "application/json"},
    )
    assert_problem(result, 400)


def test_json_that_is_not_an_object_is_refused(
    client: testing.TestClient, admin: dict[str, str]
) -> None:
    assert_problem(client.simulate_post("/v1/links", json=[1], headers=admin), 422, "object")


def test_admin_token_is_required(client: testing.TestClient, settings: Settings) -> None:
    result = client.simulate_post("/v1/links", json={"expires_in": 60})
    assert_problem(result, 401)
    assert result.headers["www-authenticate"].startswith("Bearer")
    garbage = client.simulate_post("/v1/links", json={"expires_in": 60}, headers=bearer("nope"))
    assert_problem(garbage, 401)
    basic = client.simulate_post(
        "/v1/links", json={"expires_in": 60}, headers={"Authorization": "Basic YTpi"}
    )
    assert_problem(basic, 401, "Bearer")


def test_expired_and_tampered_admin_tokens_are_refused(
    client: testing.TestClient, settings: Settings
) -> None:
    expired = tokens.issue(
        settings.secret_key, tokens.TokenKind.ADMIN, "admin", int(time.time()) - 60
    )
    assert_problem(client.simulate_get("/v1/links/x", headers=bearer(expired)), 401, "expired")
    forged = admin_token("another-secret-that-is-also-long-enough-32")
    assert_problem(client.simulate_get("/v1/links/x", headers=bearer(forged)), 401)
    good = admin_token(settings.secret_key)
    header, payload, signature = good.split(".")
    tampered = f"{header}.{payload}.{signature[:-4]}AAAA"
    assert_problem(client.simulate_get("/v1/links/x", headers=bearer(tampered)), 401)


def test_link_token_is_not_an_admin_token(client: testing.TestClient, new_link: Any) -> None:
    link = new_link()
    result = client.simulate_post(
        "/v1/links", json={"expires_in": 60}, headers=bearer(link["token"])
    )
    assert_problem(result, 403)


def test_get_and_revoke_a_link(
    client: testing.TestClient, admin: dict[str, str], new_link: Any
) -> None:
    link = new_link(max_images=5)
    state = client.simulate_get(f"/v1/links/{link['id']}", headers=admin).json
    assert state["used"] == 0
    assert state["max_images"] == 5
    assert state["revoked"] is False
    assert state["expires_at"] == link["expires_at"]
    revoked = client.simulate_delete(f"/v1/links/{link['id']}", headers=admin)
    assert revoked.status_code == 200
    assert revoked.json["revoked"] is True
    assert client.simulate_get(f"/v1/links/{link['id']}", headers=admin).json["revoked"] is True


def test_unknown_link_is_404(client: testing.TestClient, admin: dict[str, str]) -> None:
    assert_problem(client.simulate_get("/v1/links/nope", headers=admin), 404)
    assert_problem(client.simulate_delete("/v1/links/nope", headers=admin), 404)


@pytest.mark.parametrize(
    "query",
    ["token={admin}", "access_token=abc", "q={admin}", "TOKEN=x"],
)
def test_tokens_in_query_strings_are_refused(
    client: testing.TestClient, admin: dict[str, str], query: str
) -> None:
    jwt = admin["Authorization"].removeprefix("Bearer ")
    result = client.simulate_get("/v1/stats", query_string=query.format(admin=jwt))
    assert_problem(result, 400, "Authorization: Bearer")
    upload = client.simulate_post("/v1/uploads", query_string=query.format(admin=jwt))
    assert_problem(upload, 400, "query string")
