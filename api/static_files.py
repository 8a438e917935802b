"""Serving our own pages (the upload page, the admin console): a page, its assets,
the same strict headers. No CDN, no inline script: the CSP allows scripts and styles
from this origin only.

Each file is read once per process, on its first request, and kept with a strong
ETag (the SHA-256 of its bytes). Assets are sent ``no-cache``: a browser asks again
on every load, and the answer is 304 with no body until a release changes the file
(a new process, a new ETag), so an open page gets a new release at once and a reload
costs a few hundred bytes, not the console's 270 KB.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import falcon

from api.conditional import if_none_match
from api.errors import Problem

STATIC = Path(__file__).resolve().parent / "static"
TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".html": "text/html; charset=utf-8",
}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


@dataclass(frozen=True)
class StaticFile:
    body: bytes
    content_type: str
    etag: str  # quoted, strong: the SHA-256 of body


def etag_of(body: bytes) -> str:
    return f'"{hashlib.sha256(body).hexdigest()}"'


class StaticFiles:
    """The files under ``root``, each read once (on first use) and kept in memory.

    Only names a resource allows are ever asked for, so this never reads a path a
    client chose; the pages and their assets are a few hundred KB in all.
    """

    def __init__(self, root: Path = STATIC) -> None:
        self.root = root
        self._files: dict[tuple[str, str], StaticFile] = {}
        self._lock = threading.Lock()

    def get(self, folder: str, name: str) -> StaticFile:
        key = (folder, name)
        found = self._files.get(key)
        if found is None:
            body = (self.root / folder / name).read_bytes()
            made = StaticFile(body, TYPES[Path(name).suffix], etag_of(body))
            with self._lock:
                found = self._files.setdefault(key, made)
        return found


def page_headers(resp: falcon.Response, cache: str) -> None:
    resp.set_header("Content-Security-Policy", CSP)
    resp.set_header("Referrer-Policy", "no-referrer")
    resp.set_header("Cache-Control", cache)
    resp.set_header("X-Frame-Options", "DENY")


def serve_page(req: falcon.Request, resp: falcon.Response, files: StaticFiles, folder: str) -> None:
    """``folder``/index.html, never cached: it is where a page's state starts."""
    # Relative asset URLs need the trailing slash; a fragment survives the redirect.
    if not req.env.get("PATH_INFO", "").endswith("/"):
        raise falcon.HTTPMovedPermanently(f"{req.prefix}{req.path}/")
    page = files.get(folder, "index.html")
    page_headers(resp, "no-store")
    resp.content_type = page.content_type
    resp.data = page.body


def serve_asset(
    req: falcon.Request,
    resp: falcon.Response,
    files: StaticFiles,
    where: tuple[str, Collection[str]],
    asset: str,
) -> None:
    """One of the allowed files of a folder (``where``: the folder and the names it
    serves); any other name is a 404. GET and HEAD; If-None-Match gets a 304."""
    folder, allowed = where
    if asset not in allowed:
        raise Problem(404, f"no asset named {asset!r}", slug="not-found")
    found = files.get(folder, asset)
    # Revalidated on every load (no-cache), so a new release reaches open pages at once.
    page_headers(resp, "no-cache")
    resp.etag = found.etag
    if if_none_match(req.get_header("If-None-Match"), found.etag):
        resp.status = falcon.HTTP_304
        return
    resp.content_type = found.content_type
    resp.data = found.body
