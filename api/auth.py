"""Bearer-token checks for the two kinds of caller: admins and link holders."""

from __future__ import annotations

import logging
from typing import Any, Protocol, cast

import falcon

from api.errors import Problem
from inlet import tokens
from inlet.links import Link, LinkNotFound
from inlet.senders import InvalidSender, Sender
from inlet.settings import Settings
from inlet.stores.admin_tokens import AdminTokens, InvalidName, clean_name
from inlet.stores.links import LinkStore

log = logging.getLogger(__name__)

# The id a link holder's client keeps to tell its own uploads from other holders'.
SENDER_HEADER = "X-Inlet-Sender"


class HasSettings(Protocol):
    settings: Settings


def bearer(req: falcon.Request) -> str | None:
    header = req.get_header("Authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise _unauthorized("the Authorization header must be 'Bearer <token>'")
    return value.strip()


def _unauthorized(detail: str) -> Problem:
    return Problem(
        401,
        detail,
        slug="unauthorized",
        headers={"WWW-Authenticate": 'Bearer realm="inlet"'},
    )


# Where the access log finds the admin's name and token id (api/gunicorn_conf.py): the
# WSGI environ, which gunicorn hands to its logger after the response.
ADMIN_NAME_ENV = "inlet.admin"
ADMIN_TOKEN_ID_ENV = "inlet.admin_token_id"  # noqa: S105 - a WSGI environ key, no secret


class AdminTokenCheck:
    """Middleware that gives every request the record of withdrawn admin tokens, so that
    :func:`require_admin` refuses them wherever it is called."""

    def __init__(self, store: AdminTokens) -> None:
        self.store = store

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.admin_tokens = self.store


def require_admin(req: falcon.Request, secret: str) -> tokens.Claims:
    """The claims of the request's admin token, refused with 401 or 403 as appropriate:
    signature, kind, expiry, lifetime, name, then revocation (one Redis round trip; a
    Redis that cannot answer makes this 503, never an acceptance)."""
    token = bearer(req)
    if token is None:
        raise _unauthorized("an admin token is required: 'Authorization: Bearer <token>'")
    claims = _verified(secret, token)
    store: AdminTokens | None = req.context.get("admin_tokens")
    if store is None:
        raise RuntimeError("the app was built without AdminTokenCheck")
    if claims.expires_at - claims.issued_at > store.max_ttl:
        raise _unauthorized(
            "the admin token lives longer than ADMIN_TOKEN_MAX_TTL allows; create a new one"
        )
    try:
        clean_name(claims.subject)
    except InvalidName:
        raise _unauthorized("invalid admin token: its name is not a valid admin name") from None
    if store.revoked(claims):
        log.warning("refused a revoked admin token of %s (id %s)", claims.subject, claims.token_id)
        raise _unauthorized("this admin token has been revoked; ask for a new one")
    req.env[ADMIN_NAME_ENV] = claims.subject
    req.env[ADMIN_TOKEN_ID_ENV] = claims.token_id
    return claims


def _verified(secret: str, token: str) -> tokens.Claims:
    try:
        return tokens.verify(secret, token, tokens.TokenKind.ADMIN)
    except tokens.WrongTokenKind:
        raise Problem(
            403, "an upload-link token cannot be used as an admin token", slug="forbidden"
        ) from None
    except tokens.ExpiredToken:
        raise _unauthorized("the admin token has expired; create a new one") from None
    except tokens.InvalidToken as exc:
        raise _unauthorized(f"invalid admin token: {exc}") from None


def admin_only(
    req: falcon.Request, resp: falcon.Response, resource: object, params: dict[str, Any]
) -> None:
    """A ``falcon.before`` hook: the request must carry a valid admin token.

    The resources it guards keep their :class:`Settings` as ``settings``.
    """
    require_admin(req, cast(HasSettings, resource).settings.secret_key)


def require_link(token: str | None, secret: str, links: LinkStore) -> Link:
    """The link a token opens, refused with 401, 403 or 410 as appropriate."""
    if not token:
        raise _unauthorized("an upload-link token is required")
    try:
        claims = tokens.verify(secret, token, tokens.TokenKind.LINK)
    except tokens.ExpiredToken:
        raise Problem(410, "this upload link has expired", slug="link-expired") from None
    except tokens.WrongTokenKind:
        raise Problem(403, "an admin token is not an upload link", slug="forbidden") from None
    except tokens.InvalidToken as exc:
        raise _unauthorized(f"invalid upload link: {exc}") from None
    try:
        link = links.get(claims.subject)
    except LinkNotFound:
        raise Problem(410, "this upload link no longer exists", slug="link-expired") from None
    if link.revoked:
        raise Problem(410, "this upload link has been revoked", slug="link-revoked")
    if link.expired():
        raise Problem(410, "this upload link has expired", slug="link-expired")
    return link


def sender(req: falcon.Request) -> Sender | None:
    """The caller's sender id, if it sent one; a malformed one is refused (400)
    rather than silently ignored, so a client never loses sight of its uploads."""
    value = req.get_header(SENDER_HEADER)
    if value is None:
        return None
    try:
        return Sender.parse(value)
    except InvalidSender as exc:
        raise Problem(
            400, f"{SENDER_HEADER} {exc}", slug="invalid-header", header=SENDER_HEADER
        ) from None
