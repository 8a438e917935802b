"""REDIS_PASSWORD against a real redis-server started with --requirepass (compose's
Redis requires one): the API's client and Celery's broker both authenticate."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from kombu.exceptions import OperationalError
from kombu.utils.url import url_to_parts

from devstack.servers import Service, find_redis_server, free_port
from inlet.settings import Settings, with_redis_password
from inlet.stores.clients import make_redis
from tasks.celery_app import create_celery
from tests.conftest import TEST_SECRET

# Characters a password chosen in .env may hold, which a URL must escape.
PASSWORD = "p@ss:w/rd#" + secrets.token_urlsafe(16)


@pytest.fixture(scope="module")
def protected_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("redis-auth")
    port = free_port()
    argv = [
        find_redis_server(),
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--save", "",
        "--appendonly", "no",
        "--dir", str(workdir),
        "--requirepass", PASSWORD,
    ]  # fmt: skip
    service = Service("redis-auth", argv, port, log_path=workdir / "redis.log").start()
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        service.stop()


def _settings(url: str, password: str) -> Settings:
    prefix = f"test-{secrets.token_hex(4)}"
    return Settings(
        secret_key=TEST_SECRET, redis_url=url, redis_password=password, redis_prefix=prefix
    )


def test_the_api_client_authenticates(protected_redis: str) -> None:
    client = make_redis(_settings(protected_redis, PASSWORD))
    try:
        assert client.ping()
        client.set("test-auth:key", "value")
        assert client.get("test-auth:key") == "value"
        client.delete("test-auth:key")
    finally:
        client.close()


def test_without_the_password_redis_refuses(protected_redis: str) -> None:
    for password in ("", "wrong-password"):
        client = make_redis(_settings(protected_redis, password))
        with pytest.raises((redis.AuthenticationError, redis.ResponseError)):
            client.ping()
        client.close()


def test_celery_sends_through_the_protected_broker(protected_redis: str) -> None:
    settings = _settings(protected_redis, PASSWORD)
    app = create_celery(settings)
    # The password is in the broker URL Celery connects with, never in what it shows.
    assert PASSWORD not in app.connection_for_write().as_uri()
    app.send_task("inlet.test.noop", args=["x"])
    queue = f"{settings.redis_prefix}:celery:{settings.redis_prefix}.default"
    client = make_redis(settings)
    try:
        assert client.llen(queue) == 1
        client.delete(queue)
    finally:
        client.close()


def test_celery_without_the_password_cannot_send(protected_redis: str) -> None:
    app = create_celery(_settings(protected_redis, "wrong-password"))
    connection = app.connection_for_write()
    try:
        with pytest.raises(OperationalError) as refused:
            connection.ensure_connection(max_retries=1)
        assert isinstance(refused.value.__cause__, redis.AuthenticationError)
    finally:
        connection.release()


def test_the_password_comes_from_its_file(tmp_path: Path, protected_redis: str) -> None:
    (tmp_path / "redis_password").write_text(PASSWORD + "\n")
    settings = Settings.from_env(
        {
            "SECRET_KEY": TEST_SECRET,
            "REDIS_URL": protected_redis,
            "REDIS_PASSWORD_FILE": str(tmp_path / "redis_password"),
        }
    )
    assert settings.redis_password == PASSWORD
    client = make_redis(settings)
    try:
        assert client.ping()
    finally:
        client.close()


@pytest.mark.parametrize(
    ("url", "password"),
    [
        # Escaped in the URL, and read back whole by kombu (Celery's transport).
        ("redis://redis:6379/0", PASSWORD),
        ("rediss://cache.example:6380/1", PASSWORD),
        # A URL with its own credentials, or another broker, is left alone.
        ("redis://:own@redis:6379/0", "own"),
        ("amqp://guest@rabbit//", None),
    ],
)
def test_the_broker_url_gets_the_password(url: str, password: str | None) -> None:
    with_password = with_redis_password(url, PASSWORD)
    parts, original = url_to_parts(with_password), url_to_parts(url)
    assert parts.password == password
    assert (parts.hostname, parts.port, parts.path) == (
        original.hostname,
        original.port,
        original.path,
    )
    settings = Settings(secret_key=TEST_SECRET, broker_url=url, redis_password=PASSWORD)
    assert settings.celery_broker_url == with_password


def test_no_password_changes_no_url() -> None:
    assert Settings(secret_key=TEST_SECRET).celery_broker_url == "redis://127.0.0.1:6379/0"
