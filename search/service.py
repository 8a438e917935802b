"""The operations the API and the workers perform, each taking the client explicitly.

Thin by design: bodies come from :mod:`search.queries` and :mod:`search.documents`;
this module sends them, checks the answers and translates errors
(:mod:`search.errors`). Writes go through the aliases with ``require_alias=True``,
so they never auto-create an index with a dynamic mapping. No scripts are used
anywhere: every write replaces a whole document, which is idempotent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from elasticsearch import Elasticsearch

from search import queries, uploads
from search.errors import SearchError, error_from_body, error_type, translated
from search.indices import IndexNames
from search.scope import StatsScope

PING_TIMEOUT = 2.0


def index_image(
    es: Elasticsearch, names: IndexNames, doc: Mapping[str, Any], *, refresh: bool = False
) -> None:
    """Store (or replace) the document for one image; ``_id`` is its ``id``."""
    _put(es, names.images, doc["id"], doc, refresh=refresh, what=f"index image {doc['id']}")


def record_upload(
    es: Elasticsearch, names: IndexNames, doc: Mapping[str, Any], *, refresh: bool = False
) -> None:
    """Store one accepted upload; ``_id`` is its ``event_id``, so a retry is harmless."""
    what = f"record upload {doc['event_id']}"
    _put(es, names.uploads, doc["event_id"], doc, refresh=refresh, what=what)


def _put(
    es: Elasticsearch, alias: str, doc_id: str, doc: Mapping[str, Any], *, refresh: bool, what: str
) -> None:
    # A whole-document write under an explicit id: idempotent, and never through a
    # missing alias (which would auto-create an index with a dynamic mapping).
    with translated(what):
        es.index(
            index=alias,
            id=doc_id,
            document=doc,
            op_type="index",
            require_alias=True,
            refresh=refresh,
        )


def get_image(es: Elasticsearch, names: IndexNames, image_id: str) -> dict[str, Any] | None:
    with translated(f"get image {image_id}"):
        response = es.options(ignore_status=404).get(index=names.images, id=image_id)
    body = response.body
    if response.meta.status == 404 and error_type(body) is not None:
        # Not a missing document but a missing index: a deployment problem to surface.
        raise error_from_body(body, 404, f"get image {image_id}")
    return dict(body["_source"]) if body.get("found") else None


def delete_image(
    es: Elasticsearch, names: IndexNames, image_id: str, *, refresh: bool = False
) -> None:
    """Remove an image's document; one that is already gone is not an error.

    Upload events are history and stay: they still count in the upload statistics.
    """
    with translated(f"delete image {image_id}"):
        response = es.options(ignore_status=404).delete(
            index=names.images, id=image_id, refresh=refresh
        )
    body = response.body
    if response.meta.status == 404 and error_type(body) is not None:
        raise error_from_body(body, 404, f"delete image {image_id}")


def delete_uploads_of(es: Elasticsearch, names: IndexNames, image_id: str) -> int:
    """Remove every upload event of an image that was rejected: it never counts.

    The index is refreshed first, so that events written a moment ago are found too,
    and again after, so that the statistics stop counting them at once.
    """
    with translated(f"delete uploads of {image_id}"):
        es.indices.refresh(index=names.uploads)
        response = es.delete_by_query(
            index=names.uploads,
            query={"term": {"image_id": image_id}},
            conflicts="proceed",
            refresh=True,
        )
    return int(response.body.get("deleted", 0))


def fetch_stats(
    es: Elasticsearch, names: IndexNames, today: date, tz: str, scope: StatsScope | None = None
) -> dict[str, Any]:
    """Statistics for ``GET /v1/stats`` in one round trip (``_msearch``), for
    everything or for one link's ``scope``."""
    images_body, uploads_body = queries.stats_query(today, tz, scope=scope)
    with translated("stats"):
        response = es.msearch(
            searches=[{"index": names.images}, images_body, {"index": names.uploads}, uploads_body]
        )
    responses = _msearch_responses(response.body, "stats")
    return queries.parse_stats(responses, today, tz)


def search_images(
    es: Elasticsearch,
    names: IndexNames,
    filters: queries.ImageFilters,
    size: int,
    search_after: Sequence[Any] | None = None,
) -> tuple[list[dict[str, Any]], list[Any] | None]:
    """One page of image documents, newest upload first, and the sort values to
    search after for the next page (None on the last page)."""
    body = queries.image_search_query(filters, size, search_after)
    with translated("search images"):
        response = es.search(index=names.images, body=body)
    return queries.page_from_hits(response.body["hits"]["hits"], size)


def link_uploads(
    es: Elasticsearch,
    names: IndexNames,
    link_id: str,
    size: int,
    search_after: Sequence[Any] | None = None,
) -> tuple[list[dict[str, Any]], list[Any] | None]:
    """One page of a link's upload documents, newest first, and where the next starts."""
    body = uploads.link_uploads_query(link_id, size, search_after)
    with translated(f"uploads of link {link_id}"):
        response = es.search(index=names.uploads, body=body)
    return queries.page_from_hits(response.body["hits"]["hits"], size)


def image_summaries(
    es: Elasticsearch, names: IndexNames, ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """The indexed images among ``ids``: format, camera and size, by id."""
    if not ids:
        return {}
    with translated("mget image summaries"):
        response = es.mget(
            index=names.images, ids=sorted(set(ids)), source_includes=uploads.SUMMARY_FIELDS
        )
    found: dict[str, dict[str, Any]] = {}
    for doc in response.body["docs"]:
        if "error" in doc:
            raise error_from_body(doc, 404 if _index_missing(doc) else 500, "mget images")
        if doc.get("found"):
            found[doc["_id"]] = dict(doc.get("_source") or {})
    return found


def indexed_ids(es: Elasticsearch, names: IndexNames, ids: Sequence[str]) -> set[str]:
    """Which of ``ids`` have an image document, for reconciling a batch of stored objects."""
    if not ids:
        return set()
    with translated("mget images"):
        response = es.mget(index=names.images, ids=list(ids), source=False)
    found: set[str] = set()
    for doc in response.body["docs"]:
        if "error" in doc:
            raise error_from_body(doc, 404 if _index_missing(doc) else 500, "mget images")
        if doc.get("found"):
            found.add(doc["_id"])
    return found


def ping(es: Elasticsearch, timeout: float = PING_TIMEOUT) -> None:
    """Raise :class:`SearchUnavailable` unless the server answers quickly (``/readyz``)."""
    with translated("ping"):
        es.options(request_timeout=timeout, max_retries=0).info()


def _index_missing(item: Mapping[str, Any]) -> bool:
    return error_type(item) == "index_not_found_exception"


def _msearch_responses(body: Mapping[str, Any], context: str) -> list[Mapping[str, Any]]:
    """The per-search answers; ``_msearch`` is a 200 even when a search in it failed."""
    responses = body.get("responses")
    if not isinstance(responses, list):
        raise SearchError(f"{context}: unexpected _msearch answer")
    for item in responses:
        if "error" in item:
            raise error_from_body(item, int(item.get("status", 500)), context)
    return responses
