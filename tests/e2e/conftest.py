"""One Inlet deployment for the end-to-end tests: gunicorn and a Celery worker as
real subprocesses, in front of the session's real servers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from devstack import servers
from inlet.clients import make_blob_store, make_redis
from inlet.settings import Settings
from tests.conftest import TEST_SECRET, Backends
from tests.http import admin_token, bearer

MAX_IMAGE_BYTES = 2 * 1024 * 1024


@dataclass
class Stack:
    url: str
    settings: Settings
    env: dict[str, str]
    workdir: Path
    api: servers.Service
    worker: servers.Service | None
    session: requests.Session

    @property
    def admin(self) -> dict[str, str]:
        return bearer(admin_token(self.settings.secret_key))

    def new_link(self, **body: Any) -> dict[str, Any]:
        body.setdefault("expires_in", 3600)
        result = self.session.post(f"{self.url}/v1/links", json=body, headers=self.admin)
        assert result.status_code == 201, result.text
        return dict(result.json())

    def access_log(self) -> str:
        path = self.workdir / "api" / "access.log"
        return path.read_text() if path.exists() else ""


@pytest.fixture(scope="session")
def stack(backends: Backends) -> Iterator[Stack]:
    tag = f"e2e-{uuid.uuid4().hex[:8]}"
    extra = {
        "SECRET_KEY": TEST_SECRET,
        "S3_BUCKET": tag,
        "INDEX_PREFIX": tag,
        "REDIS_PREFIX": tag,
        "MAX_IMAGE_BYTES": str(MAX_IMAGE_BYTES),
        "TASK_SOFT_TIME_LIMIT": "10",
        "TASK_TIME_LIMIT": "15",
        "RECONCILE_INTERVAL": "5",
        "WEB_CONCURRENCY": "2",
    }
    env = servers.inlet_env(
        redis_url=backends.redis_url,
        s3_endpoint=backends.s3_endpoint,
        search_url=backends.search_url,
        extra=extra,
    )
    settings = Settings.from_env(env)
    workdir = backends.workdir / tag
    api = servers.api_service(env, workdir / "api").start()
    session = requests.Session()
    try:
        yield Stack(api.url, settings, env, workdir, api, None, session)
    finally:
        session.close()
        api.stop()
        redis = make_redis(settings)
        for key in redis.scan_iter(f"{tag}:*"):
            redis.delete(key)
        store = make_blob_store(settings)
        for image_id in store.iter_ids():
            store.delete(image_id)
