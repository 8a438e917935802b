"""Admin tokens that can be withdrawn: a record of each one minted, and revocations.

Every admin token carries its admin's name as ``sub``. ``python -m api token`` records
each token it mints (id, name, expiry) in a Redis hash that expires with the token,
listed by a sorted set scored by expiry. Revocation is a deny record, checked after
the signature on every admin request:

- by id: a key per token id, kept until the token would have expired;
- by name: every listed token of that name by id, and a cut-off time for the name
  that refuses every token of that name issued before it, listed or not (tokens
  minted with the secret outside the command line, or before tokens were recorded).

A token's lifetime is at most ``ADMIN_TOKEN_MAX_TTL`` (the API refuses longer ones),
so no deny record needs to outlive that. Nothing here holds a token itself.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace
from typing import Any

from redis import Redis

from inlet import tokens
from inlet.stores.keys import Keys

MAX_NAME = 64
NAME_PATTERN = re.compile(r"[A-Za-z0-9._@-]{1,%d}" % MAX_NAME)  # noqa: UP031 - a regex's braces
# uuid4().hex, as inlet.tokens makes them.
TOKEN_ID_PATTERN = re.compile(r"[0-9a-f]{32}")
# The signature check's leeway, and a little more: a deny record outlives its token.
_MARGIN = 60


class InvalidName(ValueError):
    """Not a usable admin name; the message says what is allowed."""


def clean_name(raw: str) -> str:
    """An admin's name: 1-64 characters of ``A-Z a-z 0-9 . _ @ -``, never a token id."""
    if not NAME_PATTERN.fullmatch(raw):
        raise InvalidName(
            f"an admin name is 1-{MAX_NAME} characters of letters, digits, '.', '_', '@', '-'"
        )
    if TOKEN_ID_PATTERN.fullmatch(raw):
        raise InvalidName("an admin name must not look like a token id (32 hex digits)")
    return raw


@dataclass(frozen=True)
class TokenRecord:
    token_id: str
    name: str
    issued_at: int
    expires_at: int
    revoked: bool


@dataclass(frozen=True)
class Revocation:
    """What ``revoke`` withdrew: the listed tokens, and the name cut off (if by name)."""

    tokens: list[TokenRecord]
    name: str | None


class AdminTokens:
    def __init__(self, redis: Redis, prefix: str, max_ttl: int) -> None:
        self.redis = redis
        self.prefix = prefix
        self.keys = Keys(prefix)
        self.max_ttl = max_ttl

    def _record_key(self, token_id: str) -> str:
        return self.keys.admin_token(token_id)

    def _denied_key(self, token_id: str) -> str:
        return self.keys.admin_token_revoked(token_id)

    def _cutoff_key(self, name: str) -> str:
        return self.keys.admin_name_revoked(name)

    @property
    def _index_key(self) -> str:
        return self.keys.admin_tokens()

    def mint(self, secret: str, name: str, ttl: int) -> tuple[str, TokenRecord]:
        """A new token for ``name``, recorded before it is returned (never unlisted)."""
        name = clean_name(name)
        if not 1 <= ttl <= self.max_ttl:
            raise ValueError(f"the lifetime must be between 1 s and {self.max_ttl} s")
        expires_at = int(time.time()) + ttl
        token = tokens.issue(secret, tokens.TokenKind.ADMIN, name, expires_at)
        claims = tokens.verify(secret, token, tokens.TokenKind.ADMIN)
        record = TokenRecord(claims.token_id, name, claims.issued_at, expires_at, False)
        key = self._record_key(record.token_id)
        with self.redis.pipeline() as pipe:
            pipe.hset(key, mapping={"name": name, "issued_at": record.issued_at})
            pipe.expireat(key, expires_at + _MARGIN)
            pipe.zadd(self._index_key, {record.token_id: expires_at})
            pipe.zremrangebyscore(self._index_key, "-inf", f"({int(time.time())}")
            pipe.execute()
        return token, record

    def listed(self) -> list[TokenRecord]:
        """The recorded tokens not yet expired, soonest expiry first."""
        now = int(time.time())
        raw: list[Any] = self.redis.zrangebyscore(self._index_key, now, "+inf", withscores=True)
        entries = [(str(token_id), int(score)) for token_id, score in raw]
        with self.redis.pipeline() as pipe:
            for token_id, _ in entries:
                pipe.hgetall(self._record_key(token_id))
                pipe.exists(self._denied_key(token_id))
            replies = pipe.execute()
        records: list[TokenRecord] = []
        for index, (token_id, expires_at) in enumerate(entries):
            fields, denied = replies[2 * index], replies[2 * index + 1]
            if fields:
                name, issued_at = str(fields["name"]), int(fields["issued_at"])
                records.append(TokenRecord(token_id, name, issued_at, expires_at, bool(denied)))
        return [replace(r, revoked=r.revoked or self._cut_off(r)) for r in records]

    def _cut_off(self, record: TokenRecord) -> bool:
        cutoff = self.redis.get(self._cutoff_key(record.name))
        return cutoff is not None and record.issued_at < int(cutoff)

    def revoke(self, name_or_id: str) -> Revocation:
        """Withdraw one token (by its id) or every token of an admin (by name)."""
        listed = self.listed()
        if TOKEN_ID_PATTERN.fullmatch(name_or_id):
            matching = [r for r in listed if r.token_id == name_or_id]
            expiries = {name_or_id: matching[0].expires_at if matching else None}
            self._deny(expiries)
            return Revocation(matching, None)
        name = clean_name(name_or_id)
        matching = [r for r in listed if r.name == name]
        now = int(time.time())
        self._deny({r.token_id: r.expires_at for r in matching})
        self.redis.set(self._cutoff_key(name), now, ex=self.max_ttl + _MARGIN)
        return Revocation(matching, name)

    def _deny(self, expiries: dict[str, int | None]) -> None:
        """Deny each token id until its expiry (unknown: the longest lifetime from now)."""
        longest = int(time.time()) + self.max_ttl
        with self.redis.pipeline() as pipe:
            for token_id, expires_at in expiries.items():
                until = (expires_at or longest) + _MARGIN
                pipe.set(self._denied_key(token_id), 1, exat=until)
            pipe.execute()

    def revoked(self, claims: tokens.Claims) -> bool:
        """Whether a correctly signed admin token has been withdrawn (one round trip)."""
        denied, cutoff = self.redis.mget(
            [self._denied_key(claims.token_id), self._cutoff_key(claims.subject)]
        )
        return denied is not None or (cutoff is not None and claims.issued_at < int(cutoff))


def as_rows(records: list[TokenRecord]) -> list[dict[str, Any]]:
    """Records as the columns ``python -m api tokens`` prints."""
    return [
        {
            "name": r.name,
            "id": r.token_id,
            "expires_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(r.expires_at)),
            "revoked": "yes" if r.revoked else "no",
        }
        for r in records
    ]
