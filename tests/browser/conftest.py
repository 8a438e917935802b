"""Headless Chromium (Debian's chromium + chromium-driver) driven by Selenium.

`browser` is a fresh browser with its own profile per test; any browser test can use
it, and `other_browser` when it needs a second person. The upload-page tests also get
`site`: a real gunicorn + Celery deployment behind a recording front proxy
(tests/frontproxy.py).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from devstack.proxy import Limits
from devstack.servers import Backends
from tests.e2e.conftest import Stack, start_stack, stop_stack
from tests.frontproxy import FrontProxy

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
DESKTOP = (1280, 900)


def _require_chromium() -> None:
    if shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER):
        return
    message = "chromium and chromium-driver are not installed (apt-get install them)"
    if os.environ.get("CI"):
        pytest.fail(message)  # CI installs them (.ci/run): never skip there
    pytest.skip(message)


@dataclass
class Browser:
    driver: webdriver.Chrome
    shots: Path

    def screenshot(self, name: str) -> Path:
        path = self.shots / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def phone(self, width: int = 390, height: int = 844) -> None:
        """A phone's viewport with touch input, so `pointer: coarse` styles apply."""
        self.driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 2, "mobile": True},
        )
        self.driver.execute_cdp_cmd(
            "Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5}
        )


@contextmanager
def _chromium(home: Path) -> Iterator[Browser]:
    """A headless Chromium with its own profile (user data dir) under ``home``."""
    _require_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--no-default-browser-check",
        f"--window-size={DESKTOP[0]},{DESKTOP[1]}",
        f"--user-data-dir={home / 'profile'}",
    ):
        options.add_argument(flag)
    service = Service(executable_path=CHROMEDRIVER, log_output=str(home / "chromedriver.log"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(30)
    shots = home / "screenshots"
    shots.mkdir()
    try:
        yield Browser(driver, shots)
    finally:
        driver.quit()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    with _chromium(tmp_path) as started:
        yield started


@pytest.fixture
def other_browser(tmp_path: Path) -> Iterator[Browser]:
    """A second browser with a profile of its own: another person on another device."""
    home = tmp_path / "other"
    home.mkdir()
    with _chromium(home) as started:
        yield started


@dataclass
class Site:
    stack: Stack
    proxy: FrontProxy

    @property
    def url(self) -> str:
        return self.proxy.url


@pytest.fixture(scope="module")
def site(backends: Backends) -> Iterator[Site]:
    # nginx with the limits of compose: the page and the console never meet them.
    stack = start_stack(backends, proxy_limits=Limits())
    proxy = FrontProxy(stack.url).start()
    try:
        yield Site(stack, proxy)
    finally:
        proxy.stop()
        stop_stack(stack)
