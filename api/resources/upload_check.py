"""GET /v1/uploads/check: would an upload with this token be taken?

The front proxy asks it (nginx ``auth_request``) before it reads an upload's body, so
only the holder of a signed token can make nginx spool megabytes. It answers the
same 401, 403 or 410 an upload would get, from the token and the link alone.
"""

from __future__ import annotations

import falcon

from api import metrics
from api.auth import bearer, require_link
from api.errors import Problem
from inlet.settings import Settings
from inlet.stores.links import LinkStore

# What nginx's auth_request can answer itself (docker/nginx/inlet.conf.template).
DENIED = (401, 403)


class UploadCheckResource:
    def __init__(self, settings: Settings, links: LinkStore) -> None:
        self.settings = settings
        self.links = links

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        try:
            require_link(bearer(req), self.settings.secret_key, self.links)
        except Problem as exc:
            # The proxy refuses these two itself; any other answer lets the upload
            # through to be refused (and counted) by the API as before.
            if int(exc.status_code) in DENIED:
                metrics.record_link_refused(exc.slug or "")
            raise
        resp.status = falcon.HTTP_204
        resp.cache_control = ["no-store"]
