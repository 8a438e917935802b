"""Real servers, started once per test session on free loopback ports.

`REDIS_URL`, `S3_ENDPOINT` and `ELASTICSEARCH_URL` in the environment replace the
stand-ins (for example with the compose stack). Each test gets its own Redis key
prefix, bucket and index prefix, so tests never see each other's data.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from devstack import servers
from devstack.servers import Backends
from inlet.settings import Settings
from inlet.stores.blobstore import S3BlobStore
from inlet.stores.clients import make_blob_store, make_redis
from search.client import make_client
from search.indices import IndexNames, ensure_indices
from tests.support import drop_indices

TEST_SECRET = "test-secret-key-that-is-long-enough-for-hs256"


def pytest_configure(config: pytest.Config) -> None:
    # Production is the default; the suite is development, said here once for the
    # modules it imports and every process it starts (tests of production set it).
    os.environ["ENVIRONMENT"] = "development"


@pytest.fixture(scope="session")
def backends(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backends]:
    started = servers.start_backends(tmp_path_factory.mktemp("servers"))
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def settings(backends: Backends) -> Settings:
    tag = uuid.uuid4().hex[:10]
    return Settings(
        secret_key=TEST_SECRET,
        redis_url=backends.redis_url,
        s3_endpoint=backends.s3_endpoint,
        s3_access_key=os.environ.get("S3_ACCESS_KEY", "testing"),
        s3_secret_key=os.environ.get("S3_SECRET_KEY", "testing"),
        s3_bucket=f"test-{tag}",
        elasticsearch_url=backends.search_url,
        elasticsearch_username=os.environ.get("ELASTICSEARCH_USERNAME", ""),
        elasticsearch_password=os.environ.get("ELASTICSEARCH_PASSWORD", ""),
        index_prefix=f"test-{tag}",
        redis_prefix=f"test-{tag}",
    )


@pytest.fixture
def redis_client(settings: Settings) -> Iterator[Any]:
    client = make_redis(settings)
    yield client
    for key in client.scan_iter(f"{settings.redis_prefix}:*"):
        client.delete(key)
    client.close()


@pytest.fixture
def blob_store(settings: Settings) -> S3BlobStore:
    store = make_blob_store(settings)
    store.ensure_bucket()
    return store


@pytest.fixture
def es(settings: Settings) -> Iterator[Elasticsearch]:
    client = make_client(settings)
    yield client
    client.close()


@pytest.fixture
def names(es: Elasticsearch, settings: Settings) -> Iterator[IndexNames]:
    yield ensure_indices(es, settings.index_prefix)
    drop_indices(es, settings.index_prefix)
