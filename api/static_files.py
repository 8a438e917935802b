"""Serving our own pages (the upload page, the admin console): a page, its assets,
the same strict headers. No CDN, no inline script: the CSP allows scripts and styles
from this origin only."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import falcon

from api.errors import Problem

STATIC = Path(__file__).resolve().parent / "static"
TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def page_headers(resp: falcon.Response, cache: str) -> None:
    resp.set_header("Content-Security-Policy", CSP)
    resp.set_header("Referrer-Policy", "no-referrer")
    resp.set_header("Cache-Control", cache)
    resp.set_header("X-Frame-Options", "DENY")


def serve_page(req: falcon.Request, resp: falcon.Response, folder: str) -> None:
    """``folder``/index.html, never cached: it is where a page's state starts."""
    # Relative asset URLs need the trailing slash; a fragment survives the redirect.
    if not req.env.get("PATH_INFO", "").endswith("/"):
        raise falcon.HTTPMovedPermanently(f"{req.prefix}{req.path}/")
    page_headers(resp, "no-store")
    resp.content_type = "text/html; charset=utf-8"
    resp.data = (STATIC / folder / "index.html").read_bytes()


def serve_asset(resp: falcon.Response, folder: str, asset: str, allowed: Collection[str]) -> None:
    """One of the ``allowed`` files of ``folder``; any other name is a 404."""
    if asset not in allowed:
        raise Problem(404, f"no asset named {asset!r}", slug="not-found")
    # Revalidated on every load, so a new release reaches open pages at once.
    page_headers(resp, "no-cache")
    resp.content_type = TYPES[Path(asset).suffix]
    resp.data = (STATIC / folder / asset).read_bytes()
