from __future__ import annotations

import falcon


class SecurityHeaders:
    """Headers every response carries, and the stricter ones for upload URLs."""

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, req_succeeded: bool
    ) -> None:
        resp.set_header("X-Content-Type-Options", "nosniff")
        if req.path.startswith("/v1/uploads"):
            # The token may sit in the URL; never leak it to another origin.
            resp.set_header("Referrer-Policy", "no-referrer")
            resp.set_header("Cache-Control", "no-store")
