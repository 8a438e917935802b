"""S3 SigV4 query signing ("presigned URLs") whose signature covers chosen headers.

Why our own and not minio-py's: its presigner signs only ``host``, so a client holding the
URL could send any length and any (or no) ``x-amz-checksum-sha256``. The direct upload path
needs the store itself to hold the client to the part's declared length and SHA-256, so the
signature must cover ``content-length``, ``x-amz-checksum-sha256`` and, for a final key,
``if-none-match``. botocore can do that but is not a runtime dependency (it only arrives
with moto in the test extras); SigV4 query signing is a page of pure code, checked in the
unit tests against botocore's ``S3SigV4QueryAuth`` for the same inputs.

Pure: no clock, no I/O; the caller passes the time.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlsplit, urlunsplit

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
# SigV4 caps a presigned URL's life at seven days.
MAX_EXPIRES = 7 * 24 * 3600


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str
    region: str
    service: str = "s3"


def _encode(value: str) -> str:
    return quote(value, safe="-_.~")


def _canonical_query(params: Mapping[str, str]) -> str:
    pairs = sorted((_encode(k), _encode(v)) for k, v in params.items())
    return "&".join(f"{k}={v}" for k, v in pairs)


def _host(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    default = {"http": 80, "https": 443}.get(parts.scheme)
    if parts.port is not None and parts.port != default:
        return f"{host}:{parts.port}"
    return host


def _signing_key(creds: Credentials, day: str) -> bytes:
    key = f"AWS4{creds.secret_key}".encode()
    for part in (day, creds.region, creds.service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def presign(
    method: str,
    url: str,
    creds: Credentials,
    *,
    now: datetime,
    expires: int,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
) -> str:
    """The URL with SigV4 query authentication; ``headers`` (besides host) are signed.

    ``url`` is the object's URL without a query; ``params`` are the operation's query
    parameters (``partNumber``, ``uploadId``). ``now`` must be UTC.
    """
    if not 1 <= expires <= MAX_EXPIRES:
        raise ValueError(f"expires must be 1..{MAX_EXPIRES} seconds")
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    day = stamp[:8]
    scope = f"{day}/{creds.region}/{creds.service}/aws4_request"
    signed = {"host": _host(url)}
    signed.update({k.lower(): " ".join(str(v).split()) for k, v in (headers or {}).items()})
    names = ";".join(sorted(signed))
    query = dict(params or {})
    query.update(
        {
            "X-Amz-Algorithm": ALGORITHM,
            "X-Amz-Credential": f"{creds.access_key}/{scope}",
            "X-Amz-Date": stamp,
            "X-Amz-Expires": str(expires),
            "X-Amz-SignedHeaders": names,
        }
    )
    parts = urlsplit(url)
    path = quote(parts.path or "/", safe="/-_.~")
    canonical = "\n".join(
        [
            method.upper(),
            path,
            _canonical_query(query),
            "".join(f"{k}:{signed[k]}\n" for k in sorted(signed)),
            names,
            UNSIGNED_PAYLOAD,
        ]
    )
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    to_sign = f"{ALGORITHM}\n{stamp}\n{scope}\n{digest}"
    signature = hmac.new(_signing_key(creds, day), to_sign.encode(), hashlib.sha256).hexdigest()
    query_string = _canonical_query(query) + f"&X-Amz-Signature={signature}"
    return urlunsplit((parts.scheme, parts.netloc, path, query_string, ""))
