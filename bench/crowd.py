"""P9: a crowd at once. 40 senders, each with one new 1-5 MB photo, all released
together through the front proxy, against the same run with admission off.

Inlet runs on its default settings (`MAX_UPLOADS_IN_FLIGHT` 3 per API process, uploads
beyond it waiting up to `UPLOAD_QUEUE_WAIT` for their turn). The floor is the same
API with admission off: `MAX_UPLOADS_IN_FLIGHT` as large as the request threads, so
every upload that has a thread runs at once and none ever waits for a slot or is
refused by admission. Each side has its own deployment (API, proxy, bucket); rounds
alternate. Every request is sent once, without retrying: a round counts the uploads
answered 201 at the first try, their p95 latency (send to answer) and the MB/s of the
accepted photos over the round's wall time. The Celery worker is not running (as in
P2): these are the API's own figures.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path

from bench import load, photos
from bench.deploy import Backends, ServerConfig, deployment
from bench.runner import Metrics, Row, Summary, Target, alternate, summary

SENDERS = 40
P95_TARGET_S = 5.0
DEADLINE_S = 180.0
MB = 1_000_000


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[94]


@dataclass
class Result:
    rounds: dict[str, list[Metrics]] = field(default_factory=dict)


def _round(
    url: str, token: str, pool: dict[str, photos.Photo], salt: str, workdir: Path
) -> Metrics:
    names = sorted(pool)
    clients = [
        [
            load.Request(
                "POST", f"/v1/uploads/{token}", multipart=[(names[c % len(names)], f"{salt}/{c}")]
            )
        ]
        for c in range(SENDERS)
    ]
    result = load.run(load.Spec(url, clients, DEADLINE_S), workdir)
    if not result.completed:
        raise RuntimeError(f"P9 round did not complete: {result.errors[:3]}")
    return {
        "first_try_201": float(result.statuses.get("201", 0)),
        "p95_s": p95(result.latencies_s),
        "MB/s": result.accepted_bytes / MB / result.wall_s,
        "wall_s": result.wall_s,
        "refused": float(sum(n for s, n in result.statuses.items() if s != "201")),
    }


def measure(
    backends: Backends,
    config: ServerConfig,
    *,
    reps: int,
    warmup: int,
    run_id: str,
    workdir: Path,
) -> Result:
    pool = photos.ensure_pool()
    with deployment(backends, "p9") as on, deployment(backends, "p9-off") as off:
        _, on_proxy = on.proxied_api(config)
        # Admission off: a slot for every request thread, so nothing waits or is refused.
        _, off_proxy = off.proxied_api(config, extra={"MAX_UPLOADS_IN_FLIGHT": str(config.threads)})
        on_token, off_token = on.new_link(on_proxy), off.new_link(off_proxy)
        rounds = alternate(
            {
                "inlet": lambda i: _round(
                    on_proxy.url, on_token, pool, f"{run_id}/p9/on/{i}", workdir / "p9"
                ),
                "floor": lambda i: _round(
                    off_proxy.url, off_token, pool, f"{run_id}/p9/off/{i}", workdir / "p9"
                ),
            },
            reps=reps,
            warmup=warmup,
        )
    return Result(rounds)


def rows(result: Result, config: ServerConfig) -> list[Row]:
    inlet, floor = result.rounds["inlet"], result.rounds["floor"]
    setup = (
        f"{SENDERS} senders x one new 1-5 MB photo, at once, through nginx; gunicorn "
        f"{config.label}, default settings; floor: MAX_UPLOADS_IN_FLIGHT={config.threads}"
    )
    return [
        Row(
            "P9 crowd: uploads not 201 at the first try, all rounds",
            "",
            Summary.of([sum(r["refused"] for r in inlet)]),
            Summary.of([sum(r["refused"] for r in floor)]),
            "admission off",
            Target(max_value=0),
            note="201s per round: "
            + ", ".join(f"{r['first_try_201']:.0f}" for r in inlet)
            + f" of {SENDERS}; "
            + setup,
        ),
        Row(
            "P9 crowd: p95 latency",
            "s",
            summary(inlet, "p95_s"),
            summary(floor, "p95_s"),
            "admission off",
            Target(max_value=P95_TARGET_S),
            note=f"worst round {max(r['p95_s'] for r in inlet):.2f} s",
        ),
        Row(
            "P9 crowd: MB/s",
            "MB/s",
            summary(inlet, "MB/s"),
            summary(floor, "MB/s"),
            "admission off",
            Target(min_ratio=0.9),
            note="accepted photos' bytes over the round's wall time",
        ),
    ]
