"""The map of state: each key the stores build is a pattern the table declares, and
each declared pattern is one some store builds."""

from __future__ import annotations

import inspect
import re

from inlet.stores.keys import PATTERNS, Keys

PLACEHOLDER = re.compile(r"\{(\w+)\}")


def built_patterns() -> set[str]:
    """The pattern of every key method, its arguments written as `{name}`."""
    keys = Keys("{prefix}")
    found = set()
    for name, method in inspect.getmembers(keys, inspect.ismethod):
        if name.startswith("_") or name in {"everything", "celery_queue"}:
            continue
        params = inspect.signature(method).parameters
        arguments = {p: "{" + p + "}" for p in params}
        key = method(**arguments)
        found.add(key + "*" if key.endswith(":") else key)
    return found


def test_every_key_a_store_builds_is_declared_and_every_declared_one_is_built() -> None:
    assert built_patterns() == {p.pattern for p in PATTERNS}


def test_every_key_starts_with_the_prefix_so_deployments_can_share_a_redis() -> None:
    for pattern in PATTERNS:
        assert pattern.pattern.startswith("{prefix}:")
    assert Keys("a").link("x") != Keys("b").link("x")


def test_each_row_says_type_writer_reader_and_lifetime() -> None:
    for pattern in PATTERNS:
        assert all([pattern.type, pattern.writer, pattern.reader, pattern.lifetime]), pattern


def test_the_celery_queue_lives_under_the_prefix_too() -> None:
    # The queue is a list named by Celery under its global_keyprefix (`{prefix}:celery:`).
    assert Keys("p").celery_queue().startswith("p.")
