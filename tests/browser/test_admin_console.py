"""The admin console in a real headless Chromium against gunicorn + Celery.

One admin's day: sign in, make a link, watch two images arrive through it (one
with a hostile camera model in its EXIF), read the charts, check health, revoke,
sign out. Screenshots of every screen land in the test's temporary directory.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from selenium.common.exceptions import (
    NoAlertPresentException,
    NoSuchElementException,
    StaleElementReferenceException,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from inlet.stores.admin_tokens import AdminTokens
from inlet.stores.clients import make_redis
from tests.browser.conftest import Browser, Site
from tests.http import admin_token
from tests.images import make_exif, make_image

pytestmark = pytest.mark.e2e
HOSTILE = "<img src=x onerror=alert(1)>"
LABEL = "Wedding 2026-12-05"


def wait(browser: Browser, check: Any, timeout: float = 30) -> Any:
    # A list re-rendered under the test's feet is waited for, not an error.
    ignored = (NoSuchElementException, StaleElementReferenceException)
    return WebDriverWait(browser.driver, timeout, ignored_exceptions=ignored).until(
        lambda d: check()
    )


def text(browser: Browser, css: str) -> str:
    return str(browser.driver.find_element(By.CSS_SELECTOR, css).text)


def visible(browser: Browser, element_id: str) -> bool:
    return bool(browser.driver.find_element(By.ID, element_id).is_displayed())


def sign_in(browser: Browser, site: Site, token: str) -> None:
    browser.driver.get(f"{site.url}/admin/")
    field = wait(browser, lambda: browser.driver.find_element(By.ID, "token"))
    field.send_keys(token)
    browser.driver.find_element(By.CSS_SELECTOR, "#signin-form button").click()


def click(browser: Browser, css: str) -> None:
    """Click once the element is there, again if the page re-rendered it meanwhile."""

    def attempt() -> bool:
        try:
            browser.driver.find_element(By.CSS_SELECTOR, css).click()
        except (NoSuchElementException, StaleElementReferenceException):
            return False
        return True

    wait(browser, attempt)


def no_alert_ran(browser: Browser) -> bool:
    try:
        browser.driver.switch_to.alert  # noqa: B018 - raises when there is none
    except NoAlertPresentException:
        return True
    return False


def upload_two(browser: Browser, page_url: str, folder: Path) -> None:
    """Upload as the link holder would: the page link the console shows, opened in a
    second tab, two photos chosen with the page's own file input."""
    fuji = make_image(seed=101, exif=make_exif(make="FUJIFILM", model="X-T5"))
    hostile = make_image(seed=102, exif=make_exif(model=HOSTILE))
    names = {"ceremony.jpg": fuji, f"{HOSTILE}.jpg": hostile}
    for name, data in names.items():
        (folder / name).write_bytes(data)
    d = browser.driver
    console = d.current_window_handle
    d.switch_to.new_window("tab")
    try:
        d.get(page_url)
        wait(browser, lambda: "Add the photos" in text(browser, "#link-status"))
        d.find_element(By.ID, "choose").send_keys("\n".join(str(folder / n) for n in names))
        done = "#files li.file[data-state=stored]"
        wait(browser, lambda: len(d.find_elements(By.CSS_SELECTOR, done)) == 2, timeout=60)
        browser.screenshot("02b-upload-page-second-tab")
    finally:
        d.close()
        d.switch_to.window(console)


def kib(size: int) -> str:
    """A size below 1 MiB as the console writes it."""
    value = size / 1024
    return f"{round(value)} KiB" if value >= 100 else f"{value:.1f} KiB"


def create_link(browser: Browser) -> str:
    d = browser.driver
    d.find_element(By.ID, "label").send_keys(LABEL)
    d.find_element(By.ID, "quota").send_keys("5")
    assert d.find_element(By.ID, "byte-quota").get_attribute("placeholder") == "5.0 GiB (default)"
    d.find_element(By.ID, "byte-quota").send_keys("2")
    Select(d.find_element(By.ID, "byte-unit")).select_by_visible_text("MiB")
    d.find_element(By.CSS_SELECTOR, "#create-form button[type=submit]").click()
    wait(browser, lambda: visible(browser, "created"))
    url = str(d.find_element(By.ID, "created-url").get_attribute("value"))
    assert d.find_element(By.ID, "qr").get_attribute("data-text") == url
    assert text(browser, "#created-label") == LABEL
    return url


def all_ready(site: Site, link_id: str) -> bool:
    uploads = site.stack.get(f"/v1/links/{link_id}/uploads").json()["uploads"]
    return len(uploads) == 2 and all(u["state"] == "ready" for u in uploads)


def check_detail(browser: Browser) -> None:
    d = browser.driver
    wait(browser, lambda: len(d.find_elements(By.CSS_SELECTOR, "#uploads li")) == 2)
    names = [e.text for e in d.find_elements(By.CSS_SELECTOR, "#uploads .name")]
    assert sorted(names) == sorted(["ceremony.jpg", f"{HOSTILE}.jpg"])
    cameras = [e.text for e in d.find_elements(By.CSS_SELECTOR, "#uploads .camera")]
    assert sorted(cameras) == sorted(["Camera: FUJIFILM X-T5", f"Camera: {HOSTILE}"])
    thumbs = d.find_elements(By.CSS_SELECTOR, "#uploads img.thumb")
    assert len(thumbs) == 2
    wait(
        browser,
        lambda: all(d.execute_script("return arguments[0].naturalWidth", t) > 0 for t in thumbs),
    )
    assert d.find_elements(By.CSS_SELECTOR, "img[src='x']") == []


def check_stats(browser: Browser) -> None:
    d = browser.driver
    wait(browser, lambda: d.find_elements(By.CSS_SELECTOR, "#cameras-list li"))
    # What each canvas draws, as Chart.js (the page's vendored library) holds it.
    data = "return Chart.getChart(arguments[0]).data.datasets[0].data"
    days = d.execute_script(data, d.find_element(By.ID, "chart-days"))
    assert days[-1] == 2
    assert sum(days) == 2
    cameras = d.execute_script(data, d.find_element(By.ID, "chart-cameras"))
    assert cameras == [1, 1]
    listed = sorted(e.text for e in d.find_elements(By.CSS_SELECTOR, "#cameras-list li"))
    assert listed == sorted([f"{HOSTILE}: 1", "FUJIFILM X-T5: 1"])
    assert text(browser, "#top-format") == "JPEG"
    assert text(browser, "#totals") == "2 images, 2 uploads through this link"
    zone = d.execute_script("return Intl.DateTimeFormat().resolvedOptions().timeZone")
    assert d.find_element(By.ID, "tz").get_attribute("value") == zone


def switch_zone(browser: Browser, zone: str) -> None:
    d = browser.driver
    field = d.find_element(By.ID, "tz")
    field.clear()
    field.send_keys(zone)
    d.find_element(By.CSS_SELECTOR, "#stats-form button").click()
    wait(browser, lambda: text(browser, "#days-tz") == zone)


def revoke_in_list(browser: Browser, link_id: str) -> None:
    d = browser.driver
    row = f"#links-table tr[data-id='{link_id}']"
    click(browser, f"{row} button")
    WebDriverWait(d, 10).until(expected_conditions.alert_is_present())
    assert "Revoke “Wedding 2026-12-05”?" in d.switch_to.alert.text
    d.switch_to.alert.accept()
    wait(browser, lambda: text(browser, f"{row} .badge") == "revoked")
    assert not d.find_element(By.CSS_SELECTOR, f"{row} button").is_displayed()


def test_an_admins_day_in_the_console(browser: Browser, site: Site, tmp_path: Path) -> None:
    d = browser.driver
    sign_in(browser, site, admin_token(site.stack.settings.secret_key))
    wait(browser, lambda: visible(browser, "view-links"))
    browser.screenshot("01-links-empty")
    url = create_link(browser)
    browser.screenshot("02-link-created")
    link_id = wait(browser, lambda: d.find_element(By.CSS_SELECTOR, "#links-table tbody tr"))
    link_id = str(link_id.get_attribute("data-id"))
    assert text(browser, "#links-table tbody tr .badge") == "active"

    assert "/u/#" in url  # the console hands out the page link, token in the fragment
    upload_two(browser, url, tmp_path)
    wait(browser, lambda: all_ready(site, link_id), timeout=60)
    d.refresh()
    wait(browser, lambda: "2 / 5 images" in text(browser, "#links-table tbody tr"))
    sent = sum(p.stat().st_size for p in tmp_path.glob("*.jpg"))
    state = site.stack.get(f"/v1/links/{link_id}").json()
    assert (state["used_bytes"], state["max_bytes"]) == (sent, 2 * 1024 * 1024)
    data = f"{kib(sent)} of 2.0 MiB"
    assert text(browser, "#links-table tbody tr td.data") == data
    d.find_element(By.LINK_TEXT, LABEL).click()
    check_detail(browser)
    fact = "//dl[@id='link-facts']/dt[.='Data']/following-sibling::dd[1]"
    assert d.find_element(By.XPATH, fact).text == data
    assert no_alert_ran(browser)
    browser.screenshot("03-link-detail")

    d.find_element(By.ID, "link-stats").click()
    check_stats(browser)
    assert no_alert_ran(browser)
    browser.screenshot("04-stats-for-link")
    d.set_window_size(1280, 1400)
    browser.screenshot("04-stats-for-link-tall")
    d.set_window_size(1280, 900)
    switch_zone(browser, "Pacific/Kiritimati")
    browser.screenshot("05-stats-other-zone")

    d.find_element(By.CSS_SELECTOR, "nav a[data-view=health]").click()
    wait(browser, lambda: len(d.find_elements(By.CSS_SELECTOR, "#checks .badge.ok")) == 3)
    browser.screenshot("06-health")

    d.find_element(By.CSS_SELECTOR, "nav a[data-view=links]").click()
    revoke_in_list(browser, link_id)
    browser.screenshot("07-revoked")
    assert site.stack.get(f"/v1/links/{link_id}").json()["state"] == "revoked"

    browser.phone()
    for view in ("#links", f"#link/{link_id}", f"#stats/{link_id}"):
        d.get(f"{site.url}/admin/{view}")
        time.sleep(1.5)
        browser.screenshot("phone-" + view.strip("#").split("/")[0])

    d.find_element(By.ID, "sign-out").click()
    wait(browser, lambda: visible(browser, "view-signin"))
    assert d.execute_script("return sessionStorage.length") == 0
    assert d.get_cookies() == []
    assert no_alert_ran(browser)


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("not-a-token", "invalid admin token"),
        ("expired", "has expired"),
        ("revoked", "has been revoked"),
    ],
)
def test_a_wrong_token_gets_a_clear_message(
    browser: Browser, site: Site, token: str, message: str
) -> None:
    settings = site.stack.settings
    if token == "expired":
        token = admin_token(settings.secret_key, ttl=-10)
    if token == "revoked":
        store = AdminTokens(make_redis(settings), settings.redis_prefix, 3600)
        token, record = store.mint(settings.secret_key, "erin", 3600)
        store.revoke(record.token_id)
    sign_in(browser, site, token)
    wait(browser, lambda: visible(browser, "message"))
    assert message in text(browser, "#message")
    assert "Paste a valid admin token" in text(browser, "#message")
    assert visible(browser, "view-signin")
    assert not visible(browser, "nav")
    assert browser.driver.execute_script("return sessionStorage.length") == 0
    browser.screenshot(f"wrong-token-{message.rsplit(maxsplit=1)[-1]}")
