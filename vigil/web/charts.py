"""Hits per day as a small SVG bar chart, drawn on the server from numbers only (no script, no
feed text in it), with a title per bar for the exact figure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT, GAP = 6, 32, 1


def bar_chart(days: Sequence[str], counts: Mapping[str, int], label: str) -> Markup:
    """One bar per day of ``days`` (YYYY-MM-DD), scaled to the busiest."""
    top = max((counts.get(day, 0) for day in days), default=0)
    width = len(days) * (WIDTH + GAP)
    bars = []
    for position, day in enumerate(days):
        count = counts.get(day, 0)
        height = 0 if top == 0 else max(1, round(count * HEIGHT / top)) if count else 0
        x = position * (WIDTH + GAP)
        bars.append(
            f'<rect x="{x}" y="{HEIGHT - height}" width="{WIDTH}" height="{height}">'
            f"<title>{escape(day)}: {count}</title></rect>"
            f'<rect class="day" x="{x}" y="0" width="{WIDTH}" height="{HEIGHT}">'
            f"<title>{escape(day)}: {count}</title></rect>"
        )
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {HEIGHT}" width="{width}" height="{HEIGHT}" '
        f'role="img" aria-label="{escape(label)}">{"".join(bars)}</svg>'
    )
