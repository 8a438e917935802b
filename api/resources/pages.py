"""The upload page for link holders (/u/) and the way browsers are sent to it.

The token travels in the URL fragment (`/u/#<token>`), which browsers never send to
a server, so it stays out of access logs, proxies and Referer headers; the page's
script reads it and calls the API with `Authorization: Bearer <token>`.
"""

from __future__ import annotations

import falcon

from api.errors import Problem
from api.static_files import StaticFiles, serve_asset, serve_page
from inlet.settings import Settings

ASSETS = {"app.js", "app.css", "icon.svg"}
SHARED_ASSETS = {"dom.js"}


def page_url(settings: Settings, req: falcon.Request, token: str) -> str:
    base = (settings.public_base_url or req.prefix).rstrip("/")
    return f"{base}/u/#{token}"


class UploadPageResource:
    """GET /u/ serves the page, GET and HEAD /u/<asset> its script, style and icon."""

    def __init__(self, files: StaticFiles) -> None:
        self.files = files

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        serve_page(req, resp, self.files, "upload")

    def on_get_asset(self, req: falcon.Request, resp: falcon.Response, asset: str) -> None:
        serve_asset(req, resp, self.files, ("upload", ASSETS), asset)

    on_head_asset = on_get_asset


class SharedAssetsResource:
    """GET and HEAD /shared/<asset>: the module of helpers both pages import
    (``../shared/dom.js`` from /u/ and from /admin/), one URL and one cache entry."""

    def __init__(self, files: StaticFiles) -> None:
        self.files = files

    def on_get(self, req: falcon.Request, resp: falcon.Response, asset: str) -> None:
        serve_asset(req, resp, self.files, ("shared", SHARED_ASSETS), asset)

    on_head = on_get


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
