"""Domain outcomes as HTTP: the one table from refusals to statuses and problem types."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from api.errors import Problem
from inlet.outcomes import Accepted, Outcome, Refusal, Refused

STATUS: dict[Refusal, int] = {
    Refusal.TOO_LARGE: 413,
    Refusal.EMPTY: 422,
    Refusal.NOT_AN_IMAGE: 415,
    Refusal.UNDECODABLE: 422,
    Refusal.TOO_MANY_PIXELS: 422,
    Refusal.QUOTA_USED_UP: 403,
    Refusal.STORE_UNAVAILABLE: 503,
    Refusal.UNKNOWN_HASH: 404,
    Refusal.HASH_MISMATCH: 422,
}


def image_url(image_id: str) -> str:
    return f"/v1/images/{image_id}"


def outcome_dict(outcome: Outcome) -> dict[str, Any]:
    """One file's entry in an upload answer."""
    if isinstance(outcome, Accepted):
        return {
            "filename": outcome.filename,
            "id": outcome.image_id,
            "duplicate": outcome.duplicate,
            "state": outcome.state.value,
            "url": image_url(outcome.image_id),
        }
    return {
        "filename": outcome.filename,
        "error": {
            "status": STATUS[outcome.reason],
            "reason": outcome.reason.value,
            "detail": outcome.detail,
        },
    }


def nothing_accepted(refused: Sequence[Refused]) -> Problem:
    """The problem for an upload none of whose files was accepted.

    One shared status when every file failed the same way, else 422.
    """
    statuses = Counter(STATUS[r.reason] for r in refused)
    status = next(iter(statuses)) if len(statuses) == 1 else 422
    details = "; ".join(f"{r.filename or '(unnamed)'}: {r.detail}" for r in refused)
    headers = {"Retry-After": "5"} if status == 503 else None
    return Problem(
        status,
        f"no file was accepted: {details}",
        slug="nothing-accepted",
        headers=headers,
        images=[outcome_dict(r) for r in refused],
    )
