"""Where each stored image stands: pending until a worker has decoded it, then ready
or rejected (with the reason). Kept in Redis by inlet/stores/verification.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from inlet.outcomes import Refusal, State


@dataclass(frozen=True)
class Rejection:
    reason: Refusal
    detail: str


class States(Protocol):
    def state(self, image_id: str) -> State: ...

    def rejection(self, image_id: str) -> Rejection | None: ...

    def forget_mismatch(self, image_id: str) -> None:
        """Drop a hash-mismatch rejection (it was about other bytes); keep any other."""
