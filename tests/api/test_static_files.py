"""Our static files (the pages' scripts, styles, icons, the vendored libraries and the
shared module): each carries a strong ETag, a revalidation with it is a 304 without
the bytes, and a changed file gets a new ETag."""

from __future__ import annotations

import hashlib
from pathlib import Path

import falcon
import pytest
from falcon import testing

from api.resources.console import PAGE_ASSETS, VENDOR_ASSETS
from api.resources.pages import ASSETS, SHARED_ASSETS
from api.static_files import STATIC, StaticFiles, serve_asset

PATHS = {
    **{f"/u/{a}": STATIC / "upload" / a for a in ASSETS},
    **{f"/admin/{a}": STATIC / "admin" / a for a in PAGE_ASSETS},
    **{f"/admin/vendor/{a}": STATIC / "vendor" / a for a in VENDOR_ASSETS},
    **{f"/shared/{a}": STATIC / "shared" / a for a in SHARED_ASSETS},
}


@pytest.mark.parametrize("path", sorted(PATHS))
def test_every_asset_has_a_strong_etag_of_its_bytes(client: testing.TestClient, path: str) -> None:
    result = client.simulate_get(path)
    assert result.status_code == 200
    assert result.content == PATHS[path].read_bytes()
    assert result.headers["etag"] == f'"{hashlib.sha256(result.content).hexdigest()}"'
    assert result.headers["cache-control"] == "no-cache"
    assert result.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", sorted(PATHS))
def test_a_revalidation_is_a_304_without_the_bytes(client: testing.TestClient, path: str) -> None:
    etag = client.simulate_get(path).headers["etag"]
    again = client.simulate_get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert again.headers["cache-control"] == "no-cache"
    assert again.headers["x-content-type-options"] == "nosniff"
    assert "script-src 'self'" in again.headers["content-security-policy"]
    # A browser's list of several, or a weak form of ours, matches too (RFC 9110).
    listed = client.simulate_get(path, headers={"If-None-Match": f'"other", W/{etag}'})
    assert listed.status_code == 304


def test_another_etag_gets_the_whole_file(client: testing.TestClient) -> None:
    stale = client.simulate_get("/admin/app.js", headers={"If-None-Match": '"an-old-release"'})
    assert stale.status_code == 200
    assert stale.content == (STATIC / "admin" / "app.js").read_bytes()


@pytest.mark.parametrize("path", sorted(PATHS))
def test_head_answers_the_headers_of_get(client: testing.TestClient, path: str) -> None:
    got = client.simulate_get(path)
    head = client.simulate_head(path)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == got.headers["etag"]
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["content-length"] == str(len(got.content))
    revalidated = client.simulate_head(path, headers={"If-None-Match": got.headers["etag"]})
    assert revalidated.status_code == 304


@pytest.mark.parametrize("path", ["/shared/app.js", "/shared/..%2fadmin%2fapp.js", "/u/dom.js"])
def test_no_other_file_is_served(client: testing.TestClient, path: str) -> None:
    result = client.simulate_get(path)
    assert result.status_code == 404
    assert result.headers["content-type"] == "application/problem+json"


def test_pages_stay_uncached_and_carry_no_etag(client: testing.TestClient) -> None:
    for page in ("/u/", "/admin/"):
        result = client.simulate_get(page)
        assert result.headers["cache-control"] == "no-store"
        assert "etag" not in result.headers


def _files_app(root: Path) -> testing.TestClient:
    """An app serving ``root``/site/app.js the way the pages serve theirs."""
    files = StaticFiles(root)

    class Site:
        def on_get(self, req: falcon.Request, resp: falcon.Response, asset: str) -> None:
            serve_asset(req, resp, files, ("site", {"app.js"}), asset)

    app = falcon.App()
    app.add_route("/site/{asset}", Site())
    return testing.TestClient(app)


def test_a_changed_file_gets_a_new_etag_and_a_revalidation_gets_its_bytes(
    tmp_path: Path,
) -> None:
    (tmp_path / "site").mkdir()
    script = tmp_path / "site" / "app.js"
    script.write_text("export const release = 1;\n")
    old = _files_app(tmp_path).simulate_get("/site/app.js")
    assert old.status_code == 200
    # A release replaces the file and starts new processes: a new app, a new read.
    script.write_text("export const release = 2;\n")
    new = _files_app(tmp_path)
    fresh = new.simulate_get("/site/app.js", headers={"If-None-Match": old.headers["etag"]})
    assert fresh.status_code == 200
    assert fresh.text == "export const release = 2;\n"
    assert fresh.headers["etag"] != old.headers["etag"]
    assert (
        new.simulate_get(
            "/site/app.js", headers={"If-None-Match": fresh.headers["etag"]}
        ).status_code
        == 304
    )


def test_a_file_is_read_once_per_process(tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    script = tmp_path / "site" / "app.js"
    script.write_text("first\n")
    client = _files_app(tmp_path)
    first = client.simulate_get("/site/app.js")
    script.write_text("changed on disk\n")
    later = client.simulate_get("/site/app.js")
    assert later.text == first.text == "first\n"
    assert later.headers["etag"] == first.headers["etag"]
