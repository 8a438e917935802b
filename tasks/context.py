"""Per-process collaborators for the tasks.

Clients hold sockets and connection pools, which must never cross a fork: a pool
child that inherited its parent's search connection would interleave requests on
it with its siblings. So a context belongs to one process id, and a forked child
(a new pool process, or the replacement of a killed one) builds its own.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO, TypeVar

from celery.exceptions import SoftTimeLimitExceeded
from elasticsearch import Elasticsearch
from redis import Redis

from inlet.metadata import extract_metadata
from inlet.presign import Credentials
from inlet.settings import Settings
from inlet.stores.blobstore import BlobStore, S3BlobStore
from inlet.stores.clients import make_blob_store, make_redis
from inlet.stores.dedup import HashIndex
from inlet.stores.direct import StagedUploads
from inlet.stores.direct_state import DirectUploadState
from inlet.stores.keys import Keys
from inlet.stores.links import LinkStore
from inlet.stores.locks import RunLock
from inlet.stores.multipart import IncompleteUploads, Sightings
from inlet.stores.outbox import Outbox
from inlet.stores.renditions import Renditions, public_store
from inlet.stores.verification import ImageStates
from search import service
from search.client import make_client
from search.errors import SearchError
from search.indices import IndexNames, ensure_indices, index_names

T = TypeVar("T")
Extractor = Callable[[BinaryIO, int], dict[str, Any]]


def extract_in_worker(fileobj: BinaryIO, size: int) -> dict[str, Any]:
    """The metadata extractor as tasks run it: Celery's soft time limit, raised wherever
    the parser happens to be, ends the task instead of becoming a note about the file."""
    return extract_metadata(fileobj, size, interrupts=(SoftTimeLimitExceeded,))


@dataclass
class Context:
    settings: Settings
    blobs: BlobStore
    es: Elasticsearch
    redis: Redis
    extract: Extractor = extract_in_worker
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

    def index_image(self, doc: Mapping[str, Any]) -> None:
        self._write(lambda names: service.index_image(self.es, names, doc))

    def record_upload(self, doc: Mapping[str, Any]) -> None:
        self._write(lambda names: service.record_upload(self.es, names, doc))

    def delete_image(self, image_id: str) -> None:
        self._write(lambda names: service.delete_image(self.es, names, image_id))

    def delete_uploads_of(self, image_id: str) -> None:
        self._write(lambda names: service.delete_uploads_of(self.es, names, image_id))

    @property
    def states(self) -> ImageStates:
        return ImageStates(self.redis, self.settings.redis_prefix)

    @property
    def renditions(self) -> Renditions:
        return Renditions(self.redis, self.settings.redis_prefix, public_store(self.blobs))

    @property
    def outbox(self) -> Outbox:
        return Outbox(self.redis, self.settings.redis_prefix)

    @property
    def hashes(self) -> HashIndex:
        return HashIndex(self.redis, self.settings.redis_prefix)

    @property
    def incomplete_uploads(self) -> IncompleteUploads | None:
        """None for a store that is not S3 (an in-memory fake)."""
        blobs = self.blobs
        if not isinstance(blobs, S3BlobStore):
            return None
        return IncompleteUploads(blobs.client, blobs.bucket)

    @property
    def staged_uploads(self) -> StagedUploads | None:
        """The store side of direct uploads; None for a store that is not S3."""
        blobs, s = self.blobs, self.settings
        if not isinstance(blobs, S3BlobStore):
            return None
        creds = Credentials(s.s3_access_key, s.s3_secret_key, s.s3_region)
        return StagedUploads(blobs.client, blobs.bucket, creds, s.s3_endpoint)

    @property
    def direct_uploads(self) -> DirectUploadState:
        return DirectUploadState(self.redis, self.settings.redis_prefix)

    @property
    def links(self) -> LinkStore:
        return LinkStore(self.redis, self.settings.redis_prefix)

    @property
    def upload_sightings(self) -> Sightings:
        return Sightings(self.redis, self.settings.redis_prefix)

    def reconcile_lock(self) -> RunLock:
        """Held by one reconcile run at a time. Its expiry outlives a run: a task is
        killed at TASK_TIME_LIMIT, and a longer run (the command line) renews it as it
        goes."""
        key = Keys(self.settings.redis_prefix).reconcile_lock()
        return RunLock(self.redis, key, ttl=2 * self.settings.task_time_limit)

    def indexed_ids(self, ids: Sequence[str]) -> set[str]:
        return service.indexed_ids(self.es, self.indices(), ids)

    def search_failed(self) -> None:
        # The search server may come back empty (a new node, a restored cluster):
        # check the indices again before the next write.
        self._ready = False

    def _write(self, operation: Callable[[IndexNames], T]) -> T:
        """Run a search write; if the indices vanished (a new, empty search server),
        create them again and write once more."""
        try:
            return operation(self.indices())
        except SearchError as exc:
            if exc.kind != "index_not_found_exception":
                raise
            self._ready = False
            return operation(self.indices())


def build_context(settings: Settings, extract: Extractor = extract_in_worker) -> Context:
    return Context(
        settings=settings,
        blobs=make_blob_store(settings, pool=4),
        es=make_client(settings),
        redis=make_redis(settings),
        extract=extract,
    )


_lock = threading.Lock()
_contexts: dict[tuple[int, int], Context] = {}


def context_for(settings: Settings, extract: Extractor = extract_in_worker) -> Context:
    """This process's context for ``settings``, built on first use after a fork."""
    key = (os.getpid(), id(settings))
    with _lock:
        context = _contexts.get(key)
        if context is None:
            # Entries of a parent process are dropped unused: closing them here would
            # shut sockets the parent still uses.
            for stale in [k for k in _contexts if k[0] != key[0]]:
                del _contexts[stale]
            context = _contexts[key] = build_context(settings, extract)
        return context
