"""P6: peak RSS of the API worker during a 200 MB upload stream, minus its idle RSS.

One gunicorn worker (so there is exactly one process to watch) receives one
request of about 70 new photos, 200 MB in all, from the load generator. A thread
here samples the worker's RSS every 10 ms. Idle is the worker's RSS after it
started and answered one small request, before any upload: so the figure also
holds what the first upload loads once (Pillow's plugins, the S3 client's
machinery) and what the allocator keeps after a round, which is the conservative
reading. The rise within a round (over the RSS just before it) is recorded too.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from bench import load, photos
from bench.deploy import Backends, ServerConfig, deployment
from bench.runner import Row, Summary, Target

MiB = 1024 * 1024
STREAM_BYTES = 200_000_000
SAMPLE_S = 0.01


class PeakRss(threading.Thread):
    """The highest RSS of `pid` seen until stopped (bounded by `limit_s`)."""

    def __init__(self, pid: int, limit_s: float) -> None:
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.limit_s = limit_s
        self.peak: int = self.process.memory_info().rss
        self.samples = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        deadline = time.monotonic() + self.limit_s
        while not self._stop_event.is_set() and time.monotonic() < deadline:
            self.peak = max(self.peak, int(self.process.memory_info().rss))
            self.samples += 1
            self._stop_event.wait(SAMPLE_S)

    def stop(self) -> int:
        self._stop_event.set()
        self.join(5)
        return self.peak


@dataclass
class Round:
    idle_mib: float
    peak_mib: float
    stream_mb: float
    parts: int
    seconds: float
    samples: int

    @property
    def rise_mib(self) -> float:
        """The rise within this round, over the RSS just before it."""
        return self.peak_mib - self.idle_mib


@dataclass
class Result:
    config: ServerConfig
    boot_idle_mib: float
    rounds: list[Round] = field(default_factory=list)
    warmup: list[Round] = field(default_factory=list)


def _parts(sizes: dict[str, int], salt: str) -> tuple[list[photos.PhotoRef], int]:
    """New photos, cycling through the pool, until they add up to STREAM_BYTES."""
    names = sorted(sizes)
    refs: list[photos.PhotoRef] = []
    total = 0
    while total < STREAM_BYTES:
        name = names[len(refs) % len(names)]
        ref = (name, f"{salt}/{len(refs)}")
        refs.append(ref)
        total += sizes[name] + len(ref[1]) + 4  # the COM segment adds 4 bytes and the salt
    return refs, total


def measure(
    backends: Backends,
    shipped: ServerConfig,
    *,
    reps: int,
    warmup: int,
    workdir: Path,
    run_id: str,
) -> Result:
    sizes = {name: len(p.data) for name, p in photos.ensure_pool().items()}
    # The shipped worker class and threads, but one process, so its RSS is the figure.
    config = ServerConfig(shipped.worker_class, 1, shipped.threads)
    with deployment(backends, "p6", {"MAX_FILES_PER_REQUEST": "100"}) as dep:
        api = dep.api(config)
        token = dep.new_link(api)
        assert api.process is not None
        workers = psutil.Process(api.process.pid).children()
        if len(workers) != 1:
            raise RuntimeError(f"expected one gunicorn worker, found {len(workers)}")
        worker = workers[0]
        time.sleep(0.5)
        result = Result(config, worker.memory_info().rss / MiB)
        for index in range(warmup + reps):
            refs, total = _parts(sizes, f"{run_id}/p6/{index}")
            spec = load.Spec(
                api.url,
                [[load.Request("POST", f"/v1/uploads/{token}", multipart=refs)]],
                deadline_s=300,
            )
            time.sleep(0.3)  # let the previous round's frees settle before reading idle
            idle = worker.memory_info().rss
            sampler = PeakRss(worker.pid, limit_s=330)
            sampler.start()
            try:
                outcome = load.run(spec, workdir / "p6")
            finally:
                peak = sampler.stop()
            outcome.check(201)
            measured = Round(
                idle / MiB, peak / MiB, total / 1e6, len(refs), outcome.wall_s, sampler.samples
            )
            (result.rounds if index >= warmup else result.warmup).append(measured)
    return result


def rows(result: Result) -> list[Row]:
    over_idle = [r.peak_mib - result.boot_idle_mib for r in result.rounds]
    rises = [r.rise_mib for r in result.rounds]
    stream = result.rounds[0]
    note = (
        f"gunicorn {result.config.label}, {stream.parts} new photos = {stream.stream_mb:.0f} MB "
        f"in one request; idle {result.boot_idle_mib:.0f} MiB; rise within a round "
        f"{Summary.of(rises).median:.1f} MiB (median)"
    )
    return [
        Row(
            "P6 peak RSS - idle",
            "MiB",
            Summary.of(over_idle),
            target=Target(max_value=64),
            note=note,
        )
    ]
