"""P5: freshness, from an upload's 201 to the image counted in `GET /v1/stats`.

A deployment with its API and a Celery worker; one new photo at a time, then
`/v1/stats` is polled every 20 ms until `totals.images` grows. Between polls of the
stats, the image's metadata document is polled too (a realtime GET by id), which
splits the latency into "indexed" (the worker's part) and "counted" (the search
server's refresh on top). Rounds of 20 uploads, pooled: 5 rounds give the 100
uploads of the figure.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import requests

from bench import photos
from bench.deploy import Backends, ServerConfig, deployment
from bench.runner import Row, Summary, Target

POLL_S = 0.02
WAIT_LIMIT_S = 30.0  # one image not counted by then is a failure, not a sample
DEADLINE_S = 600.0


@dataclass
class Upload:
    indexed_s: float | None
    counted_s: float


@dataclass
class Result:
    rounds: list[list[Upload]] = field(default_factory=list)

    def counted(self) -> list[float]:
        return [u.counted_s for r in self.rounds for u in r]

    def indexed(self) -> list[float]:
        return [u.indexed_s for r in self.rounds for u in r if u.indexed_s is not None]


def percentile(values: Sequence[float], q: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def _one(
    session: requests.Session,
    *,
    api_url: str,
    token: str,
    admin: dict[str, str],
    photo: photos.Photo,
    salt: str,
    before: int,
) -> Upload:
    pieces = photo.salted(salt)
    body, ctype = photos.multipart([pieces])
    image_id = photos.image_id(pieces)
    resp = session.post(
        f"{api_url}/v1/uploads/{token}",
        data=b"".join(body),
        headers={"Content-Type": ctype},
        timeout=60,
    )
    if resp.status_code != 201:
        raise RuntimeError(f"P5 upload failed: {resp.status_code} {resp.text[:300]}")
    answered = time.monotonic()
    indexed: float | None = None
    while (elapsed := time.monotonic() - answered) < WAIT_LIMIT_S:
        stats = session.get(f"{api_url}/v1/stats", headers=admin, timeout=10)
        stats.raise_for_status()
        if stats.json()["totals"]["images"] > before:
            return Upload(indexed if indexed is not None else elapsed, time.monotonic() - answered)
        if indexed is None:
            meta = session.get(f"{api_url}/v1/images/{image_id}/metadata", timeout=10)
            if meta.status_code == 200:
                indexed = time.monotonic() - answered
        time.sleep(POLL_S)
    raise RuntimeError(f"P5: image {image_id} not counted within {WAIT_LIMIT_S}s")


def measure(
    backends: Backends, config: ServerConfig, *, reps: int, warmup: int, per_round: int, run_id: str
) -> Result:
    pool = photos.ensure_pool()
    names = sorted(pool)
    result = Result()
    with deployment(backends, "p5") as dep:
        api = dep.api(config)
        dep.worker()
        token = dep.new_link(api)
        admin = dep.admin
        started = time.monotonic()
        with requests.Session() as session:
            count = int(dep.stats(api)["totals"]["images"])
            for index in range(warmup + reps):
                uploads = []
                for k in range(per_round):
                    if time.monotonic() - started > DEADLINE_S:
                        raise RuntimeError(f"P5 did not finish within {DEADLINE_S}s")
                    photo = pool[names[(index * per_round + k) % len(names)]]
                    salt = f"{run_id}/p5/{index}/{k}"
                    uploads.append(
                        _one(
                            session,
                            api_url=api.url,
                            token=token,
                            admin=admin,
                            photo=photo,
                            salt=salt,
                            before=count,
                        )
                    )
                    count += 1
                if index >= warmup:
                    result.rounds.append(uploads)
    return result


def rows(result: Result, config: ServerConfig) -> list[Row]:
    counted = result.counted()
    per_round = [[u.counted_s for u in r] for r in result.rounds]
    p50s = [percentile(r, 50) for r in per_round]
    p95s = [percentile(r, 95) for r in per_round]
    indexed = result.indexed()
    note = f"{len(counted)} uploads pooled; range: per-round values"
    if indexed:
        # A realtime GET by id sees the document before a search does: the gap is the refresh.
        note += (
            f"; indexed (metadata GET) p50 {percentile(indexed, 50):.3f} s, "
            f"counted p50 {percentile(counted, 50):.3f} s"
        )
    return [
        Row(
            "P5 freshness p50",
            "s",
            Summary(percentile(counted, 50), min(p50s), max(p50s), p50s),
            target=Target(max_value=1.5),
            note=note,
        ),
        Row(
            "P5 freshness p95",
            "s",
            Summary(percentile(counted, 95), min(p95s), max(p95s), p95s),
            note=f"reported, no target; API gunicorn {config.label}, Celery concurrency 2",
        ),
    ]
