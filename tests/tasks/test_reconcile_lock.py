"""One reconcile run at a time, against the real Redis: a second run while the first
is listing the bucket skips with a log line; the lock outlives no run by much."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from inlet.stores.clients import make_redis
from inlet.stores.locks import RunLock
from tasks import pipeline
from tasks.context import Context
from tasks.reconcile import run_reindex
from tests.tasks.test_pipeline import stored_image


def test_a_run_started_during_another_skips_and_the_lock_goes_with_the_first(
    ctx: Context, caplog: pytest.LogCaptureFixture
) -> None:
    missing = {stored_image(ctx, seed=31), stored_image(ctx, seed=32)}
    # Another process: its own connection to the same Redis.
    elsewhere = dataclasses.replace(ctx, redis=make_redis(ctx.settings))
    lock_key = ctx.reconcile_lock().key
    second_runs: list[int | None] = []
    held_ttls: list[int] = []

    def queue_and_race(image_id: str) -> None:
        # Beat sends reconcile again while this run is half way through the bucket.
        held_ttls.append(int(ctx.redis.ttl(lock_key)))
        second_runs.append(pipeline.reconcile(elsewhere, lambda other: None))

    with caplog.at_level(logging.INFO, logger="tasks.pipeline"):
        assert pipeline.reconcile(ctx, queue_and_race) == len(missing)

    assert second_runs == [None, None]
    assert "reconcile: another run is under way; skipping this one" in caplog.text
    # Held with an expiry, so a run that is killed cannot hold it for ever; longer
    # than a task may run (TASK_TIME_LIMIT).
    assert all(
        ctx.settings.task_time_limit < ttl <= 2 * ctx.settings.task_time_limit for ttl in held_ttls
    )
    # Released at the end: the next run does the work again (nothing indexed meanwhile).
    assert ctx.redis.exists(lock_key) == 0
    assert pipeline.reconcile(elsewhere, lambda image_id: None) == len(missing)
    elsewhere.redis.close()


def test_a_run_whose_lock_expired_frees_not_the_next_runs_lock(ctx: Context) -> None:
    key = f"{ctx.settings.redis_prefix}:test-lock"
    first = RunLock(ctx.redis, key, ttl=60)
    assert first.acquire()
    assert not RunLock(ctx.redis, key, ttl=60).acquire()
    ctx.redis.delete(key)  # what its expiry does to a run that hung
    second = RunLock(ctx.redis, key, ttl=60)
    assert second.acquire()

    assert not first.renew()
    first.release()

    assert ctx.redis.get(key) == second.token
    assert second.renew()
    second.release()
    assert ctx.redis.exists(key) == 0


def test_the_command_line_run_skips_while_beats_run_holds_the_lock(ctx: Context) -> None:
    stored_image(ctx, seed=33)
    beats_run = ctx.reconcile_lock()
    assert beats_run.acquire()
    try:
        assert run_reindex(ctx.settings) is None
    finally:
        beats_run.release()
    queued: list[str] = []
    assert pipeline.reconcile(ctx, queued.append) == 1
