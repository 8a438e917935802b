from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from inlet import tokens
from tests.http import edge_tokens, signed_jwt, token_claims

SECRET = "k" * 64


def forge(
    payload: dict[str, object], headers: dict[str, str], key: str = SECRET, alg: str = "HS256"
) -> str:
    return jwt.encode(payload, key, algorithm=alg, headers=headers)


def claims(**overrides: object) -> dict[str, object]:
    now = int(time.time())
    base: dict[str, object] = {
        "iss": "inlet",
        "aud": "inlet:admin",
        "sub": "admin",
        "iat": now,
        "exp": now + 60,
        "jti": "x",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def test_round_trip_for_each_kind() -> None:
    for kind in tokens.TokenKind:
        token = tokens.issue(SECRET, kind, "subject", int(time.time()) + 60)
        assert tokens.verify(SECRET, token, kind).subject == "subject"


def test_kinds_do_not_cross() -> None:
    link = tokens.issue(SECRET, tokens.TokenKind.LINK, "l1", int(time.time()) + 60)
    with pytest.raises(tokens.WrongTokenKind):
        tokens.verify(SECRET, link, tokens.TokenKind.ADMIN)


def test_the_typ_header_must_match_the_audience() -> None:
    token = forge(claims(), {"typ": "inlet-link+jwt"})
    with pytest.raises(tokens.WrongTokenKind):
        tokens.verify(SECRET, token, tokens.TokenKind.ADMIN)


@pytest.mark.parametrize("missing", ["exp", "iat", "jti", "sub", "iss", "aud"])
def test_required_claims(missing: str) -> None:
    token = forge(claims(**{missing: None}), {"typ": "inlet-admin+jwt"})
    with pytest.raises(tokens.InvalidToken):
        tokens.verify(SECRET, token, tokens.TokenKind.ADMIN)


def test_expired_is_told_apart_from_invalid() -> None:
    expired = tokens.issue(SECRET, tokens.TokenKind.ADMIN, "admin", int(time.time()) - 60)
    with pytest.raises(tokens.ExpiredToken):
        tokens.verify(SECRET, expired, tokens.TokenKind.ADMIN)
    with pytest.raises(tokens.InvalidToken):
        tokens.verify("another-secret-of-enough-length-0123456789", expired, tokens.TokenKind.ADMIN)


def test_only_hs256_is_accepted() -> None:
    hs512 = forge(claims(), {"typ": "inlet-admin+jwt"}, alg="HS512")
    with pytest.raises(tokens.InvalidToken):
        tokens.verify(SECRET, hs512, tokens.TokenKind.ADMIN)
    header = base64.urlsafe_b64encode(
        json.dumps({"alg": "none", "typ": "inlet-admin+jwt"}).encode()
    )
    body = base64.urlsafe_b64encode(json.dumps(claims()).encode())
    unsigned = f"{header.decode().rstrip('=')}.{body.decode().rstrip('=')}."
    with pytest.raises(tokens.InvalidToken):
        tokens.verify(SECRET, unsigned, tokens.TokenKind.ADMIN)


def test_a_token_forged_as_issue_would_sign_it_is_accepted() -> None:
    # The control for the edge cases below: each differs from this one in one field only.
    for kind in tokens.TokenKind:
        header = {"alg": "HS256", "typ": kind.typ}
        token = signed_jwt(SECRET, header, token_claims(kind, "subject"))
        assert tokens.verify(SECRET, token, kind).subject == "subject"


@pytest.mark.parametrize("kind", list(tokens.TokenKind), ids=lambda k: k.value)
@pytest.mark.parametrize("edge", sorted(edge_tokens(SECRET, tokens.TokenKind.LINK, "s")))
def test_edge_cases_signed_with_our_key_are_invalid(kind: tokens.TokenKind, edge: str) -> None:
    token = edge_tokens(SECRET, kind, "subject")[edge]
    with pytest.raises(tokens.InvalidToken):
        tokens.verify(SECRET, token, kind)
