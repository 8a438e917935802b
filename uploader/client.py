"""HTTP to the API for one link: its description, by-hash uploads and streamed multipart."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

import requests

RETRYABLE = {429, 502, 503, 504}
READ_CHUNK = 256 * 1024


class LinkProblem(Exception):
    """The link itself is refused (expired, revoked, invalid): nothing can be sent."""


@dataclass(frozen=True)
class Part:
    path: Path
    name: str
    size: int


class MultipartStream:
    """A multipart/form-data body read from disk as it is sent, with a known length."""

    def __init__(self, parts: Sequence[Part], progress: Callable[[int], None]) -> None:
        self.boundary = uuid.uuid4().hex
        self.progress = progress
        self._pieces: list[bytes | Part] = []
        for part in parts:
            ascii_name = part.name.encode("ascii", "replace").decode().replace('"', "'")
            head = (
                f'--{self.boundary}\r\nContent-Disposition: form-data; name="images"; '
                f"filename=\"{ascii_name}\"; filename*=UTF-8''{quote(part.name)}\r\n"
                "Content-Type: application/octet-stream\r\n\r\n"
            )
            self._pieces += [head.encode(), part, b"\r\n"]
        self._pieces.append(f"--{self.boundary}--\r\n".encode())
        self.length = sum(p.size if isinstance(p, Part) else len(p) for p in self._pieces)
        self._current: IO[bytes] | None = None

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return self.length

    def read(self, size: int = -1) -> bytes:
        want = READ_CHUNK if size is None or size < 0 else size
        while self._pieces or self._current:
            if self._current is not None:
                data = self._current.read(want)
                if data:
                    self.progress(len(data))
                    return data
                self._current.close()
                self._current = None
                continue
            piece = self._pieces.pop(0)
            if isinstance(piece, Part):
                self._current = piece.path.open("rb")
                continue
            return piece
        return b""

    def close(self) -> None:
        if self._current is not None:
            self._current.close()


class LinkClient:
    def __init__(
        self,
        base: str,
        token: str,
        *,
        sender: str | None = None,
        retries: int = 5,
        on_retry: Callable[[str, float], None] | None = None,
    ) -> None:
        self.base = base.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        if sender is not None:
            # Who is sending: the API lists each sender only their own uploads.
            self.session.headers["X-Inlet-Sender"] = sender
        self.session.headers["Accept"] = "application/json"
        self.retries = retries
        self.on_retry = on_retry or (lambda reason, delay: None)

    def describe(self) -> dict[str, Any]:
        resp = self._send(lambda: self.session.get(f"{self.base}/v1/uploads/self", timeout=30))
        if resp.status_code != 200:
            raise LinkProblem(_detail(resp))
        return dict(resp.json())

    def by_hash(self, items: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
        body = {"images": [{"sha256": digest, "filename": name} for digest, name in items]}
        resp = self._send(
            lambda: self.session.post(f"{self.base}/v1/uploads", json=body, timeout=60)
        )
        return _per_item(resp, len(items))

    def upload(
        self, parts: Sequence[Part], progress: Callable[[int], None]
    ) -> list[dict[str, Any]]:
        def attempt() -> requests.Response:
            stream = MultipartStream(parts, progress)
            try:
                return self.session.post(
                    f"{self.base}/v1/uploads",
                    data=stream,
                    headers={"Content-Type": stream.content_type},
                    timeout=(10, 600),
                )
            finally:
                stream.close()

        return _per_item(self._send(attempt), len(parts))

    def _send(self, attempt: Callable[[], requests.Response]) -> requests.Response:
        for number in range(1, self.retries + 2):
            try:
                resp = attempt()
            except (requests.ConnectionError, requests.Timeout) as exc:
                if number > self.retries:
                    raise
                self._wait(number, None, f"network error ({type(exc).__name__})")
                continue
            if resp.status_code in RETRYABLE and number <= self.retries:
                self._wait(
                    number, resp.headers.get("Retry-After"), f"server answered {resp.status_code}"
                )
                continue
            return resp
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, number: int, retry_after: str | None, reason: str) -> None:
        delay = _retry_after(retry_after)
        if delay is None:
            base = min(30.0, 2.0 ** (number - 1))
            delay = base / 2 + random.uniform(0, base / 2)  # noqa: S311 - jitter, not a secret
        self.on_retry(reason, delay)
        time.sleep(delay)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return min(120.0, max(0.0, float(value)))
    except ValueError:
        pass
    try:
        return min(120.0, max(0.0, parsedate_to_datetime(value).timestamp() - time.time()))
    except (TypeError, ValueError):
        return None


def _detail(resp: requests.Response) -> str:
    try:
        return str(resp.json().get("detail") or resp.reason)
    except ValueError:
        return f"HTTP {resp.status_code} {resp.reason}"


def _per_item(resp: requests.Response, count: int) -> list[dict[str, Any]]:
    """The per-file answers, or the same failure for every file of the request."""
    if resp.status_code in (401, 403, 410):
        try:
            doc = resp.json()
        except ValueError:
            doc = {}
        if "images" not in doc:
            raise LinkProblem(_detail(resp))
    try:
        images = resp.json().get("images")
    except ValueError:
        images = None
    if isinstance(images, list) and len(images) == count:
        return [dict(i) for i in images]
    error = {"status": resp.status_code, "detail": _detail(resp)}
    return [{"error": error} for _ in range(count)]
