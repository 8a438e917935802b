"""Reading a request body that may never arrive whole.

A client can stop sending (a lost phone connection, an attacker trickling bytes),
send fewer bytes than its Content-Length, or cut a chunked body short. Whatever it
does, an upload is committed only when its body arrived whole, and reading it holds
a request thread for a bounded time: each read waits at most ``read_timeout``
seconds and the whole body at most ``deadline`` seconds.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

CHUNK = 64 * 1024


class BodyAborted(Exception):
    """The body did not arrive whole; ``reason`` says how, for one log line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class BodyTimeout(BodyAborted):
    """The client took longer than allowed to send the body."""


class BodyReader:
    """A ``read(size)`` over the raw input that counts, times and translates."""

    def __init__(
        self,
        read: Callable[[int], bytes],
        *,
        expected: int | None,
        deadline: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read = read
        self.expected = expected
        self.received = 0
        self._clock = clock
        self._deadline = clock() + deadline

    def read(self, size: int = -1) -> bytes:
        if self._clock() > self._deadline:
            raise BodyTimeout("the request body took too long to arrive")
        if self.expected is not None:
            left = self.expected - self.received
            size = left if size < 0 else min(size, left)
            if size <= 0:
                return b""
        try:
            data = self._read(size if size >= 0 else CHUNK)
        except TimeoutError as exc:
            raise BodyTimeout("the client stopped sending the request body") from exc
        except (OSError, ValueError) as exc:
            # The server's reader reports a connection closed mid-body in its own way
            # (gunicorn: NoMoreData, an OSError; a truncated chunk: ValueError).
            raise BodyAborted(f"the request body was cut off: {type(exc).__name__}") from exc
        self.received += len(data)
        return data

    def finish(self) -> None:
        """Read what is left and check that the whole declared body arrived."""
        while self.read(CHUNK):
            pass
        if self.expected is not None and self.received < self.expected:
            raise BodyAborted(
                f"the request body ended after {self.received} of {self.expected} bytes"
            )


def limit_socket_wait(sock: object, seconds: float) -> None:
    """Let one read from the client's socket wait at most ``seconds``."""
    if isinstance(sock, socket.socket):
        sock.settimeout(seconds)
