"""Narrowing the statistics to one link.

Image documents are one per unique image and do not say which links brought them
(an image can arrive through many), so the caller passes the ids of the images a
link brought (:meth:`inlet.stores.links.LinkStore.image_ids`); upload documents carry
their link id. Both filters travel in the same ``_msearch`` as the unscoped one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The server's default index.max_terms_count: more ids go into further clauses.
MAX_TERMS = 65_536
MATCH_NOTHING: dict[str, Any] = {"bool": {"must_not": [{"match_all": {}}]}}


@dataclass(frozen=True)
class StatsScope:
    link_id: str
    image_ids: tuple[str, ...]

    def images_clause(self) -> dict[str, Any]:
        ids = list(self.image_ids)
        if not ids:
            return MATCH_NOTHING
        chunks = [{"terms": {"id": ids[i : i + MAX_TERMS]}} for i in range(0, len(ids), MAX_TERMS)]
        if len(chunks) == 1:
            return chunks[0]
        return {"bool": {"should": chunks, "minimum_should_match": 1}}

    def uploads_clause(self) -> dict[str, Any]:
        return {"term": {"link_id": self.link_id}}
