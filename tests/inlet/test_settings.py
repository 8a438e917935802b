from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from inlet.settings import DEV_SECRET_KEY, ConfigError, Settings, parse_quantity

SECRET = "s" * 32


def test_production_is_the_default_and_needs_a_secret() -> None:
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({})
    message = str(refused.value)
    # It says how to fix it: the variables, the length, and the way out for development.
    for words in (
        "SECRET_KEY is required",
        "SECRET_KEY_FILE",
        "32 bytes",
        "ENVIRONMENT=development",
    ):
        assert words in message
    assert Settings.from_env({"SECRET_KEY": SECRET}).production


def test_development_falls_back_to_the_development_key() -> None:
    settings = Settings.from_env({"ENVIRONMENT": "development"})
    assert settings.secret_key == DEV_SECRET_KEY
    assert not settings.production


def test_defaults_with_a_secret() -> None:
    settings = Settings.from_env({"SECRET_KEY": SECRET})
    assert settings.max_image_bytes == 50 * 1024 * 1024
    assert settings.admin_token_max_ttl == 30 * 86400
    assert settings.link_max_ttl == 30 * 86400
    assert settings.celery_broker_url == settings.redis_url


def test_values_and_suffixes_are_parsed() -> None:
    settings = Settings.from_env(
        {
            "SECRET_KEY": SECRET,
            "MAX_IMAGE_BYTES": "5MiB",
            "LINK_MAX_TTL": "48h",
            "ADMIN_TOKEN_MAX_TTL": "7d",
            "BROKER_URL": "redis://broker/1",
            "S3_BUCKET": "photos",
            "MAX_FILES_PER_REQUEST": "",
        }
    )
    assert settings.max_image_bytes == 5 * 1024 * 1024
    assert settings.link_max_ttl == 48 * 3600
    assert settings.admin_token_max_ttl == 7 * 86400
    assert settings.celery_broker_url == "redis://broker/1"
    assert settings.s3_bucket == "photos"
    assert settings.max_files_per_request == 100  # empty means the default


def test_link_quota_defaults_are_500_images_and_5_gib_and_0_turns_them_off() -> None:
    shipped = Settings.from_env({"SECRET_KEY": SECRET})
    assert (shipped.link_default_max_images, shipped.link_default_max_bytes) == (500, 5 << 30)
    given = Settings.from_env(
        {"SECRET_KEY": SECRET, "LINK_DEFAULT_MAX_IMAGES": "0", "LINK_DEFAULT_MAX_BYTES": "200MiB"}
    )
    assert (given.link_default_max_images, given.link_default_max_bytes) == (0, 200 << 20)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ENVIRONMENT": "production"}, "SECRET_KEY is required"),
        ({}, "SECRET_KEY is required"),
        ({"ENVIRONMENT": "production", "SECRET_KEY": DEV_SECRET_KEY}, "development default"),
        ({"SECRET_KEY": "short"}, "at least 32 bytes"),
        ({"MAX_IMAGE_BYTES": "lots"}, "MAX_IMAGE_BYTES must be an integer"),
        ({"SECRET_KEY": SECRET, "MAX_IMAGE_BYTES": "0"}, "MAX_IMAGE_BYTES must be positive"),
        ({"SECRET_KEY": SECRET, "ADMIN_TOKEN_MAX_TTL": "0"}, "ADMIN_TOKEN_MAX_TTL must be"),
        ({"SECRET_KEY": SECRET, "ADMIN_TOKEN_MAX_TTL": "a month"}, "ADMIN_TOKEN_MAX_TTL must"),
        (
            {"SECRET_KEY": SECRET, "UPLOAD_QUEUE_WAIT": "-1"},
            "UPLOAD_QUEUE_WAIT must not be negative",
        ),
        ({"ENVIRONMENT": "staging"}, "ENVIRONMENT"),
        ({"SECRET_KEY": SECRET, "FLOWER_URL": "javascript:alert(1)"}, "FLOWER_URL must be"),
        ({"SECRET_KEY": SECRET, "KIBANA_URL": "kibana:5601"}, "KIBANA_URL must be an http"),
        (
            {"SECRET_KEY": SECRET, "LINK_DEFAULT_MAX_IMAGES": "-1"},
            "LINK_DEFAULT_MAX_IMAGES must not be negative",
        ),
        (
            {"SECRET_KEY": SECRET, "LINK_DEFAULT_MAX_IMAGES": "many"},
            "LINK_DEFAULT_MAX_IMAGES must be an integer",
        ),
        (
            {"SECRET_KEY": SECRET, "LINK_DEFAULT_MAX_BYTES": "-1"},
            "LINK_DEFAULT_MAX_BYTES must be between 0",
        ),
        (
            {"SECRET_KEY": SECRET, "LINK_DEFAULT_MAX_BYTES": str(2**50 + 1)},
            "LINK_DEFAULT_MAX_BYTES must be between",
        ),
        (
            {"SECRET_KEY": SECRET, "LINK_DEFAULT_MAX_BYTES": "5GB"},
            "LINK_DEFAULT_MAX_BYTES must be an integer",
        ),
    ],
)
def test_bad_configuration_is_refused_with_the_variable_named(
    env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


@pytest.mark.parametrize(
    ("raw", "value"),
    [("10", 10), ("1_000", 1000), ("2KiB", 2048), ("1GiB", 1 << 30), ("90m", 5400), ("7d", 604800)],
)
def test_parse_quantity(raw: str, value: int) -> None:
    assert parse_quantity(raw) == value


def test_secrets_are_read_from_name_file(tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text(SECRET + "\n")
    (tmp_path / "s3").write_text("s3-secret")
    (tmp_path / "es").write_text("  es-password  ")
    settings = Settings.from_env(
        {
            "ENVIRONMENT": "production",
            "SECRET_KEY_FILE": str(tmp_path / "secret_key"),
            "S3_SECRET_KEY_FILE": str(tmp_path / "s3"),
            "ELASTICSEARCH_PASSWORD_FILE": str(tmp_path / "es"),
        }
    )
    # Surrounding whitespace (the newline editors add) is not part of a secret.
    assert settings.secret_key == SECRET
    assert settings.s3_secret_key == "s3-secret"
    assert settings.elasticsearch_password == "es-password"


def test_a_value_in_the_environment_wins_over_its_file(tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text("f" * 40)
    settings = Settings.from_env(
        {"SECRET_KEY": SECRET, "SECRET_KEY_FILE": str(tmp_path / "secret_key")}
    )
    assert settings.secret_key == SECRET
    empty = Settings.from_env({"SECRET_KEY": "", "SECRET_KEY_FILE": str(tmp_path / "secret_key")})
    assert empty.secret_key == "f" * 40


def test_only_secret_fields_read_files(tmp_path: Path) -> None:
    (tmp_path / "bucket").write_text("from-a-file")
    settings = Settings.from_env({"SECRET_KEY": SECRET, "S3_BUCKET_FILE": str(tmp_path / "bucket")})
    assert settings.s3_bucket == "inlet-images"


def test_an_unreadable_or_empty_secret_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"SECRET_KEY_FILE: cannot read .*missing"):
        Settings.from_env({"SECRET_KEY_FILE": str(tmp_path / "missing")})
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(ConfigError, match=r"S3_SECRET_KEY_FILE: .* is empty"):
        Settings.from_env({"S3_SECRET_KEY_FILE": str(tmp_path / "empty")})


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TASK_SOFT_TIME_LIMIT": "0"}, "TASK_SOFT_TIME_LIMIT must be positive, got 0"),
        ({"TASK_TIME_LIMIT": "0"}, "TASK_TIME_LIMIT must be positive, got 0"),
        (
            {"TASK_SOFT_TIME_LIMIT": "2m", "TASK_TIME_LIMIT": "90"},
            r"TASK_SOFT_TIME_LIMIT \(120\) must be less than TASK_TIME_LIMIT \(90\)",
        ),
        (
            {"TASK_SOFT_TIME_LIMIT": "90", "TASK_TIME_LIMIT": "90"},
            r"TASK_SOFT_TIME_LIMIT \(90\) must be less than TASK_TIME_LIMIT \(90\)",
        ),
        ({"TASK_MAX_RETRIES": "-1"}, "TASK_MAX_RETRIES must not be negative, got -1"),
        ({"RETRY_BACKOFF_MAX": "0"}, "RETRY_BACKOFF_MAX must be positive"),
        ({"RECONCILE_INTERVAL": "0"}, "RECONCILE_INTERVAL must be positive"),
        ({"RECONCILE_INTERVAL": "-10m"}, "RECONCILE_INTERVAL must be an integer"),
        ({"OUTBOX_REPLAY_INTERVAL": "0"}, "OUTBOX_REPLAY_INTERVAL must be positive"),
        ({"WORKER_MEMORY_LIMIT": "-1"}, "WORKER_MEMORY_LIMIT must not be negative"),
        ({"WORKER_CONCURRENCY": "-2"}, "WORKER_CONCURRENCY must not be negative"),
        ({"PORT": "0"}, "PORT must be between 1 and 65535"),
        ({"PORT": "70000"}, "PORT must be between 1 and 65535"),
        ({"PORT": "http"}, "PORT must be an integer"),
        ({"WEB_CONCURRENCY": "0"}, "WEB_CONCURRENCY must be positive"),
        ({"GUNICORN_THREADS": "0"}, "GUNICORN_THREADS must be positive"),
        ({"GUNICORN_TIMEOUT": "0"}, "GUNICORN_TIMEOUT must be positive"),
        ({"GUNICORN_BIND": "8000"}, "GUNICORN_BIND must be host:port"),
        ({"FORWARDED_ALLOW_IPS": " "}, "FORWARDED_ALLOW_IPS must name"),
    ],
)
def test_durations_and_limits_are_refused_with_the_variable_named(
    env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({"SECRET_KEY": SECRET, **env})


def test_retries_may_be_turned_off_and_limits_set_in_minutes() -> None:
    settings = Settings.from_env(
        {
            "SECRET_KEY": SECRET,
            "TASK_MAX_RETRIES": "0",
            "TASK_SOFT_TIME_LIMIT": "4m",
            "TASK_TIME_LIMIT": "5m",
            "RECONCILE_INTERVAL": "1h",
        }
    )
    assert (settings.task_max_retries, settings.task_soft_time_limit) == (0, 240)
    assert (settings.task_time_limit, settings.reconcile_interval) == (300, 3600)


def test_gunicorn_listens_on_port_unless_a_bind_is_given() -> None:
    assert Settings.from_env({"SECRET_KEY": SECRET}).bind == "0.0.0.0:8000"
    assert Settings.from_env({"SECRET_KEY": SECRET, "PORT": "8080"}).bind == "0.0.0.0:8080"
    named = Settings.from_env({"SECRET_KEY": SECRET, "PORT": "8080", "GUNICORN_BIND": "[::1]:81"})
    assert named.bind == "[::1]:81"


INT_FIELDS = [f.name for f in dataclasses.fields(Settings) if f.type == "int"]


@pytest.mark.parametrize("name", INT_FIELDS)
def test_every_number_is_bounded_and_a_refusal_names_it(name: str) -> None:
    variable = name.upper()
    with pytest.raises(ConfigError, match=rf"^{variable} must"):
        Settings.from_env({"SECRET_KEY": SECRET, variable: "-1"})


def test_direct_uploads_default_to_8_mib_parts_and_take_sizes_and_durations() -> None:
    default = Settings.from_env({"SECRET_KEY": SECRET})
    assert (default.part_size, default.upload_url_ttl, default.direct_upload_ttl) == (
        8 * 1024 * 1024,
        900,
        6 * 3600,
    )
    given = Settings.from_env({"SECRET_KEY": SECRET, "PART_SIZE": "5MiB", "UPLOAD_URL_TTL": "5m"})
    assert (given.part_size, given.upload_url_ttl) == (5 * 1024 * 1024, 300)


def test_a_part_below_the_s3_minimum_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"^PART_SIZE must be at least 5242880 bytes"):
        Settings.from_env({"SECRET_KEY": SECRET, "PART_SIZE": "4MiB"})


def test_a_direct_upload_must_give_up_before_beat_aborts_what_it_left() -> None:
    env = {"SECRET_KEY": SECRET, "DIRECT_UPLOAD_TTL": "24h", "INCOMPLETE_UPLOAD_MAX_AGE": "24h"}
    with pytest.raises(
        ConfigError,
        match=r"^DIRECT_UPLOAD_TTL \(86400\) must be less than INCOMPLETE_UPLOAD_MAX_AGE",
    ):
        Settings.from_env(env)
