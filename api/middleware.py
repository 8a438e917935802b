from __future__ import annotations

import time

import falcon

from api import metrics
from api.errors import Problem
from api.redact import JWT
from inlet import logs

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


class RequestId:
    """Every request gets an id: the caller's X-Request-ID when it is a usable one,
    else a new one. It is returned in the response, carried by every log line written
    while the request is served and by the tasks the request queues."""

    HEADER = "X-Request-ID"

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        given = logs.valid_request_id(req.get_header(self.HEADER))
        rid = given or logs.new_request_id()
        req.context.request_id = rid
        req.context.request_id_token = logs.request_id.set(rid)
        resp.set_header(self.HEADER, rid)

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, req_succeeded: bool
    ) -> None:
        token = req.context.get("request_id_token")
        if token is not None:
            logs.request_id.reset(token)


class RequestMetrics:
    """Count and time every request by route template (never the raw path, which may
    carry a token), method and status."""

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.started = time.perf_counter()
        metrics.IN_FLIGHT.inc()

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, req_succeeded: bool
    ) -> None:
        started = req.context.get("started")
        if started is None:
            return
        metrics.IN_FLIGHT.dec()
        route = req.uri_template or "unmatched"
        status = str(falcon.http_status_to_code(resp.status))
        metrics.REQUESTS.labels(route=route, method=req.method, status=status).inc()
        metrics.LATENCY.labels(route=route, method=req.method).observe(
            time.perf_counter() - started
        )
