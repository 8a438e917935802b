"""The admin console (/admin/): static files, and the little configuration it reads.

The page holds no secret: the admin pastes a token, which its script keeps in
``sessionStorage`` and sends as ``Authorization: Bearer`` to the admin API. The
vendored libraries (charts, QR codes) are served from /admin/vendor/.
"""

from __future__ import annotations

from pathlib import Path

import falcon

from api.auth import admin_only
from api.errors import Problem
from inlet.settings import Settings

STATIC = Path(__file__).resolve().parents[1] / "static"
TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
PAGE_ASSETS = {"app.js", "app.css", "charts.js", "icon.svg"}
VENDOR_ASSETS = {"chart.umd.min.js", "qrcode.js"}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def _headers(resp: falcon.Response, cache: str) -> None:
    resp.set_header("Content-Security-Policy", CSP)
    resp.set_header("Referrer-Policy", "no-referrer")
    resp.set_header("Cache-Control", cache)
    resp.set_header("X-Frame-Options", "DENY")


def _serve(resp: falcon.Response, folder: str, asset: str, allowed: set[str]) -> None:
    if asset not in allowed:
        raise Problem(404, f"no console asset named {asset!r}", slug="not-found")
    # Revalidated on every load, so a new release reaches open consoles at once.
    _headers(resp, "no-cache")
    resp.content_type = TYPES[Path(asset).suffix]
    resp.data = (STATIC / folder / asset).read_bytes()


class ConsoleResource:
    """GET /admin/ serves the page; /admin/<asset> and /admin/vendor/<asset> the rest."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        # Relative asset URLs need the trailing slash.
        if not req.env.get("PATH_INFO", "").endswith("/"):
            raise falcon.HTTPMovedPermanently(f"{req.prefix}{req.path}/")
        _headers(resp, "no-store")
        resp.content_type = "text/html; charset=utf-8"
        resp.data = (STATIC / "admin" / "index.html").read_bytes()

    def on_get_asset(self, req: falcon.Request, resp: falcon.Response, asset: str) -> None:
        _serve(resp, "admin", asset, PAGE_ASSETS)

    def on_get_vendor(self, req: falcon.Request, resp: falcon.Response, asset: str) -> None:
        _serve(resp, "vendor", asset, VENDOR_ASSETS)


@falcon.before(admin_only)
class ConsoleConfigResource:
    """GET /v1/console: where the operator tools are, for the console's links."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {
            "flower_url": self.settings.flower_url or None,
            "kibana_url": self.settings.kibana_url or None,
        }
