"""The upload page in a real headless Chromium against gunicorn + Celery.

Files are added through the page's own file input, as a person choosing photos
would; what crossed the network is read from the front proxy's record.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image, ImageDraw
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import Browser, Site
from tests.e2e.conftest import eventually
from tests.frontproxy import Seen
from tests.http import bearer, multipart, new_sender
from tests.images import make_exif, make_image

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]


def scenery(seed: int, size: tuple[int, int], exif: Image.Exif | None = None) -> bytes:
    """A photo-like JPEG (sky, hills, sun, grain) whose bytes differ per seed."""
    rng = random.Random(seed)
    sky = (rng.randrange(60, 140), rng.randrange(120, 200), 235)
    ground = (rng.randrange(30, 90), rng.randrange(100, 160), rng.randrange(30, 80))
    im = Image.new("RGB", size, sky)
    draw = ImageDraw.Draw(im)
    w, h = size
    for y in range(h // 2):
        shade = tuple(min(255, c + y // 3) for c in sky)
        draw.line([(0, y), (w, y)], fill=shade)
    sun = rng.randrange(w // 5, 4 * w // 5)
    draw.ellipse([sun - 40, 40, sun + 40, 120], fill=(255, 214, 90))
    for _ in range(3):
        x = rng.randrange(-w // 2, w)
        draw.ellipse([x, h // 2 - rng.randrange(20, 90), x + w, h + h // 2], fill=ground)
    grain = Image.effect_noise(size, 18).convert("RGB")
    im = Image.blend(im, grain, 0.06)
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=90, exif=exif or Image.Exif())
    return buf.getvalue()


def new_link(site: Site, **body: Any) -> dict[str, Any]:
    body.setdefault("expires_in", 3600)
    result = requests.post(f"{site.url}/v1/links", json=body, headers=site.stack.admin, timeout=30)
    assert result.status_code == 201, result.text
    return dict(result.json())


def store_directly(site: Site, data: bytes) -> None:
    body, ctype = multipart([("images", "seed.jpg", data, "image/jpeg")])
    link = new_link(site)
    result = requests.post(link["url"], data=body, headers={"Content-Type": ctype}, timeout=30)
    assert result.status_code == 201, result.text


def wait_for(browser: Browser, check: Callable[[], Any], timeout: float = 30) -> Any:
    return WebDriverWait(browser.driver, timeout, poll_frequency=0.2).until(lambda _: check())


def text_of(browser: Browser, element_id: str) -> str:
    return str(browser.driver.find_element(By.ID, element_id).text)


def rows(browser: Browser) -> dict[str, WebElement]:
    found = browser.driver.find_elements(By.CSS_SELECTOR, "#files li.file")
    return {r.find_element(By.CSS_SELECTOR, ".name").text: r for r in found}


def state_of(browser: Browser, name: str) -> str:
    row = rows(browser).get(name)
    return str(row.get_attribute("data-state")) if row else ""


def add_files(browser: Browser, *paths: Path) -> None:
    field = browser.driver.find_element(By.ID, "choose")
    field.send_keys("\n".join(str(p) for p in paths))


def history_names(browser: Browser) -> list[str]:
    items = browser.driver.find_elements(By.CSS_SELECTOR, "#history .name")
    return sorted(i.text for i in items)


def open_page(browser: Browser, link: dict[str, Any]) -> None:
    browser.driver.get(link["page_url"])
    wait_for(browser, lambda: "Add the photos" in text_of(browser, "link-status"))


def assert_finished_rows(browser: Browser, files: dict[str, bytes]) -> None:
    shown = rows(browser)
    for name in ("beach.jpg", "tower.jpg"):
        bar = shown[name].find_element(By.CSS_SELECTOR, "[role=progressbar]")
        assert bar.get_attribute("aria-valuenow") == "100"
        digest = hashlib.sha256(files[name]).hexdigest()
        assert (
            shown[name].find_element(By.CSS_SELECTOR, ".image-id").get_attribute("title") == digest
        )
    assert "Already here" in shown["again.jpg"].text


def assert_only_new_bytes_crossed(site: Site, dup: bytes) -> None:
    # What crossed the network: the duplicate's bytes never did, nor the refused file's.
    sent = site.proxy.requests(lambda s: s.method == "POST")
    multipart_posts = [s for s in sent if s.multipart]
    assert len(multipart_posts) == 2
    assert not any(dup[1000:3000] in s.body for s in sent)
    assert not any(b"not a photo" in s.body for s in sent)
    assert sum(s.size for s in sent if not s.multipart) < 2048
    assert {s.status for s in multipart_posts} == {201}


def assert_token_never_logged(site: Site, link: dict[str, Any]) -> None:
    # The token travels only in the fragment and the Authorization header.
    assert not any(link["token"] in s.path for s in site.proxy.requests())
    site.stack.api.stop()  # flush the access log
    site.stack.api.start()
    assert link["token"] not in site.stack.access_log()
    assert "GET /u/ " in site.stack.access_log()


def test_upload_new_duplicate_and_refused_files(
    browser: Browser, site: Site, tmp_path: Path
) -> None:
    exif = make_exif(make="Canon", model="EOS 5D")
    new_a = scenery(501, (640, 480), exif=exif)
    new_b = scenery(502, (480, 640))
    dup = scenery(503, (800, 600))
    store_directly(site, dup)
    files = {"beach.jpg": new_a, "tower.jpg": new_b, "again.jpg": dup, "notes.txt": b"not a photo"}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    link = new_link(site, max_images=10)
    site.proxy.clear()

    open_page(browser, link)
    assert text_of(browser, "remaining") == "10"
    assert re.fullmatch(r"59 min \d\d s|1 h 00 min", text_of(browser, "time-left"))
    browser.screenshot("01-ready")
    add_files(browser, *(tmp_path / n for n in files))

    assert "not a photo format" in rows(browser)["notes.txt"].text
    wait_for(
        browser, lambda: all(state_of(browser, n) == "stored" for n in ("beach.jpg", "tower.jpg"))
    )
    wait_for(browser, lambda: state_of(browser, "again.jpg") == "duplicate")
    wait_for(browser, lambda: text_of(browser, "remaining") == "7")
    wait_for(browser, lambda: len(history_names(browser)) == 3)
    browser.driver.set_window_size(1000, 1500)
    done_shot = browser.screenshot("02-done")
    if os.environ.get("UPDATE_DOCS_SCREENSHOT"):  # the docs' picture: make it on purpose, not in CI
        shutil.copy(done_shot, REPO / "docs" / "upload-page.png")

    assert_finished_rows(browser, files)
    announced = browser.driver.find_element(By.ID, "announce").get_attribute("textContent")
    assert re.fullmatch(r".+\.jpg: (stored|already here)\.", announced or "")

    assert_only_new_bytes_crossed(site, dup)

    browser.driver.refresh()
    wait_for(browser, lambda: len(history_names(browser)) == 3)
    assert history_names(browser) == ["again.jpg", "beach.jpg", "tower.jpg"]
    assert text_of(browser, "remaining") == "7"
    browser.screenshot("03-reloaded")

    assert_token_never_logged(site, link)


def test_a_503_during_an_upload_is_retried_and_ends_stored(
    browser: Browser, site: Site, tmp_path: Path
) -> None:
    data = make_image(size=(320, 240), seed=511, noise=True)
    (tmp_path / "busy.jpg").write_bytes(data)
    link = new_link(site)
    site.proxy.clear()

    def is_upload(seen: Seen) -> bool:
        return seen.multipart

    site.proxy.fail_next(is_upload, status=503, retry_after="2")
    open_page(browser, link)
    add_files(browser, tmp_path / "busy.jpg")
    wait_for(browser, lambda: state_of(browser, "busy.jpg") == "waiting")
    assert "trying again" in rows(browser)["busy.jpg"].text
    browser.screenshot("retrying")
    wait_for(browser, lambda: state_of(browser, "busy.jpg") == "stored")
    assert [s.status for s in site.proxy.requests(is_upload)] == [503, 201]


def test_link_problems_have_distinct_messages(browser: Browser, site: Site) -> None:
    revoked = new_link(site)
    requests.delete(f"{site.url}/v1/links/{revoked['id']}", headers=site.stack.admin, timeout=30)
    messages = {}
    browser.driver.get(revoked["page_url"])
    messages["revoked"] = wait_for(browser, lambda: text_of(browser, "problem-title"))
    browser.screenshot("revoked")

    short = new_link(site, expires_in=3)
    browser.driver.get(short["page_url"])
    wait_for(browser, lambda: "Add the photos" in text_of(browser, "link-status"), timeout=10)
    messages["expired"] = wait_for(browser, lambda: text_of(browser, "problem-title"), timeout=15)
    assert not browser.driver.find_element(By.ID, "picker").is_displayed()
    browser.driver.refresh()  # the server now refuses it too
    assert wait_for(browser, lambda: text_of(browser, "problem-title")) == messages["expired"]
    browser.screenshot("expired")

    browser.driver.get(revoked["page_url"].split("#")[0] + "#not-a-token")
    browser.driver.refresh()
    messages["invalid"] = wait_for(browser, lambda: text_of(browser, "problem-title"))

    full = new_link(site, max_images=1)
    store = make_image(seed=521)
    body, ctype = multipart([("images", "one.jpg", store, "image/jpeg")])
    requests.post(full["url"], data=body, headers={"Content-Type": ctype}, timeout=30)
    browser.driver.get(full["page_url"])
    messages["usedup"] = wait_for(browser, lambda: text_of(browser, "problem-title"))
    # Sent by someone else (a script without a sender id): not this browser's to list.
    assert wait_for(browser, lambda: text_of(browser, "received-empty")) == "Nothing yet."
    assert history_names(browser) == []
    browser.screenshot("used-up")

    assert messages == {
        "revoked": "This link has been withdrawn",
        "expired": "This link has expired",
        "invalid": "This link is not valid",
        "usedup": "This link has received all the photos it accepts",
    }


def test_a_photo_the_server_rejects_shows_as_rejected_with_its_reason(
    browser: Browser, site: Site, tmp_path: Path
) -> None:
    whole = scenery(541, (640, 480))
    (tmp_path / "cut.jpg").write_bytes(whole[: len(whole) * 3 // 5])  # a truncated JPEG
    (tmp_path / "fine.jpg").write_bytes(scenery(542, (640, 480)))
    open_page(browser, new_link(site))
    add_files(browser, tmp_path / "cut.jpg", tmp_path / "fine.jpg")

    def badges() -> dict[str, str]:
        items = browser.driver.find_elements(By.CSS_SELECTOR, "#history .history-item")
        return {
            i.find_element(By.CSS_SELECTOR, ".name").text: i.find_element(
                By.CSS_SELECTOR, ".badge"
            ).text
            for i in items
        }

    wait_for(browser, lambda: badges() == {"cut.jpg": "rejected", "fine.jpg": "received"}, 60)
    reason = browser.driver.find_element(By.CSS_SELECTOR, "#history .reason").text
    assert "could not be decoded" in reason
    row = rows(browser)["cut.jpg"]
    assert row.get_attribute("data-verdict") == "rejected"
    assert "Rejected by the server" in row.text
    assert rows(browser)["fine.jpg"].get_attribute("data-verdict") == "ready"
    browser.screenshot("08-rejected")


def test_a_link_revoked_while_the_page_is_open(
    browser: Browser, site: Site, tmp_path: Path
) -> None:
    link = new_link(site)
    open_page(browser, link)
    requests.delete(f"{site.url}/v1/links/{link['id']}", headers=site.stack.admin, timeout=30)
    (tmp_path / "late.jpg").write_bytes(make_image(seed=531))
    add_files(browser, tmp_path / "late.jpg")
    wait_for(browser, lambda: text_of(browser, "problem-title") == "This link has been withdrawn")
    assert state_of(browser, "late.jpg") == "stopped"
    assert "withdrawn" in rows(browser)["late.jpg"].text


# Elements (by CSS selector) whose box reaches past either side of the viewport.
OUTSIDE_THE_VIEWPORT = """
const width = document.documentElement.clientWidth;
return [...document.querySelectorAll(arguments[0])]
  .map((e) => [e.id || e.className || e.tagName, e.getBoundingClientRect()])
  .filter(([, box]) => box.width === 0 || box.left < 0 || box.right > width)
  .map(([what, box]) => `${what}: ${box.left}..${box.right} of ${width}`);
"""
PHONE_PARTS = "#camera-button, #files li.file, #files .name, #history li, #history .name"


def test_filenames_are_text_and_the_page_fits_a_phone(
    browser: Browser, site: Site, tmp_path: Path
) -> None:
    hostile = '<img src=x onerror="document.title=1">.jpg'
    long_name = "IMG_" + "2041" * 40 + ".jpg"  # no place to break a line
    (tmp_path / hostile).write_bytes(make_image(seed=541))
    (tmp_path / "IMG_2041.HEIC").write_bytes(make_image("HEIF", seed=542))
    (tmp_path / long_name).write_bytes(make_image(seed=543))
    names = sorted([hostile, "IMG_2041.HEIC", long_name])
    link = new_link(site, max_images=50)
    browser.phone()
    open_page(browser, link)
    add_files(browser, *(tmp_path / name for name in names))
    wait_for(browser, lambda: [state_of(browser, name) for name in names] == ["stored"] * 3)
    # The browser sends '"' in a multipart filename as %22 (HTML's form encoding).
    sent = sorted(name.replace('"', "%22") for name in names)
    wait_for(browser, lambda: history_names(browser) == sent)
    # Shown as the characters it is made of, in the list and in the history; never markup.
    assert sorted(rows(browser)) == names
    assert browser.driver.title == "Send photos"
    markup = "return document.querySelectorAll('img[src=\"x\"], [onerror]').length"
    assert browser.driver.execute_script(markup) == 0
    # On a 390 px wide phone: nothing scrolls sideways, every row, name and the camera
    # button lie within the screen, and the button is a finger's size (44 px).
    assert browser.driver.execute_script("return document.documentElement.scrollWidth") <= 390
    assert browser.driver.execute_script(OUTSIDE_THE_VIEWPORT, PHONE_PARTS) == []
    camera = browser.driver.find_element(By.ID, "camera-button")
    assert camera.is_displayed()
    assert camera.size["height"] >= 44
    browser.screenshot("phone")


def test_an_upload_cut_off_by_a_lost_network_resumes(
    browser: Browser, site: Site, tmp_path: Path
) -> None:
    # What a locked phone does to a page: its requests fail until it wakes up.
    (tmp_path / "pocket.jpg").write_bytes(scenery(551, (320, 240)))
    link = new_link(site)
    open_page(browser, link)
    offline = {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
    browser.driver.execute_cdp_cmd("Network.enable", {})
    browser.driver.execute_cdp_cmd("Network.emulateNetworkConditions", offline)
    add_files(browser, tmp_path / "pocket.jpg")
    wait_for(browser, lambda: state_of(browser, "pocket.jpg") == "waiting")
    assert "Connection lost" in rows(browser)["pocket.jpg"].text
    browser.driver.execute_cdp_cmd(
        "Network.emulateNetworkConditions", {**offline, "offline": False}
    )
    wait_for(browser, lambda: state_of(browser, "pocket.jpg") == "stored", timeout=45)
    wait_for(browser, lambda: history_names(browser) == ["pocket.jpg"])


def shows(browser: Browser, names: list[str]) -> Callable[[], bool]:
    return lambda: history_names(browser) == names


def own_list(site: Site, link: dict[str, Any], sender: str | None) -> list[str]:
    """The filenames /v1/uploads/self lists to a caller with this sender id, or none."""
    headers = bearer(link["token"]) if sender is None else bearer(link["token"], sender)
    doc = requests.get(f"{site.url}/v1/uploads/self", headers=headers, timeout=30).json()
    return sorted(u["filename"] for u in doc["uploads"])


def test_two_holders_of_one_link_see_only_their_own(
    browser: Browser, other_browser: Browser, site: Site, tmp_path: Path
) -> None:
    shared = scenery(561, (480, 360))
    files = {
        "alice-1.jpg": scenery(562, (480, 360)),
        "alice-2.jpg": shared,
        "bob-1.jpg": scenery(563, (480, 360)),
        "bob-same-photo.jpg": shared,
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    link = new_link(site, max_images=10)
    alice, bob = browser, other_browser
    site.proxy.clear()

    open_page(alice, link)
    add_files(alice, tmp_path / "alice-1.jpg", tmp_path / "alice-2.jpg")
    wait_for(alice, lambda: history_names(alice) == ["alice-1.jpg", "alice-2.jpg"])

    open_page(bob, link)
    assert text_of(bob, "remaining") == "8"  # the quota is the link's, shared by everyone
    assert text_of(bob, "received-empty") == "Nothing yet."
    assert history_names(bob) == []
    add_files(bob, tmp_path / "bob-1.jpg", tmp_path / "bob-same-photo.jpg")
    wait_for(bob, lambda: state_of(bob, "bob-same-photo.jpg") == "duplicate")
    wait_for(bob, lambda: history_names(bob) == ["bob-1.jpg", "bob-same-photo.jpg"])
    bob.screenshot("09-bob-sees-his-own")

    for person, names in (
        (alice, ["alice-1.jpg", "alice-2.jpg"]),
        (bob, ["bob-1.jpg", "bob-same-photo.jpg"]),
    ):
        person.driver.refresh()  # the id is kept: a reload is still the same sender
        wait_for(person, shows(person, names))
        assert text_of(person, "remaining") == "6"
    assert "alice" not in bob.driver.find_element(By.ID, "received").text
    alice.screenshot("10-alice-sees-hers")

    assert_each_browser_sent_its_own_id(site, link)

    # The admin sees every upload through the link, whoever sent it, and can tell the
    # senders apart by an opaque label.
    def indexed() -> dict[str, str | None] | None:
        listed = admin_list(site, link)
        return listed if listed.keys() == set(files) else None

    labels = eventually(indexed)
    assert labels["alice-1.jpg"] == labels["alice-2.jpg"]
    assert labels["bob-1.jpg"] == labels["bob-same-photo.jpg"]
    assert labels["alice-1.jpg"] != labels["bob-1.jpg"]
    assert all(re.fullmatch(r"[0-9a-f]{12}", label or "") for label in labels.values())


def admin_list(site: Site, link: dict[str, Any]) -> dict[str, str | None]:
    """Each upload's filename and sender label, as the admin API lists them."""
    url = f"{site.url}/v1/links/{link['id']}/uploads"
    doc = requests.get(url, headers=site.stack.admin, timeout=30).json()
    return {r["filename"]: r["sender"] for r in doc["uploads"]}


def assert_each_browser_sent_its_own_id(site: Site, link: dict[str, Any]) -> None:
    calls = site.proxy.requests(lambda s: s.path.startswith("/v1/uploads"))
    senders = {s.sender for s in calls}
    assert "" not in senders, "every call carries a sender id"
    assert len(senders) == 2
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{22}", s) for s in senders)
    lists = {tuple(own_list(site, link, s)) for s in senders}
    assert lists == {("alice-1.jpg", "alice-2.jpg"), ("bob-1.jpg", "bob-same-photo.jpg")}
    # The same token without an id, or with a new one, sees none of them.
    assert own_list(site, link, None) == []
    assert own_list(site, link, new_sender()) == []
    site.stack.api.stop()  # flush the access log
    site.stack.api.start()
    logged = site.stack.access_log() + site.stack.proxy_log()
    assert "/v1/uploads/self" in logged
    assert not any(s in logged for s in senders)


def test_a_photo_too_large_for_the_bytes_left_is_refused_in_words(
    browser: Browser, site: Site, tmp_path: Path
) -> None:
    small, later = (scenery(n, (640, 480)) for n in (561, 563))
    large = scenery(562, (1280, 960))
    for name, data in (("small.jpg", small), ("large.jpg", large), ("later.jpg", later)):
        (tmp_path / name).write_bytes(data)
    link = new_link(site, max_bytes=len(small) + len(later) + 1000)
    site.proxy.clear()
    open_page(browser, link)
    assert text_of(browser, "space-left") != "no limit"

    add_files(browser, tmp_path / "small.jpg", tmp_path / "large.jpg")
    wait_for(browser, lambda: state_of(browser, "small.jpg") == "stored")
    refused = rows(browser)["large.jpg"].text
    assert "too large for what this link has left" in refused
    assert not any(large[1000:3000] in s.body for s in site.proxy.requests())

    # Someone else uses the bytes the page still counts on: the server refuses, in words.
    body, ctype = multipart([("images", "elsewhere.jpg", scenery(564, (320, 240)), "image/jpeg")])
    requests.post(link["url"], data=body, headers={"Content-Type": ctype}, timeout=30)
    add_files(browser, tmp_path / "later.jpg")
    wait_for(browser, lambda: state_of(browser, "later.jpg") == "refused")
    assert "too large for what this link has left" in rows(browser)["later.jpg"].text
    browser.screenshot("too-large-for-what-is-left")
