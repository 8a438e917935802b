from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

import falcon

from api.errors import Problem

log = logging.getLogger(__name__)


class HealthResource:
    """Liveness: the process answers."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"status": "ok"}


class ReadyResource:
    """Readiness: every backing service answers; 503 names those that do not."""

    def __init__(self, checks: Mapping[str, Callable[[], object]]) -> None:
        self.checks = checks

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        results: dict[str, str] = {}
        for name, check in self.checks.items():
            try:
                check()
                results[name] = "ok"
            except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
                log.warning("readiness check %s failed: %s", name, exc)
                results[name] = "down"
        down = [name for name, state in results.items() if state != "ok"]
        if down:
            raise Problem(
                503,
                f"not ready: {', '.join(down)} unreachable",
                slug="not-ready",
                checks=results,
                headers={"Retry-After": "5"},
            )
        resp.media = {"status": "ok", "checks": results}
