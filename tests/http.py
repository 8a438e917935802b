"""Request-building helpers shared by the API tests and the end-to-end tests."""

from __future__ import annotations

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
