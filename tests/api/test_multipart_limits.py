"""Falcon's multipart limits, sent: too many parts, a part header past its bound, a
part in base64. Each is a 400 problem naming what was wrong, never a 5xx, and nothing
is stored, not even the good image sent before it in the same body."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from falcon import testing

from inlet.settings import Settings
from inlet.stores.blobstore import S3BlobStore
from tests.http import assert_problem
from tests.images import make_image
from tests.support import hash_count

MAX_FILES = 2
MAX_PARTS = MAX_FILES * 2 + 16  # api/app.py: files, plus plain fields beside them
HEADER_LIMIT = 8192  # Falcon's max_body_part_headers_size


def part(boundary: str, headers: dict[str, str], data: bytes) -> bytes:
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return f"--{boundary}\r\n{head}\r\n".encode() + data + b"\r\n"


def image_part(boundary: str, seed: int, filename: str = "good.png") -> bytes:
    disposition = f'form-data; name="images"; filename="{filename}"'
    headers = {"Content-Disposition": disposition, "Content-Type": "image/png"}
    return part(boundary, headers, make_image("PNG", seed=seed))


def field_part(boundary: str, n: int) -> bytes:
    return part(boundary, {"Content-Disposition": f'form-data; name="note{n}"'}, b"hello")


def too_many_parts(boundary: str) -> bytes:
    return image_part(boundary, 70) + b"".join(field_part(boundary, n) for n in range(MAX_PARTS))


def oversized_part_header(boundary: str) -> bytes:
    return image_part(boundary, 71) + image_part(boundary, 72, "x" * HEADER_LIMIT + ".png")


def base64_part(boundary: str) -> bytes:
    disposition = 'form-data; name="images"; filename="b64.png"'
    headers = {
        "Content-Disposition": disposition,
        "Content-Type": "image/png",
        "Content-Transfer-Encoding": "base64",
    }
    encoded = base64.encodebytes(make_image("PNG", seed=74))
    return image_part(boundary, 73) + part(boundary, headers, encoded)


CASES: dict[str, tuple[Callable[[str], bytes], str]] = {
    "too-many-parts": (too_many_parts, "maximum number of form body parts exceeded"),
    "oversized-part-header": (oversized_part_header, "incomplete body part headers"),
    "base64-part": (base64_part, "Content-Transfer-Encoding"),
}


@pytest.fixture
def client(make_client: Callable[..., testing.TestClient]) -> testing.TestClient:
    return make_client(max_files_per_request=MAX_FILES)


def post(client: testing.TestClient, token: str, parts: bytes, boundary: str) -> testing.Result:
    body = parts + f"--{boundary}--\r\n".encode()
    ctype = f"multipart/form-data; boundary={boundary}"
    return client.simulate_post(f"/v1/uploads/{token}", body=body, headers={"Content-Type": ctype})


def test_the_control_body_is_accepted(client: testing.TestClient, new_link: Any) -> None:
    # What the cases below add to: one good image, and as many parts as are allowed.
    boundary = uuid.uuid4().hex
    fields = b"".join(field_part(boundary, n) for n in range(MAX_PARTS - 1))
    result = post(client, new_link()["token"], image_part(boundary, 70) + fields, boundary)
    assert result.status_code == 201, result.text


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_body_past_a_multipart_limit_is_400_and_stores_nothing(
    client: testing.TestClient,
    new_link: Any,
    admin: dict[str, str],
    blob_store: S3BlobStore,
    redis_client: Any,
    settings: Settings,
    case: str,
) -> None:
    make, words = CASES[case]
    link = new_link()
    boundary = uuid.uuid4().hex

    result = post(client, link["token"], make(boundary), boundary)

    problem = assert_problem(result, 400, "malformed multipart body", words)
    assert problem["type"].endswith("malformed-multipart")
    assert set(blob_store.iter_ids()) == set()
    assert hash_count(redis_client, settings.redis_prefix) == 0
    assert client.simulate_get(f"/v1/links/{link['id']}", headers=admin).json["used"] == 0
