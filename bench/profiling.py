"""Optional sampling profiles of the API processes during measured rounds (`--profile`).

py-spy attaches to the gunicorn master and its workers (`--subprocesses`) without
changing them, samples non-idle threads, and writes collapsed stacks; a short
summary (inclusive and self share per function) is written beside them. Profiled
rounds run slower, so a run with `--profile` is for explaining figures, not for
recording them. The raw stacks stay in `bench/.cache/profiles/`; the summaries go
to `bench/results/`.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import signal
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from devstack import servers

_LINE = re.compile(r":\d+\)")


class Profiler:
    def __init__(self, directory: Path, raw_directory: Path, *, native: bool = False) -> None:
        found = shutil.which("py-spy") or str(servers.VENV_BIN / "py-spy")
        if not Path(found).exists():
            raise FileNotFoundError("--profile needs py-spy: pip install py-spy")
        self.binary = found
        self.directory = directory
        self.raw_directory = raw_directory
        self.native = native
        self.pid: int | None = None
        self.summaries: dict[str, str] = {}
        directory.mkdir(parents=True, exist_ok=True)
        raw_directory.mkdir(parents=True, exist_ok=True)

    def target(self, service: servers.Service) -> None:
        assert service.process is not None
        self.pid = service.process.pid

    @contextlib.contextmanager
    def during(self, name: str) -> Iterator[None]:
        if self.pid is None:
            yield
            return
        slug = re.sub(r"[^A-Za-z0-9.-]+", "_", name)
        raw = self.raw_directory / f"{slug}.txt"
        argv = [self.binary, "record", "--pid", str(self.pid), "--subprocesses", "--nonblocking"]
        argv += ["--format", "raw", "--rate", "200", "--output", str(raw)]
        if self.native:
            argv.append("--native")
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            yield
        finally:
            # SIGINT makes py-spy stop sampling and write what it has.
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        if raw.exists():
            text = summarise(raw)
            (self.directory / f"{slug}.summary.txt").write_text(text)
            self.summaries[name] = text


def summarise(raw: Path, top: int = 30) -> str:
    """Inclusive and self sample shares per function from py-spy's collapsed stacks."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_LINE.sub(")", f) for f in stack.split(";")]
        # The first frames name the process and thread; functions start after them.
        frames = [f for f in frames if "(" in f]
        if not frames:
            continue
        total += count
        for frame in set(frames):
            inclusive[frame] += count
        own[frames[-1]] += count
    if not total:
        return "no samples\n"
    lines = [f"{total} samples", "", "inclusive:"]
    lines += [f"{100 * n / total:5.1f}%  {f}" for f, n in inclusive.most_common(top)]
    lines += ["", "self:"]
    lines += [f"{100 * n / total:5.1f}%  {f}" for f, n in own.most_common(top)]
    return "\n".join(lines) + "\n"
