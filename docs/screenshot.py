"""Render the bundled sample's digest to docs/digest.png (desktop) and docs/digest-phone.png.

    python docs/screenshot.py

Runs the monitor without Prefect on a temporary state folder, takes the HTML part of the
digest it delivered to the Maildir, and has headless Chromium (Debian's ``chromium``) draw it.
"""

from __future__ import annotations

import email
import email.policy
import mailbox
import tempfile
from pathlib import Path

from vigil.digest.snapshot import screenshot
from vigil.monitor import Monitor
from vigil.settings import Settings

DOCS = Path(__file__).resolve().parent
RECIPIENTS = """\
recipients:
  - id: ankara-desk
    name: Ankara desk
    email: desk@example.org
    timezone: Europe/Istanbul
    alerts: []
    digest: every run
"""


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="vigil-screenshot-") as scratch:
        home = Path(scratch)
        (home / "recipients.yaml").write_text(RECIPIENTS, encoding="utf-8")
        monitor = Monitor(Settings(home=home, recipients=home / "recipients.yaml"))
        monitor.run()
        monitor.close()
        box = mailbox.Maildir(home / "outbox", create=False)
        (key,) = list(box.iterkeys())
        message = email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
        html = message.get_body(("html",)).get_content()
    screenshot(html, DOCS / "digest.png", width=720, height=1500)
    screenshot(html, DOCS / "digest-phone.png", width=390, height=844)
    print(f"wrote {DOCS / 'digest.png'} and {DOCS / 'digest-phone.png'}")


if __name__ == "__main__":
    main()
