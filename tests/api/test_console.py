"""The console's static files: what is served, under which policy."""

from __future__ import annotations

import re

import pytest
from falcon import testing

from api.resources.console import PAGE_ASSETS, VENDOR_ASSETS
from api.static_files import STATIC


def test_the_page_is_served_under_a_strict_policy(client: testing.TestClient) -> None:
    result = client.simulate_get("/admin/")
    assert result.status_code == 200
    assert result.headers["content-type"].startswith("text/html")
    csp = result.headers["content-security-policy"]
    assert "script-src 'self';" in csp
    assert "unsafe" not in csp
    assert result.headers["cache-control"] == "no-store"


def test_without_the_slash_the_page_redirects(client: testing.TestClient) -> None:
    result = client.simulate_get("/admin")
    assert result.status_code == 301
    assert result.headers["location"].endswith("/admin/")


@pytest.mark.parametrize(
    "path", [*(f"/admin/{a}" for a in PAGE_ASSETS), *(f"/admin/vendor/{a}" for a in VENDOR_ASSETS)]
)
def test_every_asset_is_served(client: testing.TestClient, path: str) -> None:
    result = client.simulate_get(path)
    assert result.status_code == 200, path
    assert result.content


@pytest.mark.parametrize("path", ["/admin/index.html", "/admin/..%2fapp.py", "/admin/vendor/x.js"])
def test_nothing_else_is_served(client: testing.TestClient, path: str) -> None:
    assert client.simulate_get(path).status_code == 404


def test_the_page_has_no_inline_script_or_style() -> None:
    html = (STATIC / "admin" / "index.html").read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert "<style" not in html
    assert " style=" not in html
    assert not re.search(r"\son[a-z]+=", html, re.IGNORECASE)


def test_every_vendored_file_is_recorded_with_its_version_and_licence() -> None:
    readme = (STATIC / "vendor" / "README.md").read_text()
    for asset in VENDOR_ASSETS:
        assert f"`{asset}`" in readme
    assert (STATIC / "vendor" / "LICENSE-chart.js.md").exists()
    assert (STATIC / "vendor" / "LICENSE-qrcode-generator.txt").exists()
