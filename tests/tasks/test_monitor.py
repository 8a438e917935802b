"""tasks.monitor, Flower's app: it starts without the signing key (compose never
mounts it in Flower's container) and reaches a password-protected broker."""

from __future__ import annotations

import os
import subprocess
import sys

from devstack.servers import REPO

PROBE = (
    "import tasks.monitor as m; "
    "print(m.app.conf.broker_url.startswith('redis://:flower-redis-pw@redis:6379/'))"
)


def _run(module_probe: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", module_probe],
        cwd=REPO,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


PRODUCTION = {
    "ENVIRONMENT": "production",
    "REDIS_URL": "redis://redis:6379/0",
    "REDIS_PASSWORD": "flower-redis-pw",
    # As in compose's flower service before: a path to the key that is not there.
    "SECRET_KEY_FILE": "/nonexistent/secret_key",
}


def test_flower_starts_in_production_without_the_signing_key() -> None:
    result = _run(PROBE, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_the_worker_still_needs_the_key() -> None:
    result = _run("import tasks.worker", **PRODUCTION)
    assert result.returncode != 0
    assert "SECRET_KEY_FILE" in result.stderr
