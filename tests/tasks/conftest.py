from __future__ import annotations

import io
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from inlet.settings import Settings
from inlet.stores.blobstore import BlobStore, S3BlobStore
from search.indices import IndexNames
from tasks.context import Context


@pytest.fixture
def ctx(
    settings: Settings,
    blob_store: S3BlobStore,
    es: Elasticsearch,
    names: IndexNames,
    redis_client: Any,
) -> Context:
    return Context(settings=settings, blobs=blob_store, es=es, redis=redis_client)


def store(blobs: BlobStore, image_id: str, data: bytes, fmt: str, uploaded_at: str) -> None:
    blobs.put(
        image_id,
        io.BytesIO(data),
        content_type=f"image/{fmt.lower()}",
        metadata={"format": fmt, "uploaded-at": uploaded_at},
    )
