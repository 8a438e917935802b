"""P7: slow clients. `/healthz` p99 and a normal upload's latency through the front
proxy while 50 connections trickle upload bodies at 1 byte/s (no valid token), against
the same figures idle, in the same round.

Each round measures idle first (40 `/healthz` on fresh connections, 5 uploads of one
new photo), then opens the 50 trickling connections, waits until they are all sending,
and measures the same again while they trickle; then closes them. For contrast, once
per run, the API itself (no proxy in front) gets 8 of the same connections: how many
of a few `/healthz` calls time out then is in the note.
"""

from __future__ import annotations

import http.client
import socket
import statistics
import threading
import time
from dataclasses import dataclass, field

import requests

from bench import photos
from bench.deploy import Backends, ServerConfig, deployment
from bench.runner import Row, Summary, Target

TRICKLERS = 50
HEALTH_CALLS = 40
UPLOADS = 5
DIRECT_TRICKLERS = 8
DIRECT_CALLS = 3
DIRECT_TIMEOUT_S = 3.0


class Tricklers(threading.Thread):
    """`count` connections, each sending an upload's head, then 1 byte of body a second."""

    def __init__(self, url: str, count: int) -> None:
        super().__init__(daemon=True)
        port = int(url.rsplit(":", 1)[1])
        head = (
            b"POST /v1/uploads/not-a-valid-token HTTP/1.1\r\nHost: inlet\r\n"
            b"Content-Type: multipart/form-data; boundary=x\r\n"
            b"Content-Length: 10000000\r\n\r\n"
        )
        self.sockets = []
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(head)
            self.sockets.append(sock)
        self.stopping = threading.Event()
        self.sent = 0

    def run(self) -> None:
        while not self.stopping.wait(1.0):
            for sock in self.sockets:
                try:
                    sock.sendall(b"-")
                    self.sent += 1
                except OSError:
                    continue

    def close(self) -> None:
        self.stopping.set()
        self.join(5)
        for sock in self.sockets:
            sock.close()


def _health_latencies(url: str, calls: int, timeout: float = 30.0) -> list[float]:
    """Latency of each `/healthz` on a new connection; `timeout` for one that hangs."""
    port = int(url.rsplit(":", 1)[1])
    out = []
    for _ in range(calls):
        started = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            conn.request("GET", "/healthz")
            resp = conn.getresponse()
            resp.read()
            if resp.status != 200:
                raise RuntimeError(f"/healthz answered {resp.status}")
            out.append(time.monotonic() - started)
        except TimeoutError:
            out.append(float("inf"))
        finally:
            conn.close()
    return out


def _upload_latencies(url: str, token: str, salt: str) -> list[float]:
    pool = photos.ensure_pool()
    names = sorted(pool)
    out = []
    with requests.Session() as session:
        for k in range(UPLOADS):
            pieces = pool[names[k % len(names)]].salted(f"{salt}/{k}")
            body, ctype = photos.multipart([pieces])
            data = b"".join(body)
            started = time.monotonic()
            resp = session.post(
                f"{url}/v1/uploads/{token}",
                data=data,
                headers={"Content-Type": ctype},
                timeout=120,
            )
            if resp.status_code != 201:
                raise RuntimeError(f"upload answered {resp.status_code}: {resp.text[:200]}")
            out.append(time.monotonic() - started)
    return out


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98]


@dataclass
class Result:
    # Per round: (idle, loaded) /healthz p99 and upload median, seconds.
    health: list[tuple[float, float]] = field(default_factory=list)
    upload: list[tuple[float, float]] = field(default_factory=list)
    direct_timeouts: int = 0


def _round(url: str, token: str, salt: str, result: Result | None) -> None:
    idle_health = p99(_health_latencies(url, HEALTH_CALLS))
    idle_upload = statistics.median(_upload_latencies(url, token, f"{salt}/idle"))
    tricklers = Tricklers(url, TRICKLERS)
    tricklers.start()
    try:
        time.sleep(2.5)  # every connection has sent body bytes at least twice
        loaded_health = p99(_health_latencies(url, HEALTH_CALLS))
        loaded_upload = statistics.median(_upload_latencies(url, token, f"{salt}/loaded"))
        if not tricklers.is_alive() or tricklers.sent < TRICKLERS * 2:
            raise RuntimeError("the trickling connections stopped sending")
    finally:
        tricklers.close()
    if result is not None:
        result.health.append((idle_health, loaded_health))
        result.upload.append((idle_upload, loaded_upload))


def measure(
    backends: Backends, config: ServerConfig, *, reps: int, warmup: int, run_id: str
) -> Result:
    result = Result()
    with deployment(backends, "p7") as dep:
        api, front = dep.proxied_api(config)
        token = dep.new_link(front)
        for index in range(warmup + reps):
            _round(front.url, token, f"{run_id}/p7/{index}", result if index >= warmup else None)
        # Without the proxy: the API's own threads are what the tricklers hold.
        tricklers = Tricklers(api.url, DIRECT_TRICKLERS)
        tricklers.start()
        try:
            time.sleep(1.5)
            direct = _health_latencies(api.url, DIRECT_CALLS, timeout=DIRECT_TIMEOUT_S)
            result.direct_timeouts = sum(1 for d in direct if d == float("inf"))
        finally:
            tricklers.close()
    return result


def rows(result: Result, config: ServerConfig) -> list[Row]:
    def pair(values: list[tuple[float, float]], which: int) -> Summary:
        return Summary.of([1000 * v[which] for v in values])

    contrast = (
        f"without the proxy, {DIRECT_TRICKLERS} such connections: {result.direct_timeouts} of "
        f"{DIRECT_CALLS} /healthz timed out at {DIRECT_TIMEOUT_S:g} s"
    )
    return [
        Row(
            f"P7 slow clients: /healthz p99, {TRICKLERS} trickling",
            "ms",
            pair(result.health, 1),
            pair(result.health, 0),
            "idle",
            Target(max_ratio=2.0),
            note=f"through nginx, gunicorn {config.label}; {HEALTH_CALLS} calls a round; "
            + contrast,
        ),
        Row(
            f"P7 slow clients: upload latency, {TRICKLERS} trickling",
            "ms",
            pair(result.upload, 1),
            pair(result.upload, 0),
            "idle",
            Target(max_ratio=2.0),
            note=f"median of {UPLOADS} uploads of one new 1-5 MB photo a round",
        ),
    ]
