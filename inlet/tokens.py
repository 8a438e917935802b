"""Signed tokens for admins and upload links (PyJWT, HS256 pinned).

Each kind has its own audience and `typ` header (RFC 8725 §3.11, explicit typing),
so an upload-link token is never accepted where an admin token is expected and
the reverse. Every token carries `exp`, `iat` and `jti`.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from enum import Enum
from typing import Any

import jwt

ALGORITHM = "HS256"
ISSUER = "inlet"
REQUIRED_CLAIMS = ["exp", "iat", "jti", "aud", "iss", "sub"]


class TokenKind(Enum):
    ADMIN = "admin"
    LINK = "link"

    @property
    def audience(self) -> str:
        return f"inlet:{self.value}"

    @property
    def typ(self) -> str:
        return f"inlet-{self.value}+jwt"


class TokenError(Exception):
    """Base class; the message never contains the token."""


class InvalidToken(TokenError):
    """Garbage, a bad signature or a missing claim."""


class ExpiredToken(TokenError):
    """Correctly signed, but past its `exp`."""


class WrongTokenKind(TokenError):
    """Correctly signed, but of the other kind."""


@dataclass(frozen=True)
class Claims:
    kind: TokenKind
    subject: str
    expires_at: int
    issued_at: int
    token_id: str


def issue(secret: str, kind: TokenKind, subject: str, expires_at: int) -> str:
    now = int(time.time())
    payload = {
        "iss": ISSUER,
        "aud": kind.audience,
        "sub": subject,
        "iat": now,
        "exp": expires_at,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(payload, secret, algorithm=ALGORITHM, headers={"typ": kind.typ})


def verify(secret: str, token: str, expected: TokenKind) -> Claims:
    try:
        header = jwt.get_unverified_header(token)
        payload: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=expected.audience,
            issuer=ISSUER,
            options={"require": REQUIRED_CLAIMS},
            leeway=5,
        )
    except jwt.ExpiredSignatureError:
        # PyJWT checks the signature before the claims, so this token is genuine.
        raise ExpiredToken("the token has expired") from None
    except jwt.InvalidAudienceError:
        # Signature and issuer are checked before the audience: these claims are ours.
        audience = jwt.decode(token, options={"verify_signature": False}).get("aud")
        raise _not_this_kind(expected, audience, {k.audience for k in TokenKind}) from None
    except jwt.PyJWTError:
        raise InvalidToken("the token is malformed or its signature is invalid") from None
    if header.get("typ") != expected.typ:
        raise _not_this_kind(expected, header.get("typ"), {k.typ for k in TokenKind})
    return Claims(
        kind=expected,
        subject=str(payload["sub"]),
        expires_at=int(payload["exp"]),
        issued_at=int(payload["iat"]),
        token_id=str(payload["jti"]),
    )


def _not_this_kind(expected: TokenKind, found: Any, ours: set[str]) -> TokenError:
    """A genuine token of the other kind is the wrong kind (a 403 at the API); one whose
    audience or type is no kind of ours at all is invalid (a 401)."""
    if isinstance(found, str) and found in ours:
        return WrongTokenKind(f"this is not an {expected.value} token")
    return InvalidToken("the token's issuer, audience or type is not Inlet's")
