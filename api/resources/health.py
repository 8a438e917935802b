from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait

import falcon

from api.errors import Problem

log = logging.getLogger(__name__)


class HealthResource:
    """Liveness: the process answers."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"status": "ok"}


# The whole answer comes within this, whatever the backends do.
READY_TIMEOUT = 2.0
# Callers within this many seconds of a check share its result: a load balancer, a
# monitor and a flood of anonymous requests cost the backends one check a second.
READY_MAX_AGE = 1.0


class ReadyResource:
    """Readiness: every backing service answers; 503 names those that do not.

    The checks run at once, each in its own thread, and a check that has not
    answered within :data:`READY_TIMEOUT` counts as down: a stalled backend makes
    the answer 503, never slow. A stalled check's thread is left to finish on its own.
    An answer is at most ``max_age`` seconds old (per API process): requests in
    between share it, and requests that come while a check runs wait for its result.
    """

    def __init__(
        self,
        checks: Mapping[str, Callable[[], object]],
        timeout: float = READY_TIMEOUT,
        max_age: float = READY_MAX_AGE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.checks = checks
        self.timeout = timeout
        self.max_age = max_age
        self.clock = clock
        self._pool = ThreadPoolExecutor(max_workers=4 * len(checks), thread_name_prefix="ready")
        self._lock = threading.Lock()
        self._last: tuple[float, dict[str, str]] | None = None

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        results = self._results()
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

    def _results(self) -> dict[str, str]:
        with self._lock:
            if self._last is None or self.clock() - self._last[0] > self.max_age:
                self._last = (self.clock(), self._check())
            return dict(self._last[1])

    def _check(self) -> dict[str, str]:
        futures = {name: self._pool.submit(check) for name, check in self.checks.items()}
        done, _ = wait(futures.values(), timeout=self.timeout)
        return {name: _state(name, future, done) for name, future in futures.items()}


def _state(name: str, future: Future[object], done: set[Future[object]]) -> str:
    if future not in done:
        log.warning("readiness check %s did not answer in time", name)
        return "down"
    exc = future.exception()
    if exc is not None:
        log.warning("readiness check %s failed: %s", name, exc)
        return "down"
    return "ok"
