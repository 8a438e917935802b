"""Test-only operations on the backends (things the product never needs to do), and
the shared fixtures the tests may require."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from celery import Celery
from elasticsearch import Elasticsearch
from redis import Redis

from search.indices import IndexNames, alias_targets, index_specs

# Set by .ci/run, where a copy of ../shared sits beside the clone: there a missing
# fixture is a broken run, not a reason to skip (a fork's CI leaves it unset).
REQUIRE_FIXTURES = "INLET_REQUIRE_FIXTURES"


def shared_fixture(directory: Path, pattern: str) -> Path:
    """``directory`` when it holds files matching ``pattern``; otherwise the test is
    skipped, or fails when the run requires the shared fixtures."""
    if directory.is_dir() and any(directory.rglob(pattern)):
        return directory
    missing = f"no {pattern} files in {directory}"
    if os.environ.get(REQUIRE_FIXTURES) == "1":
        pytest.fail(f"{missing}, and {REQUIRE_FIXTURES}=1 requires them", pytrace=False)
    pytest.skip(f"{missing} (shared fixtures are optional unless {REQUIRE_FIXTURES}=1)")


def refresh(es: Elasticsearch, names: IndexNames) -> None:
    """Make every write so far visible to searches."""
    es.indices.refresh(index=f"{names.images},{names.uploads}")


def drop_indices(es: Elasticsearch, prefix: str) -> None:
    """Delete the aliases' indices (any version) and the current concrete ones.

    Names are resolved first because wildcard deletes are refused by default
    (``action.destructive_requires_name``).
    """
    targets: set[str] = set()
    for spec in index_specs(prefix):
        targets |= alias_targets(es, spec.alias)
        targets.add(spec.concrete)
    es.indices.delete(index=",".join(sorted(targets)), ignore_unavailable=True)


def hash_count(redis: Redis, prefix: str) -> int:
    """How many hashes the dedup SET holds."""
    return int(redis.scard(f"{prefix}:hashes"))


def beat_sends(app: Celery, entry: str) -> None:
    """Send the task of ``entry`` in ``app``'s beat schedule, as beat does on its clock."""
    app.send_task(app.conf.beat_schedule[entry]["task"])


def dev_tool(name: str) -> str:
    """A command-line tool of requirements-dev.txt: beside the venv's Python, else on PATH."""
    beside_python = Path(sys.executable).parent / name
    if beside_python.is_file():
        return str(beside_python)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} not found: install requirements-dev.txt (make install)")
    return found
