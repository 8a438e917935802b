"""Search fixtures: a client for the session's osmem-server (or ELASTICSEARCH_URL) and
this test's own indices, deleted afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from elasticsearch import Elasticsearch

from inlet.settings import Settings
from search.client import make_client
from search.indices import IndexNames, drop_indices, ensure_indices


@pytest.fixture
def es(settings: Settings) -> Iterator[Elasticsearch]:
    client = make_client(settings)
    yield client
    client.close()


@pytest.fixture
def names(es: Elasticsearch, settings: Settings) -> Iterator[IndexNames]:
    yield ensure_indices(es, settings.index_prefix)
    drop_indices(es, settings.index_prefix)
