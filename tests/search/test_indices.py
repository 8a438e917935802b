"""Index management against the real server."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest
from elasticsearch import Elasticsearch

from search.documents import image_document, upload_document
from search.errors import SearchError
from search.indices import (
    IndexNames,
    alias_targets,
    ensure_indices,
    index_names,
    index_specs,
)
from search.mappings import UPLOAD_PROPERTIES
from search.service import get_image, index_image, record_upload
from tests.support import drop_indices

IMAGE_ID = "cd" * 32


@pytest.fixture
def prefix(es: Elasticsearch) -> Iterator[str]:
    """A prefix whose indices this test creates itself."""
    name = f"test-{uuid.uuid4().hex[:10]}"
    yield name
    drop_indices(es, name)


def test_names() -> None:
    assert index_names("inlet") == IndexNames("inlet-images", "inlet-uploads")
    assert [spec.concrete for spec in index_specs("inlet")] == [
        "inlet-images-v1",
        "inlet-uploads-v1",
    ]


def test_ensure_creates_versioned_indices_behind_aliases(es: Elasticsearch, prefix: str) -> None:
    names = ensure_indices(es, prefix)
    assert names == index_names(prefix)
    assert alias_targets(es, names.images) == {f"{prefix}-images-v1"}
    assert alias_targets(es, names.uploads) == {f"{prefix}-uploads-v1"}
    mapping = es.indices.get_mapping(index=names.images).body[f"{prefix}-images-v1"]
    assert mapping["mappings"]["dynamic"] == "strict"
    assert mapping["mappings"]["properties"]["location"]["type"] == "geo_point"


def test_ensure_twice_is_fine_and_keeps_data(es: Elasticsearch, prefix: str) -> None:
    names = ensure_indices(es, prefix)
    index_image(es, names, image_document(IMAGE_ID, {}, "2024-01-01T00:00:00Z"), refresh=True)
    assert ensure_indices(es, prefix) == names
    assert es.count(index=names.images)["count"] == 1


def test_ensure_adds_new_fields_to_an_index_made_before_them(
    es: Elasticsearch, prefix: str
) -> None:
    names = index_names(prefix)
    properties = {k: v for k, v in UPLOAD_PROPERTIES.items() if k != "filename"}
    older = {"dynamic": "strict", "properties": properties}
    es.indices.create(
        index=f"{prefix}-uploads-v1",
        mappings=older,
        aliases={names.uploads: {"is_write_index": True}},
    )
    event = upload_document("e1", IMAGE_ID, "l1", "2024-01-01T00:00:00Z", False, "PNG", "a.png")
    with pytest.raises(SearchError):
        record_upload(es, names, event, refresh=True)
    ensure_indices(es, prefix)
    record_upload(es, names, event, refresh=True)
    hits = es.search(index=names.uploads, query={"term": {"filename": "a.png"}})["hits"]["hits"]
    assert [hit["_id"] for hit in hits] == ["e1"]


def test_concurrent_ensure(es: Elasticsearch, prefix: str) -> None:
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def start() -> None:
        barrier.wait()
        try:
            ensure_indices(es, prefix)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert alias_targets(es, f"{prefix}-images") == {f"{prefix}-images-v1"}


def test_ensure_after_losing_the_race(es: Elasticsearch, prefix: str) -> None:
    # What a loser sees: the concrete index exists, its alias not (yet, or any more).
    es.indices.create(index=f"{prefix}-images-v1")
    names = ensure_indices(es, prefix)
    assert alias_targets(es, names.images) == {f"{prefix}-images-v1"}


def test_an_alias_moved_elsewhere_is_left_alone(es: Elasticsearch, prefix: str) -> None:
    es.indices.create(index=f"{prefix}-images-v2", aliases={f"{prefix}-images": {}})
    names = ensure_indices(es, prefix)
    assert alias_targets(es, names.images) == {f"{prefix}-images-v2"}
    drop_indices(es, prefix)
    assert not es.indices.exists(index=f"{prefix}-images-v2")


def test_strict_mapping_rejects_unknown_fields(es: Elasticsearch, names: IndexNames) -> None:
    doc = image_document(IMAGE_ID, {}, "2024-01-01T00:00:00Z") | {"colour": "red"}
    with pytest.raises(SearchError) as caught:
        index_image(es, names, doc)
    assert caught.value.kind == "strict_dynamic_mapping_exception"
    assert not isinstance(caught.value, ConnectionError)

    upload = upload_document("e1", IMAGE_ID, "l1", "2024-01-01T00:00:00Z", False) | {"ip": "x"}
    with pytest.raises(SearchError):
        record_upload(es, names, upload)


def test_writes_never_create_an_index(es: Elasticsearch, prefix: str) -> None:
    names = index_names(prefix)  # not ensured
    doc = image_document(IMAGE_ID, {"format": "png"}, "2024-01-01T00:00:00Z")
    with pytest.raises(SearchError) as caught:
        index_image(es, names, doc)
    assert caught.value.kind == "index_not_found_exception"
    assert not es.indices.exists(index=names.images)


def test_malformed_exif_values_do_not_reject_the_document(
    es: Elasticsearch, names: IndexNames
) -> None:
    metadata = {"taken_at": "0000:00:00 00:00:00", "iso": "auto", "orientation": 70000}
    doc = image_document(IMAGE_ID, metadata, "2024-01-01T00:00:00Z")
    index_image(es, names, doc, refresh=True)
    assert get_image(es, names, IMAGE_ID) == doc
    # Kept in _source, but not indexed.
    assert es.count(index=names.images, query={"exists": {"field": "taken_at"}})["count"] == 0
