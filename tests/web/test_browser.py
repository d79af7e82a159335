"""`vigil web` as a process on a populated store, driven in headless Chromium (Debian's): the
analyst's path through the page, and a hostile feed item that must stay inert.

With WEB_SCREENSHOTS set to a folder, the pages are also saved there at desktop and phone
width (``docs/web-*.png`` come from this test).
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from vigil.digest.snapshot import find_browser
from vigil.settings import Settings
from vigil.store import MatchFilter, Store

from tests.web.test_security import hostile_item

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def served(demo: Settings, tmp_path: Path) -> Iterator[str]:
    """`vigil web` over the demo store, as its own process."""
    port = free_port()
    log = open(tmp_path / "web.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "vigil.cli", "web", "--port", str(port)],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            assert process.poll() is None, (tmp_path / "web.log").read_text()
            assert time.monotonic() < deadline, "vigil web did not come up in 60 s"
            time.sleep(0.2)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=find_browser(), args=["--no-sandbox"])
        yield launched
        launched.close()


class Watched:
    """A page that records every request, dialog and console error."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))


def shoot(page: Page, name: str) -> None:
    folder = os.environ.get("WEB_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"web-{name}.png"))


def test_the_analysts_path_through_the_page(served: str, browser: Browser, demo: Settings) -> None:
    store = Store(demo.store_url)
    stored = store.match_page(MatchFilter(), limit=1000)
    store.close()
    rule = stored[0].rule_id
    watched = Watched(browser.new_page(viewport=DESKTOP))
    page = watched.page

    # The stream, then a filter by rule: the select submits the form by itself (vigil.js).
    page.goto(f"{served}/matches")
    assert page.locator("li.story").count() >= 3
    shoot(page, "matches")
    with page.expect_navigation():
        page.select_option("select[name=rule]", rule)
    assert f"rule={rule}" in page.url
    shown = set(page.locator("li.story .match > .badge").all_inner_texts())
    assert shown == {rule}

    # An item and why it matched.
    page.locator("li.story h2 a").first.click()
    page.wait_for_url(re.compile(r"/items/\d+$"))
    verdict = page.locator(f'li.matched[data-rule="{rule}"]')
    assert verdict.locator("pre.explain").inner_text().startswith("✓")
    assert page.locator("article mark").count() > 0
    shoot(page, "item")

    # A playground edit that widens the rule finds new hits.
    page.goto(f"{served}/playground?rule={rule}")
    page.fill("textarea[name=text]", "Ukraine OR Kyiv")
    page.fill("input[name=since]", "2000-01-01")
    page.fill("input[name=until]", "2100-01-01")
    page.click("text=Try it")
    page.wait_for_selector("section.trial")
    new_hits = int(page.locator(f'tr[data-rule="{rule}"] td.new-count').inner_text())
    assert new_hits > 0
    assert page.locator("ol.hits.new li[data-item]").count() == min(new_hits, 50)
    shoot(page, "playground")

    # Label a match irrelevant (in place, by vigil.js): the rule's precision changes.
    page.goto(f"{served}/rules")
    precision = page.locator(f'tr[data-rule="{rule}"] td.precision')
    assert precision.inner_text() == "–"
    page.goto(f"{served}/matches?rule={rule}")
    button = page.locator("form.label button[value=irrelevant]").first
    with page.expect_response(lambda response: response.url.endswith("/label")) as answer:
        button.click()
    assert answer.value.status == 204
    assert "chosen" in (button.get_attribute("class") or "")
    page.goto(f"{served}/rules")
    assert precision.inner_text() == "0.00 (1)"
    shoot(page, "rules")

    # Everything came from vigil itself, and nothing failed to load or run.
    assert all(url.startswith(served) or url.startswith("data:") for url in watched.requests)
    assert watched.errors == [] and watched.dialogs == []

    phone = Watched(browser.new_page(viewport=PHONE)).page
    phone.goto(f"{served}/matches")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]  # nothing runs off the side of a phone
    shoot(phone, "matches-phone")
    phone.locator("li.story h2 a").first.click()
    phone.wait_for_url(re.compile(r"/items/\d+$"))
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(phone, "item-phone")


def test_a_hostile_item_runs_no_script_and_sends_no_request(
    served: str, browser: Browser, demo: Settings
) -> None:
    store = Store(demo.store_url)
    hostile_item(store)  # arrives while the page runs, as a feed item would
    store.close()
    watched = Watched(browser.new_page(viewport=DESKTOP))
    page = watched.page
    for path in ("/matches", "/matches?q=Bayraktar"):
        page.goto(f"{served}{path}")
    page.locator("li.story h2 a", has_text="strike").first.click()
    page.wait_for_url(re.compile(r"/items/\d+$"))
    assert "TB2" in page.title()
    assert page.locator("script:not([src])").count() == 0
    assert page.locator("iframe, img, article a[href^=javascript]").count() == 0
    # A script planted in the page's own origin would still be stopped by the CSP.
    page.evaluate(
        """() => { const s = document.createElement('script');
                  s.textContent = 'window.__ran = true'; document.body.appendChild(s); }"""
    )
    assert page.evaluate("window.__ran === true") is False
    page.wait_for_timeout(300)
    assert watched.dialogs == []
    outside = [url for url in watched.requests if not url.startswith(served)]
    assert outside == []
