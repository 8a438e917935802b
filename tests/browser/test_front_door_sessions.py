"""Busy sessions of the upload page and the console behind nginx with compose's limits
(tests/browser/conftest.py): neither meets a 429. The page would retry one silently,
so the proxy's access log is the witness, not the screen."""

from __future__ import annotations

import collections
import hashlib
import json
from pathlib import Path

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import Browser, Site
from tests.http import admin_token, multipart
from tests.images import make_image

pytestmark = pytest.mark.e2e
PHOTOS = 60
KNOWN = 10


def proxy_lines(site: Site) -> list[dict[str, object]]:
    return [json.loads(line) for line in site.stack.proxy_log().splitlines()]


def report(name: str, lines: list[dict[str, object]]) -> None:
    """What the session sent, for docs/front-proxy.md's sizing of the limits (pytest -s)."""
    per_second = collections.Counter(str(x["time"]) for x in lines)
    statuses = collections.Counter(int(str(x["status"])) for x in lines)
    peak = max(per_second.values(), default=0)
    span = len(per_second)
    print(f"\n{name}: {len(lines)} requests over {span} s, peak {peak}/s, {dict(statuses)}")


def test_a_busy_page_then_the_console_never_meet_the_limits(
    browser: Browser, site: Site, tmp_path: Path
) -> None:
    photos = {
        f"p{i:02d}.jpg": make_image(size=(160, 120), noise=True, seed=1300 + i)
        for i in range(PHOTOS)
    }
    for name, data in photos.items():
        (tmp_path / name).write_bytes(data)
    known = list(photos.values())[:KNOWN]
    seed = requests.post(
        f"{site.url}/v1/links", json={"expires_in": 3600}, headers=site.stack.admin, timeout=30
    ).json()
    body, ctype = multipart([("images", f"k{i}.jpg", d, "image/jpeg") for i, d in enumerate(known)])
    assert requests.post(seed["url"], data=body, headers={"Content-Type": ctype}, timeout=60).ok
    link = requests.post(
        f"{site.url}/v1/links",
        json={"expires_in": 3600, "max_images": 100},
        headers=site.stack.admin,
        timeout=30,
    ).json()
    d = browser.driver
    start = len(proxy_lines(site))
    d.get(link["page_url"])
    wait = WebDriverWait(d, 120, poll_frequency=0.2)
    wait.until(lambda _: "Add the photos" in d.find_element(By.ID, "link-status").text)
    d.find_element(By.ID, "choose").send_keys("\n".join(str(tmp_path / n) for n in photos))
    finished = "#files li.file[data-state=stored], #files li.file[data-state=duplicate]"
    wait.until(lambda _: len(d.find_elements(By.CSS_SELECTOR, finished)) == PHOTOS)
    duplicates = d.find_elements(By.CSS_SELECTOR, "#files li.file[data-state=duplicate]")
    assert len(duplicates) == KNOWN
    page = proxy_lines(site)[start:]
    report("upload page, 60 photos", page)

    start = len(proxy_lines(site))
    d.get(f"{site.url}/admin/")
    d.find_element(By.ID, "token").send_keys(admin_token(site.stack.settings.secret_key))
    d.find_element(By.CSS_SELECTOR, "#signin-form button").click()
    wait.until(lambda _: d.find_elements(By.CSS_SELECTOR, "#links-table tbody tr"))
    d.get(f"{site.url}/admin/#link/{link['id']}")
    thumbs = "#uploads img.thumb"
    wait.until(lambda _: len(d.find_elements(By.CSS_SELECTOR, thumbs)) >= 2)
    d.set_window_size(1280, 20000)  # every thumbnail in view: all load at once
    wait.until(
        lambda _: all(
            d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", t)
            for t in d.find_elements(By.CSS_SELECTOR, thumbs)
        )
    )
    console = proxy_lines(site)[start:]
    report("console, a link with 60 uploads", console)

    assert not [x for x in page + console if x["status"] == 429]
    ids = {hashlib.sha256(data).hexdigest() for data in photos.values()}
    images = d.find_elements(By.CSS_SELECTOR, thumbs)
    shown = {str(t.get_attribute("src")).rsplit("/", 1)[-1] for t in images}
    assert shown <= ids
    assert len(shown) >= 2
