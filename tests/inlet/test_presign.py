from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from inlet import parts, presign

NOW = datetime(2026, 12, 3, 11, 5, 9, tzinfo=UTC)
CREDS = presign.Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1")
SHA = hashlib.sha256(b"part").hexdigest()
HEADERS = {
    "Content-Length": "5242880",
    "x-amz-checksum-sha256": parts.checksum_header(SHA),
    "If-None-Match": "*",
}


def botocore_url(method: str, url: str, headers: dict[str, str], expires: int) -> str:
    auth = pytest.importorskip("botocore.auth")
    awsrequest = pytest.importorskip("botocore.awsrequest")
    credentials = pytest.importorskip("botocore.credentials")
    request = awsrequest.AWSRequest(method=method, url=url, headers=dict(headers))
    signer = auth.S3SigV4QueryAuth(
        credentials.Credentials(CREDS.access_key, CREDS.secret_key),
        "s3",
        CREDS.region,
        expires=expires,
    )
    monkey = pytest.MonkeyPatch()
    monkey.setattr(auth, "get_current_datetime", lambda: NOW.replace(tzinfo=None))
    try:
        signer.add_auth(request)
    finally:
        monkey.undo()
    prepared: Any = request.prepare()
    return str(prepared.url)


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("http://photos.example:8080/inlet-images/ab/cd/" + SHA, {}),
        (
            "https://photos.example/inlet-images/incoming/0b6f2c1e",
            {"partNumber": "3", "uploadId": "a/b+c=="},
        ),
    ],
)
def test_signature_equals_botocores(url: str, params: dict[str, str]) -> None:
    ours = presign.presign("PUT", url, CREDS, now=NOW, expires=900, headers=HEADERS, params=params)
    suffix = urlencode(params)
    theirs = botocore_url("PUT", url + ("?" + suffix if suffix else ""), HEADERS, 900)
    assert query(ours) == query(theirs)
    assert urlsplit(ours).path == urlsplit(theirs).path


def test_signed_headers_cover_length_and_checksum() -> None:
    url = presign.presign("PUT", "http://h/b/k", CREDS, now=NOW, expires=60, headers=HEADERS)
    signed = query(url)["X-Amz-SignedHeaders"].split(";")
    assert signed == ["content-length", "host", "if-none-match", "x-amz-checksum-sha256"]


def test_a_changed_header_changes_the_signature() -> None:
    def sig(headers: dict[str, str]) -> str:
        url = presign.presign("PUT", "http://h/b/k", CREDS, now=NOW, expires=60, headers=headers)
        return query(url)["X-Amz-Signature"]

    assert sig(HEADERS) != sig({**HEADERS, "Content-Length": "1"})


@pytest.mark.parametrize("expires", [0, presign.MAX_EXPIRES + 1])
def test_expiry_out_of_range_is_refused(expires: int) -> None:
    with pytest.raises(ValueError, match="expires"):
        presign.presign("PUT", "http://h/b/k", CREDS, now=NOW, expires=expires)
