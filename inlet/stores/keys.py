"""Every Redis key Inlet uses, named in one place.

All keys start with ``REDIS_PREFIX`` (``inlet``), so several deployments or test runs
can share one Redis. Each pattern below is listed in :data:`PATTERNS` with its Redis
type, who writes it, who reads it and how long it lives; docs/state.md shows the same
table (a test keeps the two equal), and no other module builds a key
(``tests/test_layout.py`` checks).

A link's facts are kept in four places on purpose, each answering what the others
cannot: the quota counters (``:used``, ``:used_bytes``: atomic reservations, counting
every accepted upload, duplicates included), the set of the link's distinct images
(``:images``: scopes the link's statistics to the image documents, which are one per
image and do not say which links brought it), each sender's list (``:sender:…:uploads``:
what one sender sent, readable at once, before any worker ran) and the uploads index
in the search server (every upload event, durable, for admins and statistics; it
lags the upload by a worker's hop). All four live as long as the link record.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KeyPattern:
    pattern: str
    type: str
    writer: str
    reader: str
    lifetime: str


# pattern | Redis type | written by | read by | lifetime ("link": the link's expiry + 30 days)
_TABLE = """
{prefix}:links | sorted set | links.create | links.page | forever, expired members dropped
{prefix}:links:seq | counter | links.create | links.create | forever
{prefix}:link:{link_id} | hash | links.create, links.revoke | links.get | link
{prefix}:link:{link_id}:used | counter | ingest (reserve, release) | links.get | link
{prefix}:link:{link_id}:used_bytes | counter | ingest (reserve, release) | links.get | link
{prefix}:link:{link_id}:images | set | ingest (commit) | stats of one link | link
{prefix}:link:{link_id}:sender:{sender}:uploads | list ≤ 1000 | ingest commit | uploads/self | link
{prefix}:hashes | set | ingest, reconcile, delete, reject | ingest, image answers | forever
{prefix}:ready | set | verify | image answers, upload states | forever
{prefix}:rejected:{image_id} | string (JSON) | verify (reject) | ingest, image answers | 30 days
{prefix}:verify-attempts:{image_id} | counter | verify | verify | 1 day
{prefix}:renditions | hash | renditions task | public image answers, reconcile | forever
{prefix}:rendition-wanted:{image_id} | string | public image answers | the same | 60 s
{prefix}:outbox | hash | ingest (dispatch) | outbox replay | until indexed
{prefix}:outbox:times | sorted set | ingest (dispatch) | outbox replay | until indexed
{prefix}:deadletter | list, last 1000 | failed tasks | failures, metrics | forever
{prefix}:deadletter:total | counter | failed tasks | failures, metrics | forever
{prefix}:admin-tokens | sorted set | admin tokens (mint) | admin tokens (list) | to the expiry
{prefix}:admin-token:{token_id} | hash | admin tokens (mint) | admin tokens (list) | expiry + 60 s
{prefix}:admin-token-revoked:{token_id} | string | admin tokens (revoke) | auth | expiry + 60 s
{prefix}:admin-name-revoked:{name} | string | admin tokens (revoke) | auth | max TTL + 60 s
{prefix}:reconcile:lock | string | reconcile | reconcile | twice TASK_TIME_LIMIT, renewed
{prefix}:incomplete-uploads | hash | abort-incomplete-uploads | the same | while it is listed
{prefix}:direct:{upload_id} | hash | offer | complete, resume | expiry + 1 day
{prefix}:direct:{link_id}:{sender}:{sha256} | string | offer | resume | expiry + 1 day
{prefix}:direct-uploads | sorted set | offer, claim | expiry sweep | until claimed
{prefix}:celery:* | Celery's | Celery (send) | Celery (workers) | Celery's
"""

PATTERNS: tuple[KeyPattern, ...] = tuple(
    KeyPattern(*(cell.strip() for cell in row.split("|"))) for row in _TABLE.strip().splitlines()
)


class Keys:
    """The keys of one deployment (one prefix)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def everything(self) -> str:
        """A SCAN pattern that matches every key of this prefix."""
        return f"{self.prefix}:*"

    def links(self) -> str:
        return f"{self.prefix}:links"

    def links_seq(self) -> str:
        return f"{self.prefix}:links:seq"

    def link(self, link_id: str) -> str:
        return f"{self.prefix}:link:{link_id}"

    def link_used(self, link_id: str) -> str:
        return f"{self.link(link_id)}:used"

    def link_used_bytes(self, link_id: str) -> str:
        return f"{self.link(link_id)}:used_bytes"

    def link_images(self, link_id: str) -> str:
        return f"{self.link(link_id)}:images"

    def sender_uploads(self, link_id: str, sender: str) -> str:
        return f"{self.link(link_id)}:sender:{sender}:uploads"

    def hashes(self) -> str:
        return f"{self.prefix}:hashes"

    def ready(self) -> str:
        return f"{self.prefix}:ready"

    def rejected(self, image_id: str) -> str:
        return f"{self.prefix}:rejected:{image_id}"

    def verify_attempts(self, image_id: str) -> str:
        return f"{self.prefix}:verify-attempts:{image_id}"

    def renditions(self) -> str:
        return f"{self.prefix}:renditions"

    def rendition_wanted(self, image_id: str) -> str:
        return f"{self.prefix}:rendition-wanted:{image_id}"

    def outbox(self) -> str:
        return f"{self.prefix}:outbox"

    def outbox_times(self) -> str:
        return f"{self.prefix}:outbox:times"

    def deadletter(self) -> str:
        return f"{self.prefix}:deadletter"

    def deadletter_total(self) -> str:
        return f"{self.prefix}:deadletter:total"

    def admin_tokens(self) -> str:
        return f"{self.prefix}:admin-tokens"

    def admin_token(self, token_id: str) -> str:
        return f"{self.prefix}:admin-token:{token_id}"

    def admin_token_revoked(self, token_id: str) -> str:
        return f"{self.prefix}:admin-token-revoked:{token_id}"

    def admin_name_revoked(self, name: str) -> str:
        return f"{self.prefix}:admin-name-revoked:{name}"

    def reconcile_lock(self) -> str:
        return f"{self.prefix}:reconcile:lock"

    def direct_upload(self, upload_id: str) -> str:
        return f"{self.prefix}:direct:{upload_id}"

    def direct_upload_by_hash(self, link_id: str, sender: str, sha256: str) -> str:
        return f"{self.prefix}:direct:{link_id}:{sender}:{sha256}"

    def direct_uploads(self) -> str:
        return f"{self.prefix}:direct-uploads"

    def incomplete_uploads(self) -> str:
        """When beat first saw each incomplete multipart upload (upload id: epoch seconds)."""
        return f"{self.prefix}:incomplete-uploads"

    def celery(self) -> str:
        """Celery's ``global_keyprefix``: every broker key starts with it."""
        return f"{self.prefix}:celery:"

    def celery_queue(self) -> str:
        """The default queue's name (a list under :meth:`celery`)."""
        return f"{self.prefix}.default"
