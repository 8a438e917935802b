"""`make dev` (python -m devstack): the whole stack comes up on its own servers, and
SIGTERM stops every process it started."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import requests

from devstack.servers import REPO, free_port
from inlet import tokens
from inlet.settings import DEV_SECRET_KEY


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


def test_make_dev_runs_everything_and_stops_on_sigterm(tmp_path: Path) -> None:
    port, flower = free_port(), free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"REDIS_URL", "S3_ENDPOINT", "ELASTICSEARCH_URL", "SECRET_KEY"}
    }
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
        # The same default secret as `make token`.
        admin = tokens.issue(DEV_SECRET_KEY, tokens.TokenKind.ADMIN, "admin", int(time.time()) + 60)
        created = requests.post(
            f"http://127.0.0.1:{port}/v1/links",
            json={"expires_in": 60},
            headers={"Authorization": f"Bearer {admin}"},
            timeout=10,
        )
        assert created.status_code == 201
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
        log.close()
    assert proc.returncode == 0
    for child in children:
        assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
