"""Build the backend clients from settings. Entry points call these; domain code
receives the clients ready-made."""

from __future__ import annotations

from typing import Any

import redis

from inlet.settings import Settings
from inlet.stores.blobstore import S3BlobStore, make_s3_client


def make_redis(settings: Settings) -> Any:
    return redis.Redis.from_url(
        settings.redis_url,
        # A password in REDIS_URL itself wins (redis-py lets the URL's options win).
        password=settings.redis_password or None,
        socket_connect_timeout=2,
        socket_timeout=5,  # a stalled Redis costs a request seconds, then 503
        health_check_interval=30,
        decode_responses=True,
    )


def make_blob_store(settings: Settings, *, pool: int | None = None) -> S3BlobStore:
    """``pool``: S3 connections kept open, one per thread that uses the store (by
    default the API's threads per process)."""
    client = make_s3_client(
        endpoint=settings.s3_endpoint,
        access_key=settings.s3_access_key,
        secret_key=settings.s3_secret_key,
        region=settings.s3_region,
        pool=pool or settings.gunicorn_threads,
    )
    return S3BlobStore(client=client, bucket=settings.s3_bucket)
