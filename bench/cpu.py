"""CPU seconds spent per process group during a round: where the shared cores went.

On a 2-core machine the load generator, the S3 server and the API compete for the
same CPUs, so a throughput ratio alone does not say what limits it. The CPU time of
each group (a root process and its children, e.g. gunicorn's master and workers)
per megabyte moved does.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping

import psutil


def _tree_seconds(root: int) -> tuple[float, float]:
    """(user, system) CPU seconds of `root` and its descendants."""
    try:
        parent = psutil.Process(root)
        procs = [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0, 0.0
    user = system = 0.0
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            times = proc.cpu_times()
            user += times.user
            system += times.system
    return user, system


class CpuMeter:
    """CPU seconds of named process trees during a `measure()` block.

    The yielded dict gets `NAME` (user + system) and `NAME/sys` (system: the kernel's
    share, mostly socket copies) for every group.
    """

    def __init__(self, groups: Mapping[str, int]) -> None:
        self.groups = dict(groups)
        self.used: dict[str, float] = {}

    @contextlib.contextmanager
    def measure(self) -> Iterator[dict[str, float]]:
        before = {name: _tree_seconds(pid) for name, pid in self.groups.items()}
        used: dict[str, float] = {}
        try:
            yield used
        finally:
            for name, pid in self.groups.items():
                user, system = _tree_seconds(pid)
                used[name] = user + system - sum(before[name])
                used[f"{name}/sys"] = system - before[name][1]
