"""GET /v1/uploads/self: what a link holder's client needs before and after uploading."""

from __future__ import annotations

import time

import falcon

from api.auth import bearer, require_link, sender
from inlet.formats import accepted_formats
from inlet.settings import Settings
from inlet.stores.history import UploadHistory
from inlet.stores.links import LinkStore
from inlet.verification import States


class UploadsSelfResource:
    def __init__(
        self, settings: Settings, links: LinkStore, history: UploadHistory, states: States
    ) -> None:
        self.settings = settings
        self.links = links
        self.history = history
        self.states = states

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        link = require_link(bearer(req), self.settings.secret_key, self.links)
        who = sender(req)
        now = int(time.time())
        resp.media = {
            "expires_at": link.as_dict()["expires_at"],
            # Clients count down from this, so a wrong clock on the device does not matter.
            "expires_in": max(0, link.expires_at - now),
            "max_images": link.max_images,
            "used": link.used,
            "remaining": link.images_left,
            "max_bytes": link.max_bytes,
            "used_bytes": link.used_bytes,
            # What a file may still weigh, so clients can warn before sending it.
            "remaining_bytes": link.bytes_left,
            "max_image_bytes": self.settings.max_image_bytes,
            "max_files_per_request": self.settings.max_files_per_request,
            # A client hashes each part of this size before asking by hash (parts_sha256).
            "part_size": self.settings.part_size,
            "accepted": accepted_formats(),
            # Only the caller's own: none without a sender id (quota and expiry stay
            # link-wide, shared by every holder).
            "sender_known": who is not None,
            "uploads": self.history.as_dicts(link.id, who, self.states),
        }
