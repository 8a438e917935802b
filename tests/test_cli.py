"""`python -m api token` prints only a token; `make token` agrees with `make dev`."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from devstack.servers import REPO
from inlet import tokens
from inlet.settings import DEV_SECRET_KEY

SECRET = "cli-test-secret-that-is-definitely-32-bytes"


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "ENVIRONMENT"}}
    return subprocess.run(
        [sys.executable, "-m", "api", *args],
        cwd=REPO,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_token_prints_only_an_admin_token() -> None:
    result = run("token", "--ttl", "2h", SECRET_KEY=SECRET)
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert result.stdout == token + "\n"
    claims = tokens.verify(SECRET, token, tokens.TokenKind.ADMIN)
    assert 7190 <= claims.expires_at - time.time() <= 7210


def test_make_token_without_secret_uses_the_dev_default() -> None:
    result = subprocess.run(
        ["make", "-s", "token"],  # noqa: S607 - make from PATH, as a user runs it
        cwd=REPO,
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "SECRET_KEY"},
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    tokens.verify(DEV_SECRET_KEY, result.stdout.strip(), tokens.TokenKind.ADMIN)


def test_bad_ttl_and_production_without_secret_are_refused() -> None:
    bad = run("token", "--ttl", "forever", SECRET_KEY=SECRET)
    assert bad.returncode == 2
    assert "duration" in bad.stderr
    prod = run("token", ENVIRONMENT="production")
    assert prod.returncode == 2
    assert "SECRET_KEY is required" in prod.stderr
    short = run("token", SECRET_KEY="short")
    assert short.returncode == 2
    assert "32 bytes" in short.stderr


def test_token_reads_the_secret_from_its_file(tmp_path: Path) -> None:
    # As in the api container: no SECRET_KEY, only SECRET_KEY_FILE into the secrets volume.
    secret_file = tmp_path / "secret_key"
    secret_file.write_text(SECRET)
    result = run("token", ENVIRONMENT="production", SECRET_KEY_FILE=str(secret_file))
    assert result.returncode == 0, result.stderr
    tokens.verify(SECRET, result.stdout.strip(), tokens.TokenKind.ADMIN)


def test_secrets_says_where_each_generated_secret_lives(tmp_path: Path) -> None:
    generated = tmp_path / "secrets"
    subprocess.run(
        [sys.executable, str(REPO / "docker" / "generate-secrets.py"), str(generated)],
        env={"PATH": os.environ.get("PATH", "")},
        check=True,
        capture_output=True,
        timeout=60,
    )
    result = run("secrets")
    assert result.returncode == 0, result.stderr
    for path in generated.iterdir():
        assert f"/run/secrets/{path.name} " in result.stdout
        assert path.read_text() not in result.stdout
    for login in ("Flower", "Kibana", "MinIO console"):
        assert login in result.stdout
    assert "docker compose exec elasticsearch cat /run/secrets/elastic_password" in result.stdout
    assert "docker compose exec flower cat /run/secrets/flower_password" in result.stdout
    # Kibana offers the read-only login; the superuser stays for administration.
    assert "user inlet_viewer (read-only)" in result.stdout
    assert (
        "docker compose run --rm --no-deps --entrypoint cat kibana-setup "
        "/run/secrets/kibana_viewer_password"
    ) in result.stdout
