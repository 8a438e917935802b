"""Who sent an upload through a link: an id the sender's client makes and keeps.

A link is handed to many people at once; each of them sees only what they sent.
The page and the terminal uploader make a random id per link (at least 128 bits,
written in base64url) and send it with every request. It is a credential for the
sender's own upload list, so only its SHA-256 is kept (Redis keys, never the id
itself) and it is never logged.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

# 22 base64url characters carry 132 bits; 64 leaves room for longer ids.
MIN_LENGTH = 22
MAX_LENGTH = 64
_FORM = f"[A-Za-z0-9_-]{{{MIN_LENGTH},{MAX_LENGTH}}}"
PATTERN = f"^{_FORM}$"  # as a JSON Schema pattern
_SENDER = re.compile(_FORM)


class InvalidSender(ValueError):
    """A sender id that is not 22 to 64 base64url characters."""


@dataclass(frozen=True)
class Sender:
    """A sender, known only by the hash of its id."""

    digest: str

    @property
    def label(self) -> str:
        """A short, opaque name that lets admins tell a link's senders apart; it can
        neither be turned back into the id nor used to read the sender's list."""
        return self.digest[:12]

    @classmethod
    def parse(cls, value: str) -> Sender:
        if not _SENDER.fullmatch(value):
            raise InvalidSender(
                f"must be {MIN_LENGTH} to {MAX_LENGTH} characters of A-Z, a-z, 0-9, '-' "
                "and '_' (a random id the client keeps, e.g. 16 random bytes in base64url)"
            )
        return cls(hashlib.sha256(value.encode("ascii")).hexdigest())
