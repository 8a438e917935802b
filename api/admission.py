"""Overload is answered, not queued: a bound on the uploads one API process handles
at once.

Each upload holds a request thread while its body arrives and its files are
committed. Past the bound, a new upload gets 503 with Retry-After at once, so the
threads left over always serve health checks, reads and admin calls.
"""

from __future__ import annotations

import threading

import falcon

from api.errors import Problem

RETRY_AFTER_SECONDS = 2


class UploadAdmission:
    """Falcon middleware: at most ``limit`` uploads (POST /v1/uploads…) in flight."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._slots = threading.BoundedSemaphore(limit)

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        if req.method != "POST" or not req.path.startswith("/v1/uploads"):
            return
        if not self._slots.acquire(blocking=False):
            raise Problem(
                503,
                f"this server is handling {self.limit} uploads already; try again shortly",
                slug="overloaded",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        req.context.upload_slot = True

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, req_succeeded: bool
    ) -> None:
        if req.context.get("upload_slot"):
            req.context.upload_slot = False
            self._slots.release()
