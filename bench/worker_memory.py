"""P8: the Celery worker's peak RSS while it verifies hostile images, against the
configured bound (WORKER_MEMORY_LIMIT, the address-space limit of each pool process).

Two inputs that pass the API's cheap header checks and cost the worker's full decode
the most: a decompression-bomb attempt (a PNG of a few hundred KB that decodes to
10000 x ~10000 RGBA, 400 MB of pixels, at the MAX_IMAGE_PIXELS bound) and a GIF of 100
frames (VERIFY_MAX_FRAMES, all decoded). Each round uploads a new one of each through
the front proxy; a thread samples the RSS of every process under the worker every
10 ms until the image is ready or rejected. The figure is the largest pool process.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field

import psutil
import requests
from PIL import Image, ImageDraw

from bench.deploy import Backends, ServerConfig, deployment
from bench.memory import SAMPLE_S
from bench.runner import Row, Summary, Target
from inlet.settings import Settings
from tests.images import png_of_zeros

MiB = 1024 * 1024
DECIDE_LIMIT_S = 120.0
FRAMES = 100


def hundred_frame_gif(salt: str, size: int = 800) -> bytes:
    frames = []
    for k in range(FRAMES):
        frame = Image.new("P", (size, size), k % 256)
        ImageDraw.Draw(frame).rectangle((k * 5, k * 3, k * 5 + 200, k * 3 + 200), fill=255 - k)
        frames.append(frame)
    out = io.BytesIO()
    frames[0].save(
        out, "GIF", save_all=True, append_images=frames[1:], duration=40, comment=salt.encode()
    )
    return out.getvalue()


class PeakTree:
    """The highest RSS of any one process under ``pid``, sampled until stopped."""

    def __init__(self, pid: int) -> None:
        self.root = psutil.Process(pid)
        self.peak = 0

    def sample(self) -> None:
        for proc in self.root.children(recursive=True):
            try:
                self.peak = max(self.peak, int(proc.memory_info().rss))
            except psutil.Error:
                continue


@dataclass
class Result:
    limit_mib: float
    bomb: list[float] = field(default_factory=list)
    gif: list[float] = field(default_factory=list)
    outcomes: dict[str, list[str]] = field(default_factory=dict)


def _decided(session: requests.Session, url: str, image_id: str) -> str | None:
    meta = session.get(f"{url}/v1/images/{image_id}/metadata", timeout=10)
    if meta.status_code == 200:
        return "ready"
    if meta.status_code == 410:
        return f"rejected ({meta.json().get('reason')})"
    return None


def _verify(
    session: requests.Session, url: str, token: str, data: bytes, pid: int
) -> tuple[float, str]:
    name = "bomb.png" if data.startswith(b"\x89PNG") else "frames.gif"
    resp = session.post(f"{url}/v1/uploads/{token}", files={"images": (name, data)}, timeout=60)
    if resp.status_code != 201:
        raise RuntimeError(f"P8 upload answered {resp.status_code}: {resp.text[:300]}")
    image_id = resp.json()["images"][0]["id"]
    peak = PeakTree(pid)
    deadline = time.monotonic() + DECIDE_LIMIT_S
    while time.monotonic() < deadline:
        peak.sample()
        outcome = _decided(session, url, image_id)
        if outcome:
            return peak.peak / MiB, outcome
        time.sleep(SAMPLE_S)
    raise RuntimeError(f"P8: {name} not verified within {DECIDE_LIMIT_S}s")


def measure(
    backends: Backends, config: ServerConfig, *, reps: int, warmup: int, run_id: str
) -> Result:
    with deployment(backends, "p8") as dep:
        _, front = dep.proxied_api(config)
        worker = dep.worker()
        assert worker.process is not None
        token = dep.new_link(front)
        result = Result(Settings.from_env(dep.env).worker_memory_limit / MiB)
        with requests.Session() as session:
            for index in range(warmup + reps):
                bomb = png_of_zeros(10_000, 10_000 - index)
                gif = hundred_frame_gif(f"{run_id}/{index}")
                for key, data in (("bomb", bomb), ("gif", gif)):
                    peak, outcome = _verify(session, front.url, token, data, worker.process.pid)
                    if index >= warmup:
                        getattr(result, key).append(peak)
                        result.outcomes.setdefault(key, []).append(outcome)
    return result


def rows(result: Result) -> list[Row]:
    def note(key: str, what: str) -> str:
        outcomes = sorted(set(result.outcomes.get(key, [])))
        return (
            f"{what}; outcome: {', '.join(outcomes)}; WORKER_MEMORY_LIMIT {result.limit_mib:g} MiB"
        )

    return [
        Row(
            "P8 worker peak RSS: decompression bomb",
            "MiB",
            Summary.of(result.bomb),
            target=Target(max_value=result.limit_mib),
            note=note("bomb", "PNG of 10000 x ~10000 RGBA (400 MB of pixels) in ~400 KB"),
        ),
        Row(
            "P8 worker peak RSS: 100-frame GIF",
            "MiB",
            Summary.of(result.gif),
            target=Target(max_value=result.limit_mib),
            note=note("gif", f"{FRAMES} frames of 800 x 800, every one decoded"),
        ),
    ]
