"""Real servers, started once per test session on free loopback ports.

`REDIS_URL`, `S3_ENDPOINT` and `ELASTICSEARCH_URL` in the environment replace the
stand-ins (for example with the compose stack). Each test gets its own Redis key
prefix, bucket and index prefix, so tests never see each other's data.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from devstack import servers
from inlet.blobstore import S3BlobStore
from inlet.clients import make_blob_store, make_redis
from inlet.settings import Settings
from search.client import make_client
from search.indices import IndexNames, drop_indices, ensure_indices

TEST_SECRET = "test-secret-key-that-is-long-enough-for-hs256"


@dataclass
class Backends:
    redis_url: str
    s3_endpoint: str
    search_url: str
    workdir: Path
    search: servers.Service | None


@pytest.fixture(scope="session")
def backends(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backends]:
    workdir = tmp_path_factory.mktemp("servers")
    started: list[servers.Service] = []

    def start(service: servers.Service) -> servers.Service:
        started.append(service.start())
        return service

    redis_url = os.environ.get("REDIS_URL") or ""
    if not redis_url:
        redis_url = f"redis://127.0.0.1:{start(servers.redis_service(workdir / 'redis')).port}/0"
    s3_endpoint = os.environ.get("S3_ENDPOINT") or ""
    if not s3_endpoint:
        s3_endpoint = start(servers.s3_service(workdir / "s3")).url
    search_url = os.environ.get("ELASTICSEARCH_URL") or ""
    search = None
    if not search_url:
        search = start(servers.search_service(workdir / "search"))
        search_url = search.url
    try:
        yield Backends(redis_url, s3_endpoint, search_url, workdir, search)
    finally:
        for service in reversed(started):
            service.stop()


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
