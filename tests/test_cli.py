"""`python -m api token` prints only a token; `make token` agrees with `make dev`."""

from __future__ import annotations

import os
import subprocess
import sys
import time

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
