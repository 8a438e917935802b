"""The admin console (/admin/): static files, and the little configuration it reads.

The page holds no secret: the admin pastes a token, which its script keeps in
``sessionStorage`` and sends as ``Authorization: Bearer`` to the admin API. The
vendored libraries (charts, QR codes) are served from /admin/vendor/, the helpers
it shares with the upload page from /shared/ (:mod:`api.resources.pages`).
"""

from __future__ import annotations

import falcon

from api.auth import admin_only
from api.static_files import StaticFiles, serve_asset, serve_page
from inlet.settings import Settings

PAGE_ASSETS = {"app.js", "app.css", "charts.js", "icon.svg"}
VENDOR_ASSETS = {"chart.umd.min.js", "qrcode.js"}


class ConsoleResource:
    """GET /admin/ serves the page; GET and HEAD /admin/<asset> and /admin/vendor/<asset>
    the rest."""

    def __init__(self, files: StaticFiles) -> None:
        self.files = files

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        serve_page(req, resp, self.files, "admin")

    def on_get_asset(self, req: falcon.Request, resp: falcon.Response, asset: str) -> None:
        serve_asset(req, resp, self.files, ("admin", PAGE_ASSETS), asset)

    def on_get_vendor(self, req: falcon.Request, resp: falcon.Response, asset: str) -> None:
        serve_asset(req, resp, self.files, ("vendor", VENDOR_ASSETS), asset)

    on_head_asset = on_get_asset
    on_head_vendor = on_get_vendor


@falcon.before(admin_only)
class ConsoleConfigResource:
    """GET /v1/console: where the operator tools are, for the console's links, and the
    quotas a new link gets when the form leaves them empty."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {
            "flower_url": self.settings.flower_url or None,
            "kibana_url": self.settings.kibana_url or None,
            "link_defaults": {
                "max_images": self.settings.link_default_max_images or None,
                "max_bytes": self.settings.link_default_max_bytes or None,
            },
        }
