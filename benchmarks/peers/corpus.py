"""The synthetic feeds: N feeds x M news-like items, the same bytes for the same seed."""

from __future__ import annotations

import email.utils
import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

SEED = 20240301
# Items are dated in the week before this moment, so every run generates the same bytes.
BASE_DATE = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


PLACES = (
    "Lisbon", "Oslo", "Lyon", "Porto", "Kraków", "Valencia", "Gdańsk", "Bergen", "Tampere",
    "Graz", "Ghent", "Brno", "Cork", "Malmö", "Turin", "Bilbao", "Aarhus", "Utrecht", "Split",
    "Tartu",
)  # fmt: skip
SUBJECTS = (
    "The city council", "The central bank", "Local farmers", "The health ministry",
    "A regional airline", "Researchers at the state university", "The football federation",
    "Shipping companies", "The energy regulator", "Retail chains", "The transport authority",
    "Teachers' unions", "The national weather service", "A group of start-ups",
    "The tourism board", "Hospital managers", "The statistics office", "Wine growers",
)  # fmt: skip
VERBS = (
    "announced", "postponed", "approved", "criticised", "unveiled", "reviewed", "expanded",
    "delayed", "welcomed", "questioned", "defended", "scrapped",
)  # fmt: skip
OBJECTS = (
    "a budget for {n} new schools", "plans for a {n}-kilometre tram line",
    "a {n} percent rise in grain exports", "a pilot scheme for {n} electric buses",
    "new rules for short-term rentals", "a {n}-million-euro harbour upgrade",
    "a study of {n} coastal towns", "the merger of {n} regional banks",
    "a festival expected to draw {n},000 visitors", "higher tariffs for {n} water districts",
    "a cap on rents in {n} neighbourhoods", "a heat-wave plan covering {n} clinics",
)  # fmt: skip
TAILS = (
    "on Tuesday", "after weeks of talks", "despite protests outside the town hall",
    "citing higher costs", "in a statement", "at a press conference", "late on Friday",
    "following a public consultation", "to the surprise of analysts", "ahead of the summer",
)  # fmt: skip
FOLLOW_UPS = (
    "Critics said the decision came too late.",
    "Officials expect the first results within {n} months.",
    "The opposition called for a vote in parliament.",
    "Prices have risen by {n} percent since last year.",
    "A final decision is due in the autumn.",
    "Local residents were divided, a survey of {n} households found.",
    "The plan still needs the approval of the regional government.",
    "Similar projects failed in {n} other cities.",
)  # fmt: skip
# Near misses: vocabulary the rules look for, in stories they must not match.
DISTRACTORS = (
    "A drone light show opened the winter festival in Kyiv.",
    "Turkish Airlines resumed flights from Istanbul to Kyiv and Moscow.",
    "Emre Bayraktar's late strike earned Trabzonspor a 2-1 win.",
    "Turkish unions asked the labour ministry to mediate in the wage dispute.",
    "Amazon tested delivery drones in Seattle.",
    "Dinamo Minsk signed a midfielder on a two-year deal.",
)
# On-topic: what the shipped rules (mediation, drones, Minsk, arms) are written for.
ON_TOPIC = (
    (
        "Ankara renews offer to mediate",
        "Erdoğan offered to mediate between Russia and Ukraine, officials in Ankara said.",
    ),
    (
        "Turkey ready to host talks",
        "Ankara said it was willing to host talks between Russian and Ukrainian officials.",
    ),
    (
        "Kyiv orders more drones",
        "Kyiv ordered a second batch of Bayraktar TB2 drones from Turkey.",
    ),
    (
        "Drone strike in the Donbas",
        "Ukrainian forces used a Bayraktar TB2 drone against a howitzer near Donetsk.",
    ),
    (
        "Kremlin presses Kyiv on Minsk",
        "Kyiv must comply with the Minsk agreements, Kremlin spokesman Peskov said.",
    ),
    (
        "Normandy Format talks stall",
        "Advisers of the Normandy Format met in Berlin but made no progress on the Donbas.",
    ),
    (
        "New military aid for Ukraine",
        "Britain will supply anti-tank weapons to the Ukrainian army, London said.",
    ),
)
ON_TOPIC_SHARE = 0.06
DISTRACTOR_SHARE = 0.04


def _fill(template: str, rng: random.Random) -> str:
    return template.format(n=rng.randint(2, 90))


def _item(rng: random.Random, feed: int, item: int) -> tuple[str, str]:
    """One item's (title, description): mostly local news, some on-topic, some near misses."""
    place = rng.choice(PLACES)
    subject, verb = rng.choice(SUBJECTS), rng.choice(VERBS)
    thing = _fill(rng.choice(OBJECTS), rng)
    sentences = [f"{subject} in {place} {verb} {thing} {rng.choice(TAILS)}."]
    sentences += [_fill(rng.choice(FOLLOW_UPS), rng) for _ in range(rng.randint(1, 3))]
    title = f"{place}: {subject.removeprefix('The ').removeprefix('A ')} {verb} {thing}"
    roll = rng.random()
    if roll < ON_TOPIC_SHARE:
        title, sentence = rng.choice(ON_TOPIC)
        sentences[0] = sentence
    elif roll < ON_TOPIC_SHARE + DISTRACTOR_SHARE:
        sentences[-1] = rng.choice(DISTRACTORS)
    # Distinct per item, so no two items are word-for-word copies (vigil clusters those).
    sentences.append(f"Reported by desk {feed:03d}, story {item:03d}.")
    return title, " ".join(sentences)


def feed_xml(index: int, items: int, rng: random.Random) -> bytes:
    """RSS 2.0 for feed ``index``: titles, 2-4 sentence descriptions, guid, pubDate, link."""
    site = f"https://news{index:03d}.example.com"
    entries = []
    for number in range(items):
        title, description = _item(rng, index, number)
        published = BASE_DATE - timedelta(minutes=rng.randint(0, 7 * 24 * 60))
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60]
        link = f"{site}/{published:%Y/%m/%d}/{slug}-{number:03d}"
        entries.append(
            "    <item>\n"
            f"      <title>{escape(title)}</title>\n"
            f"      <link>{escape(link)}</link>\n"
            f"      <description>{escape(description)}</description>\n"
            f'      <guid isPermaLink="false">news{index:03d}-{number:05d}</guid>\n'
            f"      <pubDate>{email.utils.format_datetime(published, usegmt=True)}</pubDate>\n"
            "    </item>\n"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0">\n  <channel>\n'
        f"    <title>Outlet {index:03d}</title>\n    <link>{site}/</link>\n"
        f"    <description>Regional news desk {index:03d}</description>\n"
        f"    <language>en</language>\n{''.join(entries)}  </channel>\n</rss>\n"
    ).encode()


def generate_feeds(folder: Path, feeds: int, items: int) -> list[Path]:
    """Write the feed files (same seed, same bytes every time) and return their paths."""
    rng = random.Random(SEED)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(feeds):
        path = folder / f"feed-{index:03d}.xml"
        path.write_bytes(feed_xml(index, items, rng))
        paths.append(path)
    return paths
