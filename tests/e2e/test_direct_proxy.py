"""Parts of a direct upload PUT through the front proxy to the store, as signed (nginx,
moto). The API does not hand these URLs out yet: the store side signs them here."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

import pytest
import requests

from inlet.stores.direct import StagedUploads
from tests.e2e.conftest import Stack

pytestmark = pytest.mark.e2e

MiB = 1024 * 1024


def staging(stack: Stack) -> StagedUploads:
    staged = stack.context().staged_uploads
    assert staged is not None
    return staged


def signed_put(stack: Stack, uploads: StagedUploads, data: bytes) -> tuple[str, str, str]:
    upload_id = uuid.uuid4().hex
    s3_id = uploads.start(upload_id, "image/png")
    part = uploads.sign_part(
        stack.url, upload_id, s3_id, number=1, length=len(data),
        sha256_hex=hashlib.sha256(data).hexdigest(), now=datetime.now(UTC), expires=300,
    )  # fmt: skip
    answer = requests.put(part.url, data=data, headers=part.headers, timeout=30)
    assert answer.status_code == 200, answer.text
    assert "x-amz-request-id" not in {k.lower() for k in answer.headers}
    return upload_id, s3_id, part.url


def test_a_part_sent_through_the_proxy_is_held_by_the_store(stack: Stack) -> None:
    uploads = staging(stack)
    data = b"\7" * (5 * MiB)
    upload_id, s3_id, url = signed_put(stack, uploads, data)
    assert url.startswith(stack.url + "/")
    assert uploads.held_sizes(upload_id, s3_id) == {1: len(data)}


def test_only_put_to_a_staging_key_and_at_most_one_part_pass(stack: Stack) -> None:
    uploads = staging(stack)
    _, _, url = signed_put(stack, uploads, b"x" * 10)
    assert requests.get(url, timeout=30).status_code == 403
    too_big = requests.put(url, data=b"\0" * (8 * MiB + 1), timeout=60)
    assert too_big.status_code == 413
    other_key = url.replace("/incoming/", "/ab/cd/", 1)
    assert requests.put(other_key, data=b"x", timeout=30).status_code in (404, 405)
