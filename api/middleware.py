from __future__ import annotations

import falcon

from api.errors import Problem
from api.redact import JWT

# Query parameters that clients commonly use to pass a bearer token.
_TOKEN_PARAMS = {"token", "access_token", "jwt", "auth", "authorization"}


class NoTokensInURLs:
    """Refuse a token in a query string: URLs end up in logs, proxies and Referers."""

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        query = req.query_string
        if not query:
            return
        if JWT.search(query) or _TOKEN_PARAMS & {name.lower() for name in req.params}:
            raise Problem(
                400,
                "tokens are not accepted in the URL's query string, where logs and proxies "
                "keep them: send 'Authorization: Bearer <token>'",
                slug="token-in-url",
            )


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
