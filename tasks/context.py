"""Per-process collaborators for the tasks, built lazily after the worker forks."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from elasticsearch import Elasticsearch

from inlet.blobstore import S3BlobStore
from inlet.clients import make_blob_store, make_redis
from inlet.settings import Settings
from search.client import make_client
from search.errors import SearchError
from search.indices import IndexNames, ensure_indices, index_names

T = TypeVar("T")


@dataclass
class Context:
    settings: Settings
    blobs: S3BlobStore
    es: Elasticsearch
    redis: Any
    _ready: bool = field(default=False, repr=False)

    @property
    def names(self) -> IndexNames:
        return index_names(self.settings.index_prefix)

    def indices(self) -> IndexNames:
        """The index names, creating the indices first if this process has not yet."""
        if not self._ready:
            ensure_indices(self.es, self.settings.index_prefix)
            self._ready = True
        return self.names

    def write(self, operation: Callable[[IndexNames], T]) -> T:
        """Run a search write; if the indices vanished (a new, empty search server),
        create them again and write once more."""
        try:
            return operation(self.indices())
        except SearchError as exc:
            if exc.kind != "index_not_found_exception":
                raise
            self._ready = False
            return operation(self.indices())

    def search_failed(self) -> None:
        # The search server may come back empty (a new node, a restored cluster):
        # check the indices again before the next write.
        self._ready = False


_lock = threading.Lock()
_contexts: dict[int, Context] = {}


def context_for(settings: Settings) -> Context:
    key = id(settings)
    with _lock:
        if key not in _contexts:
            _contexts[key] = Context(
                settings=settings,
                blobs=make_blob_store(settings, pool=4),
                es=make_client(settings),
                redis=make_redis(settings),
            )
        return _contexts[key]
