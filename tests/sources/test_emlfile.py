"""Newsletters saved as .eml in an article folder: subject, sender, date, text, identity; a
broken one is listed and skipped, never stopping the folder."""

from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from vigil.sources.seedtext import read_article_folder

SEEN = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def _newsletter(
    path: Path, *, html: bool = False, date: str = "Tue, 01 Dec 2026 07:30:00 +0300"
) -> None:
    message = EmailMessage()
    message["From"] = "Daily Sabah Briefing <briefing@dailysabah.example>"
    message["To"] = "analyst@example.org"
    message["Subject"] = "Türkiye offers to host Russia–Ukraine talks"
    message["Date"] = date
    message["Message-ID"] = "<brief-1201@dailysabah.example>"
    message["Archived-At"] = "<https://dailysabah.example/briefing/1201>"
    text = "Ankara said it was ready to host the talks in Istanbul.\n\nBayraktar TB2 news too."
    if html:
        message.set_content(
            "<html><body><p>Ankara said it was ready to host the talks.</p></body></html>",
            subtype="html",
        )
    else:
        message.set_content(text)
    path.write_bytes(bytes(message))


def test_a_saved_newsletter_is_an_article(tmp_path: Path) -> None:
    _newsletter(tmp_path / "briefing.eml")
    (tmp_path / "seed.txt").write_text("A title / An author\n\nSome body.\n", encoding="utf-8")
    articles = read_article_folder(tmp_path, outlet="Inbox", seen_at=SEEN)
    mail = next(a for a in articles if a.metadata["origin"] == "mail file briefing.eml")
    assert mail.title == "Türkiye offers to host Russia–Ukraine talks"
    assert mail.author == "Daily Sabah Briefing"
    assert mail.published == datetime(2026, 12, 1, 4, 30, tzinfo=UTC) and not mail.date_missing
    assert "ready to host the talks in Istanbul" in mail.body
    assert mail.link == "https://dailysabah.example/briefing/1201"
    assert mail.canonical_id == "feed:Inbox|guid:urn:message-id:brief-1201@dailysabah.example"
    assert len(articles) == 2  # the .txt beside it is read as before


def test_an_html_only_newsletter_is_read_as_text(tmp_path: Path) -> None:
    _newsletter(tmp_path / "html.eml", html=True)
    [mail] = read_article_folder(tmp_path, seen_at=SEEN)
    assert mail.body == "Ankara said it was ready to host the talks."


@pytest.mark.parametrize(
    "date", ["Mon, 01 Jan 0001 00:00:00 +0000", "Fri, 01 Jan 2038 00:00:00 +0000", "soon"]
)
def test_a_date_from_year_1_the_future_or_nowhere_dates_it_when_seen(
    tmp_path: Path, date: str
) -> None:
    # Written as bytes: the email package would rewrite year 1 as 2001 on the way out.
    (tmp_path / "odd.eml").write_bytes(
        f"From: x@example.org\r\nSubject: TB2\r\nDate: {date}\r\n\r\nBayraktar TB2.\r\n".encode()
    )
    [mail] = read_article_folder(tmp_path, seen_at=SEEN)
    assert mail.date_missing and mail.published == SEEN


def test_a_broken_message_is_listed_and_the_rest_are_read(tmp_path: Path) -> None:
    _newsletter(tmp_path / "good.eml")
    (tmp_path / "empty.eml").write_bytes(b"From: x@example.org\r\n\r\n")
    problems: list[tuple[Path, str]] = []
    articles = read_article_folder(tmp_path, problems=problems, seen_at=SEEN)
    assert [a.metadata["origin"] for a in articles] == ["mail file good.eml"]
    assert problems == [
        (
            tmp_path / "empty.eml",
            f"{tmp_path / 'empty.eml'}: a saved mail message needs a Subject (its title)",
        )
    ]
