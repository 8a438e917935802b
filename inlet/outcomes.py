"""What became of each file of an upload, in domain terms.

The API turns these into HTTP statuses, problem types and URLs (``api/outcomes.py``);
nothing here knows about HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Refusal(Enum):
    """Why a file was not accepted."""

    TOO_LARGE = "too-large"
    EMPTY = "empty"
    NOT_AN_IMAGE = "not-an-image"
    UNDECODABLE = "undecodable"
    TOO_MANY_PIXELS = "too-many-pixels"
    QUOTA_USED_UP = "quota-used-up"
    STORE_UNAVAILABLE = "store-unavailable"
    # A by-hash upload of bytes the store does not hold: the client sends them instead.
    UNKNOWN_HASH = "send-bytes"
    # Stored bytes that do not hash to the SHA-256 they were declared with. Says nothing
    # about the bytes that do: those are still accepted and stored.
    HASH_MISMATCH = "hash-mismatch"


class State(Enum):
    """Where a stored image stands: pending until a worker has decoded all of it."""

    PENDING = "pending"
    READY = "ready"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Accepted:
    filename: str
    image_id: str
    duplicate: bool
    state: State = State.PENDING


@dataclass(frozen=True)
class Refused:
    filename: str
    reason: Refusal
    detail: str


Outcome = Accepted | Refused
