"""Admission of uploads: a bound on how long an upload waits, not on how many come.

One API process handles at most ``MAX_UPLOADS_IN_FLIGHT`` uploads at once (each reads
its body and commits its files); the front proxy already holds every body whole, so
the others wait their turn, first come first served, in a waiting room. An upload
whose estimated wait (the uploads ahead of it over the slots, times the recent mean
time an upload holds a slot) is longer than ``UPLOAD_QUEUE_WAIT``, or that has waited
that long, gets 503 with a Retry-After of that estimate instead.

A waiting upload holds a request thread. The waiting room therefore has room for
``GUNICORN_THREADS - MAX_UPLOADS_IN_FLIGHT - 1`` uploads: one thread is never held by
an upload, so health checks, image reads and admin calls always find one.
"""

from __future__ import annotations

import collections
import math
import socket
import threading
import time
from collections.abc import Callable

import falcon

from api import metrics
from api.errors import Problem

# Weight of the newest upload in the mean time an upload holds a slot.
EWMA_WEIGHT = 0.2
# A refused upload's body is read and dropped before the answer (whatever refused it),
# up to this much and this long: gunicorn closes a connection with unread bytes, which
# resets it (TCP RST), and a reset can reach the proxy before the answer does, which it
# reports as a 502.
DRAIN_BYTES = 64 * 1024 * 1024
DRAIN_SECONDS = 2.0
DRAIN_CHUNK = 256 * 1024


class WaitingRoom:
    """``slots`` holders at once; up to ``room`` more wait, in order, for ``max_wait``."""

    def __init__(
        self, slots: int, room: int, max_wait: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.slots = slots
        self.room = room
        self.max_wait = max_wait
        self.clock = clock
        self.mean_hold: float | None = None
        self._free = slots
        self._lock = threading.Lock()
        self._queue: collections.deque[threading.Event] = collections.deque()

    @property
    def waiting(self) -> int:
        return len(self._queue)

    def estimate(self, position: int) -> float:
        """Seconds until the upload at ``position`` (1: next) gets a slot, at the
        recent mean hold time; nothing known yet, the bound itself."""
        if self.mean_hold is None:
            return self.max_wait
        return self.mean_hold * math.ceil(position / self.slots)

    def enter(self) -> float | None:
        """Take a slot, waiting if need be: the time it was taken, or None when refused
        (then :meth:`retry_after` says when to come back)."""
        with self._lock:
            if self._free > 0 and not self._queue:
                self._free -= 1
                return self.clock()
            position = len(self._queue) + 1
            if position > self.room or (
                self.mean_hold is not None and self.estimate(position) > self.max_wait
            ):
                return None
            turn = threading.Event()
            self._queue.append(turn)
        if turn.wait(self.max_wait):
            return self.clock()
        with self._lock:
            if turn.is_set():  # handed a slot just as the wait ran out
                return self.clock()
            self._queue.remove(turn)
            return None

    def leave(self, entered: float) -> None:
        held = max(0.0, self.clock() - entered)
        with self._lock:
            previous = self.mean_hold
            self.mean_hold = (
                held if previous is None else previous + EWMA_WEIGHT * (held - previous)
            )
            if self._queue:
                self._queue.popleft().set()  # the slot passes straight to the next in line
            else:
                self._free += 1

    def retry_after(self) -> int:
        """Whole seconds, at least 1: the estimated wait at the back of the queue now."""
        with self._lock:
            position = len(self._queue) + 1
        return max(1, math.ceil(self.estimate(position)))


class UploadAdmission:
    """Falcon middleware: uploads (POST /v1/uploads…) through a :class:`WaitingRoom`."""

    def __init__(self, slots: int, *, threads: int, max_wait: float) -> None:
        # MAX_UPLOADS_IN_FLIGHT at or above the threads: every thread may upload, and
        # an upload never waits here (it waited for a thread).
        room = max(0, threads - slots - 1)
        self.room = WaitingRoom(slots, room if max_wait > 0 else 0, max_wait)

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        if not _is_upload(req):
            return
        arrived = self.room.clock()
        entered = self.room.enter()
        if entered is None:
            retry = self.room.retry_after()
            metrics.record_overloaded()
            _drain(req)
            raise Problem(
                503,
                f"this server is busy with uploads; try again in {retry} s",
                slug="overloaded",
                headers={"Retry-After": str(retry)},
            )
        metrics.UPLOAD_QUEUE_WAIT.observe(max(0.0, entered - arrived))
        req.context.upload_entered = entered

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, req_succeeded: bool
    ) -> None:
        entered = req.context.get("upload_entered")
        if entered is not None:
            req.context.upload_entered = None
            self.room.leave(entered)
        if not req_succeeded and _is_upload(req) and resp.status_code != 408:
            # Refused before its body was read (a bad token, a full quota, a backend
            # down): read it now, as for an overloaded one. Not after a 408: that
            # client stopped sending.
            _drain(req)


def _is_upload(req: falcon.Request) -> bool:
    return req.method == "POST" and req.path.startswith("/v1/uploads")


def _drain(req: falcon.Request) -> None:
    """Read and drop a refused upload's body, within DRAIN_BYTES and DRAIN_SECONDS."""
    length = req.content_length
    if not length or length > DRAIN_BYTES:
        return
    sock = req.env.get("gunicorn.socket")
    if isinstance(sock, socket.socket):
        sock.settimeout(DRAIN_SECONDS)
    deadline = time.monotonic() + DRAIN_SECONDS
    left = length
    try:
        while left > 0 and time.monotonic() < deadline:
            chunk = req.stream.read(min(DRAIN_CHUNK, left))
            if not chunk:
                return
            left -= len(chunk)
    except (OSError, ValueError):
        return  # the client went away or sent less: nothing more to protect
