"""A real HTTP front proxy for end-to-end tests, standing where nginx stands in production.

It forwards every request to the API and records what crossed it (method, path,
content type, body bytes, status): the observable for "this file's bytes were never
sent". It can also answer the next matching requests itself with an error such as
503 + Retry-After, as a proxy does when its upstream is overloaded.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
}


@dataclass
class Seen:
    method: str
    path: str
    content_type: str
    body: bytes = field(repr=False)
    status: int = 0
    sender: str = field(default="", repr=False)  # X-Inlet-Sender, a secret of its client

    @property
    def size(self) -> int:
        return len(self.body)

    @property
    def multipart(self) -> bool:
        return self.content_type.startswith("multipart/form-data")


@dataclass
class _Fault:
    match: Callable[[Seen], bool]
    remaining: int
    status: int
    retry_after: str | None


class FrontProxy:
    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.seen: list[Seen] = []
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FrontProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def clear(self) -> None:
        with self._lock:
            self.seen.clear()

    def fail_next(
        self,
        match: Callable[[Seen], bool],
        *,
        count: int = 1,
        status: int = 503,
        retry_after: str | None = "1",
    ) -> None:
        with self._lock:
            self._faults.append(_Fault(match, count, status, retry_after))

    def requests(self, match: Callable[[Seen], bool] | None = None) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if match is None or match(s)]

    def _fault_for(self, seen: Seen) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.remaining > 0 and fault.match(seen):
                    fault.remaining -= 1
                    return fault
        return None

    def _record(self, seen: Seen) -> None:
        with self._lock:
            self.seen.append(seen)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return type("Handler", (_Handler,), {"proxy": self})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    proxy: FrontProxy

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _relay(self) -> None:
        proxy = self.proxy
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        seen = Seen(self.command, self.path, self.headers.get("Content-Type", ""), body)
        seen.sender = self.headers.get("X-Inlet-Sender", "")
        proxy._record(seen)
        fault = proxy._fault_for(seen)
        if fault is not None:
            seen.status = fault.status
            self._answer_fault(fault)
            return
        conn = http.client.HTTPConnection(*proxy.upstream, timeout=60)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            conn.request(self.command, self.path, body=body or None, headers=headers)
            upstream = conn.getresponse()
            data = upstream.read()
            seen.status = upstream.status
            self.send_response(upstream.status)
            for key, value in upstream.getheaders():
                if key.lower() not in HOP_BY_HOP | {"content-length"}:
                    self.send_header(key, value)
            # A 304 has no body, and a Content-Length there would describe the
            # cached copy's: pass it on as it came (a HEAD's too).
            if upstream.status not in (204, 304) and self.command != "HEAD":
                self.send_header("Content-Length", str(len(data)))
            elif upstream.getheader("Content-Length") is not None:
                self.send_header("Content-Length", upstream.getheader("Content-Length", ""))
            self.end_headers()
            self.wfile.write(data)
        finally:
            conn.close()

    def _answer_fault(self, fault: _Fault) -> None:
        data = (
            b'{"type": "about:blank", "title": "Service Unavailable", '
            b'"status": %d, "detail": "the upstream is overloaded"}' % fault.status
        )
        self.send_response(fault.status)
        self.send_header("Content-Type", "application/problem+json")
        if fault.retry_after is not None:
            self.send_header("Retry-After", fault.retry_after)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    # http.server dispatches on these stdlib-spelled names.
    do_GET = do_POST = do_HEAD = do_DELETE = do_PUT = _relay  # noqa: N815 - stdlib's names
