from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from falcon import testing

from api.app import create_app
from inlet.settings import Settings
from inlet.stores.blobstore import S3BlobStore
from search.indices import IndexNames
from tasks.context import Context
from tests.http import admin_token, bearer


@pytest.fixture
def make_client(
    settings: Settings,
    redis_client: Any,
    blob_store: S3BlobStore,
    es: Elasticsearch,
    names: IndexNames,
) -> Callable[..., testing.TestClient]:
    def build(**changes: Any) -> testing.TestClient:
        app = create_app(settings.replace(**changes), redis=redis_client, blobs=blob_store, es=es)
        return testing.TestClient(app)

    return build


@pytest.fixture
def client(make_client: Callable[..., testing.TestClient]) -> testing.TestClient:
    return make_client()


@pytest.fixture
def admin(settings: Settings) -> dict[str, str]:
    return bearer(admin_token(settings.secret_key))


@pytest.fixture
def new_link(client: testing.TestClient, admin: dict[str, str]) -> Callable[..., dict[str, Any]]:
    def create(**body: Any) -> dict[str, Any]:
        body.setdefault("expires_in", 3600)
        result = client.simulate_post("/v1/links", json=body, headers=admin)
        assert result.status_code == 201, result.text
        return dict(result.json)

    return create


@pytest.fixture
def ctx(
    settings: Settings, blob_store: S3BlobStore, es: Elasticsearch, redis_client: Any
) -> Context:
    """A worker's context, to do in a test what a worker would (make a rendition)."""
    return Context(settings=settings, blobs=blob_store, es=es, redis=redis_client)
