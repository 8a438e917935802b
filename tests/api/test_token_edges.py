"""JWT edge cases over HTTP: tokens signed with the deployment's own key, each one
field away from a good one, are refused with 401 by admin endpoints and upload links."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from falcon import testing

from inlet import tokens
from inlet.settings import Settings
from inlet.stores.blobstore import S3BlobStore
from tests.http import assert_problem, bearer, edge_tokens, multipart, signed_jwt, token_claims
from tests.images import make_image

EDGES = sorted(edge_tokens("k" * 64, tokens.TokenKind.ADMIN, "admin"))
NewLink = Callable[..., dict[str, Any]]


def good(settings: Settings, kind: tokens.TokenKind, subject: str) -> str:
    header = {"alg": "HS256", "typ": kind.typ}
    return signed_jwt(settings.secret_key, header, token_claims(kind, subject))


def upload(client: testing.TestClient, token: str, seed: int) -> testing.Result:
    body, ctype = multipart([("images", "a.png", make_image("PNG", seed=seed), "image/png")])
    return client.simulate_post(f"/v1/uploads/{token}", body=body, headers={"Content-Type": ctype})


def test_the_control_tokens_open_the_api(
    client: testing.TestClient, settings: Settings, new_link: NewLink
) -> None:
    # Made as the edge cases are, without the edge: the refusals below are theirs.
    admin = good(settings, tokens.TokenKind.ADMIN, "admin")
    assert client.simulate_get("/v1/stats", headers=bearer(admin)).status_code == 200
    link = new_link()
    assert upload(client, good(settings, tokens.TokenKind.LINK, link["id"]), 60).status_code == 201


@pytest.mark.parametrize("edge", EDGES)
def test_admin_endpoints_refuse_the_edge_cases(
    client: testing.TestClient, settings: Settings, edge: str
) -> None:
    token = edge_tokens(settings.secret_key, tokens.TokenKind.ADMIN, "admin")[edge]
    result = client.simulate_get("/v1/stats", headers=bearer(token))
    assert_problem(result, 401, "invalid admin token")
    assert result.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("edge", EDGES)
def test_upload_links_refuse_the_edge_cases(
    client: testing.TestClient,
    settings: Settings,
    new_link: NewLink,
    blob_store: S3BlobStore,
    admin: dict[str, str],
    edge: str,
) -> None:
    link = new_link()
    token = edge_tokens(settings.secret_key, tokens.TokenKind.LINK, link["id"])[edge]
    assert_problem(upload(client, token, 61), 401, "invalid upload link")
    assert set(blob_store.iter_ids()) == set()
    assert client.simulate_get(f"/v1/links/{link['id']}", headers=admin).json["used"] == 0
