"""P7: slow clients. `/healthz` p99 and a normal upload's latency through the front
proxy while 50 connections trickle upload bodies at 1 byte/s, against the same figures
idle, in the same round.

The trickling uploads carry a valid link token, the worst case for the API (an invalid
one is refused before its body is read). Each round measures idle first (200
`/healthz` on fresh connections, 5 uploads of one new photo), then opens the 50
trickling connections, waits until they are all sending, and measures the same again
while they trickle; then closes them. For contrast, once per run, the API itself (no
proxy in front) gets 8 of the same connections: what a few uploads and `/healthz`
calls get then is in the note.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

import psutil
import requests

from bench import photos
from bench.deploy import Backends, ServerConfig, deployment
from bench.runner import Row, Summary, Target

TRICKLERS = 50
HEALTH_CALLS = 200
UPLOADS = 5
DIRECT_TRICKLERS = 8
DIRECT_CALLS = 3
DIRECT_TIMEOUT_S = 3.0


def trickle(port: int, count: int, token: str) -> None:
    """`count` connections, each sending an upload's head, then 1 byte of body a second,
    until stdin closes. A process of its own, so that it costs the measuring client
    nothing (no GIL shared)."""
    head = (
        f"POST /v1/uploads/{token} HTTP/1.1\r\nHost: inlet\r\n"
        "Content-Type: multipart/form-data; boundary=x\r\n"
        "Content-Length: 10000000\r\n\r\n"
    ).encode()
    sockets = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(count)]
    for sock in sockets:
        sock.sendall(head)
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    rounds = 0
    while not stop.wait(1.0):
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.sendall(b"-")
        rounds += 1
        if rounds == 2:
            print("sending", flush=True)
    for sock in sockets:
        sock.close()


class Tricklers:
    """`python -m bench.slow_clients PORT COUNT TOKEN` as a child process."""

    def __init__(self, url: str, count: int, token: str) -> None:
        port = url.rsplit(":", 1)[1]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.slow_clients", port, str(count), token],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        # Every connection has sent body bytes at least twice.
        if self.proc.stdout.readline().strip() != "sending":
            self.close()
            raise RuntimeError("the trickling connections did not start sending")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


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


def _direct_uploads(url: str, token: str, salt: str) -> list[str]:
    """What a few normal uploads get from the API itself: a status, or "timeout"."""
    pool = photos.ensure_pool()
    pieces = pool[sorted(pool)[0]]
    out = []
    for k in range(DIRECT_CALLS):
        body, ctype = photos.multipart([pieces.salted(f"{salt}/{k}")])
        try:
            resp = requests.post(
                f"{url}/v1/uploads/{token}",
                data=b"".join(body),
                headers={"Content-Type": ctype},
                timeout=DIRECT_TIMEOUT_S,
            )
            out.append(str(resp.status_code))
        except requests.Timeout:
            out.append("timeout")
    return out


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98]


@dataclass
class Result:
    # Per round: (idle, loaded) /healthz p99 and upload median, seconds.
    health: list[tuple[float, float]] = field(default_factory=list)
    upload: list[tuple[float, float]] = field(default_factory=list)
    direct_timeouts: int = 0
    direct_uploads: list[str] = field(default_factory=list)
    # nginx's RSS (all its processes), MiB: idle and with the tricklers connected.
    proxy_rss: list[tuple[float, float]] = field(default_factory=list)


def tree_rss_mib(pid: int) -> float:
    root = psutil.Process(pid)
    procs = [root, *root.children(recursive=True)]
    return sum(p.memory_info().rss for p in procs) / (1024 * 1024)


def _round(url: str, token: str, salt: str, result: Result | None, proxy_pid: int) -> None:
    idle_rss = tree_rss_mib(proxy_pid)
    idle_health = p99(_health_latencies(url, HEALTH_CALLS))
    idle_upload = statistics.median(_upload_latencies(url, token, f"{salt}/idle"))
    tricklers = Tricklers(url, TRICKLERS, token)
    try:
        loaded_health = p99(_health_latencies(url, HEALTH_CALLS))
        loaded_upload = statistics.median(_upload_latencies(url, token, f"{salt}/loaded"))
        loaded_rss = tree_rss_mib(proxy_pid)
        if not tricklers.alive():
            raise RuntimeError("the trickling connections stopped")
    finally:
        tricklers.close()
    if result is not None:
        result.health.append((idle_health, loaded_health))
        result.upload.append((idle_upload, loaded_upload))
        result.proxy_rss.append((idle_rss, loaded_rss))


def measure(
    backends: Backends, config: ServerConfig, *, reps: int, warmup: int, run_id: str
) -> Result:
    result = Result()
    with deployment(backends, "p7") as dep:
        api, front = dep.proxied_api(config)
        token = dep.new_link(front)
        assert front.process is not None
        for index in range(warmup + reps):
            kept = result if index >= warmup else None
            _round(front.url, token, f"{run_id}/p7/{index}", kept, front.process.pid)
        # Without the proxy: the API's own threads are what the tricklers hold.
        tricklers = Tricklers(api.url, DIRECT_TRICKLERS, token)
        try:
            direct = _health_latencies(api.url, DIRECT_CALLS, timeout=DIRECT_TIMEOUT_S)
            result.direct_timeouts = sum(1 for d in direct if d == float("inf"))
            result.direct_uploads = _direct_uploads(api.url, token, f"{run_id}/p7/direct")
        finally:
            tricklers.close()
    return result


def rows(result: Result, config: ServerConfig) -> list[Row]:
    def pair(values: list[tuple[float, float]], which: int) -> Summary:
        return Summary.of([1000 * v[which] for v in values])

    contrast = (
        f"without the proxy, {DIRECT_TRICKLERS} such connections: {result.direct_timeouts} of "
        f"{DIRECT_CALLS} /healthz timed out at {DIRECT_TIMEOUT_S:g} s, uploads got "
        f"{', '.join(result.direct_uploads)}"
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
            note=f"median of {UPLOADS} uploads of one new 1-5 MB photo a round; nginx RSS "
            f"{statistics.median(r[0] for r in result.proxy_rss):.1f} MiB idle, "
            f"{statistics.median(r[1] for r in result.proxy_rss):.1f} MiB with the tricklers",
        ),
    ]


if __name__ == "__main__":
    trickle(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3])
