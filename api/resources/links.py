from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import falcon

from api import params
from api.auth import admin_only
from api.errors import Problem
from inlet import tokens
from inlet.links import InvalidLabel, LinkNotFound, clean_label
from inlet.settings import MAX_LINK_BYTES, Settings
from inlet.stores.links import LinkStore

_FIELDS = {"expires_in", "expires_at", "max_images", "max_bytes", "label"}


@dataclass(frozen=True)
class LinkRequest:
    expires_at: int
    max_images: int | None
    max_bytes: int | None


def _invalid(field: str, detail: str) -> Problem:
    return Problem(
        422,
        f"{field}: {detail}",
        slug="invalid-field",
        title="Invalid request body",
        field=field,
    )


def parse_label(body: dict[str, Any]) -> str | None:
    try:
        return clean_label(body.get("label"))
    except InvalidLabel as exc:
        raise _invalid("label", str(exc)) from None


def parse_link_request(body: Any, *, now: float, settings: Settings) -> LinkRequest:
    """Expiry and quotas from a JSON body, or a 422 naming the field.

    A quota left out takes the settings' default; ``null`` asks for no limit.
    """
    if not isinstance(body, dict):
        raise Problem(422, "the body must be a JSON object", slug="invalid-body")
    unknown = sorted(set(body) - _FIELDS)
    if unknown:
        raise _invalid(unknown[0], f"unknown field; accepted: {', '.join(sorted(_FIELDS))}")
    if ("expires_in" in body) == ("expires_at" in body):
        raise _invalid("expires_in", "give exactly one of expires_in (seconds) or expires_at")
    if "expires_in" in body:
        ttl = body["expires_in"]
        if not _is_int(ttl) or ttl < 1:
            raise _invalid("expires_in", "must be a positive integer number of seconds")
        expires_at = int(now) + ttl
    else:
        expires_at = _parse_rfc3339(body["expires_at"])
        if expires_at <= now:
            raise _invalid("expires_at", "must be in the future")
    if expires_at - now > settings.link_max_ttl:
        raise _invalid(
            "expires_in" if "expires_in" in body else "expires_at",
            f"links may last at most {settings.link_max_ttl} seconds (LINK_MAX_TTL)",
        )
    return LinkRequest(
        expires_at,
        _quota(body, "max_images", settings.link_default_max_images, None),
        _quota(body, "max_bytes", settings.link_default_max_bytes, MAX_LINK_BYTES),
    )


def _quota(body: dict[str, Any], field: str, default: int, most: int | None) -> int | None:
    if field not in body:
        return default or None
    value = body[field]
    if value is None:
        return None
    if not _is_int(value) or value < 1:
        raise _invalid(field, "must be an integer of at least 1, or null for no limit")
    if most is not None and value > most:
        raise _invalid(field, f"must be at most {most}")
    return int(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_rfc3339(value: Any) -> int:
    if not isinstance(value, str):
        raise _invalid("expires_at", "must be an RFC 3339 date-time string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise _invalid("expires_at", f"{value!r} is not an RFC 3339 date-time") from None
    if parsed.tzinfo is None:
        raise _invalid("expires_at", "must include a UTC offset, e.g. 2030-01-01T00:00:00Z")
    return int(parsed.astimezone(UTC).timestamp())


@falcon.before(admin_only)
class LinksResource:
    def __init__(self, settings: Settings, links: LinkStore) -> None:
        self.settings = settings
        self.links = links

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """The links, newest first, a page at a time."""
        size = params.parse_page_size(req.get_param("limit"))
        cursor = req.get_param("cursor")
        after = params.decode_position(cursor, LinkStore.is_position) if cursor else None
        page, position = self.links.page(size, after)
        resp.media = {
            "links": [link.as_dict() for link in page],
            "next_cursor": params.encode_position(position) if position else None,
        }

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = req.get_media()
        wanted = parse_link_request(body, now=time.time(), settings=self.settings)
        link = self.links.create(
            wanted.expires_at, wanted.max_images, parse_label(body), max_bytes=wanted.max_bytes
        )
        token = tokens.issue(
            self.settings.secret_key, tokens.TokenKind.LINK, link.id, wanted.expires_at
        )
        base = (self.settings.public_base_url or req.prefix).rstrip("/")
        resp.status = falcon.HTTP_201
        resp.location = f"/v1/links/{link.id}"
        resp.media = {
            **link.as_dict(),
            "url": f"{base}/v1/uploads/{token}",
            "page_url": f"{base}/u/#{token}",
            "token": token,
        }


@falcon.before(admin_only)
class LinkResource:
    def __init__(self, settings: Settings, links: LinkStore) -> None:
        self.settings = settings
        self.links = links

    def on_get(self, req: falcon.Request, resp: falcon.Response, link_id: str) -> None:
        try:
            resp.media = self.links.get(link_id).as_dict()
        except LinkNotFound:
            raise _no_link(link_id) from None

    def on_delete(self, req: falcon.Request, resp: falcon.Response, link_id: str) -> None:
        try:
            resp.media = self.links.revoke(link_id).as_dict()
        except LinkNotFound:
            raise _no_link(link_id) from None


def _no_link(link_id: str) -> Problem:
    return Problem(404, f"no link with id {link_id!r}", slug="not-found")
