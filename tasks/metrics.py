"""The workers' Prometheus metrics, recorded in the pool processes.

Celery's prefork pool runs tasks in child processes, so, as under gunicorn, every
process writes its samples under ``PROMETHEUS_MULTIPROC_DIR`` and the worker's main
process serves their sum (:mod:`tasks.observe`). Every metric here has labels, so no
sample file is created before a task runs (the directory is prepared when the
worker starts, after this module is imported).
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

from prometheus_client import Counter, Histogram

RUNTIME_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
INDEXED_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 3600, 4 * 3600)

TASK_RUNTIME = Histogram(
    "inlet_task_runtime_seconds",
    "Time a task ran in a worker process, by task.",
    ["task"],
    buckets=RUNTIME_BUCKETS,
)
TASK_OUTCOMES = Counter(
    "inlet_task_outcomes",
    "Task runs by task and outcome: success, retry (a transient error, run again "
    "later) or dead_letter (failed for good; listed by GET /v1/failures).",
    ["task", "outcome"],
)
EXTRACTION = Histogram(
    "inlet_extraction_seconds",
    "Time to extract one image's metadata, by detected format.",
    ["format"],
    buckets=RUNTIME_BUCKETS,
)
UPLOAD_TO_INDEXED = Histogram(
    "inlet_upload_to_indexed_seconds",
    "Time from an upload being accepted to its record being indexed (counted in the "
    "statistics), by whether the image was new or a duplicate.",
    ["kind"],
    buckets=INDEXED_BUCKETS,
)

IMAGES_REJECTED = Counter(
    "inlet_images_rejected",
    "Stored images that failed verification in a worker and were deleted, by reason.",
    ["reason"],
)

OUTCOME_BY_STATE = {"SUCCESS": "success", "RETRY": "retry", "FAILURE": "dead_letter"}

_lock = threading.Lock()
_started: dict[str, float] = {}
_dead_lettered: set[str] = set()


def task_started(task_id: str) -> None:
    with _lock:
        _started[task_id] = time.perf_counter()


def dead_lettered(task_id: str) -> None:
    """The running task recorded a dead letter (it may still end normally)."""
    with _lock:
        _dead_lettered.add(task_id)


def task_finished(task_name: str, task_id: str, state: str | None) -> None:
    with _lock:
        started = _started.pop(task_id, None)
        dead = task_id in _dead_lettered
        _dead_lettered.discard(task_id)
    if started is not None:
        TASK_RUNTIME.labels(task=task_name).observe(time.perf_counter() - started)
    outcome = "dead_letter" if dead else OUTCOME_BY_STATE.get(state or "")
    if outcome is not None:
        TASK_OUTCOMES.labels(task=task_name, outcome=outcome).inc()


def observe_extraction(metadata: dict[str, Any], seconds: float) -> None:
    fmt = str(metadata.get("format") or "unknown")[:16]
    EXTRACTION.labels(format=fmt).observe(seconds)


def observe_recorded(event: dict[str, Any], now: datetime | None = None) -> None:
    """An upload event is indexed: how long since the upload was accepted."""
    try:
        uploaded = datetime.fromisoformat(str(event["uploaded_at"]))
    except (KeyError, ValueError):
        return
    if uploaded.tzinfo is None:
        uploaded = uploaded.replace(tzinfo=UTC)
    elapsed = ((now or datetime.now(UTC)) - uploaded).total_seconds()
    kind = "duplicate" if event.get("duplicate") else "new"
    UPLOAD_TO_INDEXED.labels(kind=kind).observe(max(elapsed, 0.0))
