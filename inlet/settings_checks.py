"""The rules a :class:`~inlet.settings.Settings` must satisfy before anything starts.

Each refusal names the variable to change, and what it accepts, so a deployment that
set a limit to 0 or a soft limit above its hard one hears about it at start, from the
process that would have misbehaved, instead of finding out from a stuck queue.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from inlet.settings import Settings

log = logging.getLogger("inlet.settings")

# S3's smallest part of a multipart upload (all but the last).
MIN_PART_SIZE = 5 * 1024 * 1024

# Used only with ENVIRONMENT=development and no SECRET_KEY (a quick local run); production,
# the default, refuses to start without a key of its own.
DEV_SECRET_KEY = "inlet-development-secret-key-not-for-production-use"  # noqa: S105 - refused in production
MIN_SECRET_BYTES = 32
# The largest byte quota a link may have: 1 PiB, beyond any store Inlet would fill and
# well inside the integers Redis and its Lua scripts count exactly.
MAX_LINK_BYTES = 1 << 50

MISSING_SECRET = (
    "SECRET_KEY is required when ENVIRONMENT=production (the default): set SECRET_KEY to "
    f"a random string of at least {MIN_SECRET_BYTES} bytes (for example the output of "
    "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`), or SECRET_KEY_FILE "
    "to a file holding one; for a local development run set ENVIRONMENT=development"
)

# Limits and durations that must be at least 1: a 0 would refuse every upload, spin a
# schedule or kill every task at once.
POSITIVE = (
    "link_max_ttl",
    "incomplete_upload_max_age",
    "upload_url_ttl",
    "direct_upload_ttl",
    "admin_token_max_ttl",
    "max_image_bytes",
    "max_image_pixels",
    "max_image_frames",
    "verify_max_frames",
    "verify_max_attempts",
    "max_files_per_request",
    "max_uploads_in_flight",
    "upload_read_timeout",
    "upload_body_deadline",
    "task_soft_time_limit",
    "task_time_limit",
    "retry_backoff_max",
    "reconcile_interval",
    "outbox_replay_interval",
    "web_concurrency",
    "gunicorn_threads",
    "gunicorn_timeout",
)
# Where 0 means "none" (no retries, no waiting) or "no limit" / "one per CPU".
NON_NEGATIVE = (
    "task_max_retries",
    "upload_queue_wait",
    "worker_concurrency",
    "worker_memory_limit",
)


class ConfigError(ValueError):
    """The environment does not describe a usable configuration."""


def validate(settings: Settings, *, secret_given: bool) -> None:
    """Raise :class:`ConfigError` naming the first variable whose value is refused."""
    _check_secret(settings, secret_given=secret_given)
    _check_bounds(settings)
    _check_observability(settings)
    _check_front(settings)
    _check_urls(settings)
    _check_link_defaults(settings)
    _check_direct(settings)
    if not secret_given:
        log.warning("SECRET_KEY is not set: using the development default")


def _check_secret(settings: Settings, *, secret_given: bool) -> None:
    if settings.environment not in ("development", "production"):
        raise ConfigError("ENVIRONMENT must be 'development' or 'production'")
    if settings.production and not secret_given:
        raise ConfigError(MISSING_SECRET)
    if len(settings.secret_key.encode()) < MIN_SECRET_BYTES:
        raise ConfigError(f"SECRET_KEY must be at least {MIN_SECRET_BYTES} bytes")
    if settings.production and settings.secret_key == DEV_SECRET_KEY:
        raise ConfigError("SECRET_KEY must not be the development default in production")


def _check_bounds(settings: Settings) -> None:
    for name in POSITIVE:
        value = getattr(settings, name)
        if value < 1:
            raise ConfigError(f"{name.upper()} must be positive, got {value}")
    for name in NON_NEGATIVE:
        value = getattr(settings, name)
        if value < 0:
            raise ConfigError(f"{name.upper()} must not be negative, got {value}")
    soft, hard = settings.task_soft_time_limit, settings.task_time_limit
    if soft >= hard:
        # The soft limit is the task's chance to stop cleanly; at or past the hard one,
        # the process is killed first and the task never hears it.
        raise ConfigError(
            f"TASK_SOFT_TIME_LIMIT ({soft}) must be less than TASK_TIME_LIMIT ({hard})"
        )
    if not 1 <= settings.port <= 65535:
        raise ConfigError(f"PORT must be between 1 and 65535, got {settings.port}")


def _check_observability(settings: Settings) -> None:
    if settings.log_format not in ("json", "text"):
        raise ConfigError("LOG_FORMAT must be 'json' or 'text'")
    if settings.metrics_bind and not host_port(settings.metrics_bind):
        raise ConfigError(f"METRICS_BIND must be host:port, got {settings.metrics_bind!r}")


def _check_front(settings: Settings) -> None:
    if settings.gunicorn_bind and not host_port(settings.gunicorn_bind):
        raise ConfigError(f"GUNICORN_BIND must be host:port, got {settings.gunicorn_bind!r}")
    if not settings.forwarded_allow_ips.strip():
        raise ConfigError("FORWARDED_ALLOW_IPS must name at least one address or network")
    prefix = settings.accel_redirect_prefix
    if prefix and (not prefix.startswith("/") or prefix.endswith("/") or " " in prefix):
        raise ConfigError("ACCEL_REDIRECT_PREFIX must be a path like /_store, or empty")


def _check_link_defaults(settings: Settings) -> None:
    if settings.link_default_max_images < 0:
        raise ConfigError("LINK_DEFAULT_MAX_IMAGES must not be negative (0: no limit)")
    if not 0 <= settings.link_default_max_bytes <= MAX_LINK_BYTES:
        raise ConfigError(
            f"LINK_DEFAULT_MAX_BYTES must be between 0 (no limit) and {MAX_LINK_BYTES} bytes"
        )


def _check_direct(settings: Settings) -> None:
    if settings.part_size < MIN_PART_SIZE:
        raise ConfigError(
            f"PART_SIZE must be at least {MIN_PART_SIZE} bytes (5MiB, the S3 minimum), "
            f"got {settings.part_size}"
        )
    ttl, age = settings.direct_upload_ttl, settings.incomplete_upload_max_age
    if ttl >= age:
        # Beat would abort the store's upload while its reservation still stands.
        raise ConfigError(
            f"DIRECT_UPLOAD_TTL ({ttl}) must be less than INCOMPLETE_UPLOAD_MAX_AGE ({age})"
        )


def _check_urls(settings: Settings) -> None:
    # They become links in the admin console: only web addresses, never javascript:.
    for name in ("flower_url", "kibana_url"):
        value = getattr(settings, name)
        if value and not value.lower().startswith(("http://", "https://")):
            raise ConfigError(f"{name.upper()} must be an http:// or https:// URL")


def host_port(text: str) -> tuple[str, int] | None:
    """``"0.0.0.0:9100"`` as ``("0.0.0.0", 9100)``; None when it is not host:port."""
    host, _, port = text.rpartition(":")
    return (host, int(port)) if host and port.isdigit() else None
