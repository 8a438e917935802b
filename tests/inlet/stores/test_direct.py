"""Parts PUT straight to the store on URLs we sign, then completed and promoted (moto)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from inlet import parts
from inlet.presign import Credentials
from inlet.settings import Settings
from inlet.stores.blobstore import S3BlobStore
from inlet.stores.direct import StagedUploads
from tests.images import make_image

MiB = 1024 * 1024


def staged(settings: Settings, blob_store: S3BlobStore) -> StagedUploads:
    creds = Credentials(settings.s3_access_key, settings.s3_secret_key, settings.s3_region)
    return StagedUploads(blob_store.client, blob_store.bucket, creds, settings.s3_endpoint)


def put_parts(
    settings: Settings, uploads: StagedUploads, upload_id: str, s3_id: str, data: bytes
) -> list[parts.Part]:
    plan = parts.plan(len(data), 5 * MiB)
    for part in plan:
        chunk = data[part.offset : part.offset + part.length]
        signed = uploads.sign_part(
            settings.s3_endpoint,
            upload_id,
            s3_id,
            number=part.number,
            length=part.length,
            sha256_hex=hashlib.sha256(chunk).hexdigest(),
            now=datetime.now(UTC),
            expires=300,
        )
        signed_headers = parse_qs(urlsplit(signed.url).query)["X-Amz-SignedHeaders"][0]
        assert {"content-length", "x-amz-checksum-sha256"} <= set(signed_headers.split(";"))
        answer = requests.put(signed.url, data=chunk, headers=signed.headers, timeout=10)
        assert answer.status_code == 200, answer.text
    return plan


def test_parts_sent_on_signed_urls_complete_into_the_images_key(
    settings: Settings, blob_store: S3BlobStore
) -> None:
    uploads = staged(settings, blob_store)
    data = make_image("PNG", size=(8, 8)) + b"\0" * (11 * MiB)  # three parts
    image_id = hashlib.sha256(data).hexdigest()
    upload_id = uuid.uuid4().hex
    s3_id = uploads.start(upload_id, "image/png")

    plan = put_parts(settings, uploads, upload_id, s3_id, data)

    held = uploads.held(upload_id, s3_id)
    assert {n: p.size for n, p in held.items()} == {p.number: p.length for p in plan}
    uploads.complete(upload_id, s3_id, [held[n] for n in sorted(held)])
    uploads.promote(upload_id, image_id, {"format": "PNG"})
    stream = blob_store.open(image_id)
    try:
        assert stream.read() == data
    finally:
        stream.close()
    assert blob_store.head(image_id).metadata.get("format") == "PNG"


def test_a_fresh_upload_holds_no_parts_and_one_part_resumes(
    settings: Settings, blob_store: S3BlobStore
) -> None:
    uploads = staged(settings, blob_store)
    upload_id = uuid.uuid4().hex
    s3_id = uploads.start(upload_id, "image/png")
    assert uploads.held(upload_id, s3_id) == {}
    put_parts(settings, uploads, upload_id, s3_id, b"\1" * 100)
    assert [p.size for p in uploads.held(upload_id, s3_id).values()] == [100]


def test_an_aborted_upload_is_gone_and_aborting_again_is_no_error(
    settings: Settings, blob_store: S3BlobStore
) -> None:
    uploads = staged(settings, blob_store)
    upload_id = uuid.uuid4().hex
    s3_id = uploads.start(upload_id, "image/png")
    put_parts(settings, uploads, upload_id, s3_id, b"\2" * 100)
    uploads.abort(upload_id, s3_id)
    uploads.abort(upload_id, s3_id)
    with pytest.raises(FileNotFoundError):
        uploads.held(upload_id, s3_id)


def test_a_url_on_the_public_origin_is_signed_for_the_stores_host(
    settings: Settings, blob_store: S3BlobStore
) -> None:
    uploads = staged(settings, blob_store)
    now = datetime.now(UTC)
    args: dict[str, Any] = {
        "number": 1, "length": 3, "sha256_hex": "ab" * 32, "now": now, "expires": 60
    }  # fmt: skip
    public = uploads.sign_part("https://photos.example", "u1", "s3id", **args)
    direct = uploads.sign_part(settings.s3_endpoint, "u1", "s3id", **args)
    assert public.url.startswith("https://photos.example/" + blob_store.bucket + "/incoming/u1?")
    assert urlsplit(public.url).query == urlsplit(direct.url).query
    assert public.headers == direct.headers
