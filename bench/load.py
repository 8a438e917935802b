"""The load generator: a separate process with one keep-alive connection per client.

The orchestrator writes a JSON spec (see :class:`Spec`), runs
`python -m bench.load SPEC OUT` and reads the result JSON. The process builds every
request body before the clock starts (pieces sharing the photo pool's buffers), then
all client threads start together at a barrier; the figure is wall time from that
barrier to the last response. Every run is bounded: a global deadline, and a socket
timeout on each connection. Only the standard library and `bench.photos` are used,
so the generator costs the shared CPUs as little as possible.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bench import photos

RECV_CHUNK = 256 * 1024
KEEP_BODY = 64 * 1024  # responses up to this size are returned, for checking
SOCKET_TIMEOUT = 120.0


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    # A multipart upload of these photos, or the raw bytes of one photo (a PUT), or nothing.
    multipart: list[photos.PhotoRef] | None = None
    photo: photos.PhotoRef | None = None


@dataclass
class Spec:
    base_url: str  # http://127.0.0.1:PORT, loopback only
    clients: list[list[Request]]
    deadline_s: float
    photos_dir: str = str(photos.pool_dir())

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Spec:
        raw = json.loads(text)
        clients = [
            [
                Request(
                    method=r["method"],
                    path=r["path"],
                    headers=r["headers"],
                    multipart=[tuple(p) for p in r["multipart"]] if r["multipart"] else None,
                    photo=tuple(r["photo"]) if r["photo"] else None,
                )
                for r in client
            ]
            for client in raw["clients"]
        ]
        return cls(raw["base_url"], clients, raw["deadline_s"], raw["photos_dir"])


@dataclass
class Outcome:
    status: int
    seconds: float
    sent: int
    received: int
    body: str | None = None


@dataclass
class Result:
    wall_s: float
    completed: bool
    requests: int
    sent_bytes: int
    received_bytes: int
    statuses: dict[str, int]
    latencies_s: list[float]
    bodies: list[str]
    errors: list[str]
    cpu_s: float = 0.0  # this process's CPU time from the barrier to the end
    # Bytes sent in the requests answered 2xx.
    accepted_bytes: int = 0
    # Filled in by the orchestrator: CPU seconds of each server group during the run.
    server_cpu_s: dict[str, float] = field(default_factory=dict)

    def cpu_metrics(self) -> dict[str, float]:
        return {"cpu:load": self.cpu_s, **{f"cpu:{k}": v for k, v in self.server_cpu_s.items()}}

    def check(self, *expected: int) -> None:
        """Raise unless every request completed with one of the expected statuses."""
        wrong = {k: v for k, v in self.statuses.items() if int(k) not in expected}
        if not self.completed or wrong or self.errors:
            raise RuntimeError(
                f"load run failed: completed={self.completed} statuses={self.statuses} "
                f"errors={self.errors[:3]} bodies={[b[:300] for b in self.bodies[:2]]}"
            )


def run(spec: Spec, workdir: Path, *, timeout_s: float | None = None) -> Result:
    """Run `spec` in a fresh load-generator process and return its result."""
    workdir.mkdir(parents=True, exist_ok=True)
    spec_path = workdir / "load-spec.json"
    out_path = workdir / "load-result.json"
    spec_path.write_text(spec.to_json())
    out_path.unlink(missing_ok=True)
    # The process's own deadline ends the run; this bound only catches a hung process.
    limit = timeout_s or spec.deadline_s + 60
    proc = subprocess.run(
        [sys.executable, "-m", "bench.load", str(spec_path), str(out_path)],
        capture_output=True,
        timeout=limit,
        check=False,
    )
    if proc.returncode != 0 or not out_path.exists():
        raise RuntimeError(f"load generator failed ({proc.returncode}): {proc.stderr[-2000:]!r}")
    return Result(**json.loads(out_path.read_text()))


def _body(
    request: Request, pool: Mapping[str, photos.Photo]
) -> tuple[list[photos.Piece], dict[str, str]]:
    headers = dict(request.headers)
    if request.multipart is not None:
        files = [pool[name].salted(salt) for name, salt in request.multipart]
        pieces, content_type = photos.multipart(files)
        headers["Content-Type"] = content_type
    elif request.photo is not None:
        name, salt = request.photo
        pieces = pool[name].salted(salt)
        headers.setdefault("Content-Type", "image/jpeg")
    else:
        return [], headers
    headers["Content-Length"] = str(photos.size_of(pieces))
    return pieces, headers


class _Client(threading.Thread):
    def __init__(
        self,
        base: str,
        prepared: Sequence[tuple[Request, list[photos.Piece], dict[str, str]]],
        start: threading.Barrier,
        deadline: float,
    ) -> None:
        super().__init__(daemon=True)
        parts = urlsplit(base)
        if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(f"the load generator targets loopback only, not {base}")
        self.host, self.port = parts.hostname, parts.port or 80
        self.prepared = prepared
        self.start_barrier = start
        self.deadline = deadline
        self.outcomes: list[Outcome] = []
        self.errors: list[str] = []
        self.finished_at = 0.0

    def _connect(self) -> http.client.HTTPConnection:
        # http.client sets TCP_NODELAY itself, so the separate body sends are not delayed.
        conn = http.client.HTTPConnection(self.host, self.port, timeout=SOCKET_TIMEOUT)
        conn.connect()
        return conn

    def run(self) -> None:
        conn = self._connect()
        self.start_barrier.wait()
        try:
            for request, pieces, headers in self.prepared:
                if time.monotonic() > self.deadline:
                    self.errors.append("deadline passed")
                    break
                try:
                    self.outcomes.append(self._one(conn, request, pieces, headers))
                except (OSError, http.client.HTTPException) as exc:
                    self.errors.append(f"{request.method} {request.path[:60]}: {exc!r}")
                    conn.close()
                    conn = self._connect()
        finally:
            self.finished_at = time.monotonic()
            conn.close()

    def _one(
        self,
        conn: http.client.HTTPConnection,
        request: Request,
        pieces: list[photos.Piece],
        headers: dict[str, str],
    ) -> Outcome:
        started = time.monotonic()
        conn.putrequest(request.method, request.path, skip_accept_encoding=True)
        for key, value in headers.items():
            conn.putheader(key, value)
        conn.endheaders()
        for piece in pieces:
            conn.send(piece)
        resp = conn.getresponse()
        received = 0
        kept: list[bytes] = []
        while chunk := resp.read(RECV_CHUNK):
            received += len(chunk)
            if received <= KEEP_BODY:
                kept.append(chunk)
        body = b"".join(kept).decode(errors="replace") if received <= KEEP_BODY else None
        if resp.will_close:
            conn.close()  # a sync worker closes after each response; http.client reconnects
        return Outcome(
            resp.status, time.monotonic() - started, photos.size_of(pieces), received, body
        )


def execute(spec: Spec) -> Result:
    pool = photos.load_pool(Path(spec.photos_dir))
    barrier = threading.Barrier(len(spec.clients) + 1)
    deadline = time.monotonic() + spec.deadline_s
    clients = [
        _Client(spec.base_url, [(r, *_body(r, pool)) for r in requests], barrier, deadline)
        for requests in spec.clients
    ]
    for client in clients:
        client.start()
    barrier.wait(timeout=60)
    started = time.monotonic()
    cpu_started = time.process_time()
    for client in clients:
        client.join(max(0.0, deadline - time.monotonic()) + 1)
    alive = any(c.is_alive() for c in clients)
    cpu = time.process_time() - cpu_started
    ended = max((c.finished_at for c in clients), default=started) if not alive else deadline
    outcomes = [o for c in clients for o in c.outcomes]
    errors = [e for c in clients for e in c.errors]
    expected = sum(len(r) for r in spec.clients)
    return Result(
        wall_s=max(ended - started, 1e-9),
        completed=not alive and not errors and len(outcomes) == expected,
        requests=len(outcomes),
        sent_bytes=sum(o.sent for o in outcomes),
        received_bytes=sum(o.received for o in outcomes),
        statuses=dict(Counter(str(o.status) for o in outcomes)),
        latencies_s=[o.seconds for o in outcomes],
        bodies=[o.body for o in outcomes if o.body],
        errors=errors + (["clients still running at the deadline"] if alive else []),
        cpu_s=cpu,
        accepted_bytes=sum(o.sent for o in outcomes if 200 <= o.status < 300),
    )


def main(argv: Sequence[str]) -> int:
    spec_path, out_path = argv
    result = execute(Spec.from_json(Path(spec_path).read_text()))
    Path(out_path).write_text(json.dumps(asdict(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
