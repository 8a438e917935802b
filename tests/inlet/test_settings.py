from __future__ import annotations

import pytest

from inlet.settings import DEV_SECRET_KEY, ConfigError, Settings, parse_quantity

SECRET = "s" * 32


def test_defaults_without_environment() -> None:
    settings = Settings.from_env({})
    assert settings.secret_key == DEV_SECRET_KEY
    assert settings.max_image_bytes == 50 * 1024 * 1024
    assert settings.link_max_ttl == 30 * 86400
    assert settings.celery_broker_url == settings.redis_url


def test_values_and_suffixes_are_parsed() -> None:
    settings = Settings.from_env(
        {
            "SECRET_KEY": SECRET,
            "MAX_IMAGE_BYTES": "5MiB",
            "LINK_MAX_TTL": "48h",
            "BROKER_URL": "redis://broker/1",
            "S3_BUCKET": "photos",
            "MAX_FILES_PER_REQUEST": "",
        }
    )
    assert settings.max_image_bytes == 5 * 1024 * 1024
    assert settings.link_max_ttl == 48 * 3600
    assert settings.celery_broker_url == "redis://broker/1"
    assert settings.s3_bucket == "photos"
    assert settings.max_files_per_request == 100  # empty means the default


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ENVIRONMENT": "production"}, "SECRET_KEY is required"),
        ({"ENVIRONMENT": "production", "SECRET_KEY": DEV_SECRET_KEY}, "development default"),
        ({"SECRET_KEY": "short"}, "at least 32 bytes"),
        ({"MAX_IMAGE_BYTES": "lots"}, "MAX_IMAGE_BYTES must be an integer"),
        ({"MAX_IMAGE_BYTES": "0"}, "MAX_IMAGE_BYTES must be positive"),
        ({"ENVIRONMENT": "staging"}, "ENVIRONMENT"),
        ({"FLOWER_URL": "javascript:alert(1)"}, "FLOWER_URL must be an http"),
        ({"KIBANA_URL": "kibana:5601"}, "KIBANA_URL must be an http"),
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
