"""Repetition, summaries, the results table and the JSON record.

Every figure runs a warm-up first and then at least `reps` measured rounds. Where a
figure has a floor, Inlet and the floor alternate round by round, so a noisy
neighbour on this shared machine slows both rather than one.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
Metrics = dict[str, float]
Round = Callable[[int], Metrics]


@dataclass(frozen=True)
class Summary:
    median: float
    low: float
    high: float
    values: list[float]

    @classmethod
    def of(cls, values: Sequence[float]) -> Summary:
        if not values:
            raise ValueError("no values to summarise")
        return cls(statistics.median(values), min(values), max(values), list(values))


@dataclass(frozen=True)
class Target:
    """`min_ratio`: Inlet / floor must reach it; `max_ratio`: Inlet / floor must stay at
    or under it; `max_value`: Inlet must stay at or under."""

    min_ratio: float | None = None
    max_value: float | None = None
    max_ratio: float | None = None

    @property
    def text(self) -> str:
        if self.min_ratio is not None:
            return f">= {self.min_ratio:g}x"
        if self.max_ratio is not None:
            return f"<= {self.max_ratio:g}x"
        if self.max_value is not None:
            return f"<= {self.max_value:g}"
        return "-"

    def met(self, value: float, ratio: float | None) -> bool | None:
        if self.min_ratio is not None:
            return None if ratio is None else ratio >= self.min_ratio
        if self.max_ratio is not None:
            return None if ratio is None else ratio <= self.max_ratio
        if self.max_value is not None:
            return value <= self.max_value
        return None


@dataclass
class Row:
    figure: str
    unit: str
    inlet: Summary
    floor: Summary | None = None
    floor_name: str = ""
    target: Target = field(default_factory=Target)
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.floor is None or self.floor.median == 0:
            return None
        return self.inlet.median / self.floor.median

    @property
    def met(self) -> bool | None:
        return self.target.met(self.inlet.median, self.ratio)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio, "met": self.met, "target": self.target.text}


def alternate(
    rounds: Mapping[str, Round], *, reps: int, warmup: int = 1
) -> dict[str, list[Metrics]]:
    """Run each named round `warmup + reps` times, interleaved; keep the measured ones."""
    kept: dict[str, list[Metrics]] = {name: [] for name in rounds}
    for index in range(warmup + reps):
        for name, run in rounds.items():
            metrics = run(index)
            if index >= warmup:
                kept[name].append(metrics)
    return kept


def summary(rounds: Sequence[Metrics], metric: str) -> Summary:
    return Summary.of([r[metric] for r in rounds])


def fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def _cell(s: Summary | None, unit: str) -> str:
    if s is None:
        return "-"
    return f"{fmt(s.median)} {unit} ({fmt(s.low)}-{fmt(s.high)})"


def render_table(rows: Sequence[Row]) -> str:
    header = [
        "figure",
        "Inlet (median, min-max)",
        "floor (median, min-max)",
        "ratio",
        "target",
        "met?",
    ]
    lines = [header]
    for row in rows:
        floor = _cell(row.floor, row.unit)
        if row.floor is not None and row.floor_name:
            floor = f"{row.floor_name}: {floor}"
        ratio = f"{row.ratio:.2f}x" if row.ratio is not None else "-"
        met = {True: "yes", False: "NO", None: "-"}[row.met]
        lines.append([row.figure, _cell(row.inlet, row.unit), floor, ratio, row.target.text, met])
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for n, line in enumerate(lines):
        out.append(" | ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)))
        if n == 0:
            out.append("-+-".join("-" * w for w in widths))
    notes = [f"  {row.figure}: {row.note}" for row in rows if row.note]
    return "\n".join(out + (["", "notes:", *notes] if notes else []))


def machine() -> dict[str, Any]:
    """What the run ran on; BENCHMARKS.md quotes it."""
    info: dict[str, Any] = {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "mem_total_gib": round(_mem_total_kib() / 1024 / 1024, 1),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "load_avg_at_start": os.getloadavg(),
    }
    versions: dict[str, str | None] = {}
    for dist in ("gunicorn", "falcon", "pillow", "minio", "moto", "osmem-server", "celery"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    info["versions"] = versions
    info["imagemagick"] = _imagemagick()
    info["git_commit"] = _git_commit()
    return info


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _mem_total_kib() -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _imagemagick() -> str | None:
    identify = shutil.which("identify")
    if not identify:
        return None
    out = subprocess.run([identify, "-version"], capture_output=True, text=True, check=False)
    return out.stdout.splitlines()[0] if out.stdout else None


def _git_commit() -> str | None:
    git = shutil.which("git")
    if not git:
        return None
    out = subprocess.run(
        [git, "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[1],
    )
    return out.stdout.strip() or None


def write_json(record: Mapping[str, Any], directory: Path = RESULTS) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = directory / f"{stamp}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record, indent=1, default=str) + "\n")
    tmp.replace(path)
    return path


class Stopwatch:
    """Seconds since creation, for the per-figure durations in the record."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started
