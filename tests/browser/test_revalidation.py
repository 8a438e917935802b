"""A reload costs 304s, not the files again: Chromium revalidates each script, style
sheet and library of the console and the upload page with its ETag, through the
recording proxy and nginx (tests/browser/conftest.py), and the API answers 304 with
no body. The pages themselves (no-store, a few KB) are fetched whole each time."""

from __future__ import annotations

import json

import pytest
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import Browser, Site
from tests.frontproxy import Seen

pytestmark = pytest.mark.e2e

CONSOLE = {
    "/admin/app.css",
    "/admin/app.js",
    "/admin/charts.js",
    "/admin/vendor/chart.umd.min.js",
    "/admin/vendor/qrcode.js",
    "/shared/dom.js",
}
UPLOAD_PAGE = {"/u/app.css", "/u/app.js", "/shared/dom.js"}


def is_asset(seen: Seen) -> bool:
    # Not the icons: Chromium fetches a page's favicon itself, apart from the page and
    # not always through the HTTP cache, so a reload may ask for it whole.
    if seen.path.endswith("/icon.svg") or seen.path in {"/admin/", "/u/"}:
        return False
    return seen.path.startswith(("/admin/", "/u/", "/shared/"))


def load(
    browser: Browser, site: Site, url: str, ready: str, reload: bool = False
) -> dict[str, int]:
    """The status of each asset request the load of ``url`` made, once the page's
    module has run (``ready``: a script that is true then)."""
    site.proxy.clear()
    if reload:
        browser.driver.refresh()
    else:
        browser.driver.get(url)
    wait = WebDriverWait(browser.driver, 30)
    wait.until(lambda d: d.execute_script(ready))
    # The icon may still be on its way: every request answered (0: not yet).
    wait.until(lambda _: all(s.status for s in site.proxy.requests(is_asset)))
    return {s.path: s.status for s in site.proxy.requests(is_asset)}


def nginx_lines(site: Site, since: int) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in site.stack.proxy_log().splitlines()]
    return lines[since:]


@pytest.mark.parametrize(
    ("page", "assets", "ready"),
    [
        # The sign-in form shows once the console's module (and its imports) ran.
        ("/admin/", CONSOLE, "return !document.getElementById('view-signin').hidden"),
        # Without a token in the fragment, the page's module says the link is not valid.
        ("/u/", UPLOAD_PAGE, "return !document.getElementById('link-problem').hidden"),
    ],
)
def test_a_reload_is_answered_with_304s(
    browser: Browser, site: Site, page: str, assets: set[str], ready: str
) -> None:
    url = f"{site.url}{page}"
    first = load(browser, site, url, ready)
    assert assets <= first.keys()
    assert {first[a] for a in assets} == {200}
    logged = len(site.stack.proxy_log().splitlines())

    again = load(browser, site, url, ready, reload=True)
    assert assets <= again.keys()
    # Every script, style sheet and library the reload asked for was a 304.
    assert set(again.values()) == {304}, again
    # nginx passed the 304s on without a body: what a reload costs is headers.
    lines = nginx_lines(site, logged)
    for asset in assets:
        bodies = [x["bytes"] for x in lines if x["path"] == asset]
        assert bodies, (asset, lines)
        assert set(bodies) == {0}, (asset, lines)
    assert {x["status"] for x in lines if x["path"] in assets} == {304}
