from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any, cast

import falcon
from falcon.media.multipart import MultipartParseError
from falcon.util import BufferedReader

from api.auth import bearer, require_link
from api.errors import Problem
from api.resources.by_hash import is_json, read_by_hash
from api.resources.pages import redirect_browser
from inlet.history import UploadHistory
from inlet.ingest import FileResult, Ingestor, Staged
from inlet.links import Link, LinkStore
from inlet.settings import Settings

# Multipart framing, headers and boundaries around each file, generously bounded.
PART_OVERHEAD = 16 * 1024


class UploadsResource:
    def __init__(
        self,
        settings: Settings,
        links: LinkStore,
        ingestor: Ingestor,
        history: UploadHistory | None = None,
    ) -> None:
        self.settings = settings
        self.links = links
        self.ingestor = ingestor
        self.history = history

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        self._upload(req, resp, bearer(req))

    def on_post_token(self, req: falcon.Request, resp: falcon.Response, token: str) -> None:
        self._upload(req, resp, token)

    def on_get_token(self, req: falcon.Request, resp: falcon.Response, token: str) -> None:
        redirect_browser(self.settings, req, token)

    def _upload(self, req: falcon.Request, resp: falcon.Response, token: str | None) -> None:
        link = require_link(token, self.settings.secret_key, self.links)
        if is_json(req):
            items = read_by_hash(req, self.settings.max_files_per_request)
            self._respond(resp, self._record(link, self.ingestor.commit_known(link, items)))
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
        staged = self._stage_all(self._form(req, limit))
        results = self.ingestor.commit(link, staged)
        self._respond(resp, self._record(link, results))

    def _record(self, link: Link, results: list[FileResult]) -> list[FileResult]:
        if self.history is not None:
            self.history.record(
                link,
                [
                    (r.image_id, r.filename, bool(r.duplicate))
                    for r in results
                    if r.accepted and r.image_id is not None
                ],
            )
        return results

    def _form(self, req: falcon.Request, limit: int) -> Iterable[Any]:
        if req.content_length is not None:
            return cast(Iterable[Any], req.get_media())
        # Chunked transfer: no Content-Length, so bound the stream ourselves; past the
        # bound the body reads as truncated and is refused as malformed.
        handler = req.options.media_handlers[falcon.MEDIA_MULTIPART]
        stream = BufferedReader(req.stream.read, limit)
        return cast(Iterable[Any], handler.deserialize(stream, req.content_type, None))

    def _stage_all(self, form: Iterable[Any]) -> list[Staged | FileResult]:
        staged: list[Staged | FileResult] = []
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
                staged.append(self.ingestor.stage(part.stream, part.filename))
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

    def _respond(self, resp: falcon.Response, results: list[FileResult]) -> None:
        images = [r.as_dict() for r in results]
        accepted = sum(r.accepted for r in results)
        if accepted == len(results):
            resp.status = falcon.HTTP_201
            resp.media = {"images": images}
        elif accepted:
            resp.status = falcon.HTTP_207
            resp.media = {"images": images}
        else:
            raise _nothing_accepted(results, images)


def _nothing_accepted(results: list[FileResult], images: list[dict[str, Any]]) -> Problem:
    statuses = Counter(r.status for r in results)
    only = next(iter(statuses))
    status = only if len(statuses) == 1 and only is not None else 422
    details = "; ".join(f"{r.filename or '(unnamed)'}: {r.detail}" for r in results)
    return Problem(
        status, f"no file was accepted: {details}", slug="nothing-accepted", images=images
    )


def _discard(staged: list[Staged | FileResult]) -> None:
    for item in staged:
        if isinstance(item, Staged):
            item.spool.close()
