"""Admin tokens over HTTP through the proxy: minted by the command line against the
deployment's Redis, accepted, then revoked by the command line and refused (401) at once
on every admin endpoint; the access log names the admin, never the token. And the
processes refuse to start without a secret in production, the default."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest
import requests

from devstack import servers
from devstack.servers import REPO, Backends
from tests.e2e.conftest import Stack, eventually
from tests.http import bearer

pytestmark = pytest.mark.e2e

ADMIN_GETS = ["/v1/links", "/v1/stats", "/v1/images", "/v1/failures", "/v1/console"]


def cli(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m api`` with the deployment's own environment, as in its container."""
    return subprocess.run(
        [sys.executable, "-m", "api", *args],
        cwd=REPO,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_mint_use_revoke_refused_everywhere_at_once(stack: Stack) -> None:
    minted = cli(stack, "token", "--name", "alice", "--ttl", "1h")
    assert minted.returncode == 0, minted.stderr
    token = minted.stdout.strip()
    colleague = cli(stack, "token", "--name", "bob").stdout.strip()
    for path in ADMIN_GETS:
        answer = requests.get(f"{stack.url}{path}", headers=bearer(token), timeout=30)
        assert answer.status_code == 200, (path, answer.text)

    revoked = cli(stack, "revoke", "alice")
    assert revoked.returncode == 0, revoked.stderr
    for path in ADMIN_GETS:
        answer = requests.get(f"{stack.url}{path}", headers=bearer(token), timeout=30)
        assert answer.status_code == 401, (path, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert "revoked" in answer.json()["detail"]
    created = requests.post(
        f"{stack.url}/v1/links", json={"expires_in": 60}, headers=bearer(token), timeout=30
    )
    assert created.status_code == 401
    # Another admin's token is untouched.
    other = requests.get(f"{stack.url}/v1/links", headers=bearer(colleague), timeout=30)
    assert other.status_code == 200
    listing = cli(stack, "tokens").stdout
    assert {tuple(line.split()[::3]) for line in listing.splitlines()[1:]} == {
        ("alice", "yes"),
        ("bob", "no"),
    }


def test_ttl_of_400_days_is_refused(stack: Stack) -> None:
    result = cli(stack, "token", "--name", "carol", "--ttl", "400d")
    assert result.returncode == 2
    assert "ADMIN_TOKEN_MAX_TTL" in result.stderr
    assert result.stdout == ""


def test_the_access_log_names_the_admin_never_the_token(stack: Stack) -> None:
    token = cli(stack, "token", "--name", "dana@example.org").stdout.strip()
    rid = f"admin-log-{uuid.uuid4().hex[:8]}"
    headers = {**bearer(token), "X-Request-ID": rid}
    assert requests.get(f"{stack.url}/v1/links", headers=headers, timeout=30).status_code == 200

    def logged() -> list[dict[str, object]]:
        return [json.loads(line) for line in stack.access_log().splitlines() if rid in line]

    line = eventually(logged)[0]
    assert line["admin"] == "dana@example.org"
    assert isinstance(line["admin_token_id"], str)
    assert len(line["admin_token_id"]) == 32
    assert token not in stack.access_log()
    assert token not in stack.api.tail(2000)
    anonymous = eventually(
        lambda: [x for x in map(json.loads, stack.access_log().splitlines()) if x["admin"] is None]
    )
    assert anonymous  # link holders and anonymous requests carry no admin


@pytest.mark.parametrize("process", ["api", "worker", "beat"])
@pytest.mark.parametrize("environment", [None, "production"])
def test_without_a_secret_production_refuses_to_start(
    backends: Backends, process: str, environment: str | None
) -> None:
    env = servers.inlet_env(
        redis_url=backends.redis_url,
        s3_endpoint=backends.s3_endpoint,
        search_url=backends.search_url,
        extra={"GUNICORN_BIND": f"127.0.0.1:{servers.free_port()}"},
    )
    for name in ("SECRET_KEY", "SECRET_KEY_FILE", "ENVIRONMENT"):
        env.pop(name, None)
    if environment:
        env["ENVIRONMENT"] = environment
    result = subprocess.run(
        servers.command(process),
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "SECRET_KEY is required" in output
    assert "SECRET_KEY_FILE" in output
    assert "ENVIRONMENT=development" in output
    assert "Traceback" not in output
