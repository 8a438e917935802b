"""`make dev` (python -m devstack): the whole stack comes up on its own servers, and
SIGTERM stops every process it started; `make token` mints into that stack's Redis."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import requests

from devstack import stackfile
from devstack.servers import REPO, free_port

# Variables naming another stack: make dev, make token and make smoke must not see them.
ANOTHER_STACK = {
    "REDIS_URL",
    "S3_ENDPOINT",
    "ELASTICSEARCH_URL",
    "SECRET_KEY",
    "ENVIRONMENT",
    "ADMIN_TOKEN",
}


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "make dev exited early"
        try:
            if requests.get(url, timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass  # still starting
        time.sleep(0.3)
    pytest.fail(f"{url} never became ready")


def make_token(env: dict[str, str], *variables: str) -> str:
    result = subprocess.run(
        ["make", "-s", "token", *variables],  # noqa: S607 - make from PATH, as a user runs it
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def admin_command(env: dict[str, str], facts: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "api", *args],
        cwd=REPO,
        env={**env, **facts},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout


def make_smoke(env: dict[str, str], port: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "-s", "smoke", f"BASE_URL=http://127.0.0.1:{port}"],  # noqa: S607 - make from PATH, as a user runs it
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def check_make_smoke(env: dict[str, str], port: int) -> None:
    """The README's walk-through passes against `make dev`; a wrong token fails it."""
    passed = make_smoke(env, port)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    for step in ("POST /v1/links: 201", "GET /v1/stats: 200", "GET /u/: 200", "GET /admin/: 200"):
        assert f"ok  {step}" in passed.stdout
    assert re.search(r"ok  GET /v1/images/[0-9a-f]{64}/metadata: 200, JPEG 64x48", passed.stdout)
    wrong = "not-an-admin-token"
    refused = make_smoke({**env, "ADMIN_TOKEN": wrong}, port)
    assert refused.returncode != 0
    assert "FAIL SmokeFailure: POST /v1/links: 401, expected 201" in refused.stderr
    assert wrong not in refused.stdout + refused.stderr


def test_make_dev_runs_everything_and_stops_on_sigterm(tmp_path: Path) -> None:
    port, flower = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ANOTHER_STACK}
    env.update(PORT=str(port), FLOWER_PORT=str(flower))
    log = (tmp_path / "dev.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "devstack"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}/readyz", proc)
        wait_ready(f"http://127.0.0.1:{flower}/healthcheck", proc)
        children = psutil.Process(proc.pid).children(recursive=True)
        names = " ".join(" ".join(c.cmdline()) for c in children)
        for expected in (
            "redis-server",
            "moto_server",
            "osmem-server",
            "gunicorn",
            "nginx",
            "worker",
            "beat",
            "flower",
        ):
            assert expected in names
        assert "6379" not in names  # never the machine's shared Redis
        facts = stackfile.read()
        assert facts is not None
        assert facts["ENVIRONMENT"] == "development"
        assert facts["REDIS_URL"].startswith("redis://127.0.0.1:")
        assert ":6379/" not in facts["REDIS_URL"]
        assert stackfile.STACK_FILE.stat().st_mode & 0o777 == 0o600
        admin = make_token(env, "NAME=dev-test", "TTL=2h")
        created = requests.post(
            f"http://127.0.0.1:{port}/v1/links",
            json={"expires_in": 60},
            headers={"Authorization": f"Bearer {admin}"},
            timeout=10,
        )
        assert created.status_code == 201
        check_make_smoke(env, port)
        # Recorded in the stack's own Redis: listed there, and withdrawn there.
        listing = admin_command(env, facts, "tokens")
        assert "dev-test" in listing
        admin_command(env, facts, "revoke", "dev-test")
        refused = requests.get(
            f"http://127.0.0.1:{port}/v1/links",
            headers={"Authorization": f"Bearer {admin}"},
            timeout=10,
        )
        assert refused.status_code == 401
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
        log.close()
    assert proc.returncode == 0
    assert not stackfile.STACK_FILE.exists()
    for child in children:
        assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
    # No stack any more, and no ADMIN_TOKEN: smoke says where a token comes from.
    alone = make_smoke(env, port)
    assert alone.returncode != 0
    assert "no admin token: set ADMIN_TOKEN" in alone.stderr
