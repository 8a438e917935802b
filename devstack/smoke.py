"""`make smoke BASE_URL=…`: the README's walk-through against a running Inlet.

It creates a link (admin), uploads a fresh image through it, fetches the image
anonymously, its metadata and the statistics, then the upload page and the console,
and prints one line per step; the exit status is 1 at the first step that fails. It
works against any stack: `make dev` (the admin token is minted in its Redis, as `make
token` does) or another one, whose admin token comes in `ADMIN_TOKEN`.

No token is ever printed: the link's URL holds one, so only its path's prefix is.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from PIL import Image

from devstack.servers import REPO

# The worker verifies, renders and indexes an image in seconds; a cold stack (first
# Elasticsearch index creation, a worker still starting) takes longer.
WAIT_SECONDS = 120.0
TIMEOUT = 30.0
NO_ADMIN = (
    "no admin token: set ADMIN_TOKEN (`docker compose exec api python -m api token "
    "--name smoke`), or run `make dev` from this checkout, where one is minted."
)


LINK_TOKEN = re.compile(r"/uploads/[^\s'\"/?#]+")


class SmokeFailure(Exception):
    """A step of the walk-through did not answer as the README says."""


@dataclass(frozen=True)
class Smoke:
    base_url: str
    admin_token: str
    session: requests.Session

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_token}"}


def check(response: requests.Response, *expected: int) -> requests.Response:
    if response.status_code not in expected:
        path = LINK_TOKEN.sub("/uploads/…", urlsplit(response.url).path)
        body = response.text[:300].replace("\n", " ")
        wanted = " or ".join(str(status) for status in expected)
        raise SmokeFailure(
            f"{response.request.method} {path}: {response.status_code}, expected {wanted}: {body}"
        )
    return response


def until_ready(fetch: Callable[[], requests.Response], pending: int) -> requests.Response:
    """Fetch until the answer is no longer `pending` (the worker has not finished yet)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        response = fetch()
        if response.status_code != pending or time.monotonic() > deadline:
            return response
        time.sleep(1.0)


def jpeg() -> bytes:
    """A JPEG no earlier run uploaded (random pixels), so the worker has work to do."""
    pixels = random.randbytes(64 * 48 * 3)  # noqa: S311 - uniqueness, not secrecy
    buffer = io.BytesIO()
    Image.frombytes("RGB", (64, 48), pixels).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def create_link(smoke: Smoke) -> str:
    body = {"expires_in": 600, "max_images": 5, "max_bytes": 10_000_000}
    created = check(
        smoke.session.post(
            smoke.url("/v1/links"), json=body, headers=smoke.admin(), timeout=TIMEOUT
        ),
        201,
    ).json()
    # The link names the host its stack believes it has; ask the one given here.
    return smoke.url(urlsplit(str(created["url"])).path)


def upload(smoke: Smoke, link_url: str) -> str:
    files = [("images", ("smoke.jpg", jpeg(), "image/jpeg"))]
    # 201 for one image (207 Multi-Status when a request carries several).
    answer = check(smoke.session.post(link_url, files=files, timeout=TIMEOUT), 201).json()
    image = answer["images"][0]
    if "id" not in image:
        raise SmokeFailure(f"the upload was refused: {image.get('error')}")
    return str(image["id"])


def get_image(smoke: Smoke, image_id: str) -> str:
    response = check(
        until_ready(
            lambda: smoke.session.get(smoke.url(f"/v1/images/{image_id}"), timeout=TIMEOUT), 503
        ),
        200,
    )
    kind = response.headers.get("Content-Type", "")
    if not kind.startswith("image/"):
        raise SmokeFailure(f"GET /v1/images/{image_id}: Content-Type {kind!r}, not an image")
    return f"{kind}, {len(response.content)} bytes"


def metadata(smoke: Smoke, image_id: str) -> str:
    path = f"/v1/images/{image_id}/metadata"
    response = check(
        until_ready(lambda: smoke.session.get(smoke.url(path), timeout=TIMEOUT), 202), 200
    )
    document: dict[str, Any] = response.json()
    if document.get("format") != "JPEG" or document.get("width") != 64:
        raise SmokeFailure(f"GET {path}: not the uploaded image's metadata: {document}")
    return f"{document['format']} {document['width']}x{document['height']}"


def stats(smoke: Smoke) -> str:
    url = smoke.url("/v1/stats")
    document = check(smoke.session.get(url, headers=smoke.admin(), timeout=TIMEOUT), 200).json()
    if "totals" not in document:
        raise SmokeFailure(f"GET /v1/stats: no totals in {sorted(document)}")
    return f"{document['totals']}"


def page(smoke: Smoke, path: str) -> str:
    response = check(smoke.session.get(smoke.url(path), timeout=TIMEOUT), 200)
    kind = response.headers.get("Content-Type", "")
    if not kind.startswith("text/html"):
        raise SmokeFailure(f"GET {path}: Content-Type {kind!r}, not a page")
    return kind


def walk(smoke: Smoke, say: Callable[[str], None]) -> None:
    """The walk-through, one line per step; SmokeFailure at the first wrong answer."""
    link_url = create_link(smoke)
    say(f"ok  POST /v1/links: 201, {LINK_TOKEN.sub('/uploads/…', urlsplit(link_url).path)}")
    image_id = upload(smoke, link_url)
    say(f"ok  POST /v1/uploads/…: 201, image {image_id}")
    say(f"ok  GET /v1/images/{image_id}: 200, {get_image(smoke, image_id)}")
    say(f"ok  GET /v1/images/{image_id}/metadata: 200, {metadata(smoke, image_id)}")
    say(f"ok  GET /v1/stats: 200, totals {stats(smoke)}")
    say(f"ok  GET /u/: 200, {page(smoke, '/u/')}")
    say(f"ok  GET /admin/: 200, {page(smoke, '/admin/')}")


def redacted(message: str, token: str) -> str:
    """`message` without the admin token or a link's (a connection error names its URL)."""
    return LINK_TOKEN.sub("/uploads/…", message.replace(token, "…"))


def admin_token(environ: dict[str, str]) -> str | None:
    """ADMIN_TOKEN, else one minted for the `make dev` running from this checkout."""
    if environ.get("ADMIN_TOKEN"):
        return environ["ADMIN_TOKEN"]
    minted = subprocess.run(
        [sys.executable, "-m", "devstack.token", "--name", "smoke", "--ttl", "1h"],
        cwd=REPO,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return minted.stdout.strip() if minted.returncode == 0 and minted.stdout.strip() else None


def main(argv: list[str], environ: dict[str, str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make smoke", description=__doc__.splitlines()[0])
    parser.add_argument("base_url", help="the stack's address, e.g. http://127.0.0.1:8000")
    args = parser.parse_args(argv)
    token = admin_token(dict(os.environ if environ is None else environ))
    if token is None:
        print(f"smoke: {NO_ADMIN}", file=sys.stderr)
        return 1
    print(f"smoke test of {args.base_url}")
    try:
        with requests.Session() as session:
            walk(Smoke(args.base_url, token, session), print)
    except (SmokeFailure, requests.RequestException, ValueError, KeyError) as error:
        print(f"FAIL {type(error).__name__}: {redacted(str(error), token)}", file=sys.stderr)
        return 1
    print("smoke: every step answered as the walk-through says")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
