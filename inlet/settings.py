"""The one place where Inlet reads its configuration from the environment.

Everything else receives a :class:`Settings` instance; nothing reads ``os.environ``
at import time, so tests and tools build settings explicitly.

Secrets can also come from files, as with the official images' ``*_FILE``
convention: ``SECRET_KEY_FILE=/run/secrets/secret_key`` reads the key from that file
when ``SECRET_KEY`` itself is unset or empty (docker-compose.yml works that way).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

from inlet.settings_checks import DEV_SECRET_KEY, MAX_LINK_BYTES, ConfigError, host_port, validate

MiB = 1024 * 1024
GiB = 1024 * MiB
# The fields that may also be given as NAME_FILE, a path to a file holding the value.
SECRET_FIELDS = frozenset(
    {"secret_key", "s3_access_key", "s3_secret_key", "elasticsearch_password", "redis_password"}
)
__all__ = [
    "DEV_SECRET_KEY",
    "MAX_LINK_BYTES",
    "ConfigError",
    "Settings",
    "given",
    "parse_host_port",
    "parse_quantity",
    "with_redis_password",
]


@dataclass(frozen=True)
class Settings:
    secret_key: str = DEV_SECRET_KEY
    # Production unless told otherwise: a deployment that forgot SECRET_KEY must not start
    # with a key anyone can read in the repository.
    environment: str = "production"
    redis_url: str = "redis://127.0.0.1:6379/0"
    broker_url: str = ""
    # Redis's `requirepass`: used for REDIS_URL, and for a redis:// BROKER_URL, unless
    # the URL carries a password of its own.
    redis_password: str = ""
    s3_endpoint: str = "http://127.0.0.1:9000"
    s3_access_key: str = "minioadmin"
    s3_secret_key: str = "minioadmin"  # noqa: S105 - MinIO's own default, for local runs
    s3_region: str = "us-east-1"
    s3_bucket: str = "inlet-images"
    elasticsearch_url: str = "http://127.0.0.1:9200"
    elasticsearch_username: str = ""
    elasticsearch_password: str = ""
    index_prefix: str = "inlet"
    redis_prefix: str = "inlet"
    public_base_url: str = ""
    link_max_ttl: int = 30 * 24 * 3600
    # Longest lifetime of an admin token: `python -m api token --ttl` refuses more, and the
    # API refuses a token whose lifetime is longer (one minted with the secret elsewhere).
    admin_token_max_ttl: int = 30 * 24 * 3600
    # Quotas of a link created without max_images / max_bytes (0: no limit). A link
    # handed to a crowd is bounded unless an admin asks for more, or for none (null).
    link_default_max_images: int = 500
    link_default_max_bytes: int = 5 * GiB
    max_image_bytes: int = 50 * MiB
    max_image_pixels: int = 100_000_000
    # Frames an upload may have (refused beyond), and how many of them a worker decodes
    # to verify the image.
    max_image_frames: int = 1000
    verify_max_frames: int = 100
    # Address space of each worker pool process (0: no limit). A decoder that needs more
    # fails with MemoryError in that process alone, and the image is rejected.
    worker_memory_limit: int = 2048 * MiB
    # Deliveries of one image's verification before it is rejected (a decoder that
    # kills its process would otherwise be retried forever).
    verify_max_attempts: int = 3
    max_files_per_request: int = 100
    # Uploads one API process handles at once; more wait their turn (api/admission.py),
    # each holding a request thread, for at most upload_queue_wait seconds (0: no
    # waiting), and get 503 beyond that or when their estimated wait is longer.
    max_uploads_in_flight: int = 3
    upload_queue_wait: int = 10
    # A client may pause this long between two reads of an upload body, and take this
    # long for the whole body, before the request is dropped with nothing stored.
    upload_read_timeout: int = 30
    upload_body_deadline: int = 900
    task_soft_time_limit: int = 60
    task_time_limit: int = 90
    task_max_retries: int = 8
    reconcile_interval: int = 600
    # How often beat has upload events that no worker indexed sent again.
    outbox_replay_interval: int = 60
    # An incomplete multipart upload older than this is aborted (beat, on the reconcile
    # interval) and its parts freed: one the API left when it was killed mid-store.
    incomplete_upload_max_age: int = 24 * 3600
    # Direct uploads: a file larger than part_size is cut into parts of exactly that many
    # bytes (S3's minimum is 5 MiB; the front proxy's PROXY_MAX_PART_BODY must allow it).
    # Each part's signed URL lives upload_url_ttl seconds (asking again signs fresh ones);
    # an upload not completed within direct_upload_ttl is given up and its quota given
    # back, well before beat aborts what it left in the store.
    part_size: int = 8 * MiB
    upload_url_ttl: int = 15 * 60
    direct_upload_ttl: int = 6 * 3600
    worker_concurrency: int = 0
    retry_backoff_max: int = 600
    # Logs: "json" (one object per line) or "text" (make dev).
    log_format: str = "json"
    # host:port of the process's Prometheus endpoint (API: gunicorn's master; worker:
    # its main process); empty turns it off. Never published by compose.
    metrics_bind: str = ""
    # Shown as links in the admin console when set.
    flower_url: str = ""
    kibana_url: str = ""
    # gunicorn (api/gunicorn_conf.py builds its whole configuration from these).
    # GUNICORN_BIND, when set, is the listening address and PORT is ignored.
    port: int = 8000
    gunicorn_bind: str = ""
    web_concurrency: int = 2
    # Threads per API process: the size of its S3 connection pool and of its upload
    # waiting room (api/admission.py). Waiting threads only sleep.
    gunicorn_threads: int = 32
    # Uploads of many large images take a while on slow links.
    gunicorn_timeout: int = 300
    # Where the access log goes: "-" for standard output, or a file.
    gunicorn_access_log: str = "-"
    # The front proxy's address(es), comma-separated: only from there are X-Real-IP and
    # X-Forwarded-* believed (compose: nginx's fixed address; make dev, the tests: loopback).
    forwarded_allow_ips: str = "127.0.0.1"
    # Where each API or worker pool process writes its metric samples; empty: the API
    # makes a temporary directory, the worker exports no task metrics.
    prometheus_multiproc_dir: str = ""
    # The front proxy's internal location for image bytes (docker/nginx/inlet.conf.template).
    # Set (compose, make dev, the end-to-end tests), the API only decides whether an image
    # is served and hands the proxy a signed GET of the object (X-Accel-Redirect); empty,
    # the API streams the bytes itself (no proxy in front).
    accel_redirect_prefix: str = ""

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @property
    def bind(self) -> str:
        """gunicorn's listening address: GUNICORN_BIND, else every interface on PORT."""
        return self.gunicorn_bind or f"0.0.0.0:{self.port}"

    @property
    def celery_broker_url(self) -> str:
        return with_redis_password(self.broker_url or self.redis_url, self.redis_password)

    def replace(self, **changes: object) -> Settings:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for field in dataclasses.fields(cls):
            raw = _raw_value(env, field.name)
            if raw is None:
                continue
            if field.type == "int":
                try:
                    values[field.name] = parse_quantity(raw)
                except ValueError:
                    raise ConfigError(
                        f"{field.name.upper()} must be an integer, got {raw!r}"
                    ) from None
            else:
                values[field.name] = raw
        settings = cls(**values)  # type: ignore[arg-type]
        settings.validate(secret_given="secret_key" in values)
        return settings

    def validate(self, *, secret_given: bool = True) -> None:
        """:class:`ConfigError` naming the variable, for the first value refused
        (:mod:`inlet.settings_checks`)."""
        validate(self, secret_given=secret_given)


def given(name: str, environ: Mapping[str, str] | None = None) -> bool:
    """Whether the environment sets ``name`` (non-empty), rather than leaving its default:
    the admin commands write only to a Redis someone named."""
    env = os.environ if environ is None else environ
    return bool(env.get(name))


def parse_host_port(text: str) -> tuple[str, int]:
    """``"0.0.0.0:9100"`` as ``("0.0.0.0", 9100)``; ``METRICS_BIND`` is validated."""
    parsed = host_port(text)
    if parsed is None:
        raise ConfigError(f"expected host:port, got {text!r}")
    return parsed


def with_redis_password(url: str, password: str) -> str:
    """``url`` with ``password`` in it, for a redis:// or rediss:// URL that has none
    (Celery and kombu take credentials from the URL only)."""
    parts = urlsplit(url)
    if not password or parts.scheme not in ("redis", "rediss") or "@" in parts.netloc:
        return url
    netloc = f":{quote(password, safe='')}@{parts.netloc}"
    return urlunsplit(parts._replace(netloc=netloc))


def _raw_value(env: Mapping[str, str], field_name: str) -> str | None:
    """NAME's value; for a secret field, else the contents of the file NAME_FILE names."""
    name = field_name.upper()
    raw = env.get(name)
    if raw:
        return raw
    path = env.get(f"{name}_FILE") if field_name in SECRET_FIELDS else None
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            value = handle.read().strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ConfigError(f"{name}_FILE: cannot read {path}: {reason}") from None
    if not value:
        raise ConfigError(f"{name}_FILE: {path} is empty")
    return value


def parse_quantity(raw: str) -> int:
    """Integers with an optional size or duration suffix: 50MiB, 30d, 48h."""
    text = raw.strip().replace("_", "")
    units = {
        "KiB": 1024,
        "MiB": MiB,
        "GiB": 1024 * MiB,
        "s": 1,
        "m": 60,
        "h": 3600,
        "d": 86400,
    }
    for suffix, factor in units.items():
        if text.endswith(suffix) and text[: -len(suffix)].isdigit():
            return int(text[: -len(suffix)]) * factor
    return int(text)
