"""Inlet deployments for the end-to-end tests: nginx (the front proxy), gunicorn and a
Celery worker as real subprocesses in front of real servers. Each test module gets a
fresh deployment (its own bucket, key prefix and indices), so statistics start from
zero. Tests talk to the proxy, as users do (`Stack.url`); `Stack.api_url` is the API
itself, for the tests that prove it is safe without the proxy."""

from __future__ import annotations

import contextlib
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import pytest
import requests

from devstack import proxy, servers
from devstack.servers import Backends
from inlet.settings import Settings
from inlet.stores.clients import make_blob_store, make_redis
from search.client import make_client
from tasks.context import Context
from tests.conftest import TEST_SECRET
from tests.http import admin_token, bearer
from tests.support import drop_indices

T = TypeVar("T")
MAX_IMAGE_BYTES = 2 * 1024 * 1024
E2E_WORKER = "tests.e2e.worker"


@dataclass
class Stack:
    url: str
    settings: Settings
    env: dict[str, str]
    workdir: Path
    api: servers.Service
    worker: servers.Service
    proxy: servers.Service
    # More API processes and workers on the same backends (start_stack's ``replicas``).
    replicas: list[servers.Service] = field(default_factory=list)
    session: requests.Session = field(default_factory=requests.Session)

    @property
    def admin(self) -> dict[str, str]:
        return bearer(admin_token(self.settings.secret_key))

    def new_link(self, **body: Any) -> dict[str, Any]:
        body.setdefault("expires_in", 3600)
        result = self.session.post(f"{self.url}/v1/links", json=body, headers=self.admin)
        assert result.status_code == 201, result.text
        return dict(result.json())

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.session.get(f"{self.url}{path}", headers=self.admin, timeout=30, **kw)

    def context(self) -> Context:
        """Direct access to the deployment's backends, as a worker has it."""
        s = self.settings
        return Context(s, make_blob_store(s), make_client(s), make_redis(s))

    @property
    def api_url(self) -> str:
        """The API without the proxy in front."""
        return self.api.url

    def access_log(self) -> str:
        path = self.workdir / "api" / "access.log"
        return path.read_text() if path.exists() else ""

    def proxy_log(self) -> str:
        path = self.workdir / "proxy" / "access.log"
        return path.read_text() if path.exists() else ""


def eventually(
    check: Callable[[], T | Literal[False] | None], timeout: float = 30.0, interval: float = 0.2
) -> T:
    """The first truthy result of `check`; fails with the last result after `timeout`."""
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            result = check()
            last = result
            if result:
                return result
        except AssertionError as exc:
            last = exc
        if time.monotonic() > deadline:
            raise AssertionError(f"not met within {timeout}s; last: {last!r}")
        time.sleep(interval)


def public_rendition(stack: Stack, image_id: str, timeout: float = 30.0) -> str:
    """Wait until a worker has verified the image and made its public rendition (until
    then GET /v1/images/{id} answers 503 image-not-ready); its SHA-256."""
    renditions = stack.context().renditions
    return eventually(lambda: renditions.public_hash(image_id), timeout=timeout)


def started_backend(backends: Backends, name: str) -> servers.Service:
    """The backend server ``name`` ("redis", "s3", "search") that the tests started;
    the test is skipped when the environment named another one."""
    found = next((s for s in backends.started if s.name == name), None)
    if found is None:
        pytest.skip(f"{name} is not a server these tests started (its URL is set)")
    return found


@contextlib.contextmanager
def paused(service: servers.Service) -> Iterator[None]:
    """The server stalls (SIGSTOP): connections are accepted, nothing is answered."""
    service.signal(signal.SIGSTOP)
    try:
        yield
    finally:
        service.signal(signal.SIGCONT)


def start_stack(
    backends: Backends,
    *,
    search_url: str | None = None,
    extra: dict[str, str] | None = None,
    api_extra: dict[str, str] | None = None,
    proxy_body_timeout: str = "30s",
    proxy_limits: proxy.Limits = proxy.UNLIMITED,
    replicas: int = 1,
) -> Stack:
    """A deployment; ``extra`` is environment for every process, ``api_extra`` for the
    API only (e.g. a broker it cannot reach); ``replicas`` API servers (gunicorn
    masters) behind the one proxy and as many workers. The proxy's per-address limits
    are off unless ``proxy_limits`` says otherwise: most tests stand for a crowd of
    clients from one loopback address."""
    tag = f"e2e-{uuid.uuid4().hex[:8]}"
    workdir = backends.workdir / tag
    (workdir / "markers").mkdir(parents=True)
    env = servers.inlet_env(
        redis_url=backends.redis_url,
        s3_endpoint=backends.s3_endpoint,
        search_url=search_url or backends.search_url,
        extra={
            "SECRET_KEY": TEST_SECRET,
            "S3_BUCKET": tag,
            "INDEX_PREFIX": tag,
            "REDIS_PREFIX": tag,
            "MAX_IMAGE_BYTES": str(MAX_IMAGE_BYTES),
            "TASK_SOFT_TIME_LIMIT": "4",
            "TASK_TIME_LIMIT": "6",
            "RETRY_BACKOFF_MAX": "2",
            "RECONCILE_INTERVAL": "3600",
            "WEB_CONCURRENCY": "2",
            "INLET_TEST_MARKERS": str(workdir / "markers"),
            "ACCEL_REDIRECT_PREFIX": proxy.ACCEL_PREFIX,
            **(extra or {}),
        },
    )
    settings = Settings.from_env(env)
    started: list[servers.Service] = []
    try:
        apis = [
            servers.api_service({**env, **(api_extra or {})}, workdir / f"api{n or ''}").start()
            for n in range(replicas)
        ]
        started += apis
        front = proxy.proxy_service(
            workdir / "proxy",
            api_port=apis[0].port,
            more_api_ports=[a.port for a in apis[1:]],
            s3_endpoint=backends.s3_endpoint,
            body_timeout=proxy_body_timeout,
            limits=proxy_limits,
        ).start()
        started.append(front)
        for n in range(replicas):
            worker_dir = workdir / f"worker{n or ''}"
            started.append(servers.worker_service(env, worker_dir, app=E2E_WORKER).start())
    except BaseException:
        for service in reversed(started):
            service.stop()
        raise
    worker = started[replicas + 1]
    extra_services = apis[1:] + started[replicas + 2 :]
    return Stack(front.url, settings, env, workdir, apis[0], worker, front, extra_services)


def stop_stack(stack: Stack) -> None:
    stack.session.close()
    for service in (stack.worker, stack.proxy, stack.api, *stack.replicas):
        service.stop()
    settings = stack.settings
    redis = make_redis(settings)
    for key in redis.scan_iter(f"{settings.redis_prefix}:*"):
        redis.delete(key)
    store = make_blob_store(settings)
    for image_id in store.iter_ids():
        store.delete(image_id)
    with contextlib.suppress(ConnectionError):
        drop_indices(make_client(settings), settings.index_prefix)


@pytest.fixture(scope="module")
def stack(backends: Backends) -> Iterator[Stack]:
    deployment = start_stack(backends)
    try:
        yield deployment
    finally:
        stop_stack(deployment)
