"""Keep tokens out of logs: link tokens in upload paths, and anything shaped like a
JWT wherever it appears (a query string, a Referer, a request line gunicorn could
not parse)."""

from __future__ import annotations

import re

_TOKEN_IN_PATH = re.compile(r"(/v1/uploads/)(?!(?:self|check)(?:[/?\s\"]|$))[^/?\s\"]+")
# header.payload.signature, each base64url; every JWT header starts with '{"' = eyJ.
JWT = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


def redact(text: str) -> str:
    return JWT.sub("[redacted]", _TOKEN_IN_PATH.sub(r"\1[redacted]", text))
