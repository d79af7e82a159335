"""The digest as a reader sees it: headless Chromium renders the HTML part at phone width."""

from pathlib import Path

from PIL import Image

from vigil.digest.snapshot import screenshot
from vigil.monitor import Monitor
from vigil.pipeline import run_once
from vigil.settings import Settings

from tests.conftest import maildir_messages

HIGHLIGHT = (0xFD, 0xE6, 0x8A)  # <mark> background
STORY_BORDER = (0x1D, 0x4E, 0xD8)  # story box border and links
HIGH_BADGE = (0xB9, 0x1C, 0x1C)


def _near(pixel: tuple[int, ...], colour: tuple[int, int, int], tolerance: int = 6) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel[:3], colour, strict=True))


def test_the_delivered_digest_renders_on_a_phone_screen(settings: Settings, tmp_path: Path) -> None:
    run_once(Monitor(settings))
    (message,) = maildir_messages(settings.outbox)
    html = message.get_body(("html",)).get_content()
    png = screenshot(html, tmp_path / "phone.png", width=390, height=844)
    image = Image.open(png).convert("RGB")
    assert image.size == (390, 844)
    raw = image.tobytes()
    pixels = [tuple(raw[i : i + 3]) for i in range(0, len(raw), 3)]
    # The page drew what the inlined CSS asks for: highlighted evidence, blue story borders,
    # red high-severity badges; a blank or unstyled page has none of them.
    for colour in (HIGHLIGHT, STORY_BORDER, HIGH_BADGE):
        assert sum(_near(pixel, colour) for pixel in pixels) > 50, colour
    # Nothing runs off the right edge: the last columns are page background only.
    right_edge = [image.getpixel((389 - x, y)) for x in range(3) for y in range(844)]
    assert all(_near(pixel, right_edge[0], 10) for pixel in right_edge)
