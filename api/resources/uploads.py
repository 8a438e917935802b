from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, cast

import falcon
from falcon.media.multipart import MultipartParseError
from falcon.util import BufferedReader

from api import metrics
from api.auth import bearer, require_link, sender
from api.body import BodyAborted, BodyReader, BodyTimeout, limit_socket_wait
from api.errors import Problem
from api.outcomes import nothing_accepted, outcome_dict
from api.resources.by_hash import is_json, read_by_hash
from api.resources.direct import Direct, Offered
from api.resources.pages import redirect_browser
from inlet.ingest import Ingestor, Staged
from inlet.links import Link
from inlet.outcomes import Outcome, Refused
from inlet.senders import Sender
from inlet.settings import Settings
from inlet.stores.links import LinkStore

log = logging.getLogger(__name__)

# Multipart framing, headers and boundaries around each file, generously bounded.
PART_OVERHEAD = 16 * 1024


class UploadsResource:
    def __init__(
        self,
        settings: Settings,
        links: LinkStore,
        ingestor: Ingestor,
        direct: Direct | None = None,
    ) -> None:
        self.settings = settings
        self.links = links
        self.ingestor = ingestor
        self.direct = direct

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        self._upload(req, resp, bearer(req))

    def on_post_token(self, req: falcon.Request, resp: falcon.Response, token: str) -> None:
        self._upload(req, resp, token)

    def on_get_token(self, req: falcon.Request, resp: falcon.Response, token: str) -> None:
        redirect_browser(self.settings, req, token)

    def _upload(self, req: falcon.Request, resp: falcon.Response, token: str | None) -> None:
        try:
            link = require_link(token, self.settings.secret_key, self.links)
        except Problem as exc:
            metrics.record_link_refused(exc.slug or "")
            raise
        who = sender(req)
        if is_json(req):
            self._by_hash(req, resp, link, who)
            return
        if not req.content_type or req.content_type.split(";")[0].strip().lower() != (
            falcon.MEDIA_MULTIPART
        ):
            raise Problem(
                415,
                "send the images as multipart/form-data, one file part per image (field "
                "'images'), or their SHA-256 as application/json",
                slug="unsupported-media-type",
            )
        limit = self.settings.max_files_per_request * (
            self.settings.max_image_bytes + PART_OVERHEAD
        )
        if req.content_length is not None and req.content_length > limit:
            raise Problem(413, f"the request is larger than {limit} bytes", slug="too-large")
        body = BodyReader(
            req.stream.read,
            expected=req.content_length,
            deadline=self.settings.upload_body_deadline,
        )
        limit_socket_wait(req.env.get("gunicorn.socket"), self.settings.upload_read_timeout)
        try:
            staged = self._stage_all(self._form(req, body, limit))
            body.finish()
        except BodyAborted as exc:
            raise _aborted(req, exc) from None
        results = self.ingestor.commit(link, staged, sender=who)
        metrics.record_outcomes(results, by_hash=False)
        self._respond(resp, results)

    def _by_hash(
        self, req: falcon.Request, resp: falcon.Response, link: Link, who: Sender | None
    ) -> None:
        items = read_by_hash(req, self.settings.max_files_per_request)
        if self.direct is not None:
            self.direct.check_parts(items)
        pairs = [(item.sha256, item.filename) for item in items]
        known = self.ingestor.commit_known(link, pairs, sender=who)
        if self.direct is None:
            metrics.record_outcomes(known, by_hash=True)
            self._respond(resp, known)
            return
        answers = self.direct.offer_unknown(req, link, who, items, known)
        # An offered file is counted when its upload is completed, not as "send bytes".
        metrics.record_outcomes([a for a in answers if not isinstance(a, Offered)], by_hash=True)
        refused = [a for a in answers if isinstance(a, Refused)]
        if len(refused) == len(answers):
            raise nothing_accepted(refused)
        resp.status = falcon.HTTP_207 if refused else falcon.HTTP_201
        direct = self.direct
        resp.media = {
            "images": [
                direct.offered_dict(req, a) if isinstance(a, Offered) else outcome_dict(a)
                for a in answers
            ]
        }

    def _form(self, req: falcon.Request, body: BodyReader, limit: int) -> Iterable[Any]:
        # Without a Content-Length (chunked transfer) the stream is bounded here: past
        # the bound the body reads as truncated and is refused as malformed.
        handler = req.options.media_handlers[falcon.MEDIA_MULTIPART]
        length = req.content_length if req.content_length is not None else limit
        stream = BufferedReader(body.read, length)
        return cast(Iterable[Any], handler.deserialize(stream, req.content_type, None))

    def _stage_all(self, form: Iterable[Any]) -> list[Staged | Refused]:
        staged: list[Staged | Refused] = []
        try:
            for part in form:
                if part.filename is None:
                    continue  # a plain form field; Falcon skips its body
                if len(staged) >= self.settings.max_files_per_request:
                    raise Problem(
                        413,
                        f"at most {self.settings.max_files_per_request} files per request",
                        slug="too-many-files",
                    )
                item = self.ingestor.stage(part.stream, part.filename)
                if isinstance(item, Staged):
                    metrics.record_file_read(item.size)
                staged.append(item)
        except MultipartParseError as exc:
            _discard(staged)
            raise Problem(
                400, f"malformed multipart body: {exc.description}", slug="malformed-multipart"
            ) from None
        except BaseException:
            _discard(staged)
            raise
        if not staged:
            raise Problem(
                400, "the multipart body has no file part; send images as files", slug="no-file"
            )
        return staged

    def _respond(self, resp: falcon.Response, results: list[Outcome]) -> None:
        refused = [r for r in results if isinstance(r, Refused)]
        if len(refused) == len(results):
            raise nothing_accepted(refused)
        resp.status = falcon.HTTP_207 if refused else falcon.HTTP_201
        resp.media = {"images": [outcome_dict(r) for r in results]}


def _aborted(req: falcon.Request, exc: BodyAborted) -> Problem:
    """Nothing was committed; one log line, and an answer in case the client still listens."""
    log.warning("upload aborted, nothing stored: %s (%s)", exc.reason, req.remote_addr)
    status = 408 if isinstance(exc, BodyTimeout) else 400
    return Problem(status, f"{exc.reason}; nothing was stored", slug="body-incomplete")


def _discard(staged: list[Staged | Refused]) -> None:
    for item in staged:
        if isinstance(item, Staged):
            item.spool.close()
