"""Request-building helpers shared by the API tests and the end-to-end tests."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections.abc import Sequence
from typing import Any

from falcon import testing

from inlet import tokens

FilePart = tuple[str, str | None, bytes, str]


def multipart(files: Sequence[FilePart], fields: dict[str, str] | None = None) -> tuple[bytes, str]:
    """Encode (field, filename, data, content type) parts as multipart/form-data."""
    boundary = uuid.uuid4().hex
    chunks: list[bytes] = []
    for name, value in (fields or {}).items():
        chunks.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
        )
    for field, filename, data, ctype in files:
        disposition = f'form-data; name="{field}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        head = (
            f"--{boundary}\r\nContent-Disposition: {disposition}\r\nContent-Type: {ctype}\r\n\r\n"
        )
        chunks.append(head.encode() + data + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def admin_token(secret: str, ttl: int = 3600) -> str:
    return tokens.issue(secret, tokens.TokenKind.ADMIN, "admin", int(time.time()) + ttl)


def signed_jwt(secret: str, header: dict[str, Any], claims: dict[str, Any]) -> str:
    """A JWT signed with ``secret`` whatever its header and claims say, as an attacker
    who holds (or guesses) the key could make one: PyJWT refuses to encode some of
    these. ``alg`` comes from ``header``: HS256, HS512 or none (no signature)."""

    def part(value: bytes) -> str:
        return base64.urlsafe_b64encode(value).rstrip(b"=").decode()

    alg = header.get("alg", "HS256")
    signing_input = f"{part(json.dumps(header).encode())}.{part(json.dumps(claims).encode())}"
    if alg == "none":
        return f"{signing_input}."
    digest = {"HS256": hashlib.sha256, "HS512": hashlib.sha512}[alg]
    mac = hmac.new(secret.encode(), signing_input.encode(), digest).digest()
    return f"{signing_input}.{part(mac)}"


def token_claims(kind: tokens.TokenKind, subject: str, **changes: Any) -> dict[str, Any]:
    """The claims :func:`inlet.tokens.issue` would sign, with ``changes``; a change to
    None leaves that claim out."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": tokens.ISSUER,
        "aud": kind.audience,
        "sub": subject,
        "iat": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
    }
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def edge_tokens(secret: str, kind: tokens.TokenKind, subject: str) -> dict[str, str]:
    """Tokens signed with the deployment's own key that must be refused all the same:
    each differs from a good one of ``kind`` in one header field or claim."""
    typ = {"alg": "HS256", "typ": kind.typ}
    other = next(k for k in tokens.TokenKind if k is not kind)
    edges: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
        "no-aud": (typ, {"aud": None}),
        "aud-prefix": (typ, {"aud": kind.audience[:-1]}),
        "aud-extension": (typ, {"aud": f"{kind.audience}2"}),
        "iss-prefix": (typ, {"iss": tokens.ISSUER[:-1]}),
        "iss-extension": (typ, {"iss": f"{tokens.ISSUER}2"}),
        "iss-list": (typ, {"iss": [tokens.ISSUER]}),
        "iss-other-aud-other-kind": (typ, {"iss": "other", "aud": other.audience}),
        "unknown-crit": ({**typ, "crit": ["inlet-ext"], "inlet-ext": True}, {}),
        "typ-plain-jwt": ({**typ, "typ": "JWT"}, {}),
        "alg-none": ({**typ, "alg": "none"}, {}),
        "alg-hs512": ({**typ, "alg": "HS512"}, {}),
    }
    return {
        name: signed_jwt(secret, header, token_claims(kind, subject, **changes))
        for name, (header, changes) in edges.items()
    }


def bearer(token: str, sender: str | None = None) -> dict[str, str]:
    """The headers of a link holder (or admin) request; with ``sender``, as one sender."""
    headers = {"Authorization": f"Bearer {token}"}
    if sender is not None:
        headers["X-Inlet-Sender"] = sender
    return headers


def new_sender() -> str:
    """A sender id as the page and the terminal uploader make one: 128 random bits."""
    return secrets.token_urlsafe(16)


def assert_problem(result: testing.Result, status: int, *words: str) -> dict[str, Any]:
    assert result.status_code == status, result.text
    assert result.headers["content-type"] == "application/problem+json"
    doc = dict(result.json)
    assert doc["status"] == status
    assert {"type", "title", "status", "detail"} <= doc.keys()
    for word in words:
        assert word in doc["detail"], doc
    return doc
