"""See a digest as a reader would: headless Chromium renders its HTML to a PNG.

Used by ``docs/screenshot.py`` for the README picture and by the tests, which check that the
page renders at phone width. Chromium comes from Debian's ``chromium`` package.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from vigil.errors import ConfigError

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")


def find_browser() -> str:
    for name in BROWSERS:
        if found := shutil.which(name):
            return found
    raise ConfigError("no Chromium found: install Debian's 'chromium' package")


def screenshot(html: str, png: Path, *, width: int = 720, height: int = 1600) -> Path:
    """Render ``html`` in a ``width`` × ``height`` window and write the PNG to ``png``.

    The page is loaded from a file with networking off, so a remote image or font would show
    up as missing rather than being fetched.
    """
    browser = find_browser()
    png = png.resolve()
    with tempfile.TemporaryDirectory(prefix="vigil-shot-") as scratch:
        page = Path(scratch) / "digest.html"
        page.write_text(html, encoding="utf-8")
        command = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--disable-extensions",
            "--proxy-server=127.0.0.1:9",  # nothing leaves the machine
            f"--user-data-dir={scratch}/profile",
            f"--window-size={width},{height}",
            f"--screenshot={png}",
            page.as_uri(),
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if result.returncode != 0 or not png.exists():
        raise ConfigError(f"Chromium could not render the digest: {result.stderr.strip()[-300:]}")
    return png
