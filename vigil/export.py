"""``vigil matches export``: every match as one JSON line or CSV row, streamed, with the
analyst's label of it (``vigil matches label``) or none.

Rows are read through a server-side cursor and written one by one, so memory stays flat
however many matches the store holds (``benchmarks/workbench.py`` measures it).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, TextIO

from vigil.rules.model import RuleSet

FIELDS = (
    "item_id", "link", "title", "outlet", "published", "first_seen", "rule_id", "rule_tags",
    "actors", "source", "target", "direction", "evidence", "score", "matched_at", "delivered",
    "delivered_at", "label",
)  # fmt: skip
# CSV has no nested values: each part of the label gets a column, empty when not labelled.
LABEL_COLUMNS = {
    "label_verdict": "verdict",
    "label_author": "author",
    "label_note": "note",
    "labelled_at": "labelled_at",
}
CSV_FIELDS = (*FIELDS[:-1], *LABEL_COLUMNS)


def records(rows: Iterable[Any], ruleset: RuleSet) -> Iterator[dict[str, Any]]:
    """Stored rows as export records; the rule's tags come from the current rule files."""
    tags = {rule.id: list(rule.tags) for rule in ruleset.rules}
    for row in rows:
        direction = None
        if row.source or row.target:
            direction = f"{row.source or '?'} → {row.target or '?'}"
        yield {
            "item_id": row.item_id,
            "link": row.link,
            "title": row.title,
            "outlet": row.outlet,
            "published": _iso(row.published),
            "first_seen": _iso(row.first_seen),
            "rule_id": row.rule_id,
            "rule_tags": tags.get(row.rule_id, []),
            "actors": list(row.actors or ()),
            "source": row.source,
            "target": row.target,
            "direction": direction,
            "evidence": row.evidence,
            "score": row.score,
            "matched_at": _iso(row.matched_at),
            "delivered": row.delivered_at is not None,
            "delivered_at": _iso(row.delivered_at),
            "label": _label(row),
        }


def _label(row: Any) -> dict[str, Any] | None:
    if row.verdict is None:
        return None
    return {
        "verdict": row.verdict,
        "author": row.label_author,
        "note": row.label_note,
        "labelled_at": _iso(row.labelled_at),
    }


def write_jsonl(out: TextIO, rows: Iterable[Mapping[str, Any]], tick: Callable[[], None]) -> int:
    count = 0
    for record in rows:
        out.write(json.dumps(record, ensure_ascii=False))
        out.write("\n")
        count += 1
        tick()
    return count


def write_csv(out: TextIO, rows: Iterable[Mapping[str, Any]], tick: Callable[[], None]) -> int:
    """CSV for spreadsheets: lists joined with '; ', booleans as true/false, the label in
    columns of its own."""
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS)
    writer.writeheader()
    count = 0
    for record in rows:
        flat = {key: value for key, value in record.items() if key != "label"}
        label = record.get("label") or {}
        flat.update({column: label.get(part) for column, part in LABEL_COLUMNS.items()})
        writer.writerow({key: _cell(value) for key, value in flat.items()})
        count += 1
        tick()
    return count


# A cell a spreadsheet would run as a formula (=HYPERLINK(…), +cmd|…, @SUM(…)) when it starts
# with one of these; feed titles and names are anyone's to write.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """A CSV cell: lists joined, booleans spelt out, text that could run as a formula quoted
    with a leading apostrophe (OWASP's advice; the JSONL export stays exact)."""
    if isinstance(value, list):
        value = "; ".join(str(part) for part in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
