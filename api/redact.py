"""Keep upload-link tokens out of logs."""

from __future__ import annotations

import re

_TOKEN_IN_PATH = re.compile(r"(/v1/uploads/)(?!self(?:[/?\s\"]|$))[^/?\s\"]+")


def redact(text: str) -> str:
    return _TOKEN_IN_PATH.sub(r"\1[redacted]", text)
