"""`python -m api token|tokens|revoke`: named admin tokens, recorded in the deployment's
Redis and withdrawn there; `make token` only ever targets a running `make dev`."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from devstack import stackfile
from devstack import token as devstack_token
from devstack.servers import REPO, Backends, free_port
from inlet import tokens

SECRET = "cli-test-secret-that-is-definitely-32-bytes"


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "ENVIRONMENT", "REDIS_URL", "REDIS_PREFIX"}
    }
    return subprocess.run(
        [sys.executable, "-m", "api", *args],
        cwd=REPO,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def deployment(backends: Backends) -> Iterator[dict[str, str]]:
    """The environment of a deployment on the test Redis, in a key prefix of its own."""
    prefix = f"cli-{uuid.uuid4().hex[:8]}"
    yield {"SECRET_KEY": SECRET, "REDIS_URL": backends.redis_url, "REDIS_PREFIX": prefix}
    client = redis.Redis.from_url(backends.redis_url)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()


def test_token_prints_only_an_admin_token_named_and_recorded(deployment: dict[str, str]) -> None:
    result = run("token", "--name", "alice", "--ttl", "2h", **deployment)
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert result.stdout == token + "\n"
    claims = tokens.verify(SECRET, token, tokens.TokenKind.ADMIN)
    assert claims.subject == "alice"
    assert 7190 <= claims.expires_at - time.time() <= 7210
    assert claims.token_id in result.stderr
    assert token not in result.stderr
    listed = run("tokens", **deployment)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split("\n")[0].split() == ["NAME", "ID", "EXPIRES", "REVOKED"]
    row = listed.stdout.split("\n")[1].split()
    assert row[:2] == ["alice", claims.token_id]
    assert row[3] == "no"
    assert token not in listed.stdout


def test_the_default_lifetime_is_48_hours(deployment: dict[str, str]) -> None:
    result = run("token", "--name", "alice", **deployment)
    assert result.returncode == 0, result.stderr
    claims = tokens.verify(SECRET, result.stdout.strip(), tokens.TokenKind.ADMIN)
    assert abs(claims.expires_at - time.time() - 48 * 3600) <= 10


@pytest.mark.parametrize(("ttl", "max_ttl"), [("400d", None), ("31d", None), ("2h", "1h")])
def test_a_lifetime_beyond_admin_token_max_ttl_is_refused(
    deployment: dict[str, str], ttl: str, max_ttl: str | None
) -> None:
    extra = {"ADMIN_TOKEN_MAX_TTL": max_ttl} if max_ttl else {}
    result = run("token", "--name", "alice", "--ttl", ttl, **deployment, **extra)
    assert result.returncode == 2
    assert "ADMIN_TOKEN_MAX_TTL" in result.stderr
    assert result.stdout == ""
    assert "alice" not in run("tokens", **deployment).stdout


def test_revoke_by_id_and_by_name(deployment: dict[str, str]) -> None:
    minted = [run("token", "--name", who, **deployment).stdout.strip() for who in ("a", "a", "b")]
    ids = [tokens.verify(SECRET, t, tokens.TokenKind.ADMIN).token_id for t in minted]
    by_id = run("revoke", ids[0], **deployment)
    assert by_id.returncode == 0, by_id.stderr
    assert ids[0] in by_id.stdout
    revoked = _revoked_column(run("tokens", **deployment).stdout)
    assert revoked == {ids[0]: "yes", ids[1]: "no", ids[2]: "no"}
    by_name = run("revoke", "a", **deployment)
    assert by_name.returncode == 0, by_name.stderr
    assert "every other token of a" in by_name.stdout
    revoked = _revoked_column(run("tokens", **deployment).stdout)
    assert revoked == {ids[0]: "yes", ids[1]: "yes", ids[2]: "no"}
    nonsense = run("revoke", "not a name", **deployment)
    assert nonsense.returncode == 2
    assert "neither a token id nor an admin name" in nonsense.stderr


def _revoked_column(listing: str) -> dict[str, str]:
    rows = [line.split() for line in listing.splitlines()[1:]]
    return {row[1]: row[3] for row in rows}


def test_a_name_is_required_and_checked(deployment: dict[str, str]) -> None:
    missing = run("token", **deployment)
    assert missing.returncode == 2
    assert "--name" in missing.stderr
    for bad in ("alice smith", "x" * 65, "0123456789abcdef0123456789abcdef"):
        refused = run("token", "--name", bad, **deployment)
        assert refused.returncode == 2, bad
        assert "admin name" in refused.stderr
        assert refused.stdout == ""


def test_without_redis_url_nothing_is_minted() -> None:
    # Never the Redis of the default URL (127.0.0.1:6379), which nobody named.
    for command in (("token", "--name", "alice"), ("tokens",), ("revoke", "alice")):
        result = run(*command, SECRET_KEY=SECRET)
        assert result.returncode == 2
        assert "REDIS_URL" in result.stderr
        assert result.stdout == ""


def test_an_unreachable_redis_mints_nothing() -> None:
    result = run(
        "token",
        "--name",
        "alice",
        SECRET_KEY=SECRET,
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
    )
    assert result.returncode == 1
    assert "cannot reach Redis" in result.stderr
    assert result.stdout == ""


def test_bad_ttl_and_production_without_secret_are_refused(deployment: dict[str, str]) -> None:
    bad = run("token", "--name", "alice", "--ttl", "forever", **deployment)
    assert bad.returncode == 2
    assert "duration" in bad.stderr
    no_secret = {k: v for k, v in deployment.items() if k != "SECRET_KEY"}
    prod = run("token", "--name", "alice", **no_secret)
    assert prod.returncode == 2
    assert "SECRET_KEY is required" in prod.stderr
    short = run("token", "--name", "alice", **{**deployment, "SECRET_KEY": "short"})
    assert short.returncode == 2
    assert "32 bytes" in short.stderr


def test_make_token_without_a_running_make_dev_says_to_start_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(stackfile, "STACK_FILE", tmp_path / "stack.env")
    for name in ("REDIS_URL", "SECRET_KEY", "SECRET_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    assert devstack_token.main(["--name", "dev", "--ttl", "48h"]) == 1
    assert "make dev" in capsys.readouterr().err
    # A file left by a make dev that was killed names a process that is gone.
    stackfile.write(
        {
            "ENVIRONMENT": "development",
            "REDIS_URL": "redis://x",
            "REDIS_PREFIX": "p",
            "SECRET_KEY": SECRET,
        },
        tmp_path / "stack.env",
    )
    text = (tmp_path / "stack.env").read_text()
    assert stackfile.read(tmp_path / "stack.env") is not None
    (tmp_path / "stack.env").write_text(text.replace(f"DEV_PID={os.getpid()}", "DEV_PID=999999999"))
    assert stackfile.read(tmp_path / "stack.env") is None
    assert devstack_token.main(["--name", "dev"]) == 1


def test_the_stack_file_is_private_and_removed_by_its_owner(tmp_path: Path) -> None:
    path = tmp_path / "stack.env"
    facts = {
        "ENVIRONMENT": "development",
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "REDIS_PREFIX": "p",
        "SECRET_KEY": SECRET,
    }
    stackfile.write(facts, path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert stackfile.read(path) == facts
    stackfile.remove(path)
    assert not path.exists()


def test_token_reads_the_secret_from_its_file(tmp_path: Path, deployment: dict[str, str]) -> None:
    # As in the api container: no SECRET_KEY, only SECRET_KEY_FILE into the secrets volume.
    secret_file = tmp_path / "secret_key"
    secret_file.write_text(SECRET)
    env = {k: v for k, v in deployment.items() if k != "SECRET_KEY"}
    result = run(
        "token",
        "--name",
        "alice",
        ENVIRONMENT="production",
        SECRET_KEY_FILE=str(secret_file),
        **env,
    )
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
    result = run("secrets", ENVIRONMENT="development")
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
