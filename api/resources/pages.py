"""The upload page for link holders (/u/) and the way browsers are sent to it.

The token travels in the URL fragment (`/u/#<token>`), which browsers never send to
a server, so it stays out of access logs, proxies and Referer headers; the page's
script reads it and calls the API with `Authorization: Bearer <token>`.
"""

from __future__ import annotations

from pathlib import Path

import falcon

from api.errors import Problem
from inlet.settings import Settings

STATIC = Path(__file__).resolve().parents[1] / "static" / "upload"
ASSETS = {
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
    "icon.svg": "image/svg+xml",
}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def page_url(settings: Settings, req: falcon.Request, token: str) -> str:
    base = (settings.public_base_url or req.prefix).rstrip("/")
    return f"{base}/u/#{token}"


def _page_headers(resp: falcon.Response, cache: str) -> None:
    resp.set_header("Content-Security-Policy", CSP)
    resp.set_header("Referrer-Policy", "no-referrer")
    resp.set_header("Cache-Control", cache)
    resp.set_header("X-Frame-Options", "DENY")


class UploadPageResource:
    """GET /u/ serves the page, GET /u/<asset> its script, style and icon."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        # Relative asset URLs need the trailing slash; the fragment survives the redirect.
        if not req.env.get("PATH_INFO", "").endswith("/"):
            raise falcon.HTTPMovedPermanently(f"{req.prefix}{req.path}/")
        _page_headers(resp, "no-store")
        resp.content_type = "text/html; charset=utf-8"
        resp.data = (STATIC / "index.html").read_bytes()

    def on_get_asset(self, req: falcon.Request, resp: falcon.Response, asset: str) -> None:
        if asset not in ASSETS:
            raise Problem(404, f"no page asset named {asset!r}", slug="not-found")
        # Revalidated on every load, so a new release reaches open pages at once.
        _page_headers(resp, "no-cache")
        resp.content_type = ASSETS[asset]
        resp.data = (STATIC / asset).read_bytes()


def redirect_browser(settings: Settings, req: falcon.Request, token: str) -> None:
    """A browser opening a link's `url` is sent to the page; other clients learn to POST."""
    if _wants_html(req.get_header("Accept") or ""):
        raise falcon.HTTPSeeOther(
            page_url(settings, req, token), headers={"Referrer-Policy": "no-referrer"}
        )
    raise Problem(
        405,
        "POST images here (multipart/form-data or a by-hash JSON body); "
        "in a browser, this address opens the upload page",
        slug="method-not-allowed",
        headers={"Allow": "POST"},
    )


def _wants_html(accept: str) -> bool:
    types = {part.split(";")[0].strip().lower() for part in accept.split(",")}
    return bool(types & {"text/html", "application/xhtml+xml"})
