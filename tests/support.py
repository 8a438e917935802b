"""Test-only operations on the backends: things the product never needs to do."""

from __future__ import annotations

from celery import Celery
from elasticsearch import Elasticsearch
from redis import Redis

from search.indices import IndexNames, alias_targets, index_specs


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
