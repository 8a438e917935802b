"""Worker metrics recorded in-process: task outcomes and the time to index."""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client import REGISTRY

from tasks import metrics


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_task_that_dead_letters_counts_as_a_dead_letter_even_if_it_returns() -> None:
    name = "test.metrics.task"
    metrics.task_started("t1")
    metrics.dead_lettered("t1")
    metrics.task_finished(name, "t1", "SUCCESS")
    metrics.task_started("t2")
    metrics.task_finished(name, "t2", "RETRY")
    metrics.task_started("t3")
    metrics.task_finished(name, "t3", "SUCCESS")
    total = "inlet_task_outcomes_total"
    assert _sample(total, task=name, outcome="dead_letter") == 1
    assert _sample(total, task=name, outcome="retry") == 1
    assert _sample(total, task=name, outcome="success") == 1
    assert _sample("inlet_task_runtime_seconds_count", task=name) == 3


def test_upload_to_indexed_is_measured_from_the_events_upload_time() -> None:
    before = _sample("inlet_upload_to_indexed_seconds_sum", kind="duplicate")
    event = {"uploaded_at": "2026-01-01T00:00:00.000+00:00", "duplicate": True}
    metrics.observe_recorded(event, now=datetime(2026, 1, 1, 0, 0, 42, tzinfo=UTC))
    after = _sample("inlet_upload_to_indexed_seconds_sum", kind="duplicate")
    assert after - before == 42
    metrics.observe_recorded({"uploaded_at": "not a time"})
    assert _sample("inlet_upload_to_indexed_seconds_sum", kind="duplicate") == after
