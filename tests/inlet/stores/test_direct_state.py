"""Direct uploads under way, as kept in Redis (real Redis)."""

from __future__ import annotations

import time
from typing import Any

from inlet.direct import DirectUpload
from inlet.settings import Settings
from inlet.stores.direct_state import DirectUploadState


def upload(upload_id: str = "u1", sender: str = "s1", expires_in: float = 3600) -> DirectUpload:
    return DirectUpload(
        upload_id=upload_id,
        s3_id="s3-" + upload_id,
        link_id="L1",
        sender=sender,
        sha256="ab" * 32,
        size=11 * 1024 * 1024,
        content_type="image/png",
        filename="cat.png",
        expires_at=time.time() + expires_in,
        parts_sha256=["cd" * 32, "ef" * 32, "01" * 32],
    )


def test_an_upload_is_found_again_by_its_senders_hash_only(
    redis_client: Any, settings: Settings
) -> None:
    state = DirectUploadState(redis_client, settings.redis_prefix)
    saved = upload()
    state.save(saved)

    assert state.get("u1") == saved
    assert state.find("L1", "s1", "ab" * 32) == saved
    assert state.find("L1", "another sender", "ab" * 32) is None
    assert state.find("L2", "s1", "ab" * 32) is None


def test_only_expired_uploads_are_swept_and_one_claimer_wins(
    redis_client: Any, settings: Settings
) -> None:
    state = DirectUploadState(redis_client, settings.redis_prefix)
    state.save(upload("old", expires_in=-10))
    state.save(upload("young", sender="s2"))

    assert state.expired(time.time()) == ["old"]
    assert state.claim("old")
    assert not state.claim("old")
    assert state.expired(time.time()) == []


def test_forget_removes_every_trace(redis_client: Any, settings: Settings) -> None:
    state = DirectUploadState(redis_client, settings.redis_prefix)
    saved = upload()
    state.save(saved)
    state.forget(saved)
    assert state.get("u1") is None
    assert state.find("L1", "s1", "ab" * 32) is None
    assert not state.claim("u1")
