"""The facts of a running `make dev` that `make token` needs, in `.dev/stack.env`.

`make dev` writes its Redis, key prefix and secret there while it runs (mode 0600, it
holds the secret) and removes the file when it stops; `make token` records its tokens
in that Redis and nowhere else. A file whose `make dev` is gone (killed) is ignored.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from pathlib import Path

from devstack.servers import REPO

STACK_FILE = REPO / ".dev" / "stack.env"
KEYS = ("ENVIRONMENT", "REDIS_URL", "REDIS_PREFIX", "SECRET_KEY")
_PID = "DEV_PID"


def write(facts: Mapping[str, str], path: Path | None = None) -> None:
    path = path or STACK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"{key}={facts[key]}" for key in KEYS] + [f"{_PID}={os.getpid()}"]
    partial = path.with_suffix(".partial")
    with contextlib.suppress(FileNotFoundError):
        partial.unlink()
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    partial.replace(path)


def read(path: Path | None = None) -> dict[str, str] | None:
    """The facts of the `make dev` running now, or None."""
    path = path or STACK_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    facts = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    pid = facts.pop(_PID, "")
    if not pid.isdigit() or not _alive(int(pid)) or set(KEYS) - facts.keys():
        return None
    return {key: facts[key] for key in KEYS}


def remove(path: Path | None = None) -> None:
    """Remove the file if this process wrote it (another `make dev` may own it now)."""
    path = path or STACK_FILE
    try:
        owner = dict(
            line.split("=", 1) for line in path.read_text().splitlines() if "=" in line
        ).get(_PID)
    except FileNotFoundError:
        return
    if owner == str(os.getpid()):
        path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
