"""Admin tokens the API refuses: revoked, too long-lived, badly named; and a Redis
that cannot say whether a token was revoked refuses too (503), never accepts."""

from __future__ import annotations

import time
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from falcon import testing

from api.app import create_app
from devstack.servers import free_port
from inlet import tokens
from inlet.settings import Settings
from inlet.stores.admin_tokens import AdminTokens
from inlet.stores.blobstore import S3BlobStore
from inlet.stores.clients import make_redis
from tests.http import assert_problem, bearer

ADMIN_PATHS = ["/v1/links", "/v1/stats", "/v1/images", "/v1/failures", "/v1/console"]


@pytest.fixture
def store(redis_client: Any, settings: Settings) -> AdminTokens:
    return AdminTokens(redis_client, settings.redis_prefix, settings.admin_token_max_ttl)


def test_a_revoked_token_is_refused_at_once_on_every_admin_endpoint(
    client: testing.TestClient,
    store: AdminTokens,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    token, record = store.mint(settings.secret_key, "alice", 3600)
    other, _ = store.mint(settings.secret_key, "bob", 3600)
    assert client.simulate_get("/v1/links", headers=bearer(token)).status_code == 200
    store.revoke(record.token_id)
    for path in ADMIN_PATHS:
        doc = assert_problem(client.simulate_get(path, headers=bearer(token)), 401, "revoked")
        assert doc["type"].endswith("/unauthorized")
    refused = client.simulate_delete("/v1/images/" + "a" * 64, headers=bearer(token))
    assert_problem(refused, 401, "revoked")
    assert refused.headers["www-authenticate"].startswith("Bearer")
    assert client.simulate_get("/v1/links", headers=bearer(other)).status_code == 200
    # Each refusal is logged with the admin's name and the token's id, never the token.
    assert f"revoked admin token of alice (id {record.token_id})" in caplog.text
    assert token not in caplog.text


def test_a_token_living_longer_than_the_maximum_is_refused(
    client: testing.TestClient, settings: Settings
) -> None:
    now = int(time.time())
    long_lived = tokens.issue(
        settings.secret_key, tokens.TokenKind.ADMIN, "alice", now + 31 * 86400
    )
    result = client.simulate_get("/v1/links", headers=bearer(long_lived))
    assert_problem(result, 401, "ADMIN_TOKEN_MAX_TTL")
    within = tokens.issue(settings.secret_key, tokens.TokenKind.ADMIN, "alice", now + 29 * 86400)
    assert client.simulate_get("/v1/links", headers=bearer(within)).status_code == 200


def test_a_token_whose_name_is_not_an_admin_name_is_refused(
    client: testing.TestClient, settings: Settings
) -> None:
    odd = tokens.issue(
        settings.secret_key, tokens.TokenKind.ADMIN, "alice\nstatus=200", int(time.time()) + 60
    )
    assert_problem(client.simulate_get("/v1/links", headers=bearer(odd)), 401, "name")


def test_when_redis_cannot_answer_admin_requests_get_503_never_acceptance(
    settings: Settings, blob_store: S3BlobStore, es: Elasticsearch, store: AdminTokens
) -> None:
    token, _ = store.mint(settings.secret_key, "alice", 3600)
    dead = settings.replace(redis_url=f"redis://127.0.0.1:{free_port()}/0")
    client = testing.TestClient(create_app(dead, redis=make_redis(dead), blobs=blob_store, es=es))
    result = client.simulate_get("/v1/console", headers=bearer(token))
    assert_problem(result, 503)
    assert result.headers["retry-after"]
