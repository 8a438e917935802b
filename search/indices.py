"""Index management: names, creation and removal.

Readers and writers only ever use the aliases (``{prefix}-images``); the concrete
index behind each carries its mapping version (``{prefix}-images-v1``). A mapping
change therefore becomes: create ``-v2``, reindex into it, move the alias in one
``_aliases`` call, drop ``-v1``; nothing that talks to the alias changes.

Writes pass ``require_alias=True`` (see :mod:`search.service`), so a write that
races ahead of :func:`ensure_indices` fails instead of auto-creating an index with
a dynamic mapping under the alias's name.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from elasticsearch import BadRequestError, Elasticsearch

from search.errors import SearchError, error_type, translated
from search.mappings import IMAGES_MAPPING, INDEX_SETTINGS, UPLOADS_MAPPING

log = logging.getLogger(__name__)

IMAGES_VERSION = 1
UPLOADS_VERSION = 1


@dataclass(frozen=True)
class IndexNames:
    """The aliases that every read and write goes through."""

    images: str
    uploads: str


@dataclass(frozen=True)
class IndexSpec:
    alias: str
    version: int
    mapping: dict[str, Any]

    @property
    def concrete(self) -> str:
        return f"{self.alias}-v{self.version}"


def index_names(prefix: str) -> IndexNames:
    return IndexNames(images=f"{prefix}-images", uploads=f"{prefix}-uploads")


def index_specs(prefix: str) -> tuple[IndexSpec, IndexSpec]:
    names = index_names(prefix)
    return (
        IndexSpec(names.images, IMAGES_VERSION, IMAGES_MAPPING),
        IndexSpec(names.uploads, UPLOADS_VERSION, UPLOADS_MAPPING),
    )


def ensure_indices(es: Elasticsearch, prefix: str) -> IndexNames:
    """Create the current indices and their aliases unless they exist.

    Idempotent and safe when several processes start at once: creating an index
    together with its alias is atomic, so whoever loses the race gets
    ``resource_already_exists_exception`` and finds the alias in place.
    """
    for spec in index_specs(prefix):
        _ensure(es, spec)
    return index_names(prefix)


def _ensure(es: Elasticsearch, spec: IndexSpec) -> None:
    behind = alias_targets(es, spec.alias)
    if spec.concrete in behind:
        _add_new_fields(es, spec)
        return
    if behind:
        # Someone moved the alias (a newer deployment after a reindex, or an operator).
        # Writing through it is still right; this process's mapping may just be stale.
        log.warning(
            "alias %s points to %s, not %s; leaving it alone",
            spec.alias,
            ", ".join(sorted(behind)),
            spec.concrete,
        )
        return
    with translated(f"create index {spec.concrete}"):
        try:
            es.indices.create(
                index=spec.concrete,
                settings=INDEX_SETTINGS,
                mappings=spec.mapping,
                aliases={spec.alias: {"is_write_index": True}},
            )
            log.info("created index %s behind alias %s", spec.concrete, spec.alias)
            return
        except BadRequestError as exc:
            if error_type(exc.body) != "resource_already_exists_exception":
                raise
    # Lost a race, or the alias was removed by hand: adding it again is idempotent.
    with translated(f"alias {spec.concrete} as {spec.alias}"):
        es.indices.put_alias(index=spec.concrete, name=spec.alias, is_write_index=True)


def _add_new_fields(es: Elasticsearch, spec: IndexSpec) -> None:
    """Put the current properties on an index made by an earlier release of this
    version: new fields are added, existing ones are unchanged (see search.mappings)."""
    with translated(f"update mapping of {spec.concrete}"):
        es.indices.put_mapping(index=spec.concrete, properties=spec.mapping["properties"])


def alias_targets(es: Elasticsearch, alias: str) -> set[str]:
    """The concrete indices behind ``alias``; empty if there is no such alias."""
    with translated(f"get alias {alias}"):
        response = es.options(ignore_status=404).indices.get_alias(name=alias)
    body = response.body
    if response.meta.status == 404:
        # "alias [x] missing" is an answer; "no such index" means a concrete index by
        # that name is absent too, which is the same thing here.
        return set()
    if not isinstance(body, dict):
        raise SearchError(f"get alias {alias}: unexpected answer {body!r}")
    return set(body)
