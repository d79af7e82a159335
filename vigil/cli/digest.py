"""``vigil digest``: preview a recipient's next message, list recipients, inspect the outbox."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from vigil.cli.errors import reports_errors
from vigil.cli.output import FormatOption, TableFormat, new_table, print_json
from vigil.cli.root import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_UNUSABLE,
    RulesOption,
    err,
    out,
    settings_from,
)
from vigil.clock import MINUTE_FORMAT

if TYPE_CHECKING:
    from vigil.monitor import Monitor
    from vigil.recipients import Recipient
    from vigil.rules.model import RuleSet
    from vigil.store import MatchRef, StoredMatch

digest_app = typer.Typer(
    help="Preview digests, list recipients and their schedules, inspect the outbox.",
    no_args_is_help=True,
)

RecipientsOption = Annotated[
    Path | None,
    typer.Option(
        metavar="FILE",
        help="Recipients file. Default: $VIGIL_RECIPIENTS, else VIGIL_MAIL_TO gets everything.",
    ),
]


class Format(StrEnum):
    TEXT = "text"
    HTML = "html"
    MARKDOWN = "md"
    EML = "eml"


_SUFFIXES = {".html": Format.HTML, ".htm": Format.HTML, ".md": Format.MARKDOWN, ".eml": Format.EML}


def _monitor(rules: Path | None, recipients: Path | None) -> Monitor:
    from vigil.monitor import Monitor

    settings = settings_from(rules=rules, recipients=recipients)
    return Monitor(settings)


@digest_app.command("preview")
@reports_errors
def preview(
    recipient: Annotated[
        str | None,
        typer.Option(
            metavar="ID", help="Recipient id from the recipients file. Default: the first one."
        ),
    ] = None,
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out", metavar="FILE", help="Write here; .html, .md, .eml or anything else for text."
        ),
    ] = None,
    format: Annotated[
        Format | None,
        typer.Option(help="text, html, md or eml (a whole MIME message). Default: from --out."),
    ] = None,
    days: Annotated[
        float | None,
        typer.Option(
            "--days",
            metavar="DAYS",
            min=0,
            help="Show every match of the last DAYS days routed to the recipient, sent or not "
            "(for template work). Default: what the next message would hold.",
        ),
    ] = None,
    rules: RulesOption = None,
    recipients: RecipientsOption = None,
) -> None:
    """Render a recipient's next message without sending it or marking anything as sent.

    The next message is what the next run would send them: the alert of their waiting
    high-severity matches if there is one, else their digest (or, for a reader of alerts
    only, nothing).
    """
    from vigil.digest import Kind
    from vigil.schedule import Every

    monitor = _monitor(rules, recipients)
    try:
        chosen = _recipient(monitor.recipients, recipient)
        now = monitor.clock()
        alerts_only = chosen.cadence.every is Every.NEVER
        kind: Kind | None = Kind.ALERT if alerts_only else None
        matches: Sequence[StoredMatch | MatchRef]
        if days is None:
            window = monitor.dispatcher.window(chosen, now, register=False)
            if window.alerts:
                matches, kind = window.alerts, Kind.ALERT
            else:
                matches = window.rest
        else:
            rules_by_id = monitor.dispatcher.rules
            matches = [
                match
                for match in monitor.store.recent_matches(
                    now - timedelta(days=days), rule_ids=chosen.candidate_rules(monitor.ruleset)
                )
                if match.rule_id in rules_by_id
                and chosen.follows(rules_by_id[match.rule_id], match.item_tags)
            ]
        if alerts_only and not matches:
            err.print(
                f"nothing waiting for {chosen.id}, who gets alerts only (digest: none)",
                markup=False,
            )
            raise typer.Exit(EXIT_OK)
        digest = monitor.dispatcher.preview(
            chosen, now, matches, kind=kind, feed_problems=monitor.feed_problems()
        )
        chosen_format = format or _SUFFIXES.get(
            out_file.suffix.lower() if out_file else "", Format.TEXT
        )
        renderer = monitor.renderer
        if chosen_format is Format.EML:
            message = renderer.compose(
                digest, sender=monitor.settings.mail_from, recipients=list(chosen.addresses)
            )
            rendered: str | bytes = message.as_bytes()
        elif chosen_format is Format.HTML:
            rendered = renderer.render_html(digest)
        elif chosen_format is Format.MARKDOWN:
            rendered = renderer.render_markdown(digest)
        else:
            rendered = renderer.render_text(digest)
    finally:
        monitor.close()
    if not matches:
        err.print(f"nothing waiting for {chosen.id}: showing the empty message", markup=False)
    if out_file is None:
        if isinstance(rendered, bytes):
            sys.stdout.buffer.write(rendered)
        else:
            sys.stdout.write(rendered)
        return
    if isinstance(rendered, bytes):
        out_file.write_bytes(rendered)
    else:
        out_file.write_text(rendered, encoding="utf-8")
    err.print(
        f"wrote {out_file} ({digest.kind}, {digest.match_count} stories for {chosen.id})",
        markup=False,
    )


def _next_digest(recipient: Recipient, now: datetime) -> str:
    from vigil.schedule import Every

    if recipient.cadence.every is Every.NEVER:
        return "none (alerts only)"
    slot = recipient.cadence.next_slot(now, recipient.zone)
    return f"{slot.astimezone(recipient.zone):%a %d %b %H:%M}" if slot else "next run"


def _rules_followed(recipient: Recipient, ruleset: RuleSet) -> str:
    """How many rules route here by id, pattern or rule tag; feed tags add items, not rules."""
    followed = sum(1 for rule in ruleset.rules if recipient.follows(rule))
    rule_tags = {tag.casefold() for rule in ruleset.rules for tag in rule.tags}
    feed_tags = [tag for tag in recipient.tags if tag not in rule_tags]
    return f"{followed} + feed tags {', '.join(feed_tags)}" if feed_tags else str(followed)


def _recipient(recipients: Sequence[Recipient], wanted: str | None) -> Recipient:
    if wanted is None:
        return recipients[0]
    for candidate in recipients:
        if candidate.id == wanted:
            return candidate
    known = ", ".join(r.id for r in recipients)
    err.print(f"vigil: no recipient {wanted!r}; the recipients are: {known}", markup=False)
    raise typer.Exit(EXIT_UNUSABLE)


@digest_app.command("recipients")
@reports_errors
def recipients_table(
    rules: RulesOption = None,
    recipients: RecipientsOption = None,
    format: FormatOption = TableFormat.TABLE,
) -> None:
    """Each recipient: addresses, schedule, time zone, alerts, next digest, matches waiting."""
    monitor = _monitor(rules, recipients)
    now = monitor.clock()
    table = new_table(f"{len(monitor.recipients)} recipient(s)")
    for column in ("id", "addresses", "digest", "alerts", "next digest", "rules", "waiting"):
        table.add_column(column)
    listed: list[dict[str, object]] = []
    try:
        for recipient in monitor.recipients:
            window = monitor.dispatcher.window(recipient, now, register=False)
            following = _rules_followed(recipient, monitor.ruleset)
            listed.append(
                {"id": recipient.id, "addresses": list(recipient.addresses),
                 "digest": str(recipient.cadence), "schedule": recipient.cadence.describe(),
                 "timezone": recipient.zone.key, "alerts": sorted(recipient.alerts),
                 "next_digest": recipient.cadence.next_slot(now, recipient.zone),
                 "rules": following,
                 "waiting": {"alert": len(window.alerts), "digest": len(window.rest)}}
            )  # fmt: skip
            table.add_row(
                recipient.id,
                ", ".join(recipient.addresses),
                f"{recipient.cadence} ({recipient.zone.key})",
                ", ".join(sorted(recipient.alerts)) or "none",
                _next_digest(recipient, now),
                following,
                f"{len(window.alerts)} alert, {len(window.rest)} digest",
            )
    finally:
        monitor.close()
    if format is TableFormat.JSON:
        print_json({"recipients": listed})
    else:
        out.print(table)


@digest_app.command("outbox")
@reports_errors
def outbox(
    limit: Annotated[
        int, typer.Option(metavar="N", min=1, help="How many of the newest messages.")
    ] = 20,
    format: FormatOption = TableFormat.TABLE,
) -> None:
    """The newest outbox messages: status, attempts, next try, last error.

    Exit code 1 when any message failed for good or is waiting for a retry.
    """
    from vigil.store import Store

    settings = settings_from()
    store = Store(settings.store_url)
    try:
        rows = store.recent_messages(limit)
    finally:
        store.close()
    from vigil.store import shown_url

    table = new_table(f"outbox of {shown_url(settings.store_url)}")
    for column in (
        "#",
        "recipient",
        "kind",
        "status",
        "tries",
        "created",
        "sent",
        "next try",
    ):
        table.add_column(column)
    # The whole error: it is what an operator needs to fix the mail server's settings.
    table.add_column("subject / error", overflow="fold")
    troubled = 0
    for row in rows:
        retrying = row.status == "pending" and row.attempts > 0
        troubled += row.status == "failed" or retrying
        style = {"sent": "green", "pending": "yellow", "failed": "red"}.get(row.status, "")
        table.add_row(
            str(row.id),
            row.recipient,
            row.kind,
            f"[{style}]{row.status}[/{style}]",
            str(row.attempts),
            f"{row.created_at:{MINUTE_FORMAT}}",
            f"{row.sent_at:{MINUTE_FORMAT}}" if row.sent_at else "",
            f"{row.next_attempt_at:{MINUTE_FORMAT}}" if row.status == "pending" else "",
            row.last_error or row.subject,
        )
    if format is TableFormat.JSON:
        messages = [
            row._asdict()
            | {"next_attempt_at": row.next_attempt_at if row.status == "pending" else None}
            for row in rows
        ]
        print_json(
            {"store": shown_url(settings.store_url), "messages": messages, "troubled": troubled}
        )
    else:
        out.print(table)
    raise typer.Exit(EXIT_FAILED if troubled else EXIT_OK)
