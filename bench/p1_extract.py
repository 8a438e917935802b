"""P1: metadata extraction, images per second on one core.

Inlet's extractor (all fields) against two floors, over the EXIF samples in
`../shared/fixtures/exif-samples` (JPEG and TIFF, some deliberately broken), or
generated images where that folder is absent:

(a) Pillow's lazy open + `getexif()` + the GPS IFD, from the same in-memory bytes:
    roughly the least any Pillow-based reader does;
(b) `identify -verbose`, one process per image, as a MiniMagick/Rails service runs
    it; skipped with a note where ImageMagick is not installed.

Every file is read into memory first, so disk speed is no part of it; the process
is pinned to one CPU for the duration.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from bench.runner import Row, Summary, Target, alternate

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "exif-samples"
SUFFIXES = {".jpg", ".jpeg", ".tif", ".tiff"}
GPS_IFD = 0x8825
IDENTIFY_TIMEOUT = 30.0


@dataclass(frozen=True)
class Sample:
    name: str
    data: bytes


def load_samples(root: Path = FIXTURES) -> tuple[list[Sample], str]:
    """The fixture files' bytes, or generated images; and where they came from."""
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
    if files:
        samples = [Sample(str(p.relative_to(root)), p.read_bytes()) for p in files]
        return samples, f"{len(samples)} files from {root}"
    return _generated(), "60 generated images (fixtures absent)"


def _generated() -> list[Sample]:
    from tests.images import make_exif, make_image

    samples = []
    for n in range(60):
        exif = make_exif(
            make="Gen",
            model=f"M{n % 4}",
            taken_at=f"2023:01:{1 + n % 28:02d} 10:00:00",
            gps=(10 + n / 10, 20 + n / 10) if n % 2 else None,
        )
        fmt = "TIFF" if n % 8 == 7 else "JPEG"
        data = make_image(fmt, size=(640, 480), seed=n, exif=exif, noise=n % 3 == 0)
        samples.append(Sample(f"generated-{n:02d}.{fmt.lower()}", data))
    return samples


def inlet_extract(data: bytes) -> None:
    from inlet.metadata import extract_metadata

    extract_metadata(io.BytesIO(data), len(data))


def pillow_floor(data: bytes) -> None:
    # A broken file fails here as it would in any Pillow reader; that is part of the floor.
    with contextlib.suppress(Exception), Image.open(io.BytesIO(data)) as im:
        exif = im.getexif()
        exif.get_ifd(GPS_IFD)


@contextlib.contextmanager
def one_core() -> Iterator[int]:
    """Pin this process to one CPU (the last: the first takes more interrupts)."""
    before = os.sched_getaffinity(0)
    core = max(before)
    os.sched_setaffinity(0, {core})
    try:
        yield core
    finally:
        os.sched_setaffinity(0, before)


def _rate(func: Callable[[bytes], None], samples: Sequence[Sample], passes: int) -> float:
    started = time.perf_counter()
    for _ in range(passes):
        for sample in samples:
            func(sample.data)
    return passes * len(samples) / (time.perf_counter() - started)


def _identify_rate(identify: str, paths: Sequence[Path]) -> float:
    started = time.perf_counter()
    for path in paths:
        # Non-zero exits (the broken samples) are part of the work, as in a real service.
        subprocess.run(
            [identify, "-verbose", str(path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=IDENTIFY_TIMEOUT,
            check=False,
            # The child inherits the pinning: the floor runs on the same single core.
            env={**os.environ, "MAGICK_THREAD_LIMIT": "1", "OMP_NUM_THREADS": "1"},
        )
    return len(paths) / (time.perf_counter() - started)


def run(*, reps: int, warmup: int, quick: bool) -> list[Row]:
    samples, source = load_samples()
    # Enough passes that a round lasts about half a second at ~10k images/s.
    passes = max(1, (8_000 if not quick else 2_000) // len(samples))
    identify = shutil.which("identify")
    with one_core(), tempfile.TemporaryDirectory(prefix="bench-p1-") as tmp:
        paths = []
        for n, sample in enumerate(samples):
            path = Path(tmp) / f"{n:03d}-{Path(sample.name).name}"
            path.write_bytes(sample.data)  # identify reads files; page cache keeps them hot
            paths.append(path)
        rounds = {
            "inlet": lambda _: {"rate": _rate(inlet_extract, samples, passes)},
            "pillow": lambda _: {"rate": _rate(pillow_floor, samples, passes)},
        }
        if identify:
            rounds["identify"] = lambda _: {"rate": _identify_rate(identify, paths)}
        kept = alternate(rounds, reps=reps, warmup=warmup)
    inlet = Summary.of([r["rate"] for r in kept["inlet"]])
    rows = [
        Row(
            "P1 extract vs Pillow",
            "img/s",
            inlet,
            Summary.of([r["rate"] for r in kept["pillow"]]),
            "(a) Pillow getexif+GPS",
            Target(min_ratio=0.5),
            note=f"one core, {source}",
        )
    ]
    if identify:
        rows.append(
            Row(
                "P1 extract vs identify",
                "img/s",
                inlet,
                Summary.of([r["rate"] for r in kept["identify"]]),
                "(b) identify -verbose",
                Target(min_ratio=100),
            )
        )
    else:
        rows.append(
            Row(
                "P1 extract vs identify",
                "img/s",
                inlet,
                note="skipped: ImageMagick's identify is not installed",
            )
        )
    return rows
