"""``vigil init DIR``: a starter folder an analyst edits into their own monitor.

It holds a copy of the shipped rules (actors, actions and the seed families), a feeds file
with the bundled feed snapshots (so the first run needs no network) and commented examples of
real feeds, a recipients file with one reader, and a ``vigil.toml`` naming them all, with
paths relative to the folder: ``cd DIR && vigil run`` works at once.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from vigil.errors import StarterExists
from vigil.paths import bundled

FEEDS = """\
# The feeds vigil reads. A url is http(s), or a path relative to this file. These are the
# bundled snapshots, so the first run needs no network; replace them with the outlets you follow.
feeds:
  - name: Daily Sabah
    url: samples/daily-sabah.rss.xml
    tags: [turkey]
  - name: The Kyiv Independent
    url: samples/kyiv-independent.atom.xml
    tags: [ukraine]
  - name: Meduza
    url: samples/meduza.rss.xml
    tags: [russia]
#  - name: Daily Sabah (live)
#    url: https://www.dailysabah.com/rssFeed/home
#    tags: [turkey]
"""

RECIPIENTS = """\
# Who gets what, when. See docs/digests.md for every key.
recipients:
  - id: me
    email: analyst@localhost        # a real address once VIGIL_SMTP_HOST names a mail server
    timezone: UTC
    digest: daily 08:00             # every run, daily HH:MM, weekly monday HH:MM, cron ..., none
    alerts: [high]                  # severities sent at once, between digests
"""

CONFIG = """\
# vigil's settings for this folder (run vigil from here, or point VIGIL_CONFIG or --config at
# this file). Every VIGIL_* variable overrides the key of the same name; `vigil config show`
# lists the settings in force and where each came from.
home = ".vigil"                 # the store (SQLite) and the Maildir outbox
rules = "rules"
feeds = "feeds.yaml"
recipients = "recipients.yaml"
articles = ""                   # a folder of article files, or "" for none
# smtp_host = "mail.example.org"
# mail_from = "vigil@example.org"
"""

SAMPLES = ("daily-sabah.rss.xml", "kyiv-independent.atom.xml", "meduza.rss.xml")


def create_starter(folder: Path) -> list[Path]:
    """Write the starter folder; the files written. Nothing is overwritten."""
    targets = [folder / name for name in ("rules", "samples", "feeds.yaml", "recipients.yaml",
                                          "vigil.toml")]  # fmt: skip
    present = [str(path) for path in targets if path.exists()]
    if present:
        raise StarterExists(f"{folder} already holds {', '.join(present)}: nothing written")
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(bundled("rules"), folder / "rules")
    (folder / "samples").mkdir()
    for name in SAMPLES:
        shutil.copyfile(bundled(f"examples/feeds/{name}"), folder / "samples" / name)
    (folder / "feeds.yaml").write_text(FEEDS, encoding="utf-8")
    (folder / "recipients.yaml").write_text(RECIPIENTS, encoding="utf-8")
    (folder / "vigil.toml").write_text(CONFIG, encoding="utf-8")
    return targets
