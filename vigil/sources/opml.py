"""OPML, the format feed readers export: bring subscriptions in, and take them out again."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

import listparser
import yaml

from vigil.errors import SourceError
from vigil.sources.feeds import FeedSpec, load_feeds_file


def read_opml(source: Path) -> list[FeedSpec]:
    """The feeds of an OPML file; folders become tags."""
    try:
        parsed = listparser.parse(source.read_bytes())
    except OSError as exc:
        raise SourceError(f"{source}: cannot read: {exc.strerror}") from exc
    if not parsed.feeds and (parsed.bozo or not parsed.version):
        reason = f" ({parsed.bozo_exception})" if parsed.bozo else ""
        raise SourceError(f"{source}: not an OPML subscription list{reason}")
    specs = []
    for feed in parsed.feeds:
        url = (feed.get("url") or "").strip()
        if not url.startswith(("http://", "https://")):
            continue
        name = (feed.get("title") or "").strip() or url
        tags = tuple(dict.fromkeys(t for t in feed.get("tags", []) if t))
        specs.append(FeedSpec(name=name, url=url, tags=tags))
    return specs


def import_opml(source: Path, feeds_file: Path) -> tuple[list[FeedSpec], list[FeedSpec]]:
    """Add the OPML's feeds to ``feeds_file``: (added, skipped because already there).

    New entries are appended as text, so the file's comments and layout survive.
    """
    existing = load_feeds_file(feeds_file) if feeds_file.exists() else []
    urls = {spec.url for spec in existing}
    names = {spec.name for spec in existing}
    added, skipped = [], []
    for spec in read_opml(source):
        if spec.url in urls:
            skipped.append(spec)
            continue
        name, number = spec.name, 2
        while name in names:
            name, number = f"{spec.name} ({number})", number + 1
        spec = spec.model_copy(update={"name": name})
        names.add(name)
        urls.add(spec.url)
        added.append(spec)
    if added:
        entries = [
            {"name": s.name, "url": s.url, **({"tags": list(s.tags)} if s.tags else {})}
            for s in added
        ]
        text = yaml.safe_dump(entries, allow_unicode=True, sort_keys=False, default_flow_style=None)
        indented = "".join(f"  {line}\n" for line in text.splitlines())
        if not feeds_file.exists():
            feeds_file.write_text("feeds:\n" + indented, encoding="utf-8")
        else:
            current = feeds_file.read_text(encoding="utf-8")
            if not current.endswith("\n"):
                current += "\n"
            feeds_file.write_text(current + indented, encoding="utf-8")
        load_feeds_file(feeds_file)  # the result must still be a valid feeds file
    return added, skipped


def export_opml(specs: Sequence[FeedSpec], title: str = "vigil feeds") -> str:
    """OPML 2.0 that any feed reader imports; tags become categories."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    body = ET.SubElement(root, "body")
    for spec in specs:
        attributes = {"type": "rss", "text": spec.name, "title": spec.name, "xmlUrl": spec.url}
        if spec.tags:
            attributes["category"] = ",".join(spec.tags)
        ET.SubElement(body, "outline", attributes)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
