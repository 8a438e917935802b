"""GET /v1/uploads/check: the answer an upload with this token would get, before any body."""

from __future__ import annotations

from typing import Any

from falcon import testing

from tests.http import assert_problem


def check(client: testing.TestClient, token: str | None) -> testing.Result:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.simulate_get("/v1/uploads/check", headers=headers)


def test_a_live_link_may_upload(client: testing.TestClient, new_link: Any) -> None:
    answer = check(client, new_link()["token"])
    assert answer.status_code == 204
    assert answer.content == b""


def test_the_same_refusals_as_an_upload(
    client: testing.TestClient, new_link: Any, admin: dict[str, str]
) -> None:
    assert_problem(check(client, None), 401, "token")
    assert_problem(check(client, "not-a-token"), 401, "invalid upload link")
    forbidden = client.simulate_get("/v1/uploads/check", headers=admin)
    assert assert_problem(forbidden, 403)["type"].endswith("/forbidden")
    link = new_link()
    assert client.simulate_delete(f"/v1/links/{link['id']}", headers=admin).status_code == 200
    revoked = assert_problem(check(client, link["token"]), 410, "revoked")
    assert revoked["type"].endswith("/link-revoked")
