"""Servers for the benchmarks: the backends, and Inlet deployments in front of them.

The backends are the test suite's real servers (redis-server, moto_server,
osmem-server) on free loopback ports, or the ones named by `REDIS_URL`,
`S3_ENDPOINT` and `ELASTICSEARCH_URL` (e.g. the compose stack). Each deployment has
its own bucket, Redis prefix (hence its own Celery queue) and index prefix, and is
removed afterwards, so a run leaves a shared stack as it found it.
"""

from __future__ import annotations

import contextlib
import secrets
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from minio import Minio
from minio.deleteobjects import DeleteObject

from devstack import proxy, servers
from devstack.servers import Backends
from inlet import tokens
from inlet.blobs import key_for
from inlet.settings import Settings
from inlet.stores.clients import make_blob_store, make_redis
from inlet.stores.keys import Keys
from search.client import make_client
from tests.support import drop_indices

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class ServerConfig:
    """How gunicorn runs: worker class, processes and threads per process."""

    worker_class: str = "gthread"
    workers: int = 2
    threads: int = 32

    @property
    def label(self) -> str:
        if self.worker_class == "sync":
            return f"sync {self.workers}"
        return f"{self.worker_class} {self.workers}x{self.threads}"

    @classmethod
    def parse(cls, text: str) -> ServerConfig:
        """`gthread:2x4` or `sync:4`."""
        kind, _, shape = text.partition(":")
        if kind == "sync":
            return cls("sync", int(shape), 1)
        workers, _, threads = shape.partition("x")
        return cls(kind, int(workers), int(threads or 1))


def start_backends(workdir: Path) -> Backends:
    """The servers named in the environment, else fresh ones like the tests start."""
    backends = servers.start_backends(workdir)
    for url in (backends.redis_url, backends.s3_endpoint, backends.search_url):
        if urlsplit(url).hostname not in LOOPBACK:
            backends.stop()
            raise ValueError(f"benchmarks run against loopback servers only, not {url}")
    return backends


def gunicorn_service(
    env: Mapping[str, str], workdir: Path, config: ServerConfig, app: str, name: str
) -> servers.Service:
    """gunicorn as `api_service` runs it, with the worker class and counts of `config`.

    Command-line flags override `api.gunicorn_conf` (whose worker class is fixed), so
    Inlet and the floor app run under exactly the same settings.
    """
    port = servers.free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    env = {
        **env,
        "WEB_CONCURRENCY": str(config.workers),
        "GUNICORN_THREADS": str(config.threads),
    }
    argv = [
        servers.find_binary("gunicorn"),
        "--config", "python:api.gunicorn_conf",
        "--bind", f"127.0.0.1:{port}",
        "--worker-class", config.worker_class,
        "--workers", str(config.workers),
        "--threads", str(config.threads),
        "--access-logfile", str(workdir / "access.log"),
        app,
    ]  # fmt: skip
    return servers.Service(
        name,
        argv,
        port,
        env=env,
        log_path=workdir / f"{name}.log",
        ready=servers.http_ok("/healthz"),
    )


@dataclass
class Deployment:
    """One Inlet deployment's configuration: bucket, prefixes, secret."""

    tag: str
    env: dict[str, str]
    settings: Settings
    workdir: Path
    services: list[servers.Service] = field(default_factory=list)
    _floor_keys: list[str] = field(default_factory=list)
    _session: requests.Session = field(default_factory=requests.Session)
    _s3: Minio | None = None

    @property
    def admin(self) -> dict[str, str]:
        token = tokens.issue(
            self.settings.secret_key, tokens.TokenKind.ADMIN, "bench", int(time.time()) + 3600
        )
        return {"Authorization": f"Bearer {token}"}

    def start(self, service: servers.Service) -> servers.Service:
        self.services.append(service.start(timeout=60))
        return service

    def stop(self, service: servers.Service) -> None:
        service.stop()
        if service in self.services:
            self.services.remove(service)

    def api(
        self,
        config: ServerConfig,
        extra: Mapping[str, str] | None = None,
        app: str = "api.wsgi:app",
    ) -> servers.Service:
        env = {**self.env, **(extra or {})}
        return self.start(gunicorn_service(env, self.workdir / "api", config, app, "api"))

    def proxied_api(
        self,
        config: ServerConfig,
        app: str = "api.wsgi:app",
        extra: Mapping[str, str] | None = None,
    ) -> tuple[servers.Service, servers.Service]:
        """The API as users meet it: nginx in front (devstack/proxy.py), image bytes
        served by nginx from the store or its cache. Returns (api, proxy)."""
        env = {"ACCEL_REDIRECT_PREFIX": proxy.ACCEL_PREFIX, **(extra or {})}
        api = self.api(config, env, app)
        front = proxy.proxy_service(
            self.workdir / "proxy",
            api_port=api.port,
            s3_endpoint=self.settings.s3_endpoint,
            # Every P4 round's images (about 480 MB) stay cached for its hit round.
            cache_max_size="4g",
            # As the official image's `worker_processes auto` on this 2-core machine.
            workers=2,
            # One loopback address stands for every client of a round.
            limits=proxy.UNLIMITED,
        )
        return api, self.start(front)

    def floor_app(self, config: ServerConfig) -> servers.Service:
        return self.start(
            gunicorn_service(
                self.env, self.workdir / "floor", config, "bench.floor_app:app", "floor"
            )
        )

    def worker(self) -> servers.Service:
        return self.start(servers.worker_service(self.env, self.workdir / "worker"))

    def new_link(self, api: servers.Service) -> str:
        """An upload link without a quota; returns its token."""
        body = {"expires_in": 3600, "max_images": None, "max_bytes": None}
        resp = self._session.post(f"{api.url}/v1/links", json=body, headers=self.admin, timeout=30)
        resp.raise_for_status()
        return str(resp.json()["token"])

    def stats(self, api: servers.Service) -> dict[str, Any]:
        resp = self._session.get(f"{api.url}/v1/stats", headers=self.admin, timeout=30)
        resp.raise_for_status()
        return dict(resp.json())

    def s3(self) -> Minio:
        """A minio client of this deployment's S3 server, for setup and floors."""
        if self._s3 is None:
            self._s3 = make_blob_store(self.settings).client
        return self._s3

    def presigned(self, method: str, key: str) -> str:
        """A path+query for the S3 server itself, so the load generator needs no SDK.

        ``method``: "put_object" or "get_object"."""
        verb = {"put_object": "PUT", "get_object": "GET"}[method]
        url = self.s3().get_presigned_url(
            method=verb,
            bucket_name=self.settings.s3_bucket,
            object_name=key,
            expires=timedelta(hours=1),
        )
        parts = urlsplit(url)
        return f"{parts.path}?{parts.query}"

    def floor_key(self, name: str) -> str:
        key = f"bench-floor/{name}"
        self._floor_keys.append(key)
        return key

    def object_key(self, image_id: str) -> str:
        return key_for(image_id)

    def delete_floor_objects(self) -> None:
        keys, self._floor_keys = self._floor_keys, []
        _delete_objects(self.s3(), self.settings.s3_bucket, keys)

    def close(self) -> None:
        """Stop this deployment's processes and remove everything it stored."""
        for service in reversed(self.services):
            service.stop()
        self.services.clear()
        self._session.close()
        with contextlib.suppress(Exception):
            self.delete_floor_objects()
        _remove_data(self.settings)


def new_deployment(
    backends: Backends, name: str, extra: Mapping[str, str] | None = None
) -> Deployment:
    tag = f"bench-{name}-{uuid.uuid4().hex[:6]}"
    env = servers.inlet_env(
        redis_url=backends.redis_url,
        s3_endpoint=backends.s3_endpoint,
        search_url=backends.search_url,
        extra={
            "ENVIRONMENT": "development",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "S3_BUCKET": tag,
            "INDEX_PREFIX": tag,
            "REDIS_PREFIX": tag,
            # No reconcile pass may start in the middle of a measurement.
            "RECONCILE_INTERVAL": "3600",
            **(extra or {}),
        },
    )
    return Deployment(tag, env, Settings.from_env(env), backends.workdir / tag)


@contextlib.contextmanager
def deployment(
    backends: Backends, name: str, extra: Mapping[str, str] | None = None
) -> Iterator[Deployment]:
    deployed = new_deployment(backends, name, extra)
    try:
        yield deployed
    finally:
        deployed.close()


def _remove_data(settings: Settings) -> None:
    """Redis keys under the prefix (links, hashes, the Celery queue), bucket, indices."""
    with contextlib.suppress(Exception):
        redis = make_redis(settings)
        for key in redis.scan_iter(Keys(settings.redis_prefix).everything(), count=1000):
            redis.delete(key)
        redis.close()
    with contextlib.suppress(Exception):
        client = make_blob_store(settings).client
        listed = client.list_objects(bucket_name=settings.s3_bucket, recursive=True)
        _delete_objects(client, settings.s3_bucket, [o.object_name or "" for o in listed])
        client.remove_bucket(bucket_name=settings.s3_bucket)
    with contextlib.suppress(Exception):
        drop_indices(make_client(settings), settings.index_prefix)


def _delete_objects(client: Minio, bucket: str, keys: list[str]) -> None:
    """Multi-object deletes; minio's answer is a lazy iterator of failures, drained here."""
    failures = client.remove_objects(
        bucket_name=bucket, delete_object_list=[DeleteObject(name=k) for k in keys if k]
    )
    for failure in failures:
        raise RuntimeError(f"could not delete {failure.name}: {failure.message}")
